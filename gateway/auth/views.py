"""Per-principal views of the model: only the tables the principal may use.

`/catalog`, `/openapi.json`, the GraphQL schema and `/sql` name resolution use
`visible_catalog(catalog)` (tables it may read); REST resolves names against
`known_catalog(catalog)` (tables it may read or write), so a table the principal
may not use at all answers exactly as a table that does not exist, and no list
of valid names names it. A relationship to a hidden table is hidden too.
Views are cached per catalog version and rights (`cache_key` of the Access).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cachetools import LRUCache

from config.errors import FedgateError
from gateway.query.access import UNRESTRICTED, Access, Operation, TableUse, current_access
from schema_cache.model import Catalog, Source, Table

_views: LRUCache[tuple[object, ...], Catalog] = LRUCache(maxsize=128)
# The last view per (rights, operations) with the catalog object it was made from: the
# common request (same catalog object as the one before) costs one dict lookup.
_recent: dict[tuple[object, tuple[Operation, ...]], tuple[Catalog, Catalog]] = {}
MAX_RECENT = 1024
READ: tuple[Operation, ...] = ("read",)
ANY: tuple[Operation, ...] = ("read", "insert", "update", "delete")


def rights_key(access: Access | None = None) -> object:
    """What per-principal caches key on: None for unrestricted, else the rights."""
    access = access or current_access()
    if access is UNRESTRICTED:
        return None
    return getattr(access, "cache_key", id(access))


def visible_catalog(catalog: Catalog, access: Access | None = None) -> Catalog:
    """The tables the principal may read (catalog, documents, schemas, `/sql`)."""
    return _view(catalog, access, READ)


def known_catalog(catalog: Catalog, access: Access | None = None) -> Catalog:
    """The tables the principal may read or write: what REST resolves names against.

    Its sources keep their versions but hold fewer tables: resolve names with it, never
    build Core tables from it (`TableCache` keys on the version).
    """
    return _view(catalog, access, ANY)


def _view(catalog: Catalog, access: Access | None, operations: tuple[Operation, ...]) -> Catalog:
    access = access or current_access()
    if access is UNRESTRICTED:
        return catalog
    # The common request: this Access (cached with its key) saw this catalog object before.
    own: dict[object, tuple[object, Catalog]] | None = getattr(access, "views", None)
    if own is not None:
        mine = own.get(operations)
        if mine is not None and mine[0] is catalog:
            return mine[1]
    view = _shared_view(catalog, access, operations)
    if own is not None:
        own[operations] = (catalog, view)
    return view


def _shared_view(catalog: Catalog, access: Access, operations: tuple[Operation, ...]) -> Catalog:
    key = rights_key(access)
    recent = _recent.get((key, operations))
    if recent is not None and recent[0] is catalog:
        return recent[1]
    cache_key = (key, operations, *(f"{s.name}:{s.version}" for s in catalog.sources))
    view = _views.get(cache_key)
    if view is None:
        view = filter_catalog(catalog, access, operations)
        _views[cache_key] = view
    if len(_recent) >= MAX_RECENT:
        _recent.clear()
    _recent[(key, operations)] = (catalog, view)
    return view


def filter_catalog(
    catalog: Catalog, access: Access, operations: tuple[Operation, ...] = READ
) -> Catalog:
    """The catalog without the tables on which `access` may do none of `operations` (pure)."""
    readable = {
        (s.name, t.schema, t.name)
        for s in catalog.sources
        for t in s.tables
        if any(access.may(_use(s, t, op)) for op in operations)
    }
    sources = tuple(
        replace(
            s,
            tables=tuple(
                _without_hidden(t, readable)
                for t in s.tables
                if (s.name, t.schema, t.name) in readable
            ),
        )
        for s in catalog.sources
    )
    return Catalog(sources, catalog.states)


def _use(source: Source, table: Table, operation: Operation = "read") -> TableUse:
    schema = None if table.schema == source.default_schema else table.schema
    return TableUse(source.name, table.name, operation, schema)


def _without_hidden(table: Table, readable: set[tuple[str, str, str]]) -> Table:
    kept = tuple(
        r
        for r in table.relationships
        if (r.target_source, r.target_schema, r.target_table) in readable
    )
    return table if len(kept) == len(table.relationships) else replace(table, relationships=kept)


def clear() -> None:
    _views.clear()
    _recent.clear()


def audit_hidden(uses: Iterable[TableUse], access: Access | None = None) -> None:
    """Record the denial of uses of tables hidden from the caller, without raising.

    The caller gets the answer for an unknown name; the audit log (through the
    Access's own check) gets `access.denied` naming the table and the scope.
    """
    try:
        (access or current_access()).require(uses)
    except FedgateError:
        return


def hidden_use(source: Source, table: Table, operation: Operation) -> TableUse:
    """The use of a model table, named as scopes name it (None: the default schema)."""
    return _use(source, table, operation)
