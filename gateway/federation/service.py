"""One statement end to end: scope check, parse, bind, access check, plan, run under limits.

Framework-free: the HTTP endpoint and the CLI both call `SqlService.run` in a worker
thread with a `CancelToken` they cancel when the client goes away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, overload

from cachetools import LRUCache

from config.errors import FedgateError
from gateway.auth.views import audit_hidden, visible_catalog
from gateway.federation.cached_reads import statement_reads
from gateway.federation.cancel import CancelToken
from gateway.federation.engine import DuckEngine
from gateway.federation.errors import SqlUnknownTableError
from gateway.federation.execute import execute_plan
from gateway.federation.fragment_cache import CacheKey, FragmentCache
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import Plan
from gateway.federation.planner import BoundStatement, bind_statement, build_plan
from gateway.federation.result import RenderedResult, Result
from gateway.federation.statement import MAX_KEPT_SQL, parse_statement
from gateway.query.access import current_access
from gateway.runtime import Runtime
from schema_cache.model import Catalog

log = logging.getLogger(__name__)
SQL_SCOPE = "sql"
PLAN_CACHE_SIZE = 256


def _statement_key(sql: str, params: Sequence[Any]) -> tuple[Any, ...]:
    return (sql, *(repr(p) for p in params))


class CatalogNotReadyError(FedgateError):
    code = "not_ready"


def _audit_hidden(sql: str, params: Sequence[Any], catalog: Catalog, configured: list[str]) -> None:
    """Audit a denial when every name the caller could not see exists (tables hidden from it)."""
    try:
        uses = bind_statement(parse_statement(sql, params), catalog, configured).table_uses()
    except FedgateError:
        return  # a name unknown to everyone: not an access decision
    audit_hidden(uses)


class SqlService:
    """The /sql surface of one gateway: its embedded DuckDB engine and limits."""

    def __init__(self, runtime: Runtime, limits: FederationLimits) -> None:
        self.runtime = runtime
        self.limits = limits
        self.engine = DuckEngine(runtime.connectors, limits)
        self._plans: LRUCache[tuple[Any, ...], Plan] = LRUCache(maxsize=PLAN_CACHE_SIZE)
        self._plans_lock = threading.Lock()
        self.fragments = FragmentCache(limits.cache_ttl_s, limits.cache_max_bytes, self._drop)
        # statement and values -> the cache key each fragment's read had (for explain)
        self._last_reads: LRUCache[tuple[Any, ...], dict[str, CacheKey]] = LRUCache(
            maxsize=PLAN_CACHE_SIZE
        )
        if self.fragments.enabled:
            runtime.cache.subscribe(self._on_new_catalog)

    def bind(self, sql: str, params: Sequence[Any]) -> BoundStatement:
        """Check the `sql` scope, parse, resolve every table among those the caller may
        read (`visible_catalog`), then check `read` on each one.

        Runs no SQL: a caller without the rights learns nothing about the sources' schemas.
        """
        access = current_access()
        access.require_scope(SQL_SCOPE)  # a refusal is audited like any other
        catalog = self.runtime.cache.catalog
        if not catalog.is_ready:
            raise CatalogNotReadyError("No schema snapshot yet: introspection is running.")
        statement = parse_statement(sql, params)
        configured = [s.name for s in self.runtime.settings.sources]
        # Names resolve among the tables the caller may read: one it may not is unknown.
        try:
            bound = bind_statement(statement, visible_catalog(catalog, access), configured)
        except SqlUnknownTableError:
            _audit_hidden(sql, params, catalog, configured)
            raise
        access.require(bound.table_uses())
        return bound

    def plan(self, sql: str, params: Sequence[Any]) -> Plan:
        """The plan of a statement; a shape already planned on the same source versions is
        reused with the new values (access is checked on every call, in `bind`)."""
        bound = self.bind(sql, params)
        key = (sql, tuple((b.source.name, b.source.version) for b in bound.bindings))
        with self._plans_lock:
            cached = self._plans.get(key)
        if cached is not None:
            return replace(cached, params=bound.statement.params)
        plan = build_plan(bound, route_for=self.engine.route_for, row_cap=self.limits.row_cap)
        if len(sql) <= MAX_KEPT_SQL:
            with self._plans_lock:
                self._plans[key] = plan
        return plan

    def clear(self) -> None:
        """Forget the cached plans and fragments."""
        with self._plans_lock:
            self._plans.clear()
        self.fragments.clear()

    def _on_new_catalog(self, _catalog: Catalog, changed: frozenset[str]) -> None:
        for source in changed:
            self.fragments.drop_source(source)

    def _drop(self, value: Any) -> None:
        if isinstance(value, str):  # a DuckDB table (a pushdown's rows need nothing)
            self.engine.drop_table(value)

    @overload
    def run(
        self, sql: str, params: Sequence[Any], token: CancelToken, *, fresh: bool = False
    ) -> Result: ...

    @overload
    def run(
        self,
        sql: str,
        params: Sequence[Any],
        token: CancelToken,
        *,
        rendered: bool,
        fresh: bool = False,
    ) -> Result | RenderedResult: ...

    def run(
        self,
        sql: str,
        params: Sequence[Any],
        token: CancelToken,
        *,
        rendered: bool = False,
        fresh: bool = False,
    ) -> Result | RenderedResult:
        """Plan and run one statement; the statement timeout cancels `token` (-> 504).

        Args:
            rendered: the answer goes out as JSON, CSV or NDJSON: a pushdown may come back
                rendered, without Arrow (`execute_plan`).
            fresh: read every source again, and refresh the fragment cache's entries
                (`Cache-Control: no-cache`).
        """
        plan = self.plan(sql, params)  # access is checked here, before any cache lookup
        timer = threading.Timer(self.limits.statement_timeout_s, token.cancel, ("timeout",))
        timer.daemon = True
        timer.start()
        exclude = self.limits.cache_exclude
        try:
            with statement_reads(self.fragments, self.engine, exclude, fresh) as reads:
                result = execute_plan(
                    plan, self.engine, self.limits, token, rendered=rendered, reads=reads
                )
                if reads is not None:
                    self._remember_reads(sql, params, reads.keys)
                return result
        finally:
            timer.cancel()

    def last_reads(self, sql: str, params: Sequence[Any]) -> dict[str, CacheKey]:
        """The cache key of each read the statement's last run made (empty: none known)."""
        with self._plans_lock:
            return self._last_reads.get(_statement_key(sql, params), {})

    def _remember_reads(self, sql: str, params: Sequence[Any], keys: dict[str, CacheKey]) -> None:
        key = _statement_key(sql, params)
        if sum(map(len, key)) > MAX_KEPT_SQL:  # a long statement or values: not kept
            return
        with self._plans_lock:
            self._last_reads[key] = dict(keys)

    def close(self) -> None:
        self.fragments.clear()
        self.engine.close()
