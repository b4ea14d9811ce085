"""Client lifecycle: activate, reauthorize, deactivate, delete (each revokes what it must).

- activate (inactive -> active): a new secret for confidential clients and, if
  the client may use client_credentials, a first access token; both returned once.
- reauthorize (active): a new secret; the old secret and every token issued to
  the client are revoked; a first token again.
- deactivate (-> inactive): secrets and tokens revoked; activate starts over.
- delete: like deactivate, then the client is gone (its id is never reused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.auth.errors import AdminInputError, AdminNotFoundError
from gateway.auth.oauth import clients, records
from gateway.auth.oauth.clients import Client
from gateway.auth.oauth.server import OAuthServer
from gateway.auth.oauth.tables import consents


@dataclass(frozen=True, slots=True)
class Credentials:
    """Shown once: never stored in clear, never logged."""

    client: Client
    client_secret: str | None
    token: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"client_id": self.client.id, **self.client.as_dict()}
        if self.client_secret is not None:
            body["client_secret"] = self.client_secret
        if self.token is not None:
            body["access_token"] = self.token["access_token"]
            body["token_type"] = "Bearer"
            body["expires_in"] = self.token.get("expires_in")
            body["scope"] = self.token["scope"]
        return body


def _load(conn: sa.Connection, server: OAuthServer, client_id: str) -> Client:
    found = clients.fetch_client(conn, client_id, server.service.pepper)
    if found is None:
        raise AdminNotFoundError(f"no client '{client_id}'")
    return found


def _issue(server: OAuthServer, client_id: str, action: str, actor: str | None) -> Credentials:
    now = server.now()
    with server.engine.begin() as conn:
        client = _load(conn, server, client_id)
        if action == "activate" and client.status == "active":
            raise AdminInputError(
                f"client '{client_id}' is active; reauthorize it for new credentials"
            )
        if action == "reauthorize" and client.status != "active":
            raise AdminInputError(f"client '{client_id}' is not active; activate it")
        revoked = records.revoke_client_tokens(conn, client_id, now)
        secret = None
        if client.confidential:
            _, secret = clients.new_secret(conn, client_id, server.service.pepper, now)
        else:
            clients.revoke_secrets(conn, client_id, now)
        clients.set_status(conn, client_id, "active", now)
        client = _load(conn, server, client_id)
    server.forget_tokens()
    server.audit(
        f"client.{action}", "ok", client_id, by=actor, revoked=revoked, insecure=client.insecure
    )
    token = (
        server.mint_for_client(client) if client.check_grant_type("client_credentials") else None
    )
    return Credentials(client, secret, token)


def activate(server: OAuthServer, client_id: str, actor: str | None) -> Credentials:
    return _issue(server, client_id, "activate", actor)


def reauthorize(server: OAuthServer, client_id: str, actor: str | None) -> Credentials:
    return _issue(server, client_id, "reauthorize", actor)


def _retire(server: OAuthServer, client_id: str, status: str, actor: str | None) -> Client:
    now = server.now()
    with server.engine.begin() as conn:
        client = _load(conn, server, client_id)
        revoked = records.revoke_client_tokens(conn, client_id, now)
        clients.revoke_secrets(conn, client_id, now)
        clients.set_status(conn, client_id, status, now)
        if status == "deleted":
            conn.execute(consents.delete().where(consents.c.client_id == client_id))
    server.forget_tokens()
    action = "client.delete" if status == "deleted" else "client.deactivate"
    server.audit(action, "ok", client_id, by=actor, revoked=revoked)
    return client


def deactivate(server: OAuthServer, client_id: str, actor: str | None) -> Client:
    return _retire(server, client_id, "inactive", actor)


def delete(server: OAuthServer, client_id: str, actor: str | None) -> Client:
    return _retire(server, client_id, "deleted", actor)
