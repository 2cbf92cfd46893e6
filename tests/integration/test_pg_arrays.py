"""The array literals of the PostgreSQL bulk writes (adapters/db/pg_arrays.py) read back from
the server as the very values they were built from: any text (quotes, backslashes, commas,
braces, blanks, the word NULL, the empty string, any Unicode but NUL), NULLs anywhere, every
bigint, dates, timestamps and booleans, in columns that repeat a few values (the formatting
shortcut) and columns that do not. Issue 13, round 15 of docs/design/scale.md."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from prorata.adapters.db import Database
from prorata.adapters.db.pg_arrays import (
    bool_array,
    encoder,
    plain_array,
    quoted_array,
    text_array,
)
from prorata.adapters.db.schema import operations, subscriptions

_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=12)
_SPECIAL = st.sampled_from(['', 'NULL', 'null', '"', '\\', '\\"', ',', '{', '}', ' a ', '{}',
                            '"a,b"', '\t', 'é€😀'])


def _columns(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Lists of distinct values, or of a few repeated ones (the day, the batch's stamp)."""
    return st.one_of(st.lists(values, min_size=1, max_size=30),
                     st.lists(values, min_size=1, max_size=3).flatmap(
                         lambda few: st.lists(st.sampled_from(few), min_size=1, max_size=30)))


def _read_back(database: Database, literal: str, sql_type: str) -> list[Any]:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("array literals are PostgreSQL's")
    with database.engine.connect() as conn:
        return list(conn.exec_driver_sql(f"SELECT %s::{sql_type}[]", (literal,)).scalar_one())


@_SETTINGS
@given(_columns(st.one_of(st.none(), _TEXT, _SPECIAL)))
@example([None])
@example(["a"])
@example([""])
@example(["NULL", None])
def test_text_reads_back_as_written(database: Database, values: list[Any]) -> None:
    assert _read_back(database, text_array(values), "text") == values


@_SETTINGS
@given(_columns(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1))))
def test_integers_read_back_as_written(database: Database, values: list[Any]) -> None:
    assert _read_back(database, plain_array(values), "bigint") == values


@_SETTINGS
@given(_columns(st.one_of(st.none(), st.dates(date(1, 1, 1), date(9999, 12, 31)))))
def test_dates_read_back_as_written(database: Database, values: list[Any]) -> None:
    assert _read_back(database, plain_array(values), "date") == values


@_SETTINGS
@given(_columns(st.one_of(st.none(), st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1),
                                                    timezones=st.just(UTC)))))
def test_timestamps_read_back_as_written(database: Database, values: list[Any]) -> None:
    assert _read_back(database, quoted_array(values), "timestamptz") == values


@_SETTINGS
@given(_columns(st.one_of(st.none(), st.booleans())))
def test_booleans_read_back_as_written(database: Database, values: list[Any]) -> None:
    assert _read_back(database, bool_array(values), "boolean") == values


def test_an_empty_column_is_an_empty_array(database: Database) -> None:
    assert _read_back(database, text_array([]), "text") == []


def test_a_nul_character_is_refused_before_the_server_sees_it() -> None:
    with pytest.raises(ValueError, match="NUL"):
        text_array(["a\x00b", "c"])


def test_each_column_type_gets_the_literal_its_input_function_reads() -> None:
    """Money4 (a TypeDecorator over BIGINT) is an integer, JSON is text."""
    kinds = {c.name: encoder(c.type) for c in (*operations.c, *subscriptions.c)}
    assert kinds["amount"] is plain_array and kinds["created_on"] is plain_array
    assert kinds["seq"] is plain_array and kinds["anchor_day"] is plain_array
    assert kinds["params"] is text_array and kinds["resources"] is text_array
    assert kinds["id"] is text_array and kinds["error_message"] is text_array
    assert kinds["created_at"] is quoted_array and kinds["auto_renew"] is bool_array
