"""Finding the installed gateways through their entry points (SPEC B3)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points

from prorata.adapters.payments import GROUP, Gateway

log = logging.getLogger(__name__)


class Gateways:
    """The gateways of one installation, by name (the entry point's name)."""

    def __init__(self, gateways: Mapping[str, Gateway]) -> None:
        self._gateways = dict(sorted(gateways.items()))

    @classmethod
    def load(cls, config: Mapping[str, str]) -> Gateways:
        """Every plugin of the group, each built with `config`. A plugin that fails to load is
        logged and left out: one broken package must not take the others down."""
        found: dict[str, Gateway] = {}
        for point in entry_points(group=GROUP):
            try:
                factory = point.load()
                gateway = factory(config)
            except Exception:
                log.exception("payment gateway %r failed to load", point.name)
                continue
            if not isinstance(gateway, Gateway):
                log.error("payment gateway %r is not a prorata Gateway", point.name)
                continue
            found.setdefault(point.name, gateway)
        return cls(found)

    def get(self, name: str) -> Gateway | None:
        return self._gateways.get(name)

    def __iter__(self) -> Iterator[tuple[str, Gateway]]:
        return iter(self._gateways.items())
