"""What the caller may touch: the one check every surface reaches before SQL runs.

The auth layer decides who is asking and installs an `Access` for the request
(`access_scope`). The executor (REST and GraphQL reads and writes) and the
federation planner call `require` with every table a statement reads or
writes: the target, every table reached through an embed, a relationship
filter or an aggregate, every table a federated query names. Nothing else
decides access, so a new surface is guarded by reaching the IR.

Without an installed Access (the gateway runs with auth disabled, or code runs
outside a request, such as tests of the compiler) everything is allowed: the
auth middleware installs one for every HTTP request when auth is on, a guest's
included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from gateway.auth.access import Principal
    from gateway.query.write_log import WriteObserver

Operation = Literal["read", "insert", "update", "delete"]


@dataclass(frozen=True, slots=True)
class TableUse:
    """One operation on one table, as the model names it (schema None: the default)."""

    source: str
    table: str
    operation: Operation
    schema: str | None = None


class Access(Protocol):
    """The rights of the current principal."""

    def require(self, uses: Iterable[TableUse]) -> None:
        """Raise a 403 `FedgateError` naming the missing scope unless every use is allowed."""

    def may(self, use: TableUse) -> bool:
        """Whether one use is allowed (for filtering catalogs and documents)."""

    def has_scope(self, scope: str) -> bool:
        """Whether a scope outside tables is held, e.g. `sql` or `admin`."""

    def require_scope(self, scope: str) -> None:
        """Raise a 403 `FedgateError` naming `scope` unless it is held (audited as a denial)."""


class Unrestricted:
    """Every table, every operation: auth disabled, or internal work outside a request."""

    def require(self, uses: Iterable[TableUse]) -> None:
        return None

    def may(self, use: TableUse) -> bool:
        return True

    def has_scope(self, scope: str) -> bool:
        return True

    def require_scope(self, scope: str) -> None:
        return None


UNRESTRICTED = Unrestricted()


class RequestState:
    """What one request carries below the HTTP layer, in one context variable: its Access,
    the audit log's facts (request id, principal) and the write observer.

    The auth middleware makes one per request, installs it once and fills it in once the
    caller is known (one `ContextVar.set` and one reset per request instead of three of
    each); everything else installs a changed copy (`access_scope`, `request_context`,
    `write_observer`), so a state already seen by other code never changes under it.
    """

    __slots__ = ("access", "observer", "principal", "request_id")

    def __init__(
        self,
        access: Access = UNRESTRICTED,
        request_id: str | None = None,
        principal: Principal | None = None,
        observer: WriteObserver | None = None,
    ) -> None:
        self.access = access
        self.request_id = request_id
        self.principal = principal
        self.observer = observer

    def replace(self, **changes: object) -> RequestState:
        """A copy with `changes` (attribute names as keywords)."""
        copy = RequestState(self.access, self.request_id, self.principal, self.observer)
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy


_NOTHING = RequestState()  # outside a request: unrestricted, no ids, no observer
_state: ContextVar[RequestState] = ContextVar("fedgate_request_state", default=_NOTHING)
REQUEST_STATE = _state  # for the auth middleware's per-request set and reset (no call)


def current_state() -> RequestState:
    """The running request's state (contextvars follow `anyio.to_thread`)."""
    return _state.get()


def install_state(state: RequestState) -> Token[RequestState]:
    """Install a request's state without a with-block (the auth middleware, once per
    request); the caller resets it with `token.var.reset(token)`."""
    return _state.set(state)


def current_access() -> Access:
    """The Access of the running request (contextvars follow `anyio.to_thread`)."""
    return _state.get().access


def install_access(access: Access) -> Token[RequestState]:
    """Install `access` without a with-block; the caller resets it with
    `token.var.reset(token)`."""
    return _state.set(_state.get().replace(access=access))


@contextmanager
def access_scope(access: Access) -> Iterator[Access]:
    """Install `access` for the code run inside (a request, a test)."""
    token = install_access(access)
    try:
        yield access
    finally:
        _state.reset(token)
