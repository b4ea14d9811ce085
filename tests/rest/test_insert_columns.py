"""`POST ?columns=a,b`: only those keys of the body are inserted, as PostgREST does.

Other keys are ignored (even unknown ones); a listed key a row lacks is null,
or the column's default with `Prefer: missing=default`. The listed names must
be columns (400 naming `columns`, before any SQL).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.rest.helpers import demo_client, recording

BACK = {"Prefer": "return=representation"}
PRODUCT = {"sku": "COL-1", "name": "Columned", "category": "tests", "price": "1.50"}


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as client:
        yield client


def test_keys_outside_columns_are_ignored(client: TestClient) -> None:
    body = {**PRODUCT, "id": 9001, "in_stock": False, "not_a_column": 1, "price": "2.00"}
    response = client.post(
        "/rest/shop/products?columns=id,sku,name,category,price,in_stock", json=body, headers=BACK
    )
    assert response.status_code == 201, response.text
    assert response.json() == [
        {"id": 9001, "sku": "COL-1", "name": "Columned", "category": "tests", "price": "2.00",
         "in_stock": False}
    ]  # fmt: skip


def test_a_listed_key_outside_columns_is_not_written(client: TestClient) -> None:
    body = {**PRODUCT, "id": 9002, "in_stock": False}
    response = client.post(
        "/rest/shop/products?columns=id,sku,name,category,price&select=id,in_stock",
        json=body,
        headers=BACK,
    )
    assert response.status_code == 201, response.text
    assert response.json() == [{"id": 9002, "in_stock": True}]  # the default, not the body's


def test_a_missing_key_is_null(client: TestClient) -> None:
    rows = [{**PRODUCT, "id": 9003}, {"id": 9004, "sku": "COL-2", "price": "1.00"}]
    with recording(client, "shop") as sql:
        response = client.post(
            "/rest/shop/products?columns=id,sku,name,category,price", json=rows, headers=BACK
        )
    # name and category are NOT NULL: the second row's nulls fail it, and the whole request.
    assert response.status_code == 409, response.text
    assert client.get("/rest/shop/products?id=in.(9003,9004)").json() == []
    assert sql.statements  # refused by the database, not before


def test_missing_default_gives_the_column_default(client: TestClient) -> None:
    rows = [{**PRODUCT, "id": 9005, "in_stock": False}, {**PRODUCT, "id": 9006, "sku": "COL-3"}]
    response = client.post(
        "/rest/shop/products?columns=id,sku,name,category,price,in_stock&select=id,in_stock",
        json=rows,
        headers={"Prefer": "return=representation, missing=default"},
    )
    assert response.status_code == 201, response.text
    assert response.json() == [{"id": 9005, "in_stock": False}, {"id": 9006, "in_stock": True}]


def test_without_missing_default_a_missing_not_null_column_is_refused(
    client: TestClient,
) -> None:
    response = client.post(
        "/rest/shop/products?columns=id,sku,name,category,price,in_stock",
        json={**PRODUCT, "id": 9007},
    )
    assert response.status_code == 409, response.text  # in_stock: null, NOT NULL
    assert client.get("/rest/shop/products?id=eq.9007").json() == []


def test_unknown_columns_are_refused_before_any_sql(client: TestClient) -> None:
    with recording(client, "shop") as sql:
        response = client.post("/rest/shop/products?columns=id,nope", json={"id": 1})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["parameter"], error["name"]) == ("columns", "nope")
    assert "sku" in error["valid"]
    assert sql.statements == []


def test_the_document_offers_columns_on_insert(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/rest/shop/products"]["post"]
    assert {"$ref": "#/components/parameters/columns"} in post["parameters"]
    assert doc["components"]["parameters"]["columns"]["name"] == "columns"
