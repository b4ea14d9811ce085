"""Real OAuth client libraries against fedgate over loopback TLS (a throwaway CA from trustme).

Authlib's `OAuth2Session` runs client_credentials, password, authorization_code with
PKCE (the test drives the login and consent pages as a browser would, cookies and
all), refresh with rotation, introspection and revocation; requests-oauthlib, an
independent relying party, does discovery and the code flow.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from requests_oauthlib import OAuth2Session as OAuthlibSession

from tests.oauth.flow import PASSWORD
from tests.oauth.helpers import REDIRECT, pkce
from tests.oauth.live_server import Server


def make_client(server: Server, **body: Any) -> dict[str, Any]:
    spec = {"name": "app", "redirect_uris": [REDIRECT], "scopes": ["shop.customers:read"], **body}
    created = server.post("/admin/api/clients", spec)
    return server.post(f"/admin/api/clients/{created['client_id']}/activate", {})


def browse_to_code(server: Server, url: str) -> str:
    """What a browser does: sign in, allow, and stop at the redirect back to the app."""
    browser = requests.Session()
    browser.verify = server.ca
    page = browser.get(url, allow_redirects=False, timeout=30)
    assert page.status_code == 200, page.text

    def field(html: str, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]+)"', html)
        assert found
        return found.group(1)

    login = browser.post(
        server.base + "/oauth/login",
        data={
            "transaction": field(page.text, "transaction"),
            "csrf_token": field(page.text, "csrf_token"),
            "username": "dee",
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 303
    consent = browser.get(
        server.base + login.headers["location"], allow_redirects=False, timeout=30
    )
    assert consent.status_code == 200, consent.text
    done = browser.post(
        server.base + "/oauth/consent",
        data={
            "transaction": field(consent.text, "transaction"),
            "csrf_token": field(consent.text, "csrf_token"),
            "decision": "allow",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 303
    location: str = done.headers["location"]
    assert location.startswith(REDIRECT)
    return location


def read(server: Server, token: str) -> int:
    response = requests.get(
        server.base + "/rest/shop/customers?limit=1",
        headers={"Authorization": f"Bearer {token}"},
        verify=server.ca,
        timeout=30,
    )
    return response.status_code


def test_authlib_client_credentials(server: Server) -> None:
    creds = make_client(server, grant_types=["client_credentials"])
    session = OAuth2Session(creds["client_id"], creds["client_secret"], scope="shop.customers:read")
    session.verify = server.ca
    token = session.fetch_token(server.base + "/oauth/token", grant_type="client_credentials")
    assert "refresh_token" not in token
    assert read(server, token["access_token"]) == 200


def test_authlib_password_grant_for_a_first_party_client(server: Server) -> None:
    creds = make_client(server, grant_types=["password"], first_party=True)
    session = OAuth2Session(creds["client_id"], creds["client_secret"], scope="shop.customers:read")
    session.verify = server.ca
    token = session.fetch_token(server.base + "/oauth/token", username="dee", password=PASSWORD)
    assert read(server, token["access_token"]) == 200


def test_authlib_code_flow_refresh_introspect_revoke(server: Server) -> None:
    creds = make_client(server, refresh_enabled=True)
    session = OAuth2Session(
        creds["client_id"],
        creds["client_secret"],
        redirect_uri=REDIRECT,
        scope="openid shop.customers:read offline_access",
        code_challenge_method="S256",
    )
    session.verify = server.ca
    verifier, _ = pkce()
    url, _ = session.create_authorization_url(
        server.base + "/oauth/authorize", code_verifier=verifier, nonce="n-42"
    )
    location = browse_to_code(server, url)
    token = session.fetch_token(
        server.base + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    assert token["scope"] == "openid shop.customers:read offline_access"
    assert "id_token" in token
    assert read(server, token["access_token"]) == 200
    first_refresh = token["refresh_token"]
    renewed = session.refresh_token(server.base + "/oauth/token", refresh_token=first_refresh)
    assert renewed["refresh_token"] != first_refresh
    seen = session.introspect_token(
        server.base + "/oauth/introspect", token=renewed["access_token"]
    )
    assert seen.json()["active"] is True
    revoked = session.revoke_token(server.base + "/oauth/revoke", token=renewed["refresh_token"])
    assert revoked.status_code == 200
    assert read(server, renewed["access_token"]) == 401
    gone = session.introspect_token(
        server.base + "/oauth/introspect", token=renewed["access_token"]
    )
    assert gone.json() == {"active": False}


def test_requests_oauthlib_discovery_and_code_flow(server: Server) -> None:
    meta = requests.get(
        server.base + "/.well-known/openid-configuration", verify=server.ca, timeout=30
    ).json()
    assert meta["issuer"] == server.base
    creds = make_client(server, name="rp")
    rp = OAuthlibSession(
        creds["client_id"],
        redirect_uri=REDIRECT,
        scope=["openid", "shop.customers:read"],
        pkce="S256",
    )
    url, _ = rp.authorization_url(meta["authorization_endpoint"], nonce="n-7")
    location = browse_to_code(server, url)
    token = rp.fetch_token(
        meta["token_endpoint"],
        authorization_response=location,
        client_secret=creds["client_secret"],
        verify=server.ca,
    )
    assert read(server, token["access_token"]) == 200
    info = requests.get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        verify=server.ca,
        timeout=30,
    ).json()
    assert set(info) == {"sub"}


def test_pyjwt_validates_the_tokens_against_the_published_jwks(server: Server) -> None:
    """PyJWT, a JOSE library independent of Authlib and joserfc, with only /oauth/jwks.json."""
    import jwt as pyjwt

    jwks = pyjwt.PyJWKSet.from_dict(
        requests.get(server.base + "/oauth/jwks.json", verify=server.ca, timeout=30).json()
    )
    creds = make_client(server, name="pyjwt")
    access = creds["access_token"]
    header = pyjwt.get_unverified_header(access)
    assert header["typ"] == "at+jwt"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = pyjwt.decode(
        access,
        key,
        algorithms=["ES256"],
        audience=server.base,
        issuer=server.base,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]},
    )
    assert claims["client_id"] == creds["client_id"]
    assert claims["scope"] == "shop.customers:read"
    session = OAuth2Session(
        creds["client_id"],
        creds["client_secret"],
        redirect_uri=REDIRECT,
        scope="openid profile",
        code_challenge_method="S256",
    )
    verifier, _ = pkce()
    url, _ = session.create_authorization_url(
        server.base + "/oauth/authorize",
        code_verifier=verifier,
        code_challenge_method="S256",
        nonce="n-pyjwt",
    )
    token = session.fetch_token(
        server.base + "/oauth/token",
        authorization_response=browse_to_code(server, url),
        code_verifier=verifier,
    )
    id_header = pyjwt.get_unverified_header(token["id_token"])
    id_key = next(k for k in jwks.keys if k.key_id == id_header["kid"])
    id_claims = pyjwt.decode(
        token["id_token"],
        id_key,
        algorithms=["RS256"],
        audience=creds["client_id"],
        issuer=server.base,
    )
    assert id_claims["nonce"] == "n-pyjwt"
    assert id_claims["preferred_username"] == "dee"
