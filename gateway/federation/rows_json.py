"""A whole-query pushdown answered in JSON, CSV or NDJSON without Arrow (pyarrow is ~41 MB
resident): the driver's rows become the Python values the Arrow route would hold, column by
column, then render as `output.rendered_rows` renders those.

A column this module cannot prove identical (a Python type it does not know, mixed types,
a value Arrow would refuse) returns None: the caller builds the Arrow result from the same
rows, as before. tests/federation/test_rows_json.py compares both routes byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from connectors.types import TypeFamily
from gateway.federation.coltypes import (
    MAX_DECIMAL_PRECISION,
    fetched_decimal_shape,
    is_text_in_arrow,
    is_unsigned_bigint,
)
from gateway.federation.driver_values import (
    computed_json,
    converter,
    holds_json,
    interval_tuple,
    is_interval,
    is_unconstrained_decimal,
    timedelta_family,
)
from gateway.federation.output import column_renderer
from gateway.federation.result import RenderedResult, ResultColumn
from schema_cache.model import Column

INT64 = range(-(2**63), 2**63)
UINT64 = range(2**64)
# Python type of a computed column's values -> the family of the Arrow type inferred for it
_INFERRED: dict[type, TypeFamily] = {
    bool: TypeFamily.BOOLEAN,
    int: TypeFamily.BIGINT,
    float: TypeFamily.FLOAT,
    str: TypeFamily.TEXT,
    date: TypeFamily.DATE,
    time: TypeFamily.TIME,
    bytes: TypeFamily.BINARY,
}


class _NotExactError(Exception):
    """A value the Arrow route would hold differently, or refuse."""


def render_rows(
    row_batches: Sequence[Sequence[Sequence[Any]]],
    columns: Sequence[Column | None],
    names: Sequence[str],
    cap: int,
    trace: dict[str, Any],
    dialect: str,
) -> RenderedResult | None:
    """At most `cap` of the rows, rendered; None when a column needs the Arrow route.

    Args:
        columns: the catalog column behind each result column (None: computed).
        dialect: the source's (`driver_values.timedelta_family`).
    """
    rows = [row for batch in row_batches for row in batch]
    described: list[ResultColumn] = []
    rendered: list[list[Any]] = []
    for index, (name, column) in enumerate(zip(names, columns, strict=True)):
        values = [row[index] for row in rows]
        try:
            if column is None:
                result_column, held = _inferred(name, values, dialect)
            else:
                result_column, held = _conformed(name, column, values)
        except _NotExactError:
            return None
        described.append(result_column)
        render = column_renderer(result_column)
        rendered.append([render(v) for v in held[:cap]])
    if not rendered:
        return RenderedResult((), [], False, trace)
    out = [list(row) for row in zip(*rendered, strict=True)]
    return RenderedResult(tuple(described), out, len(rows) > cap, trace)


def _conformed(name: str, column: Column, values: list[Any]) -> tuple[ResultColumn, list[Any]]:
    """The values as `arrow_fetch.rows_to_batch` stores them in the column's Arrow type."""
    convert = converter(column)
    held = [None if v is None else convert(v) for v in values]
    family = column.family
    if family in (TypeFamily.INTEGER, TypeFamily.BIGINT):
        held_range = UINT64 if is_unsigned_bigint(column) else INT64
        _require(all(v is None or v in held_range for v in held))
    elif family is TypeFamily.INTERVAL:
        _require(all(v is None or isinstance(v, tuple) for v in held))
    elif is_text_in_arrow(column):  # its exact text, as `arrow_fetch` holds it
        return ResultColumn(name, family), held
    elif is_unconstrained_decimal(column):  # typed from its values, as Arrow infers
        return _inferred_decimal(name, held)
    elif family is TypeFamily.DECIMAL:
        precision, scale = fetched_decimal_shape(column)
        held = [None if v is None else _decimal(v, precision) for v in held]
        return ResultColumn(name, family, scale), held
    return ResultColumn(name, family), held


def _inferred(name: str, values: list[Any], dialect: str) -> tuple[ResultColumn, list[Any]]:
    """A computed column: the values and family of the Arrow type `pa.array` infers."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return ResultColumn(name, TypeFamily.OTHER), values  # Arrow's null type
    if holds_json(values):  # JSON text, as `arrow_fetch` holds it
        return ResultColumn(name, TypeFamily.JSON), computed_json(values)
    _require(len(kinds) == 1)
    kind = kinds.pop()
    if is_interval(next(v for v in values if v is not None)):  # Arrow's month_day_nano
        return ResultColumn(name, TypeFamily.INTERVAL), [
            None if v is None else interval_tuple(v) for v in values
        ]
    if kind is Decimal:
        return _inferred_decimal(name, values)
    if kind is timedelta:  # an Arrow duration
        return ResultColumn(name, timedelta_family(dialect)), values
    if kind is datetime:
        aware = {v.tzinfo is not None for v in values if v is not None}
        _require(len(aware) == 1)
        family = TypeFamily.DATETIME_TZ if aware.pop() else TypeFamily.DATETIME
        return ResultColumn(name, family), values
    inferred = _INFERRED.get(kind)
    if inferred is None:
        raise _NotExactError  # uuid, dict, list, ...: Arrow's own inference decides
    if kind is int:  # int64; uint64 when a value needs it and none is negative
        _require(all(v is None or v in INT64 for v in values) or _are_uint64(values))
    return ResultColumn(name, inferred), values


def _are_uint64(values: list[Any]) -> bool:
    return all(v is None or v in UINT64 for v in values)


def _inferred_decimal(name: str, values: list[Any]) -> tuple[ResultColumn, list[Any]]:
    """Arrow infers decimal(p, s): s the largest scale of the values, p their widest integer
    part plus s; each value is held at scale s (which rendering quantizes to, too)."""
    scale, whole = 0, 0
    for value in values:
        if value is None:
            continue
        _require(value.is_finite())
        _sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        scale = max(scale, -exponent)
        whole = max(whole, len(digits) + exponent)
    _require(whole + scale <= MAX_DECIMAL_PRECISION)  # wider: decimal256, left to Arrow
    held = [None if v is None else _unsigned_zero(v) for v in values]
    return ResultColumn(name, TypeFamily.DECIMAL, scale), held


def _decimal(value: Decimal, precision: int) -> Decimal:
    """A quantized value as decimal128(precision, scale) holds it (no sign on zero)."""
    _require(value.is_finite() and len(value.as_tuple().digits) <= precision)
    return _unsigned_zero(value)


def _unsigned_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value


def _require(condition: bool) -> None:
    if not condition:
        raise _NotExactError
