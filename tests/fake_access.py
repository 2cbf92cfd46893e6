"""The access part of the fake unit of work (API keys, users, sessions, restriction lists),
kept apart like adapters/db/access.py is from the rest of the SQL adapter. It relies on the
table plumbing of `FakeUnitOfWork` (tests/fakes.py), which mixes it in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prorata.domain.parties import Restriction
from prorata.services.ports import DuplicateKey, Page


class FakeAccess:
    """Mixed into FakeUnitOfWork; `_insert`, `_rows`, `_get`, `_put`, `_items` come from it."""

    _insert: Any
    _rows: Any
    _get: Any
    _put: Any
    _items: Any
    _open: Any


    def add_api_key(self, key_id: str, party_kind: str, party_id: str, secret_hash: str) -> None:
        if any(k["secret_hash"] == secret_hash for k in self._rows("api_keys")):
            raise DuplicateKey("API key already exists")
        self._insert("api_keys", key_id, {"id": key_id, "party_kind": party_kind,
                                          "party_id": party_id, "secret_hash": secret_hash,
                                          "revoked": False}, f"API key {key_id!r}")

    def get_api_key(self, key_id: str) -> dict[str, Any] | None:
        row = self._get("api_keys", key_id)
        return None if row is None else {k: v for k, v in row.items() if k != "secret_hash"}

    def find_api_key(self, secret_hash: str) -> dict[str, Any] | None:
        for row in self._rows("api_keys"):
            if row["secret_hash"] == secret_hash and not row["revoked"]:
                return {k: v for k, v in row.items() if k != "secret_hash"}
        return None

    def revoke_api_key(self, key_id: str) -> None:
        row = self._get("api_keys", key_id)
        if row is not None:
            self._put("api_keys", key_id, {**row, "revoked": True})

    def add_user(self, user_id: str, email: str, password_hash: str, party_kind: str,
                 party_id: str) -> None:
        if any(u["party_kind"] == party_kind and u["party_id"] == party_id
               for u in self.find_users(email)):
            raise DuplicateKey(f"user {email!r} already exists")
        self._insert("users", user_id, {"id": user_id, "email": email,
                                        "password_hash": password_hash,
                                        "party_kind": party_kind, "party_id": party_id},
                     f"user {user_id!r}")

    def find_users(self, email: str) -> list[dict[str, Any]]:
        return sorted((u for u in self._rows("users") if u["email"] == email),
                      key=lambda u: (u["party_kind"], u["party_id"]))

    def add_session(self, session_id: str, user_id: str, token_hash: str,
                    expires_at: datetime) -> None:
        if self._get("users", user_id) is None:
            raise LookupError("session refers to a row that does not exist")
        self._insert("sessions", token_hash, {"id": session_id, "user_id": user_id,
                                              "expires_at": expires_at}, "session")

    def find_session(self, token_hash: str, now: datetime) -> dict[str, Any] | None:
        row = self._get("sessions", token_hash)
        if row is None or row.get("deleted") or row["expires_at"] <= now:
            return None
        user = self._get("users", row["user_id"])
        return None if user is None else {"party_kind": user["party_kind"],
                                          "party_id": user["party_id"]}

    def find_caller(self, secret_hash: str, now: datetime) -> dict[str, Any] | None:
        found = self.find_api_key(secret_hash) or self.find_session(secret_hash, now)
        if found is None:
            return None
        kind, party = found["party_kind"], found["party_id"]
        if kind == "reseller":
            exists = self._get("resellers", party) is not None
        else:
            exists = kind == "operator" or (kind == "customer"
                                            and self._get("customers", party) is not None)
        return {"party_kind": kind, "party_id": party} if exists else None

    def delete_session(self, token_hash: str) -> None:
        row = self._get("sessions", token_hash)
        if row is not None:  # a tombstone: the fake merges dicts, it cannot remove a key
            self._put("sessions", token_hash, {**row, "deleted": True})

    def add_restriction(self, restriction: Restriction) -> None:
        if self.get_restriction(restriction.id) is not None:
            raise DuplicateKey(f"restriction {restriction.id!r} already exists")
        self._put("restrictions", restriction.id, {"obj": restriction, "deleted": False})

    def _live_restrictions(self) -> list[Restriction]:
        return [r["obj"] for r in self._rows("restrictions") if not r["deleted"]]

    def get_restriction(self, restriction_id: str) -> Restriction | None:
        return next((r for r in self._live_restrictions() if r.id == restriction_id), None)

    def delete_restriction(self, restriction_id: str) -> None:
        found = self.get_restriction(restriction_id)
        if found is not None:
            self._put("restrictions", restriction_id, {"obj": found, "deleted": True})

    def list_restrictions(self, limit: int, starting_after: str | None) -> Page:
        rows = sorted((r for r in self._live_restrictions()
                       if starting_after is None or r.id > starting_after), key=lambda r: r.id)
        return Page(rows[:limit], len(rows) > limit)

    def restrictions_for(self, inns: list[str]) -> list[Restriction]:
        return [r for r in self._live_restrictions() if r.inn in inns]

    def add_login_failure(self, failure_id: str, email: str, client: str,
                          at: datetime) -> None:
        self._insert("login_failures", failure_id, {"email": email, "client": client, "at": at},
                     f"login failure {failure_id!r}")

    def login_failures_since(self, email: str | None, client: str | None, since: datetime,
                             newest: int) -> tuple[int, list[datetime]]:
        times = sorted((r["at"] for r in self._rows("login_failures")
                        if r["at"] >= since and email in (None, r["email"])
                        and client in (None, r["client"])), reverse=True)
        return len(times), times[:newest]
