"""Where webhooks may be sent (API.md: `url` is http or https; receivers on loopback are
allowed; the operator may block private ranges).

A URL is checked when an endpoint is saved — scheme, host, port, and that the host resolves
(a name that resolves nowhere is refused as unreachable: the endpoint could never receive
anything) — and, when the operator blocks private networks, again before every delivery,
because a name may resolve elsewhere later. Whether the receiver answers is not checked on
save: a receiver that is down for a while is what retries are for."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from typing import Any
from urllib.parse import urlsplit

from prorata.domain.errors import InvalidInput

MAX_URL = 2048
RESOLVE_TIMEOUT = 3.0
Resolver = Callable[[str, int], list[str]]
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="prorata-resolve")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _invalid(message: str) -> InvalidInput:
    return InvalidInput("invalid_url", message, "url")


def parse_url(raw: Any) -> tuple[str, str, int]:
    """(url, host, port) of a well-formed http(s) URL, or 400 `invalid_url`."""
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("url must be an http or https URL")
    url = raw.strip()
    if len(url) > MAX_URL or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise _invalid(f"url must be at most {MAX_URL} characters, without spaces or control "
                       "characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise _invalid("url must use http or https")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise _invalid("url has an invalid port") from None
    if not host:
        raise _invalid("url must name a host")
    return url, host, port or (443 if parts.scheme.lower() == "https" else 80)


def addresses(host: str, port: int, resolver: Resolver = system_resolver,
              timeout: float = RESOLVE_TIMEOUT) -> list[str] | None:
    """The host's addresses; None when it does not resolve (in time)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = _POOL.submit(resolver, host, port).result(timeout=timeout)
    except (OSError, UnicodeError, ResolveTimeout):
        return None
    return found or None


def refusal(ips: list[str], block_private: bool) -> str | None:
    """Why a receiver at these addresses may not be called, if it may not."""
    for raw in ips:
        ip = ipaddress.ip_address(raw.split("%")[0])
        if ip.is_unspecified or ip.is_multicast:
            return f"{ip} is not a receiver's address"
        if block_private and not ip.is_global:
            return f"{ip} is a private, loopback or reserved address, which the operator blocks"
    return None


def check_url(raw: Any, *, block_private: bool, resolver: Resolver = system_resolver) -> str:
    """The URL to store, or 400 `invalid_url` / `url_unreachable` / `url_not_allowed`."""
    url, host, port = parse_url(raw)
    ips = addresses(host, port, resolver)
    if ips is None:
        raise InvalidInput("url_unreachable", f"the host {host!r} cannot be resolved", "url")
    reason = refusal(ips, block_private)
    if reason is not None:
        raise InvalidInput("url_not_allowed", f"url: {reason}", "url")
    return url


def delivery_refusal(url: str, block_private: bool,
                     resolver: Resolver = system_resolver) -> str | None:
    """Before a delivery: why it may not go to `url` now (None: it may)."""
    if not block_private:
        return None
    try:
        _, host, port = parse_url(url)
    except InvalidInput as exc:
        return exc.message
    ips = addresses(host, port, resolver)
    if ips is None:
        return None  # unresolvable: the request fails on its own and is retried
    return refusal(ips, block_private)
