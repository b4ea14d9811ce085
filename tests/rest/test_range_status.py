"""Status and Content-Range of a counted page, as PostgREST answers them.

With `Prefer: count=exact` the total is known: an offset past the last row is
416 Range Not Satisfiable (PostgREST's PGRST103) with `Content-Range: */total`;
an offset at the total is an empty 206; any page that is not every row is 206.
(The conformance suite checks the 416 on PostgreSQL, MariaDB, SQLite and DuckDB.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.rest.helpers import demo_client

COUNT = {"Prefer": "count=exact"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as client:
        yield client


@pytest.fixture(scope="module")
def total(client: TestClient) -> int:
    response = client.get("/rest/shop/customers?select=id&limit=1", headers=COUNT)
    return int(response.headers["content-range"].rsplit("/", 1)[1])


def test_offset_past_the_end_is_416_with_the_total(client: TestClient, total: int) -> None:
    response = client.get(f"/rest/shop/customers?offset={total + 1}", headers=COUNT)
    assert response.status_code == 416
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-range"] == f"*/{total}"
    body = response.json()
    assert body["code"] == "range_not_satisfiable"
    assert body["title"] == "Range Not Satisfiable"
    assert body["detail"] == (
        f"An offset of {total + 1} was requested, but there are only {total} rows."
    )
    assert body["errors"] == [{"parameter": "offset", "detail": "past the last row"}]


def test_a_range_header_past_the_end_names_the_range(client: TestClient, total: int) -> None:
    response = client.get(
        "/rest/shop/customers", headers={**COUNT, "Range": f"{total + 5}-{total + 9}"}
    )
    assert response.status_code == 416
    assert response.json()["errors"][0]["parameter"] == "Range"


def test_past_the_end_of_a_filtered_total(client: TestClient) -> None:
    response = client.get("/rest/shop/customers?id=lte.3&offset=4", headers=COUNT)
    assert (response.status_code, response.headers["content-range"]) == (416, "*/3")


def test_offset_at_the_total_is_an_empty_partial_page(client: TestClient, total: int) -> None:
    response = client.get(f"/rest/shop/customers?offset={total}", headers=COUNT)
    assert (response.status_code, response.json()) == (206, [])
    assert response.headers["content-range"] == f"*/{total}"


def test_without_a_count_the_end_is_unknown_and_not_an_error(
    client: TestClient, total: int
) -> None:
    response = client.get(f"/rest/shop/customers?offset={total + 1}")
    assert (response.status_code, response.json()) == (200, [])
    assert response.headers["content-range"] == "*/*"


def test_a_last_page_that_is_not_every_row_is_206(client: TestClient, total: int) -> None:
    response = client.get(f"/rest/shop/customers?select=id&offset={total - 2}", headers=COUNT)
    assert response.status_code == 206
    assert len(response.json()) == 2
    assert response.headers["content-range"] == f"{total - 2}-{total - 1}/{total}"


def test_every_row_is_200(client: TestClient) -> None:
    response = client.get("/rest/shop/customers?select=id&id=lte.3", headers=COUNT)
    assert (response.status_code, response.headers["content-range"]) == (200, "0-2/3")


def test_the_object_form_keeps_its_406_first(client: TestClient, total: int) -> None:
    headers = {**COUNT, "Accept": "application/vnd.pgrst.object+json"}
    response = client.get(f"/rest/shop/customers?offset={total + 1}", headers=headers)
    assert response.status_code == 406


def test_the_document_lists_416_for_lists(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    get = doc["paths"]["/rest/shop/customers"]["get"]
    assert get["responses"]["416"] == {"$ref": "#/components/responses/RangeNotSatisfiable"}
    response = doc["components"]["responses"]["RangeNotSatisfiable"]
    assert "Content-Range" in response["headers"]
