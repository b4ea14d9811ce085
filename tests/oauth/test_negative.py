"""What the server must refuse: redirect-URI near misses, PKCE downgrades, tokens in the query
string, forged JWTs, cross-client introspection and revocation, the password grant's limits."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from config.settings import OAuthSettings, RateLimitSettings
from tests.auth.helpers import Gateway, auth_gateway
from tests.oauth.flow import PASSWORD, Browser, authorize_url, make_user
from tests.oauth.helpers import (
    ISSUER,
    active_client,
    basic,
    bearer,
    client_token,
    oauth_gateway,
    pkce,
)

GOOD = "https://app.example/callback"
NEAR_MISSES = [
    "https://app.example/callback/",
    "https://app.example/callbac",
    "https://app.example/callbackx",
    "https://APP.example/callback",
    "https://app.example/Callback",
    "http://app.example/callback",
    "https://app.example:443/callback",
    "https://app.example:8443/callback",
    "https://app.example/callback?x=1",
    "https://app.example/callback#frag",
    "https://app.example/callback/../callback",
    "https://app.example/x/../callback",
    "https://app.example/%2e%2e/callback",
    "https://app.example%2Fcallback",
    "https://evil.example/callback",
    "https://app.example.evil.example/callback",
    "https://app.example@evil.example/callback",
    "https://evil.example@app.example/callback",
    "https://app.example\\@evil.example/callback",
    "//evil.example/callback",
    "https:app.example/callback",
    "javascript:alert(1)",
    "data:text/html,hi",
    " https://app.example/callback",
]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # Many refusals from one address on purpose: the failed-auth throttle (tested on its
    # own in test_tokens.py) would turn the later ones into 429s.
    no_throttle = RateLimitSettings(failed_auth_per_minute=0)
    home = tmp_path_factory.mktemp("neg")
    oauth = OAuthSettings(issuer=ISSUER, password_grant=True)
    with auth_gateway(home, oauth=oauth, rate_limits=no_throttle) as gateway:
        make_user(gateway, "bob", "shop.customers:read")
        yield gateway


@pytest.fixture(scope="module")
def creds(gw: Gateway) -> dict[str, Any]:
    return active_client(gw, refresh_enabled=True)


@pytest.mark.parametrize("uri", NEAR_MISSES)
def test_a_near_miss_redirect_uri_never_redirects(
    gw: Gateway, creds: dict[str, Any], uri: str
) -> None:
    _, challenge = pkce()
    url = authorize_url(creds["client_id"], challenge, "shop.customers:read", redirect_uri=uri)
    response = Browser(gw).get(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("client_id", ["", "fgi_unknown0000000000000", "x" * 300])
def test_an_unknown_client_never_redirects(gw: Gateway, client_id: str) -> None:
    _, challenge = pkce()
    response = Browser(gw).get(authorize_url(client_id, challenge, "shop.customers:read"))
    assert response.status_code == 400
    assert "location" not in response.headers


def test_an_inactive_client_never_redirects(gw: Gateway) -> None:
    created = gw.client.post(
        "/admin/api/clients",
        headers=gw.admin,
        json={"name": "dormant", "redirect_uris": [GOOD], "scopes": ["shop.customers:read"]},
    ).json()
    _, challenge = pkce()
    response = Browser(gw).get(
        authorize_url(created["client_id"], challenge, "shop.customers:read")
    )
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"scope": "shop.products:read"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_other_errors_go_back_to_the_verified_uri_with_state(
    gw: Gateway, creds: dict[str, Any], extra: dict[str, str], error: str
) -> None:
    _, challenge = pkce()
    params = {"scope": "shop.customers:read", **extra}
    url = authorize_url(creds["client_id"], challenge, params.pop("scope"), **params)
    response = Browser(gw).get(url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(GOOD + "?")
    assert f"error={error}" in location
    assert "state=st-123" in location


def test_tokens_in_the_query_string_are_refused(gw: Gateway, creds: dict[str, Any]) -> None:
    token = creds["access_token"]
    for path in (
        f"/rest/shop/customers?access_token={token}",
        f"/oauth/userinfo?access_token={token}",
    ):
        response = gw.client.get(path)
        assert response.status_code == 400
        assert token not in response.text


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(creds: dict[str, Any]) -> dict[str, Any]:
    payload = creds["access_token"].split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def forged(gw: Gateway, creds: dict[str, Any]) -> dict[str, str]:
    claims = _claims(creds)
    header = json.loads(base64.urlsafe_b64decode(creds["access_token"].split(".")[0] + "=="))
    (jwks,) = [
        k for k in gw.client.get("/oauth/jwks.json").json()["keys"] if k["kid"] == header["kid"]
    ]
    public = json.dumps(jwks).encode()
    attacker = ECKey.generate_key("P-256", private=True)
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}.",
        "HS256 keyed with the public JWK": jwt.encode(
            {"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]},
            claims,
            OctKey.import_key(public),
            algorithms=["HS256"],
        ),
        "own key in a jwk header": jwt.encode(
            {
                "alg": "ES256",
                "typ": "at+jwt",
                "kid": header["kid"],
                "jwk": attacker.as_dict(private=False),
            },
            claims,
            attacker,
            algorithms=["ES256"],
        ),
        "unknown kid": jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": "nope"}, claims, attacker, algorithms=["ES256"]
        ),
        "signature of another key": jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": header["kid"]},
            claims,
            attacker,
            algorithms=["ES256"],
        ),
        "typ JWT (an ID token shape)": creds["access_token"].replace(
            creds["access_token"].split(".")[0], _b64({**header, "typ": "JWT"})
        ),
        "typ missing": creds["access_token"].replace(
            creds["access_token"].split(".")[0],
            _b64({k: v for k, v in header.items() if k != "typ"}),
        ),
        "claims changed": ".".join(
            [
                creds["access_token"].split(".")[0],
                _b64({**claims, "scope": "*:*"}),
                creds["access_token"].split(".")[2],
            ]
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "HS256 keyed with the public JWK",
        "own key in a jwk header",
        "unknown kid",
        "signature of another key",
        "typ JWT (an ID token shape)",
        "typ missing",
        "claims changed",
    ],
)
def test_forged_tokens_are_refused(gw: Gateway, creds: dict[str, Any], kind: str) -> None:
    token = forged(gw, creds)[kind]
    response = gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="fedgate", error="invalid_token"'


def test_the_token_verifies_with_the_published_jwks_alone(
    gw: Gateway, creds: dict[str, Any]
) -> None:
    """An independent check with `cryptography` (not joserfc): ES256 over header.payload."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    token = creds["access_token"]
    head, payload, signature = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    (jwk,) = [
        k for k in gw.client.get("/oauth/jwks.json").json()["keys"] if k["kid"] == header["kid"]
    ]
    assert "d" not in jwk  # no private part published

    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    public = ec.EllipticCurvePublicNumbers(
        number(jwk["x"]), number(jwk["y"]), ec.SECP256R1()
    ).public_key()
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = _claims(creds)
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == ISSUER
    assert claims["sub"] == claims["client_id"] == creds["client_id"]
    assert {"exp", "iat", "jti", "scope"} <= claims.keys()


def test_discovery_names_the_configured_issuer_and_s256_only(gw: Gateway) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        meta = gw.client.get(path).json()
        assert meta["issuer"] == ISSUER
        assert meta["code_challenge_methods_supported"] == ["S256"]
        assert meta["token_endpoint"] == f"{ISSUER}/oauth/token"
        assert "implicit" not in meta["grant_types_supported"]


def test_introspection_and_revocation_are_per_client(gw: Gateway, creds: dict[str, Any]) -> None:
    other = active_client(gw, name="other")
    token = client_token(gw, creds).json()["access_token"]
    mine = basic(creds["client_id"], creds["client_secret"])
    theirs = basic(other["client_id"], other["client_secret"])
    peek = gw.client.post("/oauth/introspect", data={"token": token}, headers=theirs)
    assert peek.status_code == 200
    assert peek.json() == {"active": False}
    seen = gw.client.post("/oauth/introspect", data={"token": token}, headers=mine).json()
    assert seen["active"] is True
    assert seen["client_id"] == creds["client_id"]
    anonymous = gw.client.post("/oauth/introspect", data={"token": token})
    assert anonymous.status_code == 401
    foreign = gw.client.post("/oauth/revoke", data={"token": token}, headers=theirs)
    assert foreign.status_code == 200
    assert gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token)).status_code == 200
    revoked = gw.client.post("/oauth/revoke", data={"token": token}, headers=mine)
    assert revoked.status_code == 200
    assert gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token)).status_code == 401
    after = gw.client.post("/oauth/introspect", data={"token": token}, headers=mine).json()
    assert after == {"active": False}
    unknown = gw.client.post("/oauth/revoke", data={"token": "not-a-token"}, headers=mine)
    assert unknown.status_code == 200


def test_password_grant_only_for_first_party_clients(gw: Gateway, creds: dict[str, Any]) -> None:
    form = {
        "grant_type": "password",
        "username": "bob",
        "password": PASSWORD,
        "scope": "shop.customers:read",
    }
    third = gw.client.post(
        "/oauth/token", data=form, headers=basic(creds["client_id"], creds["client_secret"])
    )
    assert third.json()["error"] == "unauthorized_client"
    first = active_client(gw, name="tool", first_party=True, grant_types=["password"])
    auth = basic(first["client_id"], first["client_secret"])
    ok = gw.client.post("/oauth/token", data=form, headers=auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "shop.customers:read"
    wrong = gw.client.post(
        "/oauth/token", data={**form, "password": "nope nope nope"}, headers=auth
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_the_password_grant_is_off_by_default(tmp_path: Path) -> None:
    with oauth_gateway(tmp_path) as gw:
        make_user(gw, "bob", "shop.customers:read")
        first = active_client(gw, name="tool", first_party=True, grant_types=["password"])
        form = {"grant_type": "password", "username": "bob", "password": PASSWORD}
        response = gw.client.post(
            "/oauth/token", data=form, headers=basic(first["client_id"], first["client_secret"])
        )
        assert response.json()["error"] == "unauthorized_client"
        assert (
            "password"
            not in gw.client.get("/.well-known/openid-configuration").json()[
                "grant_types_supported"
            ]
        )


def test_the_token_endpoint_reads_the_body_only(gw: Gateway, creds: dict[str, Any]) -> None:
    response = gw.client.post(
        "/oauth/token?grant_type=client_credentials",
        data={"note": "the grant type is only in the query string"},
        headers=basic(creds["client_id"], creds["client_secret"]),
    )
    assert response.json()["error"] == "unsupported_grant_type"
    repeated = gw.client.post(
        "/oauth/token",
        content="grant_type=client_credentials&grant_type=client_credentials",
        headers={
            **basic(creds["client_id"], creds["client_secret"]),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert repeated.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("issuer", "audience"),
    [
        (ISSUER, ISSUER),  # the control: ours, recorded, accepted
        (ISSUER + "/", ISSUER),  # trailing-slash issuer
        ("https://other.test", ISSUER),
        (ISSUER, "https://other.test"),
        (ISSUER, ISSUER + "/"),
    ],
)
def test_validly_signed_tokens_for_another_issuer_or_audience_are_refused(
    gw: Gateway, creds: dict[str, Any], issuer: str, audience: str
) -> None:
    from gateway.auth.oauth import records
    from gateway.auth.oauth.install import oauth_of
    from gateway.auth.oauth.tokens import mint_access_token

    server = oauth_of(gw.service)
    assert server is not None
    minted = mint_access_token(
        server.ring,
        issuer=issuer,
        audience=audience,
        client_id=creds["client_id"],
        subject=creds["client_id"],
        scope="shop.customers:read",
        lifetime=600,
        now=gw.clock(),
    )
    with server.engine.begin() as conn:  # recorded like an issued token: only iss/aud differ
        records.save_access(
            conn,
            jti=minted.jti,
            client_id=creds["client_id"],
            user_id=None,
            grant_id=None,
            secret_id=None,
            scope="shop.customers:read",
            issued_at=minted.issued_at,
            expires_at=minted.expires_at,
        )
    response = gw.client.get("/rest/shop/customers?limit=1", headers=bearer(minted.token))
    if (issuer, audience) == (ISSUER, ISSUER):
        assert response.status_code == 200
        return
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="fedgate", error="invalid_token"'


def _sign(
    gw: Gateway, creds: dict[str, Any], header: dict[str, Any], claims: dict[str, Any]
) -> str:
    """A token signed with fedgate's own current key and recorded: only the given parts differ."""
    import uuid

    from gateway.auth.oauth import records
    from gateway.auth.oauth.install import oauth_of

    server = oauth_of(gw.service)
    assert server is not None
    key = server.ring.signing_key()
    now = int(gw.clock())
    jti = uuid.uuid4().hex
    body = {
        "iss": ISSUER,
        "sub": creds["client_id"],
        "aud": ISSUER,
        "exp": now + 600,
        "iat": now,
        "jti": jti,
        "client_id": creds["client_id"],
        "scope": "shop.customers:read",
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    head = {"alg": "ES256", "typ": "at+jwt", "kid": key.kid, **header}
    if "jwk" in head:
        head["jwk"] = key.as_dict(private=False)
    head = {k: v for k, v in head.items() if v is not None}
    token = jwt.encode(head, body, key, algorithms=["ES256"])
    with server.engine.begin() as conn:
        records.save_access(
            conn,
            jti=jti,
            client_id=creds["client_id"],
            user_id=None,
            grant_id=None,
            secret_id=None,
            scope="shop.customers:read",
            issued_at=now,
            expires_at=now + 600,
        )
    return token


@pytest.mark.parametrize(
    ("header", "claims", "status"),
    [
        ({}, {}, 200),  # the control
        ({"typ": "application/at+jwt"}, {}, 200),  # RFC 9068 §4 allows the long form
        ({"typ": "JWT"}, {}, 401),
        ({"typ": None}, {}, 401),
        ({"jwk": "our own public key"}, {}, 401),  # key material in the header: refused
        ({}, {"exp": 1}, 401),  # expired long ago
        ({}, {"iat": 4_000_000_000}, 401),  # issued in the future
        ({}, {"nbf": 4_000_000_000}, 401),  # not yet valid
        ({}, {"client_id": None}, 401),  # a required claim missing
        ({}, {"sub": 42}, 401),  # sub must be a string
    ],
)
def test_our_own_signature_does_not_excuse_a_bad_header_or_claim(
    gw: Gateway, creds: dict[str, Any], header: dict[str, Any], claims: dict[str, Any], status: int
) -> None:
    token = _sign(gw, creds, header, claims)
    response = gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token))
    assert response.status_code == status
