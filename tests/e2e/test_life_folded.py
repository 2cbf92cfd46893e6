"""A billing day whose prolongations are folded (issue 13; docs/DESIGN.md, "Money and
storage"), end to end on the test clock: the first subscription of a plain key stores its
line, the others' lines live in their operations, and nothing a customer or operator sees
tells them apart but the ids — charges, pages both ways, operations, the next day's document,
its PDF and the balance (SPEC B1, B2, S7)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from tests.e2e.lifecycle import balance, charges, clock, ok, seats_plan, setup

SUBS = ("sub1", "sub2", "sub3", "sub4")


def walk(api: Any, **params: Any) -> tuple[list[str], list[str]]:
    """The ids of `/v1/charge-lines`, one line a page, forwards and then backwards."""
    forward: list[str] = []
    while True:
        after = {"starting_after": forward[-1]} if forward else {}
        page = ok(api.get("/v1/charge-lines", params={"limit": 1, **params, **after}))
        forward += [line["id"] for line in page["data"]]
        if not page["has_more"]:
            break
    backward = [forward[-1]]
    while True:
        page = ok(api.get("/v1/charge-lines", params={"limit": 1, **params,
                                                      "ending_before": backward[0]}))
        backward[:0] = [line["id"] for line in page["data"]]
        if not page["has_more"]:
            return forward, backward


def test_a_folded_billing_day_reads_invoices_and_sums_like_a_stored_one(api):
    # SPEC S7: four subscriptions of one plan prolonged on the billing day; B1: their lines
    # in every list and sum; B2: on the next day's document and its PDF
    setup(api, seats_plan("basic", "monthly", "6.00"))
    for sub_id in SUBS:
        ok(api.post("/v1/subscriptions", json={"id": sub_id, "customer": "acme",
                                               "plan": "basic", "resources": {"seats": 10}}))
    clock(api, "2024-09-02")
    day = [ln for ln in charges(api) if ln["created_on"] == "2024-09-01"]
    # A batch numbers its folded lines before its stored ones: the key's first subscription,
    # decided by the full engine, comes last of the day
    assert [(ln["subscription"], ln["amount"], ln["period_start"]) for ln in day] == [
        (sub_id, "60.00", "2024-09-01") for sub_id in (*SUBS[1:], SUBS[0])]
    folded = [ln["id"] for ln in day if "." in ln["id"]]
    assert [ln["id"] for ln in day if ln["id"] not in folded][0].startswith("ln_")
    assert len(folded) == 3 and all(i.endswith(".1") for i in folded)  # the key's 2nd–4th

    every = [ln["id"] for ln in charges(api)]
    assert walk(api) == (every, every)
    assert walk(api, created_from="2024-09-01", kind="charge") == ([ln["id"] for ln in day],) * 2

    [prolong] = [o for o in ok(api.get("/v1/subscriptions/sub3/operations"))["data"]
                 if o["type"] == "prolong"]
    assert [(ln["id"], ln["amount"]) for ln in prolong["lines"]] == [
        (f"{prolong['id']}.1", "60.00")]
    assert prolong["lines"][0]["id"] in folded

    [invoice] = [i for i in ok(api.get("/v1/customers/acme/invoices"))["data"]
                 if i["service_date"] == "2024-09-01"]
    assert invoice["total"] == "240.00"
    assert sorted(ln["id"] for ln in invoice["lines"]) == sorted(ln["id"] for ln in day)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        ok_pdf(api.get(f"/v1/invoices/{invoice['id']}/pdf")))).pages)
    assert "240.00" in text and text.count("60.00") >= 4
    first_stubs = sum(Decimal(ln["amount"]) for ln in charges(api)
                      if ln["created_on"] == "2024-08-20")
    assert balance(api) == -(first_stubs + Decimal("240.00"))


def ok_pdf(response: Any) -> bytes:
    assert response.status_code == 200 and response.headers["content-type"] == \
        "application/pdf", response.text
    return response.content  # type: ignore[no-any-return]
