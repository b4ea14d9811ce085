"""MySQL 8 through PyMySQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import sqltypes

from connectors.base import Connector, Progress
from connectors.gc_pause import gc_paused
from connectors.records import SourceRecord
from connectors.typemap import TypeInfo, build_type_info
from connectors.types import TypeFamily


class MySQLConnector(Connector):
    dialect = "mysql"
    url_schemes = ("mysql+pymysql",)
    upsert_form = "on_duplicate_key"
    supports_json_agg = True
    supports_comments = True

    def engine_options(self) -> dict[str, Any]:
        options = super().engine_options()
        options["connect_args"] = {
            "connect_timeout": self.settings.connect_timeout_s,
            "charset": "utf8mb4",
        }
        options["pool_recycle"] = 3600
        return options

    def install_session_hooks(self, engine: Engine) -> None:
        timeout_ms = int(self.settings.statement_timeout_ms)

        @sa.event.listens_for(engine, "connect")
        def set_timeout(dbapi_conn: Any, _record: Any) -> None:
            # A mysql:// URL may point at MariaDB, whose variable differs: ask the server.
            is_mariadb = "mariadb" in str(dbapi_conn.get_server_info()).lower()
            with dbapi_conn.cursor() as cursor:
                cursor.execute(statement_timeout_sql(timeout_ms, is_mariadb=is_mariadb))
                # TIMESTAMP columns are read and written in UTC, whatever the server's zone.
                cursor.execute("SET SESSION time_zone = '+00:00'")

    def type_info(self, type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
        info = build_type_info(type_, dialect)
        # MySQL has no boolean type: BOOLEAN is TINYINT(1), and so is every ORM's boolean.
        if isinstance(type_, mysql.TINYINT) and type_.display_width == 1:
            return TypeInfo(TypeFamily.BOOLEAN, info.native_type)
        if isinstance(type_, mysql.BIT) and (type_.length or 1) == 1:
            return TypeInfo(TypeFamily.BOOLEAN, info.native_type)
        if isinstance(type_, mysql.SET):
            return TypeInfo(TypeFamily.OTHER, info.native_type)
        if isinstance(type_, mysql.TIMESTAMP):
            # TIMESTAMP values are stored in UTC and converted to the session time zone.
            return TypeInfo(TypeFamily.DATETIME_TZ, info.native_type)
        return info

    def default_schema(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT DATABASE()").scalar() or "")

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        from connectors.mysql_catalog import reflect_information_schema

        with gc_paused():  # rows and records in bulk, no cycles: see connectors/gc_pause.py
            return reflect_information_schema(self, conn, progress)


def statement_timeout_sql(timeout_ms: int, *, is_mariadb: bool) -> str:
    if is_mariadb:  # seconds, and it bounds every statement
        return f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"
    return f"SET SESSION max_execution_time = {timeout_ms}"  # milliseconds, SELECTs only
