"""Usage records from the outside (SPEC B4; API.md "Usage"): a CSV stream or a parsed JSON
body, turned into raw records `(where, id, date, meter, category, quantity, cost)` for the
import to check. Streaming and bounded: a CSV is read in blocks of `BLOCK` bytes and no line
may be longer than `MAX_LINE`, so a 20 MB line (or a file without newlines) is refused after
reading at most `MAX_LINE` + `BLOCK` bytes of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from prorata.domain.errors import InvalidInput

HEADER = ["id", "date", "meter", "category", "quantity", "cost"]
FIELDS = frozenset(HEADER)
BLOCK = 1 << 20
MAX_LINE = 64 * 1024

RawRecord = tuple[str, Any, Any, Any, Any, Any, Any]


class _Lines:
    """Text lines of a binary stream, counted, with the length limit enforced."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.count = 0  # lines handed out so far

    def _too_long(self) -> InvalidInput:
        line = self.count + 1
        return InvalidInput("line_too_long", f"line {line} is longer than {MAX_LINE} bytes",
                            f"line {line}")

    def __iter__(self) -> Iterator[str]:
        rest = b""
        while True:
            block = self._stream.read(BLOCK)
            if not block:
                break
            data = rest + block if rest else block
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE:
                    raise self._too_long()
                rest = data
                continue
            rest = data[cut + 1:]
            yield from self._split(data[:cut + 1])
            if len(rest) > MAX_LINE:
                raise self._too_long()
        if rest:
            yield from self._split(rest)

    def _split(self, chunk: bytes) -> Iterator[str]:
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = self.count + chunk.count(b"\n", 0, exc.start) + 1
            raise InvalidInput("invalid_csv_line", f"line {bad} is not UTF-8",
                               f"line {bad}") from exc
        for line in io.StringIO(text, newline=""):
            if len(line) > MAX_LINE:
                self.count += 1
                raise InvalidInput("line_too_long",
                                   f"line {self.count} is longer than {MAX_LINE} bytes",
                                   f"line {self.count}")
            self.count += 1
            yield line


def csv_records(stream: IO[bytes]) -> Iterator[RawRecord]:
    """The header must be exactly API.md's; blank lines are skipped; a line with another
    number of fields or broken quoting refuses the import, naming the line."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is not None and header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        if header is None or [h.strip() for h in header] != HEADER:
            raise InvalidInput("invalid_csv_header",
                               f"the first line must be {','.join(HEADER)}", "line 1")
        for row in reader:
            if len(row) != 6:
                if not row:
                    continue
                where = f"line {lines.count}"
                raise InvalidInput("invalid_csv_line",
                                   f"{where} has {len(row)} fields, not 6", where)
            yield (f"line {lines.count}", row[0], row[1], row[2], row[3], row[4], row[5])
    except csv.Error as exc:
        where = f"line {lines.count}"
        raise InvalidInput("invalid_csv_line", f"{where}: {exc}", where) from exc


def json_envelope(body: Any) -> list[Any]:
    """`{"records": [...]}`: unknown fields are refused before any other check, like every
    request body (api.schemas.Body)."""
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "the body must be an object", None)
    unknown = sorted(set(body) - {"records"})
    if unknown:
        raise InvalidInput("unknown_parameter", f"unknown field {unknown[0]!r}", unknown[0])
    records = body.get("records")
    if not isinstance(records, list):
        raise InvalidInput("invalid_field", "records must be a list", "records")
    return records


def json_records(records: list[Any]) -> Iterator[RawRecord]:
    """The records of a checked envelope; a record's unknown field is refused by name."""
    for i, rec in enumerate(records):
        where = f"records[{i}]"
        if not isinstance(rec, dict):
            raise InvalidInput("invalid_field", f"{where} must be an object", where)
        extra = set(rec) - FIELDS
        if extra:
            name = sorted(extra)[0]
            raise InvalidInput("unknown_parameter", f"{where}: unknown field {name!r}",
                               f"{where}.{name}")
        yield (where, rec.get("id"), rec.get("date"), rec.get("meter"), rec.get("category"),
               rec.get("quantity"), rec.get("cost"))
