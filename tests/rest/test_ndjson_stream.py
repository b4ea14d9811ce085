"""`Accept: application/x-ndjson` is streamed from a server-side cursor, batch by batch.

- Same rows, headers and status as the JSON answer, embeds included, across
  batches (batch size lowered to a few rows) on PostgreSQL, MariaDB, DuckDB and
  SQLite; the statement count grows with batches, never with rows.
- Live on PostgreSQL under uvicorn: while a 300,000-row answer is being read,
  the gateway's connection is in a transaction fetching from a cursor
  (`FETCH FORWARD` in pg_stat_activity), and leaving early ends it.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings, SchemaCacheSettings, Settings, SourceSettings
from gateway.app import create_app
from gateway.query import stream
from tests.auth.helpers import auth_gateway
from tests.connectors.compliance import Target
from tests.live import postgresql_database
from tests.rest.conformance import CONFORMANCE_TARGETS, Served, serve
from tests.rest.helpers import demo_client, recording
from tests.rest.test_postgrest_client import running

NDJSON = {"Accept": "application/x-ndjson"}
LIVE = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mariadb}
TARGETS = [
    pytest.param(t, id=t.id, marks=[LIVE[t.id]] if t.id in LIVE else [])
    for t in CONFORMANCE_TARGETS
]


def lines(response: Any) -> list[object]:  # an httpx or TestClient response
    return [orjson.loads(line) for line in response.content.splitlines()]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(stream, "BATCH_ROWS", 2)
    return 2


@pytest.fixture(scope="module", params=TARGETS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    target: Target = request.param
    with serve(target, tmp_path_factory.mktemp(target.id)) as served:
        yield served


@pytest.mark.parametrize(
    ("query", "prefer"),
    [
        ("select=id,total,customer(name),order_items(line_no,qty)&order=id", ""),
        ("select=id,status&order=total.desc.nullslast&offset=1&limit=3", "count=exact"),
        ("select=name,orders(id,status)&order=id", "count=exact"),
    ],
)
def test_streamed_answer_equals_the_json_answer(
    served: Served, small_batches: int, query: str, prefer: str
) -> None:
    table = "customers" if query.startswith("select=name") else "orders"
    path = f"/rest/fx/{table}?{query}"
    headers = {"Prefer": prefer} if prefer else {}
    as_json = served.client.get(path, headers=headers)
    streamed = served.client.get(path, headers={**headers, **NDJSON})
    assert as_json.status_code in (200, 206), as_json.text
    assert as_json.status_code == streamed.status_code
    assert streamed.headers["content-type"] == "application/x-ndjson"
    assert streamed.headers["content-range"] == as_json.headers["content-range"]
    assert lines(streamed) == as_json.json()
    assert len(as_json.json()) > small_batches  # more than one batch


def test_past_the_end_is_416_before_any_row(served: Served) -> None:
    response = served.client.get(
        "/rest/fx/orders?offset=99", headers={**NDJSON, "Prefer": "count=exact"}
    )
    assert (response.status_code, response.headers["content-range"]) == (416, "*/5")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[TestClient]:
    with demo_client(tmp_path) as client:
        yield client


def test_statements_grow_with_batches_not_rows(demo: TestClient, small_batches: int) -> None:
    query = "select=id,customer(name),order_items(line_no)&order=id&limit=40"
    with recording(demo, "shop") as sql:
        response = demo.get(f"/rest/shop/orders?{query}", headers=NDJSON)
    assert len(lines(response)) == 40
    batches = math.ceil(40 / small_batches)
    # the page count, the cursor, then customers and items once per batch
    assert len(sql.statements) == 2 + 2 * batches


def test_errors_before_the_first_row_are_problems(demo: TestClient) -> None:
    response = demo.get("/rest/shop/orders?select=nope", headers=NDJSON)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


ROWS = 300_000


@pytest.fixture(scope="module")
def big_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    """A PostgreSQL table of 300,000 rows (about 40 MB of NDJSON) served under uvicorn."""
    with postgresql_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE events (id integer PRIMARY KEY, label text NOT NULL);"
                "INSERT INTO events SELECT i, repeat('x', 100) || i "
                f"FROM generate_series(1, {ROWS}) i"
            )
        home = tmp_path_factory.mktemp("big")
        settings = Settings(
            sources=(SourceSettings(name="pg", url=url, max_page_size=1_000_000),),
            schema_cache=SchemaCacheSettings(snapshot_path=str(home / "snap.json"), ttl_seconds=0),
            auth=AuthSettings(enabled=False),
        )
        app = create_app(settings, background_refresh=False)
        with running(app) as base:
            app.state.runtime.cache.refresh()
            yield base, engine
        engine.dispose()


def slow_reader() -> httpx.Client:
    """A client with a small receive window: the kernel cannot buffer the whole answer
    (loopback windows grow to 32 MB here), so an unread answer waits in the gateway."""
    options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)]
    return httpx.Client(timeout=60, transport=httpx.HTTPTransport(socket_options=options))


def gateway_sessions(engine: sa.Engine) -> list[tuple[str, str]]:
    """(state, query) of the gateway's connections, seen from another connection."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT state, query FROM pg_stat_activity "
            "WHERE application_name = 'fedgate' AND datname = current_database()"
        ).all()
    return [(r[0], r[1]) for r in rows]


@pytest.mark.postgresql
def test_a_large_read_streams_from_a_cursor(big_gateway: tuple[str, sa.Engine]) -> None:
    base, engine = big_gateway
    url = f"{base}/rest/pg/events?order=id&limit={ROWS}"
    with slow_reader() as client, client.stream("GET", url, headers=NDJSON) as response:
        assert response.status_code == 200
        assert response.headers["content-range"] == f"0-{ROWS - 1}/*"
        chunks = response.iter_bytes()
        first = next(chunks)
        assert first.startswith(b'{"id":1,"label":"xxx')
        # The answer is far from written: the gateway is fetching from its cursor.
        sessions = gateway_sessions(engine)
        assert any(q.startswith("FETCH FORWARD") for _, q in sessions), sessions
        assert any(s in ("idle in transaction", "active") for s, _ in sessions), sessions
        body = first + b"".join(chunks)
    rows = body.splitlines()
    assert len(rows) == ROWS
    assert orjson.loads(rows[-1]) == {"id": ROWS, "label": "x" * 100 + str(ROWS)}


@pytest.mark.postgresql
def test_leaving_early_ends_the_transaction(big_gateway: tuple[str, sa.Engine]) -> None:
    base, engine = big_gateway
    url = f"{base}/rest/pg/events?order=id&limit={ROWS}"
    with slow_reader() as client, client.stream("GET", url, headers=NDJSON) as response:
        assert response.status_code == 200
        chunks = response.iter_bytes()  # kept: dropping it would close the response at once
        next(chunks)
        sessions = gateway_sessions(engine)
        assert any(s in ("idle in transaction", "active") for s, _ in sessions), sessions
    # The client left with most of the answer unread.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        states = [s for s, _ in gateway_sessions(engine)]
        if "idle in transaction" not in states and "active" not in states:
            break
        time.sleep(0.1)
    assert "idle in transaction" not in states, states
    assert "active" not in states, states


def test_access_is_checked_before_the_stream_opens(tmp_path: Path) -> None:
    with auth_gateway(tmp_path) as gw:
        # customers, which the embed reaches, may be written but not read: a 403 (a table
        # with no rights at all would be unknown to the key, a 400 like a missing one)
        key = gw.new_key("shop.orders:read", "shop.customers:insert")
        headers = {"X-API-Key": key, **NDJSON}
        with recording(gw.client, "shop") as sql:
            refused = gw.client.get("/rest/shop/orders?select=id,customer(name)", headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["scope"] == "shop.customers:read"
        assert sql.statements == []
        allowed = gw.client.get("/rest/shop/orders?select=id&order=id&limit=3", headers=headers)
        assert allowed.status_code == 200
        assert lines(allowed) == [{"id": 1}, {"id": 2}, {"id": 3}]
