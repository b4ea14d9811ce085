"""GraphQL reads PostgreSQL answers as one JSON text go through the pooled driver connection
directly (gateway/query/driver_read.py): same answers, same errors, and a broken connection
is dropped from the pool as SQLAlchemy's own path would drop it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import SourceSettings
from gateway.query import driver_read, json_read
from tests.fixtures.gateways import one_source, started_client
from tests.live import postgresql_database, run_statements

SETUP = (
    "CREATE TABLE item (id integer PRIMARY KEY, name text)",
    "INSERT INTO item SELECT g, 'item ' || g FROM generate_series(1, 5) g",
    # a read that outlasts the source's statement timeout
    "CREATE VIEW slow AS SELECT g AS id, pg_sleep(0.2)::text AS z FROM generate_series(1, 3) g",
    "CREATE VIEW slower AS SELECT 1 AS id, pg_sleep(1.5)::text AS z",
)
READ = "{ pg_item(order_by: {id: asc}, limit: 2) { id name } }"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgresql_database() as url:
        run_statements(url, SETUP)
        yield url


@pytest.fixture(scope="module")
def client(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    source = SourceSettings(name="pg", url=database, statement_timeout_ms=150)
    with started_client(one_source(source, tmp_path_factory.mktemp("direct"))) as running:
        yield running


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of each read that took the direct path."""
    calls: list[str] = []
    real = driver_read.fetch_rows

    def spy(engine: sa.Engine, sql: str, params: dict[str, Any]) -> Any:
        calls.append(sql)
        return real(engine, sql, params)

    monkeypatch.setattr(json_read, "fetch_rows", spy)
    return calls


def _post(client: TestClient, query: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_reads_take_the_driver_path(client: TestClient, direct_calls: list[str]) -> None:
    body = _post(client, READ)
    assert body == {"data": {"pg_item": [{"id": 1, "name": "item 1"}, {"id": 2, "name": "item 2"}]}}
    one = _post(client, "{ pg_item_by_pk(id: 5) { name } }")
    assert one == {"data": {"pg_item_by_pk": {"name": "item 5"}}}
    assert len(direct_calls) == 2
    # one level of integers and text: plain rows, written by orjson (json_select.plain_rows)
    assert all(sql.startswith("SELECT item.") for sql in direct_calls)


def test_statement_timeout_is_the_same_error(client: TestClient, direct_calls: list[str]) -> None:
    body = _post(client, "{ pg_slow { id z } }")
    assert direct_calls  # the slow read went the direct way
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["statement_timeout"]
    assert "pg_sleep" not in str(body)  # no driver text
    assert "canceling" not in str(body)
    with _connection_path(client):
        through_connection = _post(client, "{ pg_slow { id z } }")
    assert len(direct_calls) == 1
    assert through_connection == body
    assert _post(client, READ)["data"]["pg_item"][0]["id"] == 1  # the connection is usable


@contextmanager
def _connection_path(client: TestClient) -> Iterator[None]:
    """A statement listener on the loop engine: reads go through a `Connection`."""
    engine = client.app.state.runtime.connectors["pg"].engines()[-1]  # type: ignore[attr-defined]

    def listen(*_: Any) -> None:
        return None

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def test_a_killed_connection_fails_once_then_reads_recover(
    client: TestClient, database: str, direct_calls: list[str]
) -> None:
    _post(client, READ)  # a pooled connection exists
    admin = sa.create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    assert killed >= 1
    outcomes = [_post(client, READ) for _ in range(12)]  # more than the pool holds
    failed = [o for o in outcomes if o.get("data") is None]
    for body in failed:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["source_unavailable"]
    assert outcomes[-1]["data"]["pg_item"][0]["id"] == 1
    assert 1 <= len(failed) <= killed  # each dead connection fails at most one read
    assert len(direct_calls) == 1 + 12


def test_a_read_beside_a_waiting_one_lets_postgresql_build_its_json(
    database: str, tmp_path: Path, direct_calls: list[str]
) -> None:
    """Alone, a read of plain columns is read as rows the gateway writes; while another read
    waits on the database, PostgreSQL builds its JSON instead (json_read._Waiting). Same
    answer either way."""
    source = SourceSettings(name="pg", url=database)
    with started_client(one_source(source, tmp_path)) as client:
        alone = _post(client, READ)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(_post, client, "{ pg_slower { id } }")
            deadline = time.monotonic() + 10
            while not any("slower" in sql for sql in direct_calls):  # it is waiting now
                assert time.monotonic() < deadline, "the slow read never started"
                time.sleep(0.01)
            beside = _post(client, READ)
            assert slow.result()["data"] == {"pg_slower": [{"id": 1}]}
    assert alone == beside
    alone_sql, _, beside_sql = direct_calls
    assert alone_sql.startswith("SELECT item.")
    assert beside_sql.startswith("SELECT CAST(to_json(array(")
