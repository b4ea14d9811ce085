"""Integrations: lifecycle through the admin API (with its audit trail), client_credentials tokens
on every surface with exactly their scopes, and what revocation does to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.auth.helpers import Gateway
from tests.oauth.helpers import (
    activate,
    active_client,
    basic,
    bearer,
    cannot_read,
    client_token,
    create_client,
    oauth_gateway,
)


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with oauth_gateway(tmp_path) as gateway:
        yield gateway


def audit(gw: Gateway, action: str) -> list[dict[str, Any]]:
    response = gw.client.get(f"/admin/api/audit?action={action}", headers=gw.admin)
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_a_new_client_is_inactive_and_gets_no_token(gw: Gateway) -> None:
    created = create_client(gw)
    assert created["status"] == "inactive"
    assert "client_secret" not in created
    listed = gw.client.get("/admin/api/clients", headers=gw.admin).json()["clients"]
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    refused = gw.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(created["client_id"], "fgc_" + "a" * 38),
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert refused.headers["www-authenticate"].startswith("Basic")


def test_activation_shows_id_secret_and_a_working_token_once(gw: Gateway) -> None:
    created = create_client(gw, scopes="shop.customers:read, shop.orders:read")  # commas typed
    creds = activate(gw, created["client_id"])
    assert creds["client_secret"].startswith("fgc_")
    assert creds["scope"] == "shop.customers:read shop.orders:read"  # space-delimited on the wire
    assert creds["expires_in"] == 7200
    headers = bearer(creds["access_token"])
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200
    assert gw.client.get("/rest/shop/orders?limit=1", headers=headers).status_code == 200
    cannot_read(gw.client.get("/rest/shop/products?limit=1", headers=headers), "shop.products:read")
    write = gw.client.post("/rest/shop/customers", headers=headers, json={"id": 9999, "name": "x"})
    assert write.status_code == 403  # readable, not writable: the 403 names the scope
    assert write.json()["scope"] == "shop.customers:insert"
    shown = gw.client.get(f"/admin/api/clients/{created['client_id']}", headers=gw.admin).json()
    assert "client_secret" not in shown
    assert "access_token" not in shown
    again = gw.client.post(f"/admin/api/clients/{created['client_id']}/activate", headers=gw.admin)
    assert again.status_code == 400  # active already: credentials are not shown twice


def test_client_credentials_token_has_rfc9068_shape_and_only_granted_scopes(gw: Gateway) -> None:
    creds = active_client(gw, scopes=["shop.customers:read", "shop.orders:read"])
    response = client_token(gw, creds, scope="shop.customers:read")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "refresh_token" not in body
    assert body["scope"] == "shop.customers:read"
    headers = bearer(body["access_token"])
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200
    cannot_read(gw.client.get("/rest/shop/orders?limit=1", headers=headers), "shop.orders:read")


def test_client_credentials_never_gets_a_refresh_token_or_more_scope(gw: Gateway) -> None:
    creds = active_client(gw, refresh_enabled=True, grant_types=["client_credentials"])
    offline = client_token(gw, creds, scope="shop.customers:read offline_access")
    assert offline.status_code == 400
    assert offline.json()["error"] == "invalid_scope"
    wider = client_token(gw, creds, scope="shop.products:read")
    assert wider.json()["error"] == "invalid_scope"
    admin = client_token(gw, creds, scope="admin")
    assert admin.json()["error"] == "invalid_scope"
    plain = client_token(gw, creds)
    assert plain.status_code == 200
    assert "refresh_token" not in plain.json()


def test_all_resource_access_reads_every_table_and_sql_but_not_admin(gw: Gateway) -> None:
    creds = active_client(gw, resource_access="all", scopes=[])
    headers = bearer(creds["access_token"])
    assert gw.client.get("/rest/shop/products?limit=1", headers=headers).status_code == 200
    assert gw.client.get("/rest/analytics/web_events?limit=1", headers=headers).status_code == 200
    sql = gw.client.post(
        "/sql", headers=headers, json={"sql": "SELECT count(*) AS n FROM shop.customers"}
    )
    assert sql.status_code == 200, sql.text
    assert gw.client.get("/admin/api/keys", headers=headers).status_code == 403


def test_the_token_works_on_graphql_with_its_scopes(gw: Gateway) -> None:
    creds = active_client(gw)
    headers = bearer(creds["access_token"])
    ok = gw.client.post(
        "/graphql", headers=headers, json={"query": "{ shop_customers(limit: 1) { id } }"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"]["shop_customers"][0]["id"] == 1


def test_reauthorize_revokes_the_old_secret_and_every_token(gw: Gateway) -> None:
    creds = active_client(gw)
    old_token = creds["access_token"]
    issued = client_token(gw, creds).json()["access_token"]
    client_id = creds["client_id"]
    response = gw.client.post(f"/admin/api/clients/{client_id}/reauthorize", headers=gw.admin)
    assert response.status_code == 200
    new = response.json()
    assert new["client_secret"] != creds["client_secret"]
    for token in (old_token, issued):
        refused = gw.client.get("/rest/shop/customers?limit=1", headers=bearer(token))
        assert token not in refused.text
        assert refused.status_code == 401
        assert (
            refused.headers["www-authenticate"] == 'Bearer realm="fedgate", error="invalid_token"'
        )
    assert client_token(gw, creds).status_code == 401  # the old secret
    refusals = audit(gw, "auth.refused")
    assert [e["target"] for e in refusals] == [client_id, client_id]
    assert client_token(gw, new).status_code == 200
    ok = gw.client.get("/rest/shop/customers?limit=1", headers=bearer(new["access_token"]))
    assert ok.status_code == 200


def test_deactivate_and_delete_revoke_everything(gw: Gateway) -> None:
    creds = active_client(gw)
    client_id = creds["client_id"]
    headers = bearer(creds["access_token"])
    assert (
        gw.client.post(f"/admin/api/clients/{client_id}/deactivate", headers=gw.admin).status_code
        == 200
    )
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 401
    assert client_token(gw, creds).status_code == 401
    again = activate(gw, client_id)
    assert (
        gw.client.get(
            "/rest/shop/customers?limit=1", headers=bearer(again["access_token"])
        ).status_code
        == 200
    )
    assert gw.client.delete(f"/admin/api/clients/{client_id}", headers=gw.admin).status_code == 200
    assert (
        gw.client.get(
            "/rest/shop/customers?limit=1", headers=bearer(again["access_token"])
        ).status_code
        == 401
    )
    assert client_token(gw, again).status_code == 401
    assert gw.client.get("/admin/api/clients", headers=gw.admin).json()["clients"] == []
    assert gw.client.get(f"/admin/api/clients/{client_id}", headers=gw.admin).status_code == 404


def test_the_lifecycle_leaves_audit_entries_without_secrets(gw: Gateway) -> None:
    creds = active_client(gw)
    client_id = creds["client_id"]
    gw.client.post(f"/admin/api/clients/{client_id}/reauthorize", headers=gw.admin)
    gw.client.delete(f"/admin/api/clients/{client_id}", headers=gw.admin)
    for action in ("client.create", "client.activate", "client.reauthorize", "client.delete"):
        entries = audit(gw, action)
        assert [e["target"] for e in entries] == [client_id], action
        assert entries[0]["principal"] == "admin", action
    issued = audit(gw, "oauth.token.issue")
    assert issued
    assert issued[0]["detail"]["grant_type"] == "activation"
    everything = gw.client.get("/admin/api/audit?limit=1000", headers=gw.admin).text
    assert creds["client_secret"] not in everything
    assert creds["access_token"] not in everything
    assert "eyJ" not in everything


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "redirect_uris"),
        ({"redirect_uris": ["https://user@app.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"redirect_uris": ["/relative"]}, "redirect_uris"),
        ({"token_lifetime": 100_000_000}, "token_lifetime"),
        ({"token_lifetime": -1}, "token_lifetime"),
        ({"grant_types": ["implicit"]}, "grant_types"),
        ({"grant_types": ["password"]}, "grant_types"),  # not first-party
        ({"client_type": "spa", "grant_types": ["client_credentials"]}, "grant_types"),
        ({"scopes": ["shop.customers:read, nonsense"]}, "scopes"),
        ({"resource_access": "custom", "scopes": []}, "scopes"),
    ],
)
def test_registration_refuses_unsafe_or_invalid_settings(
    gw: Gateway, body: dict[str, Any], parameter: str
) -> None:
    spec = {
        "name": "x",
        "redirect_uris": ["https://app.example/cb"],
        "scopes": ["shop.customers:read"],
    }
    response = gw.client.post("/admin/api/clients", headers=gw.admin, json={**spec, **body})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["parameter"] == parameter


def test_insecure_settings_are_accepted_and_flagged(gw: Gateway) -> None:
    created = create_client(
        gw, redirect_uris=["http://app.example/cb", "http://127.0.0.1:8765/cb"], token_lifetime=0
    )
    assert created["insecure"] == [
        "redirect URI http://app.example/cb is not https",
        "access tokens never expire (lifetime 0)",
    ]
    creds = activate(gw, created["client_id"])
    assert creds["expires_in"] is None
    gw.clock.advance(10 * 365 * 86_400)
    headers = bearer(creds["access_token"])
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200


def test_a_token_expires_with_its_lifetime(gw: Gateway) -> None:
    creds = active_client(gw, token_lifetime=60)
    headers = bearer(creds["access_token"])
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200
    gw.clock.advance(120)
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 401


def test_the_admin_api_for_clients_needs_admin(gw: Gateway) -> None:
    creds = active_client(gw)
    response = gw.client.get("/admin/api/clients", headers=bearer(creds["access_token"]))
    assert response.status_code == 403
    assert gw.client.get("/admin/api/clients").status_code == 401


def test_long_expired_tokens_are_purged_from_the_store(gw: Gateway) -> None:
    import sqlalchemy as sa

    from gateway.auth.oauth.tables import access_tokens

    creds = active_client(gw, token_lifetime=60)
    engine = gw.service.engine

    def stored() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(access_tokens)).scalar_one()
            )

    assert stored() == 1
    gw.clock.advance(2 * 86_400)
    assert client_token(gw, creds).status_code == 200  # issuing sweeps (at most hourly)
    assert stored() == 1  # the first, expired a day ago, is gone; the new one stays
