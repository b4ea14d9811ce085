"""`federation.engine: trino`: catalog files per source, and the rewritten SQL sent to a
coordinator. No Trino server runs here: a loopback stand-in speaks its HTTP protocol."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from config.settings import SourceSettings
from gateway.cli import main
from gateway.federation.trino_catalogs import build_catalog
from tests.federation.helpers import demo_with, sql_client

SOURCES = (
    SourceSettings("sales", "postgresql+psycopg://app:s3cr%40t@db1.internal:5433/sales"),
    SourceSettings("crm", "mariadb+pymysql://crm:pw@db2:3306/crm"),
    SourceSettings("erp", "mssql+pymssql://sa:pw@db3/erp"),
    SourceSettings("hr", "oracle+oracledb://hr:pw@db4:1521/?service_name=FREEPDB1"),
    SourceSettings("lite", "sqlite:////data/lite.sqlite"),
)


def test_catalog_properties_per_dialect():
    catalogs = {s.name: build_catalog(s) for s in SOURCES}

    assert catalogs["sales"].render() == (
        "connector.name=postgresql\n"
        "connection-url=jdbc:postgresql://db1.internal:5433/sales\n"
        "connection-user=app\n"
        "connection-password=s3cr@t\n"
    )
    assert catalogs["crm"].properties["connector.name"] == "mariadb"
    assert catalogs["crm"].properties["connection-url"] == "jdbc:mariadb://db2:3306"
    assert catalogs["erp"].properties["connection-url"] == (
        "jdbc:sqlserver://db3:1433;databaseName=erp;encrypt=false"
    )
    assert catalogs["hr"].properties["connection-url"] == "jdbc:oracle:thin:@//db4:1521/FREEPDB1"
    assert catalogs["lite"].skipped is not None


def test_the_cli_writes_private_files_and_never_prints_a_password(tmp_path, capsys):
    config = tmp_path / "fedgate.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: sales, url: 'postgresql+psycopg://app:${PW}@db1:5432/sales'}\n"
        "  - {name: lite, url: 'sqlite:///lite.sqlite'}\n",
        encoding="utf-8",
    )
    (tmp_path / "lite.sqlite").touch()
    out = tmp_path / "catalogs"

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PW", "hunter2-secret")
        code = main(["federation", "trino-catalogs", "--out", str(out), "--config", str(config)])

    printed = capsys.readouterr()
    assert code == 0
    written = out / "sales.properties"
    assert "connection-password=hunter2-secret" in written.read_text()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert not (out / "lite.properties").exists()
    assert "hunter2" not in printed.out + printed.err
    assert "sales.properties" in printed.err
    assert "lite: skipped" in printed.err


class FakeCoordinator(BaseHTTPRequestHandler):
    """Trino's statement protocol: POST the SQL, then two pages by nextUri."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(
            {"sql": self.rfile.read(length).decode(), "user": self.headers["X-Trino-User"]}
        )
        self._send({"id": "q1", "nextUri": self._uri("/v1/statement/q1/1")})

    def do_GET(self) -> None:
        columns = [
            {"name": "region", "type": "varchar"},
            {"name": "total", "type": "decimal(12,2)"},
        ]
        if self.path.endswith("/1"):
            page = {"columns": columns, "data": [["EU", "10.50"]], "nextUri": self._uri("/2")}
        else:
            page = {"columns": columns, "data": [["NA", "3.25"]]}
        self._send(page)

    def _uri(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return (
            f"http://{host!s}:{port}{path if path.startswith('/v1') else '/v1/statement/q1' + path}"
        )

    def _send(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def coordinator() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeCoordinator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeCoordinator.received.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_sql_goes_to_trino_rewritten_to_catalog_names(tmp_path, coordinator):
    settings = demo_with(tmp_path, engine="trino", trino_url=coordinator, trino_user="analyst")
    statement = (
        "SELECT c.country AS region, sum(o.total) AS total FROM shop.orders o "
        "JOIN shop.customers c ON c.id = o.customer_id WHERE o.status = ? GROUP BY 1"
    )
    with sql_client(settings) as client:
        response = client.post("/sql", json={"sql": statement, "params": ["paid"]})
        explained = client.post("/sql?explain=true", json={"sql": statement, "params": ["paid"]})

    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [["EU", "10.50"], ["NA", "3.25"]]
    (sent,) = FakeCoordinator.received
    assert sent["user"] == "analyst"
    assert sent["sql"] == (
        'SELECT c.country AS region, SUM(o.total) AS total FROM "shop"."main"."orders" AS o '
        'JOIN "shop"."main"."customers" AS c ON c.id = o.customer_id '
        "WHERE o.status = 'paid' GROUP BY 1 LIMIT 100001"
    )
    assert explained.json() == {"kind": "trino", "coordinator": coordinator, "sql": sent["sql"]}


def test_an_unreachable_coordinator_is_a_503(tmp_path):
    settings = demo_with(tmp_path, engine="trino", trino_url="http://127.0.0.1:9")
    with sql_client(settings) as client:
        response = client.post("/sql", json={"sql": "SELECT id FROM shop.orders"})

    assert response.status_code == 503
    assert "Trino" in response.json()["detail"]
