"""The driver route's read: SQLAlchemy `text()` with bound values, rows fetched in batches
between cancellation checks (Arrow batches are built from them by `arrow_fetch`; a pushdown
answered in JSON renders them directly, `rows_json`)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from connectors.base import Connector
from connectors.errors import wrap_execution_error
from gateway.federation.cancel import CancelToken


def iter_row_batches(
    connector: Connector,
    sql: str,
    binds: dict[str, Any],
    *,
    max_rows: int | None,
    batch_rows: int,
    token: CancelToken,
    stream_results: bool = True,
) -> Generator[Sequence[Sequence[Any]]]:
    """Run `sql` on the source; yield its rows, at most `max_rows`, `batch_rows` at a time.

    Args:
        stream_results: read through a server-side cursor. False only for statements whose
            row count is bounded anyway (a LIMIT): PostgreSQL plans no parallel query for a
            cursor, and a whole-pushdown aggregate (TPC-H Q1) then runs on one core.
    """
    total = 0
    with connector.connect() as conn:
        token.on_cancel(lambda: _cancel(conn))
        try:
            options = conn.execution_options(stream_results=stream_results)
            result = options.execute(sa.text(sql), binds)
            while max_rows is None or total < max_rows:
                token.check()
                size = batch_rows if max_rows is None else min(batch_rows, max_rows - total)
                rows = result.fetchmany(size)
                if not rows:
                    break
                yield rows
                total += len(rows)
            result.close()
        except sa_exc.DBAPIError as exc:
            token.check()
            raise wrap_execution_error(exc, connector.name, connector.dialect) from exc


def _cancel(conn: sa.Connection) -> None:
    """Ask the server to stop the running statement, where the driver can (psycopg)."""
    driver = getattr(conn.connection, "driver_connection", None)
    cancel = getattr(driver, "cancel_safe", None) or getattr(driver, "cancel", None)
    if callable(cancel):
        cancel()
