"""E-mail addresses of customers and resellers (API.md: optional `email`), where their
notifications are mailed (SPEC R2). Checked for shape only: one local part, one domain with a
dot-free or dotted name, no spaces or control characters, so that it is a valid SMTP envelope
address and a header that cannot be split. Whether mail arrives is the mail server's answer."""

from __future__ import annotations

import re
from typing import Any

from prorata.domain.errors import InvalidInput

MAX_EMAIL = 320
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})$")


def check_email(value: Any, param: str = "email") -> str | None:
    """None (no address) or a well-formed one, trimmed."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_EMAIL:
        raise InvalidInput("invalid_email", f"{param} must be an e-mail address", param)
    address = value.strip()
    if not _ADDRESS.match(address) or ".." in address or address.endswith((".", "-")) \
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in address):
        raise InvalidInput("invalid_email", f"{param} must be an e-mail address like "
                           "name@example.com", param)
    return address
