"""Render raw driver values as JSON-ready values, identically for every dialect.

Drivers hand back different Python types for the same family (SQLite gives
text for datetimes and floats for decimals; MySQL gives timedeltas for TIME
and 0/1 for booleans): each family has one canonical form here.
Decimals render as strings so they stay exact in every client.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from typing import Any

import orjson

from connectors.types import TypeFamily
from gateway.query.durations import interval_parts, iso_duration
from schema_cache.model import Column

Renderer = Callable[[Any], Any]
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""For quantizing: the default context (28 digits) fails on a wider value, decimal(65, 30)."""


def renderer_for(column: Column) -> Renderer:
    """The function that renders this column's raw values (None stays None)."""
    if column.family is TypeFamily.DECIMAL:
        return _decimal_renderer(column.scale)
    if column.family is TypeFamily.ARRAY:
        return _array_renderer(column.item_family)
    render = _RENDERERS.get(column.family, _other)
    return lambda v: None if v is None else render(v)


def _decimal_renderer(scale: int | None) -> Renderer:
    quantum = Decimal(1).scaleb(-scale) if scale is not None and scale >= 0 else None

    def render(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Decimal):
            number = value
        else:  # a float, or the exact text of a decimal no Arrow type holds (over 76 digits)
            number = Decimal(value) if isinstance(value, str) else Decimal(repr(value))
        if quantum is not None:
            number = number.quantize(quantum, context=EXACT)
        return format(number, "f")

    return render


def _array_renderer(item_family: TypeFamily | None) -> Renderer:
    """Items rendered as their family renders; a multidimensional array as nested lists."""
    if item_family is TypeFamily.DECIMAL:
        item = _decimal_renderer(None)
    else:
        item = _RENDERERS.get(item_family or TypeFamily.OTHER, _other)

    def render(value: Any) -> Any:
        if value is None:
            return None
        return [
            None if i is None else render(i) if isinstance(i, (list, tuple)) else item(i)
            for i in _list(value)
        ]

    return render


def _integer(value: Any) -> int:
    return int(value)


def _float(value: Any) -> float:
    return float(value)


def _boolean(value: Any) -> bool:
    return bool(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _time(value: Any) -> str:
    if isinstance(value, time):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, timedelta):  # MySQL TIME: -838:59:59 to 838:59:59, as MySQL spells it
        sign, span = ("-", -value) if value < timedelta(0) else ("", value)
        hours, rest = divmod(span.days * 86400 + span.seconds, 3600)
        minutes, secs = divmod(rest, 60)
        micros = span.microseconds
        clock = f"{hours:02d}:{minutes:02d}:{secs:02d}" + (f".{micros:06d}" if micros else "")
        return sign + clock
    return str(value)


def _datetime(value: Any) -> str:
    if isinstance(value, str):  # SQLite keeps datetimes as text
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value.replace(" ", "T")
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    return str(value)


def _datetime_tz(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:  # MySQL TIMESTAMP, read in a UTC session
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    return str(value)


def _interval(value: Any) -> str:
    """ISO 8601, a PostgreSQL interval's months, days and time apart (`query.durations`)."""
    parts = interval_parts(value)
    if parts is None:
        return str(value)
    months, days, micros = parts
    return iso_duration(months, days, micros * 1000)


def _uuid(value: Any) -> str:
    return str(value).lower()


def _json(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _binary(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _other(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _list(value: Any) -> list[Any]:
    if isinstance(value, str):
        parsed = orjson.loads(value)
        return parsed if isinstance(parsed, list) else [parsed]
    return list(value)


_RENDERERS: dict[TypeFamily, Renderer] = {
    TypeFamily.INTEGER: _integer,
    TypeFamily.BIGINT: _integer,
    TypeFamily.FLOAT: _float,
    TypeFamily.BOOLEAN: _boolean,
    TypeFamily.STRING: _text,
    TypeFamily.TEXT: _text,
    TypeFamily.ENUM: _text,
    TypeFamily.DATE: _date,
    TypeFamily.TIME: _time,
    TypeFamily.DATETIME: _datetime,
    TypeFamily.DATETIME_TZ: _datetime_tz,
    TypeFamily.INTERVAL: _interval,
    TypeFamily.UUID: _uuid,
    TypeFamily.JSON: _json,
    TypeFamily.BINARY: _binary,
    TypeFamily.OTHER: _other,
}
