"""Who is calling (SPEC P2): API keys, people's accounts and their sessions.

Secrets are shown once and stored only as hashes. API keys and session tokens are 256-bit
random strings, so a fast SHA-256 is the right hash for them (there is nothing to brute-force
and lookups stay one indexed query); passwords are chosen by people and get argon2."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from prorata.domain.errors import InvalidInput, PartyRequired, Unauthenticated
from prorata.services.inputs import (
    OutOfScope,
    ResourceExists,
    choose_id,
    missing,
    reference,
    scoped_id,
)
from prorata.services.ports import DuplicateKey, Scope, UnitOfWork

SESSION_HOURS = 12
KEY_PREFIX = "prk_"
SESSION_PREFIX = "prs_"
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def invalid_credentials() -> Unauthenticated:
    return Unauthenticated("invalid_credentials", "The e-mail or password is not correct")


def scope_of(uow: UnitOfWork, secret: str, now: datetime) -> Scope | None:
    """An API key or a session token → the caller's scope; None when neither is valid. The
    party must still exist: a key never outlives what it belongs to. Looked up afresh on every
    request (one statement): there is no cache that a revocation or a logout could miss."""
    found = uow.find_caller(hash_secret(secret), now)
    if found is None:
        return None
    kind, party = found["party_kind"], found["party_id"]
    return Scope("operator", "operator") if kind == "operator" else Scope(kind, party)


def _target(uow: UnitOfWork, scope: Scope, body: dict[str, Any]) -> Scope:
    """The party a new key or user belongs to: a reseller or customer in the caller's scope
    (the operator: anyone; a reseller: itself and its subtree; a customer: itself). Anything
    else is not found (P2). Neither given: the caller's own party."""
    reseller = reference(body, "reseller", "reseller")
    customer = reference(body, "customer", "customer")
    if reseller is not None and customer is not None:
        raise InvalidInput("invalid_request", "give reseller or customer, not both", "customer")
    if reseller is not None:
        if uow.get_reseller(scope, reseller) is None:
            raise missing("reseller", reseller, "reseller")
        return Scope("reseller", reseller)
    if customer is not None:
        if uow.get_customer(scope, customer) is None:
            raise missing("customer", customer, "customer")
        return Scope("customer", customer)
    return scope


def _owner_in_scope(uow: UnitOfWork, scope: Scope, kind: str, party: str) -> bool:
    if scope.kind == "operator":
        return True
    if kind == "reseller":
        return uow.get_reseller(scope, party) is not None
    if kind == "customer":
        return uow.get_customer(scope, party) is not None
    return False


def create_api_key(uow: UnitOfWork, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/api-keys. The secret is in this answer only; the database keeps its hash."""
    owner = _target(uow, scope, body)
    key_id = scoped_id(scope, body, "key")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    if uow.get_api_key(key_id) is not None:
        raise ResourceExists("API key", key_id)
    uow.add_api_key(key_id, owner.kind, owner.party, hash_secret(secret))
    return {"id": key_id, "object": "api_key", "secret": secret, **_owner_json(owner)}


def _owner_json(owner: Scope) -> dict[str, Any]:
    return {"reseller": owner.party if owner.kind == "reseller" else None,
            "customer": owner.party if owner.kind == "customer" else None}


def revoke_api_key(uow: UnitOfWork, scope: Scope, key_id: str) -> dict[str, Any]:
    """DELETE /v1/api-keys/{id}: a key of a party in the caller's scope; others are not found.
    Revoking twice answers the same (the key stays revoked)."""
    key = uow.get_api_key(key_id)
    if key is None or not _owner_in_scope(uow, scope, key["party_kind"], key["party_id"]):
        raise missing("API key", key_id, "id")
    uow.revoke_api_key(key_id)
    owner = Scope(key["party_kind"], key["party_id"])
    return {"id": key_id, "object": "api_key", "revoked": True, **_owner_json(owner)}


def _password(body: dict[str, Any]) -> str:
    value = body.get("password")
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput("invalid_password",
                           f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                           "password")
    return value


def _email(body: dict[str, Any]) -> str:
    value = body.get("email")
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.match(value.strip()):
        raise InvalidInput("invalid_email", "email must be an e-mail address", "email")
    return value.strip().lower()


def create_user(uow: UnitOfWork, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/users: a person who signs in to act for one party, created under the same
    scope rules as API keys. Accounts are unique per e-mail *and party*: the answer never
    depends on other parties' accounts; a second account of one party is 409 (that party is
    in the caller's scope)."""
    owner = _target(uow, scope, body)
    email, password = _email(body), _password(body)
    user_id = scoped_id(scope, body, "usr")
    if any(_party(u) == _party_of(owner) for u in uow.find_users(email)):
        raise ResourceExists("user", email, "email")
    try:
        uow.add_user(user_id, email, _hasher.hash(password), owner.kind, owner.party)
    except DuplicateKey:
        # the same party's account written meanwhile, or an operator-chosen id that is taken
        same = any(_party(u) == _party_of(owner) for u in uow.find_users(email))
        raise (ResourceExists("user", email, "email") if same
               else ResourceExists("user", user_id, "id")) from None
    return {"id": user_id, "object": "user", "email": email, **_owner_json(owner)}


def _party(user: dict[str, Any]) -> str:
    """The `party` a sign-in names: "operator", "reseller:<id>" or "customer:<id>"."""
    return _party_of(Scope(user["party_kind"], user["party_id"]))


def _party_of(owner: Scope) -> str:
    return "operator" if owner.kind == "operator" else f"{owner.kind}:{owner.party}"


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _choice(uow: UnitOfWork, user: dict[str, Any]) -> dict[str, Any]:
    """One organisation to pick at sign-in. Its name is no secret to this caller: they
    proved the account's password and could sign in to it and read it."""
    owner = Scope(user["party_kind"], user["party_id"])
    name = "Operator"
    if owner.kind == "reseller":
        found = uow.get_reseller(Scope("operator", "operator"), owner.party)
        name = found["name"] if found else owner.party
    elif owner.kind == "customer":
        customer = uow.get_customer(Scope("operator", "operator"), owner.party)
        name = customer.name if customer else owner.party
    return {"party": _party(user), "name": name, **_owner_json(owner)}


def login(uow: UnitOfWork, body: dict[str, Any], now: datetime) -> tuple[dict[str, Any], str]:
    """POST /v1/login → (answer, token). The password is verified against every account of
    the e-mail (one per party, few), so the time taken does not depend on which one matches;
    an unknown e-mail verifies a dummy hash. Unknown e-mail, wrong password and a `party`
    the password does not open all answer the same 401. Several accounts opened and no
    `party`: 400 `party_required` with the choices."""
    email, password, party = body.get("email"), body.get("password"), body.get("party")
    if not isinstance(email, str) or not isinstance(password, str) \
            or len(password) > MAX_PASSWORD or not isinstance(party, str | None):
        raise invalid_credentials()
    accounts = uow.find_users(email.strip().lower())
    opened = [u for u in accounts if _verifies(u["password_hash"], password)]
    if not accounts:
        _verifies(_DUMMY_HASH, password)
    if party is not None:
        opened = [u for u in opened if _party(u) == party]
    if not opened:
        raise invalid_credentials()
    if len(opened) > 1:
        raise PartyRequired([_choice(uow, u) for u in opened])
    user = opened[0]
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(hours=SESSION_HOURS)
    uow.add_session(choose_id({}, "ses"), user["id"], hash_secret(token), expires)
    owner = Scope(user["party_kind"], user["party_id"])
    answer = {"object": "session", "token": token, "expires_at": expires.isoformat(),
              "user": user["id"], **_owner_json(owner)}
    return answer, token


def logout(uow: UnitOfWork, token: str | None) -> dict[str, Any]:
    if token:
        uow.delete_session(hash_secret(token))
    return {"object": "session", "deleted": True}


__all__ = ["OutOfScope", "create_api_key", "create_user", "login", "logout", "revoke_api_key",
           "scope_of"]
