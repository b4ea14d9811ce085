"""Response bodies of /sql: JSON (default), CSV, NDJSON, Arrow IPC stream and Parquet.

JSON, CSV and NDJSON render values exactly as the REST surface does (`query.render`:
decimals as exact strings, ISO dates and times, base64 binary); Arrow and Parquet carry
the typed columns themselves (decimals as decimal128 of their precision and scale).
A pushdown's `RenderedResult` comes with its rows rendered already; pyarrow is imported
for Arrow results only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from connectors.types import TypeFamily
from gateway.federation.result import RenderedResult, Result, ResultColumn
from gateway.media import negotiate as negotiate_media
from gateway.query.durations import iso_duration
from gateway.query.render import Renderer, renderer_for
from schema_cache.model import Column

if TYPE_CHECKING:
    import pyarrow as pa

JSON = "application/json"
CSV = "text/csv"
NDJSON = "application/x-ndjson"
ARROW = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"
SUPPORTED = (JSON, CSV, NDJSON, ARROW, PARQUET)
STREAM_BATCH_ROWS = 10_000


def negotiate(accept: str | None) -> str:
    """The first supported media type the client accepts (JSON for */* or none)."""
    return negotiate_media(accept, SUPPORTED)


def column_renderer(column: ResultColumn) -> Renderer:
    """How one result column's Python values (from Arrow, or `rows_json`'s equivalent)
    render in JSON, CSV and NDJSON."""
    if column.family is TypeFamily.INTERVAL:
        return _interval
    if column.family is TypeFamily.ARRAY:
        return _array
    model = Column(column.name, column.family, "", True, scale=column.scale)
    return renderer_for(model)


_LIST = renderer_for(Column("", TypeFamily.ARRAY, "", True))


def _array(value: Any) -> Any:
    """A catalog array column's JSON text (its items rendered already: `driver_values`), or
    a list (an Arrow list: a computed array, DuckDB's LIST)."""
    return orjson.loads(value) if isinstance(value, str) else _LIST(value)


def _interval(value: Any) -> Any:
    """A month_day_nano interval (pyarrow's MonthDayNano, a (months, days, nanoseconds)
    tuple) or a timedelta (an Arrow duration) in ISO 8601, as the REST surface renders an
    interval (`query.durations`)."""
    if isinstance(value, tuple):
        return iso_duration(*value)
    return renderer_for(Column("", TypeFamily.INTERVAL, "", True))(value)


def rendered_rows(
    result: Result | RenderedResult, table: pa.Table | None = None
) -> list[list[Any]]:
    """Rows of `table` (default: the whole result) as JSON-ready lists."""
    if isinstance(result, RenderedResult):
        return result.rows
    table = result.table if table is None else table
    columns = [
        [render(v) for v in array.to_pylist()]
        for array, render in zip(
            table.columns, (column_renderer(c) for c in result.columns), strict=True
        )
    ]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def json_body(result: Result | RenderedResult) -> bytes:
    body = {
        "columns": [{"name": c.name, "type": c.family.value} for c in result.columns],
        "rows": rendered_rows(result),
        "row_count": result.row_count,
        "truncated": result.truncated,
    }
    return orjson.dumps(body)


def _row_batches(result: Result | RenderedResult) -> Iterator[list[list[Any]]]:
    """The rendered rows, `STREAM_BATCH_ROWS` at a time."""
    for offset in range(0, result.row_count, STREAM_BATCH_ROWS):
        if isinstance(result, RenderedResult):
            yield result.rows[offset : offset + STREAM_BATCH_ROWS]
        else:
            yield rendered_rows(result, result.table.slice(offset, STREAM_BATCH_ROWS))


def iter_ndjson(result: Result | RenderedResult) -> Iterator[bytes]:
    """One JSON object per row, keyed by column name."""
    names = [c.name for c in result.columns]
    for part in _row_batches(result):
        yield b"".join(
            orjson.dumps(dict(zip(names, row, strict=True)), option=orjson.OPT_APPEND_NEWLINE)
            for row in part
        )


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


def iter_csv(result: Result | RenderedResult) -> Iterator[bytes]:
    """A header line, then the rows (NULL is an empty field)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in result.columns])
    yield out.getvalue().encode()
    for part in _row_batches(result):
        out.seek(0)
        out.truncate()
        writer.writerows([_csv_cell(v) for v in row] for row in part)
        yield out.getvalue().encode()


def arrow_body(result: Result) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, result.table.schema) as writer:
        writer.write_table(result.table, max_chunksize=STREAM_BATCH_ROWS)
    return bytes(sink.getvalue())


def parquet_body(result: Result) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(result.table, sink)
    return bytes(sink.getvalue())
