"""One statement's reads through the fragment cache: the key of each read, a cached
fragment made a view of its DuckDB table (a hit copies nothing), a miss read into a new
table of the cache's schema, a pushdown's rows kept as fetched; hits and misses counted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import count
from typing import Any, TypeVar

from gateway.federation.engine import CACHE_SCHEMA, DuckEngine, Session
from gateway.federation.fragment_cache import CacheKey, Entry, FragmentCache
from gateway.federation.plan import SCANNER_ROUTES, Fragment, Plan
from gateway.federation.resolve import Binding
from gateway.query.write_counts import get_write_count

T = TypeVar("T")
_names = count(1)
_FIXED_WIDTH = {"BOOLEAN": 1, "TINYINT": 1, "SMALLINT": 2, "INTEGER": 4, "DATE": 4, "FLOAT": 4}
_SAMPLE_ROWS = 64


class StatementReads:
    """Reads of one statement; `counts` go to the `X-Fedgate-Cache` header.

    Args:
        fresh: `Cache-Control: no-cache`: read every fragment from its source and replace
            its entry.
    """

    def __init__(
        self, cache: FragmentCache, engine: DuckEngine, exclude: frozenset[str], fresh: bool
    ) -> None:
        self.cache = cache
        self.engine = engine
        self.exclude = exclude
        self.fresh = fresh
        self.counts = {"hit": 0, "miss": 0, "refresh": 0}
        self.reads: dict[str, str] = {}  # fragment -> hit | miss | refresh
        self.keys: dict[str, CacheKey] = {}  # fragment (or "pushdown") -> the key it read
        self._leases: list[Entry] = []
        self._views: dict[str, Entry] = {}  # view name -> the entry it shows

    def caches(self, source: str) -> bool:
        return source not in self.exclude

    def fragment_key(
        self, fragment: Fragment, values: dict[int, Any], limit: int | None
    ) -> CacheKey:
        attached = fragment.binding.name.source if fragment.route in SCANNER_ROUTES else None
        sql, params = fragment.render(values, attached, limit=limit)
        return self._key(
            fragment.binding, (fragment.binding,), f"{fragment.route}\n{sql}\n{params!r}"
        )

    def read_fragment(
        self, session: Session, name: str, key: CacheKey, produce: Callable[[str], None]
    ) -> None:
        """Make `name` a temporary view of the rows of `key`: the cached table, or a new one
        `produce(table)` creates (`CREATE TABLE <table> AS ...`)."""
        self.keys[name] = key
        entry = None if self.fresh else self._lease(key)
        self._count(name, entry)
        if entry is None:
            table = f'{CACHE_SCHEMA}."f{next(_names)}"'
            try:
                produce(table)
                size = table_bytes(session, table)
            except BaseException:
                self.engine.drop_table(table)  # on its own cursor: this one may be interrupted
                raise
            entry = self._keep(key, table, size)
        self._views[name] = entry
        session.cursor.execute(f'CREATE TEMP VIEW "{name}" AS SELECT * FROM {entry.value}')

    def remembered(self, name: str, fact: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, a fact about the rows of view `name`, kept with its cache entry (the
        rows of an entry never change: a bind join's probe count and keys are found once)."""
        entry = self._views.get(name)
        if entry is None:
            return compute()
        if fact not in entry.derived:
            entry.derived[fact] = compute()
        value: T = entry.derived[fact]
        return value

    def read_rows(
        self, plan: Plan, sql: str, binds: Any, fetch: Callable[[], list[Sequence[Any]]]
    ) -> list[Sequence[Any]]:
        """A pushdown's row batches: cached, or `fetch()`ed and kept."""
        assert plan.pushdown is not None
        key = self._key(plan.pushdown.binding, plan.bindings, f"pushdown\n{sql}\n{binds!r}")
        self.keys["pushdown"] = key
        entry = None if self.fresh else self._lease(key)
        self._count("pushdown", entry)
        if entry is None:
            batches = fetch()
            entry = self._keep(key, batches, rows_bytes(batches))
        rows: list[Sequence[Any]] = entry.value
        return rows

    def trace(self) -> dict[str, Any]:
        return {**self.counts, "reads": dict(self.reads)}

    def release(self) -> None:
        leases, self._leases = self._leases, []
        for entry in leases:
            self.cache.release(entry)

    def _key(self, first: Binding, bindings: Sequence[Binding], text: str) -> CacheKey:
        source = first.name.source
        connector = self.engine.connectors[source]
        tables = sorted(
            {
                (
                    b.table.schema,
                    b.table.name,
                    get_write_count(connector, b.table.schema, b.table.name),
                )
                for b in bindings
            }
        )
        return CacheKey(source, first.source.version, tuple(tables), text)

    def _lease(self, key: CacheKey) -> Entry | None:
        entry = self.cache.lease(key)
        if entry is not None:
            self._leases.append(entry)
        return entry

    def _keep(self, key: CacheKey, value: Any, size: int) -> Entry:
        entry = self.cache.put(key, value, size)
        self._leases.append(entry)
        return entry

    def _count(self, name: str, hit: Entry | None) -> None:
        outcome = "hit" if hit is not None else "refresh" if self.fresh else "miss"
        self.counts[outcome] += 1
        self.reads[name] = outcome


def explain_states(
    cache: FragmentCache,
    engine: DuckEngine,
    exclude: frozenset[str],
    plan: Plan,
    probe_rows: int,
    last: dict[str, CacheKey] | None = None,
) -> dict[str, str]:
    """Per fragment (or `pushdown`): `hit` when the cache holds its read now, else `miss`;
    `off` without a cache, `excluded` for a source never cached. A fragment a bind join
    may probe counts as held when its probe (at most `probe_rows` + 1 rows) is; one a bind
    join cut (its key list is only known when the statement runs) when the read the last
    run of the same statement made (`last`: fragment -> key) is."""
    last = last or {}
    reads = StatementReads(cache, engine, exclude, fresh=False)
    values = plan.values()

    def state(source: str, *keys: CacheKey) -> str:
        if not cache.enabled:
            return "off"
        if not reads.caches(source):
            return "excluded"
        return "hit" if any(cache.contains(k) for k in keys) else "miss"

    if plan.pushdown is not None:
        sql, binds = plan.pushdown.render(values)
        key = reads._key(plan.pushdown.binding, plan.bindings, f"pushdown\n{sql}\n{binds!r}")
        return {"pushdown": state(plan.pushdown.source, key, *last.values())}
    states = {}
    for fragment in plan.fragments:
        keys = [reads.fragment_key(fragment, values, None)]
        keys += [last[fragment.key]] if fragment.key in last else []
        if fragment.is_filtered:
            probe = fragment
            if probe.route == "postgres_scanner":
                probe = replace(probe, route="postgres_query")
            keys.append(reads.fragment_key(probe, values, probe_rows + 1))
        states[fragment.key] = state(fragment.binding.name.source, *keys)
    return states


@contextmanager
def statement_reads(
    cache: FragmentCache | None, engine: DuckEngine, exclude: frozenset[str], fresh: bool
) -> Iterator[StatementReads | None]:
    """The statement's reads through `cache`, released at the end; None without a cache."""
    if cache is None or not cache.enabled:
        yield None
        return
    reads = StatementReads(cache, engine, exclude, fresh)
    try:
        yield reads
    finally:
        reads.release()


def table_bytes(session: Session, table: str) -> int:
    """Estimated bytes DuckDB holds for `table`: a fixed width per value, plus the length
    of each text, blob or nested value."""
    widths = 0
    lengths = []
    for name, type_name, *_ in session.cursor.execute(f"DESCRIBE {table}").fetchall():
        kind = str(type_name).upper()
        quoted = '"' + str(name).replace('"', '""') + '"'
        if kind in _FIXED_WIDTH:
            widths += _FIXED_WIDTH[kind]
        elif kind == "VARCHAR":
            widths += 16
            lengths.append(f"coalesce(sum(strlen({quoted})), 0)")
        elif kind == "BLOB":
            widths += 16
            lengths.append(f"coalesce(sum(octet_length({quoted})), 0)")
        elif kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION", "JSON")):
            widths += 16
            lengths.append(f"coalesce(sum(strlen(CAST({quoted} AS VARCHAR))), 0)")
        else:
            widths += 16 if kind.startswith(("DECIMAL", "HUGEINT", "UUID", "INTERVAL")) else 8
    row = session.cursor.execute(f"SELECT {', '.join(['count(*)', *lengths])} FROM {table}")
    counted = row.fetchone()
    assert counted is not None
    return int(counted[0]) * widths + sum(int(v) for v in counted[1:])


def rows_bytes(batches: list[Sequence[Any]]) -> int:
    """Estimated bytes of a pushdown's rows (Python objects), from a sample of them."""
    rows = [row for batch in batches for row in batch]
    if not rows:
        return 64
    step = max(1, len(rows) // _SAMPLE_ROWS)
    sample = rows[::step]
    sampled = sum(sys.getsizeof(row) + sum(sys.getsizeof(v) for v in row) for row in sample)
    return 64 + sampled * len(rows) // len(sample)
