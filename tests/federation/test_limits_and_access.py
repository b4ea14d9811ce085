"""/sql under limits (timeout, memory, cancellation) and access checks before any SQL runs."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from config.errors import FedgateError
from gateway.federation.cancel import CancelledError, CancelToken
from gateway.federation.limits import limits_from_settings
from gateway.federation.service import SqlService
from gateway.query.access import TableUse, access_scope
from gateway.runtime import Runtime
from tests.federation.helpers import RecordingAccess, demo_with, sql_client

# 5 million wide rows from two DuckDB scans: far more than a 40 MB memory limit holds.
WINDOW_OVER_5M_ROWS = (
    "SELECT max(rn) AS n FROM (SELECT row_number() OVER (ORDER BY a.page || b.page || "
    "a.occurred_at, b.id) AS rn FROM analytics.web_events a, analytics.web_events b "
    "WHERE a.id <= 1000) t"
)
WINDOW_OVER_10M_ROWS = WINDOW_OVER_5M_ROWS.replace("a.id <= 1000", "a.id <= 2000")
SORT_OF_5M_ROWS = (
    "SELECT count(*) AS n FROM (SELECT a.page || b.page || a.occurred_at AS k, b.id "
    "FROM analytics.web_events a, analytics.web_events b WHERE a.id <= 1000 "
    "ORDER BY k, b.id OFFSET 1) t"
)
SMALL = "SELECT count(*) AS n FROM shop.orders"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fedlimits")


def test_a_statement_over_the_timeout_is_stopped_with_504(home):
    with sql_client(demo_with(home, statement_timeout_ms=1000)) as client:
        assert client.post("/sql", json={"sql": SMALL}).status_code == 200  # warm: attached
        started = time.perf_counter()
        response = client.post("/sql", json={"sql": WINDOW_OVER_10M_ROWS})
        elapsed = time.perf_counter() - started
        after = client.post("/sql", json={"sql": SMALL})

    assert response.status_code == 504
    assert response.json()["code"] == "statement_timeout"
    assert elapsed < 6  # interrupted, not run to the end (~10 s on an idle machine)
    assert after.json()["rows"] == [[1500]], after.text


@pytest.mark.slow
def test_a_query_larger_than_memory_without_spill_room_fails_clearly_and_the_gateway_lives(
    home, tmp_path
):
    settings = demo_with(
        home,
        memory_limit="40MB",
        max_temp_directory_size="1MB",
        temp_directory=str(tmp_path),
        statement_timeout_ms=600_000,  # a loaded machine must not turn this into a 504
    )
    with sql_client(settings) as client:
        response = client.post("/sql", json={"sql": WINDOW_OVER_5M_ROWS})
        after = client.post("/sql", json={"sql": SMALL})

    assert response.status_code == 507
    body = response.json()
    assert body["code"] == "sql_out_of_memory"
    assert "40MB" in body["detail"]
    assert after.status_code == 200
    assert after.json()["rows"] == [[1500]]


@pytest.mark.slow
def test_a_sort_larger_than_memory_spills_and_answers(home, tmp_path):
    settings = demo_with(
        home,
        memory_limit="100MB",
        max_temp_directory_size="4GB",
        temp_directory=str(tmp_path),
        statement_timeout_ms=600_000,
    )
    with sql_client(settings) as client:
        response = client.post("/sql", json={"sql": SORT_OF_5M_ROWS})

    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [[4_999_999]]


def test_cancelling_interrupts_a_running_statement(home):
    """What a client disconnect does: the token is cancelled and DuckDB interrupted."""
    settings = demo_with(home)
    runtime = Runtime.from_settings(settings)
    runtime.cache.refresh()
    service = SqlService(runtime, limits_from_settings(settings))
    token = CancelToken()
    threading.Timer(0.3, token.cancel, ("disconnected",)).start()
    started = time.perf_counter()
    try:
        with pytest.raises(CancelledError):
            service.run(WINDOW_OVER_10M_ROWS, [], token)
        elapsed = time.perf_counter() - started
        assert elapsed < 6  # ~10 s when left to run
        assert service.run(SMALL, [], CancelToken()).table.to_pylist() == [{"n": 1500}]
    finally:
        service.close()
        for connector in runtime.connectors.values():
            connector.dispose()


def test_without_the_sql_scope_the_request_is_refused_before_parsing(home):
    access = RecordingAccess(scopes=frozenset())
    with sql_client(demo_with(home), access) as client:
        response = client.post("/sql", json={"sql": "this is not even SQL"})

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["errors"] == [{"scope": "sql", "detail": "missing scope"}]
    assert access.required == []


def test_read_is_required_on_every_table_touched(home):
    access = RecordingAccess(readable=frozenset({"shop.customers"}))
    statement = (
        "WITH big AS (SELECT customer_id FROM shop.orders WHERE total > 1000) "
        "SELECT c.country, (SELECT count(*) FROM analytics.daily_sales d "
        "WHERE d.country = c.country) AS days FROM shop.customers c "
        "WHERE c.id IN (SELECT customer_id FROM big)"
    )
    with sql_client(demo_with(home), access) as client:
        response = client.post("/sql", json={"sql": statement})
        state = client.app_state  # type: ignore[attr-defined]

    # Tables the caller may not read are unknown to it (as if they did not exist).
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "sql_unknown_table"
    assert {e["name"] for e in body["errors"]} == {"shop.orders", "analytics.daily_sales"}
    assert all(set(e["suggestions"]) <= {"shop.customers"} for e in body["errors"])
    # Refused before any SQL ran: the embedded DuckDB was never even opened.
    assert state.sql_service.engine._root is None

    everything = RecordingAccess()
    with sql_client(demo_with(home), everything) as client:
        assert client.post("/sql", json={"sql": statement}).status_code == 200
    assert {(u.source, u.table, u.operation, u.schema) for u in everything.required} == {
        ("shop", "orders", "read", None),
        ("shop", "customers", "read", None),
        ("analytics", "daily_sales", "read", None),
    }


def test_the_access_check_comes_before_a_statement_that_would_fail_to_run(home):
    """Dividing by a text column would fail in DuckDB; the 403 comes first."""
    settings = demo_with(home)
    runtime = Runtime.from_settings(settings)
    runtime.cache.refresh()
    service = SqlService(runtime, limits_from_settings(settings))
    denied = RecordingAccess(readable=frozenset())
    try:
        with access_scope(denied), pytest.raises(FedgateError) as raised:
            service.run("SELECT 1 / name FROM shop.customers", [], CancelToken())
        assert raised.value.code == "sql_unknown_table"  # unreadable: unknown to the caller
        assert denied.required == [TableUse("shop", "customers", "read", None)]  # audited
        assert service.engine._root is None
        with access_scope(RecordingAccess()), pytest.raises(FedgateError) as failed:
            service.run("SELECT 1 / name FROM shop.customers", [], CancelToken())
        assert failed.value.code == "sql_invalid"
    finally:
        service.close()
        for connector in runtime.connectors.values():
            connector.dispose()


def test_a_planned_shape_is_reused_with_new_values_and_access_still_checked(home):
    settings = demo_with(home)
    runtime = Runtime.from_settings(settings)
    runtime.cache.refresh()
    service = SqlService(runtime, limits_from_settings(settings))
    statement = "SELECT count(*) AS n FROM shop.orders WHERE status = ?"
    try:
        first = service.plan(statement, ["paid"])
        second = service.plan(statement, ["new"])
        assert second.residual is first.residual  # planned once
        assert second.params == ("new",)
        with sqlite3.connect(home / "demo" / "shop.sqlite") as shop:
            expected = dict(shop.execute("SELECT status, count(*) FROM orders GROUP BY 1"))
        shop.close()
        for status in ("paid", "new"):
            rows = service.run(statement, [status], CancelToken()).table.to_pylist()
            assert rows == [{"n": expected[status]}]
        denied = RecordingAccess(readable=frozenset())
        with access_scope(denied), pytest.raises(FedgateError) as raised:
            service.plan(statement, ["paid"])
        assert raised.value.code == "sql_unknown_table"  # unreadable: unknown to the caller
    finally:
        service.close()
        for connector in runtime.connectors.values():
            connector.dispose()
