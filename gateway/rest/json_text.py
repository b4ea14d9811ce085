"""REST reads PostgreSQL answers as one JSON text, handed to the response untouched, and
planned once per spelling of the request.

A JSON response of whole rows (no alias, no JSON-typed column: `json_read.passthrough`)
is the text PostgreSQL builds, byte for byte what parsing it and writing it again
would give; the list form also reads the number of rows (`Content-Range`) from the
same statement. The read runs through the pooled driver connection on the loop
(`json_read.run_json_read`). Everything else (CSV, NDJSON, `Prefer: count`,
aliases, other databases) takes the executor's path.

`TextReads` keeps each such plan (the statement with its typed values, the media
type, the headers the request's spelling gives) under the request's spelling: method,
path, query string, and the headers that shape a read (`Accept`, `Prefer`, `Range`,
`Accept-Profile`), for one view of the model (the caller's `known_catalog`, so a
table hidden from one principal is never planned for another) of one catalog
object (a refresh replaces it: plans never outlive their model). A repeated read
then parses, resolves and types nothing: it checks the caller's scopes on every
table (`json_read.run_json_read`, on every request) and runs. Failures are never
kept: a request that was refused is planned, and refused, again.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import Response

from connectors.base import Connector
from gateway.auth.views import known_catalog
from gateway.query.access import current_access
from gateway.query.context import QueryContext
from gateway.query.errors import RowNotFoundError
from gateway.query.ir import Select
from gateway.query.json_read import (
    JsonRead,
    plan_json_read,
    run_counted_json_read,
    run_json_read,
)
from gateway.query.json_select import JSON_DIALECTS
from gateway.query.offload import on_loop, run_reads
from gateway.query.uses import table_uses
from gateway.rest import formats
from gateway.rest.paging import content_range
from schema_cache.model import Catalog

SHAPING_HEADERS = ("accept", "prefer", "range", "accept-profile")
MAX_KEPT_URL = 2048  # characters of path and query string of a request whose plan is kept


@dataclass(frozen=True, slots=True)
class TextRead:
    """A planned read and what its response adds to PostgreSQL's text."""

    read: JsonRead
    media: str
    offset: int  # a list's first row, for Content-Range
    headers: dict[str, str] = field(default_factory=dict)  # a list's other headers
    missing: str | None = None  # a by-key read: the 404's detail (None: a list)


def plan_list(
    ctx: QueryContext, select: Select, catalog: Catalog, media: str, headers: dict[str, str]
) -> TextRead | None:
    """A list read answered as text, or None when another path must serve it."""
    read = _plan(ctx, select, catalog, counted=True)
    if read is None:
        return None
    return TextRead(read, media, select.offset, headers)


def plan_one(
    ctx: QueryContext, select: Select, catalog: Catalog, media: str, missing: str
) -> TextRead | None:
    """A by-key read (at most one row) answered as text, or None for another path."""
    read = _plan(ctx, select, catalog, counted=False)
    if read is None or not read.compact:
        return None
    return TextRead(read, media, 0, missing=missing)


async def respond(ctx: QueryContext, plan: TextRead) -> Response:
    """Run the read (scopes checked first) and answer with its text."""
    read = plan.read
    loop = on_loop(ctx.connectors[name] for name in {use.source for use in read.uses})
    if plan.missing is None:
        text, count = await run_reads(loop, run_counted_json_read, read)
        headers = {"Content-Range": content_range(plan.offset, count, None), **plan.headers}
        return formats.text_response(text, count, plan.media, headers)
    row = (await run_reads(loop, run_json_read, read))[1:-1]  # `[{...}]` or `[]`
    if not row:
        raise RowNotFoundError(plan.missing)
    return Response(row, media_type=plan.media)


def _plan(ctx: QueryContext, select: Select, catalog: Catalog, *, counted: bool) -> JsonRead | None:
    connector = ctx.connectors.get(select.target.source)
    if connector is None or connector.dialect not in JSON_DIALECTS:
        return None  # never text: skip the scope check the caller's own read makes anyway
    uses = tuple(table_uses(select, catalog))
    current_access().require(uses)  # every table, before values are typed against them
    return plan_json_read(ctx, select, catalog, uses=uses, counted=counted)


class TextReads:
    """Plans by request spelling and view of the model; bounded, least recently used out.
    Used on the event loop only."""

    def __init__(self, maxsize: int = 1024) -> None:
        self._plans: LRUCache[Hashable, tuple[Catalog, Catalog, TextRead]] = LRUCache(maxsize)

    def get(self, request: Request, catalog: Catalog, connector: Connector) -> TextRead | None:
        """The plan kept for this request on `connector` (its path's source), if any."""
        if connector.dialect not in JSON_DIALECTS:
            return None  # never planned here: no key to build
        known = known_catalog(catalog)
        entry = self._plans.get(_key(request, known))
        if entry is None or entry[0] is not catalog or entry[1] is not known:
            return None
        return entry[2]

    def put(self, request: Request, catalog: Catalog, plan: TextRead) -> TextRead:
        """Keep `plan` for the request's spelling, unless that is long (planned each time:
        1024 kept plans of long URLs would hold many MB)."""
        scope = request.scope
        if len(scope["path"]) + len(scope["query_string"]) > MAX_KEPT_URL:
            return plan
        known = known_catalog(catalog)
        self._plans[_key(request, known)] = (catalog, known, plan)
        return plan


def _key(request: Request, known: Catalog) -> Hashable:
    scope = request.scope
    headers = request.headers
    shaping = tuple(tuple(headers.getlist(name)) for name in SHAPING_HEADERS)
    return (id(known), scope["method"], scope["path"], scope["query_string"], shaping)
