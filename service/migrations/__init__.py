"""Alembic migrations of the service schema (packaged so ``integrity serve`` can upgrade at start-up)."""
