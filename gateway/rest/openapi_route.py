"""`GET /openapi.json`: the document, built once per catalog version."""

from __future__ import annotations

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.views import rights_key, visible_catalog
from gateway.errors import problem
from gateway.rest.formats import dumps
from gateway.rest.openapi import build_openapi
from gateway.runtime import Runtime

_documents: LRUCache[tuple[object, ...], bytes] = LRUCache(maxsize=16)


def clear() -> None:
    _documents.clear()


async def openapi_json(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    catalog = runtime.cache.catalog
    if not catalog.is_ready:
        return problem(503, "not_ready", "No schema snapshot yet: introspection is running.")
    server = str(request.base_url).rstrip("/")
    # One document per catalog version and per set of rights: each caller sees its tables.
    key = (server, rights_key(), *(f"{s.name}:{s.version}" for s in catalog.sources))
    body = _documents.get(key)
    if body is None:
        body = dumps(build_openapi(visible_catalog(catalog), server_url=server))
        _documents[key] = body
    return Response(body, media_type="application/json")
