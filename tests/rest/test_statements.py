"""Embedded reads send a bounded number of statements, and no user text reaches SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.default import CACHE_HIT
from starlette.testclient import TestClient

from tests.rest.helpers import demo_client, recording


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as client:
        yield client


def test_embedded_read_of_100_orders_is_three_statements(client: TestClient) -> None:
    query = "select=id,total,customer(name),order_items(line_no,quantity)&order=id&limit=100"
    with recording(client, "shop") as sql:
        response = client.get(f"/rest/shop/orders?{query}")
    assert response.status_code == 200
    orders = response.json()
    assert len(orders) == 100
    assert all(o["customer"]["name"] for o in orders)
    assert sum(len(o["order_items"]) for o in orders) > 100
    assert len(sql.statements) == 3  # orders, then customers, then order items: not 101


def test_statement_count_depends_on_depth_not_rows(client: TestClient) -> None:
    query = "select=id,order_items(line_no,product(sku))&order=id&limit={n}"
    counts = []
    for n in (5, 500):
        with recording(client, "shop") as sql:
            assert client.get(f"/rest/shop/orders?{query.format(n=n)}").status_code == 200
        counts.append(len(sql.statements))
    assert counts == [3, 3]


HOSTILE = [
    "x'; DROP TABLE customers; --",
    'a"b',
    "/* comment */",
    "-- tail",
    "ünïcødé ☃",
    "1) OR (1=1",
    "%' OR '1'='1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_values_are_bound_never_spliced(client: TestClient, value: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    with recording(client, "shop") as sql:
        response = client.get("/rest/shop/customers", params={"name": f"eq.{value}"})
        response_in = client.get("/rest/shop/customers", params={"email": f"in.({quoted})"})
    assert (response.status_code, response.json()) == (200, [])
    assert (response_in.status_code, response_in.json()) == (200, [])
    assert sql.statements
    for statement in sql.statements:
        assert value not in statement
    assert any(value in str(p) for p in sql.parameters)


@pytest.mark.parametrize("name", HOSTILE)
def test_unknown_identifiers_are_refused_before_any_sql(client: TestClient, name: str) -> None:
    with recording(client, "shop") as sql:
        as_column = client.get("/rest/shop/customers", params={name: "eq.1"})
        as_select = client.get("/rest/shop/customers", params={"select": f"id,{name}"})
        as_order = client.get("/rest/shop/customers", params={"order": f"{name}.asc"})
    for response in (as_column, as_select, as_order):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert sql.statements == []


def test_a_dropped_then_added_table_follows_the_schema_without_restart(tmp_path: Path) -> None:
    import sqlite3

    with demo_client(tmp_path) as client:
        shop = tmp_path / "demo" / "shop.sqlite"
        assert client.get("/rest/shop/coupons").status_code == 404
        with sqlite3.connect(shop) as conn:
            conn.execute("CREATE TABLE coupons (code TEXT PRIMARY KEY, percent INTEGER)")
            conn.execute("INSERT INTO coupons VALUES ('WELCOME', 10)")
        conn.close()
        client.app.state.runtime.cache.refresh(["shop"])  # type: ignore[attr-defined]
        assert client.get("/rest/shop/coupons").json() == [{"code": "WELCOME", "percent": 10}]
        with sqlite3.connect(shop) as conn:
            conn.execute("ALTER TABLE coupons ADD COLUMN note TEXT")
        conn.close()
        client.app.state.runtime.cache.refresh(["shop"])  # type: ignore[attr-defined]
        assert client.get("/rest/shop/coupons?select=code,note").json() == [
            {"code": "WELCOME", "note": None}
        ]
        with sqlite3.connect(shop) as conn:
            conn.execute("DROP TABLE coupons")
        conn.close()
        client.app.state.runtime.cache.refresh(["shop"])  # type: ignore[attr-defined]
        assert client.get("/rest/shop/coupons").status_code == 404


def test_a_request_shape_compiles_once(client: TestClient) -> None:
    """Same shape, other values: SQLAlchemy's compiled cache (keyed by the Core tables of
    the snapshot version) serves the SQL without compiling it again."""
    engine = client.app.state.runtime.connectors["shop"].engine  # type: ignore[attr-defined]
    hits: list[bool] = []

    def record(
        _conn: object,
        _cursor: object,
        _statement: str,
        _params: object,
        context: object,
        _many: bool,
    ) -> None:
        hits.append(getattr(context, "cache_hit", None) == CACHE_HIT)

    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        for value in ("paid", "new", "shipped"):
            query = f"status=eq.{value}&total=gt.{len(value)}&order=id&limit=5"
            assert client.get(f"/rest/shop/orders?{query}").status_code == 200
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)
    assert hits[1:] == [True, True]


def test_a_body_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    response = client.post(
        "/rest/shop/customers", content=b"[]", headers={"content-length": str(11 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
