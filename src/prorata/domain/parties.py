"""Pure rules about parties (SPEC P3, P5, P6, P7): company names, registration numbers,
delegated reseller settings and order attributes. No storage here: the services load what
these functions need and store what they decide, so the rules are tested without a database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prorata.domain.errors import InvalidInput

FORBIDDEN_CHARACTER = "forbidden_character"
NAME_EMPTY_AFTER_RULES = "name_empty_after_rules"
ATTRIBUTE_REQUIRED = "attribute_required"
ATTRIBUTE_NOT_ALLOWED = "attribute_not_allowed"
UNKNOWN_ATTRIBUTE = "unknown_attribute"

# --- P5: company names ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameRules:
    """The operator's lists. TLDs are kept without their leading dot, lower-cased."""

    forbidden_characters: tuple[str, ...] = ()
    forbidden_abbreviations: tuple[str, ...] = ()
    forbidden_tlds: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> NameRules:
        raw = raw or {}
        return cls(tuple(raw.get("forbidden_characters") or ()),
                   tuple(raw.get("forbidden_abbreviations") or ()),
                   tuple(raw.get("forbidden_tlds") or ()))

    def to_json(self) -> dict[str, list[str]]:
        return {"forbidden_characters": list(self.forbidden_characters),
                "forbidden_abbreviations": list(self.forbidden_abbreviations),
                "forbidden_tlds": list(self.forbidden_tlds)}


def normalise_tld(tld: str) -> str:
    return tld.strip().lstrip(".").casefold()


def _whole_word(word: str) -> re.Pattern[str]:
    # Lookarounds instead of \b: an abbreviation may itself end in punctuation ("L.L.C.").
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def check_company_name(name: str, rules: NameRules, param: str = "name") -> None:
    """SPEC P5. A forbidden character refuses the name outright; otherwise forbidden
    abbreviations (whole words, case-insensitive) and TLDs (".com" suffixes or the word "com")
    are removed, then spaces and punctuation: if nothing is left, the name is refused. Both
    errors name the offending part, so the person typing knows what to change."""
    for ch in rules.forbidden_characters:
        if ch and ch in name:
            raise InvalidInput(FORBIDDEN_CHARACTER,
                               f"the name contains the forbidden character {ch!r}", param)
    rest, removed = name, []
    for word in (*rules.forbidden_abbreviations, *(normalise_tld(t) for t in rules.forbidden_tlds)):
        if not word:
            continue
        pattern = _whole_word(word)
        found = pattern.findall(rest)
        if found:
            removed.extend(found)
            rest = pattern.sub(" ", rest)
    if not re.sub(r"[\W_]+", "", rest):
        parts = ", ".join(repr(p) for p in dict.fromkeys(removed)) or "nothing but punctuation"
        raise InvalidInput(NAME_EMPTY_AFTER_RULES,
                           f"the name {name!r} is empty once forbidden abbreviations, TLDs, "
                           f"spaces and punctuation are removed (removed: {parts})", param)


# --- P6: registration numbers and restriction lists -------------------------------------------


def normalise_inn(inn: str | None) -> str | None:
    """Registration numbers compare without spaces and case ("de 123" is "DE123")."""
    if inn is None:
        return None
    return re.sub(r"\s+", "", inn).upper() or None


@dataclass(frozen=True, slots=True)
class Restriction:
    id: str
    inn: str
    products: tuple[str, ...] = ()  # empty: every product


def is_restricted(inns: Iterable[str | None], product: str,
                  restrictions: Iterable[Restriction]) -> bool:
    """SPEC P6: the customer's or any ancestor reseller's INN is listed, for all products or
    for this one."""
    wanted = {normalise_inn(i) for i in inns} - {None}
    return any(r.inn in wanted and (not r.products or product in r.products)
               for r in restrictions)


# --- P3: settings a reseller delegates to its subtree ----------------------------------------

DELEGATED = ("stop_requires_approval_groups", "grace_period_days", "recommendation_priorities")


@dataclass(frozen=True, slots=True)
class Effective:
    """Per setting: its value and the reseller that set it (None: nobody, the plan decides)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)


def effective_settings(chain: Sequence[tuple[str, Mapping[str, Any] | None]]) -> Effective:
    """`chain` is (reseller id, its own settings) from the top of the tree down. The topmost
    reseller that sets a key decides it for everything below (P3); the approval groups are the
    union of every level's, since each level asks for approval for its own reasons."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for reseller, own in chain:
        for key, value in (own or {}).items():
            if key not in DELEGATED or value is None:
                continue
            if key == "stop_requires_approval_groups" and key in values:
                values[key] = sorted(set(values[key]) | set(value))
            elif key not in values:
                values[key], sources[key] = value, reseller
    return Effective(values, sources)


def delegated_conflict(ancestors: Sequence[tuple[str, Mapping[str, Any] | None]],
                       wanted: Mapping[str, Any]) -> str | None:
    """The first setting in `wanted` that an ancestor already set: read-only below it (P3)."""
    above = effective_settings(ancestors)
    for key, value in wanted.items():
        if value is not None and key in above.values:
            return key
    return None


# --- P7: order attributes by audience --------------------------------------------------------


def check_order_attributes(defined: Sequence[Mapping[str, Any]], given: Mapping[str, Any],
                           is_manager: bool) -> None:
    """SPEC P7. A manager's order must carry every required manager/both attribute; a
    customer's must carry the required customer/both ones and must not carry manager-only ones.
    Unknown attributes are refused: a typo must not be stored silently and sent to a vendor."""
    by_id = {a["id"]: a for a in defined}
    for key in given:
        attr = by_id.get(key)
        if attr is None:
            raise InvalidInput(UNKNOWN_ATTRIBUTE, f"the product has no attribute {key!r}",
                               f"attributes.{key}")
        if not is_manager and attr.get("audience") == "manager":
            raise InvalidInput(ATTRIBUTE_NOT_ALLOWED,
                               f"{attr.get('name') or key} is given by managers only",
                               f"attributes.{key}")
    asked = ("manager", "both") if is_manager else ("customer", "both")
    for attr in defined:
        if attr.get("required") and attr.get("audience", "both") in asked \
                and attr["id"] not in given:
            raise InvalidInput(ATTRIBUTE_REQUIRED,
                               f"{attr.get('name') or attr['id']} is required",
                               f"attributes.{attr['id']}")


def customer_visible(defined: Sequence[Mapping[str, Any]],
                     given: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC P7 seen from the customer: the attributes it may give itself (customer or both),
    never the manager-only ones. An attribute the product no longer lists is hidden too: its
    audience is unknown, and a customer loses nothing it entered (it could not enter it)."""
    audience = {a["id"]: a.get("audience", "both") for a in defined}
    return {k: v for k, v in given.items() if audience.get(k) in ("customer", "both")}
