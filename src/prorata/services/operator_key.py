"""The operator's API key when none is configured (issue 7). A key generated at every start
changed silently on each restart and was printed into the logs each time; instead the first
start stores the hash of a generated key (like every other API key, P2) and shows the secret
once, and later starts find it there and show nothing. `PRORATA_OPERATOR_KEY` still wins, and
`--demo` keeps its well-known key."""

from __future__ import annotations

import secrets
from typing import Any

from prorata.services.access import KEY_PREFIX, hash_secret
from prorata.services.ports import DuplicateKey

OPERATOR_KEY_ID = "operator"


def ensure_operator_key(database: Any) -> str | None:
    """The new secret if this call created the stored operator key, else None (it exists,
    from an earlier start or a concurrent one). Revoking it (DELETE /v1/api-keys/operator)
    makes the next start create a new one; a revoked id is kept, so the new key gets a new
    id, and the same rule applies to it."""
    with database.uow() as uow:
        key_id = OPERATOR_KEY_ID
        n = 1
        while (found := uow.get_api_key(key_id)) is not None:
            if not found["revoked"]:
                return None
            n += 1
            key_id = f"{OPERATOR_KEY_ID}-{n}"
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            uow.add_api_key(key_id, "operator", "operator", hash_secret(secret))
            uow.commit()
        except DuplicateKey:  # another process started at the same moment and won
            return None
    return secret
