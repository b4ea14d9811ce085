"""Per-principal views of the model: only the tables the principal may read.

`/catalog`, `/openapi.json` and the GraphQL schema are built from
`visible_catalog(catalog)`; a relationship to a hidden table is hidden too.
Views are cached per catalog version and rights (`cache_key` of the Access).
"""

from __future__ import annotations

from dataclasses import replace

from cachetools import LRUCache

from gateway.query.access import UNRESTRICTED, Access, TableUse, current_access
from schema_cache.model import Catalog, Source, Table

_views: LRUCache[tuple[object, ...], Catalog] = LRUCache(maxsize=64)


def rights_key(access: Access | None = None) -> object:
    """What per-principal caches key on: None for unrestricted, else the rights."""
    access = access or current_access()
    if access is UNRESTRICTED:
        return None
    return getattr(access, "cache_key", id(access))


def visible_catalog(catalog: Catalog, access: Access | None = None) -> Catalog:
    access = access or current_access()
    key = rights_key(access)
    if key is None:
        return catalog
    cache_key = (key, *(f"{s.name}:{s.version}" for s in catalog.sources))
    view = _views.get(cache_key)
    if view is None:
        view = filter_catalog(catalog, access)
        _views[cache_key] = view
    return view


def filter_catalog(catalog: Catalog, access: Access) -> Catalog:
    """The catalog without the tables `access` may not read (pure)."""
    readable = {
        (s.name, t.schema, t.name)
        for s in catalog.sources
        for t in s.tables
        if access.may(_use(s, t))
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


def _use(source: Source, table: Table) -> TableUse:
    schema = None if table.schema == source.default_schema else table.schema
    return TableUse(source.name, table.name, "read", schema)


def _without_hidden(table: Table, readable: set[tuple[str, str, str]]) -> Table:
    kept = tuple(
        r
        for r in table.relationships
        if (r.target_source, r.target_schema, r.target_table) in readable
    )
    return table if len(kept) == len(table.relationships) else replace(table, relationships=kept)


def clear() -> None:
    _views.clear()
