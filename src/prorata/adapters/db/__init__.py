"""The database adapter: SQLAlchemy Core tables, Alembic migrations and the unit of work."""

from prorata.adapters.db.database import Database, default_url, normalize_url
from prorata.adapters.db.uow import SqlUnitOfWork

__all__ = ["Database", "SqlUnitOfWork", "default_url", "normalize_url"]
