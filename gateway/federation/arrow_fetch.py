"""The generic route's Arrow form: rows read through SQLAlchemy (`driver_fetch`) -> Arrow
batches, each column conformed to the catalog's declared type (decimal precision and scale
kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import timedelta
from typing import Any

import pyarrow as pa

from connectors.base import Connector
from connectors.types import TypeFamily
from gateway.federation.cancel import CancelToken
from gateway.federation.coltypes import arrow_type, is_text_in_duckdb
from gateway.federation.driver_fetch import iter_row_batches
from gateway.federation.driver_values import (
    computed_json,
    converter,
    decimal_text,
    holds_json,
    interval_tuple,
    is_interval,
    is_unconstrained_decimal,
)
from schema_cache.model import Column


def fetch_arrow(
    connector: Connector,
    sql: str,
    binds: dict[str, Any],
    columns: Sequence[Column | None],
    names: Sequence[str],
    *,
    max_rows: int | None,
    batch_rows: int,
    token: CancelToken,
    stream_results: bool = True,
) -> pa.Table:
    """Run `sql` on the source and read at most `max_rows` rows as one Arrow table.

    Args:
        columns: the catalog column behind each result column (None: infer from values).
        stream_results: see `driver_fetch.iter_row_batches`.
    """
    reader = iter_row_batches(
        connector,
        sql,
        binds,
        max_rows=max_rows,
        batch_rows=batch_rows,
        token=token,
        stream_results=stream_results,
    )
    with closing(reader):
        return arrow_table(reader, columns, names, for_duckdb=True)


def arrow_table(
    row_batches: Iterable[Sequence[Sequence[Any]]],
    columns: Sequence[Column | None],
    names: Sequence[str],
    *,
    for_duckdb: bool = False,
) -> pa.Table:
    """One Arrow table of the rows, batch by batch (an empty one typed from `columns`).

    Args:
        for_duckdb: a fragment DuckDB reads: a decimal it cannot hold (wider than 38 digits,
            or a NUMERIC without a precision) as its exact text (`coltypes.is_text_in_duckdb`).
    """
    batches = [rows_to_batch(rows, columns, names, for_duckdb=for_duckdb) for rows in row_batches]
    if not batches:
        types = [
            pa.string() if for_duckdb and c is not None and is_text_in_duckdb(c) else _empty_type(c)
            for c in columns
        ]
        schema = pa.schema(list(zip(names, types, strict=True)))
        return schema.empty_table()
    return pa.Table.from_batches(_unify(batches))


def rows_to_batch(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[Column | None],
    names: Sequence[str],
    *,
    for_duckdb: bool = False,
) -> pa.RecordBatch:
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column is None:
            arrays.append(_inferred(values))
            continue
        if for_duckdb and is_text_in_duckdb(column):
            text = decimal_text(column)
            arrays.append(pa.array([None if v is None else text(v) for v in values], pa.string()))
            continue
        convert = converter(column)
        converted = [None if v is None else convert(v) for v in values]
        if is_unconstrained_decimal(column):
            # decimal(p, s) of the values, exactly (a batch of nulls takes the others' type)
            arrays.append(_unconstrained_decimals(converted))
            continue
        type_ = arrow_type(column)
        if column.family is TypeFamily.TIME and any(isinstance(v, timedelta) for v in converted):
            type_ = pa.duration("us")  # MySQL's TIME: an interval, -838:59:59 to 838:59:59
        arrays.append(pa.array(converted, type_))
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


def _unconstrained_decimals(values: list[Any]) -> pa.Array:
    """A NUMERIC without precision: the decimal type of its values (`pa.array` infers it);
    values beyond decimal256's 76 digits, which no Arrow decimal holds, as their exact text
    (`_unify` makes other batches' decimals text too)."""
    try:
        return pa.array(values)
    except pa.ArrowInvalid:
        return pa.array([None if v is None else format(v, "f") for v in values], pa.string())


def _inferred(values: list[Any]) -> pa.Array:
    """A computed column in the type Arrow infers; JSON objects, or a mix Arrow cannot type
    (objects and arrays: a computed jsonb), as JSON text (`arrow.json`): a struct would give
    every object the keys of all the others. PostgreSQL intervals as month_day_nano, their
    months, days and time apart (Arrow would infer a duration)."""
    if any(is_interval(v) for v in values):
        return pa.array(
            [None if v is None else interval_tuple(v) for v in values],
            pa.month_day_nano_interval(),
        )
    if _needs_uint64(values):
        return pa.array(values, pa.uint64())
    if not holds_json(values):
        try:
            return pa.array(values, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            if not any(isinstance(v, list) for v in values):
                raise
    return pa.array(computed_json(values), pa.json_())


def _needs_uint64(values: list[Any]) -> bool:
    """Integers beyond int64, none negative (MySQL's BIGINT UNSIGNED, computed)."""
    ints = [v for v in values if v is not None]
    return (
        bool(ints)
        and all(type(v) is int and 0 <= v < 2**64 for v in ints)
        and any(v >= 2**63 for v in ints)
    )


def _empty_type(column: Column | None) -> pa.DataType:
    return arrow_type(column) if column is not None else pa.null()


def _unify(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """Batches whose inferred types differ (all-null first batch, wider decimals later)
    are cast to one schema."""
    schemas = {b.schema for b in batches}
    if len(schemas) == 1:
        return batches
    batches = [_decimals_as_text(_typed_nulls(b, batches), batches) for b in batches]
    schemas = {b.schema for b in batches}
    schema = pa.unify_schemas(list(schemas), promote_options="permissive")
    return [b.cast(schema) for b in batches]


def _decimals_as_text(batch: pa.RecordBatch, batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """A NUMERIC without precision's decimals as their exact text where another batch holds
    values too wide for any Arrow decimal as text (`_unconstrained_decimals`)."""
    arrays = list(batch.columns)
    for index, array in enumerate(arrays):
        if pa.types.is_decimal(array.type) and any(
            pa.types.is_string(b.column(index).type) for b in batches
        ):
            texts = [None if v is None else format(v, "f") for v in array.to_pylist()]
            arrays[index] = pa.array(texts, pa.string())
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _typed_nulls(batch: pa.RecordBatch, batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """An all-null column typed as another batch's non-null one (a catalog TIME column's
    nulls beside MySQL's durations: no common type to promote to)."""
    arrays = list(batch.columns)
    for index, array in enumerate(arrays):
        if array.null_count < len(array) or len(array) == 0:
            continue
        typed = (b.column(index).type for b in batches if b.column(index).null_count < len(b))
        type_ = next(typed, array.type)
        arrays[index] = pa.nulls(len(array), type_)
    return pa.RecordBatch.from_arrays(
        arrays,
        schema=pa.schema([f.with_type(a.type) for f, a in zip(batch.schema, arrays, strict=True)]),
    )
