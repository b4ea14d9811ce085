"""A statement pushed whole to one source: its rows read through the source's driver (or
the fragment cache) and answered rendered (JSON, CSV, NDJSON) or as Arrow."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from functools import partial
from typing import Any

from gateway.federation.cached_reads import StatementReads
from gateway.federation.cancel import CancelToken
from gateway.federation.driver_fetch import iter_row_batches
from gateway.federation.driver_values import timedelta_family
from gateway.federation.engine import DuckEngine
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import Plan
from gateway.federation.result import RenderedResult, Result, ResultColumn, capped


def run_pushdown(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    rendered: bool,
    reads: StatementReads | None,
) -> Result | RenderedResult:
    pushdown = plan.pushdown
    assert pushdown is not None
    sql, binds = pushdown.render(plan.values())
    trace: dict[str, Any] = {"kind": "pushdown", "source": pushdown.source, "sql": sql}
    if reads is not None and reads.caches(pushdown.source):
        fetch = partial(_fetch_rows, plan, engine, limits, token, sql, binds)
        batches = reads.read_rows(plan, sql, binds, fetch)
        trace["cache"] = reads.trace()
        return _pushdown_result(plan, batches, limits, trace, rendered)
    if reads is not None:
        trace["cache"] = reads.trace()
    with closing(_row_reader(plan, engine, limits, token, sql, binds)) as reader:
        return _pushdown_result(plan, reader, limits, trace, rendered)


def _row_reader(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    sql: str,
    binds: dict[str, Any],
) -> Generator[Sequence[Sequence[Any]]]:
    pushdown = plan.pushdown
    assert pushdown is not None
    return iter_row_batches(
        engine.connectors[pushdown.source],
        sql,
        binds,
        max_rows=limits.row_cap + 1,
        batch_rows=limits.fetch_batch_rows,
        token=token,
        # bounded by the row cap's LIMIT (planner.cap_rows): no cursor, so PostgreSQL may
        # run the statement as a parallel query
        stream_results=not (pushdown.bounded and pushdown.dialect == "postgresql"),
    )


def _fetch_rows(
    plan: Plan,
    engine: DuckEngine,
    limits: FederationLimits,
    token: CancelToken,
    sql: str,
    binds: dict[str, Any],
) -> list[Sequence[Sequence[Any]]]:
    with closing(_row_reader(plan, engine, limits, token, sql, binds)) as reader:
        return list(reader)


def _pushdown_result(
    plan: Plan,
    rows: Iterable[Sequence[Sequence[Any]]],
    limits: FederationLimits,
    trace: dict[str, Any],
    rendered: bool,
) -> Result | RenderedResult:
    pushdown = plan.pushdown
    assert pushdown is not None
    if rendered:
        from gateway.federation.rows_json import render_rows

        batches = list(rows)
        answer = render_rows(
            batches, pushdown.columns, plan.names, limits.row_cap, trace, pushdown.dialect
        )
        if answer is not None:
            return answer
        rows = batches  # a value only Arrow holds exactly: the Arrow route, same rows
    from gateway.federation.arrow_fetch import arrow_table

    table = arrow_table(rows, pushdown.columns, plan.names)
    durations = timedelta_family(pushdown.dialect)
    columns = tuple(
        ResultColumn.from_arrow(f.name, f.type, c, durations)
        for f, c in zip(table.schema, pushdown.columns, strict=True)
    )
    return capped(table, columns, limits.row_cap, trace)
