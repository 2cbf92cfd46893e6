"""The access half of the unit of work (SPEC P2, P6): API keys and user sessions, stored only
as hashes; users; restriction lists. Split from uow.py only to keep files short."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from prorata.adapters.db import prepared as q
from prorata.adapters.db.ledger import Ledger
from prorata.adapters.db.schema import (
    api_keys,
    restrictions,
    user_sessions,
    users,
)
from prorata.adapters.db.session import utcnow
from prorata.domain.parties import Restriction
from prorata.services.ports import Page


def _key(row: Any) -> dict[str, Any]:
    return {"id": row.id, "party_kind": row.party_kind, "party_id": row.party_id,
            "revoked": row.revoked_at is not None}


def _restriction(row: Any) -> Restriction:
    return Restriction(row.id, row.inn, tuple(row.products or ()))


class Access(Ledger):
    # --- API keys ---------------------------------------------------------------------------

    def add_api_key(self, key_id: str, party_kind: str, party_id: str, secret_hash: str) -> None:
        row = {"id": key_id, "party_kind": party_kind, "party_id": party_id,
               "secret_hash": secret_hash, "created_at": utcnow()}
        self._insert_unique(api_keys, [row], f"API key {key_id!r}")

    def get_api_key(self, key_id: str) -> dict[str, Any] | None:
        row = self.connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _key(row)

    def find_api_key(self, secret_hash: str) -> dict[str, Any] | None:
        """The live key with this hash; a revoked one is as good as none."""
        row = self.connection.execute(
            select(api_keys).where(api_keys.c.secret_hash == secret_hash,
                                   api_keys.c.revoked_at.is_(None))).first()
        return None if row is None else _key(row)

    def find_caller(self, secret_hash: str, now: datetime) -> dict[str, Any] | None:
        """The party of a live key or an unexpired session with this hash, if that party still
        exists: one indexed statement per request instead of three (key, party, the reseller's
        path; issue 13). Nothing is kept in memory between requests, so a revoked key, a
        logout or a removed party is refused on the very next request in every process. A
        reseller's path is kept for the rest of this unit of work (scoped reads need it)."""
        row = self.connection.execute(q.CALLER, {"hash": secret_hash, "now": now}).first()
        if row is None:
            return None
        kind, party = row.party_kind, row.party_id
        if kind == "reseller" and row.path is not None:
            self._remember_path(party, row.path)
        elif not (kind == "operator" or (kind == "customer" and row.customer is not None)):
            return None
        return {"party_kind": kind, "party_id": party}

    def _remember_path(self, reseller_id: str, path: str) -> None:
        """Overridden by the unit of work, which caches reseller paths."""

    def revoke_api_key(self, key_id: str) -> None:
        self.connection.execute(update(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=utcnow()))

    # --- users and sessions -----------------------------------------------------------------

    def add_user(self, user_id: str, email: str, password_hash: str, party_kind: str,
                 party_id: str) -> None:
        row = {"id": user_id, "email": email, "password_hash": password_hash,
               "party_kind": party_kind, "party_id": party_id, "created_at": utcnow()}
        self._insert_unique(users, [row], f"user {email!r}")

    def find_users(self, email: str) -> list[dict[str, Any]]:
        """Every account of this e-mail, one per party (0017), in a stable order."""
        rows = self.connection.execute(
            select(users).where(users.c.email == email)
            .order_by(users.c.party_kind, users.c.party_id)).all()
        return [{"id": r.id, "email": r.email, "password_hash": r.password_hash,
                 "party_kind": r.party_kind, "party_id": r.party_id} for r in rows]

    def add_session(self, session_id: str, user_id: str, token_hash: str,
                    expires_at: datetime) -> None:
        row = {"id": session_id, "user_id": user_id, "token_hash": token_hash,
               "expires_at": expires_at, "created_at": utcnow()}
        self._insert_unique(user_sessions, [row], "session")

    def find_session(self, token_hash: str, now: datetime) -> dict[str, Any] | None:
        """The party of the session's user, if the session exists and has not expired."""
        row = self.connection.execute(
            select(users.c.party_kind, users.c.party_id)
            .select_from(user_sessions.join(users, users.c.id == user_sessions.c.user_id))
            .where(user_sessions.c.token_hash == token_hash,
                   user_sessions.c.expires_at > now)).first()
        return None if row is None else {"party_kind": row.party_kind, "party_id": row.party_id}

    def delete_session(self, token_hash: str) -> None:
        self.connection.execute(delete(user_sessions).where(
            user_sessions.c.token_hash == token_hash))

    # --- restriction lists (P6) -------------------------------------------------------------

    def add_restriction(self, restriction: Restriction) -> None:
        row = {"id": restriction.id, "inn": restriction.inn,
               "products": list(restriction.products), "created_at": utcnow()}
        self._insert_unique(restrictions, [row], f"restriction {restriction.id!r}")

    def get_restriction(self, restriction_id: str) -> Restriction | None:
        row = self.connection.execute(
            select(restrictions).where(restrictions.c.id == restriction_id)).first()
        return None if row is None else _restriction(row)

    def delete_restriction(self, restriction_id: str) -> None:
        self.connection.execute(delete(restrictions).where(restrictions.c.id == restriction_id))

    def list_restrictions(self, limit: int, starting_after: str | None) -> Page:
        """By id: restrictions are few and have no order of their own."""
        query = select(restrictions).order_by(restrictions.c.id).limit(limit + 1)
        if starting_after is not None:
            query = query.where(restrictions.c.id > starting_after)
        rows = self.connection.execute(query).all()
        return Page([_restriction(r) for r in rows[:limit]], len(rows) > limit)

    def restrictions_for(self, inns: list[str]) -> list[Restriction]:
        if not inns:
            return []
        rows = self.connection.execute(
            select(restrictions).where(restrictions.c.inn.in_(sorted(set(inns))))).all()
        return [_restriction(r) for r in rows]
