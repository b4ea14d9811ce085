"""The scope grammar of DESIGN §7 and what a set of scopes allows.

Table scopes are `{resource}:{op}`: the resource is `*`, a source (`shop`) or a
table of a source (`shop.orders`, `shop.inventory.items` outside the default
schema); the op is `read`, `insert`, `update`, `delete`, `write` (the three
writes) or `*`. Other scopes stand alone: `sql`, `admin`, and the OIDC scopes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.query.access import TableUse

OPERATIONS = ("read", "insert", "update", "delete")
SCOPE_OPS = (*OPERATIONS, "write", "*")
PLAIN_SCOPES = ("sql", "admin", "openid", "profile", "email", "offline_access")
_RESOURCE = re.compile(r"\*|[A-Za-z_][A-Za-z0-9_\-]*(\.[^\s:.][^\s:]*)?")


class ScopeSyntaxError(ValueError):
    """A scope string outside the grammar; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class TableScope:
    source: str  # "*" for every source
    table: str | None  # None: every table of the source; may be "schema.table"
    op: str

    def allows(self, use: TableUse, default_schema: str | None) -> bool:
        covers = self.op in ("*", use.operation) or (self.op == "write" and use.operation != "read")
        if not covers:
            return False
        if self.source == "*":
            return True
        if self.source != use.source:
            return False
        if self.table is None:
            return True
        return self.table in table_names(use, default_schema)


def table_names(use: TableUse, default_schema: str | None) -> tuple[str, ...]:
    """How a scope may name the table of `use`: `name` in the default schema, `schema.name`."""
    if use.schema is None or use.schema == default_schema:
        qualified = (f"{default_schema}.{use.table}",) if default_schema else ()
        return (use.table, *qualified)
    return (f"{use.schema}.{use.table}",)


def parse_scope(text: str) -> TableScope | str:
    """A table scope, or a plain scope string; `ScopeSyntaxError` for anything else."""
    if text in PLAIN_SCOPES:
        return text
    resource, sep, op = text.rpartition(":")
    if not sep or not _RESOURCE.fullmatch(resource) or op not in SCOPE_OPS:
        raise ScopeSyntaxError(
            f"'{text}' is not a scope; expected {{source}}[.{{table}}]:{{op}} or *:{{op}} "
            f"with op one of {', '.join(SCOPE_OPS)}, or one of {', '.join(PLAIN_SCOPES)}"
        )
    source, _, table = resource.partition(".")
    return TableScope(source, table or None, op)


def parse_scopes(texts: Iterable[str]) -> tuple[str, ...]:
    """Validate and normalise (ordered, without duplicates); accepts comma or space separated."""
    out: dict[str, None] = {}
    for text in texts:
        for part in re.split(r"[\s,]+", text.strip()):
            if part:
                parse_scope(part)
                out[part] = None
    return tuple(out)


def split_scopes(text: str) -> tuple[str, ...]:
    """Scopes as stored (space-delimited) back to a tuple."""
    return tuple(text.split())


class ScopeSet:
    """What one set of scopes allows (no intersection: see `access.ScopedAccess`)."""

    def __init__(self, scopes: Iterable[str]) -> None:
        parsed = [parse_scope(s) for s in scopes]
        self.names = frozenset(s for s in parsed if isinstance(s, str))
        self.tables = tuple(s for s in parsed if isinstance(s, TableScope))

    def allows(self, use: TableUse, default_schema: str | None) -> bool:
        return any(scope.allows(use, default_schema) for scope in self.tables)

    def has(self, scope: str) -> bool:
        return scope in self.names


def needed_scope(use: TableUse, default_schema: str | None) -> str:
    """The narrowest scope that allows `use` (what a 403 names)."""
    return f"{use.source}.{table_names(use, default_schema)[0]}:{use.operation}"
