"""Pure party rules: company names (SPEC P5), restriction lists (P6), delegated settings (P3)
and order attributes by audience (P7)."""

from __future__ import annotations

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.parties import (
    NameRules,
    Restriction,
    check_company_name,
    check_order_attributes,
    delegated_conflict,
    effective_settings,
    is_restricted,
    normalise_inn,
)

RULES = NameRules(forbidden_characters=("@", "#"), forbidden_abbreviations=("LLC", "ООО", "Inc"),
                  forbidden_tlds=("com", "ru"))


@pytest.mark.parametrize("name", ["Acme LLC", "ООО Ромашка", "acme.com", "Inc. Corp", "LLCX",
                                  "Rucom", "Müller GmbH"])
def test_names_that_keep_something_pass(name: str) -> None:
    check_company_name(name, RULES)  # SPEC P5


@pytest.mark.parametrize(("name", "part"), [("Acme@Home", "'@'"), ("#1", "'#'")])
def test_forbidden_character_is_named(name: str, part: str) -> None:
    # SPEC P5: a forbidden character refuses the name; the error names it
    with pytest.raises(InvalidInput) as err:
        check_company_name(name, RULES)
    assert (err.value.code, err.value.param) == ("forbidden_character", "name")
    assert part in err.value.message


@pytest.mark.parametrize(("name", "parts"), [
    ("LLC", ["'LLC'"]), ("llc .com", ["'llc'", "'com'"]), ("ооо", ["'ооо'"]),
    ("Inc., LLC!", ["'Inc'", "'LLC'"]), ("...", []), ("RU", ["'RU'"]),
])
def test_empty_after_rules_names_the_removed_parts(name: str, parts: list[str]) -> None:
    # SPEC P5: empty once abbreviations (whole words, any case), TLDs, spaces and punctuation go
    with pytest.raises(InvalidInput) as err:
        check_company_name(name, RULES)
    assert (err.value.code, err.value.param) == ("name_empty_after_rules", "name")
    for part in parts:
        assert part in err.value.message


def test_no_rules_refuse_only_punctuation() -> None:
    check_company_name("LLC", NameRules())
    with pytest.raises(InvalidInput):
        check_company_name("-- . --", NameRules())


def test_rules_round_trip_through_json() -> None:
    assert NameRules.from_json(RULES.to_json()) == RULES
    assert NameRules.from_json(None) == NameRules()


def test_restrictions_match_own_or_ancestor_inn_for_all_or_listed_products() -> None:
    # SPEC P6
    listed = [Restriction("r1", "7701", ()), Restriction("r2", "DE99", ("m365",))]
    assert is_restricted(["7701"], "anything", listed)
    assert is_restricted([None, "de 99"], "m365", listed)
    assert not is_restricted(["DE99"], "hosting", listed)
    assert not is_restricted([None, "1234"], "m365", listed)
    assert normalise_inn(" de 12 3 ") == "DE123" and normalise_inn("  ") is None


def test_topmost_setting_wins_and_groups_add_up() -> None:
    # SPEC P3: what a reseller sets applies to its whole subtree
    chain = [("top", {"grace_period_days": 5, "stop_requires_approval_groups": ["vip"]}),
             ("mid", {"grace_period_days": 9, "recommendation_priorities": {"gold": 1},
                      "stop_requires_approval_groups": ["gov"]}),
             ("low", {})]
    eff = effective_settings(chain)
    assert eff.get("grace_period_days") == 5 and eff.sources["grace_period_days"] == "top"
    assert eff.get("stop_requires_approval_groups") == ["gov", "vip"]
    assert eff.sources["recommendation_priorities"] == "mid"
    assert delegated_conflict(chain[:2], {"grace_period_days": 1}) == "grace_period_days"
    assert delegated_conflict(chain[:1], {"recommendation_priorities": {}}) is None


ATTRS = [{"id": "domain", "name": "Domain", "audience": "customer", "required": True},
         {"id": "tenant", "name": "Tenant", "audience": "manager", "required": True},
         {"id": "note", "name": "Note", "audience": "both", "required": False},
         {"id": "po", "name": "PO", "audience": "both", "required": True}]


def test_manager_order_needs_manager_and_both_attributes() -> None:
    # SPEC P7
    check_order_attributes(ATTRS, {"tenant": "t", "po": "1"}, is_manager=True)
    with pytest.raises(InvalidInput) as err:
        check_order_attributes(ATTRS, {"po": "1"}, is_manager=True)
    assert (err.value.code, err.value.param) == ("attribute_required", "attributes.tenant")


def test_customer_order_needs_customer_attributes_and_not_manager_ones() -> None:
    # SPEC P7
    check_order_attributes(ATTRS, {"domain": "a.com", "po": "1", "note": "x"}, is_manager=False)
    with pytest.raises(InvalidInput) as err:
        check_order_attributes(ATTRS, {"domain": "a", "po": "1", "tenant": "t"},
                               is_manager=False)
    assert (err.value.code, err.value.param) == ("attribute_not_allowed", "attributes.tenant")
    with pytest.raises(InvalidInput) as err:
        check_order_attributes(ATTRS, {"po": "1"}, is_manager=False)
    assert err.value.code == "attribute_required"


def test_unknown_attribute_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        check_order_attributes(ATTRS, {"tenant": "t", "po": "1", "colour": "red"}, True)
    assert (err.value.code, err.value.param) == ("unknown_attribute", "attributes.colour")
