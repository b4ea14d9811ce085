"""Where a request's blocking database work runs, seen from the event loop.

Sources with an asyncio driver (`Connector.loop_driver`: PostgreSQL's psycopg)
serve reads on the loop itself: the synchronous executor runs inside
SQLAlchemy's `greenlet_spawn`, and each driver call awaits on the loop (the
sessions take `Connector.loop_engine` connections). That saves the hop to a
worker thread and back on every request. Anything else (SQLite, DuckDB, MySQL,
SQL Server, Oracle, and every write) runs in a worker thread as before, so the
loop never blocks on a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TypeVar

import anyio
from sqlalchemy.util.concurrency import greenlet_spawn

from connectors.base import Connector

T = TypeVar("T")


_READING_ON_LOOP: ContextVar[bool] = ContextVar("reading_on_loop", default=False)


def reading_on_loop() -> bool:
    """Whether the running code is a `run_reads` body on the loop (sessions then take
    `Connector.loop_engine` connections). A context variable, not a greenlet check, so
    worker threads never touch greenlet state."""
    return _READING_ON_LOOP.get()


def on_loop(connectors: Iterable[Connector]) -> bool:
    """Whether reads of every one of `connectors` can run on the running loop."""
    return all(connector.serves_on_loop() for connector in connectors)


async def run_reads(loop: bool, fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` on the loop through the async drivers (`loop` true), else in a thread."""
    if loop:
        return await greenlet_spawn(_flagged, fn, *args)
    return await anyio.to_thread.run_sync(fn, *args)


def _flagged(fn: Callable[..., T], *args: object) -> T:
    token = _READING_ON_LOOP.set(True)  # the greenlet shares the coroutine's context:
    try:  # reset before returning to it
        return fn(*args)
    finally:
        _READING_ON_LOOP.reset(token)
