"""`/oauth/consents`: users review the applications they allowed and revoke them (ASVS 10.7.3).

Revoking forgets the remembered consent and revokes every refresh and access
token the application holds for this user (ASVS 10.4.9). The page needs the
login session; without one it shows the sign-in form first. Its CSRF token is an
HMAC of the session, so it is valid for that session only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import anyio
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.auth.oauth import interaction
from gateway.auth.oauth.pages import CONSENTS_PAGE, COOKIE, error_page, page
from gateway.auth.oauth.server import OAuthServer
from gateway.auth.oauth.tables import access_tokens, clients, refresh_tokens


def _csrf(session: interaction.Session) -> str:
    return hmac.new(session.digest.encode(), b"consents", hashlib.sha256).hexdigest()


def revoke_for_user(engine: sa.Engine, user_id: str, client_id: str, now: float) -> int:
    with engine.begin() as conn:
        a = conn.execute(
            access_tokens.update()
            .where(
                access_tokens.c.user_id == user_id,
                access_tokens.c.client_id == client_id,
                access_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        r = conn.execute(
            refresh_tokens.update()
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.client_id == client_id,
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    return int(a.rowcount) + int(r.rowcount)


def consent_routes(server: OAuthServer) -> list[Route]:
    def listing(session: interaction.Session, message: str | None) -> Response:
        user = server.end_user(session.user_id)
        if user is None:
            return error_page("your account is not active")
        rows: list[dict[str, Any]] = []
        for client_id, scope, _ in interaction.list_consents(server.engine, user.id):
            with server.engine.connect() as conn:
                name = conn.execute(
                    sa.select(clients.c.name).where(clients.c.id == client_id)
                ).scalar()
            rows.append({"client_id": client_id, "name": name or client_id, "scope": scope})
        return page("consents.html", user=user, consents=rows, csrf=_csrf(session), message=message)

    async def show(request: Request) -> Response:
        cookie = request.cookies.get(COOKIE)

        def work() -> Response:
            now = server.now()
            session = interaction.find_session(server.engine, cookie, server.service.pepper, now)
            if session is None:
                txn, csrf = interaction.start_transaction(server.engine, [CONSENTS_PAGE], None, now)
                client = {"name": "your account"}
                return page("login.html", client=client, transaction=txn, csrf=csrf, error=None)
            return listing(session, None)

        return await anyio.to_thread.run_sync(work)

    async def revoke(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(COOKIE)
        client_id, csrf = str(form.get("client_id", "")), str(form.get("csrf_token", ""))

        def work() -> Response:
            now = server.now()
            session = interaction.find_session(server.engine, cookie, server.service.pepper, now)
            if session is None or not secrets.compare_digest(csrf, _csrf(session)):
                return error_page("this form expired or is not yours; open the page again")
            forgotten = interaction.forget(server.engine, session.user_id, client_id)
            revoked = revoke_for_user(server.engine, session.user_id, client_id, now)
            server.forget_tokens()
            server.audit(
                "oauth.consent.revoke", "ok", client_id, user=session.user_id, revoked=revoked
            )
            if not forgotten and not revoked:
                return error_page("no such application among yours")
            return RedirectResponse("/oauth/consents", status_code=303)

        return await anyio.to_thread.run_sync(work)

    return [
        Route("/oauth/consents", show, methods=["GET"]),
        Route("/oauth/consents/revoke", revoke, methods=["POST"]),
    ]
