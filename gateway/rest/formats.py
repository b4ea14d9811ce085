"""Response bodies: JSON (default), CSV, NDJSON (streamed) and the single-object form."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
import orjson
from starlette.responses import Response, StreamingResponse

from gateway.media import NotAcceptableError
from gateway.media import negotiate as negotiate_media

JSON = "application/json"
CSV = "text/csv"
NDJSON = "application/x-ndjson"
OBJECT = "application/vnd.pgrst.object+json"
SUPPORTED = (JSON, CSV, NDJSON, OBJECT)
PASSED_THROUGH = (JSON, OBJECT)  # written from a JSON array's text (`text_response`)


def negotiate(accept: str | None) -> str:
    """The first supported media type the client accepts (JSON for */* or none)."""
    return negotiate_media(accept, SUPPORTED)


def dumps(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


def to_csv(rows: list[dict[str, Any]], columns: Iterable[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(columns)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_cell(row.get(n)) for n in names])
    return out.getvalue().encode()


async def _ndjson(rows: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for row in rows:
        yield orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


def _lines(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)


def ndjson_stream(
    first: list[dict[str, Any]],
    next_batch: Callable[[], list[dict[str, Any]] | None],
    close: Callable[[], None],
    status: int,
    headers: dict[str, str],
) -> StreamingResponse:
    """NDJSON written batch by batch as `next_batch` (a blocking call, run in a worker
    thread) reads them; `close` runs at the end, also when the client goes away. An error
    after the first batch can only cut the stream short: the status is already sent."""

    async def body() -> AsyncIterator[bytes]:
        try:
            batch: list[dict[str, Any]] | None = first
            while batch:
                yield _lines(batch)
                batch = await anyio.to_thread.run_sync(next_batch)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)

    return StreamingResponse(body(), status, headers, media_type=NDJSON)


def rows_response(
    rows: list[dict[str, Any]],
    media: str,
    columns: Iterable[str],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    headers = dict(headers or {})
    if media == CSV:
        return Response(
            to_csv(rows, columns), status, headers, media_type="text/csv; charset=utf-8"
        )
    if media == NDJSON:
        return StreamingResponse(_ndjson(rows), status, headers, media_type=NDJSON)
    if media == OBJECT:
        if len(rows) != 1:
            raise NotAcceptableError(f"the result has {len(rows)} rows; {OBJECT} needs exactly one")
        return Response(dumps(rows[0]), status, headers, media_type=OBJECT)
    return Response(dumps(rows), status, headers, media_type=JSON)


def text_response(
    text: str | bytes, count: int, media: str, headers: dict[str, str], status: int = 200
) -> Response:
    """`rows_response` for rows already written as a JSON array's text (`count` of them)."""
    if media == OBJECT:
        if count != 1:
            raise NotAcceptableError(f"the result has {count} rows; {OBJECT} needs exactly one")
        return Response(text[1:-1], status, headers, media_type=OBJECT)
    return Response(text, status, headers, media_type=JSON)
