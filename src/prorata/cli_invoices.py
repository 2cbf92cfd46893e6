"""`prorata invoices issue --date D`: the catch-up for a day whose documents were not issued
(SPEC B2) — e.g. lines written before invoicing existed. Idempotent: a day's lines go on one
document per customer once, however often this runs, also beside a running server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Invoice documents (SPEC B2).", no_args_is_help=True)
console = Console()


@app.command("issue")
def issue(
    day: Annotated[str, typer.Option("--date", help="Issue the documents of this day's charge "
                                                    "lines (YYYY-MM-DD); it must be over")],
) -> None:
    """Issue, per customer, one document for the lines created on a day that are on none yet."""
    from prorata.cli import _clock, _database, _parse_day
    from prorata.domain.errors import InvalidInput
    from prorata.services import invoicing

    target = _parse_day(day, "--date")
    clock, _ = _clock()
    try:
        invoicing.check_catch_up_day(target, clock.today())
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from exc
    database = _database(migrate=True)
    issued = invoicing.issue_day(database, target, clock.today())
    console.print(f"Issued {issued} document(s) for {target.isoformat()}.")
