"""Derive relationships from foreign keys, with deterministic collision-free names.

Each foreign key T(cols) -> U(target_cols) gives an object relationship on T
(one U row) and an array relationship on U (many T rows). Names:

- object: the single FK column without its `_id` (or camelCase `Id`) suffix
  (`customer_id` -> `customer`), else the target table's name;
- array: the referencing table's name (`orders`);
- a name that collides with a column or another relationship of the same
  table becomes `<table>_by_<fk columns>`; a still-taken name gets `_2`, `_3`.

Candidates are named in a fixed order (kind, then table, then columns), so
the names depend only on the schema, never on reflection order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from schema_cache.model import ForeignKey, Relationship, RelationshipKind, Table

TableKey = tuple[str, str]


def derive_relationships(
    source: str, tables: Iterable[Table], declared: Iterable[tuple[TableKey, Relationship]] = ()
) -> dict[TableKey, tuple[Relationship, ...]]:
    """Relationships per table key; `declared` ones (from the config) are named first."""
    by_key = {(t.schema, t.name): t for t in tables}
    wanted: dict[TableKey, list[tuple[str, str, Relationship]]] = defaultdict(list)
    for key, table in sorted(by_key.items()):
        for fk in sorted(table.foreign_keys, key=_fk_order):
            target_key = (fk.target_schema, fk.target_table)
            if target_key not in by_key:
                continue  # the target is excluded or not introspected
            obj, arr = _pair(source, table, fk)
            wanted[key].append((_object_base(table, fk), _fallback(fk.target_table, fk), obj))
            wanted[target_key].append((table.name, _fallback(table.name, fk), arr))
    named: dict[TableKey, tuple[Relationship, ...]] = {}
    declared_by_key: dict[TableKey, list[Relationship]] = defaultdict(list)
    for key, rel in declared:
        declared_by_key[key].append(rel)
    for key, table in by_key.items():
        taken = set(table.column_names)
        result: list[Relationship] = []
        for rel in declared_by_key.get(key, []):
            taken.add(rel.name)
            result.append(rel)
        candidates = wanted.get(key, [])
        base_counts: dict[str, int] = defaultdict(int)
        for base, _, _ in candidates:
            base_counts[base] += 1
        for base, fallback, rel in sorted(candidates, key=_order):
            name = base if base not in taken and base_counts[base] == 1 else fallback
            name = _unique(name, taken)
            taken.add(name)
            result.append(_renamed(rel, name))
        named[key] = tuple(result)
    return named


def _fk_order(fk: ForeignKey) -> tuple[tuple[str, ...], str, str, tuple[str, ...], str]:
    return (fk.columns, fk.target_table, fk.target_schema, fk.target_columns, fk.name or "")


def _order(
    candidate: tuple[str, str, Relationship],
) -> tuple[str, str, tuple[str, ...], str, str, tuple[str, ...]]:
    # Schema and target columns last: they only break ties (same-named tables in two schemas).
    _, _, rel = candidate
    return (
        rel.kind,
        rel.target_table,
        rel.columns,
        rel.origin,
        rel.target_schema,
        rel.target_columns,
    )


def _pair(source: str, table: Table, fk: ForeignKey) -> tuple[Relationship, Relationship]:
    origin = fk.name or "fk_" + "_".join(fk.columns)
    obj = _relationship(
        "",
        "object",
        fk.columns,
        source,
        fk.target_schema,
        fk.target_table,
        fk.target_columns,
        origin,
    )
    arr = _relationship(
        "", "array", fk.target_columns, source, table.schema, table.name, fk.columns, origin
    )
    return obj, arr


def _relationship(
    name: str,
    kind: RelationshipKind,
    columns: tuple[str, ...],
    source: str,
    schema: str,
    table: str,
    target_columns: tuple[str, ...],
    origin: str,
) -> Relationship:
    return Relationship(name, kind, columns, source, schema, table, target_columns, origin)


def _renamed(rel: Relationship, name: str) -> Relationship:
    return Relationship(
        name,
        rel.kind,
        rel.columns,
        rel.target_source,
        rel.target_schema,
        rel.target_table,
        rel.target_columns,
        rel.origin,
    )


def _object_base(table: Table, fk: ForeignKey) -> str:
    if len(fk.columns) == 1:
        column = fk.columns[0]
        stripped = ""
        if column.lower().endswith("_id"):
            stripped = column[:-3].rstrip("_")
        elif column.endswith(("Id", "ID")) and column[-3:-2].islower():
            stripped = column[:-2]  # camelCase `customerId`; not `user_uuid` or `paid`
        if stripped:
            return stripped
    return fk.target_table


def _fallback(table_name: str, fk: ForeignKey) -> str:
    return f"{table_name}_by_{'_'.join(fk.columns)}"


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"
