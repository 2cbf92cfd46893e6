"""Response models of health, the test clock, the test worker and the connector list (issue 7).
The clock's run report names only `through` and `days`: the other counts are whatever the
daily run did (`prolong`, `invoices`, …, scheduler.runner.run_through), all whole numbers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from prorata.api.schemas_out import Day, ListOf, Out


class Health(BaseModel):
    """routes_system.healthz: answered once the server is ready."""

    status: Literal["ok"]


class ClockDay(BaseModel):
    """GET /v1/test/clock: today on the test clock."""

    date: Day = Field(examples=["2024-08-25"])


class RunReport(BaseModel):
    """scheduler.runner.run_through: the days run, and the counts of what they did."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "examples": [{"through": "2024-09-03", "days": 9, "subscriptions": 1, "prolong": 1,
                      "lines": 1, "invoices": 1}]})
    __pydantic_extra__: dict[str, int] = Field(init=False)

    through: Day = Field(description="the last day run")
    days: int = Field(description="days run by this move (0: all were done already)")


class ClockMoved(BaseModel):
    """POST /v1/test/clock: answered once every day up to `date` has run."""

    date: Day = Field(examples=["2024-09-03"])
    report: RunReport


class WorkerRun(BaseModel):
    """POST /v1/test/worker: vendor polls and delivery attempts made."""

    processed: int = Field(examples=[2])


class Connector(Out):
    """vendors.registry.list_connectors (SPEC V1)."""

    name: str = Field(examples=["simulated"])
    description: str = Field(examples=["completes every operation at once"])


class ConnectorList(ListOf):
    data: list[Connector]
