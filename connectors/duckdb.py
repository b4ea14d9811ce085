"""DuckDB, embedded (duckdb + duckdb_engine), with its extensions loaded offline."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from connectors.base import Connector, Progress
from connectors.records import SourceRecord


class DuckDBConnector(Connector):
    dialect = "duckdb"
    url_schemes = ("duckdb",)
    supports_returning = True
    upsert_form = "on_conflict"
    supports_ilike = True
    supports_json_agg = True
    supports_comments = True
    embedded = True

    def engine_options(self) -> dict[str, Any]:
        # One DuckDB file may be opened read-write by one process only; connections to
        # it are cheap, so no pool keeps the file open between requests (other processes,
        # e.g. `fedgate refresh`, can open it then). `install_session_hooks` shares one
        # database instance among the connections in use at the same time.
        return {
            "poolclass": NullPool,
            "connect_args": {
                "config": {
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                }
            },
        }

    def install_session_hooks(self, engine: Engine) -> None:
        shared = _SharedDatabase()
        event.listen(engine, "do_connect", shared.open)
        event.listen(engine, "close", shared.release)
        event.listen(engine, "close_detached", shared.release_detached)

    def fetch_server_version(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT version()").scalar()).lstrip("v")

    def default_schema(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT current_schema()").scalar())

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        from connectors.duckdb_catalog import reflect_duckdb_catalog

        return reflect_duckdb_catalog(self, conn, progress)

    def type_sql_dialect(self) -> sa.Dialect:
        return self.engine.dialect


class _SharedDatabase:
    """One DuckDB database instance while any connection to the file is open.

    DuckDB refuses to open a file that this process is still closing ("Unique file
    handle conflict"): with a connection opened and closed per request, concurrent
    requests race. Connections in use at once are children (`cursor()`) of one root;
    the last one returned closes the root, releasing the file.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._root: Any = None
        self._children = 0

    def open(self, dialect: sa.Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        from duckdb_engine import ConnectionWrapper

        with self._lock:
            if self._root is None:
                self._root = dialect.connect(*cargs, **cparams)
            self._children += 1
            try:
                return ConnectionWrapper(self._root._ConnectionWrapper__c.cursor())
            except BaseException:
                self._release_locked()
                raise

    def release(self, _dbapi_connection: Any, _record: Any) -> None:
        with self._lock:
            self._release_locked()

    def release_detached(self, _dbapi_connection: Any) -> None:
        with self._lock:
            self._release_locked()

    def _release_locked(self) -> None:
        self._children -= 1
        if self._children == 0 and self._root is not None:
            self._root.close()
            self._root = None
