"""`GET /docs`: Swagger UI over `/openapi.json`, every asset served by the gateway itself."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
SWAGGER_UI_VERSION = "5.35.0"  # vendored from npm swagger-ui-dist; see static/swagger-ui/
# Swagger UI styles elements inline and draws icons from data: URIs; nothing leaves the origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{static}/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="{static}/docs.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{static}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{static}/docs.js"></script>
</body>
</html>
"""


def build_docs_html(*, openapi_url: str, static_url: str, title: str = "fedgate API") -> str:
    """The docs page; URLs are used as given (root-relative, so no outside host)."""
    return _PAGE.format(
        title=escape(title),
        static=escape(static_url.rstrip("/")),
        openapi_url=escape(openapi_url),
    )


def docs_routes(*, openapi_url: str = "/openapi.json", prefix: str = "/docs") -> list[BaseRoute]:
    """`GET {prefix}` (the page) and `{prefix}/static/...` (its assets).

    Args:
        openapi_url: where the app serves the document, from the app's root.
        prefix: where the page lives, from the app's root.
    """

    async def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        html = build_docs_html(openapi_url=root + openapi_url, static_url=f"{root}{prefix}/static")
        headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}
        return HTMLResponse(html, headers=headers)

    return [
        Route(prefix, docs_page, methods=["GET"], name="docs"),
        Mount(f"{prefix}/static", StaticFiles(directory=STATIC_DIR), name="docs_static"),
    ]
