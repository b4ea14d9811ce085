"""`fedgate serve`: run the app under uvicorn and tell the user where to look."""

from __future__ import annotations

from dataclasses import replace

import uvicorn

from config.settings import Settings
from gateway.app import create_app
from gateway.auth.announce import announce_auth
from gateway.console import Console


def serve(
    settings: Settings,
    *,
    is_demo: bool,
    host: str | None,
    port: int | None,
    log_level: str,
    console: Console,
) -> int:
    host = host or settings.server.host
    port = port or settings.server.port
    # Where it really listens: the OAuth issuer defaults to it when no public URL is set.
    settings = replace(settings, server=replace(settings.server, host=host, port=port))
    app = create_app(settings)
    base = f"http://{host}:{port}"
    if is_demo:
        console.info(
            "fedgate: no config given, serving the embedded demo (shop: SQLite, analytics: DuckDB)"
        )
    console.info(f"fedgate: sources {', '.join(s.name for s in settings.sources)}")
    for line in announce_auth(app.state.auth, console, base):  # first start: the admin key, once
        console.info(f"fedgate: try  {line}")
    console.info(f"fedgate: health  curl {base}/readyz")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug")
    return 0
