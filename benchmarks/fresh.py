"""A fresh database for one benchmark run: an emptied SQLite file in `tmp`, or a new
PostgreSQL database with a random name (the test fixtures' helper). Returns (url, name to drop
afterwards or None)."""

from __future__ import annotations

import sys
from pathlib import Path


def fresh_database(kind: str, tmp: Path, filename: str = "bench.db") -> tuple[str, str | None]:
    if kind == "sqlite":
        path = tmp / filename
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.dbfixtures import create_pg_database

    name, url = create_pg_database("prorata_bench")
    return url, name
