"""Oracle through python-oracledb thin mode (compile-verified; live: FEDGATE_TEST_ORACLE_URL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import sqltypes

from connectors.base import Connector
from connectors.typemap import TypeInfo, build_type_info
from connectors.types import TypeFamily


class OracleConnector(Connector):
    dialect = "oracle"
    url_schemes = ("oracle+oracledb",)
    supports_returning = True  # RETURNING ... INTO
    upsert_form = "merge"
    supports_json_agg = True  # JSON_ARRAYAGG / JSON_OBJECT (12.2+)
    supports_identity = True
    supports_comments = True

    def engine_options(self) -> dict[str, Any]:
        options = super().engine_options()
        options["connect_args"] = {"tcp_connect_timeout": float(self.settings.connect_timeout_s)}
        return options

    def install_session_hooks(self, engine: Engine) -> None:
        timeout_ms = self.settings.statement_timeout_ms

        @sa.event.listens_for(engine, "connect")
        def set_call_timeout(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.call_timeout = timeout_ms  # every round trip, in milliseconds

    def default_schema(self, conn: Connection) -> str:
        return conn.dialect.default_schema_name or "system"

    def type_info(self, type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
        return oracle_type_info(type_, dialect)


def oracle_type_info(type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
    """Oracle spells integers as NUMBER(p,0) and has DATE with a time part."""
    info = build_type_info(type_, dialect)
    native = info.native_type
    if isinstance(type_, oracle.NUMBER):
        precision, scale = type_.precision, type_.scale
        if scale == 0 and precision is not None:
            family = TypeFamily.INTEGER if precision <= 9 else TypeFamily.BIGINT
            if precision > 18:
                family = TypeFamily.DECIMAL
            return TypeInfo(
                family,
                native,
                precision=precision if family is TypeFamily.DECIMAL else None,
                scale=0 if family is TypeFamily.DECIMAL else None,
            )
        return TypeInfo(TypeFamily.DECIMAL, native, precision=precision, scale=scale)
    if isinstance(type_, (oracle.BINARY_DOUBLE, oracle.BINARY_FLOAT)):
        return TypeInfo(TypeFamily.FLOAT, native)
    if isinstance(type_, oracle.DATE):  # Oracle DATE carries a time of day
        return TypeInfo(TypeFamily.DATETIME, native)
    if isinstance(type_, oracle.ROWID):
        return TypeInfo(TypeFamily.OTHER, native)
    if isinstance(type_, oracle.RAW):
        return TypeInfo(TypeFamily.BINARY, native, length=type_.length)
    if isinstance(type_, oracle.BFILE):
        return TypeInfo(TypeFamily.BINARY, native)
    if isinstance(type_, oracle.LONG):
        return TypeInfo(TypeFamily.TEXT, native)
    if isinstance(type_, oracle.VECTOR):
        return TypeInfo(TypeFamily.ARRAY, native, item_family=TypeFamily.FLOAT)
    if isinstance(type_, oracle.TIMESTAMP) and getattr(type_, "local_timezone", False):
        return TypeInfo(TypeFamily.DATETIME_TZ, native)
    return info
