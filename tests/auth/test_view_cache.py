"""What auth remembers between requests is never staler than the full check.

A verified key keeps its checked Access (`AuthService.cached_access`), and the view of
the model per rights (`gateway.auth.views`, the tables a key may use) is kept while the
catalog object is the same. After a role is granted or revoked, a key is revoked, or the
model changes, the very next request answers as the full check would: keys are warmed
first so that the remembered path is the one taken.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.auth.helpers import Gateway, auth_gateway

PRODUCTS = "/rest/shop/products?select=id&limit=1"
ORDERS = "/rest/shop/orders?select=id&limit=1"
GADGETS = "/rest/shop/gadgets?select=id,name"


def warm(gw: Gateway, path: str, headers: dict[str, str], status: int) -> None:
    for _ in range(3):
        response = gw.client.get(path, headers=headers)
        assert response.status_code == status, response.text


def valid_tables(gw: Gateway, path: str, headers: dict[str, str]) -> list[str]:
    response = gw.client.get(path, headers=headers)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "unknown_table"
    (error,) = response.json()["errors"]
    return list(error["valid"])


def test_granting_and_revoking_a_role_changes_the_remembered_view_at_once(
    tmp_path: Path,
) -> None:
    with auth_gateway(tmp_path) as gw:
        for role, scope in (("products", "shop.products:read"), ("orders", "shop.orders:read")):
            created = gw.client.post(
                "/admin/api/roles", headers=gw.admin, json={"name": role, "scopes": [scope]}
            )
            assert created.status_code == 201, created.text
        user = gw.client.post(
            "/admin/api/users", headers=gw.admin, json={"name": "fred", "roles": ["products"]}
        )
        assert user.status_code == 201, user.text
        headers = {"X-API-Key": gw.new_key("shop:read", owner="fred")}
        warm(gw, PRODUCTS, headers, 200)
        warm(gw, ORDERS, headers, 404)
        assert valid_tables(gw, ORDERS, headers) == ["products"]

        granted = gw.client.post(
            "/admin/api/users/fred/roles", headers=gw.admin, json={"role": "orders"}
        )
        assert granted.status_code == 200, granted.text
        assert gw.client.get(ORDERS, headers=headers).status_code == 200
        warm(gw, ORDERS, headers, 200)

        revoked = gw.client.delete("/admin/api/users/fred/roles/products", headers=gw.admin)
        assert revoked.status_code == 200, revoked.text
        assert valid_tables(gw, PRODUCTS, headers) == ["orders"]
        assert gw.client.get(ORDERS, headers=headers).status_code == 200


def test_a_revoked_key_is_refused_at_once_after_warm_requests(tmp_path: Path) -> None:
    with auth_gateway(tmp_path) as gw:
        key = gw.new_key("shop:read")
        headers = {"X-API-Key": key}
        warm(gw, PRODUCTS, headers, 200)
        revoked = gw.client.delete(f"/admin/api/keys/{gw.key_id(key)}", headers=gw.admin)
        assert revoked.status_code in (200, 204), revoked.text
        assert gw.client.get(PRODUCTS, headers=headers).status_code == 401
        assert gw.client.get(PRODUCTS, headers=gw.admin).status_code == 200


def test_a_changed_model_reaches_the_remembered_view_at_once(tmp_path: Path) -> None:
    with auth_gateway(tmp_path) as gw:
        shop_wide = {"X-API-Key": gw.new_key("shop:read")}
        products_only = {"X-API-Key": gw.new_key("shop.products:read")}
        warm(gw, PRODUCTS, shop_wide, 200)
        warm(gw, PRODUCTS, products_only, 200)
        warm(gw, GADGETS, shop_wide, 404)
        cache = gw.client.app.state.runtime.cache  # type: ignore[attr-defined]

        with sqlite3.connect(tmp_path / "demo" / "shop.sqlite") as db:
            db.execute("CREATE TABLE gadgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            db.execute("INSERT INTO gadgets VALUES (1, 'sprocket')")
        cache.refresh()
        response = gw.client.get(GADGETS, headers=shop_wide)
        assert response.status_code == 200, response.text
        assert response.json() == [{"id": 1, "name": "sprocket"}]
        assert valid_tables(gw, GADGETS, products_only) == ["products"]

        with sqlite3.connect(tmp_path / "demo" / "shop.sqlite") as db:
            db.execute("DROP TABLE gadgets")
        cache.refresh()
        assert "gadgets" not in valid_tables(gw, GADGETS, shop_wide)
        assert gw.client.get(PRODUCTS, headers=shop_wide).status_code == 200
