"""`fedgate serve`: run the app under uvicorn and tell the user where to look."""

from __future__ import annotations

import os
from dataclasses import replace
from functools import partial

import uvicorn

from config.settings import Settings
from gateway import heap
from gateway.app import create_app
from gateway.auth.announce import announce_auth
from gateway.console import Console
from gateway.http_protocol import PROTOCOL
from gateway.workers import check_workers, worker_environment


def serve(
    settings: Settings,
    *,
    is_demo: bool,
    host: str | None,
    port: int | None,
    log_level: str,
    console: Console,
    workers: int | None = None,
    config_path: str | None = None,
) -> int:
    host = host or settings.server.host
    port = port or settings.server.port
    workers = settings.server.workers if workers is None else workers
    check_workers(settings, workers, config_path)
    # Where it really listens: the OAuth issuer defaults to it when no public URL is set.
    server = replace(settings.server, host=host, port=port, workers=workers)
    settings = replace(settings, server=server)
    app = create_app(settings)
    app.state.runtime.cache.subscribe(heap.settle)  # after each new catalog: see gateway/heap.py
    base = f"http://{host}:{port}"
    if is_demo:
        console.info(
            "fedgate: no config given, serving the embedded demo (shop: SQLite, analytics: DuckDB)"
        )
    console.info(f"fedgate: sources {', '.join(s.name for s in settings.sources)}")
    for line in announce_auth(app.state.auth, console, base):  # first start: the admin key, once
        console.info(f"fedgate: try  {line}")
    console.info(f"fedgate: health  curl {base}/readyz")
    run = partial(  # uvicorn with the options every worker runs with
        uvicorn.run,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        http=PROTOCOL,
        reset_contextvars=True,  # each request's task starts from an empty context
    )
    if workers > 1 and config_path is not None:
        if app.state.auth is not None:
            app.state.auth.dispose()  # the workers open their own store connections
        os.environ.update(worker_environment(config_path, host, port))
        console.info(f"fedgate: {workers} worker processes")
        run("gateway.workers:app_from_environment", factory=True, workers=workers)
        return 0
    run(app)
    return 0
