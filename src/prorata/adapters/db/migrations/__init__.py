"""Alembic migrations; a package so that env.py ships in wheels (Database.migrate runs them)."""
