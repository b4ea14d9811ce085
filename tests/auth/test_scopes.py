"""Scopes checked on the IR: the matrix, embeds and relationship filters, roles, views."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.auth.scopes import ScopeSyntaxError, parse_scope
from tests.auth.helpers import Gateway, auth_gateway
from tests.rest.helpers import recording

NEW_PRODUCT = {"id": 900, "sku": "SKU-900", "name": "Test", "category": "t", "price": "1.00"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with auth_gateway(tmp_path_factory.mktemp("scopes")) as gateway:
        yield gateway


READ_CUSTOMERS = ("GET", "/rest/shop/customers?limit=1")
READ_EVENTS = ("GET", "/rest/analytics/web_events?limit=1")
INSERT_PRODUCT = ("POST", "/rest/shop/products")
DELETE_PRODUCT = ("DELETE", "/rest/shop/products?id=eq.123456")
UPDATE_PRODUCT = ("PATCH", "/rest/shop/products?id=eq.123456")

# (scopes, request, status): each line one cell of the scope grammar. A table the key
# may not use at all is unknown to it (404, as a missing table); one it may use in
# another way is refused with 403 naming the scope.
MATRIX = [
    (["shop.customers:read"], READ_CUSTOMERS, 200),
    (["shop.orders:read"], READ_CUSTOMERS, 404),
    (["shop.orders:read", "shop.customers:insert"], READ_CUSTOMERS, 403),
    (["shop:read"], READ_CUSTOMERS, 200),
    (["shop:read"], READ_EVENTS, 404),
    (["shop:read", "analytics:write"], READ_EVENTS, 403),
    (["*:read"], READ_EVENTS, 200),
    (["*:read"], INSERT_PRODUCT, 403),
    (["shop.customers:*"], READ_CUSTOMERS, 200),
    (["shop.main.customers:read"], READ_CUSTOMERS, 200),  # the default schema spelled out
    (["shop.products:write"], DELETE_PRODUCT, 200),
    (["shop.products:write"], UPDATE_PRODUCT, 200),
    (["shop.products:write"], READ_CUSTOMERS, 404),
    (["shop.products:delete"], DELETE_PRODUCT, 200),
    (["shop.products:delete"], UPDATE_PRODUCT, 403),
    (["shop.products:update"], UPDATE_PRODUCT, 200),
    (["shop.products:insert"], DELETE_PRODUCT, 403),
    (["*:*"], UPDATE_PRODUCT, 200),
    (["sql"], READ_CUSTOMERS, 404),
]


@pytest.mark.parametrize(("scopes", "request_", "status"), MATRIX)
def test_scope_matrix(
    gw: Gateway, scopes: list[str], request_: tuple[str, str], status: int
) -> None:
    key = gw.new_key(*scopes)
    method, path = request_
    body = {"name": "renamed"} if method == "PATCH" else None
    response = gw.client.request(method, path, headers={"X-API-Key": key}, json=body)
    assert response.status_code in ((200, 204) if status == 200 else (status,)), response.text


def test_an_insert_needs_insert_and_a_returned_row_needs_read(gw: Gateway) -> None:
    key = gw.new_key("shop.products:insert")
    headers = {"X-API-Key": key}
    row = {**NEW_PRODUCT, "id": 901, "sku": "SKU-901"}
    representation = gw.client.post(
        "/rest/shop/products", headers={**headers, "Prefer": "return=representation"}, json=row
    )
    assert representation.status_code == 403
    assert representation.json()["scope"] == "shop.products:read"
    minimal = gw.client.post("/rest/shop/products", headers=headers, json=row)
    assert minimal.status_code == 201


def test_the_403_names_the_missing_scope(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read", "shop.orders:insert")
    response = gw.client.get("/rest/shop/orders", headers={"X-API-Key": key})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["scope"] == "shop.orders:read"
    assert "shop.orders:read" in body["detail"]
    assert 'scope="shop.orders:read"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("/rest/shop/customers?select=id,orders(id)", "shop.orders:read"),
        ("/rest/shop/customers?select=id,orders(id,order_items(line_no))", "shop.order_items:read"),
        ("/rest/shop/customers?select=id,orders!inner()&orders.status=eq.paid", "shop.orders:read"),
        ("/rest/shop/customers/1?select=id,orders(id)", "shop.orders:read"),
    ],
)
def test_a_table_reached_through_an_embed_or_filter_needs_its_scope_before_any_sql(
    gw: Gateway, path: str, missing: str
) -> None:
    # The embedded table may be written, not read: known to the key, so a 403 (with no
    # rights at all it would be unknown: tests/auth/test_hidden_tables.py).
    key = gw.new_key(
        "shop.customers:read",
        "shop.orders:read" if "order_items" in path else "shop.orders:insert",
        "shop.order_items:insert",
    )
    with recording(gw.client, "shop") as sql:
        response = gw.client.get(path, headers={"X-API-Key": key})
    assert response.status_code == 403, response.text
    assert response.json()["scope"] == missing
    assert sql.statements == []  # refused before any statement reached the source


def test_effective_rights_are_the_key_scopes_within_the_owner_roles(gw: Gateway) -> None:
    admin = gw.admin
    assert (
        gw.client.post(
            "/admin/api/roles",
            headers=admin,
            json={"name": "cust", "scopes": ["shop.customers:read"]},
        ).status_code
        == 201
    )
    assert (
        gw.client.post(
            "/admin/api/users", headers=admin, json={"name": "carol", "roles": ["cust"]}
        ).status_code
        == 201
    )
    key = gw.new_key("*:read", owner="carol")  # asks for more than carol's roles hold
    headers = {"X-API-Key": key}
    assert gw.client.get("/rest/shop/customers?limit=1", headers=headers).status_code == 200
    assert gw.client.get("/rest/shop/orders?limit=1", headers=headers).status_code == 404
    assert (
        gw.client.post(
            "/admin/api/roles", headers=admin, json={"name": "ord", "scopes": ["shop.orders:read"]}
        ).status_code
        == 201
    )
    granted = gw.client.post("/admin/api/users/carol/roles", headers=admin, json={"role": "ord"})
    assert granted.status_code == 200
    assert gw.client.get("/rest/shop/orders?limit=1", headers=headers).status_code == 200


def test_the_admin_api_needs_the_admin_scope(gw: Gateway) -> None:
    key = gw.new_key("*:*")
    response = gw.client.get("/admin/api/keys", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert response.json()["scope"] == "admin"


def tables_of(body: dict[str, object]) -> dict[str, set[str]]:
    return {s["name"]: {t["name"] for t in s["tables"]} for s in body["sources"]}  # type: ignore[attr-defined, index]


def test_catalog_and_openapi_show_only_readable_tables(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read", "analytics:read")
    headers = {"X-API-Key": key}
    catalog = gw.client.get("/catalog", headers=headers).json()
    assert tables_of(catalog) == {
        "shop": {"customers"},
        "analytics": {"daily_sales", "revenue_by_country", "web_events"},
    }
    (customers,) = catalog["sources"][0]["tables"]
    assert customers["relationships"] == []  # its relationship reaches a hidden table
    paths = set(gw.client.get("/openapi.json", headers=headers).json()["paths"])
    assert "/rest/shop/customers" in paths
    assert not any(p.startswith(("/rest/shop/orders", "/rest/shop/products")) for p in paths)
    full = set(gw.client.get("/openapi.json", headers=gw.admin).json()["paths"])
    assert "/rest/shop/orders" in full  # the admin's document is not the cached narrow one


def test_graphql_schema_shows_only_readable_tables(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read")
    query = {"query": "{ __schema { queryType { fields { name } } } }"}
    narrow = gw.client.post("/graphql", headers={"X-API-Key": key}, json=query)
    wide = gw.client.post("/graphql", headers=gw.admin, json=query)
    narrow_fields = {f["name"] for f in narrow.json()["data"]["__schema"]["queryType"]["fields"]}
    wide_fields = {f["name"] for f in wide.json()["data"]["__schema"]["queryType"]["fields"]}
    assert any("customers" in f for f in narrow_fields)
    assert not any("orders" in f for f in narrow_fields)
    assert any("orders" in f for f in wide_fields)


def test_graphql_cannot_query_a_hidden_table(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read")
    wide = gw.client.post("/graphql", headers=gw.admin, json={"query": "{ __typename }"})
    assert wide.status_code == 200
    response = gw.client.post(
        "/graphql", headers={"X-API-Key": key}, json={"query": "{ shop_orders { id } }"}
    )
    body = response.json()
    assert body.get("data") is None
    assert "shop_orders" in body["errors"][0]["message"]
    allowed = gw.client.post(
        "/graphql",
        headers={"X-API-Key": key},
        json={"query": "{ shop_customers(limit: 1) { id } }"},
    )
    assert allowed.json() == {"data": {"shop_customers": [{"id": 1}]}}


@pytest.mark.parametrize(
    "text", ["shop", "shop:list", ":read", "shop orders:read", "shop.:read", "root", "*.x:read"]
)
def test_scopes_outside_the_grammar_are_refused(text: str) -> None:
    with pytest.raises(ScopeSyntaxError):
        parse_scope(text)


def test_admin_refuses_a_key_with_a_bad_scope(gw: Gateway) -> None:
    response = gw.client.post(
        "/admin/api/keys",
        headers=gw.admin,
        json={"name": "x", "owner": "admin", "scopes": ["shop:list"]},
    )
    assert response.status_code == 400
    assert "not a scope" in response.json()["detail"]


@pytest.mark.parametrize("enabled", [False, True])
def test_guest_access_is_off_by_default_and_exactly_its_scopes_when_on(
    tmp_path: Path, enabled: bool
) -> None:
    from config.settings import GuestSettings

    guest = GuestSettings(enabled=enabled, scopes=("shop.products:read",))
    with auth_gateway(tmp_path, guest=guest) as gw:
        products = gw.client.get("/rest/shop/products?limit=1")
        customers = gw.client.get("/rest/shop/customers?limit=1")
        write = gw.client.post("/rest/shop/products", json=NEW_PRODUCT)
        catalog = gw.client.get("/catalog")
        if not enabled:
            assert {products.status_code, customers.status_code, write.status_code} == {401}
            assert catalog.status_code == 401
        else:
            assert products.status_code == 200
            assert customers.status_code == 404  # not a table the guest may use: unknown
            assert write.status_code == 403
            assert tables_of(catalog.json()) == {"shop": {"products"}, "analytics": set()}


def test_a_graphql_mutation_needs_the_write_scope(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read")
    mutation = "mutation { delete_shop_customers(where: {id: {_eq: -1}}) { affected_rows } }"
    response = gw.client.post("/graphql", headers={"X-API-Key": key}, json={"query": mutation})
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "forbidden", errors
    assert "shop.customers:delete" in errors[0]["message"]


@pytest.mark.parametrize(
    ("scopes", "sql", "status"),
    [
        (["sql", "shop.customers:read"], "SELECT count(*) AS n FROM shop.customers", 200),
        (["shop.customers:read"], "SELECT count(*) AS n FROM shop.customers", 403),
        (["sql", "shop.customers:read"], "SELECT count(*) AS n FROM shop.orders", 400),
        (["sql", "*:read"], "SELECT count(*) AS n FROM shop.orders", 200),
    ],
)
def test_sql_needs_the_sql_scope_and_read_on_each_table(
    gw: Gateway, scopes: list[str], sql: str, status: int
) -> None:
    key = gw.new_key(*scopes)
    response = gw.client.post("/sql", headers={"X-API-Key": key}, json={"sql": sql})
    assert response.status_code == status, response.text
