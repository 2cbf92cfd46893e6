"""§3 Catalog: plans, resources, display order, settings (C1-C8, build/patch from input)."""

from decimal import Decimal

import pytest

from prorata.domain.catalog import (
    BillingType,
    PlanSettings,
    RenewalMode,
    Resource,
    display_order,
    plan_to_dict,
)
from prorata.domain.errors import InvalidInput
from prorata.domain.plans import build_plan, patch_plan
from tests.unit.builders import make_plan, resource

D = Decimal


# --- C1 -------------------------------------------------------------------------------------

def test_plan_has_billing_type_currency_periods_resources_settings_targets():
    # SPEC C1
    plan = make_plan("long_term", periods=["P1Y", "P3Y"],
                     switch_to=[{"plan": "gold", "kind": "upgrade"}])
    assert plan.product == "m365"
    assert plan.billing_type is BillingType.LONG_TERM
    assert plan.currency == "USD"
    assert plan.periods == ("P1Y", "P3Y")
    assert [r.id for r in plan.resources] == ["seats"]
    assert plan.switch_target("gold").kind == "upgrade"
    assert plan.switch_target("silver") is None


@pytest.mark.parametrize("raw,code,param", [
    ({"billing_type": "weekly"}, "invalid_billing_type", "billing_type"),
    ({"currency": "usd"}, "invalid_currency", "currency"),
    ({"periods": ["P1X"]}, "invalid_period", "periods"),
    ({"periods": ["P1Y", "P1Y"]}, "invalid_period", "periods"),
    ({"billing_type": "long_term", "periods": []}, "invalid_period", "periods"),
    ({"switch_to": [{"plan": "basic", "kind": "upgrade"}]}, "invalid_switch_target",
     "switch_to[0]"),
    ({"switch_to": [{"plan": "x", "kind": "sideways"}]}, "invalid_switch_target",
     "switch_to[0]"),
    ({"name": ""}, "invalid_field", "name"),
])
def test_bad_plans_are_refused_naming_the_field(raw, code, param):
    # SPEC C1: a plan is checked once, when defined.
    base = {"name": "Basic", "billing_type": "monthly", "currency": "USD", "periods": ["P1Y"],
            "resources": [resource()]}
    with pytest.raises(InvalidInput) as err:
        build_plan({**base, **raw}, "m365", "basic")
    assert (err.value.code, err.value.param) == (code, param)


def test_monthly_and_payg_may_be_endless():
    # SPEC T2/C1: none = endless.
    assert make_plan("monthly", periods=None).endless
    assert make_plan("payg", periods=None, resources=[]).endless


# --- C2 -------------------------------------------------------------------------------------

def test_resource_fields_and_prices_per_period():
    # SPEC C2: price may be a map per period.
    plan = make_plan("long_term", periods=["P1Y", "P3Y"], resources=[
        resource("seats", {"P1Y": "60.00", "P3Y": "150.00"}, primary=True, priority=2,
                 included=1, unit="user", setup_price="5.00", erp_price="55.00")])
    seats = plan.resource("seats")
    assert seats.price_for("P1Y") == D("60.00")
    assert seats.price_for("P3Y") == D("150.00")
    assert (seats.unit, seats.priority, seats.included, seats.setup_price, seats.erp_price) == \
        ("user", 2, 1, D("5.00"), D("55.00"))
    with pytest.raises(InvalidInput) as err:
        seats.price_for("P1M")
    assert err.value.code == "period_not_offered"


def test_price_map_must_cover_every_period_and_only_offered_ones():
    # SPEC C2
    with pytest.raises(InvalidInput) as err:
        make_plan("long_term", periods=["P1Y", "P3Y"],
                  resources=[resource("seats", {"P1Y": "60.00"})])
    assert err.value.code == "invalid_field"
    with pytest.raises(InvalidInput) as err:
        make_plan("long_term", periods=["P1Y"],
                  resources=[resource("seats", {"P1Y": "1", "P1M": "1"})])
    assert err.value.code == "period_not_offered"


def test_at_most_one_primary_resource_and_unique_ids():
    # SPEC C2: `primary` (at most one per plan).
    with pytest.raises(InvalidInput) as err:
        make_plan(resources=[resource("a", primary=True), resource("b", primary=True)])
    assert err.value.code == "multiple_primary_resources"
    with pytest.raises(InvalidInput) as err:
        make_plan(resources=[resource("a"), resource("a")])
    assert err.value.code == "duplicate_resource"
    with pytest.raises(InvalidInput) as err:
        make_plan(resources=[resource("a", min=5, max=2)])
    assert err.value.param == "resources[0].max"


# --- C3 -------------------------------------------------------------------------------------

def test_cost_counts_only_the_amount_above_included():
    # SPEC C3: max(amount - included, 0) x price.
    res = Resource("disk", "Disk", included=10, min=0, max=100, price=D("2"))
    assert res.chargeable(25) == 15
    assert res.chargeable(10) == 0
    assert res.chargeable(3) == 0


@pytest.mark.parametrize("amount", [0, 301])
def test_amount_out_of_range_names_resource_and_range(amount):
    # SPEC C3: refused with amount_out_of_range, naming the resource and the range.
    plan = make_plan()
    with pytest.raises(InvalidInput) as err:
        plan.resource("seats").check_amount(amount)
    assert err.value.code == "amount_out_of_range"
    assert err.value.param == "resources[seats]"
    assert "Licenses" in err.value.message and "seats" in err.value.message
    assert "1..300" in err.value.message


def test_unbounded_resource_accepts_large_amounts():
    # SPEC C3: no max = unlimited.
    Resource("x", "X", min=0, max=None).check_amount(10**6)
    with pytest.raises(InvalidInput) as err:
        Resource("x", "X", min=2, max=None).check_amount(1)
    assert "unlimited" in err.value.message


# --- C4 -------------------------------------------------------------------------------------

def _res(name, **kw):
    return Resource(id=name, name=name, **kw)


def test_display_order_primary_first_then_priority_then_name():
    # SPEC C4
    resources = [_res("Zeta", priority=1), _res("Alpha", priority=2),
                 _res("Storage", priority=5, primary=True), _res("beta", priority=1)]
    assert [r.name for r in display_order(resources)] == ["Storage", "beta", "Zeta", "Alpha"]


def test_display_order_names_digits_then_latin_then_cyrillic_case_insensitive():
    # SPEC C4: digits, then Latin A-Z, then Cyrillic А-Я, case-insensitive.
    names = ["яблоко", "Zulu", "Банк", "alpha", "9 lives", "10 GB", "Beta", "архив", "Юг"]
    ordered = [r.name for r in display_order([_res(n) for n in names])]
    assert ordered == ["10 GB", "9 lives", "alpha", "Beta", "Zulu", "архив", "Банк", "Юг",
                       "яблоко"]


def test_display_order_without_primary_sorts_everything_together():
    # SPEC C4: without a primary resource all resources are sorted together.
    ordered = display_order([_res("b", priority=0), _res("A", priority=0), _res("c", priority=-1)])
    assert [r.name for r in ordered] == ["c", "A", "b"]


def test_plan_view_lists_resources_in_display_order():
    # SPEC C4 (GET /v1/plans/{id} uses the display order)
    plan = make_plan(resources=[resource("z", name="Zeta"), resource("a", name="Alpha"),
                                resource("p", name="Primary", primary=True, priority=9)])
    assert [r["id"] for r in plan_to_dict(plan)["resources"]] == ["p", "a", "z"]


# --- C5 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("billing_type,setting,refunds", [
    ("monthly", None, True),
    ("monthly_commitment", None, False),
    ("long_term", None, True),
    ("long_term", False, False),
    ("reservation", None, False),
    ("non_recurring", None, False),
    ("payg", None, False),
    ("trial", None, False),
])
def test_refund_on_stop_per_billing_type(billing_type, setting, refunds):
    # SPEC C5 "stop refunds" column; C7 refund_on_stop default per C5.
    settings = {} if setting is None else {"refund_on_stop": setting}
    periods = None if billing_type == "payg" else ["P1Y"]
    plan = make_plan(billing_type, periods=periods, settings=settings)
    assert plan.refund_on_stop is refunds
    assert plan_to_dict(plan)["settings"]["refund_on_stop"] is refunds


# --- C6 -------------------------------------------------------------------------------------

def test_bronze_silver_gold_ladder():
    # SPEC C6, seed 002: Bronze -> Silver -> Gold; upgrades and downgrades only along it.
    bronze = make_plan(plan_id="bronze", switch_to=[{"plan": "silver", "kind": "upgrade"},
                                                    {"plan": "gold", "kind": "upgrade"}])
    silver = make_plan(plan_id="silver", switch_to=[{"plan": "gold", "kind": "upgrade"},
                                                    {"plan": "bronze", "kind": "downgrade"}])
    gold = make_plan(plan_id="gold", switch_to=[{"plan": "silver", "kind": "downgrade"},
                                                {"plan": "bronze", "kind": "downgrade"}])
    assert {t.kind for t in bronze.switch_to} == {"upgrade"}       # Bronze: no downgrades
    assert {t.kind for t in gold.switch_to} == {"downgrade"}       # Gold: no upgrades
    assert silver.switch_target("gold").kind == "upgrade"
    assert silver.switch_target("bronze").kind == "downgrade"


# --- C7 -------------------------------------------------------------------------------------

def test_settings_defaults():
    # SPEC C7: every default.
    s = make_plan().settings
    assert s == PlanSettings()
    assert (s.manual_renewal_point, s.auto_renewal_point, s.delayed_switch_point) == (30, 0, 30)
    assert s.expired_renewal_mode is RenewalMode.CONSTANT
    assert (s.expired_renewal_days, s.deletion_window_hours, s.stopped_retention_days) == \
        (30, 168, 90)
    assert s.stop_requires_approval is False and s.grace_period_days == 0
    assert s.price_lock is True
    assert (s.upgrade_fee, s.downgrade_fee, s.markup_percent) == (D(0), D(0), D(0))
    assert (s.plan_change_timing, s.unused_funds) == ("immediate", "credit")


def test_auto_renewal_point_above_manual_is_refused():
    # SPEC C7: auto_renewal_point > manual_renewal_point is refused.
    with pytest.raises(InvalidInput) as err:
        make_plan(settings={"manual_renewal_point": 15, "auto_renewal_point": 16})
    assert err.value.code == "invalid_renewal_points"
    assert err.value.param == "settings.auto_renewal_point"
    # equal is fine
    plan = make_plan(settings={"manual_renewal_point": 15, "auto_renewal_point": 15})
    assert plan.settings.auto_renewal_point == 15
    # and a patch that would break the rule against the kept value is refused too
    with pytest.raises(InvalidInput) as err:
        patch_plan(plan, {"settings": {"manual_renewal_point": 10}})
    assert err.value.code == "invalid_renewal_points"


@pytest.mark.parametrize("settings,code", [
    ({"bogus": 1}, "unknown_setting"),
    ({"manual_renewal_point": -1}, "invalid_setting"),
    ({"manual_renewal_point": True}, "invalid_setting"),
    ({"price_lock": "yes"}, "invalid_setting"),
    ({"unused_funds": "burn"}, "invalid_setting"),
    ({"plan_change_timing": "later"}, "invalid_setting"),
    ({"expired_renewal_mode": "sliding"}, "invalid_setting"),
    ({"upgrade_fee": 1.5}, "invalid_amount"),
])
def test_bad_settings_are_refused(settings, code):
    # SPEC C7
    with pytest.raises(InvalidInput) as err:
        make_plan(settings=settings)
    assert err.value.code == code


def test_settings_accept_documented_choices():
    # SPEC C7
    plan = make_plan(settings={"delayed_switch_point": None, "expired_renewal_mode": "shifted",
                               "plan_change_timing": "end_of_cycle", "unused_funds": "forfeit",
                               "upgrade_fee": "9.99"})
    s = plan.settings
    assert s.delayed_switch_point is None
    assert s.expired_renewal_mode is RenewalMode.SHIFTED
    assert (s.plan_change_timing, s.unused_funds, s.upgrade_fee) == \
        ("end_of_cycle", "forfeit", D("9.99"))


# --- C8 (the catalog side; the engine side is in test_prolong_prices.py) --------------------

def test_patch_plan_changes_prices_and_keeps_the_rest():
    # SPEC C8: prices may change; the plan keeps its identity and other fields.
    plan = make_plan()
    patched = patch_plan(plan, {"resources": [{"id": "seats", "price": "8.00"}]})
    assert patched.resource("seats").price == D("8.00")
    assert plan.resource("seats").price == D("6.00")   # the old plan object is untouched
    assert (patched.id, patched.billing_type, patched.periods) == \
        (plan.id, plan.billing_type, plan.periods)
    with pytest.raises(InvalidInput) as err:
        patch_plan(plan, {"billing_type": "long_term"})
    assert err.value.code == "unknown_field"
    with pytest.raises(InvalidInput) as err:
        patch_plan(plan, {"resources": [{"id": "nope", "price": "1"}]})
    assert err.value.code == "unknown_resource"


# --- the public settings API the panel's plan form uses -----------------------------------

_EXAMPLES = {"whole": [0, 7], "optional_whole": [None, 3], "flag": [True, False],
             "optional_flag": [None, True], "money": ["1.50", "0"]}
_WRONG = {"whole": "seven", "optional_whole": -1, "flag": "yes", "optional_flag": "no",
          "money": "cheap", "choice": "nonsense"}


def test_every_setting_has_a_kind_that_build_settings_agrees_with():
    # SPEC C7: setting_kind says what a setting takes; build_settings (the one judge) accepts
    # every value of that kind and refuses a value of another.
    from prorata.domain.catalog import (
        SETTING_KINDS,
        SETTING_NAMES,
        build_settings,
        setting_choices,
        setting_kind,
    )
    for name in SETTING_NAMES:
        kind = setting_kind(name)
        assert kind in SETTING_KINDS, name
        values = list(setting_choices(name)) if kind == "choice" else _EXAMPLES[kind]
        assert values, name
        assert (kind == "choice") == bool(setting_choices(name)), name
        for value in values:
            build_settings({name: value})
        with pytest.raises(InvalidInput):
            build_settings({name: _WRONG[kind]})
    with pytest.raises(InvalidInput) as refused:
        setting_kind("_BOOL_SETTINGS")
    assert refused.value.code == "unknown_setting"
