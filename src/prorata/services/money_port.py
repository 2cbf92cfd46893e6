"""The money half of the storage port (SPEC B2, B3, B5, B6): invoices and their numbering,
payments, payment sessions, refunds. `UnitOfWork` (ports.py) includes it; the SQL adapter
implements it in adapters/db/money.py, the test fake in tests/fake_money.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from prorata.domain.invoicing import Invoice, LineRef
from prorata.domain.model import ChargeLine, Customer, Event
from prorata.domain.payments import PaymentRecord, Refund, RefundStatus, Session, SessionStatus

if TYPE_CHECKING:  # ports.py imports this module
    from prorata.services.ports import Page


class MoneyStore(Protocol):
    # --- invoices (B2, B5) -----------------------------------------------------------------
    def lock_invoice_counter(self) -> int:
        """Takes the installation's invoice counter for this transaction — a concurrent issuer
        waits until it ends — and answers the last sequence issued (0 before the first)."""
    def set_invoice_counter(self, last_sequence: int) -> None: ...
    def uninvoiced_customers(self, day: date) -> list[str]:
        """Customers with lines created on `day` that are on no document yet, sorted."""
    def uninvoiced_lines(self, day: date, after: str | None, upto: str | None) -> list[LineRef]:
        """Those lines for the customers in `(after, upto]` (None: open end), by customer and
        in the order they were written."""
    def unissued_days(self, since: date, until: date) -> list[date]:
        """Days in `[since, until]` with a line on no document (cheap: counts compared)."""
    def add_invoices(self, invoices: list[Invoice], events: list[Event]) -> None:
        """Stores the documents, their lines and their events (outbox, R3). `DuplicateKey` if
        a sequence or a line is already taken (a concurrent issuer won)."""
    def customers_by_id(self, ids: list[str]) -> dict[str, Customer]:
        """Unscoped, for the issuer's snapshot of the customer block: id, name, inn, currency
        and reseller are filled in, the rest left at its default."""
    def get_invoice(self, invoice_id: str) -> Invoice | None:
        """Unscoped: the caller checks the customer against its scope (P2)."""
    def list_invoices(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        """Oldest (lowest number) first."""
    def invoice_lines(self, invoice_id: str) -> list[ChargeLine]:
        """In the order they were written."""
    def owed_before(self, customer_id: str, sequence: int) -> Decimal:
        """Sum of the customer's positive invoices numbered before `sequence`."""
    def credit_pool(self, customer_id: str) -> Decimal:
        """Payments (net of refunds) plus credit notes, as a positive amount of credit."""

    # --- payments (B3, B6) -----------------------------------------------------------------
    def add_payment(self, customer_id: str, amount: Decimal, currency: str, created_on: date,
                    method: str = "manual", reference: str | None = None,
                    payment_id: str | None = None, *, session: str | None = None,
                    refund_of: str | None = None) -> str:
        """`DuplicateKey` when the session already has its payment."""
    def get_payment(self, payment_id: str, *, for_update: bool = False) -> PaymentRecord | None:
        """A payment (not a refund row), with what is refunded or being refunded;
        `for_update` holds it against concurrent refunds until the transaction ends."""
    def list_payments(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        """`PaymentRecord`s, oldest first."""
    def add_payment_session(self, session: Session) -> None: ...
    def get_payment_session(self, session_id: str) -> Session | None: ...
    def settle_payment_session(self, session_id: str, allowed: tuple[SessionStatus, ...],
                       status: SessionStatus, payment: str | None,
                       message: str | None) -> bool:
        """Moves the session to `status` only if it is still in one of `allowed`; answers
        whether it did. The one claim that makes a callback apply once."""
    def add_refund(self, refund: Refund) -> None: ...
    def get_refund(self, refund_id: str) -> Refund | None: ...
    def settle_refund(self, refund_id: str, status: RefundStatus, reference: str | None,
                      message: str | None) -> bool:
        """pending → `status`, once; answers whether this call did it."""
    def refunds_of(self, payment_id: str) -> list[Refund]:
        """Oldest first."""
    def pending_refunds(self, limit: int) -> list[Refund]: ...
