"""The ASGI application: routes of every surface on one Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.routing import Route

from config.settings import Settings
from gateway import health
from gateway.auth.install import auth_middleware, auth_routes, build_auth
from gateway.errors import EXCEPTION_HANDLERS
from gateway.federation.routes import sql_routes
from gateway.graphql.routes import graphql_routes
from gateway.query.context import QueryContext
from gateway.rest.docs import docs_routes
from gateway.rest.json_text import TextReads
from gateway.rest.openapi_route import openapi_json
from gateway.rest.routes import rest_routes
from gateway.runtime import Runtime


def create_app(settings: Settings, *, background_refresh: bool = True) -> Starlette:
    """Build the gateway for `settings`; introspection starts with the app's lifespan."""
    runtime = Runtime.from_settings(settings)
    auth = build_auth(settings, lambda: runtime.cache.catalog)  # None: auth disabled

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if auth is not None:
            await anyio.to_thread.run_sync(auth.start)  # migrate the metadata store
        await runtime.start(background=background_refresh)
        try:
            yield
        finally:
            await runtime.stop()
            if auth is not None:
                auth.dispose()

    app = Starlette(
        routes=[  # the data surfaces first: the router tries each route in turn
            *rest_routes(),
            *graphql_routes(),
            *sql_routes(),
            Route("/", health.index),
            Route("/healthz", health.healthz),
            Route("/readyz", health.readyz),
            Route("/catalog", health.catalog),
            Route("/openapi.json", openapi_json),
            *docs_routes(),
            *auth_routes(auth),
        ],
        middleware=auth_middleware(auth),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.auth = auth
    app.state.query_context = QueryContext(lambda: runtime.cache.catalog, runtime.connectors)
    app.state.text_reads = TextReads()  # REST reads planned once per spelling
    return app
