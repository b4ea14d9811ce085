"""PostgreSQL reads run on the event loop through psycopg's asyncio connections; writes, and
sources without an asyncio driver, keep a worker thread (gateway/query/offload.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings
from gateway.app import create_app
from tests.fixtures.gateways import postgresql_fixture_settings
from tests.rest.helpers import demo_client

Seen = list[tuple[str, str, bool]]  # (first SQL word, thread name, on the loop engine)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("loop")
    with postgresql_fixture_settings(home) as settings:
        app = create_app(
            replace(settings, auth=AuthSettings(enabled=False)), background_refresh=False
        )
        with TestClient(app) as running:
            app.state.runtime.cache.refresh()
            yield running


@contextmanager
def watching(client: TestClient, source: str) -> Iterator[Seen]:
    """Each statement sent to `source`: its verb, the thread that sent it, and whether it
    went through the loop engine (psycopg's asyncio connections)."""
    connector = client.app.state.runtime.connectors[source]  # type: ignore[attr-defined]
    engines = connector.engines()
    loop_engines = engines[1:]
    seen: Seen = []

    def record(conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        on_loop = any(conn.engine is engine for engine in loop_engines)
        seen.append((statement.split()[0].upper(), threading.current_thread().name, on_loop))

    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)


def loop_thread(client: TestClient) -> str:
    """The name of the thread running the app's event loop."""
    portal = client.portal
    assert portal is not None
    return str(portal.call(lambda: threading.current_thread().name))  # type: ignore[arg-type]


def test_rest_reads_run_on_the_loop(client: TestClient) -> None:
    with watching(client, "fx") as seen:
        listed = client.get("/rest/fx/customers?select=id,name,orders(id)&order=id")
        one = client.get("/rest/fx/customers/1")
        counted = client.get("/rest/fx/orders?limit=1", headers={"Prefer": "count=exact"})
    assert listed.status_code == 200
    assert listed.json()[0]["orders"] is not None
    assert one.status_code == 200
    assert one.json()["id"] == 1
    assert counted.status_code == 206
    assert counted.headers["Content-Range"].startswith("0-0/")
    assert len(seen) == 4  # list with embed, by key, page and its count
    assert {(thread, on_loop) for _, thread, on_loop in seen} == {(loop_thread(client), True)}


def test_graphql_queries_on_the_loop_mutations_in_a_thread(client: TestClient) -> None:
    with watching(client, "fx") as seen:
        read = client.post("/graphql", json={"query": "{ fx_customers(limit: 2) { id } }"})
    assert read.status_code == 200
    assert len(read.json()["data"]["fx_customers"]) == 2
    assert [(thread, on_loop) for _, thread, on_loop in seen] == [(loop_thread(client), True)]
    mutation = (
        'mutation { update_fx_products(where: {sku: {_eq: "none-such"}}, _set: {name: "x"})'
        " { affected_rows } }"
    )
    with watching(client, "fx") as seen:
        written = client.post("/graphql", json={"query": mutation})
    assert written.status_code == 200, written.text
    assert written.json()["data"]["update_fx_products"]["affected_rows"] == 0
    assert seen
    assert all(not on_loop for _, _, on_loop in seen)
    assert all(thread != loop_thread(client) for _, thread, _ in seen)


def test_rest_writes_keep_a_worker_thread(client: TestClient) -> None:
    with watching(client, "fx") as seen:
        patched = client.patch("/rest/fx/products?sku=eq.none-such", json={"name": "x"})
    assert patched.status_code == 204
    assert seen
    assert all(not on_loop for _, _, on_loop in seen)
    assert all(thread != loop_thread(client) for _, thread, _ in seen)


def test_requests_from_another_loop_use_a_thread(client: TestClient) -> None:
    """A client without the app's lifespan (its own loop per request) still gets answers."""
    other = TestClient(client.app)  # no `with`: every request on a fresh loop
    with watching(client, "fx") as seen:
        answered = other.get("/rest/fx/customers/1")
    assert answered.status_code == 200
    assert answered.json()["id"] == 1
    assert [on_loop for _, _, on_loop in seen] == [False]


def test_sources_without_an_asyncio_driver_read_in_a_thread(tmp_path: Path) -> None:
    with demo_client(tmp_path) as demo, watching(demo, "shop") as seen:
        answered = demo.get("/rest/shop/customers?limit=1")
        thread = loop_thread(demo)
    assert answered.status_code == 200
    assert seen
    assert all(t != thread and not on_loop for _, t, on_loop in seen)
