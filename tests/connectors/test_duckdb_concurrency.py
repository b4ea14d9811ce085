"""Concurrent requests on one DuckDB file share one database instance.

DuckDB lets one process open a file read-write once; a connection opened while
the last one is closing hits "Unique file handle conflict". The connector keeps
the database open while any connection is in use and closes the file when the
last one is returned, so other processes can open it between requests.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.registry import build_connector

THREADS = 8
QUERIES = 40


def _database(tmp_path: Path) -> Path:
    path = tmp_path / "shared.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE t AS SELECT range AS id FROM range(1000)")
    return path


def test_threads_query_one_file_without_conflicts(tmp_path: Path) -> None:
    path = _database(tmp_path)
    connector = build_connector(SourceSettings(name="d", url=f"duckdb:///{path}"))
    errors: list[BaseException] = []
    totals: list[int] = []

    def work() -> None:
        for _ in range(QUERIES):
            try:
                with connector.connect() as conn:
                    totals.append(conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one())
            except BaseException as exc:  # collected: the assertion names them
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connector.dispose()
    assert errors == []
    assert totals == [1000] * (THREADS * QUERIES)


def test_the_file_is_released_between_requests(tmp_path: Path) -> None:
    path = _database(tmp_path)
    connector = build_connector(SourceSettings(name="d", url=f"duckdb:///{path}"))
    with connector.connect() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (1000)"))
        conn.commit()
    # Another process (here: a separate database instance) can open the file now.
    with duckdb.connect(str(path), config={"access_mode": "READ_ONLY"}) as other:
        assert other.execute("SELECT count(*) FROM t").fetchone() == (1001,)
    connector.dispose()


def test_concurrent_rest_reads_of_one_file(tmp_path: Path) -> None:
    """Through the gateway, as users see it: every concurrent read answers 200."""
    from dataclasses import replace

    from starlette.testclient import TestClient

    from config.settings import AuthSettings, SchemaCacheSettings, Settings
    from gateway.app import create_app

    path = _database(tmp_path)
    settings = Settings(
        sources=(SourceSettings(name="d", url=f"duckdb:///{path}"),),
        schema_cache=SchemaCacheSettings(snapshot_path=str(tmp_path / "snapshot.json")),
    )
    app = create_app(replace(settings, auth=AuthSettings(enabled=False)), background_refresh=False)
    statuses: list[int] = []
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()

        def work() -> None:
            for _ in range(QUERIES):
                statuses.append(client.get("/rest/d/t?limit=20&order=id").status_code)

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * (THREADS * QUERIES)
