"""Connectors registered by URL scheme, like SQLAlchemy's dialect registry."""

from __future__ import annotations

from config.settings import SourceSettings
from config.urls import url_scheme
from connectors.base import Connector
from connectors.duckdb import DuckDBConnector
from connectors.errors import UnsupportedDialectError
from connectors.mariadb import MariaDBConnector
from connectors.mssql import MSSQLConnector
from connectors.mysql import MySQLConnector
from connectors.oracle import OracleConnector
from connectors.postgresql import PostgreSQLConnector
from connectors.sqlite import SQLiteConnector

CONNECTORS: tuple[type[Connector], ...] = (
    PostgreSQLConnector,
    MySQLConnector,
    MariaDBConnector,
    MSSQLConnector,
    OracleConnector,
    SQLiteConnector,
    DuckDBConnector,
)
BY_SCHEME: dict[str, type[Connector]] = {
    scheme: connector for connector in CONNECTORS for scheme in connector.url_schemes
}


def get_connector_class(url: str) -> type[Connector]:
    scheme = url_scheme(url)
    try:
        return BY_SCHEME[scheme]
    except KeyError:
        supported = ", ".join(sorted(BY_SCHEME))
        raise UnsupportedDialectError(
            f"unsupported URL scheme '{scheme}'; supported: {supported}"
        ) from None


def build_connector(settings: SourceSettings) -> Connector:
    return get_connector_class(settings.url)(settings)
