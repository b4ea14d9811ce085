"""Microsoft SQL Server through pymssql (compile-verified; live with FEDGATE_TEST_MSSQL_URL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes

from connectors.base import Connector
from connectors.typemap import TypeInfo, build_type_info
from connectors.types import TypeFamily


class MSSQLConnector(Connector):
    dialect = "mssql"
    url_schemes = ("mssql+pymssql",)
    supports_returning = True  # OUTPUT inserted.*
    upsert_form = "merge"
    supports_json_agg = True  # FOR JSON PATH
    supports_identity = True
    supports_comments = True  # MS_Description extended properties

    def engine_options(self) -> dict[str, Any]:
        options = super().engine_options()
        options["connect_args"] = {
            "login_timeout": self.settings.connect_timeout_s,
            "timeout": max(1, self.settings.statement_timeout_ms // 1000),
        }
        return options

    def default_schema(self, conn: Connection) -> str:
        return conn.dialect.default_schema_name or "dbo"

    def type_info(self, type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
        info = build_type_info(type_, dialect)
        if isinstance(type_, mssql.TIMESTAMP):  # ROWVERSION: an opaque 8-byte counter
            return TypeInfo(TypeFamily.BINARY, info.native_type, length=8)
        if isinstance(type_, mssql.DATETIMEOFFSET):
            return TypeInfo(TypeFamily.DATETIME_TZ, info.native_type)
        if isinstance(type_, mssql.SQL_VARIANT):
            return TypeInfo(TypeFamily.OTHER, info.native_type)
        if isinstance(type_, (mssql.NTEXT, mssql.TEXT)):
            return TypeInfo(TypeFamily.TEXT, info.native_type)
        return info
