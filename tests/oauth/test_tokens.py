"""Tokens over time: signing-key rotation, roles re-read per request, public clients, ID tokens,
prompt handling and remembered consent, code binding, expiry and races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.helpers import Gateway
from tests.oauth.flow import Browser, authorize_url, code_flow, make_user, query
from tests.oauth.helpers import (
    ISSUER,
    REDIRECT,
    active_client,
    basic,
    bearer,
    cannot_read,
    client_token,
    oauth_gateway,
    pkce,
)

READ = "/rest/shop/customers?limit=1"


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with oauth_gateway(tmp_path) as gateway:
        make_user(gateway, "cy", "shop.customers:read")
        yield gateway


@pytest.fixture
def creds(gw: Gateway) -> dict[str, Any]:
    return active_client(gw, refresh_enabled=True)


def redeem(gw: Gateway, creds: dict[str, Any], code: str, verifier: str) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    form["code_verifier"] = verifier
    if "client_secret" in creds:
        return gw.client.post(
            "/oauth/token", data=form, headers=basic(creds["client_id"], creds["client_secret"])
        )
    return gw.client.post("/oauth/token", data={**form, "client_id": creds["client_id"]})


def test_rotation_keeps_old_tokens_valid_during_the_overlap(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    old = creds["access_token"]
    before = {k["kid"] for k in gw.client.get("/oauth/jwks.json").json()["keys"]}
    rotated = gw.client.post("/admin/api/oauth/signing-keys/rotate", headers=gw.admin)
    assert rotated.status_code == 201
    kid, kids = rotated.json()["kid"], set(rotated.json()["kids"])
    assert len(kids) == 2  # an ES256 key for access tokens, an RS256 key for ID tokens
    after = {k["kid"] for k in gw.client.get("/oauth/jwks.json").json()["keys"]}
    assert after == before | kids  # old and new served side by side
    new = client_token(gw, creds).json()["access_token"]
    assert (
        jwt.decode(new, KeySet.import_key_set(gw.client.get("/oauth/jwks.json").json())).header[
            "kid"
        ]
        == kid
    )
    assert gw.client.get(READ, headers=bearer(old)).status_code == 200
    assert gw.client.get(READ, headers=bearer(new)).status_code == 200
    gw.clock.advance(168 * 3600 + 1)  # the overlap is over: the old key leaves the JWKS
    assert {k["kid"] for k in gw.client.get("/oauth/jwks.json").json()["keys"]} == kids
    assert gw.client.get(READ, headers=bearer(old)).status_code == 401


def test_a_role_taken_away_narrows_existing_user_tokens(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read")
    token = redeem(gw, creds, params["code"], verifier).json()["access_token"]
    assert gw.client.get(READ, headers=bearer(token)).status_code == 200
    gw.service.forget()
    from gateway.auth.users import revoke_role

    revoke_role(gw.service.engine, "cy", "role-cy")
    gw.clock.advance(5)  # past cache_seconds
    cannot_read(gw.client.get(READ, headers=bearer(token)), "shop.customers:read")


def test_a_public_client_uses_pkce_without_a_secret(gw: Gateway) -> None:
    spa = active_client(
        gw, name="spa", client_type="spa", grant_types=["authorization_code"], refresh_enabled=True
    )
    assert "client_secret" not in spa
    assert "access_token" not in spa
    params, verifier = code_flow(gw, spa, "cy", "shop.customers:read offline_access")
    tokens = redeem(gw, spa, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    refreshed = gw.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": spa["client_id"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    newest = refreshed.json()
    revoked = gw.client.post(
        "/oauth/revoke", data={"token": newest["refresh_token"], "client_id": spa["client_id"]}
    )
    assert revoked.status_code == 200
    assert gw.client.get(READ, headers=bearer(newest["access_token"])).status_code == 401
    no_cc = gw.client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": spa["client_id"]}
    )
    assert no_cc.json()["error"] in ("invalid_client", "unauthorized_client")


def test_the_id_token_carries_nonce_and_verifies_against_the_jwks(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    params, verifier = code_flow(gw, creds, "cy", "openid profile", nonce="n-0S6_WzA2Mj")
    body = redeem(gw, creds, params["code"], verifier).json()
    keys = KeySet.import_key_set(gw.client.get("/oauth/jwks.json").json())
    token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    claims = token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == creds["client_id"]
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["preferred_username"] == "cy"
    assert claims["exp"] > claims["iat"]
    assert isinstance(claims["auth_time"], int)
    # an ID token is not an access token
    assert gw.client.get(READ, headers=bearer(body["id_token"])).status_code == 401


def test_remembered_consent_skips_the_page_and_prompt_consent_asks_again(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    consent = browser.get(browser.login(page, "cy").headers["location"])
    assert browser.decide(consent).status_code == 303
    again = browser.get(authorize_url(creds["client_id"], challenge, "shop.customers:read"))
    assert again.status_code == 302
    assert "code" in query(again.headers["location"])
    asked = browser.get(
        authorize_url(creds["client_id"], challenge, "shop.customers:read", prompt="consent")
    )
    assert asked.status_code == 200
    assert 'name="decision"' in asked.text
    silent = browser.get(
        authorize_url(creds["client_id"], challenge, "openid shop.customers:read", prompt="none")
    )
    assert query(silent.headers["location"])["error"] == "consent_required"


def test_prompt_none_without_a_session_is_login_required(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    _, challenge = pkce()
    response = Browser(gw).get(
        authorize_url(creds["client_id"], challenge, "shop.customers:read", prompt="none")
    )
    assert response.status_code == 302
    got = query(response.headers["location"])
    assert got["error"] == "login_required"
    assert got["state"] == "st-123"


def test_a_code_is_bound_to_its_client_and_expires(gw: Gateway, creds: dict[str, Any]) -> None:
    other = active_client(gw, name="other")
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read")
    stolen = redeem(gw, other, params["code"], verifier)
    assert stolen.json()["error"] == "invalid_grant"
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read")
    gw.clock.advance(61)
    assert redeem(gw, creds, params["code"], verifier).json()["error"] == "invalid_grant"


def test_two_concurrent_redemptions_yield_one_token(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read")
    results: list[int] = []

    def go() -> None:
        results.append(redeem(gw, creds, params["code"], verifier).status_code)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 400, 400, 400]


def test_offline_access_needs_a_client_that_may_refresh(gw: Gateway) -> None:
    plain = active_client(gw, name="no-refresh")
    _, challenge = pkce()
    url = authorize_url(plain["client_id"], challenge, "shop.customers:read offline_access")
    response = Browser(gw).get(url)
    assert query(response.headers["location"])["error"] == "invalid_scope"


def test_a_refresh_token_is_not_a_bearer_token(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read offline_access")
    body = redeem(gw, creds, params["code"], verifier).json()
    assert gw.client.get(READ, headers=bearer(body["refresh_token"])).status_code == 401
    wrong = gw.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": body["access_token"]},
        headers=basic(creds["client_id"], creds["client_secret"]),
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_userinfo_needs_openid(gw: Gateway, creds: dict[str, Any]) -> None:
    params, verifier = code_flow(gw, creds, "cy", "shop.customers:read")
    token = redeem(gw, creds, params["code"], verifier).json()["access_token"]
    response = gw.client.get("/oauth/userinfo", headers=bearer(token))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert gw.client.get("/oauth/userinfo").status_code == 401


def test_failed_client_authentication_is_throttled(gw: Gateway, creds: dict[str, Any]) -> None:
    statuses = [
        gw.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(creds["client_id"], "fgc_" + "x" * 38),
        ).status_code
        for _ in range(25)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429


def test_an_omitted_redirect_uri_must_stay_omitted_at_the_token_endpoint(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    verifier, challenge = pkce()
    browser = Browser(gw)
    url = authorize_url(creds["client_id"], challenge, "shop.customers:read", redirect_uri="")
    page = browser.get(url)
    assert page.status_code == 200  # one registered URI and no openid: it may be omitted
    consent = browser.get(browser.login(page, "cy").headers["location"])
    done = browser.decide(consent)
    assert done.headers["location"].startswith(REDIRECT + "?")
    code = query(done.headers["location"])["code"]
    auth = basic(creds["client_id"], creds["client_secret"])
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    assert gw.client.post("/oauth/token", data=form, headers=auth).status_code == 200
    with_openid = Browser(gw).get(
        authorize_url(creds["client_id"], challenge, "openid", redirect_uri="")
    )
    assert with_openid.status_code == 400  # OIDC: redirect_uri is required
    assert "location" not in with_openid.headers


def test_password_guessing_is_throttled(tmp_path: Path) -> None:
    with oauth_gateway(tmp_path, password_grant=True) as gw:
        make_user(gw, "cy", "shop.customers:read")
        tool = active_client(gw, name="tool", first_party=True, grant_types=["password"])
        auth = basic(tool["client_id"], tool["client_secret"])
        form = {"grant_type": "password", "username": "cy", "password": "guess guess guess"}
        statuses = [
            gw.client.post("/oauth/token", data=form, headers=auth).status_code for _ in range(25)
        ]
        assert statuses[0] == 400
        assert statuses[-1] == 429


def test_max_age_asks_for_a_fresh_sign_in(gw: Gateway, creds: dict[str, Any]) -> None:
    _, challenge = pkce()
    browser = Browser(gw)
    page = browser.get(authorize_url(creds["client_id"], challenge, "openid shop.customers:read"))
    consent = browser.get(browser.login(page, "cy").headers["location"])
    assert browser.decide(consent).status_code == 303
    gw.clock.advance(120)
    url = authorize_url(creds["client_id"], challenge, "openid shop.customers:read", max_age="60")
    again = browser.get(url)
    assert again.status_code == 200
    assert 'action="/oauth/login"' in again.text  # signed in 120 s ago: sign in again
    recent = browser.get(
        authorize_url(creds["client_id"], challenge, "openid shop.customers:read", max_age="600")
    )
    assert recent.status_code == 302  # remembered consent, sign-in young enough


def test_the_authorization_endpoint_accepts_post(gw: Gateway, creds: dict[str, Any]) -> None:
    _, challenge = pkce()
    form = {
        "response_type": "code",
        "client_id": creds["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "shop.customers:read",
        "state": "st-9",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = gw.client.post("/oauth/authorize", data=form)
    assert response.status_code == 200
    assert 'action="/oauth/login"' in response.text
    bad = gw.client.post("/oauth/authorize", data={**form, "redirect_uri": REDIRECT + "/x"})
    assert bad.status_code == 400
    assert "location" not in bad.headers
