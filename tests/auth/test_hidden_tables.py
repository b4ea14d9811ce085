"""A table the caller may not use answers exactly as a table that does not exist.

REST, GraphQL and /sql, over the demo with auth on: the status, code and every list
of valid names or suggestions are those of a missing table, and no list names a
hidden table or a relationship to one. A table the caller may read but not write
still answers 403 naming the missing scope (it can see it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.auth.helpers import Gateway, auth_gateway
from tests.rest.helpers import recording


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with auth_gateway(tmp_path_factory.mktemp("hidden")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def customers_only(gw: Gateway) -> dict[str, str]:
    return {"X-API-Key": gw.new_key("shop.customers:read", "sql")}


def without_names(body: dict[str, Any], *names: str) -> str:
    """The problem body as text with the asked-for names blanked, to compare two answers."""
    text = str(body)
    for name in names:
        text = text.replace(name, "<name>")
    return text


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_rest_a_hidden_table_is_a_404_like_a_missing_one(
    gw: Gateway, customers_only: dict[str, str], method: str
) -> None:
    body = {"name": "x"} if method in ("POST", "PATCH") else None
    with recording(gw.client, "shop") as sql:
        hidden = gw.client.request(
            method, "/rest/shop/orders?id=eq.1", headers=customers_only, json=body
        )
        missing = gw.client.request(
            method, "/rest/shop/nothere?id=eq.1", headers=customers_only, json=body
        )
    assert hidden.status_code == missing.status_code == 404, hidden.text
    assert hidden.json()["code"] == "unknown_table"
    assert without_names(hidden.json(), "orders") == without_names(missing.json(), "nothere")
    (error,) = hidden.json()["errors"]
    assert error["valid"] == ["customers"]  # only what the key may use
    assert sql.statements == []


def test_rest_by_key_and_the_admin_still_sees_the_table(
    gw: Gateway, customers_only: dict[str, str]
) -> None:
    hidden = gw.client.get("/rest/shop/orders/1", headers=customers_only)
    missing = gw.client.get("/rest/shop/nothere/1", headers=customers_only)
    assert hidden.status_code == missing.status_code == 404
    assert without_names(hidden.json(), "orders") == without_names(missing.json(), "nothere")
    assert gw.client.get("/rest/shop/orders/1", headers=gw.admin).status_code == 200
    valid = gw.client.get("/rest/shop/nothere", headers=gw.admin).json()["errors"][0]["valid"]
    assert {"customers", "orders", "products"} <= set(valid)


@pytest.mark.parametrize(
    ("hidden", "missing"),
    [
        ("/rest/shop/customers?select=id,orders(id)", "/rest/shop/customers?select=id,nope(id)"),
        (
            "/rest/shop/customers?select=id,orders!inner()&orders.status=eq.paid",
            "/rest/shop/customers?select=id,nope!inner()&nope.status=eq.paid",
        ),
        (
            "/rest/shop/customers/1?select=id,orders(id)",
            "/rest/shop/customers/1?select=id,nope(id)",
        ),
    ],
)
def test_rest_an_embed_of_a_hidden_table_is_an_unknown_relationship(
    gw: Gateway, customers_only: dict[str, str], hidden: str, missing: str
) -> None:
    with recording(gw.client, "shop") as sql:
        refused = gw.client.get(hidden, headers=customers_only)
        unknown = gw.client.get(missing, headers=customers_only)
    assert refused.status_code == unknown.status_code == 400, refused.text
    assert without_names(refused.json(), "orders") == without_names(unknown.json(), "nope")
    for error in refused.json()["errors"]:
        assert "orders" not in error.get("valid", [])
    assert sql.statements == []


def test_rest_a_table_the_key_may_write_but_not_read_is_known_and_refused_with_403(
    gw: Gateway,
) -> None:
    headers = {"X-API-Key": gw.new_key("shop.customers:read", "shop.orders:insert")}
    embed = gw.client.get("/rest/shop/customers?select=id,orders(id)", headers=headers)
    assert embed.status_code == 403
    assert embed.json()["scope"] == "shop.orders:read"
    read = gw.client.get("/rest/shop/orders", headers=headers)
    assert read.status_code == 403
    assert read.json()["scope"] == "shop.orders:read"
    listed = gw.client.get("/rest/shop/nothere", headers=headers).json()["errors"][0]["valid"]
    assert listed == ["customers", "orders"]
    # The GraphQL schema holds readable tables only: there the table is absent.
    mutation = "mutation { delete_shop_orders(where: {id: {_eq: -1}}) { affected_rows } }"
    absent = graphql(gw, headers, mutation)
    assert absent.get("data") is None
    assert "delete_shop_orders" in " ".join(messages(absent))
    assert "forbidden" not in str(absent)


def test_rest_a_readable_table_answers_403_naming_the_write_scope(
    gw: Gateway, customers_only: dict[str, str]
) -> None:
    with recording(gw.client, "shop") as sql:
        response = gw.client.delete("/rest/shop/customers?id=eq.-1", headers=customers_only)
    assert response.status_code == 403
    assert response.json()["scope"] == "shop.customers:delete"
    assert sql.statements == []


def graphql(gw: Gateway, headers: dict[str, str], query: str) -> dict[str, Any]:
    response = gw.client.post("/graphql", headers=headers, json={"query": query})
    body: dict[str, Any] = response.json()
    return body


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body["errors"]]


def test_graphql_a_hidden_table_or_relationship_is_an_unknown_field(
    gw: Gateway, customers_only: dict[str, str]
) -> None:
    hidden = graphql(gw, customers_only, "{ shop_orders { id } }")
    missing = graphql(gw, customers_only, "{ shop_nothere { id } }")
    assert hidden.get("data") is None
    assert without_names(hidden, "shop_orders") == without_names(missing, "shop_nothere")
    # A near miss suggests only what the key may read.
    near = " ".join(messages(graphql(gw, customers_only, "{ shop_order { id } }")))
    assert "shop_orders" not in near
    related = graphql(gw, customers_only, "{ shop_customers(limit: 1) { id orders { id } } }")
    unknown = graphql(gw, customers_only, "{ shop_customers(limit: 1) { id xqwvut { id } } }")
    assert without_names(related, "orders") == without_names(unknown, "xqwvut")
    mutation = "mutation { delete_shop_orders(where: {id: {_eq: -1}}) { affected_rows } }"
    assert "delete_shop_orders" in " ".join(messages(graphql(gw, customers_only, mutation)))
    admin = graphql(gw, gw.admin, "{ shop_orders(limit: 1) { id } }")
    assert admin == {"data": {"shop_orders": [{"id": 1}]}}


def test_sql_a_hidden_table_is_an_unknown_one_and_never_suggested(
    gw: Gateway, customers_only: dict[str, str]
) -> None:
    def run(statement: str) -> Any:
        return gw.client.post("/sql", headers=customers_only, json={"sql": statement})

    hidden, missing = run("SELECT id FROM shop.orders"), run("SELECT id FROM shop.nothere")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["code"] == "sql_unknown_table"
    assert without_names(hidden.json(), "orders") == without_names(missing.json(), "nothere")
    near = run("SELECT id FROM shop.order").json()["errors"][0]["suggestions"]
    assert "shop.orders" not in near
    assert "shop.order_items" not in near
    assert run("SELECT id FROM shop.customer").json()["errors"][0]["suggestions"] == [
        "shop.customers"
    ]
    assert run("SELECT count(*) AS n FROM shop.customers").status_code == 200
    admin = gw.client.post("/sql", headers=gw.admin, json={"sql": "SELECT id FROM shop.order"})
    assert "shop.orders" in admin.json()["errors"][0]["suggestions"]


def test_sql_without_the_sql_scope_is_a_403_and_audited(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read")
    response = gw.client.post(
        "/sql",
        headers={"X-API-Key": key, "X-Request-Id": "no-sql-scope"},
        json={"sql": "SELECT 1"},
    )
    assert response.status_code == 403
    assert response.json()["scope"] == "sql"
    assert 'scope="sql"' in response.headers["www-authenticate"]
    listed = gw.client.get(
        "/admin/api/audit", headers=gw.admin, params={"action": "access.denied", "limit": 1000}
    ).json()["entries"]
    (entry,) = [e for e in listed if e["request_id"] == "no-sql-scope"]
    assert entry["outcome"] == "denied"
    assert entry["target"] == "sql"
    assert entry["detail"] == {"scope": "sql", "key": key[:12]}


def denials(gw: Gateway, request_id: str) -> list[dict[str, Any]]:
    listed = gw.client.get(
        "/admin/api/audit", headers=gw.admin, params={"action": "access.denied", "limit": 1000}
    ).json()["entries"]
    return [e for e in listed if e["request_id"] == request_id]


def test_a_hidden_table_is_audited_as_a_denial_and_a_missing_one_is_not(
    gw: Gateway, customers_only: dict[str, str]
) -> None:
    def ask(method: str, path: str, request_id: str, **kw: Any) -> int:
        headers = {**customers_only, "X-Request-Id": request_id}
        return gw.client.request(method, path, headers=headers, **kw).status_code

    assert ask("DELETE", "/rest/shop/orders?id=eq.1", "rest-hidden") == 404
    (entry,) = denials(gw, "rest-hidden")
    assert entry["target"] == "shop.orders:delete"
    assert entry["detail"]["table"] == "orders"
    assert ask("POST", "/sql", "sql-hidden", json={"sql": "SELECT id FROM shop.orders"}) == 400
    (entry,) = denials(gw, "sql-hidden")
    assert entry["target"] == "shop.orders:read"
    assert ask("GET", "/rest/shop/nothere", "rest-missing") == 404
    assert ask("POST", "/sql", "sql-missing", json={"sql": "SELECT 1 FROM shop.nothere"}) == 400
    assert denials(gw, "rest-missing") == denials(gw, "sql-missing") == []
