"""How a fragment's rows get into a statement's DuckDB session: fetched as Arrow through
its source's driver and stored as a table, or through the fragment cache (`cached_reads`),
where a scanner fragment is read whole into a cached table."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.federation.cached_reads import StatementReads
from gateway.federation.cancel import CancelToken
from gateway.federation.engine import DuckEngine, Session
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import FETCH_ROUTES, Fragment
from gateway.federation.sqlgen import render_duckdb

if TYPE_CHECKING:  # Arrow is loaded by the federated path only
    import pyarrow as pa

T = TypeVar("T")


def store_arrow(session: Session, key: str, table: pa.Table, target: str | None = None) -> None:
    """A fetched Arrow table as a temporary table `key` (or as the table `target`): DuckDB
    estimates a registered Arrow table at one row (and may then pick a join order that
    multiplies rows), a table's row count is exact."""
    view = f"{key}_arrow"
    session.cursor.register(view, table)
    try:
        into = target or f'TEMP TABLE "{key}"'
        session.cursor.execute(f'CREATE {into} AS SELECT * FROM "{view}"')
    finally:
        session.cursor.unregister(view)


@dataclass
class FragmentReader:
    """What reading a fragment needs; through the fragment cache when `reads` is set."""

    engine: DuckEngine
    session: Session
    values: dict[int, Any]
    limits: FederationLimits
    token: CancelToken
    reads: StatementReads | None

    def remembered(self, name: str, fact: Hashable, compute: Callable[[], T]) -> T:
        return compute() if self.reads is None else self.reads.remembered(name, fact, compute)

    def caches(self, fragment: Fragment) -> bool:
        return self.reads is not None and self.reads.caches(fragment.binding.name.source)

    def read(self, fragment: Fragment, limit: int | None = None) -> None:
        """The fragment's rows as the view `fragment.key`, from the cache or its source."""
        assert self.reads is not None
        if limit is not None and fragment.route == "postgres_scanner":
            fragment = replace(fragment, route="postgres_query")  # see _probe
        key = self.reads.fragment_key(fragment, self.values, limit)
        self.reads.read_fragment(
            self.session, fragment.key, key, partial(self._into, fragment, limit)
        )

    def _into(self, fragment: Fragment, limit: int | None, target: str) -> None:
        if fragment.route in FETCH_ROUTES:
            fetched = fetch_driver(
                self.engine, fragment, self.values, self.limits, self.token, limit
            )
            store_arrow(self.session, fragment.key, fetched, f"TABLE {target}")
            return
        alias = self.session.aliases[fragment.binding.name.source]
        sql, params = render_duckdb(fragment.reader(alias, self.values, limit=limit), self.values)
        self.session.cursor.execute(f"CREATE TABLE {target} AS {sql}", params)


def read_cached(
    reader: FragmentReader,
    fragments: dict[str, Fragment],
    materialized: set[str],
    shared: dict[str, str],
) -> None:
    """Every fragment of a cached source read through the cache (so scanner fragments are
    read whole, not inline); a fetched fragment sharing another's read is a view of it."""
    for fragment in fragments.values():
        if fragment.key not in materialized | shared.keys() and reader.caches(fragment):
            reader.read(fragment)
            materialized.add(fragment.key)
    for key, read in shared.items():
        if (
            key not in materialized
            and read in materialized
            and fragments[key].route in FETCH_ROUTES
        ):
            reader.session.cursor.execute(f'CREATE TEMP VIEW "{key}" AS SELECT * FROM "{read}"')
            materialized.add(key)


def fetch_driver(
    engine: DuckEngine,
    fragment: Fragment,
    values: dict[int, Any],
    limits: FederationLimits,
    token: CancelToken,
    max_rows: int | None,
) -> pa.Table:
    from gateway.federation.arrow_fetch import fetch_arrow
    from gateway.federation.cx_fetch import fetch_connectorx
    from gateway.federation.duckdb_fetch import fetch_duckdb_native

    sql, binds = fragment.render(values, limit=max_rows)
    connector = engine.connectors[fragment.binding.name.source]
    if fragment.route == "connectorx":
        return fetch_connectorx(connector, sql, fragment.columns, token)
    if fragment.route == "duckdb_native":
        return fetch_duckdb_native(connector, sql, binds, fragment.columns, token)
    return fetch_arrow(
        engine.connectors[fragment.binding.name.source],
        sql,
        binds,
        fragment.columns,
        [c.name for c in fragment.columns],
        max_rows=max_rows,
        batch_rows=limits.fetch_batch_rows,
        token=token,
    )
