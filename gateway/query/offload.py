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
from typing import TypeVar

import anyio
from sqlalchemy.util.concurrency import greenlet_spawn

from connectors.base import Connector

T = TypeVar("T")


def on_loop(connectors: Iterable[Connector]) -> bool:
    """Whether reads of every one of `connectors` can run on the running loop."""
    return all(connector.serves_on_loop() for connector in connectors)


async def run_reads(loop: bool, fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` on the loop through the async drivers (`loop` true), else in a thread."""
    if loop:
        return await greenlet_spawn(fn, *args)
    return await anyio.to_thread.run_sync(fn, *args)
