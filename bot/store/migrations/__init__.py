"""Alembic migrations, shipped inside the package so an installed newsbot can upgrade its own DB."""
