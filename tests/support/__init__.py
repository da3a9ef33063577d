"""Shared pytest fixtures, loaded as plugins from tests/conftest.py."""
