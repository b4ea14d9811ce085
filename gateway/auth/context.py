"""Per-request facts the audit log needs: the request id and the principal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from gateway.auth.access import Principal

RequestFacts = tuple[str | None, Principal | None]
_request: ContextVar[RequestFacts] = ContextVar("fedgate_request", default=(None, None))


def current_request_id() -> str | None:
    return _request.get()[0]


def current_principal() -> Principal | None:
    return _request.get()[1]


def install_request(request_id: str, principal: Principal | None) -> Token[RequestFacts]:
    """Install both facts without a with-block (reset with `token.var.reset(token)`)."""
    return _request.set((request_id, principal))


@contextmanager
def request_context(request_id: str, principal: Principal | None) -> Iterator[None]:
    token = install_request(request_id, principal)
    try:
        yield
    finally:
        _request.reset(token)
