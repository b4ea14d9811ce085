"""PostgreSQL builds embedded responses in one statement, byte-identical to the batched path."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from starlette.testclient import TestClient

from gateway.query import embed
from tests.fixtures.gateways import postgresql_fixture_settings, started_client
from tests.rest.helpers import parsing_path, recording

QUERIES = [
    "select=id,status,total,customer(id,name,email),order_items(line_no,qty,unit_price,line_total,"
    "products(sku,name,price))&order=id",
    "select=id,name,orders(id,total,order_items(line_no))&orders.order=total.desc.nullslast"
    "&orders.limit=2&order=name",
    "select=id,manager(name),employees(name)&order=id",
    "select=id,total&or=(status.eq.paid,total.is.null)&order=total.desc.nullsfirst&limit=3&offset=1",
    # aliases: that level's keys are bound values (json_build_object), the others whole rows
    "select=id,amount:total,customer(id,name),items:order_items(line_no,qty)&order=id",
    "select=id,status,customer(who:name),order_items(line_no,qty)&order=id.desc&limit=4",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("json")
    with postgresql_fixture_settings(home) as settings, started_client(settings) as client:
        yield client


@pytest.mark.parametrize("query", QUERIES)
def test_one_statement_same_bytes_as_batched(
    client: TestClient, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = "customers" if "name,orders" in query else "orders"
    table = "employees" if "manager" in query else table
    with recording(client, "fx") as sql:
        built = client.get(f"/rest/fx/{table}?{query}")
    assert built.status_code == 200, built.text
    assert len(sql.statements) == 1
    aliased = ":" in query.split("&")[0]
    assert ("json_build_object" in sql.statements[0]) == aliased
    # the root level: an array of whole rows, or of bound-key objects when aliased; with
    # its length (for Content-Range) when no level has an alias: that text is the response
    assert sql.statements[0].startswith(("SELECT CAST(to_json(", "SELECT CAST(coalesce("))
    assert ("cardinality(anon_1.a)" in sql.statements[0]) == (not aliased)
    monkeypatch.setattr(embed, "can_build_json", lambda *args: False)
    parsing_path(client, monkeypatch)
    with recording(client, "fx") as sql:
        batched = client.get(f"/rest/fx/{table}?{query}")
    embeds = "(" in query.split("&")[0]
    assert (len(sql.statements) > 1) == embeds
    assert built.content == batched.content


def test_values_pg_cannot_spell_alike_take_the_batched_path(client: TestClient) -> None:
    # timestamptz and interval spellings depend on session settings: batched, exact.
    with recording(client, "fx") as sql:
        response = client.get("/rest/fx/type_samples?select=id,c_datetime_tz,c_interval&order=id")
    assert response.status_code == 200
    assert all("json_agg" not in s and "to_json(array(" not in s for s in sql.statements)


def test_alias_names_are_bound_not_spliced(client: TestClient) -> None:
    with recording(client, "fx") as sql:
        response = client.get("/rest/fx/customers?select=x_y:name&order=id&limit=1")
    assert response.status_code == 200
    assert list(response.json()[0]) == ["x_y"]
    assert "x_y" not in sql.statements[0]


def test_whole_rows_keep_their_order_and_keys_in_every_level(client: TestClient) -> None:
    """Levels named by the model are collected as whole rows (an array of a sorted
    subquery's rows): the order asked for, at every level, and one key per selected column."""
    query = (
        "select=id,total,order_items(line_no,qty)&order=total.desc.nullslast,id"
        "&order_items.order=line_no.desc"
    )
    with recording(client, "fx") as sql:
        response = client.get(f"/rest/fx/orders?{query}")
    assert response.status_code == 200, response.text
    assert "json_build_object" not in sql.statements[0]
    rows = response.json()
    with recording(client, "fx"):
        flat = client.get("/rest/fx/orders?select=id&order=total.desc.nullslast,id").json()
    assert [r["id"] for r in rows] == [r["id"] for r in flat]
    for row in rows:
        assert list(row) == ["id", "total", "order_items"]
        lines = [item["line_no"] for item in row["order_items"]]
        assert lines == sorted(lines, reverse=True)
        assert all(list(item) == ["line_no", "qty"] for item in row["order_items"])


def test_paged_statements_keep_one_plan(client: TestClient) -> None:
    """LIMIT and OFFSET are integer literals on PostgreSQL, so a prepared read is planned
    once: with them bound, PostgreSQL re-planned it on every execution (a generic plan
    assumes a LIMIT of a tenth of the table and never looks cheaper than a custom one)."""
    with recording(client, "fx") as sql:
        response = client.get(
            "/rest/fx/orders?select=id,order_items(line_no)&order=id&limit=2&offset=1"
        )
    assert response.status_code == 200, response.text
    statement, parameters = sql.statements[0], sql.parameters[0]
    assert "LIMIT 2 OFFSET 1" in statement
    assert not parameters
    url = client.app.state.runtime.connectors["fx"].settings.url  # type: ignore[attr-defined]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        for _ in range(8):
            conn.execute(statement, prepare=True).fetchall()
        plans = conn.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
        ).fetchall()
    assert plans == [(8, 0)]


def test_a_counted_read_builds_its_array_once(client: TestClient) -> None:
    """The list statement returns the array and its length: PostgreSQL must build the
    array once (pulled up into the outer SELECT, it was built for each of the two)."""
    with recording(client, "fx") as sql:
        response = client.get("/rest/fx/orders?select=id,total&order=id&limit=3")
    assert response.status_code == 200, response.text
    assert "cardinality(" in sql.statements[0]
    url = client.app.state.runtime.connectors["fx"].settings.url  # type: ignore[attr-defined]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql.statements[0]))
    assert plan.count("InitPlan") == 1, plan
