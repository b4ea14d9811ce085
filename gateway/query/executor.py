"""Run IR statements against their sources (synchronous; surfaces call `read_select`, or
`run_write` in a worker thread)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from config.errors import FedgateError
from connectors.errors import wrap_execution_error
from gateway.query.access import current_access
from gateway.query.context import QueryContext
from gateway.query.embed import read_rows
from gateway.query.ir import Delete, Insert, Result, Select, Update
from gateway.query.offload import on_loop, run_reads
from gateway.query.select import compile_count
from gateway.query.session import Session, read_session
from gateway.query.shapes import shape_of
from gateway.query.uses import table_uses
from gateway.query.write_counts import note_write
from gateway.query.write_log import observe_write
from gateway.query.writes import run_delete, run_insert, run_update
from schema_cache.model import Catalog


def run_select(ctx: QueryContext, select: Select, catalog: Catalog) -> Result:
    current_access().require(table_uses(select, catalog))  # every table, before any SQL
    return _read(ctx, select, catalog)


async def read_select(ctx: QueryContext, select: Select, catalog: Catalog) -> Result:
    """`run_select` from the event loop: on the loop where every source it reads has an
    asyncio driver, else in a worker thread (gateway/query/offload.py)."""
    uses = table_uses(select, catalog)
    current_access().require(uses)  # every table, before any SQL
    sources = {use.source for use in uses}
    loop = on_loop(ctx.connectors[name] for name in sources)
    return await run_reads(loop, _read, ctx, select, catalog)


def _read(ctx: QueryContext, select: Select, catalog: Catalog) -> Result:
    with read_session() as session:
        rows = read_rows(ctx, session, select, catalog)
        total = None
        if select.count:
            total = count_rows(ctx, session, select, catalog)
        return Result(rows=rows, total=total)


def count_rows(ctx: QueryContext, session: Session, select: Select, catalog: Catalog) -> int:
    """The exact count of `select`'s rows, its statement prepared once per request shape."""
    bound = ctx.bind(select.target, catalog=catalog)
    shape, values = shape_of(select)
    key = ("count", bound.source.name, bound.source.version, bound.dialect, shape)
    prepared = ctx.statements.prepare(key, len(values), lambda: compile_count(ctx, bound, shape))
    if prepared is None:
        return int(session.fetch(bound.connector, compile_count(ctx, bound, select))[0][0])
    return int(session.fetch_prepared(bound.connector, prepared, prepared.params(values))[0][0])


@dataclass
class WriteReads:
    """Reads that run inside a write's transaction, on its connection (GraphQL `returning`
    with relationships): `before` ahead of the write, `after` built from its result. Every
    table of `shape` (the reads' select, any filter) is checked with the write's, before SQL."""

    shape: Select
    before: Select | None = None
    after: Callable[[Result], Select] | None = None
    before_rows: list[dict[str, Any]] = field(default_factory=list)
    after_rows: list[dict[str, Any]] = field(default_factory=list)


def run_write(
    ctx: QueryContext,
    statement: Insert | Update | Delete,
    catalog: Catalog,
    reads: WriteReads | None = None,
) -> Result:
    """One transaction: every row is written, or none is (and `reads` see it as it is)."""
    uses = table_uses(statement, catalog)
    if reads is not None:
        uses = list(dict.fromkeys([*uses, *table_uses(reads.shape, catalog)]))
    current_access().require(uses)  # every table, before any SQL
    bound = ctx.bind(statement.target, catalog=catalog)
    connector = bound.connector
    with connector.connect() as conn, read_session() as session:
        try:
            with conn.begin():
                session.adopt(connector, conn)
                if reads is not None and reads.before is not None:
                    reads.before_rows = read_rows(ctx, session, reads.before, catalog)
                if isinstance(statement, Insert):
                    affected, rows = run_insert(ctx, conn, bound, statement)
                elif isinstance(statement, Update):
                    affected, rows = run_update(ctx, conn, bound, statement)
                else:
                    affected, rows = run_delete(ctx, conn, bound, statement)
                if reads is not None and reads.after is not None:
                    after = reads.after(Result(rows=rows, affected=affected))
                    reads.after_rows = read_rows(ctx, session, after, catalog)
        except sa.exc.SQLAlchemyError as exc:
            error = wrap_execution_error(exc, connector.name, connector.dialect)
            observe_write(statement, bound.table, None, error.code)  # audited as failed
            raise error from exc
        except FedgateError as refused:  # values refused before the statement ran
            observe_write(statement, bound.table, None, refused.code)  # audited as failed
            raise
    result = Result(rows=rows, affected=affected)
    note_write(connector, bound.table.schema, bound.table.name)  # cached /sql reads
    observe_write(statement, bound.table, result)  # the audit log, when auth is on
    return result
