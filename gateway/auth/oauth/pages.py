"""The front channel: /oauth/authorize, the login and consent pages (server-rendered, Jinja2).

Before anything can redirect, the client must be active and the redirect URI
an exact match of a registered one (or omitted with exactly one registered and
no `openid`); otherwise an error page is shown and nothing redirects (RFC 6749
§4.1.2.1). Every other error goes back to that validated URI with `state` and
`iss` (RFC 9207). Forms carry a CSRF token bound to the transaction; POSTs end
in 303 (RFC 9700 §4.12); every page forbids framing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.base import OAuth2Error
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.auth.oauth import interaction
from gateway.auth.oauth.adapter import query_request
from gateway.auth.oauth.clients import Client
from gateway.auth.oauth.server import EndUser, OAuthServer
from gateway.auth.users import authenticate_password

COOKIE = "fedgate_oauth_session"
CONSENTS_PAGE = ("_next", "consents")  # a sign-in that returns to /oauth/consents


class _Self:
    """Stands for "no client" when a user signs in to review their consents."""

    id = ""
    name = "your account"


SELF = _Self()
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)
OIDC_TEXT = {
    "openid": "Know who you are (your user id)",
    "profile": "See your user name",
    "email": "See your e-mail address",
    "offline_access": "Keep access while you are away (refresh tokens)",
    "sql": "Run read-only SQL over the tables it may read",
    "admin": "Administer this gateway",
}
OPS = {
    "read": "Read",
    "insert": "Add rows to",
    "update": "Change rows of",
    "delete": "Delete rows of",
    "write": "Change",
    "*": "Read and change",
}


def describe(scope: str) -> str:
    if scope in OIDC_TEXT:
        return OIDC_TEXT[scope]
    resource, _, op = scope.rpartition(":")
    source, _, table = resource.partition(".")
    what = (
        "every table of every source"
        if source == "*"
        else (f"table {table} of {source}" if table else f"every table of {source}")
    )
    return f"{OPS.get(op, op)} {what}"


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return page("error.html", status, message=message)


def lifetime_text(seconds: int) -> str:
    if seconds == 0:
        return "forever (they never expire)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    return f"{seconds} seconds"


class Flow:
    """One authorization request being worked through (blocking methods: run in a thread)."""

    def __init__(self, server: OAuthServer, request_headers: Any, cookie: str | None) -> None:
        self.server = server
        self.headers = request_headers
        self.cookie = cookie

    def session(self) -> interaction.Session | None:
        s = self.server
        return interaction.find_session(s.engine, self.cookie, s.service.pepper, s.now())

    def prevalidate(self, pairs: list[tuple[str, str]]) -> Client | str:
        """The client, or why nothing may redirect (unknown client, unverified redirect URI)."""
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            if value:
                values.setdefault(name, []).append(value)
        for name in ("client_id", "redirect_uri"):
            if len(values.get(name, [])) > 1:
                return f"the request repeats {name}"
        client_id = values.get("client_id", [None])[0]
        client = self.server.query_client(client_id) if client_id else None
        if client is None:
            return "unknown or inactive client"
        uri = values.get("redirect_uri", [None])[0]
        openid = "openid" in values.get("scope", [""])[0].split()
        if uri is None:
            if len(client.redirect_uris) != 1 or openid:
                return "the request must name its redirect_uri"
        elif not client.check_redirect_uri(uri):
            return "the redirect_uri is not registered for this client"
        return client

    def grant(self, pairs: list[tuple[str, str]], user: EndUser | None) -> tuple[Any, Any]:
        request = query_request(self.server.issuer + "/oauth/authorize", self.headers, pairs)
        return request, self.server.core.get_consent_grant(request, end_user=user)

    def redirect(self, location: str) -> str:
        return add_params_to_uri(location, [("iss", self.server.issuer)])

    def issue(self, request: Any, grant: Any, user: EndUser | None) -> str:
        """The redirect with a code (user) or access_denied (None)."""
        status, _, headers = self.server.core.create_authorization_response(
            request, grant_user=user, grant=grant
        )
        location = dict(headers).get("Location")
        if location is None:
            raise RuntimeError(f"authorization response without Location ({status})")
        return self.redirect(location)

    def consent_view(
        self, client: Client, user: EndUser, txn: str, csrf: str, requested: tuple[str, ...]
    ) -> dict[str, Any]:
        granted = self.server.held_scope(user.id, requested)
        return {
            "client": client,
            "user": user,
            "transaction": txn,
            "csrf": csrf,
            "granted": [(s, describe(s)) for s in granted],
            "dropped": [(s, describe(s)) for s in requested if s not in granted],
            "lifetime": lifetime_text(client.token_lifetime),
            "refresh": "offline_access" in granted,
            "insecure": client.insecure,
        }


def too_old(user: EndUser, max_age: str | None, server: OAuthServer) -> bool:
    """Whether the sign-in is older than the request's `max_age` seconds."""
    if not max_age or not max_age.isdigit() or user.auth_time is None:
        return False
    return server.now() - user.auth_time > int(max_age)


def _error_redirect(flow: Flow, error: OAuth2Error) -> Response | None:
    if not error.redirect_uri:
        return None
    _, _, headers = error()
    return RedirectResponse(flow.redirect(dict(headers)["Location"]), status_code=302)


def page_routes(server: OAuthServer) -> list[Route]:
    async def authorize(request: Request) -> Response:
        pairs = list(request.query_params.multi_items())
        if request.method == "POST":  # OIDC Core §3.1.2.1: GET and POST (form) alike
            form = await request.form()
            pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        flow = Flow(server, request.headers, request.cookies.get(COOKIE))

        def work() -> Response:
            checked = flow.prevalidate(pairs)
            if isinstance(checked, str):
                return error_page(checked)
            client = checked
            session = flow.session()
            user = server.end_user(session.user_id, session.auth_time) if session else None
            try:
                oauth_request, grant = flow.grant(pairs, user)
            except OAuth2Error as error:
                return _error_redirect(flow, error) or error_page(error.description or error.error)
            prompt = (oauth_request.payload.data.get("prompt") or "").split()
            if user is not None and too_old(
                user, oauth_request.payload.data.get("max_age"), server
            ):
                user = None  # OIDC Core §3.1.2.1 max_age: authenticate again
            if user is None and "none" in prompt:  # OIDC Core §3.1.2.6: never show a page
                needed = OAuth2Error(error="login_required", redirect_uri=grant.redirect_uri)
                needed.state = oauth_request.payload.state
                return _error_redirect(flow, needed) or error_page("login required")
            if user is None or "login" in prompt:
                txn, csrf = interaction.start_transaction(server.engine, pairs, None, server.now())
                return page("login.html", client=client, transaction=txn, csrf=csrf, error=None)
            requested = tuple((oauth_request.payload.scope or "").split())
            granted = server.held_scope(user.id, requested)
            known = interaction.remembered(server.engine, user.id, client.id)
            if "consent" not in prompt and set(granted) <= set(known) and known:
                return RedirectResponse(flow.issue(oauth_request, grant, user), status_code=302)
            if "none" in prompt:
                needed = OAuth2Error(error="consent_required", redirect_uri=grant.redirect_uri)
                needed.state = oauth_request.payload.state
                return _error_redirect(flow, needed) or error_page("consent required")
            txn, csrf = interaction.start_transaction(server.engine, pairs, session, server.now())
            return page("consent.html", **flow.consent_view(client, user, txn, csrf, requested))

        return await anyio.to_thread.run_sync(work)

    async def login(request: Request) -> Response:
        form = await request.form()
        txn_id, csrf = str(form.get("transaction", "")), str(form.get("csrf_token", ""))
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        ip = request.client.host if request.client else "unknown"
        flow = Flow(server, request.headers, None)

        def work() -> Response:
            now = server.now()
            txn = interaction.find_transaction(server.engine, txn_id, csrf, now)
            if txn is None:
                return error_page("the sign-in form expired or was not ours; start again")
            to_consents = txn.params == [CONSENTS_PAGE]
            checked = SELF if to_consents else flow.prevalidate(txn.params)
            if isinstance(checked, str):
                return error_page(checked)
            wait = server.service.ip_limiter.retry_after(ip)
            user = None if wait else authenticate_password(server.engine, username, password)
            if user is None:
                server.service.ip_limiter.take(ip)
                server.audit("oauth.login", "denied", checked.id or None, user=username[:120])
                fresh = interaction.new_csrf(server.engine, txn.id, None)
                message = (
                    "too many attempts; wait a minute" if wait else "wrong user name or password"
                )
                return page(
                    "login.html", 401, client=checked, transaction=txn.id, csrf=fresh, error=message
                )
            value = interaction.start_session(server.engine, user.id, server.service.pepper, now)
            session = interaction.find_session(server.engine, value, server.service.pepper, now)
            interaction.new_csrf(server.engine, txn.id, session)  # binds the transaction to it
            server.audit("oauth.login", "ok", checked.id or None, user=user.name)
            target = "/oauth/consents" if to_consents else f"/oauth/consent?transaction={txn.id}"
            if to_consents:
                interaction.finish_transaction(server.engine, txn.id, now)
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                COOKIE,
                value,
                max_age=interaction.SESSION_SECONDS,
                path="/oauth",
                secure=server.issuer.startswith("https://"),
                httponly=True,
                samesite="lax",
            )
            return response

        return await anyio.to_thread.run_sync(work)

    async def consent_page(request: Request) -> Response:
        txn_id = request.query_params.get("transaction", "")
        flow = Flow(server, request.headers, request.cookies.get(COOKIE))

        def work() -> Response:
            txn = interaction.find_transaction(server.engine, txn_id, None, server.now())
            session = flow.session()
            if txn is None or session is None or txn.session_digest != session.digest:
                return error_page("this consent request expired or belongs to another sign-in")
            checked = flow.prevalidate(txn.params)
            if isinstance(checked, str):
                return error_page(checked)
            user = server.end_user(session.user_id, session.auth_time)
            if user is None:
                return error_page("your account is not active")
            try:
                oauth_request, _ = flow.grant(txn.params, user)
            except OAuth2Error as error:
                return _error_redirect(flow, error) or error_page(error.description or error.error)
            requested = tuple((oauth_request.payload.scope or "").split())
            csrf = interaction.new_csrf(server.engine, txn.id, session)
            return page("consent.html", **flow.consent_view(checked, user, txn.id, csrf, requested))

        return await anyio.to_thread.run_sync(work)

    async def decide(request: Request) -> Response:
        form = await request.form()
        txn_id, csrf = str(form.get("transaction", "")), str(form.get("csrf_token", ""))
        decision, keep = str(form.get("decision", "")), form.get("remember") == "yes"
        flow = Flow(server, request.headers, request.cookies.get(COOKIE))

        def work() -> Response:
            now = server.now()
            txn = interaction.find_transaction(server.engine, txn_id, csrf, now)
            session = flow.session()
            if txn is None or session is None or txn.session_digest != session.digest:
                return error_page("this consent form expired, was used, or is not yours")
            if decision not in ("allow", "deny"):
                return error_page("choose Allow or Deny")
            checked = flow.prevalidate(txn.params)
            if isinstance(checked, str):
                return error_page(checked)
            if not interaction.finish_transaction(server.engine, txn.id, now):
                return error_page("this consent form was already used")
            user = server.end_user(session.user_id, session.auth_time)
            try:
                oauth_request, grant = flow.grant(txn.params, user)
                if decision == "deny" or user is None:
                    server.audit("oauth.consent", "denied", checked.id, user=session.user_id)
                    return RedirectResponse(flow.issue(oauth_request, grant, None), status_code=303)
                requested = tuple((oauth_request.payload.scope or "").split())
                granted = server.held_scope(user.id, requested)
                if keep:
                    interaction.remember(server.engine, user.id, checked.id, " ".join(granted), now)
                server.audit(
                    "oauth.consent",
                    "ok",
                    checked.id,
                    user=user.name,
                    scope=" ".join(granted),
                    remembered=keep,
                )
                return RedirectResponse(flow.issue(oauth_request, grant, user), status_code=303)
            except OAuth2Error as error:
                redirect = _error_redirect(flow, error)
                if redirect is not None:
                    redirect.status_code = 303
                    return redirect
                return error_page(error.description or error.error)

        return await anyio.to_thread.run_sync(work)

    return [
        Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
        Route("/oauth/login", login, methods=["POST"]),
        Route("/oauth/consent", consent_page, methods=["GET"]),
        Route("/oauth/consent", decide, methods=["POST"]),
    ]
