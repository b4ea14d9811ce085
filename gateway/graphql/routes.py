"""Starlette endpoints of the GraphQL surface: `POST /graphql`, `GET /graphql` (GraphiQL).

Transport follows GraphQL over HTTP: a JSON body `{query, variables,
operationName}`; errors of the operation come back as `errors[]` with status
200; a request that is not a GraphQL request at all (bad JSON, no query) gets
400 with the same body shape. `GET /graphql?query=...` runs queries (never
mutations); a `GET` without `query` is the GraphiQL page.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from config.validate import graphql_prefix
from gateway.auth.views import rights_key, visible_catalog
from gateway.graphql import errors as gql_errors
from gateway.graphql.engine import Request as GraphQLRequest
from gateway.graphql.graphiql import STATIC_DIR, graphiql_page
from gateway.graphql.limits import Limits
from gateway.graphql.state import LiveSchema
from gateway.query.context import QueryContext
from gateway.query.offload import on_loop, run_reads
from gateway.runtime import Runtime

MAX_BODY_BYTES = 10 * 1024 * 1024
_create_lock = threading.Lock()


def live_schema(request: Request) -> LiveSchema:
    """The app's LiveSchema, created on first use and kept fresh by the schema cache."""
    state = request.app.state
    live: LiveSchema | None = getattr(state, "graphql", None)
    if live is not None:
        return live
    with _create_lock:
        live = getattr(state, "graphql", None)
        if live is None:
            runtime: Runtime = state.runtime
            settings = runtime.settings
            read_only = frozenset(s.name for s in settings.sources if s.read_only)
            pages = {s.name: s.max_page_size for s in settings.sources}
            prefixes = {s.name: graphql_prefix(s) for s in settings.sources}
            bounds = settings.graphql
            limits = Limits(bounds.max_depth, bounds.max_aliases, bounds.max_nodes)
            live = LiveSchema(read_only, limits, lambda source: pages.get(source, 1_000), prefixes)
            runtime.cache.subscribe(live.on_refresh)
            state.graphql = live
    return live


def principal_schema(request: Request) -> LiveSchema:
    """The caller's schema: the shared one, or with auth on one per set of rights whose
    schema has only the tables those rights may read (`gateway.auth.views`)."""
    key = rights_key()
    live = live_schema(request)
    if key is None:
        return live
    views: LRUCache[object, LiveSchema] | None = getattr(request.app.state, "graphql_views", None)
    if views is None:
        views = request.app.state.graphql_views = LRUCache(maxsize=64)
    with _create_lock:
        view = views.get(key)
        if view is None:
            view = views[key] = live.like()
    return view


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _refused(message: str, parameter: str, status: int = 400) -> Response:
    return _json({"errors": [gql_errors.bad_request(message, parameter)]}, status)


async def graphql_get(request: Request) -> Response:
    params = request.query_params
    if "query" not in params:
        root = request.scope.get("root_path", "").rstrip("/")
        return graphiql_page(endpoint=f"{root}/graphql", static_url=f"{root}/graphql/static")
    variables: Any = {}
    if params.get("variables"):
        try:
            variables = orjson.loads(params["variables"])
        except orjson.JSONDecodeError:
            return _refused("variables is not valid JSON", "variables")
    return await _run(request, params["query"], variables, params.get("operationName"))


async def graphql_post(request: Request) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _refused(f"the body is larger than {MAX_BODY_BYTES} bytes", "body", 413)
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _refused(f"the body is larger than {MAX_BODY_BYTES} bytes", "body", 413)
    try:
        body = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        return _refused(f"the body is not valid JSON ({exc.msg})", "body")
    if not isinstance(body, dict):
        return _refused("the body must be a JSON object with a query", "body")
    return await _run(request, body.get("query"), body.get("variables"), body.get("operationName"))


async def _run(request: Request, query: Any, variables: Any, operation: Any) -> Response:
    if not isinstance(query, str) or not query.strip():
        return _refused("give the GraphQL document in 'query'", "query")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return _refused("variables must be a JSON object", "variables")
    if operation is not None and not isinstance(operation, str):
        return _refused("operationName must be a string", "operationName")
    runtime: Runtime = request.app.state.runtime
    catalog = runtime.cache.catalog
    if not catalog.is_ready:
        message = "No schema snapshot yet: introspection is running."
        body = {"errors": [{"message": message, "extensions": {"code": "not_ready"}}]}
        return Response(
            orjson.dumps(body), 503, {"Retry-After": "5"}, media_type="application/json"
        )
    engine = principal_schema(request).engine(visible_catalog(catalog))
    ctx: QueryContext = request.app.state.query_context
    graphql_request = GraphQLRequest(query, variables, operation)
    mutation = _is_mutation(engine, graphql_request)
    if request.method == "GET" and mutation:
        return _refused("mutations need POST", "query", 405)
    # Queries read only: on the loop when every source has an asyncio driver. Writes (and
    # their returning reads) keep a worker thread.
    loop = not mutation and on_loop(ctx.connectors.values())
    result = await run_reads(loop, engine.run, graphql_request, ctx, catalog)
    return _json(result)


def _is_mutation(engine: Any, request: GraphQLRequest) -> bool:
    document = engine.document(request.query).node
    if document is None:
        return False
    return any(
        getattr(d, "operation", None) is not None and d.operation.value == "mutation"
        for d in document.definitions
    )


def graphql_routes(prefix: str = "/graphql") -> list[BaseRoute]:
    return [
        Route(prefix, graphql_post, methods=["POST"], name="graphql"),
        Route(prefix, graphql_get, methods=["GET"], name="graphiql"),
        Mount(f"{prefix}/static", StaticFiles(directory=STATIC_DIR), name="graphql_static"),
    ]
