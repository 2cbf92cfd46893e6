"""The payment half of the money port on SQLite, PostgreSQL and the fake alike (SPEC B3, B6):
a session's payment once, a session settled once, refunds as negative payments that every
balance counts, payments listed oldest first without their refund rows."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from prorata.domain.model import Customer
from prorata.domain.payments import Refund, RefundStatus, Session, SessionStatus
from prorata.services.ports import DuplicateKey

DAY = date(2024, 8, 20)


def _seed(db) -> None:
    with db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        uow.add_payment_session(Session("ps_1", "acme", "test", Decimal("12.00"), "USD",
                                        SessionStatus.PENDING, DAY, "https://pay/ps_1"))
        uow.commit()


def test_a_session_is_settled_once_and_pays_once(any_db):
    # SPEC B3: a repeated callback changes nothing
    _seed(any_db)
    settle = (SessionStatus.PENDING, SessionStatus.FAILED)
    with any_db.uow() as uow:
        assert uow.settle_payment_session("ps_1", (SessionStatus.PENDING,),
                                          SessionStatus.FAILED, None, "declined")
        assert uow.settle_payment_session("ps_1", settle, SessionStatus.SUCCEEDED, "pay_1", None)
        assert not uow.settle_payment_session("ps_1", settle, SessionStatus.SUCCEEDED, "pay_2",
                                              None)
        uow.add_payment("acme", Decimal("12.00"), "USD", DAY, method="test", payment_id="pay_1",
                        session="ps_1", reference="test_ps_1")
        uow.commit()
    with any_db.uow() as uow, pytest.raises(DuplicateKey):
        uow.add_payment("acme", Decimal("12.00"), "USD", DAY, method="test", session="ps_1")
    with any_db.uow(read_only=True) as uow:
        session = uow.get_payment_session("ps_1")
        assert (session.status, session.payment, session.error_message) == \
            (SessionStatus.SUCCEEDED, "pay_1", None)
        assert uow.balance("acme") == Decimal("12.00")
        assert uow.get_payment("pay_1").session == "ps_1"


def test_refunds_are_negative_payments_and_hold_their_part(any_db):
    # SPEC B3: a refund lowers the balance; a pending one already holds its part
    _seed(any_db)
    with any_db.uow() as uow:
        uow.add_payment("acme", Decimal("20.00"), "USD", DAY, method="manual", payment_id="p1")
        uow.add_payment("acme", Decimal("5.00"), "USD", DAY, method="manual", payment_id="p2")
        for rid, amount in (("re_1", "3.00"), ("re_2", "4.00"), ("re_3", "1.00")):
            uow.add_refund(Refund(rid, "p1", "acme", "manual", Decimal(amount), "USD",
                                  RefundStatus.PENDING, DAY))
        assert uow.settle_refund("re_1", RefundStatus.SUCCEEDED, "r1", None)
        assert not uow.settle_refund("re_1", RefundStatus.FAILED, None, "late")
        assert uow.settle_refund("re_3", RefundStatus.FAILED, None, "refused")
        uow.add_payment("acme", Decimal("-3.00"), "USD", DAY, method="manual",
                        payment_id="re_1", refund_of="p1")
        uow.commit()
    with any_db.uow(read_only=True) as uow:
        assert uow.balance("acme") == Decimal("22.00")
        assert uow.credit_pool("acme") == Decimal("22.00")
        assert uow.get_payment("p1").refunded == Decimal("7.00")  # succeeded + pending
        assert uow.get_payment("re_1") is None  # a refund row is not a payment
        page = uow.list_payments("acme", 1, None)
        assert [p.id for p in page.items] == ["p1"] and page.has_more
        rest = uow.list_payments("acme", 5, "p1")
        assert [p.id for p in rest.items] == ["p2"] and not rest.has_more
        assert [r.id for r in uow.pending_refunds(10)] == ["re_2"]
        assert [r.status for r in uow.refunds_of("p1")] == [
            RefundStatus.SUCCEEDED, RefundStatus.PENDING, RefundStatus.FAILED]


def test_concurrent_callbacks_settle_a_session_once(database):
    # SPEC B3 on a real database: two transactions race for the same session; one moves it.
    if database.dialect == "sqlite":
        pytest.skip("SQLite serializes writers (BEGIN IMMEDIATE): they cannot interleave")
    _seed(database)
    first, second = database.uow(), database.uow()
    results: list[bool] = []
    with first, second:
        results.append(first.settle_payment_session(
            "ps_1", (SessionStatus.PENDING,), SessionStatus.SUCCEEDED, "pay_a", None))
        thread = threading.Thread(target=lambda: results.append(second.settle_payment_session(
            "ps_1", (SessionStatus.PENDING,), SessionStatus.SUCCEEDED, "pay_b", None)))
        thread.start()
        thread.join(0.5)  # waits on the row lock
        first.commit()
        thread.join(10)
        second.commit()
    assert results == [True, False]
    with database.uow(read_only=True) as uow:
        assert uow.get_payment_session("ps_1").payment == "pay_a"
