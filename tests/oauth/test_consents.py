"""Users review and revoke the applications they allowed; no secret reaches the audit log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.helpers import Gateway
from tests.oauth.flow import PASSWORD, Browser, authorize_url, hidden, make_user, query
from tests.oauth.helpers import REDIRECT, active_client, basic, bearer, oauth_gateway, pkce

READ = "/rest/shop/customers?limit=1"
SECRET = re.compile(r"fg[csrak]_[0-9A-Za-z]{38}|eyJ[\w-]+\.[\w-]+\.[\w-]+")


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with oauth_gateway(tmp_path) as gateway:
        make_user(gateway, "fay", "shop.customers:read")
        yield gateway


def test_a_user_lists_and_revokes_an_application(gw: Gateway) -> None:
    creds = active_client(gw, name="Reports app", refresh_enabled=True)
    verifier, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(
        authorize_url(creds["client_id"], challenge, "shop.customers:read offline_access")
    )
    consent = browser.get(browser.login(page, "fay").headers["location"])
    code = query(browser.decide(consent).headers["location"])["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    auth = basic(creds["client_id"], creds["client_secret"])
    tokens = gw.client.post("/oauth/token", data=form, headers=auth).json()
    assert gw.client.get(READ, headers=bearer(tokens["access_token"])).status_code == 200

    listing = browser.get("/oauth/consents")
    assert listing.status_code == 200
    assert listing.headers["x-frame-options"] == "DENY"
    assert "Reports app" in listing.text
    forged = browser.post(
        "/oauth/consents/revoke", {"client_id": creds["client_id"], "csrf_token": "x"}
    )
    assert forged.status_code == 400
    revoked = browser.post(
        "/oauth/consents/revoke",
        {"client_id": creds["client_id"], "csrf_token": hidden(listing.text, "csrf_token")},
    )
    assert revoked.status_code == 303
    assert "Reports app" not in browser.get("/oauth/consents").text
    assert gw.client.get(READ, headers=bearer(tokens["access_token"])).status_code == 401
    refresh = gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    assert refresh.json()["error"] == "invalid_grant"
    # the next authorization asks again
    again = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    assert 'name="decision"' in again.text


def test_the_consents_page_signs_in_first(gw: Gateway) -> None:
    browser = Browser(gw)
    page = browser.get("/oauth/consents")
    assert 'action="/oauth/login"' in page.text
    signed_in = browser.login(page, "fay", PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/oauth/consents"
    assert "You have not allowed any application" in browser.get("/oauth/consents").text


def test_no_secret_or_token_reaches_the_audit_log_or_the_logs(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # Authlib's debug lines included
    creds = active_client(gw, refresh_enabled=True)
    verifier, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(
        authorize_url(creds["client_id"], challenge, "openid shop.customers:read offline_access")
    )
    browser.login(page, "fay", "a wrong password")
    page = browser.get(
        authorize_url(creds["client_id"], challenge, "openid shop.customers:read offline_access")
    )
    consent = browser.get(browser.login(page, "fay").headers["location"])
    code = query(browser.decide(consent).headers["location"])["code"]
    auth = basic(creds["client_id"], creds["client_secret"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    tokens = gw.client.post("/oauth/token", data=form, headers=auth).json()
    gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    gw.client.post("/oauth/token", data=form, headers=auth)  # code reuse: audited
    gw.client.post("/oauth/revoke", data={"token": tokens["access_token"]}, headers=auth)
    gw.client.post(f"/admin/api/clients/{creds['client_id']}/reauthorize", headers=gw.admin)
    entries = gw.client.get("/admin/api/audit?limit=1000", headers=gw.admin)
    actions = {e["action"] for e in entries.json()["entries"]}
    assert {
        "oauth.login",
        "oauth.consent",
        "oauth.code.issue",
        "oauth.code.reuse",
        "oauth.token.issue",
        "oauth.refresh.reuse",
        "oauth.token.revoke",
        "client.reauthorize",
    } <= actions
    assert SECRET.findall(entries.text) == []
    assert PASSWORD not in entries.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Validate token request" in logged  # Authlib did log at debug level
    assert SECRET.findall(logged) == []
    assert PASSWORD not in logged
    assert creds["client_secret"][4:] not in logged
