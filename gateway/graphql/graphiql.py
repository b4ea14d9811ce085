"""`GET /graphql` in a browser: GraphiQL, every asset served by the gateway itself.

Vendored from npm (graphiql 3.8.3, react 18.2.0, react-dom 18.2.0, MIT; their
licences sit beside the files in static/), so the page works offline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).parent / "static"
GRAPHIQL_VERSION = "3.8.3"
# GraphiQL draws with inline styles, data: fonts and images; scripts only from the gateway.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fedgate GraphQL</title>
<link rel="stylesheet" href="{static}/graphiql/graphiql.min.css">
<link rel="stylesheet" href="{static}/graphiql.css">
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL...</div>
<script src="{static}/react/react.production.min.js"></script>
<script src="{static}/react-dom/react-dom.production.min.js"></script>
<script src="{static}/graphiql/graphiql.min.js"></script>
<script src="{static}/graphiql-init.js"></script>
</body>
</html>
"""


def graphiql_page(*, endpoint: str, static_url: str) -> HTMLResponse:
    html = _PAGE.format(static=escape(static_url.rstrip("/")), endpoint=escape(endpoint))
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}
    return HTMLResponse(html, headers=headers)
