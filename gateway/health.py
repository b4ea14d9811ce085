"""Liveness, readiness and the catalog endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.views import visible_catalog
from gateway.errors import problem
from gateway.responses import json_response
from gateway.runtime import Runtime
from schema_cache.model import Catalog
from schema_cache.serialize import source_to_dict, to_plain


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def healthz(_request: Request) -> Response:
    return json_response({"status": "ok"})


def source_states(catalog: Catalog, names: tuple[str, ...]) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for name in names:
        source = catalog.get_source(name)
        state = catalog.get_state(name)
        states[name] = {
            "status": state.status if state else "pending",
            "reason": state.reason if state else None,
            "serving": source is not None,
            "version": source.version if source else None,
            "tables": len(source.tables) if source else 0,
        }
    return states


async def readyz(request: Request) -> Response:
    runtime = get_runtime(request)
    catalog = runtime.cache.catalog
    states = source_states(catalog, runtime.cache.source_names)
    if not catalog.is_ready:
        return problem(503, "not_ready", "No schema snapshot yet: introspection is running.",
                       sources=states)  # fmt: skip
    return json_response({"status": "ready", "sources": states})


async def catalog(request: Request) -> Response:
    runtime = get_runtime(request)
    current = visible_catalog(runtime.cache.catalog)  # only the tables the caller may read
    if not current.is_ready:
        return problem(503, "not_ready", "No schema snapshot yet: introspection is running.")
    return json_response(
        {
            "sources": [
                {**source_to_dict(s), "state": to_plain(current.get_state(s.name))}
                for s in current.sources
            ]
        }
    )


async def index(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            "name": "fedgate",
            "sources": list(get_runtime(request).cache.source_names),
            "links": {
                "catalog": f"{base}/catalog",
                "rest": f"{base}/rest/{{source}}/{{table}}",
                "openapi": f"{base}/openapi.json",
                "docs": f"{base}/docs",
                "health": f"{base}/healthz",
                "ready": f"{base}/readyz",
            },
        }
    )
