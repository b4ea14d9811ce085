"""The real `Access`: a principal's scopes, intersected with its owner's roles.

An API key's effective rights are its own scopes ∩ the scopes of its owner's
current roles: a use is allowed when both allow it, a plain scope (`sql`,
`admin`) is held when both hold it. A guest has exactly the configured scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.auth.errors import MissingScopeError
from gateway.auth.scopes import ScopeSet, needed_scope
from gateway.query.access import TableUse

DefaultSchema = Callable[[str], str | None]
DenialHook = Callable[["Principal", str, TableUse | None], None]
MEMO_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: `kind` is "key" or "guest"; `name` is what the audit log shows."""

    kind: str
    name: str
    user_id: str | None = None
    key_id: str | None = None
    key_prefix: str | None = None


class ScopedAccess:
    """Implements `gateway.query.access.Access` for one principal.

    Args:
        grants: scope sets that must all allow a use (the key's, its owner's roles').
        default_schema: a source's default schema, to match `shop.orders` against
            a use naming the schema explicitly.
        on_denied: called once per denial (the audit log), before the 403 is raised.
    """

    def __init__(
        self,
        principal: Principal,
        grants: tuple[tuple[str, ...], ...],
        default_schema: DefaultSchema,
        on_denied: DenialHook | None = None,
    ) -> None:
        self.principal = principal
        self.grants = grants
        self._sets = tuple(ScopeSet(g) for g in grants)
        self._default_schema = default_schema
        self._on_denied = on_denied
        # Keyed by the use's fields, not the `TableUse` (its dataclass hash and eq are Python).
        self._memo: dict[tuple[str, str, str, str | None, str | None], bool] = {}
        self._cache_key = tuple(tuple(sorted(g)) for g in grants)
        # Only a scope naming one table matches against the source's default schema: without
        # one (`*:read`, `shop:*`, ...), answers do not depend on it and it is not looked up.
        self._by_table = any(t.table is not None for s in self._sets for t in s.tables)
        # The caller's views of the model (`gateway.auth.views`): operations -> (catalog,
        # view of it), so the common request finds its view in one lookup on its Access.
        self.views: dict[object, tuple[object, object]] = {}

    @property
    def cache_key(self) -> tuple[tuple[str, ...], ...]:
        """Equal for principals with the same rights: per-principal views cache on it."""
        return self._cache_key

    def may(self, use: TableUse) -> bool:
        default = self._default_schema(use.source) if self._by_table else None
        key = (use.source, use.table, use.operation, use.schema, default)
        answer = self._memo.get(key)
        if answer is None:  # the access lives as long as its cached key: remember answers
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            answer = self._memo[key] = all(s.allows(use, default) for s in self._sets)
        return answer

    def has_scope(self, scope: str) -> bool:
        return all(s.has(scope) for s in self._sets)

    def require(self, uses: Iterable[TableUse]) -> None:
        for use in uses:
            if not self.may(use):
                scope = needed_scope(use, self._default_schema(use.source))
                if self._on_denied is not None:
                    self._on_denied(self.principal, scope, use)
                raise MissingScopeError(scope)

    def require_scope(self, scope: str) -> None:
        """Raise the 403 for a plain scope (`admin`, `sql`)."""
        if not self.has_scope(scope):
            if self._on_denied is not None:
                self._on_denied(self.principal, scope, None)
            raise MissingScopeError(scope)
