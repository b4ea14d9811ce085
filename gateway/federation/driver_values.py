"""How a driver's value becomes the Python value of its catalog column's type (decimals
quantized to their scale, datetimes to UTC...): the values the Arrow route stores, and
those a pushdown answered without Arrow renders (`rows_json`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import orjson

from connectors.types import TypeFamily
from gateway.federation.coltypes import fetched_decimal_shape, is_text_in_arrow
from gateway.query.durations import interval_parts
from gateway.query.render import EXACT, renderer_for
from schema_cache.model import Column

Convert = Callable[[Any], Any]


def timedelta_family(dialect: str) -> TypeFamily:
    """What a computed column of timedeltas is: MySQL has no interval type, and PyMySQL
    reads only TIME (-838:59:59 to 838:59:59) as a timedelta."""
    return TypeFamily.TIME if dialect in ("mysql", "mariadb") else TypeFamily.INTERVAL


def converter(column: Column) -> Convert:
    """How a driver value (never None) becomes the Python value of the column's Arrow type.
    A NUMERIC without precision keeps its own digits (its Arrow type is inferred from the
    values: `is_unconstrained_decimal`)."""
    if is_unconstrained_decimal(column):
        return _decimal
    if is_text_in_arrow(column):
        return decimal_text(column)
    if column.family is TypeFamily.DECIMAL:
        quantum = Decimal(1).scaleb(-fetched_decimal_shape(column)[1])
        return lambda v: _decimal(v).quantize(quantum, context=EXACT)
    if column.family is TypeFamily.ARRAY:
        return _array_converter(column)
    return _CONVERTERS.get(column.family, lambda v: v if isinstance(v, str) else str(v))


def is_unconstrained_decimal(column: Column) -> bool:
    """A NUMERIC without precision: no fixed decimal type holds its values, which may have
    any scale; its Arrow type is the one `pa.array` infers from them (decimal(p, s), s the
    widest scale, decimal256 beyond 38 digits), as for a computed decimal."""
    return column.family is TypeFamily.DECIMAL and column.precision is None


def decimal_text(column: Column) -> Convert:
    """A decimal's exact text, without exponent ("0.000000000001", not "1E-12"): at the
    column's scale when it has one, as the value is when not (a NUMERIC without one)."""
    if column.precision is None:
        return lambda v: format(_decimal(v), "f")
    quantum = Decimal(1).scaleb(-max(0, column.scale or 0))
    return lambda v: format(_decimal(v).quantize(quantum, context=EXACT), "f")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _datetime(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.replace(tzinfo=None)


def _datetime_tz(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _time(value: Any) -> time | timedelta:
    """A time of day; MySQL's TIME (a timedelta, -838:59:59 to 838:59:59) stays a timedelta
    (an Arrow duration, `arrow_fetch`)."""
    if isinstance(value, (time, timedelta)):
        return value
    return time.fromisoformat(str(value))


def interval_tuple(value: Any) -> Any:
    """An interval as (months, days, nanoseconds): Arrow's month_day_nano interval, a
    PostgreSQL interval's three parts kept (`query.durations.interval_parts`)."""
    parts = interval_parts(value)
    if parts is None:
        return value
    months, days, micros = parts
    return (months, days, micros * 1000)


def is_interval(value: Any) -> bool:
    """A PostgreSQL interval as read (`connectors.postgresql_interval`), its parts kept."""
    return getattr(value, "parts", None) is not None


def _array_converter(column: Column) -> Convert:
    """An array as JSON text (what the Arrow route holds for JSON columns too), each item
    rendered as the REST surface renders it: decimals as exact strings, ISO dates, base64."""
    render = renderer_for(column)
    return lambda v: orjson.dumps(render(v)).decode()


def holds_json(values: Sequence[Any]) -> bool:
    """Whether a computed column's values include a JSON object (a jsonb, as psycopg reads it)."""
    return any(isinstance(v, dict) for v in values)


def computed_json(values: Sequence[Any]) -> list[str | None]:
    """A computed JSON column's values as JSON text (None stays SQL NULL; a decimal inside
    a list, as its text)."""
    return [None if v is None else orjson.dumps(v, default=str).decode() for v in values]


def _json(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)


_CONVERTERS: dict[TypeFamily, Convert] = {
    TypeFamily.INTEGER: int,
    TypeFamily.BIGINT: int,
    TypeFamily.FLOAT: float,
    TypeFamily.BOOLEAN: bool,
    TypeFamily.DATE: _date,
    TypeFamily.DATETIME: _datetime,
    TypeFamily.DATETIME_TZ: _datetime_tz,
    TypeFamily.TIME: _time,
    TypeFamily.INTERVAL: interval_tuple,
    TypeFamily.JSON: _json,
    TypeFamily.BINARY: bytes,
}
