"""`prorata import-usage FILE --subscription ID` (SPEC B4): a CSV imported in one transaction
from the command line; a refused file names the line and stores nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prorata.adapters.db import Database
from prorata.adapters.db.usage_schema import usage_records
from prorata.cli import app
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription


def _count(database: Database) -> int:
    with database.uow(read_only=True) as uow:
        return int(uow.connection.execute(
            select(func.count()).select_from(usage_records)).scalar_one())


def test_import_usage_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRORATA_DATABASE_URL", url)
    monkeypatch.setenv("PRORATA_TEST_CLOCK", "2024-08-25")
    database = Database(url)
    database.migrate()
    with database.uow() as uow:
        uow.add_product({"id": "azure", "name": "Azure"})
        uow.add_plan(build_plan({"name": "Azure", "billing_type": "payg", "currency": "USD",
                                 "resources": [{"id": "vm", "price": "0.01"}]},
                                "azure", "azure-payg"))
        uow.add_customer(Customer("acme", "Acme"))
        create_subscription(uow, OPERATOR, {"id": "az1", "customer": "acme",
                                            "plan": "azure-payg", "resources": {}},
                            date(2024, 8, 20))
        uow.commit()
    good = tmp_path / "good.csv"
    good.write_text("id,date,meter,category,quantity,cost\n"
                    + "".join(f"r{i},2024-08-2{i % 5},vm,usage,1.5,0.10\n" for i in range(500)))
    runner = CliRunner()
    first = runner.invoke(app, ["import-usage", str(good), "--subscription", "az1"])
    assert first.exit_code == 0, first.output
    assert "500 record(s) imported, 0 duplicate(s)" in first.output
    again = runner.invoke(app, ["import-usage", str(good), "-s", "az1"])
    assert again.exit_code == 0 and "0 record(s) imported, 500 duplicate(s)" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("id,date,meter,category,quantity,cost\nn1,2024-08-21,vm,usage,1,0\n"
                   "n2,2024-08-21,gpu,usage,1,0\n")
    refused = runner.invoke(app, ["import-usage", str(bad), "-s", "az1"])
    assert refused.exit_code == 1
    assert "line 3" in refused.output and "unknown_meter" in refused.output
    assert _count(database) == 500
    missing = runner.invoke(app, ["import-usage", str(good), "-s", "nope"])
    assert missing.exit_code == 1 and "No such subscription" in missing.output
    database.dispose()
