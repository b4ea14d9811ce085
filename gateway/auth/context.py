"""Per-request facts the audit log needs: the request id and the principal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway.auth.access import Principal

_request_id: ContextVar[str | None] = ContextVar("fedgate_request_id", default=None)
_principal: ContextVar[Principal | None] = ContextVar("fedgate_principal", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_principal() -> Principal | None:
    return _principal.get()


@contextmanager
def request_context(request_id: str, principal: Principal | None) -> Iterator[None]:
    tokens = (_request_id.set(request_id), _principal.set(principal))
    try:
        yield
    finally:
        _principal.reset(tokens[1])
        _request_id.reset(tokens[0])
