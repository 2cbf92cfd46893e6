"""`prorata worker --once` (SPEC V1): one round of every job from the command line."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from prorata.adapters.db import Database
from prorata.cli import app
from prorata.domain.model import Customer, Status
from prorata.services import subscriptions
from prorata.services.ports import OPERATOR
from tests.dbfixtures import sample_plan


def test_one_round_completes_a_pending_purchase(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRORATA_DATABASE_URL", url)
    monkeypatch.setenv("PRORATA_TEST_CLOCK", "2024-08-20")
    database = Database(url)
    database.migrate()
    with database.uow() as uow:
        uow.add_product({"id": "m365", "name": "M365", "vendor": "simulated",
                         "vendor_settings": {"polls": 1}})
        uow.add_plan(sample_plan())
        uow.add_customer(Customer("acme", "Acme"))
        subscriptions.create_subscription(uow, OPERATOR, {
            "id": "sub1", "customer": "acme", "plan": "m365-basic",
            "resources": {"seats": 2}}, date(2024, 8, 20))
        uow.commit()
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Processed 1." in result.output
    with database.uow(read_only=True) as uow:
        sub = uow.get_subscription(OPERATOR, "sub1")
    assert sub is not None and sub.status is Status.ACTIVE
    again = CliRunner().invoke(app, ["worker", "--once"])
    assert "Processed 0." in again.output
