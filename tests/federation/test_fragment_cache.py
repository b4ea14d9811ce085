"""`federation.cache`: rows read from real PostgreSQL, MariaDB and SQLite sources served
again from memory. Each test changes a source behind fedgate's back (plain SQL on the
database) to see whether an answer came from the cache or from the source."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from config.settings import (
    FederationCacheSettings,
    FederationSettings,
    SchemaCacheSettings,
    Settings,
    SourceSettings,
)
from gateway.federation.cancel import CancelToken
from tests.federation.helpers import RecordingAccess, demo_with, sql_client, without_auth
from tests.federation.test_limits_and_access import SMALL, WINDOW_OVER_10M_ROWS
from tests.live import mariadb_databases, postgresql_database, run_statements

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]

JOINED = """
SELECT c.name, sum(o.amount) AS total, max(r.label) AS region
FROM pg.orders o JOIN maria.customers c ON c.id = o.customer_id
JOIN lite.regions r ON r.code = c.region
GROUP BY c.name ORDER BY c.name
"""
PUSHED = "SELECT sum(amount) AS total FROM pg.orders"


@dataclass
class Sources:
    pg: str
    maria: str
    lite: Path

    def settings(self, tmp: Path, **cache: Any) -> Settings:
        federation = FederationSettings(cache=FederationCacheSettings(**cache))
        return without_auth(
            Settings(
                sources=(
                    SourceSettings("pg", self.pg),
                    SourceSettings("maria", self.maria),
                    SourceSettings("lite", f"sqlite:///{self.lite}"),
                ),
                schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
                federation=federation,
            )
        )

    def set_amount(self, order: int, amount: str) -> None:
        run_statements(self.pg, [f"UPDATE orders SET amount = {amount} WHERE id = {order}"])

    def set_name(self, customer: int, name: str) -> None:
        run_statements(self.maria, [f"UPDATE customers SET name = '{name}' WHERE id = {customer}"])


@pytest.fixture
def sources(tmp_path: Path) -> Iterator[Sources]:
    with postgresql_database() as pg, mariadb_databases() as (maria, _names):
        run_statements(
            pg,
            [
                "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL, "
                "amount numeric(10, 2) NOT NULL, note text)",
                "INSERT INTO orders VALUES (1, 1, 10.00, 'a'), (2, 1, 5.50, 'b'), "
                "(3, 2, 7.25, 'c')",
            ],
        )
        run_statements(
            maria,
            [
                "CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40) NOT NULL, "
                "region varchar(4) NOT NULL)",
                "INSERT INTO customers VALUES (1, 'ada', 'EU'), (2, 'bob', 'NA')",
            ],
        )
        lite = tmp_path / "lite.sqlite"
        with sqlite3.connect(lite) as conn:
            conn.execute("CREATE TABLE regions (code text PRIMARY KEY, label text NOT NULL)")
            conn.executemany(
                "INSERT INTO regions VALUES (?, ?)", [("EU", "Europe"), ("NA", "N.A.")]
            )
        conn.close()
        yield Sources(pg, maria, lite)


@pytest.fixture
def cached(sources: Sources, tmp_path: Path) -> Iterator[TestClient]:
    with sql_client(sources.settings(tmp_path, ttl_seconds=60)) as client:
        yield client
        service(client).close()


def rows(client: TestClient, sql: str = JOINED, **headers: str) -> list[list[Any]]:
    response = client.post("/sql", json={"sql": sql}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def post(client: TestClient, sql: str = JOINED, **headers: str) -> Any:
    response = client.post("/sql", json={"sql": sql}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def service(client: TestClient) -> Any:
    """The app's SQL service (created by the first /sql request)."""
    if not hasattr(client.app_state, "sql_service"):  # type: ignore[attr-defined]
        assert client.post("/sql", json={"sql": "SELECT 1 AS one"}).is_success
    return client.app_state.sql_service  # type: ignore[attr-defined]


ADA_BOB = [["ada", "15.50", "Europe"], ["bob", "7.25", "N.A."]]


def test_off_by_default_every_statement_reads_the_sources_again(sources, tmp_path):
    with sql_client(sources.settings(tmp_path)) as client:
        first = post(client)
        sources.set_amount(3, "100.00")
        second = post(client)
        service(client).close()

    assert first.json()["rows"] == ADA_BOB
    assert second.json()["rows"] == [["ada", "15.50", "Europe"], ["bob", "100.00", "N.A."]]
    assert "x-fedgate-cache" not in second.headers


def test_a_repeated_statement_is_served_from_the_cache_until_the_ttl_passes(sources, cached):
    now = [1000.0]
    service(cached).fragments.clock = lambda: now[0]
    first = post(cached)
    sources.set_amount(3, "100.00")
    sources.set_name(1, "eve")

    now[0] += 59
    second = post(cached)
    now[0] += 2  # 61 s after the first read: past the 60 s TTL
    third = post(cached)

    assert first.headers["x-fedgate-cache"] == "hit=0 miss=3"
    assert second.json()["rows"] == ADA_BOB  # neither PostgreSQL nor MariaDB was asked
    assert second.headers["x-fedgate-cache"] == "hit=3 miss=0"
    assert third.json()["rows"] == [["bob", "100.00", "N.A."], ["eve", "15.50", "Europe"]]
    assert third.headers["x-fedgate-cache"] == "hit=0 miss=3"


def test_a_statement_pushed_whole_to_one_source_is_cached_too(sources, cached):
    assert rows(cached, PUSHED) == [["22.75"]]
    sources.set_amount(1, "0.00")

    again = post(cached, PUSHED)

    assert again.json()["rows"] == [["22.75"]]
    assert again.headers["x-fedgate-cache"] == "hit=1 miss=0"


def test_cache_control_no_cache_reads_fresh_and_refreshes_the_entries(sources, cached):
    post(cached)
    sources.set_amount(3, "100.00")

    fresh = post(cached, **{"Cache-Control": "no-cache"})
    after = post(cached)

    fixed = [["ada", "15.50", "Europe"], ["bob", "100.00", "N.A."]]
    assert fresh.json()["rows"] == fixed
    assert fresh.headers["x-fedgate-cache"] == "hit=0 miss=0 refresh=3"
    assert after.json()["rows"] == fixed
    assert after.headers["x-fedgate-cache"] == "hit=3 miss=0"


def test_a_write_through_fedgate_drops_the_entries_of_that_table(sources, cached):
    post(cached)
    assert post(cached, PUSHED).json()["rows"] == [["22.75"]]

    patched = cached.patch("/rest/pg/orders?id=eq.3", json={"amount": "100.00"})
    assert patched.status_code in (200, 204), patched.text
    after = post(cached)
    pushed = post(cached, PUSHED)

    assert after.json()["rows"] == [["ada", "15.50", "Europe"], ["bob", "100.00", "N.A."]]
    assert after.headers["x-fedgate-cache"] == "hit=2 miss=1"  # customers, regions kept
    assert pushed.json()["rows"] == [["115.50"]]
    assert pushed.headers["x-fedgate-cache"] == "hit=0 miss=1"


def test_a_graphql_mutation_drops_the_entries_of_that_table(sources, cached):
    post(cached)
    mutation = (
        'mutation { update_maria_customers_by_pk(pk_columns: {id: 1}, _set: {name: "eve"}) { id } }'
    )

    changed = cached.post("/graphql", json={"query": mutation})
    after = post(cached)

    assert changed.status_code == 200, changed.text
    assert "errors" not in changed.json(), changed.text
    assert after.json()["rows"] == [["bob", "7.25", "N.A."], ["eve", "15.50", "Europe"]]
    assert after.headers["x-fedgate-cache"] == "hit=2 miss=1"  # orders, regions kept


def test_concurrent_statements_share_the_cache_and_answer_alike(sources, cached):
    statements = [JOINED, PUSHED, big_join(0), big_join(1)] * 6
    sql = service(cached)

    def answer(statement: str) -> list[Any]:
        return sql.run(statement, [], CancelToken()).table.to_pylist()

    alone = {s: answer(s) for s in set(statements)}
    sql.clear()  # every entry dropped: the threads below fill the cache together
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(answer, statements))

    assert together == [alone[s] for s in statements]
    assert len(sql.fragments) > 0


def big_join(floor: int) -> str:
    return (
        "SELECT o.id, c.name FROM pg.orders o JOIN maria.customers c ON c.id = o.customer_id "
        f"WHERE o.id > {floor} ORDER BY o.id"
    )


def test_an_excluded_source_is_always_read_fresh(sources, tmp_path):
    settings = sources.settings(tmp_path, ttl_seconds=60, exclude_sources=("maria",))
    with sql_client(settings) as client:
        post(client)
        sources.set_amount(3, "100.00")
        sources.set_name(1, "eve")
        second = post(client)
        service(client).close()

    # PostgreSQL's rows from the cache, MariaDB's read again
    assert second.json()["rows"] == [["bob", "7.25", "N.A."], ["eve", "15.50", "Europe"]]
    assert second.headers["x-fedgate-cache"] == "hit=2 miss=0"


def test_the_least_recently_used_entries_go_beyond_max_bytes(sources, tmp_path):
    run_statements(
        sources.pg,
        [
            "CREATE TABLE wide (id integer PRIMARY KEY, body text NOT NULL)",
            "INSERT INTO wide SELECT i, repeat('x', 1000) FROM generate_series(1, 700) i",
        ],
    )
    big = "SELECT w.id, w.body, r.label FROM pg.wide w CROSS JOIN lite.regions r WHERE w.id > {}"
    settings = sources.settings(tmp_path, ttl_seconds=60, max_bytes=1_048_576)
    with sql_client(settings) as client:
        first = post(client, big.format(0))  # ~700 kB of wide, kept
        other = post(client, big.format(1))  # another ~700 kB: the first one goes
        cache = service(client).fragments
        kept_bytes = cache.size
        again = post(client, big.format(0))
        latest = post(client, big.format(0))
        service(client).close()

    assert first.headers["x-fedgate-cache"] == "hit=0 miss=2"
    assert other.headers["x-fedgate-cache"] == "hit=1 miss=1"  # regions from the cache
    assert kept_bytes <= 1_048_576
    assert again.headers["x-fedgate-cache"] == "hit=1 miss=1"  # wide read again
    assert latest.headers["x-fedgate-cache"] == "hit=2 miss=0"


def test_a_principal_without_read_is_refused_even_when_the_rows_are_cached(sources, tmp_path):
    access = RecordingAccess()
    with sql_client(sources.settings(tmp_path, ttl_seconds=60), access) as client:
        warm = post(client, PUSHED)
        post(client, PUSHED)
        access.readable = frozenset({"maria.customers", "lite.regions"})  # no pg.orders
        refused = client.post("/sql", json={"sql": PUSHED})
        joined = client.post("/sql", json={"sql": JOINED})
        service(client).close()

    assert warm.status_code == 200
    assert refused.status_code == 403
    assert joined.status_code == 403
    assert "pg.orders" in refused.json()["detail"]


def test_explain_tells_which_fragments_the_cache_holds(sources, cached):
    before = cached.post("/sql?explain=true", json={"sql": JOINED}).json()
    post(cached)
    after = cached.post("/sql?explain=true", json={"sql": JOINED}).json()
    pushed = cached.post("/sql?explain=true", json={"sql": PUSHED}).json()

    assert {f["cache"] for f in before["fragments"]} == {"miss"}
    assert {f["cache"] for f in after["fragments"]} == {"hit"}
    assert pushed["cache"] == "miss"


def test_explain_after_a_run_knows_the_reads_a_bind_join_cut(sources, cached):
    cut = (
        "SELECT o.id, c.name FROM pg.orders o JOIN maria.customers c ON c.id = o.customer_id "
        "WHERE c.name = ? ORDER BY o.id"
    )
    body = {"sql": cut, "params": ["ada"]}
    before = cached.post("/sql?explain=true", json=body).json()
    first = cached.post("/sql", json=body)
    after = cached.post("/sql?explain=true", json=body).json()
    other = cached.post("/sql?explain=true", json={"sql": cut, "params": ["bob"]}).json()

    assert first.json()["rows"] == [[1, "ada"], [2, "ada"]]
    assert {f["alias"]: f["cache"] for f in before["fragments"]} == {"o": "miss", "c": "miss"}
    assert {f["alias"]: f["cache"] for f in after["fragments"]} == {"o": "hit", "c": "hit"}
    # other values: customers' probe and orders' key list are other reads
    assert {f["alias"]: f["cache"] for f in other["fragments"]} == {"o": "miss", "c": "miss"}


def test_explain_says_off_without_a_cache(sources, tmp_path):
    with sql_client(sources.settings(tmp_path)) as client:
        plan = client.post("/sql?explain=true", json={"sql": JOINED}).json()
        service(client).close()

    assert {f["cache"] for f in plan["fragments"]} == {"off"}


def test_a_new_model_of_a_source_drops_its_entries(sources, cached):
    post(cached)
    sources.set_amount(3, "100.00")
    run_statements(sources.pg, ["ALTER TABLE orders ADD COLUMN extra integer"])

    cached.app_state.runtime.cache.refresh(["pg"])  # type: ignore[attr-defined]
    after = post(cached)

    assert after.json()["rows"] == [["ada", "15.50", "Europe"], ["bob", "100.00", "N.A."]]
    assert after.headers["x-fedgate-cache"] == "hit=2 miss=1"


def test_a_statement_stopped_by_the_timeout_leaves_the_cache_usable(tmp_path):
    cache = FederationCacheSettings(ttl_seconds=60)
    with sql_client(demo_with(tmp_path, statement_timeout_ms=1000, cache=cache)) as client:
        stopped = client.post("/sql", json={"sql": WINDOW_OVER_10M_ROWS})
        again = client.post("/sql", json={"sql": WINDOW_OVER_10M_ROWS})
        small = [post(client, SMALL) for _ in range(2)]
        service(client).close()

    assert (stopped.status_code, again.status_code) == (504, 504)
    assert [r.json()["rows"] for r in small] == [[[1500]], [[1500]]]
    assert small[1].headers["x-fedgate-cache"] == "hit=1 miss=0"
