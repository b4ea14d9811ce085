"""Statements built once per request shape, and their SQL compiled once per connection dialect.

`StatementCache.prepare` builds a shape's Core statement on first use (values
as `shapes.Slot` parameters) and keeps it in a bounded LRU, keyed by the
source, its model version and the shape, so a changed model never meets an
old statement. A request then only types its values against the model (the
same 422s as before SQL runs) and executes: on PostgreSQL the compiled SQL
string goes to the driver as is (`exec_driver_sql`), elsewhere SQLAlchemy's
own compiled cache serves the statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.compiler import SQLCompiler

from gateway.query.coerce import coerce_for
from gateway.query.shapes import SlotUse, start_building, stop_building

DRIVER_SQL_DIALECTS = ("postgresql",)


class Prepared:
    """One shape's statement, the slots it binds, and its compiled SQL (made on first run)."""

    __slots__ = ("_checked", "_compiled", "_defaults", "_processors", "slots", "statement")

    def __init__(self, statement: sa.Select[Any], slots: tuple[SlotUse, ...]) -> None:
        self.statement = statement
        self.slots = slots
        self._compiled: SQLCompiler | None = None
        self._checked = False
        self._defaults: dict[str, Any] = {}
        self._processors: dict[str, Callable[[Any], Any]] = {}

    def params(self, values: tuple[Any, ...]) -> dict[str, Any]:
        """The request's values typed against their columns (422 naming the first misfit)."""
        return {
            f"__v{use.index}": coerce_for(use.model, use.column, values[use.index], use.parameter)
            for use in self.slots
        }

    def run(self, conn: Connection, params: dict[str, Any]) -> Sequence[Row[Any]]:
        call = self.driver_call(conn.dialect, params)
        if call is not None:
            return conn.exec_driver_sql(*call).all()
        return conn.execute(self.statement, params).all()

    def driver_call(
        self, dialect: sa.Dialect, params: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        """The SQL string and parameters to hand the driver as they are, on the dialects that
        take them so (None elsewhere, or when SQLAlchemy must expand the statement)."""
        if dialect.name not in DRIVER_SQL_DIALECTS:
            return None
        compiled = self._compiled if self._checked else self._compile(dialect)
        if compiled is None:
            return None
        bound = {**self._defaults, **params}
        for name, process in self._processors.items():
            bound[name] = process(bound[name])
        return compiled.string, bound

    def _compile(self, dialect: sa.Dialect) -> SQLCompiler | None:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        self._checked = True
        if (
            compiled.positional
            or getattr(compiled, "post_compile_params", None)
            or getattr(compiled, "literal_execute_params", None)
        ):
            return None  # SQLAlchemy expands these per execution: let it run the statement
        self._defaults = dict(compiled.construct_params(_check=False) or {})
        self._processors = {
            name: process
            for name, process in getattr(compiled, "_bind_processors", {}).items()
            if name in self._defaults and callable(process)
        }
        self._compiled = compiled
        return compiled


class StatementCache:
    """Prepared statements per shape key; bounded, least recently used out first."""

    def __init__(self, maxsize: int = 512) -> None:
        self._cache: LRUCache[Hashable, Any] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def prepare(
        self, key: Hashable, values: int, build: Callable[[], sa.Select[Any]]
    ) -> Prepared | None:
        """The statement for `key`, built once; None when the statement did not bind every
        one of its `values` slots (the caller then builds with the values themselves)."""
        if not _hashable(key):
            return None
        found = self._get(key)
        if found is not None:
            return found
        uses, token = start_building()
        try:
            statement = build()
        finally:
            stop_building(token)
        if set(uses) != set(range(values)):
            return None
        prepared = Prepared(statement, tuple(uses[i] for i in sorted(uses)))
        with self._lock:
            self._cache[key] = prepared
        return prepared

    def _get(self, key: Hashable) -> Any:
        with self._lock:
            return self._cache.get(key)

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _hashable(key: Hashable) -> bool:
    """False when a value left in the shape (a JSON object, say) cannot be a key."""
    try:
        hash(key)
    except TypeError:
        return False
    return True
