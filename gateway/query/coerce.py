"""Type request values against their column before any SQL runs (422 when they do not fit).

Values come as strings (URL filters) or JSON values (bodies); the result is
the Python value the driver binds.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from connectors.types import TypeFamily
from gateway.query.errors import InvalidValueError
from schema_cache.model import Column

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
_DURATION = re.compile(
    r"^(?P<neg>-)?P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class CoercionError(ValueError):
    """Carries what was expected, for a 422 naming the column."""


def coerce_value(column: Column, value: Any) -> Any:
    """The Python value for `column`; raises CoercionError with what was expected."""
    if value is None:
        return None
    coerce = _COERCERS.get(column.family)
    if coerce is None:
        return value if isinstance(value, str) else str(value)
    result = coerce(value, column)
    if column.family is TypeFamily.ENUM and column.enum_values and result not in column.enum_values:
        raise CoercionError(f"one of {', '.join(column.enum_values)}")
    if column.length is not None and isinstance(result, str) and len(result) > column.length:
        raise CoercionError(f"text of at most {column.length} characters")
    return result


def coerce_for(model: Column, column: str, value: Any, parameter: str | None = None) -> Any:
    """`value` coerced to `model`'s type, or a 422 naming `column` (and `parameter`)."""
    try:
        return coerce_value(model, value)
    except CoercionError as exc:
        shown = str(value)[:60]
        raise InvalidValueError(
            f"value '{shown}' does not fit column '{column}': expected {exc}",
            errors=[
                {"parameter": parameter or column, "column": column, "detail": f"expected {exc}"}
            ],
        ) from None


def _integer_bounds(column: Column) -> tuple[int, int]:
    """int32 or int64; MySQL's unsigned integers: from 0 (INT UNSIGNED to 2^32 - 1,
    BIGINT UNSIGNED to 2^64 - 1)."""
    if "unsigned" in column.native_type.lower():
        return UINT32 if column.family is TypeFamily.INTEGER else UINT64
    return INT32 if column.family is TypeFamily.INTEGER else INT64


def _integer(value: Any, column: Column) -> int:
    bounds = _integer_bounds(column)
    if isinstance(value, bool):
        raise CoercionError("an integer")
    try:
        number = int(value) if isinstance(value, (int, str)) else _whole(value)
    except (ValueError, TypeError):
        raise CoercionError("an integer") from None
    if not bounds[0] <= number <= bounds[1]:
        raise CoercionError(f"an integer from {bounds[0]} to {bounds[1]}")
    return number


def _whole(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(value)


def _decimal(value: Any, column: Column) -> Decimal:
    if isinstance(value, bool):
        raise CoercionError("a decimal number")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise CoercionError("a decimal number") from None
    if not number.is_finite():
        raise CoercionError("a finite decimal number")
    if column.precision is not None and column.scale is not None:
        digits = column.precision - column.scale
        # `adjusted()` is the exponent of the leading digit: no arithmetic, so no Overflow
        # trap for an exponent beyond the context's (`1e999999999`).
        if number and number.adjusted() >= digits:
            raise CoercionError(f"a decimal with at most {digits} digits before the point")
    return number


def _float(value: Any, _column: Column) -> float:
    if isinstance(value, bool):
        raise CoercionError("a number")
    try:
        return float(value)
    except (ValueError, TypeError):
        raise CoercionError("a number") from None


def _boolean(value: Any, _column: Column) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise CoercionError("true or false")


def _text(value: Any, _column: Column) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise CoercionError("text")


def _date(value: Any, _column: Column) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CoercionError("a date (YYYY-MM-DD)") from None


def _time(value: Any, _column: Column) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise CoercionError("a time (HH:MM:SS)") from None


def _datetime(value: Any, column: Column) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CoercionError("a date and time (ISO 8601)") from None
    if column.family is TypeFamily.DATETIME and parsed.tzinfo is not None:
        raise CoercionError("a date and time without a time zone")
    return parsed


def _interval(value: Any, _column: Column) -> timedelta:
    """A duration with an optional leading minus (`-PT1H30M`, as intervals render)."""
    match = _DURATION.match(str(value))
    if not match or str(value).lstrip("-") in ("P", "PT"):
        raise CoercionError("an ISO 8601 duration such as P1DT2H or -PT1H30M")
    negative = match.group("neg") is not None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items() if k != "neg"}
    span = timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    return -span if negative else span


def _uuid(value: Any, _column: Column) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise CoercionError("a UUID") from None


def _json(value: Any, _column: Column) -> Any:
    if isinstance(value, str):  # URL filters carry JSON as text
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _binary(value: Any, _column: Column) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise CoercionError("base64-encoded bytes") from None


_COERCERS: dict[TypeFamily, Callable[[Any, Column], Any]] = {
    TypeFamily.INTEGER: _integer,
    TypeFamily.BIGINT: _integer,
    TypeFamily.DECIMAL: _decimal,
    TypeFamily.FLOAT: _float,
    TypeFamily.BOOLEAN: _boolean,
    TypeFamily.STRING: _text,
    TypeFamily.TEXT: _text,
    TypeFamily.ENUM: _text,
    TypeFamily.DATE: _date,
    TypeFamily.TIME: _time,
    TypeFamily.DATETIME: _datetime,
    TypeFamily.DATETIME_TZ: _datetime,
    TypeFamily.INTERVAL: _interval,
    TypeFamily.UUID: _uuid,
    TypeFamily.JSON: _json,
    TypeFamily.BINARY: _binary,
}
