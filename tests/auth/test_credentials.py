"""Every way a credential is refused over HTTP: missing, malformed, expired, revoked, rotated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.auth.keys import generate_key
from tests.auth.helpers import Gateway, auth_gateway, counting

DAY = 86_400


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with auth_gateway(tmp_path) as gateway:
        yield gateway


@pytest.mark.parametrize(
    "path", ["/rest/shop/customers", "/catalog", "/openapi.json", "/admin/api/keys"]
)
def test_no_credential_is_401_with_a_bare_challenge(gw: Gateway, path: str) -> None:
    response = gw.client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="fedgate"'
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/", "/docs"])
def test_health_and_the_docs_page_stay_open(gw: Gateway, path: str) -> None:
    assert gw.client.get(path).status_code == 200


def test_a_valid_key_works_from_either_header(gw: Gateway) -> None:
    bearer = gw.client.get("/rest/shop/customers?limit=1", headers=gw.admin)
    header = gw.client.get("/rest/shop/customers?limit=1", headers={"X-API-Key": gw.admin_key})
    assert bearer.status_code == header.status_code == 200
    assert bearer.json() == header.json()
    assert len(bearer.headers["x-request-id"]) == 32


@pytest.mark.parametrize("parameter", ["api_key", "access_token", "apikey"])
def test_credentials_in_the_query_string_are_refused(gw: Gateway, parameter: str) -> None:
    response = gw.client.get(f"/rest/shop/customers?{parameter}={gw.admin_key}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == parameter
    assert gw.admin_key not in response.text


def test_a_key_anywhere_in_the_query_string_is_refused_even_with_a_good_header(gw: Gateway) -> None:
    response = gw.client.get(f"/rest/shop/customers?name=eq.{gw.admin_key}", headers=gw.admin)
    assert response.status_code == 400
    assert "query string" in response.json()["detail"]


@pytest.mark.parametrize("kind", ["bad checksum", "wrong prefix", "too short", "not a key"])
def test_malformed_keys_are_refused_without_a_store_lookup(gw: Gateway, kind: str) -> None:
    good = generate_key()
    key = {
        "bad checksum": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "wrong prefix": "ghp_" + good[4:],
        "too short": good[:-2],
        "not a key": "hunter2",
    }[kind]
    with counting(gw.service.engine) as statements:
        response = gw.client.get("/rest/shop/customers", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert statements == []  # refused before any metadata lookup


def test_an_unknown_well_formed_key_is_401(gw: Gateway) -> None:
    response = gw.client.get("/rest/shop/customers", headers={"X-API-Key": generate_key()})
    assert response.status_code == 401
    assert response.json()["detail"] == "the API key is not valid"


def test_a_key_expires(gw: Gateway) -> None:
    key = gw.new_key("*:read", expires_in_days=2)
    headers = {"X-API-Key": key}
    assert gw.client.get("/rest/shop/products", headers=headers).status_code == 200
    gw.clock.advance(2 * DAY + 1)
    response = gw.client.get("/rest/shop/products", headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_keys_default_to_90_days_and_cannot_outlive_the_maximum(gw: Gateway) -> None:
    response = gw.client.post(
        "/admin/api/keys",
        headers=gw.admin,
        json={"name": "x", "owner": "admin", "scopes": ["*:read"]},
    )
    body = response.json()
    assert body["expires_at"] - body["created_at"] == pytest.approx(90 * DAY)
    too_long = gw.client.post(
        "/admin/api/keys",
        headers=gw.admin,
        json={"name": "x", "owner": "admin", "scopes": ["*:read"], "expires_in_days": 400},
    )
    assert too_long.status_code == 400


def test_revocation_takes_effect_at_once(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    headers = {"X-API-Key": key}
    assert gw.client.get("/rest/shop/products", headers=headers).status_code == 200  # now cached
    revoked = gw.client.delete(f"/admin/api/keys/{gw.key_id(key)}", headers=gw.admin)
    assert revoked.status_code == 200
    response = gw.client.get("/rest/shop/products", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_rotation_keeps_the_old_key_for_the_grace_period_only(gw: Gateway) -> None:
    old = gw.new_key("shop:read")
    rotated = gw.client.post(
        f"/admin/api/keys/{gw.key_id(old)}/rotate", headers=gw.admin, json={"grace_hours": 24}
    )
    assert rotated.status_code == 201
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["key"]
    assert new != old
    assert rotated.json()["scopes"] == ["shop:read"]
    for key in (old, new):
        assert gw.client.get("/rest/shop/products", headers={"X-API-Key": key}).status_code == 200
    gw.clock.advance(23 * 3600)
    assert gw.client.get("/rest/shop/products", headers={"X-API-Key": old}).status_code == 200
    gw.clock.advance(3601)
    refused = gw.client.get("/rest/shop/products", headers={"X-API-Key": old})
    assert refused.status_code == 401
    assert "rotated" in refused.json()["detail"]
    assert gw.client.get("/rest/shop/products", headers={"X-API-Key": new}).status_code == 200


def test_rotation_grace_is_at_most_seven_days(gw: Gateway) -> None:
    key = gw.new_key("shop:read")
    response = gw.client.post(
        f"/admin/api/keys/{gw.key_id(key)}/rotate", headers=gw.admin, json={"grace_hours": 169}
    )
    assert response.status_code == 400


def test_last_use_is_written_at_most_once_a_minute(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    headers = {"X-API-Key": key}

    def last_used() -> float | None:
        keys = gw.client.get("/admin/api/keys", headers=gw.admin).json()["keys"]
        return next(k["last_used_at"] for k in keys if key.startswith(k["prefix"]))

    assert last_used() is None
    gw.client.get("/rest/shop/products", headers=headers)
    first = last_used()
    assert first == gw.clock.now
    gw.clock.advance(30)
    gw.service.forget()
    gw.client.get("/rest/shop/products", headers=headers)
    assert last_used() == first
    gw.clock.advance(31)
    gw.client.get("/rest/shop/products", headers=headers)
    assert last_used() == gw.clock.now


def test_different_keys_in_both_headers_are_refused(gw: Gateway) -> None:
    other = gw.new_key("*:read")
    response = gw.client.get("/rest/shop/products", headers={**gw.admin, "X-API-Key": other})
    assert response.status_code == 400


def test_failed_authentications_are_throttled_per_client_address(tmp_path: Path) -> None:
    limits = {"failed_auth_per_minute": 6, "failed_auth_burst": 3}
    from config.settings import RateLimitSettings

    with auth_gateway(tmp_path, rate_limits=RateLimitSettings(**limits)) as gw:
        bad = {"X-API-Key": generate_key()}
        codes = [gw.client.get("/rest/shop/products", headers=bad).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = gw.client.get("/rest/shop/products", headers=gw.admin)
        assert limited.status_code == 429  # even a good key waits: the address is throttled
        assert int(limited.headers["retry-after"]) >= 1
        gw.clock.advance(int(limited.headers["retry-after"]))
        assert gw.client.get("/rest/shop/products", headers=gw.admin).status_code == 200


def test_requests_are_limited_per_key(tmp_path: Path) -> None:
    from config.settings import RateLimitSettings

    with auth_gateway(
        tmp_path, rate_limits=RateLimitSettings(requests_per_second=1, burst=2)
    ) as gw:
        codes = [gw.client.get("/healthz").status_code for _ in range(3)]
        assert codes == [200, 200, 200]  # open paths are not counted
        codes = [gw.client.get("/catalog", headers=gw.admin).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        gw.clock.advance(1)
        assert gw.client.get("/catalog", headers=gw.admin).status_code == 200


@pytest.mark.parametrize(
    "spelling",
    [
        "api%5Fkey={key}",
        "x=fgk%5F{rest}",
        "API_KEY={key}",
        "ApiKey={key}",
        "X-Api-Key={key}",
        "Access_Token={key}",
    ],
)
def test_encoded_or_capitalised_query_credentials_are_refused(gw: Gateway, spelling: str) -> None:
    query = spelling.format(key=gw.admin_key, rest=gw.admin_key[4:])
    response = gw.client.get(f"/rest/shop/customers?{query}", headers=gw.admin)
    assert response.status_code == 400
    assert "query string" in response.json()["detail"]
