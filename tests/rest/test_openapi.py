"""The OpenAPI document built from a real SQLite catalog, and the offline /docs page."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.testclient import TestClient

from config.settings import SourceSettings
from connectors.registry import build_connector
from connectors.types import TypeFamily
from gateway.query.render import renderer_for
from gateway.rest.docs import build_docs_html, docs_routes
from gateway.rest.openapi import build_openapi
from schema_cache.build import build_source
from schema_cache.model import Catalog, Column, Source, Table

SCHEMA = """
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, email TEXT,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, vip BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
  total DECIMAL(10,2) NOT NULL, placed_on DATE, placed_at TIMESTAMPTZ, note TEXT,
  total_x2 DECIMAL(10,2) GENERATED ALWAYS AS (total * 2) VIRTUAL
);
CREATE TABLE order_lines (
  order_id INTEGER NOT NULL REFERENCES orders(id), line_no INTEGER NOT NULL,
  qty BIGINT NOT NULL, price REAL, PRIMARY KEY (order_id, line_no)
);
CREATE TABLE kinds (
  k UUID PRIMARY KEY, t TIME, dur INTERVAL, doc JSON, raw BLOB, f FLOAT, big BIGINT, nt
);
CREATE TABLE logs (msg TEXT NOT NULL, at DATETIME);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
INSERT INTO customers (id, name, email, created_at, vip)
  VALUES (1, 'Ada', NULL, '2024-05-01 13:45:00', 1);
INSERT INTO orders (id, customer_id, total, placed_on, placed_at, note)
  VALUES (1, 1, 120.5, '2024-05-01', '2024-05-01T13:45:00+02:00', NULL);
INSERT INTO order_lines VALUES (1, 1, 3, 9.99);
INSERT INTO kinds VALUES ('7D444840-9DC0-11D1-B245-5FFDCE74FAD2', '13:45:00', 'P1DT2H',
  '{"a": [1, 2]}', X'00FF10', 1.5, 9007199254740993, 'free');
INSERT INTO logs VALUES ('started', NULL);
"""
TABLES = ("big_orders", "customers", "kinds", "logs", "order_lines", "orders")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
    conn.close()
    return path


@pytest.fixture(scope="module")
def source(database: Path) -> Source:
    connector = build_connector(SourceSettings(name="shop", url=f"sqlite:///{database}"))
    try:
        return build_source("shop", connector.reflect())
    finally:
        connector.dispose()


@pytest.fixture(scope="module")
def doc(source: Source) -> dict[str, Any]:
    return build_openapi(Catalog(sources=(source,)), server_url="http://localhost:8080")


def schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = doc["components"]["schemas"][name]
    return result


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "fedgate"
    assert doc["servers"] == [{"url": "http://localhost:8080"}]


def test_component_schemas_are_valid_json_schema(doc: dict[str, Any]) -> None:
    for component in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


def test_paths_and_operation_ids(doc: dict[str, Any]) -> None:
    operations = {
        path: {method: op["operationId"] for method, op in item.items()}
        for path, item in doc["paths"].items()
    }
    assert list(operations) == sorted(operations)
    assert operations["/rest/shop/customers"] == {
        "get": "list_shop_customers",
        "post": "create_shop_customers",
        "patch": "update_shop_customers",
        "delete": "delete_shop_customers",
    }
    assert operations["/rest/shop/order_lines/{pk}"] == {
        "get": "get_shop_order_lines_by_pk",
        "patch": "update_shop_order_lines_by_pk",
        "put": "replace_shop_order_lines_by_pk",
        "delete": "delete_shop_order_lines_by_pk",
    }
    ids = [op_id for item in operations.values() for op_id in item.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("table", "has_pk_route"),
    [("customers", True), ("orders", True), ("order_lines", True), ("kinds", True),
     ("logs", False), ("big_orders", False)],
)  # fmt: skip
def test_pk_route_only_for_tables_with_a_primary_key(
    doc: dict[str, Any], table: str, has_pk_route: bool
) -> None:
    assert f"/rest/shop/{table}" in doc["paths"]
    assert (f"/rest/shop/{table}/{{pk}}" in doc["paths"]) is has_pk_route


def test_views_are_read_only(doc: dict[str, Any]) -> None:
    assert set(doc["paths"]["/rest/shop/big_orders"]) == {"get"}
    assert "shop.big_orders" in doc["components"]["schemas"]
    assert "shop.big_orders.insert" not in doc["components"]["schemas"]


def test_composite_key_is_described_in_key_order(doc: dict[str, Any]) -> None:
    (pk,) = [
        p
        for p in doc["paths"]["/rest/shop/order_lines/{pk}"]["get"]["parameters"]
        if p.get("in") == "path"
    ]
    assert pk["in"] == "path"
    assert pk["required"] is True
    assert "`order_id,line_no`" in pk["description"]


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("customers", "id", {"type": "integer", "format": "int32", "maximum": 2**31 - 1}),
        ("order_lines", "qty", {"type": "integer", "format": "int64", "minimum": -(2**63)}),
        ("orders", "total", {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
        ("order_lines", "price", {"type": ["number", "null"]}),
        ("customers", "vip", {"type": "boolean"}),
        ("customers", "name", {"type": "string", "maxLength": 40}),
        ("customers", "email", {"type": ["string", "null"]}),
        ("orders", "placed_on", {"type": ["string", "null"], "format": "date"}),
        ("orders", "placed_at", {"type": ["string", "null"], "format": "date-time"}),
        ("kinds", "dur", {"type": ["string", "null"], "format": "duration"}),
        ("kinds", "k", {"type": ["string", "null"], "format": "uuid"}),
        ("kinds", "raw", {"type": ["string", "null"], "contentEncoding": "base64"}),
        ("kinds", "nt", {"type": ["string", "number", "boolean", "null"]}),
    ],
)
def test_column_types(
    doc: dict[str, Any], table: str, column: str, expected: dict[str, Any]
) -> None:
    prop = schema(doc, f"shop.{table}")["properties"][column]
    assert {key: prop.get(key) for key in expected} == expected


@pytest.mark.parametrize(("table", "column"), [("customers", "created_at"), ("kinds", "t")])
def test_times_without_zone_claim_no_rfc3339_format(
    doc: dict[str, Any], table: str, column: str
) -> None:
    prop = schema(doc, f"shop.{table}")["properties"][column]
    assert prop["type"] in ("string", ["string", "null"])
    assert "format" not in prop
    assert "without a time zone" in prop["description"]


def test_json_column_accepts_any_value(doc: dict[str, Any]) -> None:
    assert "type" not in schema(doc, "shop.kinds")["properties"]["doc"]


def test_decimal_notes_precision_and_accepts_numbers_on_input(doc: dict[str, Any]) -> None:
    row = schema(doc, "shop.orders")["properties"]["total"]
    body = schema(doc, "shop.orders.insert")["properties"]["total"]
    assert "exact decimal as a string" in row["description"].lower()
    assert "at most 8 before" in row["description"]
    assert body["type"] == ["string", "number"]


def test_column_notes(doc: dict[str, Any]) -> None:
    lines = schema(doc, "shop.order_lines")["properties"]
    assert lines["order_id"]["description"] == "Primary key. References orders.id."
    created = schema(doc, "shop.customers")["properties"]["created_at"]["description"]
    assert "Default: `CURRENT_TIMESTAMP`." in created


def test_sql_defaults_never_become_json_defaults(doc: dict[str, Any]) -> None:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            yield from node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    assert "default" not in set(walk(doc["components"]["schemas"]))


def test_generated_column_is_read_only_and_not_writable(doc: dict[str, Any]) -> None:
    assert schema(doc, "shop.orders")["properties"]["total_x2"]["readOnly"] is True
    assert "total_x2" not in schema(doc, "shop.orders.insert")["properties"]
    assert "total_x2" not in schema(doc, "shop.orders.patch")["properties"]


@pytest.mark.parametrize(
    ("table", "required"),
    [
        ("customers", ["name"]),
        ("orders", ["customer_id", "total"]),
        ("order_lines", ["order_id", "line_no", "qty"]),
        ("logs", ["msg"]),
        ("kinds", None),
    ],
)
def test_insert_required(doc: dict[str, Any], table: str, required: list[str] | None) -> None:
    assert schema(doc, f"shop.{table}.insert").get("required") == required
    assert "required" not in schema(doc, f"shop.{table}.patch")


def test_put_requires_the_non_key_columns(doc: dict[str, Any]) -> None:
    put = doc["paths"]["/rest/shop/order_lines/{pk}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["qty"]


def test_insert_schema_checks_bodies(doc: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema(doc, "shop.orders.insert"))
    assert validator.is_valid({"customer_id": 1, "total": "12.50"})
    assert validator.is_valid({"customer_id": 1, "total": 12.5, "note": None})
    assert not validator.is_valid({"customer_id": 1})
    assert not validator.is_valid({"customer_id": 1, "total": "1", "nope": 1})


def test_rendered_rows_fit_the_row_schemas(
    database: Path, source: Source, doc: dict[str, Any]
) -> None:
    with sqlite3.connect(database) as conn:
        for table in source.tables:
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            cursor = conn.execute(f'SELECT {names} FROM "{table.name}"')
            validator = Draft202012Validator(
                schema(doc, f"shop.{table.name}"), format_checker=FormatChecker()
            )
            for raw in cursor.fetchall():
                row = {c.name: renderer_for(c)(v) for c, v in zip(table.columns, raw, strict=True)}
                errors = [e.message for e in validator.iter_errors(row)]
                assert not errors, (table.name, row, errors)
    conn.close()


def test_filters_and_shared_parameters(doc: dict[str, Any]) -> None:
    get = doc["paths"]["/rest/shop/customers"]["get"]
    refs = [p["$ref"].rsplit("/", 1)[1] for p in get["parameters"] if "$ref" in p]
    assert refs == ["select", "order", "limit", "offset", "preferCount", "range", "or", "and"]
    filters = {p["name"]: p for p in get["parameters"] if p.get("in") == "query"}
    assert list(filters) == ["id", "name", "email", "created_at", "vip"]
    assert "`id=eq.42`" in filters["id"]["description"]
    shared = doc["components"]["parameters"]
    assert {shared[k]["name"] for k in ("preferCount", "preferWrite", "preferInsert")} == {"Prefer"}
    assert shared["onConflict"]["name"] == "on_conflict"


def test_list_responses_and_errors(doc: dict[str, Any]) -> None:
    get = doc["paths"]["/rest/shop/customers"]["get"]
    ok = get["responses"]["200"]["content"]
    assert set(ok) == {
        "application/json",
        "text/csv",
        "application/x-ndjson",
        "application/vnd.pgrst.object+json",
    }
    assert ok["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/shop.customers"
    }
    assert "206" in get["responses"]
    assert "`orders` (rows of `shop.orders`)" in get["description"]
    responses = doc["components"]["responses"]
    unavailable = responses["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]
    assert set(unavailable["content"]) == {"application/problem+json"}
    problem = schema(doc, "Problem")
    assert problem["required"] == ["type", "title", "status", "detail", "code"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/rest/shop/customers", "post", {"201", "409", "413", "422"}),
        ("/rest/shop/customers", "patch", {"200", "204", "400", "409"}),
        ("/rest/shop/customers", "delete", {"200", "204", "409"}),
        ("/rest/shop/customers/{pk}", "get", {"200", "404", "503", "504"}),
    ],
)
def test_operation_statuses(
    doc: dict[str, Any], path: str, method: str, statuses: set[str]
) -> None:
    responses = doc["paths"][path][method]["responses"]
    assert statuses <= set(responses)
    assert list(responses) == sorted(responses)


def test_output_is_deterministic(source: Source) -> None:
    reordered = Source(
        source.name, source.dialect, source.server_version, source.default_schema,
        source.version, tuple(reversed(source.tables)),
    )  # fmt: skip
    first = json.dumps(build_openapi(Catalog(sources=(source,))))
    assert first == json.dumps(build_openapi(Catalog(sources=(reordered,))))


def _column(name: str, family: TypeFamily, **extra: Any) -> Column:
    return Column(name=name, family=family, native_type=str(family), nullable=True, **extra)


def test_schemas_names_and_enums_beyond_sqlite() -> None:
    state = _column("state", TypeFamily.ENUM, enum_values=("new", "done"))
    tags = _column("tags", TypeFamily.ARRAY, item_family=TypeFamily.INTEGER)
    reserved = [_column(n, TypeFamily.TEXT) for n in ("limit", "order", "select", "a.b")]
    stock = Table("inventory", "stock", "table", (_column("sku", TypeFamily.TEXT), state, tags,
                  *reserved), primary_key=("sku",))  # fmt: skip
    plain = Table("public", "b_c", "table", (_column("x", TypeFamily.INTEGER),))
    clash = Table("public", "c", "table", (_column("x", TypeFamily.INTEGER),))
    sources = (
        Source("wh", "postgresql", "16", "public", "v1", (stock,)),
        Source("a", "postgresql", "16", "public", "v1", (plain,)),
        Source("a_b", "postgresql", "16", "public", "v1", (clash,)),
    )
    doc = build_openapi(Catalog(sources=sources))
    validate(doc)
    assert "/rest/wh/inventory.stock/{pk}" in doc["paths"]
    props = schema(doc, "wh.inventory.stock")["properties"]
    assert props["state"] == {"type": ["string", "null"], "enum": ["new", "done", None]}
    assert props["tags"]["items"]["type"] == ["integer", "null"]
    get = doc["paths"]["/rest/wh/inventory.stock"]["get"]
    assert [p["name"] for p in get["parameters"] if p.get("in") == "query"] == [
        "sku",
        "state",
        "tags",
    ]
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"list_a_b_c", "list_a_b_c_2"} <= set(ids)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(Starlette(routes=docs_routes())) as test_client:
        yield test_client


def test_docs_page_is_served_offline(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert not re.search(r"(https?:)?//[A-Za-z0-9]", html)
    assert 'data-openapi-url="/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/docs/static/")
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 10


def test_docs_page_honours_the_root_path() -> None:
    html = build_docs_html(openapi_url="/gw/openapi.json", static_url="/gw/docs/static/")
    assert 'href="/gw/docs/static/swagger-ui/swagger-ui.css"' in html
    assert 'data-openapi-url="/gw/openapi.json"' in html
