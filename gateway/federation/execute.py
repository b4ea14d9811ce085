"""Run a plan: a pushdown through the source's driver, or fragments (scanners inline in the
residual query, driver fragments registered as Arrow tables) joined in DuckDB."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from config.errors import FedgateError
from connectors.errors import SourceUnavailableError
from gateway.federation.cached_reads import StatementReads
from gateway.federation.cancel import CancelledError, CancelToken
from gateway.federation.engine import DuckEngine, Session, uses_attachment
from gateway.federation.errors import SqlInvalidError, SqlOutOfMemoryError, SqlTimeoutError
from gateway.federation.fragment_reads import FragmentReader, fetch_driver, read_cached, store_arrow
from gateway.federation.join_types import as_catalog_types
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import FETCH_ROUTES, BindJoin, Fragment, KeyFilter, Plan
from gateway.federation.pushdown_run import run_pushdown
from gateway.federation.render_memo import RENDERED
from gateway.federation.result import RenderedResult, Result, ResultColumn, capped
from gateway.federation.sqlgen import render_duckdb
from schema_cache.model import Column

if TYPE_CHECKING:  # Arrow is loaded by the federated path and by Arrow-form pushdowns only
    import pyarrow as pa

log = logging.getLogger(__name__)


def execute_plan(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    *,
    rendered: bool = False,
    reads: StatementReads | None = None,
) -> Result | RenderedResult:
    """The result of `plan`, at most `limits.row_cap` rows; errors leave as fedgate errors.
    A pushdown runs through the source's driver alone: DuckDB is not even imported, nor
    pyarrow when `rendered` (the caller answers in JSON, CSV or NDJSON) and the rows'
    values allow (`rows_json`). With `reads`, what the sources send goes through the
    fragment cache (`cached_reads`)."""
    try:
        if plan.pushdown is not None:
            return run_pushdown(plan, engine, limits, token, rendered, reads)
        return _run_in_duckdb(plan, engine, limits, token, reads)
    except CancelledError as exc:
        raise _cancelled(token, limits) from exc
    except FedgateError as exc:  # a source interrupted by the cancel fails its statement
        if token.cancelled:
            raise _cancelled(token, limits) from exc
        raise


def _run_in_duckdb(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    reads: StatementReads | None,
) -> Result:
    """`_run_federated`, DuckDB's errors made fedgate errors."""
    import duckdb

    invalid = (
        duckdb.BinderException,
        duckdb.CatalogException,
        duckdb.ConversionException,
        duckdb.InvalidInputException,
        duckdb.ParserException,
        duckdb.NotImplementedException,
        duckdb.OutOfRangeException,
        duckdb.TypeMismatchException,
    )
    try:
        return _run_federated(plan, engine, limits, token, reads)
    except duckdb.InterruptException as exc:
        raise _cancelled(token, limits) from exc
    except duckdb.OutOfMemoryException as exc:
        raise SqlOutOfMemoryError(
            f"the statement needs more memory than the gateway's limit ({limits.memory_limit}) "
            f"and spill space ({limits.max_temp_directory_size}) allow; filter or aggregate more"
        ) from exc
    except invalid as exc:
        raise SqlInvalidError(_first_line(exc)) from exc
    except duckdb.IOException as exc:
        log.warning("federated read failed: %s", _first_line(exc))  # may name a host: logs only
        raise SourceUnavailableError("federation", "a source failed while being read") from exc


def _cancelled(token: CancelToken, limits: FederationLimits) -> Exception:
    if token.reason == "timeout":
        return SqlTimeoutError(
            f"the statement ran longer than {limits.statement_timeout_s:g} s and was stopped"
        )
    return CancelledError(token.reason)


def _run_federated(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    reads: StatementReads | None,
) -> Result:
    import pyarrow as pa

    assert plan.residual is not None
    attached = [f.binding for f in plan.fragments if uses_attachment(f.route)]
    with engine.session(attached) as session:
        token.on_cancel(session.cursor.interrupt)
        token.check()
        values = plan.values()
        fragments = {f.key: f for f in plan.fragments}
        materialized: set[str] = set()
        trace: dict[str, Any] = {"kind": "federated", "bind_joins": [], "fragments": {}}
        reader = FragmentReader(engine, session, values, limits, token, reads)
        _bind_joins(plan, reader, fragments, materialized, trace)
        shared = share_duplicates(fragments, materialized, values)
        trace["shared"] = shared
        if reads is not None:
            read_cached(reader, fragments, materialized, shared)
            trace["cache"] = reads.trace()
        fetched: dict[str, pa.Table] = {}
        for fragment in fragments.values():
            key = fragment.key
            if fragment.route in FETCH_ROUTES and key not in materialized and key not in shared:
                fetched[key] = fetch_driver(engine, fragment, values, limits, token, None)
        for fragment in fragments.values():
            if fragment.route in FETCH_ROUTES and fragment.key not in materialized:
                store_arrow(session, fragment.key, fetched[shared.get(fragment.key, fragment.key)])
                materialized.add(fragment.key)
        for fragment in fragments.values():
            key = fragment.key
            if fragment.route == "postgres_query" and key not in materialized and key not in shared:
                _materialize(session, fragment, values)
                materialized.add(key)
        for fragment in fragments.values():
            if fragment.key not in shared:
                alias = session.aliases.get(fragment.binding.name.source)
                trace["fragments"][fragment.key] = fragment.render(values, alias)[0]
        sql, params = _residual_sql(plan, fragments, session, materialized, values, shared)
        trace["residual"] = sql
        cursor = session.cursor.execute(sql, params)
        description = cursor.description or []
        reader = cursor.to_arrow_reader(limits.fetch_batch_rows)
        batches: list[pa.RecordBatch] = []
        rows = 0
        while rows <= limits.row_cap:
            token.check()
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            batches.append(batch)
            rows += batch.num_rows
        table = pa.Table.from_batches(batches, schema=reader.schema)
    table = table.rename_columns(list(plan.names))
    columns = tuple(
        ResultColumn.from_duckdb(name, str(d[1]))
        for name, d in zip(plan.names, description, strict=True)
    )
    table, columns = as_catalog_types(table, columns, plan)
    return capped(table, columns, limits.row_cap, trace)


def _residual_sql(
    plan: Plan,
    fragments: dict[str, Fragment],
    session: Session,
    materialized: set[str],
    values: dict[int, Any],
    shared: dict[str, str],
) -> tuple[str, Any]:
    """The residual query as DuckDB runs it, remembered for the next run of the plan whose
    fragments are read the same way (`render_memo`)."""
    residual = plan.residual
    assert residual is not None
    state = (
        tuple(
            (k, f.route, f.key_filter, f.limit, tuple(c.name for c in f.columns))
            for k, f in fragments.items()
        ),
        tuple(sorted(session.aliases.items())),
        tuple(sorted(materialized)),
        tuple(sorted(shared.items())),
        tuple(values.items()),
    )

    def render() -> tuple[str, Any]:
        tree = inline_fragments(residual, fragments, session, materialized, values, shared)
        return render_duckdb(tree, values)

    rendered: tuple[str, Any] = RENDERED.get_or_render((residual,), state, render)
    return rendered


def _materialize(session: Session, fragment: Fragment, values: dict[int, Any]) -> None:
    """Read a `postgres_query()` fragment into a temporary table before the residual query
    is planned: DuckDB estimates a table function at one row and may then join a side of
    100,000 rows on a column that is not a key (TPC-H Q5 after PostgreSQL's ANALYZE:
    over 40 s instead of 0.25 s); a table's row count is exact."""
    alias = session.aliases[fragment.binding.name.source]
    sql, params = render_duckdb(fragment.reader(alias, values), values)
    session.cursor.execute(f'CREATE TEMP TABLE "{fragment.key}" AS {sql}', params)


def _bind_joins(
    plan: Plan,
    reader: FragmentReader,
    fragments: dict[str, Fragment],
    materialized: set[str],
    trace: dict[str, Any],
) -> None:
    """Read the filtered side of each candidate first; when small, filter the other side by
    its keys (`IN (...)`), which the sources run.

    Greedy, fewest keys first: every candidate whose small side is filtered is probed, the
    cut with the fewest keys is applied, and the rest are tried again, since a side cut to
    another's keys counts as filtered in turn (TPC-H Q5: region -> nation -> supplier).
    """
    session, values, limits = reader.session, reader.values, reader.limits
    probed: dict[tuple[str, bool], bool] = {}
    found_keys: dict[tuple[str, str], list[Any] | None] = {}
    widest = max(limits.bind_join_max_keys, limits.bind_join_max_keys_wide)
    while True:
        best: tuple[BindJoin, list[Any]] | None = None
        for candidate in plan.bind_joins:
            big = fragments[candidate.big]
            if big.key_filter is not None or candidate.big in materialized:
                continue
            small = fragments[candidate.small]
            if not small.is_filtered and small.key_filter is None:
                continue
            state = (small.key, small.key_filter is not None)
            if state not in probed:
                probed[state] = small.key in materialized or _probe(reader, small)
                if probed[state]:
                    materialized.add(small.key)
            if not probed[state]:
                continue
            column = (small.key, candidate.small_column)
            if column not in found_keys:
                find = partial(_distinct_keys, session, *column, widest)
                found_keys[column] = reader.remembered(small.key, ("keys", *column[1:]), find)
            keys = found_keys[column]
            if keys is None or len(keys) > max_bind_join_keys(big.binding.source.dialect, limits):
                continue
            if best is None or len(keys) < len(best[1]):
                best = (candidate, keys)
        if best is None:
            return
        candidate, keys = best
        big, small = fragments[candidate.big], fragments[candidate.small]
        cut = replace(big, key_filter=_key_filter(candidate, keys, values))
        if cut.route == "postgres_scanner":
            # one statement with the key list rather than one per parallel ctid range; the
            # scanner's filters are on PostgreSQL's allow-list (fragments._scanner_suffices)
            cut = replace(cut, route="postgres_query")
        fragments[big.key] = cut
        applied = {"small": small.alias, "big": big.alias, "column": candidate.big_column}
        trace["bind_joins"].append({**applied, "keys": len(keys)})


def _key_filter(candidate: BindJoin, keys: list[Any], values: dict[int, Any]) -> KeyFilter:
    """Integer keys as literals; any other keys bound, numbered past `values` (added)."""
    if all(type(k) is int for k in keys):
        return KeyFilter(candidate.big_column, integers=tuple(keys))
    start = max(values) + 1 if values else 1
    indexes = tuple(range(start, start + len(keys)))
    values.update(zip(indexes, keys, strict=True))
    return KeyFilter(candidate.big_column, placeholders=indexes)


def max_bind_join_keys(dialect: str, limits: FederationLimits) -> int:
    """How many keys one `IN (...)` may carry to a source of `dialect` (Oracle takes at
    most 1,000 list items; see `limits.BIND_JOIN_MAX_KEYS_WIDE` for the others)."""
    if dialect == "oracle":
        return limits.bind_join_max_keys
    return limits.bind_join_max_keys_wide


def _probe(reader: FragmentReader, fragment: Fragment) -> bool:
    """Materialize the fragment if it has at most `bind_join_probe_rows` rows."""
    engine, session, values = reader.engine, reader.session, reader.values
    limits, token, cap = reader.limits, reader.token, reader.limits.bind_join_probe_rows
    if reader.caches(fragment):
        reader.read(fragment, limit=cap + 1)
        query = f'SELECT count(*) FROM "{fragment.key}"'
        count = reader.remembered(
            fragment.key, "count", lambda: session.cursor.execute(query).fetchone()
        )
        if count is None or count[0] > cap:
            session.cursor.execute(f'DROP VIEW "{fragment.key}"')
            return False
        return True
    if fragment.route in FETCH_ROUTES:
        table = fetch_driver(engine, fragment, values, limits, token, cap + 1)
        if table.num_rows > cap:
            return False
        store_arrow(session, fragment.key, table)
        return True
    alias = session.aliases[fragment.binding.name.source]
    if fragment.route == "postgres_scanner":
        # the parallel scan pushes no LIMIT; its filters are on PostgreSQL's allow-list
        # (fragments._scanner_suffices): PostgreSQL stops after cap + 1 rows
        fragment = replace(fragment, route="postgres_query")
    sql, params = render_duckdb(fragment.reader(alias, values, limit=cap + 1), values)
    session.cursor.execute(f'CREATE TEMP TABLE "{fragment.key}" AS {sql}', params)
    count = session.cursor.execute(f'SELECT count(*) FROM "{fragment.key}"').fetchone()
    if count is None or count[0] > cap:
        session.cursor.execute(f'DROP TABLE "{fragment.key}"')
        return False
    return True


def _distinct_keys(session: Session, key: str, column: str, most: int) -> list[Any] | None:
    quoted = column.replace('"', '""')
    rows = session.cursor.execute(
        # in order: the same keys make the same SQL text (a fragment cache key)
        f'SELECT DISTINCT "{quoted}" FROM "{key}" WHERE "{quoted}" IS NOT NULL ORDER BY 1 LIMIT ?',
        [most + 1],
    ).fetchall()
    return None if len(rows) > most else [r[0] for r in rows]


def inline_fragments(
    residual: exp.Query,
    fragments: dict[str, Fragment],
    session: Session,
    materialized: set[str],
    values: dict[int, Any],
    shared: dict[str, str] | None = None,
) -> exp.Query:
    """Replace each attached fragment's table by its SELECT over the attached catalog; a
    read several fragments share (`shared`: fragment -> the one read) becomes one
    `WITH __frag_k AS MATERIALIZED (...)` they all name."""
    shared = shared or {}
    tree = residual.copy()
    ctes: dict[str, exp.CTE] = {}
    for table in list(tree.find_all(exp.Table)):
        key = shared.get(table.name, table.name)
        fragment = fragments.get(key)
        if fragment is None or not uses_attachment(fragment.route):
            continue
        if fragment.key in materialized and key == table.name:
            continue  # a temporary table of that name
        attached = session.aliases[fragment.binding.name.source]
        if key not in shared.values():
            select = fragment.reader(attached, values)
            alias = exp.TableAlias(this=table.alias_or_name)
            table.replace(exp.Subquery(this=select, alias=alias))
            continue
        if key not in ctes and key not in materialized:
            name = exp.TableAlias(this=exp.to_identifier(key))
            select = fragment.reader(attached, values)
            ctes[key] = exp.CTE(this=select, alias=name, materialized=True)
        reader = fragments.get(table.name)
        if reader is None or reader.key == key or not (reader.filters or reader.key_filter):
            table.set("this", exp.to_identifier(key))  # the same rows: read them as they are
            continue
        # a filtered read of a table also read whole: its filters run in DuckDB
        select = reader.build(attached)
        inner = exp.TableAlias(this=exp.to_identifier(reader.alias, quoted=True))
        select.set("from_", exp.From(this=exp.Table(this=exp.to_identifier(key), alias=inner)))
        table.replace(exp.Subquery(this=select, alias=exp.TableAlias(this=table.alias_or_name)))
    if ctes:
        existing = tree.args.get("with_")
        if existing is None:
            tree.set("with_", exp.With(expressions=list(ctes.values())))
        else:
            existing.set("expressions", [*ctes.values(), *existing.expressions])
    return tree


def share_duplicates(
    fragments: dict[str, Fragment], materialized: set[str], values: dict[int, Any]
) -> dict[str, str]:
    """Fragments reading the same rows of the same table (same filters, key filter, order and
    limit; TPC-H Q18 reads lineitem twice, Q21 l1 and l3 alike) are read once: the first of
    them takes every column the others need (in `fragments`). Returns fragment -> the one read.
    """
    groups: dict[tuple[Any, ...], list[Fragment]] = {}
    for fragment in fragments.values():
        if fragment.key not in materialized:
            groups.setdefault(_read_signature(fragment, values), []).append(fragment)
    shared: dict[str, str] = {}
    wanted: dict[str, dict[str, Column]] = {}
    for first, *others in groups.values():
        wanted[first.key] = {c.name: c for f in (first, *others) for c in f.columns}
        shared.update((f.key, first.key) for f in others)
    # A table read whole (attached, nothing pushed) also serves the other reads of it that
    # push only filters (Q21: l3, cut by l_commitdate < l_receiptdate, from l2's rows); their
    # filters then run in DuckDB, over the columns they name, added to the whole read.
    whole = {
        f.binding.name: f
        for f in fragments.values()
        if f.key in wanted and uses_attachment(f.route) and not _pushes_anything(f)
    }
    for first in [fragments[k] for k in wanted]:
        full = whole.get(first.binding.name)
        if full is None or full is first or not uses_attachment(first.route):
            continue
        if first.limit is not None or first.order:
            continue
        columns = wanted.pop(first.key)
        for condition in first.filters:
            for node in condition.find_all(exp.Column):
                column = first.binding.get_column(node.name.lower())
                if column is not None:
                    columns.setdefault(column.name, column)
        if first.key_filter is not None:
            column = first.binding.get_column(first.key_filter.column.lower())
            if column is not None:
                columns.setdefault(column.name, column)
        wanted[full.key].update(columns)
        shared = {k: full.key if v == first.key else v for k, v in shared.items()}
        shared[first.key] = full.key
    for key, columns in wanted.items():
        fragments[key] = replace(fragments[key], columns=tuple(columns.values()))
    return shared


def _pushes_anything(fragment: Fragment) -> bool:
    return bool(
        fragment.filters or fragment.key_filter or fragment.limit is not None or fragment.order
    )


def _read_signature(fragment: Fragment, values: dict[int, Any]) -> tuple[Any, ...]:
    """The fragment's SQL with its alias and columns made neutral, and where it goes."""
    neutral = replace(fragment, key="", alias="s", columns=fragment.binding.table.columns[:1])
    sql, params = neutral.render(values, "s")
    return (fragment.binding.name, fragment.route, sql, repr(params))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]
