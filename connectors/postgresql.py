"""PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from connectors.base import Connector, Progress
from connectors.gc_pause import gc_paused
from connectors.records import SourceRecord


class PostgreSQLConnector(Connector):
    dialect = "postgresql"
    url_schemes = ("postgresql", "postgresql+psycopg")
    supports_returning = True
    upsert_form = "on_conflict"
    supports_ilike = True
    supports_json_agg = True
    supports_identity = True
    supports_comments = True
    loop_driver = "psycopg_async"

    def engine_options(self) -> dict[str, Any]:
        from connectors.postgresql_interval import interval_context  # imports psycopg

        options = super().engine_options()
        timeout = self.settings.statement_timeout_ms
        options["connect_args"] = {
            "connect_timeout": self.settings.connect_timeout_s,
            "options": f"-c statement_timeout={timeout}",
            "application_name": "fedgate",
            # intervals keep their months, days and time apart (postgresql_interval)
            "context": interval_context(),
        }
        return options

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        # pg_catalog in four queries, each type mapped once (the Inspector maps every column's).
        from connectors.postgresql_catalog import fetch_catalog
        from connectors.postgresql_records import build_tables
        from connectors.postgresql_types import TypeMapper

        default_schema = self.default_schema(conn)
        with gc_paused():  # some 500,000 rows and records, no cycles: see connectors/gc_pause.py
            # The catalog rows are freed before the pause ends: the collection that follows
            # then walks only the records.
            tables = build_tables(
                fetch_catalog(conn, self.schemas_to_reflect(conn), self.settings, progress),
                TypeMapper(self, conn.dialect),
                default_schema,
            )
        return SourceRecord(
            dialect=self.dialect,
            server_version=self.fetch_server_version(conn),
            default_schema=default_schema,
            tables=tables,
        )
