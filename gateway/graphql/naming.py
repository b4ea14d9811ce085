"""GraphQL names for the model: stable, valid and collision-free (DESIGN §5).

A table's base name is `{prefix}{table}`, or `{prefix}{schema}_{table}`
outside the source's default schema; the prefix is `{source}_` unless the
source's `graphql_prefix` setting names another (`""`: none, as Hasura names
its default source). Every character outside `[A-Za-z0-9_]`
becomes `_`, a leading digit gets a `_` prefix and leading underscores shrink
to one (`__` starts GraphQL's own names). Every name a table generates (root
fields and types) is checked against one namespace of names compared without
case, together with GraphQL's built-ins and the shared types: a name taken
already gets the first free suffix `_2`, `_3`, ... Names that differ only by
case collide on purpose: code generators write one file per type, and
case-insensitive file systems would merge them.

Tables are named in a fixed order (names that need no change first, then by
name, the default schema first), so a name depends on the model only, never on introspection order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schema_cache.model import Catalog, Source, Table

_INVALID = re.compile(r"[^A-Za-z0-9_]")
# Built-in and shared names, and enum values GraphQL forbids (true, false, null).
RESERVED = frozenset(
    {
        "int",
        "float",
        "string",
        "boolean",
        "id",
        "query_root",
        "mutation_root",
        "subscription_root",
        "order_by",
        "true",
        "false",
        "null",
        "bigint",
        "numeric",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "interval",
        "uuid",
        "jsonb",
        "bytea",
    }
)
ROOT_FIELDS = (
    "{}",
    "{}_by_pk",
    "{}_aggregate",
    "insert_{}",
    "insert_{}_one",
    "update_{}",
    "update_{}_by_pk",
    "delete_{}",
    "delete_{}_by_pk",
)
TYPE_SUFFIXES = (
    "_bool_exp",
    "_order_by",
    "_select_column",
    "_aggregate",
    "_aggregate_fields",
    "_sum_fields",
    "_avg_fields",
    "_min_fields",
    "_max_fields",
    "_insert_input",
    "_set_input",
    "_inc_input",
    "_pk_columns_input",
    "_mutation_response",
    "_on_conflict",
    "_constraint",
    "_update_column",
    "_comparison_exp",
)


def sanitise(text: str) -> str:
    """`text` as a valid GraphQL name (not yet checked for collisions)."""
    name = _INVALID.sub("_", text) or "_"
    if name[0].isdigit():
        name = "_" + name
    return re.sub(r"^_{2,}", "_", name)


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, ... : the first one free in `taken` (compared lower case)."""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


@dataclass(frozen=True, slots=True)
class TableNames:
    """The names of one table: its base, and its columns and relationships as fields."""

    source: str
    schema: str
    table: str
    base: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> column
    relationships: dict[str, str] = field(default_factory=dict)  # field -> relationship
    aggregates: dict[str, str] = field(default_factory=dict)  # `{rel}_aggregate` -> relationship
    constraints: dict[str, tuple[str, ...]] = field(default_factory=dict)  # enum value -> columns

    def field_of(self, column: str) -> str:
        return next(f for f, c in self.columns.items() if c == column)

    def type_name(self, suffix: str = "") -> str:
        return self.base + suffix


@dataclass(frozen=True, slots=True)
class Names:
    """Every table's names in a catalog, by (source, schema, table) and by base name."""

    tables: dict[tuple[str, str, str], TableNames]

    def of(self, source: str, schema: str, table: str) -> TableNames | None:
        return self.tables.get((source, schema, table))


def build_names(catalog: Catalog, prefixes: Mapping[str, str] | None = None) -> Names:
    """Every table's names; `prefixes` maps a source to its prefix (absent: `{source}_`)."""
    taken = set(RESERVED)
    entries: list[tuple[Source, Table, str]] = []
    for source in catalog.sources:
        prefix = (prefixes or {}).get(source.name, f"{source.name}_")
        for table in source.tables:
            parts = [table.name]
            if table.schema != source.default_schema:
                parts.insert(0, table.schema)
            entries.append((source, table, prefix + "_".join(parts)))
    # Ties (same raw name) go to the default schema first, then by source, schema, table.
    entries.sort(
        key=lambda e: (
            sanitise(e[2]) != e[2],
            e[2].lower(),
            e[2],
            e[1].schema != e[0].default_schema,
            e[0].name,
            e[1].schema,
            e[1].name,
        )
    )
    result: dict[tuple[str, str, str], TableNames] = {}
    for source, table, raw in entries:
        base = _free_base(sanitise(raw), taken)
        taken.update(name.lower() for name in derived_names(base))
        result[(source.name, table.schema, table.name)] = _table_names(source, table, base)
    return Names(result)


def derived_names(base: str) -> list[str]:
    """Every root field and type name a table with this base generates."""
    return [pattern.format(base) for pattern in ROOT_FIELDS] + [base + s for s in TYPE_SUFFIXES]


def _free_base(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while any(name.lower() in taken for name in derived_names(candidate)):
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _table_names(source: Source, table: Table, base: str) -> TableNames:
    taken = {"__typename", "true", "false", "null"}
    columns: dict[str, str] = {}
    for column in _exact_first(c.name for c in table.columns):
        name = unique(sanitise(column), taken)
        taken.add(name.lower())
        columns[name] = column
    relationships: dict[str, str] = {}
    aggregates: dict[str, str] = {}
    for rel in table.relationships:
        name = unique(sanitise(rel.name), taken)
        taken.add(name.lower())
        relationships[name] = rel.name
    for rel in table.relationships:
        if rel.kind == "array":
            name = unique(sanitise(rel.name) + "_aggregate", taken)
            taken.add(name.lower())
            aggregates[name] = rel.name
    ordered = {f: columns[f] for f in sorted(columns, key=lambda f: _position(table, columns[f]))}
    return TableNames(
        source.name,
        table.schema,
        table.name,
        base,
        ordered,
        relationships,
        aggregates,
        _constraints(table, base),
    )


def _exact_first(names: Iterable[str]) -> list[str]:
    """Names that need no change claim theirs before sanitised ones compete for it."""
    return sorted(names, key=lambda n: sanitise(n) != n)


def _position(table: Table, column: str) -> int:
    return table.column_names.index(column)


def _constraints(table: Table, base: str) -> dict[str, tuple[str, ...]]:
    """`on_conflict` targets: the primary key (`{base}_pkey`) and each unique key."""
    keys: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key:
        keys.append((f"{table.name}_pkey", table.primary_key))
    for constraint in table.unique_constraints:
        keys.append(
            (
                constraint.name or f"{table.name}_{'_'.join(constraint.columns)}_key",
                constraint.columns,
            )
        )
    for index in table.indexes:
        if index.unique:
            keys.append(
                (index.name or f"{table.name}_{'_'.join(index.columns)}_key", index.columns)
            )
    out: dict[str, tuple[str, ...]] = {}
    taken = {"true", "false", "null"}
    seen: set[tuple[str, ...]] = set()
    for name, columns in keys:
        if columns in seen:
            continue
        seen.add(columns)
        value = unique(sanitise(name), taken)
        taken.add(value.lower())
        out[value] = columns
    return out
