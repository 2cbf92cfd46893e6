"""E-mails do not reveal other tenants' users (issue 6, SPEC P2, docs/design/security.md "E-mail
per party"): a user account is unique per e-mail and party, so creating one answers the same
whether or not another party has an account with that e-mail; within one party a second one
is 409. Sign-in checks the password against every account of the e-mail; several opened
without `party` answer 400 `party_required` with the choices."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.access_world import World, build
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok

TAKEN, FREE = "taken@ex.io", "freee@ex.io"  # same length: the answers may differ only in ids
PASSWORD = "correct horse"


@pytest.fixture
def world(client_factory: ClientFactory, db_kind: str) -> World:
    w = build(client_factory, db_kind)
    ok(w.operator.post("/v1/users", json={"email": TAKEN, "password": PASSWORD,
                                          "customer": "c-other"}))
    return w


def _masked(response: object, user_id: str, email: str) -> tuple[int, bytes, list[object]]:
    headers = sorted((k, v) for k, v in response.headers.items()  # type: ignore[attr-defined]
                     if k.lower() != "date")
    body = response.content.replace(user_id.encode(), b"ID").replace(  # type: ignore[attr-defined]
        email.encode(), b"EMAIL")
    return response.status_code, body, headers  # type: ignore[attr-defined]


def test_creating_a_user_answers_alike_whether_another_tenant_has_the_email(
        world: World) -> None:
    # SPEC P2: an e-mail held in another tenant is as good as a free one, byte for byte
    reseller = world.clients["reseller"]
    answers = [reseller.post("/v1/users", json={"email": email, "password": PASSWORD,
                                                "customer": "c-nw"}) for email in (TAKEN, FREE)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    ids = [a.json()["id"] for a in answers]
    assert _masked(answers[0], ids[0], TAKEN) == _masked(answers[1], ids[1], FREE)
    # the same e-mail again in the same party (in the caller's scope) is a conflict
    again = reseller.post("/v1/users", json={"email": TAKEN.upper(), "password": PASSWORD,
                                             "customer": "c-nw"})
    assert again.status_code == 409
    assert (error_of(again)["code"], error_of(again)["param"]) == ("resource_exists", "email")


def _login(client: TestClient, **body: str) -> object:
    return client.post("/v1/login", json=body)


def test_one_account_signs_in_without_party(world: World, client_factory: ClientFactory,
                                             db_kind: str) -> None:
    # API.md: POST /v1/login {email, password} keeps working
    anonymous = client_factory(db_kind, key=None)
    session = ok(_login(anonymous, email=TAKEN, password=PASSWORD))
    assert (session["customer"], session["reseller"]) == ("c-other", None)


def test_several_accounts_need_a_party(world: World, client_factory: ClientFactory,
                                       db_kind: str) -> None:
    # issue 6: the password opens two accounts → 400 party_required listing both parties
    ok(world.clients["reseller"].post("/v1/users", json={
        "email": TAKEN, "password": PASSWORD, "customer": "c-nw"}))
    anonymous = client_factory(db_kind, key=None)
    for _ in range(7):  # not failures: more than the throttle's 5 stay 400, never 429
        refused = _login(anonymous, email=TAKEN, password=PASSWORD)
        assert refused.status_code == 400, refused.text  # type: ignore[attr-defined]
    error = error_of(refused)
    assert (error["code"], error["param"]) == ("party_required", "party")
    assert error["choices"] == [
        {"party": "customer:c-nw", "name": "C-NW", "reseller": None, "customer": "c-nw"},
        {"party": "customer:c-other", "name": "C-OTHER", "reseller": None,
         "customer": "c-other"}]
    for choice in error["choices"]:  # type: ignore[attr-defined]
        session = ok(_login(anonymous, email=TAKEN, password=PASSWORD, party=choice["party"]))
        assert session["customer"] == choice["customer"]
        signed_in = client_factory(db_kind, key=session["token"])
        assert ok(signed_in.get(f"/v1/customers/{choice['customer']}"))["id"] == \
            choice["customer"]
        other = "c-other" if choice["customer"] == "c-nw" else "c-nw"
        assert signed_in.get(f"/v1/customers/{other}").status_code == 404


def test_a_party_the_password_does_not_open_is_the_usual_401(
        world: World, client_factory: ClientFactory, db_kind: str) -> None:
    # issue 6: a wrong party, a wrong password and an unknown e-mail answer the same 401
    ok(world.clients["reseller"].post("/v1/users", json={
        "email": TAKEN, "password": "another password", "customer": "c-nw"}))
    anonymous = client_factory(db_kind, key=None)
    # different passwords: each opens its own account, no party needed
    assert ok(_login(anonymous, email=TAKEN, password="another password"))["customer"] == "c-nw"
    assert ok(_login(anonymous, email=TAKEN, password=PASSWORD))["customer"] == "c-other"
    refusals = [_login(anonymous, email=TAKEN, password=PASSWORD, party="customer:c-nw"),
                _login(anonymous, email=TAKEN, password="wrong password"),
                _login(anonymous, email="nobody@ex.io", password=PASSWORD)]
    assert {r.status_code for r in refusals} == {401}  # type: ignore[attr-defined]
    assert len({r.content for r in refusals}) == 1  # type: ignore[attr-defined]


def test_panel_sign_in_offers_the_organisations(world: World, client_factory: ClientFactory,
                                                db_kind: str) -> None:
    # issue 6: the panel handles party_required: a choice of organisation, then signed in
    ok(world.clients["reseller"].post("/v1/users", json={
        "email": TAKEN, "password": PASSWORD, "customer": "c-nw"}))
    browser = client_factory(db_kind, key=None)
    form = {"csrf": _csrf(browser.get("/panel/login").text), "email": TAKEN,
            "password": PASSWORD}
    choose = browser.post("/panel/login", data=form, follow_redirects=False)
    assert choose.status_code == 400
    assert re.findall(r'name="party" value="([^"]+)"', choose.text) == [
        "customer:c-nw", "customer:c-other"]
    assert "C-OTHER" in choose.text and f'value="{TAKEN}"' in choose.text
    done = browser.post("/panel/login", data={**form, "csrf": _csrf(choose.text),
                                              "party": "customer:c-other"},
                        follow_redirects=False)
    assert done.status_code == 303, done.text
    assert browser.get("/panel/billing?customer=c-other").status_code == 200
    assert browser.get("/panel/billing?customer=c-nw").status_code == 404


def test_panel_sign_in_is_throttled_like_the_api(world: World, client_factory: ClientFactory,
                                                 db_kind: str) -> None:
    # issue 6: the panel form used to verify passwords without the throttle of POST /v1/login
    browser = client_factory(db_kind, key=None)
    codes = []
    for _ in range(6):
        form = {"csrf": _csrf(browser.get("/panel/login").text), "email": TAKEN,
                "password": "wrong password"}
        codes.append(browser.post("/panel/login", data=form, follow_redirects=False)
                     .status_code)
    assert codes == [401] * 5 + [429]
    api = client_factory(db_kind, key=None)  # the same e-mail and address, through the API
    assert error_of(_login(api, email=TAKEN, password=PASSWORD))["code"] == "too_many_attempts"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def test_choices_name_operator_and_reseller_accounts(world: World, client_factory: ClientFactory,
                                                     db_kind: str) -> None:
    # issue 6: any kinds of party may share an e-mail; `party` names each of them
    email = "consultant@ex.io"
    ok(world.operator.post("/v1/users", json={"email": email, "password": PASSWORD}))
    ok(world.clients["reseller"].post("/v1/users", json={"email": email, "password": PASSWORD}))
    anonymous = client_factory(db_kind, key=None)
    choices = error_of(_login(anonymous, email=email, password=PASSWORD))["choices"]
    assert choices == [
        {"party": "operator", "name": "Operator", "reseller": None, "customer": None},
        {"party": "reseller:nw", "name": "NW", "reseller": "nw", "customer": None}]
    operator = ok(_login(anonymous, email=email, password=PASSWORD, party="operator"))
    assert (operator["reseller"], operator["customer"]) == (None, None)
    assert ok(client_factory(db_kind, key=operator["token"]).get("/v1/resellers/other"))
    reseller = ok(_login(anonymous, email=email, password=PASSWORD, party="reseller:nw"))
    as_reseller = client_factory(db_kind, key=reseller["token"])
    assert as_reseller.get("/v1/resellers/other").status_code == 404
