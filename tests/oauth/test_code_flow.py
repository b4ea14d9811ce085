"""authorization_code + PKCE through the login and consent pages, ID tokens, refresh rotation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.auth.helpers import Gateway
from tests.oauth.flow import Browser, authorize_url, code_flow, make_user
from tests.oauth.helpers import (
    REDIRECT,
    active_client,
    basic,
    bearer,
    cannot_read,
    oauth_gateway,
    pkce,
)


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with oauth_gateway(tmp_path) as gateway:
        make_user(gateway, "ann", "shop.customers:read")
        yield gateway


@pytest.fixture
def creds(gw: Gateway) -> dict[str, Any]:
    return active_client(
        gw, scopes=["shop.customers:read", "shop.orders:read"], refresh_enabled=True
    )


def redeem(gw: Gateway, creds: dict[str, Any], code: str, verifier: str, **form: str) -> Any:
    return gw.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **form,
        },
        headers=basic(creds["client_id"], creds["client_secret"]),
    )


def test_code_flow_grants_only_scopes_the_user_holds(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(
        gw, creds, "ann", "openid profile shop.customers:read shop.orders:read"
    )
    assert params["state"] == "st-123"
    assert params["iss"] == "https://gateway.test"
    response = redeem(gw, creds, params["code"], verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "openid profile shop.customers:read"  # orders dropped: ann lacks it
    assert "refresh_token" not in body  # no offline_access asked
    headers = bearer(body["access_token"])
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200
    cannot_read(gw.client.get("/rest/shop/orders?limit=1", headers=headers), "shop.orders:read")
    info = gw.client.get("/oauth/userinfo", headers=headers)
    assert info.status_code == 200
    assert info.json()["preferred_username"] == "ann"
    assert body["id_token"].count(".") == 2


def test_code_is_single_use_and_reuse_revokes_its_tokens(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    params, verifier = code_flow(gw, creds, "ann", "shop.customers:read")
    first = redeem(gw, creds, params["code"], verifier)
    assert first.status_code == 200
    again = redeem(gw, creds, params["code"], verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    token = first.json()["access_token"]
    assert gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token)).status_code == 401


def test_pkce_mismatch_and_missing_verifier_fail(gw: Gateway, creds: dict[str, Any]) -> None:
    params, _ = code_flow(gw, creds, "ann", "shop.customers:read")
    other, _ = pkce()
    wrong = redeem(gw, creds, params["code"], other)
    assert wrong.json()["error"] == "invalid_grant"
    missing = redeem(gw, creds, params["code"], "")
    assert missing.json()["error"] == "invalid_request"


def test_refresh_rotates_and_reuse_revokes_the_family(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(gw, creds, "ann", "shop.customers:read offline_access")
    first = redeem(gw, creds, params["code"], verifier).json()
    old_refresh = first["refresh_token"]
    auth = basic(creds["client_id"], creds["client_secret"])
    rotated = gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh},
        headers=auth,
    )
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != old_refresh
    assert (
        gw.client.get(
            "/rest/shop/customers?limit=1", headers=bearer(second["access_token"])
        ).status_code
        == 200
    )
    wider = gw.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "scope": "shop.customers:read shop.orders:read",
        },
        headers=auth,
    )
    assert wider.json()["error"] == "invalid_scope"
    replay = gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh},
        headers=auth,
    )
    assert replay.json()["error"] == "invalid_grant"
    # the whole family is gone: the newest refresh token and every access token
    newest = gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        headers=auth,
    )
    assert newest.json()["error"] == "invalid_grant"
    for token in (first["access_token"], second["access_token"]):
        assert (
            gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token)).status_code == 401
        )
    reuse = gw.client.get("/admin/api/audit?action=oauth.refresh.reuse", headers=gw.admin).json()
    assert len(reuse["entries"]) >= 1


def test_pages_refuse_framing_and_the_consent_lists_scopes(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(
        authorize_url(creds["client_id"], challenge, "openid shop.customers:read shop.orders:read")
    )
    for response in (page,):
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    consent = browser.get(browser.login(page, "ann").headers["location"])
    assert consent.headers["x-frame-options"] == "DENY"
    assert "Read table customers of shop" in consent.text
    granted = consent.text.split('id="granted"')[1].split("</ul>")[0]
    assert "shop.orders:read" not in granted
    assert "shop.orders:read" in consent.text.split('id="dropped"')[1]


def test_consent_post_needs_the_csrf_token_of_its_transaction(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    consent = browser.get(browser.login(page, "ann").headers["location"])
    forged = browser.decide(consent, csrf_token="x" * 43)
    assert forged.status_code == 400
    assert "location" not in forged.headers
    ok = browser.decide(consent)
    assert ok.status_code == 303
    replay = browser.decide(consent)
    assert replay.status_code == 400
    assert "location" not in replay.headers


def test_deny_redirects_access_denied_with_state(gw: Gateway, creds: dict[str, Any]) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    consent = browser.get(browser.login(page, "ann").headers["location"])
    denied = browser.decide(consent, "deny")
    assert denied.status_code == 303
    location = denied.headers["location"]
    assert location.startswith(REDIRECT)
    assert "error=access_denied" in location
    assert "state=st-123" in location


def test_wrong_password_shows_the_login_page_again(gw: Gateway, creds: dict[str, Any]) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    failed = browser.login(page, "ann", "wrong password!")
    assert failed.status_code == 401
    assert "wrong user name or password" in failed.text
    assert browser.cookie is None
