"""Migration 0017 (users unique per e-mail and party, issue 6) on both databases, from 0016
with users and sessions in it: nobody loses an account or a session (SQLite copies the table,
and the copy's DROP would cascade to sessions), the same e-mail may then hold accounts in
several parties, and it comes off again only when no e-mail has several."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from prorata.adapters.db import Database
from prorata.services.ports import DuplicateKey
from tests.integration.test_db_migrations import _diff

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _seed_0016(db: Database) -> None:
    with db.engine.begin() as conn:
        for uid, email, kind, party in (("u1", "ann@ex.io", "customer", "acme"),
                                        ("u2", "bob@ex.io", "reseller", "nw")):
            conn.execute(text(
                "INSERT INTO users (id, email, password_hash, party_kind, party_id, created_at) "
                "VALUES (:id, :email, 'h', :kind, :party, :now)"),
                {"id": uid, "email": email, "kind": kind, "party": party, "now": NOW})
        conn.execute(text(
            "INSERT INTO user_sessions (id, user_id, token_hash, expires_at, created_at) "
            "VALUES ('s1', 'u1', 't1', :exp, :now)"), {"exp": NOW + timedelta(hours=1), "now": NOW})


def test_0017_keeps_users_and_sessions_and_allows_an_email_per_party(
        database: Database) -> None:
    database.downgrade("0016")
    _seed_0016(database)
    with database.uow() as uow, pytest.raises(DuplicateKey):  # 0016: the e-mail is global
        uow.add_user("u3", "ann@ex.io", "h", "customer", "other")
    database.migrate()
    assert _diff(database) == []
    with database.uow() as uow:
        assert [u["id"] for u in uow.find_users("ann@ex.io")] == ["u1"]
        assert uow.find_session("t1", NOW) == {"party_kind": "customer", "party_id": "acme"}
        uow.add_user("u3", "ann@ex.io", "h", "customer", "other")
        uow.commit()
    with database.uow() as uow:
        assert [u["id"] for u in uow.find_users("ann@ex.io")] == ["u1", "u3"]
        with pytest.raises(DuplicateKey):  # one account per e-mail and party
            uow.add_user("u4", "ann@ex.io", "h", "customer", "acme")
    with pytest.raises(RuntimeError, match="several parties"):
        database.downgrade("0016")
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = 'u3'"))
    database.downgrade("0016")
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 1
    database.migrate()
    assert _diff(database) == []
