"""PostgreSQL array literals (`{…}`) for the daily run's bulk writes (bulk_write.py).

The writes send one array per column. psycopg dumps a Python list into a binary array one
element at a time in Python (finding each element's dumper, packing its length), and the
daily run's writer threads spent about a fifth of the run doing that: time taken from the
thread deciding the next batch, since both need the GIL. A text literal is built with a
handful of `str.join` and `str.replace` calls over the whole column, which run in C (round 15
of docs/design/scale.md: 3.4 µs a row as binary arrays, about 0.7 µs as literals).

The server parses the literal with the element type's own input function, so a value must
be written as that function reads it: text is always quoted (`"…"`, with `\\` and `"`
escaped), so commas, braces, blanks and the word NULL stay data; NULL is the bare word;
integers and dates are their `str()` (ISO dates); timestamps are their quoted `str()`;
booleans `t`/`f`. tests/integration/test_pg_arrays.py reads every kind back from the server."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer
from sqlalchemy.types import TypeEngine

Encoder = Callable[[Sequence[Any]], str]

# Joins a text column's values before they are escaped together; PostgreSQL text cannot hold
# it, so it cannot be part of a value (a value holding it is refused, as the server would).
_SEP = "\x00"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def text_array(values: Sequence[Any]) -> str:
    """Strings (and JSON texts) or None."""
    if not values:
        return "{}"
    nulls = values.count(None)
    if nulls == len(values):
        return "{" + ",".join(["NULL"] * nulls) + "}"
    try:
        joined = None if nulls else _SEP.join(values)
    except TypeError:  # not all strings
        joined = None
    if joined is None:
        return "{" + ",".join(["NULL" if v is None else _quoted(str(v))
                               for v in values]) + "}"
    if joined.count(_SEP) != len(values) - 1:
        raise ValueError("a text value holds a NUL character, which PostgreSQL refuses")
    if "\\" in joined:
        joined = joined.replace("\\", "\\\\")
    if '"' in joined:
        joined = joined.replace('"', '\\"')
    return '{"' + joined.replace(_SEP, '","') + '"}'


def _literals(values: Sequence[Any], quote: bool) -> Iterable[str]:
    """Each value's `str()` (quoted if asked), or NULL. A column of the daily run mostly
    repeats a few values (the day, the batch's timestamp), so each distinct one is formatted
    once when there are few."""
    def literal(value: Any) -> str:
        if value is None:
            return "NULL"
        return f'"{value}"' if quote else str(value)

    distinct = set(values)
    if len(distinct) * 4 < len(values):
        known = {value: literal(value) for value in distinct}
        return map(known.__getitem__, values)
    if not quote and None not in distinct:
        return map(str, values)
    return [literal(value) for value in values]


def plain_array(values: Sequence[Any]) -> str:
    """Integers and dates: `str()` is how the server reads them, with no character that
    needs quoting."""
    return "{" + ",".join(_literals(values, quote=False)) + "}"


def quoted_array(values: Sequence[Any]) -> str:
    """Timestamps: `str()` holds a blank and the offset's sign, read as one value quoted."""
    return "{" + ",".join(_literals(values, quote=True)) + "}"


def bool_array(values: Sequence[Any]) -> str:
    return "{" + ",".join(["NULL" if v is None else ("t" if v else "f")
                           for v in values]) + "}"


def encoder(column_type: TypeEngine[Any]) -> Encoder:
    """The literal for a column of this (schema.py) type. JSON travels as text."""
    impl = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator's base
    if isinstance(column_type, JSON) or isinstance(impl, JSON):
        return text_array
    if isinstance(impl, Boolean):
        return bool_array
    if isinstance(impl, DateTime):
        return quoted_array
    if isinstance(impl, Integer | Date):
        return plain_array
    return text_array
