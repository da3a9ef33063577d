"""Delivery: the outbox worker that sends queued alerts through chat adapters."""
