"""REST and GraphQL render the edge values /sql renders (tests/federation/
test_sql_value_extremes.py) alike: MariaDB's BIGINT UNSIGNED beyond 2^63 - 1 as a JSON
number, PostgreSQL intervals in ISO 8601 with their months, days and time apart (a leading
minus when every part is negative; mixed signs as PostgreSQL's intervalstyle iso_8601
spells them), a numeric of more than 76 digits exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.federation.test_sql_value_extremes import HUGE, INTERVALS, MARIA, MAX_U64, PG
from tests.fixtures.gateways import postgresql_and_mariadb, started_client

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("render_extremes")
    with postgresql_and_mariadb(home, PG, MARIA) as settings, started_client(settings) as client:
        yield client


def test_rest_renders_intervals_in_iso_8601_with_a_leading_minus(client):
    response = client.get("/rest/pg/x", params={"select": "id,iv", "order": "id"})

    assert response.status_code == 200, response.text
    assert [row["iv"] for row in response.json()] == [*INTERVALS.values(), None]


def test_rest_renders_a_bigint_unsigned_as_an_exact_json_number(client):
    response = client.get("/rest/maria/u", params={"select": "id,ubig", "order": "id"})

    assert response.status_code == 200, response.text
    assert f'"ubig":{MAX_U64}'.encode() in response.content
    assert [row["ubig"] for row in response.json()] == [MAX_U64, 2**63, 0, None, 7]


def test_rest_renders_a_numeric_of_more_than_76_digits_exactly(client):
    response = client.get("/rest/pg/x", params={"select": "id,huge", "id": "eq.1"})

    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 1, "huge": HUGE}]


def test_graphql_renders_them_alike(client):
    query = "{ pg_x(order_by: {id: asc}) { id iv huge } maria_u(order_by: {id: asc}) { id ubig } }"

    response = client.post("/graphql", json={"query": query})

    assert response.status_code == 200, response.text
    data = response.json()
    assert "errors" not in data, data
    assert [row["iv"] for row in data["data"]["pg_x"]] == [*INTERVALS.values(), None]
    assert data["data"]["pg_x"][0]["huge"] == HUGE
    assert [row["ubig"] for row in data["data"]["maria_u"]] == [MAX_U64, 2**63, 0, None, 7]


def test_rest_filters_a_bigint_unsigned_beyond_int64(client):
    # the filter value was refused: "an integer from -9223372036854775808 to ..."
    response = client.get("/rest/maria/u", params={"select": "id", "ubig": f"eq.{MAX_U64}"})

    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 1}]


def test_rest_refuses_a_negative_bigint_unsigned_filter(client):
    response = client.get("/rest/maria/u", params={"ubig": "eq.-1"})

    assert response.status_code == 422, response.text


def test_rest_filters_an_interval_by_its_rendered_negative_spelling(client):
    response = client.get("/rest/pg/x", params={"select": "id", "iv": "eq.-PT1H30M"})

    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 1}]


def test_graphql_filters_them_alike(client):
    query = (
        f'{{ maria_u(where: {{ubig: {{_eq: "{MAX_U64}"}}}}) {{ id }} '
        '  pg_x(where: {iv: {_eq: "-PT1H30M"}}) { id } }'
    )

    response = client.post("/graphql", json={"query": query})

    assert response.status_code == 200, response.text
    data = response.json()
    assert "errors" not in data, data
    assert data["data"] == {"maria_u": [{"id": 1}], "pg_x": [{"id": 1}]}
