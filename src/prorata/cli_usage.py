"""`prorata import-usage FILE --subscription ID`: a CSV of usage records (API.md header)
imported from the command line, streamed with a progress bar by bytes read, in one
transaction like the API's import (SPEC B4). It runs as the operator, on the database of
PRORATA_DATABASE_URL, dated by the clock of `prorata serve` (PRORATA_TEST_CLOCK if set)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()


class _Counting:
    """A binary file that advances the progress bar as the import reads it."""

    def __init__(self, stream: IO[bytes], progress: Progress, task: Any) -> None:
        self._stream = stream
        self._progress = progress
        self._task = task

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._progress.advance(self._task, len(data))
        return data


def import_usage(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV with the header id,date,meter,category,"
                                              "quantity,cost")],
    subscription: Annotated[str, typer.Option("--subscription", "-s",
                                              help="the pay-as-you-go subscription")],
) -> None:
    """Import usage records of one subscription from a CSV file (all or nothing)."""
    from prorata.cli import _clock, _database
    from prorata.domain.errors import DomainError
    from prorata.services import usage
    from prorata.services.ports import OPERATOR
    from prorata.services.usage_input import csv_records

    clock, _ = _clock()
    database = _database(migrate=True)
    started = time.perf_counter()
    columns = (TextColumn("[bold]importing"), BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    try:
        with file.open("rb") as raw, Progress(*columns, console=console) as progress:
            task = progress.add_task("import", total=file.stat().st_size)
            stream: Any = _Counting(raw, progress, task)
            with database.uow() as uow:
                result = usage.import_usage(uow, OPERATOR, subscription, csv_records(stream),
                                            clock.today(), fields=False)
                uow.commit()
    except DomainError as exc:
        where = f" ({exc.param})" if exc.param else ""
        console.print(f"[red]Refused, nothing imported{where}:[/red] {exc.code}: {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    elapsed = time.perf_counter() - started
    rate = result["records"] / elapsed if elapsed > 0 else 0
    console.print(f"{result['accepted']} record(s) imported, {result['duplicates']} "
                  f"duplicate(s) skipped, in {elapsed:.1f} s ({rate:,.0f} records/s).")
