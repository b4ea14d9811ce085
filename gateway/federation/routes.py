"""`POST /sql`: adapt HTTP to the federation service (parse -> plan -> run -> respond)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from config.errors import FedgateError
from gateway.federation.cancel import CancelledError, CancelToken
from gateway.federation.limits import limits_from_settings
from gateway.query.errors import MalformedRequestError
from gateway.runtime import Runtime

if TYPE_CHECKING:
    from gateway.federation.result import RenderedResult, Result
    from gateway.federation.service import SqlService
    from gateway.federation.trino import TrinoService

# The SQL engine (DuckDB, sqlglot, pyarrow: ~90 MB resident) is imported by the first /sql
# request, not at start: a gateway serving REST and GraphQL alone never loads it. A query
# pushed whole to one source and answered in JSON, CSV or NDJSON loads sqlglot alone.

MAX_BODY_BYTES = 1024 * 1024
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a request the client abandoned
_SERVICE_LOCK = threading.Lock()


class SqlBodyTooLargeError(FedgateError):
    code = "payload_too_large"


class SqlMediaTypeError(FedgateError):
    code = "unsupported_media_type"


def sql_routes() -> list[Route]:
    return [Route("/sql", sql_endpoint, methods=["POST"])]


def get_service(request: Request) -> SqlService | TrinoService:
    """The app's /sql service, created on first use (its DuckDB lives as long as the app)."""
    from gateway.federation.service import SqlService

    state = request.app.state
    with _SERVICE_LOCK:
        service = getattr(state, "sql_service", None)
        if service is None:
            runtime: Runtime = state.runtime
            limits = limits_from_settings(runtime.settings)
            federation = getattr(runtime.settings, "federation", None)
            if federation is not None and federation.engine == "trino":
                from gateway.federation.trino import TrinoService  # imports pyarrow

                service = TrinoService(runtime, limits)
            else:
                service = SqlService(runtime, limits)
            state.sql_service = service
    return service


async def sql_endpoint(request: Request) -> Response:
    from gateway.federation import output

    sql, params = await _read_body(request)
    media = output.negotiate(request.headers.get("accept"))
    service = get_service(request)
    if request.query_params.get("explain", "false").lower() in ("true", "1"):
        body = await anyio.to_thread.run_sync(_explain, service, sql, params)
        return Response(orjson.dumps(body), media_type=output.JSON)
    token = CancelToken()
    rendered = media in (output.JSON, output.CSV, output.NDJSON)
    fresh = "no-cache" in request.headers.get("cache-control", "").lower()
    try:
        run = partial(service.run, rendered=rendered, fresh=fresh)
        result = await _run_watching_client(request, run, sql, params, token)
    except CancelledError:
        # The client went away and its statement was interrupted: nobody reads this.
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    return _respond(result, media)


def _explain(service: SqlService | TrinoService, sql: str, params: list[Any]) -> Any:
    from gateway.federation.explain import describe_with_cache
    from gateway.federation.trino import TrinoService

    if isinstance(service, TrinoService):
        return service.plan(sql, params)
    # Without DuckDB's physical plan (`fedgate sql --explain` prints it): it names the
    # sources' files, which API clients have no business seeing.
    plan = service.plan(sql, params)  # access checked first
    return describe_with_cache(service, plan, service.last_reads(sql, params))


async def _run_watching_client(
    request: Request,
    run: Callable[[str, list[Any], CancelToken], Result | RenderedResult],
    sql: str,
    params: list[Any],
    token: CancelToken,
) -> Result | RenderedResult:
    """Run in a worker thread; a client that disconnects cancels the statement."""
    result: Result | RenderedResult | None = None

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                token.cancel("disconnected")
                return

    failure: BaseException | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            result = await anyio.to_thread.run_sync(run, sql, params, token)
        except Exception as exc:  # raised outside the group, not wrapped in an ExceptionGroup
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    assert result is not None
    return result


def _respond(result: Result | RenderedResult, media: str) -> Response:
    from gateway.federation import output
    from gateway.federation.result import Result

    headers = {
        "X-Row-Count": str(result.row_count),
        "X-Truncated": "true" if result.truncated else "false",
    }
    cache = result.trace.get("cache")
    if cache is not None:  # the fragment cache is on: what it served
        counts = [f"hit={cache['hit']}", f"miss={cache['miss']}"]
        counts += ["refresh={}".format(cache["refresh"])] if cache["refresh"] else []
        headers["X-Fedgate-Cache"] = " ".join(counts)
    if media == output.CSV:
        return _stream(output.iter_csv(result), "text/csv; charset=utf-8", headers)
    if media == output.NDJSON:
        return _stream(output.iter_ndjson(result), output.NDJSON, headers)
    if media in (output.ARROW, output.PARQUET):
        assert isinstance(result, Result)  # only JSON, CSV and NDJSON are asked for rendered
        if media == output.ARROW:
            return Response(output.arrow_body(result), headers=headers, media_type=output.ARROW)
        return Response(output.parquet_body(result), headers=headers, media_type=output.PARQUET)
    return Response(output.json_body(result), headers=headers, media_type=output.JSON)


def _stream(chunks: Iterator[bytes], media: str, headers: dict[str, str]) -> StreamingResponse:
    return StreamingResponse(chunks, headers=headers, media_type=media)


async def _read_body(request: Request) -> tuple[str, list[Any]]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:  # refuse before reading it
        raise SqlBodyTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise SqlBodyTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise SqlMediaTypeError(f"send the body as application/json, not {content_type}")
    try:
        body = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise MalformedRequestError(
            f"the body is not valid JSON ({exc.msg} at position {exc.pos})",
            errors=[{"parameter": "body", "detail": "invalid JSON"}],
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
        raise MalformedRequestError(
            'send {"sql": "SELECT ...", "params": [...]}',
            errors=[{"parameter": "sql", "detail": "a string is required"}],
        )
    unknown = sorted(set(body) - {"sql", "params"})
    if unknown:
        raise MalformedRequestError(
            f"unknown key(s) {', '.join(map(repr, unknown))}; the body holds 'sql' and 'params'",
            errors=[{"parameter": name, "detail": "unknown key"} for name in unknown],
        )
    params = body.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise MalformedRequestError(
            "'params' must be a list of values",
            errors=[{"parameter": "params", "detail": "a list is required"}],
        )
    return body["sql"], params
