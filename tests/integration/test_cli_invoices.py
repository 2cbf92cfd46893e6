"""`prorata invoices issue --date D` (SPEC B2): the catch-up issues a day's documents once,
refuses a day that is not over, and a repeat issues nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from typer.testing import CliRunner

from prorata.adapters.db import Database
from prorata.adapters.db.schema import invoices
from prorata.cli import app
from prorata.domain.model import ChargeLine, Customer, LineKind


def test_catch_up_is_idempotent_and_only_for_days_that_are_over(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRORATA_DATABASE_URL", url)
    monkeypatch.setenv("PRORATA_TEST_CLOCK", "2024-09-10")
    database = Database(url)
    database.migrate()
    with database.uow() as uow:  # lines from before invoicing existed
        uow.add_customer(Customer("acme", "Acme"))
        uow.add_lines([ChargeLine(LineKind.CHARGE, "Seats", date(2024, 8, 1), date(2024, 9, 1),
                                  5, Decimal("6.00"), Decimal("30.00"), "USD", customer="acme",
                                  created_on=date(2024, 8, 1))])
        uow.commit()
    runner = CliRunner()
    first = runner.invoke(app, ["invoices", "issue", "--date", "2024-08-01"])
    assert first.exit_code == 0, first.output
    assert "Issued 1 document" in first.output
    again = runner.invoke(app, ["invoices", "issue", "--date", "2024-08-01"])
    assert again.exit_code == 0 and "Issued 0 document" in again.output
    today = runner.invoke(app, ["invoices", "issue", "--date", "2024-09-10"])
    assert today.exit_code != 0 and "not over" in today.output
    with database.uow(read_only=True) as uow:
        [doc] = uow.connection.execute(select(invoices)).all()
    assert (doc.service_date, doc.issued_on, doc.total) == \
        (date(2024, 8, 1), date(2024, 9, 10), Decimal("30.00"))
    database.dispose()
