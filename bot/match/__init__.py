"""Matching: which topics a story matches. Pure: no I/O. Replaceable as a whole (see base.py)."""
