"""Finding connectors (SPEC V1): the built-ins plus every class registered in the
`prorata.connectors` entry-point group, so a vendor ships its connector as its own package."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.vendors.builtin import Instant, Simulated
from prorata.vendors.sdk import Connector, SettingsError

GROUP = "prorata.connectors"
BUILTIN: dict[str, type[Connector]] = {"instant": Instant, "simulated": Simulated}
# Prorata's own setting, accepted for every connector and not handed to it (V4).
TIMEOUT_SETTING = "vendor_timeout_hours"
DEFAULT_TIMEOUT_HOURS = 72
MAX_TIMEOUT_HOURS = 24 * 365
log = logging.getLogger("prorata.vendors")


@lru_cache(maxsize=1)
def installed() -> dict[str, Any]:
    """Name -> class or entry point (loaded when first used: a broken plugin must not break
    the others). Built-ins win over a plugin of the same name."""
    found: dict[str, Any] = {ep.name: ep for ep in entry_points(group=GROUP)}
    return found | BUILTIN


def connector_class(name: str) -> type[Connector] | None:
    target = installed().get(name)
    if target is None or isinstance(target, type):
        return target
    try:
        loaded = target.load()
    except Exception:  # a broken plugin is an unknown connector, not a crash
        log.exception("connector %s could not be loaded", name)
        return None
    return loaded if isinstance(loaded, type) else None


def list_connectors() -> list[dict[str, Any]]:
    out = []
    for name in sorted(installed()):
        cls = connector_class(name)
        if cls is not None:
            out.append({"name": name, "description": getattr(cls, "description", "") or ""})
    return out


def split_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The connector's own settings, and the time limit Prorata keeps for it."""
    own = dict(settings)
    hours = own.pop(TIMEOUT_SETTING, DEFAULT_TIMEOUT_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int) or \
            not 1 <= hours <= MAX_TIMEOUT_HOURS:
        raise SettingsError(f"{TIMEOUT_SETTING} must be a whole number of hours from 1 to "
                            f"{MAX_TIMEOUT_HOURS}")
    return own, hours


def build(name: str, settings: dict[str, Any]) -> Connector:
    """A ready connector; `SettingsError` if its settings are refused, LookupError if unknown."""
    cls = connector_class(name)
    if cls is None:
        raise LookupError(name)
    own, _ = split_settings(settings)
    try:
        return cls(own)
    except SettingsError:
        raise
    except Exception as exc:  # a constructor that breaks on odd input refuses it
        raise SettingsError(f"{type(exc).__name__}: {exc}") from exc


def check(name: str, settings: Any) -> dict[str, Any]:
    """POST /v1/products: 400 `unknown_connector` or `invalid_connector_settings`."""
    if connector_class(name) is None:
        raise InvalidInput("unknown_connector", f"no connector named {name!r} is installed "
                           "(GET /v1/connectors)", "vendor")
    if not isinstance(settings, dict):
        raise InvalidInput("invalid_connector_settings", "settings must be an object",
                           "vendor.settings")
    try:
        build(name, settings)
    except SettingsError as exc:
        raise InvalidInput("invalid_connector_settings", str(exc), "vendor.settings") from exc
    return settings
