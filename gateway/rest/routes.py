"""Starlette endpoints of the REST surface: adapt HTTP to parse -> plan -> run -> respond."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config.errors import FedgateError
from gateway.auth.views import audit_hidden, hidden_use, known_catalog
from gateway.query.access import Operation
from gateway.query.context import Bound, QueryContext, resolve_table
from gateway.query.errors import MalformedRequestError, RowNotFoundError, UnknownTableError
from gateway.query.executor import read_select, run_write
from gateway.query.ir import (
    Delete,
    Field,
    Filter,
    Insert,
    Junction,
    OnConflict,
    Select,
    TableRef,
    Update,
)
from gateway.query.stream import RowStream
from gateway.rest import formats
from gateway.rest.grammar import ParsedQuery, parse_query, parse_range_header
from gateway.rest.json_text import TextRead, TextReads, plan_list, plan_one, respond
from gateway.rest.paging import content_range, range_not_satisfiable
from gateway.rest.plan import (
    check_columns,
    pk_filter,
    plan_filter_only,
    plan_returning,
    plan_select,
    split_pk,
)
from gateway.rest.prefer import Preferences, parse_prefer
from gateway.rest.profiles import apply_profile, profile_header
from gateway.runtime import Runtime
from schema_cache.model import Catalog

MAX_BODY_BYTES = 10 * 1024 * 1024


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _context(request: Request) -> QueryContext:
    context: QueryContext = request.app.state.query_context
    return context


def _table_ref(request: Request) -> TableRef:
    source = request.path_params["source"]
    segment = request.path_params["table"]
    schema, _, table = segment.rpartition(".")
    return TableRef(source, table, schema or None)


def _bind(request: Request, catalog: Catalog) -> Bound:
    """The table of the path, named against the caller's view of the model (`known_catalog`):
    a table it may not use is a 404 as an unknown one, and every later name check (columns,
    embeds, relationships) sees only what it may use. Statements still run on `catalog`."""
    return _bind_known(request, catalog)[0]


def _bind_known(request: Request, catalog: Catalog) -> tuple[Bound, Catalog]:
    """`_bind`, and the caller's view it resolved against (looked up once per request)."""
    if not catalog.is_ready:
        raise NotReadyError("No schema snapshot yet: introspection is running.")
    header = profile_header(request.method)
    known = known_catalog(catalog)  # the caller's schemas only, in answers too
    ref = apply_profile(_table_ref(request), request.headers.get(header), header, known)
    context = _context(request)
    try:
        source, table = resolve_table(ref, known, context.connectors)
    except UnknownTableError as unknown:
        try:  # a table that exists but is hidden from the caller: audited as a denial
            hidden = context.bind(ref, catalog=catalog)
        except UnknownTableError:
            raise unknown from None
        operation = _OPERATIONS.get(request.method, "read")
        audit_hidden([hidden_use(hidden.source, hidden.table, operation)])
        raise
    return replace(context.bind(ref, catalog=catalog), source=source, table=table), known


_OPERATIONS: dict[str, Operation] = {
    "GET": "read",
    "HEAD": "read",
    "POST": "insert",
    "PUT": "insert",
    "PATCH": "update",
    "DELETE": "delete",
}


def _params(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


async def _body(request: Request) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:  # refuse before reading it
        raise PayloadTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaTypeError(f"send the body as application/json, not {content_type}")
    try:
        return orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise MalformedRequestError(
            f"the body is not valid JSON ({exc.msg} at position {exc.pos})",
            errors=[{"parameter": "body", "detail": "invalid JSON"}],
        ) from None


class NotReadyError(FedgateError):
    code = "not_ready"


class PayloadTooLargeError(MalformedRequestError):
    code = "payload_too_large"


class UnsupportedMediaTypeError(MalformedRequestError):
    code = "unsupported_media_type"


def _columns(select: Select, bound: Bound) -> list[str]:
    names = [f.output_name for f in select.fields] or list(bound.table.column_names)
    return names + [e.output_name for e in select.embeds]


async def list_rows(request: Request) -> Response:
    catalog = _runtime(request).cache.catalog
    planned = _planned(request, catalog)
    if planned is not None:  # this spelling was planned before, for this view of the model
        return await respond(_context(request), planned)
    bound, known = _bind_known(request, catalog)
    media = formats.negotiate(request.headers.get("accept"))
    prefer = parse_prefer(request.headers.getlist("prefer"))
    parsed = parse_query(_params(request))
    range_header = request.headers.get("range")
    select, notes = plan_select(
        bound.source,
        bound.table,
        parsed,
        default_limit=None,
        max_limit=_max_page(request, bound),
        catalog=known,
        range_=parse_range_header(range_header) if range_header else None,
    )
    if prefer.count:
        select = Select(
            select.target,
            select.fields,
            select.embeds,
            select.filter,
            select.order,
            select.limit,
            select.offset,
            True,
        )
    if media in formats.PASSED_THROUGH and not prefer.count:
        other_headers = _list_headers(select, notes.clamped_from, prefer)
        planned = plan_list(_context(request), select, catalog, media, other_headers)
        if planned is not None:
            _text_reads(request).put(request, catalog, planned)
            return await respond(_context(request), planned)
    stream: RowStream | None = None
    if media == formats.NDJSON:  # streamed from a cursor, batch by batch
        stream = RowStream(_context(request), select, catalog, count=bool(prefer.count))
        rows = await anyio.to_thread.run_sync(stream.start)
        shown, total = stream.rows, stream.total
    else:
        result = await read_select(_context(request), select, catalog)
        rows, shown, total = result.rows, len(result.rows), result.total
    if total is not None and select.offset > total and media != formats.OBJECT:
        if stream is not None:
            await anyio.to_thread.run_sync(stream.close)
        parameter = "offset" if "offset" in parsed.scope().parameters else "Range"
        return range_not_satisfiable(select.offset, total, parameter)
    headers = {
        "Content-Range": content_range(select.offset, shown, total),
        **_list_headers(select, notes.clamped_from, prefer),
    }
    # PostgREST: 206 whenever the page is not every row (an offset, or a limit below the total).
    status = 206 if total is not None and shown < total else 200
    if stream is not None:
        return formats.ndjson_stream(rows, stream.next_batch, stream.close, status, headers)
    return formats.rows_response(
        rows, media, _columns(select, bound), status=status, headers=headers
    )


def _max_page(request: Request, bound: Bound) -> int:
    settings = _runtime(request).settings.source(bound.source.name)
    return settings.max_page_size


def _list_headers(select: Select, clamped_from: int | None, prefer: Preferences) -> dict[str, str]:
    """A list's headers besides `Content-Range`."""
    headers = {}
    if clamped_from is not None:
        headers["Fedgate-Limit-Clamped"] = f"{clamped_from}->{select.limit}"
    if prefer.applied:
        headers["Preference-Applied"] = ", ".join(prefer.applied)
    return headers


def _planned(request: Request, catalog: Catalog) -> TextRead | None:
    """The read planned before for this request's spelling, if any."""
    connector = _context(request).connectors.get(request.path_params["source"])
    if connector is None:
        return None
    return _text_reads(request).get(request, catalog, connector)


def _text_reads(request: Request) -> TextReads:
    plans: TextReads = request.app.state.text_reads
    return plans


async def create_rows(request: Request) -> Response:
    catalog = _runtime(request).cache.catalog
    bound = _bind(request, catalog)
    prefer = parse_prefer(request.headers.getlist("prefer"))
    body = await _body(request)
    rows = tuple(body) if isinstance(body, list) else (body,)
    parsed = parse_query(_params(request))
    if parsed.columns is not None:
        check_columns(bound.table, parsed.columns, "columns")
        rows = tuple(only_columns(row, parsed.columns, prefer.missing) for row in rows)
    on_conflict = None
    if prefer.resolution or parsed.on_conflict:
        columns = parsed.on_conflict or ()
        resolution = "ignore" if prefer.resolution == "ignore-duplicates" else "merge"
        on_conflict = OnConflict(tuple(columns), resolution)  # type: ignore[arg-type]
    returning = _returning(bound, parsed)
    insert = Insert(
        bound_ref(bound), rows, returning, prefer.return_ == "representation", on_conflict
    )
    result = await anyio.to_thread.run_sync(run_write, _context(request), insert, catalog)
    return _write_response(request, result.rows, result.affected, prefer, bound, 201, returning)


def only_columns(row: Any, columns: tuple[str, ...], missing: str | None) -> Any:
    """The `columns=` keys of a body row (others ignored), as PostgREST inserts them: a key
    the row lacks is NULL, or the column's default with `Prefer: missing=default`."""
    if not isinstance(row, dict):
        return row  # refused when the row is typed
    if missing == "default":
        return {c: row[c] for c in columns if c in row}
    return {c: row.get(c) for c in columns}


def bound_ref(bound: Bound) -> TableRef:
    return TableRef(bound.source.name, bound.table.name, bound.table.schema)


def _returning(bound: Bound, parsed: ParsedQuery) -> tuple[Field, ...]:
    return plan_returning(bound.table, parsed)


def _write_response(
    request: Request,
    rows: list[dict[str, Any]],
    affected: int,
    prefer: Preferences,
    bound: Bound,
    status: int,
    returning: tuple[Field, ...],
) -> Response:
    headers = {"Content-Range": f"*/{affected}"}
    if prefer.applied:
        headers["Preference-Applied"] = ", ".join(prefer.applied)
    if prefer.return_ != "representation":
        return Response(status_code=status if status == 201 else 204, headers=headers)
    media = formats.negotiate(request.headers.get("accept"))
    columns = [f.output_name for f in returning] or list(bound.table.column_names)
    return formats.rows_response(rows, media, columns, status=status, headers=headers)


async def update_rows(request: Request) -> Response:
    catalog = _runtime(request).cache.catalog
    bound = _bind(request, catalog)
    prefer = parse_prefer(request.headers.getlist("prefer"))
    parsed = parse_query(_params(request))
    where = plan_filter_only(bound.table, parsed)
    if where is None:
        raise MalformedRequestError(
            "PATCH needs at least one filter (use a filter that matches all rows on purpose)",
            errors=[{"parameter": "filter", "detail": "missing"}],
        )
    body = await _body(request)
    if not isinstance(body, dict):
        raise MalformedRequestError("PATCH takes one JSON object of column values")
    returning = _returning(bound, parsed)
    update = Update(bound_ref(bound), body, where, returning, prefer.return_ == "representation")
    result = await anyio.to_thread.run_sync(run_write, _context(request), update, catalog)
    return _write_response(request, result.rows, result.affected, prefer, bound, 200, returning)


async def delete_rows(request: Request) -> Response:
    catalog = _runtime(request).cache.catalog
    bound = _bind(request, catalog)
    prefer = parse_prefer(request.headers.getlist("prefer"))
    parsed = parse_query(_params(request))
    where = plan_filter_only(bound.table, parsed)
    if where is None:
        raise MalformedRequestError(
            "DELETE needs at least one filter",
            errors=[{"parameter": "filter", "detail": "missing"}],
        )
    returning = _returning(bound, parsed)
    delete = Delete(bound_ref(bound), where, returning, prefer.return_ == "representation")
    result = await anyio.to_thread.run_sync(run_write, _context(request), delete, catalog)
    return _write_response(request, result.rows, result.affected, prefer, bound, 200, returning)


async def one_row(request: Request) -> Response:
    """GET, PATCH, PUT or DELETE one row by primary key."""
    catalog = _runtime(request).cache.catalog
    method = request.method
    if method == "GET":
        planned = _planned(request, catalog)
        if planned is not None:
            return await respond(_context(request), planned)
    bound, known = _bind_known(request, catalog)
    key = pk_filter(bound.table, request.path_params["pk"])
    parsed = parse_query(_params(request))
    prefer = parse_prefer(request.headers.getlist("prefer"))
    if method == "GET":
        select, _ = plan_select(
            bound.source,
            bound.table,
            parsed,
            default_limit=None,
            max_limit=_max_page(request, bound),
            catalog=known,
        )
        select = Select(
            select.target, select.fields, select.embeds, _and(select.filter, key), limit=1
        )
        missing = f"no row of '{bound.table.name}' has this primary key"
        planned = plan_one(_context(request), select, catalog, _one_media(request), missing)
        if planned is not None:
            _text_reads(request).put(request, catalog, planned)
            return await respond(_context(request), planned)
        result = await read_select(_context(request), select, catalog)
        if not result.rows:
            raise RowNotFoundError(missing)
        return _one(request, result.rows[0])
    returning = _returning(bound, parsed)
    representation = prefer.return_ == "representation"
    statement: Update | Delete | Insert
    if method == "DELETE":
        statement = Delete(bound_ref(bound), key, returning, representation)
    elif method == "PATCH":
        body = await _body(request)
        if not isinstance(body, dict):
            raise MalformedRequestError("PATCH takes one JSON object of column values")
        statement = Update(bound_ref(bound), body, key, returning, representation)
    else:  # PUT: the whole row, keyed by the path
        body = await _body(request)
        if not isinstance(body, dict):
            raise MalformedRequestError("PUT takes one JSON object with every column")
        statement = Insert(
            bound_ref(bound),
            ({**body, **_key_values(bound, request)},),
            returning,
            representation,
            OnConflict(bound.table.primary_key, "merge"),
        )
    result = await anyio.to_thread.run_sync(run_write, _context(request), statement, catalog)
    if result.affected == 0 and method != "PUT":
        raise RowNotFoundError(f"no row of '{bound.table.name}' has this primary key")
    if not representation:
        return Response(status_code=204)
    return _one(request, result.rows[0] if result.rows else {})


def _one(request: Request, row: dict[str, Any]) -> Response:
    """A single row is a JSON object (as `application/vnd.pgrst.object+json` asks)."""
    return Response(formats.dumps(row), media_type=_one_media(request))


def _one_media(request: Request) -> str:
    media = formats.negotiate(request.headers.get("accept"))
    return formats.OBJECT if media == formats.OBJECT else formats.JSON


def _key_values(bound: Bound, request: Request) -> dict[str, Any]:
    values = split_pk(bound.table, request.path_params["pk"])
    return dict(zip(bound.table.primary_key, values, strict=True))


def _and(first: Filter | None, second: Filter) -> Filter:
    return second if first is None else Junction("and", (first, second))


def rest_routes() -> list[Route]:
    return [
        Route("/rest/{source}/{table}", list_rows, methods=["GET"]),
        Route("/rest/{source}/{table}", create_rows, methods=["POST"]),
        Route("/rest/{source}/{table}", update_rows, methods=["PATCH"]),
        Route("/rest/{source}/{table}", delete_rows, methods=["DELETE"]),
        Route("/rest/{source}/{table}/{pk}", one_row, methods=["GET", "PATCH", "PUT", "DELETE"]),
    ]
