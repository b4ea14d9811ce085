"""The ASGI app in-process (lifespan included), and once under a real uvicorn server."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from config.errors import FedgateError
from config.settings import Settings, SourceSettings
from connectors.errors import ConnectorError, SourceUnavailableError
from connectors.registry import build_connector
from gateway import runtime
from gateway.app import create_app
from schema_cache.cache import SchemaCache
from schema_cache.errors import UnknownSourceError
from tests.fixtures.processes import free_port, stop_server
from tests.schema_cache.helpers import UNREACHABLE_URL, make_settings, write_sqlite

PROBLEM_JSON = "application/problem+json"
SHOP_DDL = """
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email VARCHAR(120) NOT NULL,
  created_at DATETIME,
  CONSTRAINT uq_customers_email UNIQUE (email)
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  total DECIMAL(12, 2) NOT NULL
);
"""


@pytest.fixture
def shop_url(tmp_path: Path) -> str:
    return write_sqlite(tmp_path / "shop.sqlite", SHOP_DDL)


@pytest.fixture
def settings(tmp_path: Path, shop_url: str) -> Settings:
    return make_settings(tmp_path, SourceSettings("shop", shop_url))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app with its lifespan running, nothing introspected yet."""
    with TestClient(create_app(settings, background_refresh=False)) as test_client:
        yield test_client


def refresh(client: TestClient) -> None:
    client.app.state.runtime.cache.refresh()  # type: ignore[attr-defined]


def assert_problem(
    response: httpx2.Response | httpx.Response, status: int, code: str
) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:fedgate:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def test_healthz_is_ok_before_anything_is_introspected(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_until_a_model_exists(client: TestClient) -> None:
    response = client.get("/readyz")

    body = assert_problem(response, 503, "not_ready")
    assert response.headers["retry-after"] == "5"
    assert body["sources"]["shop"] == {
        "status": "pending",
        "reason": None,
        "serving": False,
        "version": None,
        "tables": 0,
    }
    assert_problem(client.get("/catalog"), 503, "not_ready")


def test_readyz_reports_every_source_after_refresh(tmp_path: Path, shop_url: str) -> None:
    settings = make_settings(
        tmp_path,
        SourceSettings("shop", shop_url),
        SourceSettings("crm", UNREACHABLE_URL, connect_timeout_s=1),
    )
    with TestClient(create_app(settings, background_refresh=False)) as client:
        refresh(client)
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "ready"
    shop, crm = body["sources"]["shop"], body["sources"]["crm"]
    assert (shop["status"], shop["serving"], shop["tables"], shop["reason"]) == (
        "ok",
        True,
        2,
        None,
    )
    assert len(shop["version"]) == 16
    assert crm == {
        "status": "unavailable",
        "reason": "connection refused",
        "serving": False,
        "version": None,
        "tables": 0,
    }


def test_readyz_stays_503_when_every_source_fails_without_a_snapshot(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, SourceSettings("crm", UNREACHABLE_URL, connect_timeout_s=1))
    with TestClient(create_app(settings, background_refresh=False)) as client:
        refresh(client)
        response = client.get("/readyz")

    body = assert_problem(response, 503, "not_ready")
    assert body["sources"]["crm"]["status"] == "unavailable"
    assert body["sources"]["crm"]["reason"] == "connection refused"


def test_background_refresh_makes_the_gateway_ready(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = wait_for(lambda: client.get("/readyz"), timeout=15)

    assert response.json()["sources"]["shop"]["status"] == "ok"


def wait_for(get: Callable[[], httpx2.Response], *, timeout: float) -> httpx2.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = get()
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response
        time.sleep(0.05)


def test_restart_from_snapshot_is_ready_before_introspection_with_the_source_down(
    tmp_path: Path, settings: Settings
) -> None:
    with TestClient(create_app(settings, background_refresh=False)) as client:
        refresh(client)
        served = client.get("/catalog").json()
    assert Path(settings.schema_cache.snapshot_path).exists()

    # Same source name, but its database cannot be reached now.
    down = make_settings(tmp_path, SourceSettings("shop", UNREACHABLE_URL, connect_timeout_s=1))
    with TestClient(create_app(down, background_refresh=False)) as client:
        ready = client.get("/readyz")
        catalog = client.get("/catalog")

    assert ready.status_code == 200
    shop = ready.json()["sources"]["shop"]
    assert (shop["status"], shop["serving"], shop["tables"]) == ("pending", True, 2)
    assert catalog.status_code == 200
    (source,) = catalog.json()["sources"]
    (before,) = served["sources"]
    assert [t["name"] for t in source["tables"]] == ["customers", "orders"]
    assert source["tables"] == before["tables"]
    assert source["version"] == before["version"]


def test_with_a_dead_source_the_snapshot_keeps_serving_after_refresh_fails(
    tmp_path: Path, settings: Settings
) -> None:
    with TestClient(create_app(settings, background_refresh=False)) as client:
        refresh(client)

    down = make_settings(tmp_path, SourceSettings("shop", UNREACHABLE_URL, connect_timeout_s=1))
    with TestClient(create_app(down)) as client:
        deadline = time.monotonic() + 15
        while client.get("/readyz").json()["sources"]["shop"]["status"] == "pending":
            assert time.monotonic() < deadline, "the background refresh never ran"
            time.sleep(0.05)
        ready = client.get("/readyz")
        catalog = client.get("/catalog")

    assert ready.status_code == 200
    shop = ready.json()["sources"]["shop"]
    assert (shop["status"], shop["reason"], shop["serving"]) == (
        "unavailable",
        "connection refused",
        True,
    )
    (source,) = catalog.json()["sources"]
    assert source["state"]["status"] == "unavailable"
    assert [t["name"] for t in source["tables"]] == ["customers", "orders"]


def test_catalog_shape(client: TestClient) -> None:
    refresh(client)

    response = client.get("/catalog")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    (source,) = response.json()["sources"]
    assert set(source) == {
        "name",
        "dialect",
        "server_version",
        "default_schema",
        "version",
        "tables",
        "state",
    }
    assert (source["name"], source["dialect"], source["default_schema"]) == (
        "shop",
        "sqlite",
        "main",
    )
    assert source["state"]["status"] == "ok"
    customers, orders = source["tables"]
    assert set(orders) == {
        "schema",
        "name",
        "kind",
        "columns",
        "primary_key",
        "foreign_keys",
        "unique_constraints",
        "indexes",
        "checks",
        "comment",
        "relationships",
    }
    assert (orders["schema"], orders["name"], orders["kind"]) == ("main", "orders", "table")
    assert orders["primary_key"] == ["id"]
    total = orders["columns"][2]
    assert total["name"] == "total"
    assert total["family"] == "decimal"
    assert (total["precision"], total["scale"], total["nullable"]) == (12, 2, False)
    email = customers["columns"][1]
    assert (email["family"], email["length"]) == ("string", 120)
    assert customers["columns"][2]["family"] == "datetime"
    assert orders["foreign_keys"] == [
        {
            "name": None,
            "columns": ["customer_id"],
            "target_schema": "main",
            "target_table": "customers",
            "target_columns": ["id"],
        }
    ]
    assert [(r["name"], r["kind"]) for r in orders["relationships"]] == [("customer", "object")]
    assert [(r["name"], r["kind"]) for r in customers["relationships"]] == [("orders", "array")]
    assert customers["unique_constraints"] == [{"name": "uq_customers_email", "columns": ["email"]}]


def test_index_links_the_endpoints(client: TestClient) -> None:
    body = client.get("/").json()

    assert body["name"] == "fedgate"
    assert body["sources"] == ["shop"]
    assert body["links"]["catalog"] == "http://testserver/catalog"


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/nosuch/path"), 404, "not_found")

    assert body["title"] == "Not Found"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.post("/healthz")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


SECRET = "hunter2-Zq9"


async def crash(_request: Request) -> Response:
    raise RuntimeError(f"cannot connect to postgresql://app:{SECRET}@db/shop: SELECT * FROM x")


async def crash_connector(_request: Request) -> Response:
    raise ConnectorError(f"source 'shop' failed: password {SECRET}", source="shop")


async def source_down(_request: Request) -> Response:
    raise SourceUnavailableError("shop", "connection refused")


async def unknown_source(_request: Request) -> Response:
    raise UnknownSourceError("unknown source 'nosuch'", source="nosuch")


@pytest.fixture
def app_with_errors(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, background_refresh=False)
    app.router.routes.extend(
        [
            Route("/crash", crash),
            Route("/crash-connector", crash_connector),
            Route("/source-down", source_down),
            Route("/unknown-source", unknown_source),
        ]
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/crash", "/crash-connector"])
def test_an_unexpected_error_is_a_500_problem_without_internals(
    app_with_errors: TestClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = app_with_errors.get(path)

    body = assert_problem(response, 500, "internal_error")
    assert body["detail"] == "The gateway failed to handle the request."
    for leak in (SECRET, "postgresql", "SELECT", "RuntimeError", "Traceback", "shop"):
        assert leak not in response.text
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_an_unavailable_source_is_a_503_problem_with_retry_after(
    app_with_errors: TestClient,
) -> None:
    response = app_with_errors.get("/source-down")

    body = assert_problem(response, 503, "source_unavailable")
    assert response.headers["retry-after"] == "5"
    assert body["detail"] == "source 'shop' is unavailable: connection refused"
    assert body["source"] == "shop"
    assert "reason" not in body


def test_a_fedgate_error_keeps_its_code_and_message(app_with_errors: TestClient) -> None:
    body = assert_problem(app_with_errors.get("/unknown-source"), 404, "unknown_source")

    assert body["detail"] == "unknown source 'nosuch'"


def test_every_fedgate_error_code_has_a_status() -> None:
    # A new error code without a status would silently become a 500.
    from gateway.errors import STATUS_BY_CODE, TITLES

    assert set(STATUS_BY_CODE.values()) <= set(TITLES)
    assert FedgateError.code == "internal_error"


@pytest.mark.slow
def test_real_server_serves_the_demo(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEDGATE_HOME": str(tmp_path / "home")}
    env.pop("FEDGATE_CONFIG", None)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        ready: httpx.Response | None = None
        while time.monotonic() < deadline:
            assert process.poll() is None, f"server exited:\n{log.read_text()}"
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
            except httpx.TransportError:
                ready = None
            if ready is not None and ready.status_code == 200:
                break
            time.sleep(0.1)
        assert ready is not None, f"server never answered:\n{log.read_text()}"
        assert ready.status_code == 200, ready.text
        # First start: the bootstrap admin key is printed once, ready to paste.
        found = re.search(r"fgk_[0-9A-Za-z]{38}", log.read_text())
        assert found is not None, log.read_text()
        key = found.group(0)
        bearer = {"Authorization": f"Bearer {key}"}
        catalog = httpx.get(f"{base}/catalog", headers=bearer, timeout=5).json()
        anonymous = httpx.get(f"{base}/catalog", timeout=5)
        missing = httpx.get(f"{base}/nosuch", headers=bearer, timeout=5)
        # Every surface answers the printed key: REST, GraphQL, /sql, OAuth discovery.
        rest = httpx.get(f"{base}/rest/shop/customers?limit=2", headers=bearer, timeout=5)
        graphql = httpx.post(
            f"{base}/graphql",
            json={"query": "{ shop_products(limit: 1) { id } }"},
            headers=bearer,
            timeout=5,
        )
        sql = httpx.post(
            f"{base}/sql",
            json={"sql": "SELECT count(*) AS n FROM shop.customers"},
            headers=bearer,
            timeout=30,
        )
        discovery = httpx.get(f"{base}/.well-known/openid-configuration", timeout=5)
    finally:
        stop_server(process, log)

    output = log.read_text()
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert [s["name"] for s in catalog["sources"]] == ["shop", "analytics"]
    shop = {t["name"] for t in catalog["sources"][0]["tables"]}
    assert shop == {"customers", "orders", "order_items", "products"}
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    assert anonymous.status_code == 401
    assert [len(rest.json()), rest.status_code] == [2, 200]
    assert graphql.json() == {"data": {"shop_products": [{"id": 1}]}}
    assert sql.json()["rows"] == [[200]]
    assert discovery.json()["issuer"] == base  # where it listens (--port), not the default
    assert (tmp_path / "home" / "demo" / "snapshot.json").exists()
    assert "serving the embedded demo" in output
    assert f'curl -H "Authorization: Bearer {key}" {base}/catalog' in output


def test_a_failing_refresh_round_does_not_stop_the_refresher(
    tmp_path: Path,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A subscriber (e.g. the route swapper) that fails once is logged and must not end
    # background refresh.
    monkeypatch.setattr(runtime, "REFRESH_POLL_SECONDS", 0.05)
    app = create_app(settings)
    cache = app.state.runtime.cache
    calls: list[frozenset[str]] = []

    def flaky(_catalog: object, changed: frozenset[str]) -> None:
        calls.append(changed)
        if len(calls) == 1:
            raise RuntimeError("subscriber failed")

    cache.subscribe(flaky)
    with TestClient(app) as client:
        wait_for(lambda: client.get("/readyz"), timeout=15)
        deadline = time.monotonic() + 15
        while not any("listener" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the failure was never logged"
            time.sleep(0.05)
        with sqlite3.connect(tmp_path / "shop.sqlite") as conn:
            conn.execute("ALTER TABLE orders ADD COLUMN note TEXT")
        conn.close()
        connectors = {s.name: build_connector(s) for s in settings.sources}
        SchemaCache(settings, connectors).refresh()  # as `fedgate refresh`: the gateway reloads
        for connector in connectors.values():
            connector.dispose()
        while len(calls) < 2:
            assert time.monotonic() < deadline + 15, "the refresher stopped"
            time.sleep(0.05)

    assert calls == [frozenset({"shop"}), frozenset({"shop"})]
