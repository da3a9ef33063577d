"""Storage: sources, articles, chats, subscriptions and the alert outbox (SQLAlchemy + Alembic)."""
