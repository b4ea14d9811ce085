"""REST renders the values its generic renderer meets on real servers exactly: PostgreSQL
arrays (multidimensional ones as nested lists, decimal items as exact strings), MariaDB's
TIME past 24 hours and below zero, decimals wider than Python's 28-digit default context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.fixtures.gateways import postgresql_and_mariadb, started_client

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]


PG = (
    "CREATE TABLE things (id int PRIMARY KEY, tags text[], grid int[][], prices numeric(6, 2)[])",
    "INSERT INTO things VALUES (1, '{a,NULL}', '{{1,2},{3,4}}', '{1.5,NULL}'), "
    "(2, '{}', NULL, NULL)",
)
MARIA = (
    "CREATE TABLE spans (id int PRIMARY KEY, t time(6), wide decimal(65, 30))",
    "INSERT INTO spans VALUES (1, '838:59:59', 1.000000000000000000000000000001), "
    "(2, '-01:30:00', -7), (3, '-00:00:00.5', NULL)",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("render_live")
    with postgresql_and_mariadb(home, PG, MARIA) as settings, started_client(settings) as client:
        yield client


def test_postgresql_arrays_render_as_nested_json_arrays(client):
    response = client.get("/rest/pg/things", params={"order": "id"})

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": 1, "tags": ["a", None], "grid": [[1, 2], [3, 4]], "prices": ["1.50", None]},
        {"id": 2, "tags": [], "grid": None, "prices": None},
    ]


def test_mariadb_time_and_wide_decimals_render_exactly(client):
    response = client.get("/rest/maria/spans", params={"order": "id"})

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": 1, "t": "838:59:59", "wide": "1.000000000000000000000000000001"},
        {"id": 2, "t": "-01:30:00", "wide": "-7.000000000000000000000000000000"},
        {"id": 3, "t": "-00:00:00.500000", "wide": None},
    ]


def test_graphql_renders_them_alike(client):
    query = "{ maria_spans(order_by: {id: asc}) { id t wide } }"

    response = client.post("/graphql", json={"query": query})

    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.json()
    rows = response.json()["data"]["maria_spans"]
    assert [row["t"] for row in rows] == ["838:59:59", "-01:30:00", "-00:00:00.500000"]
    assert rows[0]["wide"] == "1.000000000000000000000000000001"
