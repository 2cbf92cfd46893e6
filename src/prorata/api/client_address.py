"""The client's address, for login throttling (docs/design/security.md, "Client address").

Behind a reverse proxy the socket peer is the proxy, so every client would share one
address. `X-Forwarded-For` names the client, but anyone can send that header: it is believed
only from peers the deployment trusts (`PRORATA_TRUSTED_PROXIES`, default none). This is the
one place that decides: `prorata serve` runs uvicorn with its own proxy handling off, so a
header from an untrusted peer never changes `request.client`.

From a trusted peer the address is the right-most X-Forwarded-For entry that is not itself a
trusted proxy: every trusted hop appended the address it saw, so that entry is the last one a
trusted proxy vouches for; entries left of it were written by the client and may be forged."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_trusted(raw: str) -> tuple[Network, ...]:
    """"10.0.0.1, 10.1.0.0/16, ::1" → networks; raises ValueError naming a bad entry."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or CIDR: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(text: str, networks: Iterable[Network]) -> bool:
    address = _address(text)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in networks)


def client_address(request: Request) -> str:
    """The socket peer, or, when that peer is a trusted proxy, the client it forwards for."""
    peer = request.client.host if request.client else UNKNOWN
    networks: tuple[Network, ...] = getattr(request.app.state, "trusted_proxies", ())
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            # A trusted proxy wrote this entry; one that is not an address is a broken
            # proxy, not a client: fall back to the peer rather than key on free text.
            address = _address(hop)
            return str(address) if address is not None else peer
    return hops[0] if hops else peer  # every hop trusted: the client is one of them
