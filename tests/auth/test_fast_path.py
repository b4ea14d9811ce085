"""A request with `Authorization: Bearer fgk_...` for a key verified a moment ago takes the
middleware's fast path (`AuthService.cached_access`, `_plain_data_request`); it answers
exactly as the full path: rights, refusals, limits, audit entries and request ids. Each
test warms the key first."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.auth.keys import generate_key
from gateway.auth.middleware import AuthMiddleware
from gateway.auth.tables import api_keys
from gateway.http_protocol import OWN_CONTEXT
from gateway.query.access import UNRESTRICTED, current_access, current_state
from tests.auth.helpers import Gateway, auth_gateway

PATH = "/rest/shop/products"


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with auth_gateway(tmp_path) as gateway:
        yield gateway


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def entries(gw: Gateway, **filters: Any) -> list[dict[str, Any]]:
    response = gw.client.get("/admin/api/audit", headers=gw.admin, params=filters)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


def test_a_warm_bearer_key_is_served_by_the_fast_path(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200  # verified, cached

    async def full_path(*_args: Any) -> None:
        raise AssertionError("the full path ran")

    monkeypatch.setattr(AuthMiddleware, "_checked", full_path)
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200


def test_a_graphql_post_with_a_warm_key_takes_the_fast_path_with_the_same_rights(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /graphql is data, never the GraphiQL page: served by the fast path, and the
    schema is still the key's own (a table outside its scopes does not exist)."""
    key = gw.new_key("shop.products:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200  # verified, cached
    page = gw.client.get("/graphql", headers=bearer(key))  # the page: the full path

    async def full_path(*_args: Any) -> None:
        raise AssertionError("the full path ran")

    monkeypatch.setattr(AuthMiddleware, "_checked", full_path)
    query = "{ shop_products(limit: 1, order_by: {id: asc}) { id } }"
    read = gw.client.post("/graphql", headers=bearer(key), json={"query": query})
    hidden = gw.client.post(
        "/graphql", headers=bearer(key), json={"query": "{ shop_customers { id } }"}
    )
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert read.status_code == 200
    assert read.json() == {"data": {"shop_products": [{"id": 1}]}}
    assert "x-request-id" in read.headers
    assert hidden.json()["errors"][0]["message"].startswith("Cannot query field 'shop_customers'")


def test_a_cached_key_writes_with_its_principal_and_request_id_in_the_audit_log(
    gw: Gateway,
) -> None:
    key = gw.new_key("shop.products:write", "shop.products:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200  # verified, cached
    row = {"id": 951, "sku": "SKU-951", "name": "n", "category": "t", "price": "1.50"}
    response = gw.client.post(PATH, headers={**bearer(key), "X-Request-Id": "req-951"}, json=row)
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-951"
    (entry,) = entries(gw, action="data.insert")
    assert (entry["principal"], entry["request_id"]) == ("admin", "req-951")
    assert entry["detail"]["key"] == key[:12]


def test_a_cached_key_is_refused_a_table_outside_its_scopes_and_the_denial_audited(
    gw: Gateway,
) -> None:
    key = gw.new_key("shop.products:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    hidden = gw.client.get("/rest/shop/customers", headers={**bearer(key), "X-Request-Id": "r-1"})
    assert hidden.status_code == 404  # as a table that does not exist
    (denied,) = entries(gw, action="access.denied")
    assert denied["request_id"] == "r-1"
    assert denied["target"] == "shop.customers:read"


def test_a_revocation_elsewhere_stops_a_cached_bearer_key_within_cache_seconds(
    gw: Gateway,
) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    with gw.service.engine.begin() as conn:  # as another gateway on the same store would
        conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.id == gw.key_id(key))
            .values(revoked_at=gw.clock.now)
        )
    gw.clock.advance(1.0)
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200  # cached, as documented
    gw.clock.advance(1.01)
    refused = gw.client.get(PATH, headers=bearer(key))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].lower().startswith("bearer")


def test_a_revocation_here_stops_a_cached_bearer_key_at_once(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    revoked = gw.client.delete(f"/admin/api/keys/{gw.key_id(key)}", headers=gw.admin)
    assert revoked.status_code in (200, 204), revoked.text
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 401


def test_with_two_authorization_headers_the_first_counts_as_on_the_full_path(
    gw: Gateway,
) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    other = generate_key()  # well formed, unknown
    first_bad = [("authorization", f"Bearer {other}"), ("authorization", f"Bearer {key}")]
    assert gw.client.get(PATH, headers=first_bad).status_code == 401
    first_good = [("authorization", f"Bearer {key}"), ("authorization", f"Bearer {other}")]
    assert gw.client.get(PATH, headers=first_good).status_code == 200


def test_a_cached_key_with_a_credential_in_the_query_string_is_refused(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    refused = gw.client.get(f"{PATH}?api_key={key}", headers=bearer(key))
    assert refused.status_code == 400
    encoded = gw.client.get(f"{PATH}?x=fgk%5F{key[4:]}", headers=bearer(key))
    assert encoded.status_code == 400


def test_other_spellings_of_a_cached_key_answer_as_the_key(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    assert gw.client.get(PATH, headers=bearer(key)).status_code == 200
    for headers in ({"Authorization": f"bearer {key}"}, {"Authorization": f"Bearer  {key} "}):
        assert gw.client.get(PATH, headers=headers).status_code == 200
    assert gw.client.get("/healthz", headers=bearer(key)).status_code == 200
    mixed = {**bearer(key), "X-API-Key": gw.new_key("*:read")}
    assert gw.client.get(PATH, headers=mixed).status_code == 400


def test_a_cached_key_over_its_rate_is_refused_with_a_request_id(tmp_path: Path) -> None:
    from config.settings import RateLimitSettings

    limits = RateLimitSettings(requests_per_second=1, burst=2)
    with auth_gateway(tmp_path, rate_limits=limits) as gw:
        key = gw.new_key("*:read")
        codes = [gw.client.get(PATH, headers=bearer(key)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = gw.client.get(PATH, headers={**bearer(key), "X-Request-Id": "r-429"})
        assert limited.status_code == 429
        assert limited.headers["x-request-id"] == "r-429"
        assert int(limited.headers["retry-after"]) >= 1


def test_the_request_state_is_undone_after_the_request(gw: Gateway) -> None:
    gw.client.get(PATH, headers=gw.admin)  # the admin key verified and cached
    seen: list[Any] = []

    async def inner(_scope: Any, _receive: Any, send: Any) -> None:
        seen.append((current_access(), current_state().request_id))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": PATH,
        "query_string": b"",
        "client": ("127.0.0.1", 1),
        "headers": [(b"authorization", f"Bearer {gw.admin_key}".encode()), (b"x-request-id", b"q")],
    }

    async def run() -> None:
        await AuthMiddleware(inner, gw.service)(scope, receive, send)
        assert current_access() is UNRESTRICTED
        assert current_state().request_id is None

    asyncio.run(run())
    ((access, request_id),) = seen
    assert access is not UNRESTRICTED
    assert request_id == "q"
    assert (b"x-request-id", b"q") in sent[0]["headers"]

    # Served with a context of its own (`fedgate serve`): the inner app's own coroutine runs
    # the request, with the state set in that context, which ends with the request's task.
    own = {**scope, OWN_CONTEXT: True}

    async def served() -> None:
        request = AuthMiddleware(inner, gw.service)(own, receive, send)
        assert getattr(request, "cr_code", None) is inner.__code__  # no middleware frame
        await request
        assert current_state().request_id == "q"  # this task's context, set for the request

    asyncio.run(asyncio.wait_for(served(), 10))  # a task of its own, as uvicorn's
    assert current_access() is UNRESTRICTED  # nothing outside that task changed
    assert seen[-1][1] == "q"
    assert seen[-1][0] is not UNRESTRICTED


def test_fast_path_eligibility_is_remembered_only_for_urls_of_bounded_length() -> None:
    """Per method, path and query, for one lookup per request; a long URL is decided each
    time and never kept, so no client can fill memory with the map (4096 entries)."""
    from gateway.auth import middleware

    def scope(query: bytes) -> dict[str, Any]:
        return {"method": "GET", "path": PATH, "query_string": query}

    short, long_ = b"select=id&limit=5", b"select=id&name=eq." + b"x" * 2000
    assert middleware._plain_data_request(scope(short)) is True
    assert middleware._plain_data_request(scope(long_)) is True
    assert middleware._plain_data_request(scope(long_ + b"&api_key=1")) is False
    kept = {query for (_, _, query) in middleware._PLAIN}
    assert short in kept
    assert not any(len(query) > middleware.MAX_PLAIN_LENGTH for query in kept)  # neither long one
