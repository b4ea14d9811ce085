"""Per-request facts the audit log needs: the request id and the principal.

They live in the request's `RequestState` (gateway/query/access.py: one context
variable for the access, these facts and the write observer).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token

from gateway.auth.access import Principal
from gateway.query.access import RequestState, current_state, install_state


def current_request_id() -> str | None:
    return current_state().request_id


def current_principal() -> Principal | None:
    return current_state().principal


def install_request(request_id: str, principal: Principal | None) -> Token[RequestState]:
    """Install both facts without a with-block (reset with `token.var.reset(token)`)."""
    return install_state(current_state().replace(request_id=request_id, principal=principal))


@contextmanager
def request_context(request_id: str, principal: Principal | None) -> Iterator[None]:
    token = install_request(request_id, principal)
    try:
        yield
    finally:
        token.var.reset(token)
