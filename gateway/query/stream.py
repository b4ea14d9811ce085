"""Read a Select's rows batch by batch from a server-side cursor (streamed responses).

The root level runs on its own connection inside one read transaction: first
the number of rows the page holds (so `Content-Range` is exact before the
first byte; the total too with `count`), then the statement through a
server-side cursor (`stream_results`: PostgreSQL declares a cursor, MySQL and
MariaDB read unbuffered, SQLite steps its cursor), `batch` rows at a time.
Each batch's embedded relationships are attached with the batched path on a
second connection (an unbuffered MySQL cursor allows no other statement on its
own), so memory holds one batch, whatever the page size.

Access is checked before any SQL, as `executor.run_select` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from connectors.errors import wrap_execution_error
from gateway.query.access import current_access
from gateway.query.context import Bound, QueryContext
from gateway.query.embed import Level, finish_level, plan_level
from gateway.query.ir import Select
from gateway.query.select import compile_count, compile_level
from gateway.query.session import Session
from gateway.query.uses import table_uses
from schema_cache.model import Catalog

BATCH_ROWS = 1000


class RowStream:
    """One streamed read: `start()` returns the first batch, `next_batch()` the others
    (None at the end), `close()` releases both connections; all synchronous (call them
    from a worker thread, one at a time)."""

    def __init__(
        self,
        ctx: QueryContext,
        select: Select,
        catalog: Catalog,
        *,
        count: bool = False,
        batch: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.select = select
        self.catalog = catalog
        self.count = count
        self.batch = batch or BATCH_ROWS
        self.total: int | None = None  # every matching row (with `count`)
        self.rows = 0  # the rows this page holds
        self._stack = ExitStack()
        self._partitions: Iterator[Sequence[Row[Any]]] | None = None
        self._bound: Bound | None = None
        self._level: Level | None = None
        self._embeds = Session()

    def start(self) -> list[dict[str, Any]]:
        """Check access, count, open the cursor and read the first batch."""
        current_access().require(table_uses(self.select, self.catalog))  # before any SQL
        bound = self._bound = self.ctx.bind(self.select.target, catalog=self.catalog)
        try:
            conn = self._stack.enter_context(bound.connector.connect())
            self._stack.enter_context(conn.begin())  # one snapshot for the counts and the rows
            self._stack.callback(self._embeds.close)
            self._open(conn, bound)
            return self.next_batch() or []
        except BaseException:
            self.close()
            raise

    def _open(self, conn: Connection, bound: Bound) -> None:
        select, ctx = self.select, self.ctx
        level = plan_level(bound, select)
        statement = compile_level(ctx, bound, select, level.keys)
        try:
            if self.count:
                self.total = int(conn.execute(compile_count(ctx, bound, select)).scalar_one())
                self.rows = _page_rows(self.total, select)
            else:
                page = compile_level(ctx, bound, select, ()).subquery("__page")
                self.rows = int(
                    conn.execute(sa.select(sa.func.count()).select_from(page)).scalar_one()
                )
            result = conn.execution_options(stream_results=True, max_row_buffer=self.batch).execute(
                statement
            )
        except sa.exc.SQLAlchemyError as exc:
            raise wrap_execution_error(exc, bound.connector.name, bound.dialect) from exc
        self._stack.callback(result.close)  # the cursor closes before the transaction ends
        self._partitions = result.partitions(self.batch)
        self._level = level

    def next_batch(self) -> list[dict[str, Any]] | None:
        """The next batch of rendered rows (embeds attached), or None after the last."""
        if self._partitions is None or self._bound is None or self._level is None:
            return None
        bound = self._bound
        try:
            raw = next(self._partitions, None)
        except sa.exc.SQLAlchemyError as exc:
            raise wrap_execution_error(exc, bound.connector.name, bound.dialect) from exc
        if raw is None:
            self._partitions = None
            return None
        rows, _ = finish_level(
            self.ctx, self._embeds, bound, self.select, self.catalog, self._level, raw
        )
        return rows

    def close(self) -> None:
        """Roll back the read transaction and return both connections (idempotent)."""
        self._partitions = None
        self._stack.close()


def _page_rows(total: int, select: Select) -> int:
    """The rows a page of `total` holds at its offset and limit."""
    after = max(total - select.offset, 0)
    return after if select.limit is None else min(select.limit, after)
