"""The gateway's embedded DuckDB: one in-memory database, its limits, and the sources
ATTACHed read-only to it (shared by every request; each request has its own cursor)."""

from __future__ import annotations

import importlib.util
import itertools
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connectors.base import Connector
from connectors.errors import SourceUnavailableError, classify_reason
from connectors.types import TypeFamily
from gateway.federation.coltypes import is_exact_on_scanner
from gateway.federation.cx_fetch import CONNECTORX_DIALECTS, is_exact_on_connectorx
from gateway.federation.duckdb_ext import OFFLINE_CONFIG, has_extension, load_extension
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import ATTACHED_ROUTES, Route
from gateway.federation.resolve import Binding
from gateway.settings_source import fedgate_home
from schema_cache.model import Column

if TYPE_CHECKING:  # imported when the database is first needed: pushdowns never load it
    import duckdb

log = logging.getLogger(__name__)
EXTENSION_BY_DIALECT = {
    "postgresql": "postgres_scanner",
    "mysql": "mysql_scanner",
    "mariadb": "mysql_scanner",
    "sqlite": "sqlite_scanner",
}
CONNECT_TIMEOUT_S = 10
CACHE_SCHEMA = "fedgate_cache"


@dataclass
class _Attachment:
    alias: str
    version: str
    users: int = 0
    stale: bool = False


@dataclass
class Session:
    """One request's DuckDB cursor and the attached catalog of each source it reads."""

    cursor: duckdb.DuckDBPyConnection
    aliases: dict[str, str] = field(default_factory=dict)


class DuckEngine:
    def __init__(self, connectors: dict[str, Connector], limits: FederationLimits) -> None:
        self.connectors = connectors
        self.limits = limits
        self._root: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._loaded: set[str] = set()
        self._current: dict[str, _Attachment] = {}
        self._by_alias: dict[str, _Attachment] = {}
        self._names = itertools.count(1)

    def route_for(self, binding: Binding, columns: tuple[Column, ...]) -> Route:
        """The fastest route that reads `columns` of the table exactly."""
        dialect = binding.source.dialect
        database = self._file(binding.name.source)
        if dialect == "duckdb":
            return "duckdb_native" if database else "driver"
        if dialect in CONNECTORX_DIALECTS and has_connectorx():
            if all(is_exact_on_connectorx(c) for c in columns):
                return "connectorx"  # ~2.7x DuckDB's mysql scanner (docs/federation.md)
            return "driver"
        if dialect in CONNECTORX_DIALECTS and any(c.family is TypeFamily.TIME for c in columns):
            return "driver"  # the mysql scanner reads TIME as text ("12:00:00.25")
        extension = EXTENSION_BY_DIALECT.get(dialect)
        if extension is None or not has_extension(extension):
            return "driver"
        if dialect == "sqlite":
            return "sqlite_scanner" if database else "driver"
        if not all(is_exact_on_scanner(c) for c in columns):
            return "driver"
        if extension == "mysql_scanner":
            return "mysql_scanner"
        # postgres_query(): the whole fragment runs in PostgreSQL (the scanner pushes only
        # column-against-constant filters, never a LIMIT on its parallel scan, nor a column
        # comparison such as TPC-H Q21's l_commitdate < l_receiptdate)
        return "postgres_query"

    @contextmanager
    def session(self, leases: Iterable[Binding]) -> Iterator[Session]:
        """A cursor with the given tables' sources attached for the duration of the block."""
        with self._lock:
            cursor = self._database().cursor()
        session = Session(cursor)
        try:
            for binding in leases:
                if binding.name.source not in session.aliases:
                    session.aliases[binding.name.source] = self._lease(binding)
            yield session
        finally:
            cursor.close()
            for alias in session.aliases.values():
                self._release(alias)

    def drop_table(self, name: str) -> None:
        """Drop a table of the engine's own database (a fragment cache's entry)."""
        with self._lock:
            if self._root is None:
                return
            cursor = self._root.cursor()
        try:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._root is not None:
                self._root.close()
                self._root = None
            self._current.clear()
            self._by_alias.clear()
            self._loaded.clear()

    def _database(self) -> duckdb.DuckDBPyConnection:
        if self._root is None:
            limits = self.limits
            temp = limits.temp_directory or fedgate_home() / "duckdb-tmp"
            temp.mkdir(parents=True, exist_ok=True)  # DuckDB creates one level only
            config: dict[str, str | bool | int | float | list[str]] = {
                **OFFLINE_CONFIG,
                "memory_limit": limits.memory_limit,
                "temp_directory": str(temp),
                "max_temp_directory_size": limits.max_temp_directory_size,
                "python_enable_replacements": False,  # no Python variable is ever a table
            }
            if limits.threads:
                config["threads"] = limits.threads
            import duckdb

            self._root = duckdb.connect(":memory:", config=config)
            self._root.execute("SET GLOBAL TimeZone = 'UTC'")
            # the fragment cache's tables (made here once: concurrent CREATE SCHEMA conflict)
            self._root.execute(f"CREATE SCHEMA {CACHE_SCHEMA}")
        return self._root

    def _lease(self, binding: Binding) -> str:
        source = binding.source
        with self._lock:
            current = self._current.get(source.name)
            if current is not None and current.version == source.version and not current.stale:
                current.users += 1
                return current.alias
            alias = f"fg_{next(self._names)}"
            self._attach(alias, source.name, source.dialect)
            attachment = _Attachment(alias, source.version, users=1)
            if current is not None:
                current.stale = True
                self._detach_if_unused(current)
            self._current[source.name] = attachment
            self._by_alias[alias] = attachment
            return alias

    def _release(self, alias: str) -> None:
        with self._lock:
            attachment = self._by_alias.get(alias)
            if attachment is not None:
                attachment.users -= 1
                self._detach_if_unused(attachment)

    def _detach_if_unused(self, attachment: _Attachment) -> None:
        if attachment.users > 0 or not attachment.stale:  # sources stay attached until stale
            return
        self._by_alias.pop(attachment.alias, None)
        for name, current in list(self._current.items()):
            if current is attachment:
                del self._current[name]
        if self._root is not None:
            import duckdb  # loaded already: the root exists

            try:
                self._root.execute(f'DETACH DATABASE IF EXISTS "{attachment.alias}"')
            except duckdb.Error:
                log.warning("could not detach %s", attachment.alias, exc_info=True)

    def _attach(self, alias: str, source: str, dialect: str) -> None:
        import duckdb

        root = self._database()
        extension = EXTENSION_BY_DIALECT.get(dialect)
        if extension and extension not in self._loaded:
            load_extension(root, extension)
            self._loaded.add(extension)
        try:
            root.execute(self._attach_sql(alias, source, dialect))
        except duckdb.Error as exc:
            root.execute(f'DETACH DATABASE IF EXISTS "{alias}"')
            raise SourceUnavailableError(source, _attach_reason(exc)) from exc

    def _attach_sql(self, alias: str, source: str, dialect: str) -> str:
        url = sa.make_url(self.connectors[source].settings.url)
        if dialect == "sqlite":
            return f'ATTACH {_literal(url.database or "")} AS "{alias}" (READ_ONLY, TYPE sqlite)'
        kind = "postgres" if dialect == "postgresql" else "mysql"
        secret = f"{alias}_secret"
        parts = {
            "HOST": _literal(url.host or "localhost"),
            "PORT": str(int(url.port or (5432 if kind == "postgres" else 3306))),
            "DATABASE": _literal(url.database or ""),
            "USER": _literal(url.username or ""),
            "PASSWORD": _literal(url.password or ""),
        }
        options = ", ".join(f"{k} {v}" for k, v in parts.items())
        self._database().execute(f"CREATE OR REPLACE SECRET {secret} (TYPE {kind}, {options})")
        extra = f"connect_timeout={CONNECT_TIMEOUT_S}" if kind == "postgres" else ""
        if kind == "postgres":
            extra += "".join(f" {k}={_libpq(str(v))}" for k, v in url.query.items())
        return f'ATTACH {_literal(extra)} AS "{alias}" (TYPE {kind}, SECRET {secret}, READ_ONLY)'

    def _file(self, source: str) -> str | None:
        connector = self.connectors.get(source)
        if connector is None:
            return None
        database = sa.make_url(connector.settings.url).database
        return None if not database or database == ":memory:" else database


@cache
def has_connectorx() -> bool:
    return importlib.util.find_spec("connectorx") is not None


def uses_attachment(route: Route) -> bool:
    return route in ATTACHED_ROUTES


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _libpq(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _attach_reason(exc: duckdb.Error) -> str:
    text = str(exc)
    if "lock" in text.lower() or "file handle conflict" in text.lower():
        return "the database file is in use by another connection"
    return classify_reason(exc)
