"""An auth-enabled demo gateway with the OAuth server on, and helpers to register clients."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from config.settings import OAuthSettings
from tests.auth.helpers import Gateway, auth_gateway

ISSUER = "https://gateway.test"
REDIRECT = "https://app.example/callback"


@contextmanager
def oauth_gateway(home: Path, **oauth: Any) -> Iterator[Gateway]:
    with auth_gateway(home, oauth=OAuthSettings(issuer=ISSUER, **oauth)) as gateway:
        yield gateway


def create_client(gw: Gateway, **body: Any) -> dict[str, Any]:
    spec = {
        "name": "reporting",
        "client_type": "confidential",
        "redirect_uris": [REDIRECT],
        "resource_access": "custom",
        "scopes": ["shop.customers:read"],
        **body,
    }
    response = gw.client.post("/admin/api/clients", headers=gw.admin, json=spec)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def activate(gw: Gateway, client_id: str) -> dict[str, Any]:
    response = gw.client.post(f"/admin/api/clients/{client_id}/activate", headers=gw.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def active_client(gw: Gateway, **body: Any) -> dict[str, Any]:
    return activate(gw, create_client(gw, **body)["client_id"])


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def client_token(gw: Gateway, creds: dict[str, Any], **form: str) -> httpx.Response:
    return gw.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        headers=basic(creds["client_id"], creds["client_secret"]),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def cannot_read(response: httpx.Response, scope: str) -> None:
    """Refused without data: 403 naming `scope`, or 404 where the table is hidden from a
    principal who may not use it at all (it then answers like a table that does not exist)."""
    assert response.status_code in (403, 404), response.text
    if response.status_code == 403:
        assert response.json()["scope"] == scope
