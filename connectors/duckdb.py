"""DuckDB, embedded (duckdb + duckdb_engine), with its extensions loaded offline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
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
        # it are cheap, so no pool keeps the file open between requests.
        return {
            "poolclass": NullPool,
            "connect_args": {
                "config": {
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                }
            },
        }

    def fetch_server_version(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT version()").scalar()).lstrip("v")

    def default_schema(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT current_schema()").scalar())

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        from connectors.duckdb_catalog import reflect_duckdb_catalog

        return reflect_duckdb_catalog(self, conn, progress)

    def type_sql_dialect(self) -> sa.Dialect:
        return self.engine.dialect
