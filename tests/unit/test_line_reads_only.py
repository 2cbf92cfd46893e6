"""Every read of the charge lines goes through adapters/db/line_reads.py (docs/DESIGN.md,
"Reads of the charge lines"): a ledger that stores some lines elsewhere must change one module,
and a reader added elsewhere would silently miss those lines. Checked on the package's syntax
trees: outside line_reads.py, the schema and the migrations, the table may only be the first
argument of an insert (the two writers)."""

from __future__ import annotations

import ast
from pathlib import Path

import prorata

PACKAGE = Path(prorata.__file__).parent
READER = PACKAGE / "adapters" / "db" / "line_reads.py"
SCHEMA = PACKAGE / "adapters" / "db" / "schema.py"
MIGRATIONS = PACKAGE / "adapters" / "db" / "migrations"


def _inserted(tree: ast.AST) -> set[int]:
    """ids of the `charge_lines` names that are the table of an `_insert…(table, …)` call."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.startswith("_insert"):
                found.add(id(node.args[0]))
    return found


def readers(source: str) -> list[int]:
    """Line numbers where `source` uses the `charge_lines` table other than to insert."""
    tree = ast.parse(source)
    inserted = _inserted(tree)
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "charge_lines"
            and id(node) not in inserted]


def test_only_line_reads_reads_the_charge_lines() -> None:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if path in (READER, SCHEMA) or MIGRATIONS in path.parents:
            continue
        lines = readers(path.read_text())
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert found == {}, f"charge_lines read outside line_reads.py: {found}"


def test_the_check_finds_a_read_and_lets_an_insert_pass() -> None:
    """The check itself can fail: a select of the table is found, the writers' inserts are
    not, and the name in a string (the list API's kind) is no use of the table."""
    read = "from s import charge_lines\nq = select(charge_lines).where(x)\n"
    write = "self._insert_unique(charge_lines, rows, 'charge line')\n" \
            "self._insert(charge_lines, COLUMNS, rows, '')\nkind = 'charge_lines'\n"
    assert readers(read) == [2]
    assert readers(write) == []
    assert readers(read + write) == [2]
