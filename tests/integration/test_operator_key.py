"""Issue 7: without PRORATA_OPERATOR_KEY the operator key is generated once, stored as a hash,
shown once; a restart keeps it and shows nothing; revoking it makes the next start issue a
new one. With the variable set (or --demo) nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from prorata.adapters.db.schema import api_keys
from prorata.api.deps import KeyResolver
from prorata.cli import DEMO_OPERATOR_KEY, _operator_key
from prorata.services.access import scope_of
from prorata.services.operator_key import ensure_operator_key
from prorata.services.ports import OPERATOR


def _scope(database, secret):
    with database.uow(read_only=True) as uow:
        return KeyResolver("").resolve_scope(uow, secret)


def test_generated_once_stored_as_hash_and_kept_across_restarts(database):
    # issue 7: never changing silently; the database never holds the secret.
    secret = ensure_operator_key(database)
    assert secret is not None and secret.startswith("prk_")
    assert ensure_operator_key(database) is None  # a restart: same key, nothing shown
    assert _scope(database, secret) == OPERATOR
    with database.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(api_keys)).all()
    assert [(r.id, r.party_kind) for r in rows] == [("operator", "operator")]
    assert secret not in {rows[0].secret_hash} and len(rows[0].secret_hash) == 64


def test_revoking_it_makes_the_next_start_issue_a_new_one(database):
    first = ensure_operator_key(database)
    with database.uow() as uow:
        uow.revoke_api_key("operator")
        uow.commit()
    second = ensure_operator_key(database)
    assert second is not None and second != first
    with database.uow(read_only=True) as uow:
        assert uow.get_api_key("operator-2")["revoked"] is False
        assert scope_of(uow, first, datetime.now(UTC)) is None
    assert _scope(database, second) == OPERATOR


def test_environment_and_demo_keys_store_nothing(database, monkeypatch, capsys):
    monkeypatch.setenv("PRORATA_OPERATOR_KEY", "from-the-environment")
    assert _operator_key(False, database) == "from-the-environment"
    assert "from-the-environment" not in capsys.readouterr().out  # never printed
    monkeypatch.delenv("PRORATA_OPERATOR_KEY")
    assert _operator_key(True, database) == DEMO_OPERATOR_KEY
    with database.uow(read_only=True) as uow:
        assert uow.connection.execute(select(api_keys)).all() == []
    assert _operator_key(False, database) == ""  # the stored one from now on
    shown = capsys.readouterr().out
    assert "shown this once" in shown
    assert _operator_key(False, database) == ""
    assert "shown this once" not in capsys.readouterr().out
