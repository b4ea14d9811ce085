"""Rows read straight through the pooled driver connection, without a SQLAlchemy
`Connection` around them.

A read PostgreSQL answers as one JSON text (or as plain rows that orjson writes)
needs nothing of SQLAlchemy's execution layer: no result processing (the driver's
values are the answer), no transaction (the loop engine is in autocommit), no
compiled-cache lookup (the SQL string is built once).
Going through a `Connection` cost about a third of the read's Python time in a
profile (connection and execution-context objects, the cursor result and its
metadata). Here: a pool checkout, the driver's cursor, one execute, one fetch.

Errors are turned into SQLAlchemy's (`DBAPIError.instance`, as `Connection` does,
so `wrap_execution_error` maps them the same way); a connection that may be
broken (a disconnect, or anything not from the driver, such as a cancellation)
is invalidated, as `Connection` would.

Statement listeners (`before_cursor_execute`, ...) see only `Connection`
executions: while an engine has any, reads take the `Connection` path (`observed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def observed(engine: sa.Engine) -> bool:
    """Whether something listens to the engine's statements."""
    dispatch = engine.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def fetch_rows(engine: sa.Engine, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
    """Every row `sql` returns, as the driver's tuples."""
    dialect = engine.dialect
    fairy = engine.raw_connection()
    cursor = None
    try:
        cursor = fairy.cursor()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.close()
    except BaseException as exc:
        driver_error = isinstance(exc, dialect.loaded_dbapi.Error)
        broken = True
        if isinstance(exc, dialect.loaded_dbapi.Error):
            broken = dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if broken:
            fairy.invalidate(exc if isinstance(exc, Exception) else None)
        fairy.close()
        if driver_error:
            raise sa.exc.DBAPIError.instance(
                sql,
                params,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=broken,
                dialect=dialect,
            ) from exc
        raise
    fairy.close()
    return rows
