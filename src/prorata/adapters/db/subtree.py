"""The subtree test of tenant scope (SPEC P2) on the stored reseller path.

A `LIKE 'prefix%'` test is not exact everywhere: SQLite's LIKE folds ASCII case, so reseller
`NORTHWIND` once read all of `northwind`. A subtree is instead the byte range
`[path, path with its final "/" replaced by "0")`: paths are ASCII (ids percent-encoded) and
end in "/", and "0" is the byte after "/", so exactly the paths starting with `path` fall in
it. SQLite's default BINARY collation compares bytes; on PostgreSQL the byte-wise operators
`~>=~`/`~<~` do (plain `<` follows the database locale), and they are the ones the
`text_pattern_ops` index on the path serves, so the range stays an index scan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_


def subtree_upper(path: str) -> str:
    """The first path past `path`'s subtree (`path` ends with "/")."""
    if not path.endswith("/"):
        raise ValueError(f"a subtree path ends with '/': {path!r}")
    return path[:-1] + chr(ord("/") + 1)


def in_subtree(dialect: str, column: Any, path: str) -> ColumnElement[bool]:
    upper = subtree_upper(path)
    if dialect == "postgresql":
        return and_(column.op("~>=~", is_comparison=True)(path),
                    column.op("~<~", is_comparison=True)(upper))
    return and_(column >= path, column < upper)
