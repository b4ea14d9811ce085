"""Drive the authorization-code flow as a browser would: GET authorize, POST login, POST consent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.auth.helpers import Gateway
from tests.oauth.helpers import REDIRECT, pkce

PASSWORD = "correct horse battery"


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Browser:
    gw: Gateway
    cookie: str | None = None

    def get(self, url: str) -> httpx.Response:
        headers = {"Cookie": f"fedgate_oauth_session={self.cookie}"} if self.cookie else {}
        return self.gw.client.get(url, headers=headers, follow_redirects=False)

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        headers = {"Cookie": f"fedgate_oauth_session={self.cookie}"} if self.cookie else {}
        response = self.gw.client.post(url, data=data, headers=headers, follow_redirects=False)
        if "fedgate_oauth_session=" in response.headers.get("set-cookie", ""):
            self.cookie = response.cookies.get("fedgate_oauth_session") or re.search(
                r"fedgate_oauth_session=([^;]+)", response.headers["set-cookie"]
            ).group(1)  # type: ignore[union-attr]
        return response

    def login(self, page: httpx.Response, user: str, password: str = PASSWORD) -> httpx.Response:
        return self.post(
            "/oauth/login",
            {
                "transaction": hidden(page.text, "transaction"),
                "csrf_token": hidden(page.text, "csrf_token"),
                "username": user,
                "password": password,
            },
        )

    def decide(self, page: httpx.Response, decision: str = "allow", **extra: str) -> httpx.Response:
        return self.post(
            "/oauth/consent",
            {
                "transaction": hidden(page.text, "transaction"),
                "csrf_token": hidden(page.text, "csrf_token"),
                "decision": decision,
                "remember": "yes",
                **extra,
            },
        )


def authorize_url(client_id: str, challenge: str, scope: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return str(httpx.URL("/oauth/authorize", params=params))


def make_user(gw: Gateway, name: str, *scopes: str) -> None:
    role = f"role-{name}"
    r = gw.client.post(
        "/admin/api/roles", headers=gw.admin, json={"name": role, "scopes": list(scopes)}
    )
    assert r.status_code == 201, r.text
    r = gw.client.post(
        "/admin/api/users",
        headers=gw.admin,
        json={"name": name, "password": PASSWORD, "roles": [role]},
    )
    assert r.status_code == 201, r.text


def code_flow(
    gw: Gateway, creds: dict[str, Any], user: str, scope: str, **extra: str
) -> tuple[dict[str, str], str]:
    """Log in and allow; returns (query of the 303 redirect, code_verifier)."""
    verifier, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, scope, **extra))
    assert page.status_code == 200, page.text
    after_login = browser.login(page, user)
    assert after_login.status_code == 303, after_login.text
    consent = browser.get(after_login.headers["location"])
    assert consent.status_code == 200, consent.text
    done = browser.decide(consent)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(REDIRECT + "?")
    return query(done.headers["location"]), verifier
