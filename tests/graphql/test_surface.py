"""The GraphQL endpoint on the demo: errors with REST codes, limits, GraphiQL, live schema."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import get_introspection_query, parse
from starlette.testclient import TestClient

from gateway.graphql.limits import LimitExceededError, Limits, check_limits
from gateway.graphql.routes import live_schema
from tests.graphql.helpers import codes, data, gql
from tests.rest.helpers import demo_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as running:
        yield running


def test_variables_fragments_aliases_and_typename(client: TestClient) -> None:
    got = data(
        client,
        "query Q($n: Int!, $paid: String) { first: shop_orders(limit: $n, order_by: {id: asc},"
        " where: {status: {_eq: $paid}}) { ...O buyer: customer { __typename name } } }"
        " fragment O on shop_orders { id status __typename }",
        {"n": 2, "paid": "paid"},
    )
    rows = got["first"]
    assert len(rows) == 2
    assert list(rows[0]) == ["id", "status", "__typename", "buyer"]  # selection order
    assert all(r["status"] == "paid" and r["__typename"] == "shop_orders" for r in rows)
    assert rows[0]["buyer"]["__typename"] == "shop_customers"


def test_skip_and_include(client: TestClient) -> None:
    query = (
        "query($s: Boolean!) { shop_orders(limit: 1) { id status @skip(if: $s)"
        " customer @include(if: $s) { id } } }"
    )
    assert list(data(client, query, {"s": True})["shop_orders"][0]) == ["id", "customer"]
    assert list(data(client, query, {"s": False})["shop_orders"][0]) == ["id", "status"]


def test_unknown_field_is_a_bad_request_with_its_location(client: TestClient) -> None:
    result = gql(client, "{ shop_orders { id nope } }")
    assert codes(result) == ["bad_request"]
    assert "data" not in result
    assert result["errors"][0]["locations"] == [{"line": 1, "column": 20}]


def test_a_value_that_does_not_fit_is_invalid_value_naming_the_column(client: TestClient) -> None:
    result = gql(client, '{ shop_orders(where: {total: {_gt: "lots"}}) { id } }')
    assert codes(result) == ["invalid_value"]
    assert result["data"] is None  # the list field is non-null
    assert result["errors"][0]["path"] == ["shop_orders"]
    assert result["errors"][0]["extensions"]["errors"][0]["column"] == "total"


def test_variables_of_the_wrong_type_are_refused(client: TestClient) -> None:
    result = gql(client, "query($n: Int) { shop_orders(limit: $n) { id } }", {"n": "ten"})
    assert codes(result) == ["bad_request"]
    assert "$n" in result["errors"][0]["message"]


def test_negative_limit_names_the_argument(client: TestClient) -> None:
    result = gql(client, "{ shop_orders(limit: -1) { id } }")
    assert codes(result) == ["bad_request"]
    assert result["errors"][0]["extensions"]["errors"][0]["parameter"] == "shop_orders.limit"


def test_comparing_with_null_points_to_is_null(client: TestClient) -> None:
    result = gql(client, "{ shop_orders(where: {status: {_eq: null}}) { id } }")
    assert codes(result) == ["bad_request"]
    assert "_is_null" in result["errors"][0]["message"]


def test_not_a_graphql_request_is_400(client: TestClient) -> None:
    bad_json = client.post("/graphql", content=b"{", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json()["errors"][0]["extensions"]["code"] == "bad_request"
    no_query = client.post("/graphql", json={"variables": {}})
    assert no_query.status_code == 400


def test_depth_limit(client: TestClient) -> None:
    nested = "id"
    for _ in range(7):
        nested = f"orders {{ customer {{ {nested} }} }}"
    result = gql(client, f"{{ shop_customers {{ {nested} }} }}")
    assert codes(result) == ["bad_request"]
    assert "levels of nesting" in result["errors"][0]["message"]


def test_alias_limit(client: TestClient) -> None:
    aliases = " ".join(f"a{i}: id" for i in range(51))
    result = gql(client, f"{{ shop_orders(limit: 1) {{ {aliases} }} }}")
    assert codes(result) == ["bad_request"]
    assert "50 aliases" in result["errors"][0]["message"]


def test_node_limit_counts_fragment_spreads() -> None:
    document = parse("{ a { ...F ...F ...F } } fragment F on T { x y }")
    operation, fragment = document.definitions
    with pytest.raises(LimitExceededError, match="limit of 6 fields"):
        check_limits(operation, {"F": fragment}, Limits(max_nodes=6))  # type: ignore[arg-type]


def test_introspection_runs(client: TestClient) -> None:
    schema = data(client, get_introspection_query())["__schema"]
    names = {t["name"] for t in schema["types"]}
    assert {"shop_orders", "shop_orders_bool_exp", "shop_orders_aggregate", "order_by"} <= names
    assert schema["mutationType"]["name"] == "mutation_root"


def test_get_runs_queries_but_not_mutations(client: TestClient) -> None:
    ok = client.get("/graphql", params={"query": "{ shop_orders_by_pk(id: 1) { id } }"})
    assert ok.json() == {"data": {"shop_orders_by_pk": {"id": 1}}}
    refused = client.get(
        "/graphql", params={"query": "mutation { delete_shop_orders_by_pk(id: 1) { id } }"}
    )
    assert refused.status_code == 405


def test_graphiql_is_served_offline(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 6
    for asset in assets:
        assert asset.startswith("/graphql/static/"), asset
        assert client.get(asset).status_code == 200
    assert "http" not in page.text


def test_refresh_swaps_the_schema_and_running_requests_keep_theirs(client: TestClient) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    url = next(s.url for s in runtime.settings.sources if s.name == "shop")
    path = Path(url.removeprefix("sqlite:///"))
    before = live_schema_engine(client)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE coupons (code TEXT PRIMARY KEY, pct INTEGER)")
        db.execute("INSERT INTO coupons VALUES ('TEN', 10)")
    try:
        runtime.cache.refresh()
        assert data(client, "{ shop_coupons { code pct } }") == {
            "shop_coupons": [{"code": "TEN", "pct": 10}]
        }
        after = live_schema_engine(client)
        assert after is not before
        assert "shop_coupons" not in before.bundle.roots  # a request holding it keeps it
    finally:
        with sqlite3.connect(path) as db:
            db.execute("DROP TABLE coupons")
        runtime.cache.refresh()
    assert codes(gql(client, "{ shop_coupons { code } }")) == ["bad_request"]


def live_schema_engine(client: TestClient) -> object:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    request = type("R", (), {"app": client.app})()
    return live_schema(request).engine(runtime.cache.catalog)  # type: ignore[arg-type]
