"""Ingest: fetch over HTTP, parse feeds, normalise entries into articles."""
