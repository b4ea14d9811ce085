"""One /sql query over real PostgreSQL, MariaDB, SQLite and DuckDB sources, checked against
the same answer computed in Python; what each source was asked for is asserted."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from gateway.federation.cancel import CancelToken
from tests.federation.helpers import sql_client, without_auth
from tests.live import mariadb_databases, postgresql_database

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]
COUNTRIES = {"DE": "EU", "FR": "EU", "US": "NA", "CA": "NA", "JP": "APAC"}
SEGMENTS = ("retail", "wholesale")
STATUSES = ("paid", "shipped", "cancelled")

FOUR_SOURCES = """
SELECT k.region, count(*) AS orders, sum(o.amount) AS revenue, max(t.target) AS target
FROM pg.orders o
JOIN maria.customers c ON c.id = o.customer_id
JOIN lite.countries k ON k.code = c.country
JOIN duck.targets t ON t.region = k.region
WHERE o.status = ? AND c.segment = 'retail' AND o.amount > 10
GROUP BY k.region
ORDER BY k.region
"""


def make_data() -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(7)
    customers = [
        (i, f"customer {i}", rng.choice(list(COUNTRIES)), rng.choice(SEGMENTS),
         Decimal(rng.randrange(0, 10**6)) / 100)
        for i in range(1, 301)
    ]  # fmt: skip
    orders = [
        (i, rng.randrange(1, 301), Decimal(rng.randrange(100, 100_000)) / 100,
         rng.choice(STATUSES), date(2025, 1, 1) + timedelta(days=rng.randrange(365)))
        for i in range(1, 3001)
    ]  # fmt: skip
    targets = [("EU", Decimal("125000.50")), ("NA", Decimal("99000.00")), ("APAC", Decimal("1.25"))]
    return {"customers": customers, "orders": orders, "targets": targets}


def expected(data: dict[str, list[tuple[Any, ...]]], status: str) -> list[list[Any]]:
    customers = {c[0]: c for c in data["customers"]}
    targets = dict(data["targets"])
    count: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for _id, customer_id, amount, order_status, _day in data["orders"]:
        customer = customers[customer_id]
        if order_status == status and customer[3] == "retail" and amount > 10:
            region = COUNTRIES[customer[2]]
            count[region] += 1
            revenue[region] += amount
    return [[r, count[r], f"{revenue[r]:.2f}", f"{targets[r]:.2f}"] for r in sorted(count)]


def load(pg_url: str, maria_url: str, tmp: Path, data: dict[str, list[tuple[Any, ...]]]) -> None:
    pg = sa.create_engine(pg_url)
    with pg.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL, "
            "amount numeric(12, 2) NOT NULL, status text NOT NULL, ordered_at date NOT NULL)"
        )
        conn.execute(
            sa.text("INSERT INTO orders VALUES (:a, :b, :c, :d, :e)"),
            [dict(zip("abcde", row, strict=True)) for row in data["orders"]],
        )
    pg.dispose()
    maria = sa.create_engine(maria_url)
    with maria.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (id int PRIMARY KEY, name varchar(80) NOT NULL, "
            "country char(2) NOT NULL, segment varchar(20) NOT NULL, credit decimal(12, 2))"
        )
        conn.execute(
            sa.text("INSERT INTO customers VALUES (:a, :b, :c, :d, :e)"),
            [dict(zip("abcde", row, strict=True)) for row in data["customers"]],
        )
    maria.dispose()
    with sqlite3.connect(tmp / "lite.sqlite") as lite:
        lite.execute("CREATE TABLE countries (code CHAR(2) PRIMARY KEY, region TEXT NOT NULL)")
        lite.executemany("INSERT INTO countries VALUES (?, ?)", COUNTRIES.items())
    lite.close()
    duck = duckdb.connect(str(tmp / "duck.duckdb"))
    duck.execute("CREATE TABLE targets (region VARCHAR PRIMARY KEY, target DECIMAL(12, 2))")
    duck.executemany("INSERT INTO targets VALUES (?, ?)", data["targets"])
    duck.close()


@pytest.fixture(scope="module")
def data() -> dict[str, list[tuple[Any, ...]]]:
    return make_data()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, data) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("live")
    with postgresql_database() as pg_url, mariadb_databases() as (maria_url, _names):
        load(pg_url, maria_url, tmp, data)
        settings = Settings(
            sources=(
                SourceSettings("pg", pg_url),
                SourceSettings("maria", maria_url),
                SourceSettings("lite", f"sqlite:///{tmp / 'lite.sqlite'}"),
                SourceSettings("duck", f"duckdb:///{tmp / 'duck.duckdb'}", read_only=True),
            ),
            schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
        )
        with sql_client(without_auth(settings)) as client:
            yield client
            client.app_state.sql_service.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", ["paid", "cancelled"])
def test_four_databases_in_one_query_give_the_independent_answer(client, data, status):
    response = client.post("/sql", json={"sql": FOUR_SOURCES, "params": [status]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == expected(data, status)
    assert [c["type"] for c in body["columns"]] == ["text", "bigint", "decimal", "decimal"]


def test_each_source_gets_its_own_filters_and_only_the_columns_it_needs(client):
    plan = client.post("/sql?explain=true", json={"sql": FOUR_SOURCES, "params": ["paid"]}).json()

    fragments = {f["source"]: f for f in plan["fragments"]}
    assert fragments["pg"]["route"] == "postgres_scanner"
    assert fragments["pg"]["sql"] == (
        'SELECT CAST("o"."amount" AS DECIMAL(12, 2)) AS "amount", "o"."customer_id" AS '
        '"customer_id" FROM "pg"."public"."orders" AS "o" '
        'WHERE "o"."amount" > 10 AND "o"."status" = $1'
    )
    assert fragments["maria"]["route"] == "connectorx"
    assert fragments["maria"]["dialect"] in ("mysql", "mariadb")
    assert fragments["maria"]["sql"] == (
        "SELECT c.id AS id, c.country AS country "
        f"FROM {fragments['maria']['table'].split('.')[0]}.customers AS c "
        "WHERE c.segment = 'retail'"
    )
    assert fragments["lite"]["route"] == "sqlite_scanner"
    assert fragments["duck"]["route"] == "duckdb_native"
    assert "ordered_at" not in fragments["pg"]["sql"]
    assert "name" not in fragments["maria"]["sql"]


def test_a_single_source_aggregate_is_pushed_down_whole(client, data):
    statement = (
        "SELECT status, count(*) AS n, sum(amount) AS total FROM pg.orders "
        "WHERE ordered_at >= DATE '2025-07-01' GROUP BY status ORDER BY status"
    )

    plan = client.post("/sql?explain=true", json={"sql": statement}).json()
    body = client.post("/sql", json={"sql": statement}).json()

    assert plan["kind"] == "pushdown"
    assert plan["source"] == "pg"
    assert "GROUP BY" in plan["sql"]
    assert ":d" in plan["sql"]  # the date literal travels as a bound value
    totals: dict[str, list[Any]] = {}
    for _id, _customer, amount, status, day in data["orders"]:
        if day >= date(2025, 7, 1):
            entry = totals.setdefault(status, [0, Decimal(0)])
            entry[0] += 1
            entry[1] += amount
    assert body["rows"] == [[s, n, f"{t:.2f}"] for s, (n, t) in sorted(totals.items())]


def test_mariadb_decimals_keep_their_declared_precision_through_connectorx(client, data):
    response = client.post(
        "/sql",
        json={
            "sql": "SELECT c.id, c.credit FROM maria.customers c JOIN lite.countries k "
            "ON k.code = c.country WHERE c.id <= 3 ORDER BY c.id"
        },
        headers={"accept": "application/vnd.apache.arrow.stream"},
    )

    table = pa.ipc.open_stream(response.content).read_all()
    assert table.schema.field("credit").type == pa.decimal128(12, 2)
    assert table.column("credit").to_pylist() == [c[4] for c in data["customers"][:3]]


def test_a_hostile_value_is_escaped_for_mariadb(client):
    response = client.post(
        "/sql",
        json={
            "sql": "SELECT c.id FROM maria.customers c JOIN lite.countries k "
            "ON k.code = c.country WHERE c.name = ?",
            "params": ["x' OR '1'='1"],
        },
    )

    assert response.status_code == 200
    assert response.json()["rows"] == []


def test_a_small_filtered_side_sends_its_keys_to_the_other_source(client, data):
    """Bind join: the few Japanese wholesale customers are read first from MariaDB, and
    PostgreSQL is asked only for their orders (`customer_id IN (...)`; integer keys are
    written as literals, other keys travel as bound values)."""
    service = client.app_state.sql_service  # type: ignore[attr-defined]
    statement = (
        "SELECT c.id, count(*) AS n FROM pg.orders o JOIN maria.customers c "
        "ON c.id = o.customer_id WHERE c.country = 'JP' AND c.segment = 'wholesale' "
        "GROUP BY c.id ORDER BY c.id"
    )

    result = service.run(statement, [], CancelToken())

    keys = sorted(c[0] for c in data["customers"] if c[2] == "JP" and c[3] == "wholesale")
    (bind_join,) = result.trace["bind_joins"]
    assert bind_join == {"small": "c", "big": "o", "column": "customer_id", "keys": len(keys)}
    # one PostgreSQL statement with the key list (postgres_query(), not the parallel scan's
    # statement per ctid range)
    pg_sql = next(s for s in result.trace["fragments"].values() if "public.orders" in s)
    in_list = pg_sql.split("o.customer_id IN (")[1].split(")")[0]
    assert sorted(int(k) for k in in_list.split(", ")) == keys
    counts: dict[int, int] = defaultdict(int)
    for _id, customer_id, *_rest in data["orders"]:
        if customer_id in keys:
            counts[customer_id] += 1
    assert result.table.to_pylist() == [{"id": k, "n": counts[k]} for k in keys if counts[k]]


def test_a_filter_the_scanner_cannot_push_runs_in_postgresql_with_values_escaped(client, data):
    """LIKE is not a filter DuckDB's scanner pushes: the fragment goes to PostgreSQL whole
    through postgres_query(), the value escaped by psycopg (a hostile one matches nothing)."""
    statement = (
        "SELECT c.country, count(*) AS n FROM pg.orders o JOIN maria.customers c "
        "ON c.id = o.customer_id WHERE o.status LIKE ? GROUP BY c.country ORDER BY c.country"
    )

    plan = client.post("/sql?explain=true", json={"sql": statement, "params": ["pa%"]}).json()
    paid = client.post("/sql", json={"sql": statement, "params": ["pa%"]}).json()
    hostile = client.post("/sql", json={"sql": statement, "params": ["x' OR '1'='1"]}).json()
    backslash = client.post("/sql", json={"sql": statement, "params": ["x\\' OR 1=1 --"]})

    pg = next(f for f in plan["fragments"] if f["source"] == "pg")
    assert pg["route"] == "postgres_query"
    assert pg["sql"].endswith("WHERE o.status LIKE 'pa%'")
    countries = {c[0]: c[2] for c in data["customers"]}
    counts: dict[str, int] = defaultdict(int)
    for _id, customer_id, _amount, status, _at in data["orders"]:
        if status == "paid":
            counts[countries[customer_id]] += 1
    assert paid["rows"] == [[k, counts[k]] for k in sorted(counts)]
    assert hostile["rows"] == []
    assert backslash.status_code == 200
    assert backslash.json()["rows"] == []


def test_a_table_read_whole_also_serves_a_filtered_read_of_it(client, data):
    """orders is read whole for the average and filtered for the outer query: PostgreSQL is
    asked once, and the outer read's filter runs in DuckDB over that one read."""
    service = client.app_state.sql_service  # type: ignore[attr-defined]
    statement = (
        "SELECT c.country, count(*) AS n FROM pg.orders o "
        "LEFT JOIN maria.customers c ON c.id = o.customer_id "
        "WHERE o.status = 'cancelled' AND o.amount > (SELECT avg(o2.amount) FROM pg.orders o2) "
        "GROUP BY c.country ORDER BY c.country"
    )

    result = service.run(statement, [], CancelToken())

    (pg_read,) = [sql for sql in result.trace["fragments"].values() if '"orders"' in sql]
    assert "WHERE" not in pg_read
    assert len(result.trace["shared"]) == 1
    assert "AS MATERIALIZED" in result.trace["residual"]
    average = sum(o[2] for o in data["orders"]) / len(data["orders"])
    countries = {c[0]: c[2] for c in data["customers"]}
    counts: dict[str, int] = defaultdict(int)
    for _id, customer_id, amount, status, _at in data["orders"]:
        if status == "cancelled" and amount > average:
            counts[countries[customer_id]] += 1
    assert result.table.to_pylist() == [{"country": k, "n": counts[k]} for k in sorted(counts)]
