"""Who hears about committed writes: the audit log installs an observer per request.

The executor calls `observe_write` after a write commits, with the statement,
the model table and the result, or after the database refused it, with the
error's code; without an observer (auth disabled, code run
outside a request) nothing happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token
from typing import Protocol

from gateway.query.access import RequestState, current_state, install_state
from gateway.query.ir import Delete, Insert, Result, Update
from schema_cache.model import Table


class WriteObserver(Protocol):
    def __call__(
        self,
        statement: Insert | Update | Delete,
        table: Table,
        result: Result | None,
        error: str | None = None,
    ) -> None:
        """Record one write: committed (`result`), or rolled back with the error's code."""


def observe_write(
    statement: Insert | Update | Delete,
    table: Table,
    result: Result | None,
    error: str | None = None,
) -> None:
    observer = current_state().observer
    if observer is not None:
        observer(statement, table, result, error)


def install_observer(observer: WriteObserver) -> Token[RequestState]:
    """Install `observer` without a with-block (reset with `token.var.reset(token)`)."""
    return install_state(current_state().replace(observer=observer))


@contextmanager
def write_observer(observer: WriteObserver) -> Iterator[None]:
    token = install_observer(observer)
    try:
        yield
    finally:
        token.var.reset(token)
