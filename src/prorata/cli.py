"""`prorata serve | migrate | run-scheduler | worker`. All configuration is read here, from the
environment (API.md), so the application itself never touches `os.environ`."""

from __future__ import annotations

import os
import time
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from prorata.cli_invoices import app as invoices_app
from prorata.cli_usage import import_usage
from prorata.domain.clock import Clock, SystemClock, TestClock

app = typer.Typer(help="Prorata: subscription lifecycle and billing for cloud-service brokers.",
                  no_args_is_help=True, add_completion=False)
console = Console()
DEMO_OPERATOR_KEY = "demo-operator-key"
app.add_typer(invoices_app, name="invoices")
app.command("import-usage")(import_usage)


def _database(migrate: bool) -> Any:
    from prorata.adapters.db import Database, default_url

    database = Database(default_url())
    if migrate:
        database.migrate()
    return database


def _parse_day(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} must be a date YYYY-MM-DD, got {raw!r}") from exc


def _clock() -> tuple[Clock, bool]:
    raw = os.environ.get("PRORATA_TEST_CLOCK")
    if raw:
        return TestClock(_parse_day(raw, "PRORATA_TEST_CLOCK")), True
    return SystemClock(), False


def _operator_key(demo: bool, database: Any) -> str:
    """The configured key, else the demo's well-known one, else the key stored in the database
    (hash only): generated and shown once at the first start, never changing silently and
    never printed again. "" = no in-memory key (the stored one is checked like any key)."""
    from prorata.services.operator_key import ensure_operator_key

    key = os.environ.get("PRORATA_OPERATOR_KEY")
    if key:
        return key
    if demo:
        console.print(f"Operator API key (demo): [bold]{DEMO_OPERATOR_KEY}[/bold]")
        return DEMO_OPERATOR_KEY
    created = ensure_operator_key(database)
    if created is not None:
        console.print(f"Operator API key, shown this once (only its hash is stored): "
                      f"[bold]{created}[/bold]")
    else:
        console.print("Operator API key: the one stored at the first start (set "
                      "PRORATA_OPERATOR_KEY to use your own).")
    return ""


def _trusted_proxies() -> Any:
    """PRORATA_TRUSTED_PROXIES: addresses or CIDRs, comma-separated, whose X-Forwarded-For is
    believed (api/client_address.py); unset or empty: none."""
    from prorata.api.client_address import parse_trusted

    try:
        return parse_trusted(os.environ.get("PRORATA_TRUSTED_PROXIES", ""))
    except ValueError as exc:
        raise typer.BadParameter(f"PRORATA_TRUSTED_PROXIES: {exc}") from exc


def _gateways(test_mode: bool) -> Any:
    """The payment gateway plugins, configured from the environment. The `test` gateway's
    public default secret is good enough only on the test clock or in the demo."""
    from prorata.adapters.payments.registry import Gateways
    from prorata.adapters.payments.testing import TEST_MODE_KEY

    config = dict(os.environ)
    config[TEST_MODE_KEY] = "1" if test_mode else ""
    return Gateways.load(config)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load a demo catalog, resellers and customers")]
    = False,
    worker: Annotated[bool, typer.Option(help="Also run the background worker (vendor calls,"
                                         " deliveries, refunds) in this process")] = True,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Server processes; the scheduler and the background worker "
        "run in one of them")] = 1,
) -> None:
    """Serve the API and run the scheduler and the background worker in one process."""
    import uvicorn

    from prorata.api import create_app

    clock, test_clock = _clock()
    proxies = _trusted_proxies()  # a bad value stops the start, before anything else
    if workers > 1 and test_clock:
        # The test clock lives in one process's memory: several could not agree on the day.
        raise typer.BadParameter("--workers must be 1 with PRORATA_TEST_CLOCK")
    database = _database(migrate=True)
    key = _operator_key(demo, database)
    if demo:
        from prorata.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

        loaded = load_demo(database, clock.today())
        console.print("Demo data loaded." if loaded else "Demo data already present.")
        console.print(f"Control panel: http://{host}:{port}/panel/ — sign in as "
                      + ", ".join(email for email, _ in DEMO_USERS)
                      + f" with the password [bold]{DEMO_PASSWORD}[/bold]")
    if test_clock:
        console.print(f"Test clock on, today is {clock.today().isoformat()}")
    if workers > 1:
        _serve_workers(database, key, demo, worker, workers, host, port)
        return
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1;
    # the app alone decides whom to believe (PRORATA_TRUSTED_PROXIES).
    uvicorn.run(create_app(database, clock, key, test_clock, _gateways(demo or test_clock),
                           run_worker=worker, trusted_proxies=proxies),
                host=host, port=port, proxy_headers=False)


def _serve_workers(database: Any, key: str, demo: bool, worker: bool, workers: int,
                   host: str, port: int) -> None:
    """uvicorn's supervisor; each process builds its app in `prorata.serve.app_factory`."""
    import tempfile

    import uvicorn

    from prorata import serve as served

    database.dispose()  # the children open their own pools
    if key:
        os.environ["PRORATA_OPERATOR_KEY"] = key
    os.environ[served.DEMO_ENV] = "1" if demo else "0"
    os.environ[served.WORKER_ENV] = "1" if worker else "0"
    lock = os.path.join(tempfile.gettempdir(), f"prorata-serve-{os.getpid()}.lock")
    os.environ[served.LOCK_ENV] = lock
    try:
        uvicorn.run("prorata.serve:app_factory", factory=True, workers=workers,
                    host=host, port=port, proxy_headers=False)
    finally:
        if os.path.exists(lock):
            os.unlink(lock)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (PRORATA_DATABASE_URL)."""
    database = _database(migrate=True)
    console.print(f"Database at the latest schema: {database!r}")


@app.command("run-scheduler")
def run_scheduler(
    day: Annotated[str | None, typer.Option("--date", help="Run up to this day (YYYY-MM-DD); "
                                            "default: today")] = None,
    lease_seconds: Annotated[int, typer.Option(
        "--lease-seconds", min=1, help="How long a batch stays this process's before another "
        "process may take it over (if this one died)")] = 300,
) -> None:
    """Run every scheduled action due up to a day once (renewals, prolongation, expiry...).
    Safe to repeat or to run beside a server: each action happens once per day (S12).
    Several processes (on one host or many, against one PostgreSQL) share the work."""
    from datetime import timedelta

    from prorata import scheduler

    clock, _ = _clock()
    target = _parse_day(day, "--date") if day else clock.today()
    database = _database(migrate=True)
    started = time.perf_counter()
    with console.status(f"Running scheduled work through {target.isoformat()}..."):
        report = scheduler.run_through(database, target,
                                       lease=timedelta(seconds=lease_seconds))
    elapsed = time.perf_counter() - started
    table = Table(title=f"Scheduler run through {target.isoformat()}")
    table.add_column("item")
    table.add_column("value", justify="right")
    for name, value in (report or {}).items():
        table.add_row(str(name), str(value))
    console.print(table)
    console.print(f"This process did {report.get('subscriptions', 0)} subscriptions "
                  f"in {elapsed:.2f} s.")


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option(help="Run one round and exit")] = False,
) -> None:
    """Run the background worker: vendor calls, notification deliveries, gateway refunds.
    Start as many as you like beside the servers (PostgreSQL): each call is claimed by one."""
    import threading

    from prorata.worker.jobs import jobs_for
    from prorata.worker.loop import run_forever, run_round

    clock, test_clock = _clock()
    database = _database(migrate=True)
    gateways = _gateways(test_clock)
    if once:
        done = run_round(database, clock, jobs_for(gateways), force=False)
        console.print(f"Processed {done}.")
        return
    console.print("Worker running; Ctrl-C stops it.")
    stop = threading.Event()
    try:
        run_forever(database, clock, gateways, stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":  # pragma: no cover
    app()
