"""The generic route: SQLAlchemy `text()` with bound values -> rows -> Arrow batches, each
column conformed to the catalog's declared type (decimal precision and scale kept)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from connectors.base import Connector
from connectors.errors import wrap_execution_error
from connectors.types import TypeFamily
from gateway.federation.cancel import CancelToken
from gateway.federation.coltypes import arrow_type
from schema_cache.model import Column

Convert = Callable[[Any], Any]


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
        stream_results: read through a server-side cursor. False only for statements whose
            row count is bounded anyway (a LIMIT): PostgreSQL plans no parallel query for a
            cursor, and a whole-pushdown aggregate (TPC-H Q1) then runs on one core.
    """
    batches: list[pa.RecordBatch] = []
    total = 0
    with connector.connect() as conn:
        token.on_cancel(lambda: _cancel(conn))
        try:
            options = conn.execution_options(stream_results=stream_results)
            result = options.execute(sa.text(sql), binds)
            while max_rows is None or total < max_rows:
                token.check()
                size = batch_rows if max_rows is None else min(batch_rows, max_rows - total)
                rows = result.fetchmany(size)
                if not rows:
                    break
                batches.append(rows_to_batch(rows, columns, names))
                total += len(rows)
            result.close()
        except sa_exc.DBAPIError as exc:
            token.check()
            raise wrap_execution_error(exc, connector.name, connector.dialect) from exc
    if not batches:
        schema = pa.schema([(n, _empty_type(c)) for n, c in zip(names, columns, strict=True)])
        return schema.empty_table()
    return pa.Table.from_batches(_unify(batches))


def rows_to_batch(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column | None], names: Sequence[str]
) -> pa.RecordBatch:
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column is None:
            arrays.append(pa.array(values, from_pandas=False))
            continue
        convert = converter(column)
        converted = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(converted, arrow_type(column)))
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


def converter(column: Column) -> Convert:
    """How a driver value becomes the Python value of the column's Arrow type."""
    if column.family is TypeFamily.DECIMAL:
        scale = arrow_type(column).scale
        quantum = Decimal(1).scaleb(-scale)
        return lambda v: _decimal(v).quantize(quantum)
    return _CONVERTERS.get(column.family, lambda v: v if isinstance(v, str) else str(v))


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


def _time(value: Any) -> time:
    if isinstance(value, timedelta):  # MySQL TIME
        return (datetime.min + value).time()
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _interval(value: Any) -> Any:
    if isinstance(value, timedelta):
        nanos = (value.seconds * 1_000_000 + value.microseconds) * 1000
        return (0, value.days, nanos)
    return value


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
    TypeFamily.INTERVAL: _interval,
    TypeFamily.JSON: _json,
    TypeFamily.BINARY: bytes,
}


def _empty_type(column: Column | None) -> pa.DataType:
    return arrow_type(column) if column is not None else pa.null()


def _unify(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """Batches whose inferred types differ (all-null first batch, wider decimals later)
    are cast to one schema."""
    schemas = {b.schema for b in batches}
    if len(schemas) == 1:
        return batches
    schema = pa.unify_schemas(list(schemas), promote_options="permissive")
    return [b.cast(schema) for b in batches]


def _cancel(conn: sa.Connection) -> None:
    """Ask the server to stop the running statement, where the driver can (psycopg)."""
    driver = getattr(conn.connection, "driver_connection", None)
    cancel = getattr(driver, "cancel_safe", None) or getattr(driver, "cancel", None)
    if callable(cancel):
        cancel()
