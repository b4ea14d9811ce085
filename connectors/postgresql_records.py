"""Records from pg_catalog rows (pure functions).

They give the same records as the Inspector path (`connectors/reflection.py`)
for the same database: same type families and native spellings, defaults,
key, index and constraint rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.postgresql_catalog import CatalogRows, ConstraintRow, RelationRow
from connectors.postgresql_types import TypeMapper, qualify_sequence, strip_check
from connectors.records import CheckRecord, ColumnRecord, ForeignKeyRecord, TableRecord
from connectors.reflection import build_indexes, build_uniques


def build_tables(
    catalog: CatalogRows, mapper: TypeMapper, default_schema: str
) -> tuple[TableRecord, ...]:
    seen: dict[tuple[Any, ...], ColumnRecord] = {}
    tables = (build_table(r, catalog, mapper, default_schema, seen) for r in catalog.relations)
    return tuple(sorted(tables, key=lambda t: (t.schema, t.name)))


def build_table(
    relation: RelationRow,
    catalog: CatalogRows,
    mapper: TypeMapper,
    default_schema: str,
    seen: dict[tuple[Any, ...], ColumnRecord],
) -> TableRecord:
    """The record of one relation; `seen` shares equal column records between tables."""
    oid = relation.oid
    qualifier = None if relation.schema == default_schema else relation.schema
    constraints = catalog.constraints.get(oid, [])
    pk = next((c for c in constraints if c.contype == "p"), None)
    # Plain dicts shaped like the Inspector's, so both paths share the index and unique rules.
    indexes = [
        {
            "name": i.name,
            "column_names": catalog.name_columns(oid, i.attnums[: i.key_count]),
            "unique": i.unique,
            "duplicates_constraint": i.backs_constraint,
        }
        for i in catalog.indexes.get(oid, ())
    ]
    uniques: list[dict[str, Any]] = [
        {"name": c.name, "column_names": catalog.name_columns(oid, c.attnums)}
        for c in constraints
        if c.contype == "u"
    ]
    return TableRecord(
        schema=relation.schema,
        name=relation.name,
        kind="view" if relation.relkind == "v" else "table",
        columns=build_columns(catalog.columns.get(oid, ()), mapper, qualifier, seen),
        primary_key=_names(catalog, oid, pk.attnums) if pk else (),
        primary_key_name=pk.name if pk else None,
        foreign_keys=build_foreign_keys(oid, constraints, catalog),
        unique_constraints=build_uniques(uniques, indexes),
        indexes=build_indexes(indexes),
        checks=tuple(
            CheckRecord(c.name, strip_check(c.definition or ""))
            for c in constraints
            if c.contype == "c"
        ),
        comment=relation.comment,
    )


def _names(catalog: CatalogRows, relid: int, attnums: Sequence[int]) -> tuple[str, ...]:
    """Names of key columns (never expressions)."""
    return tuple(filter(None, catalog.name_columns(relid, attnums)))


def build_foreign_keys(
    relid: int, constraints: Sequence[ConstraintRow], catalog: CatalogRows
) -> tuple[ForeignKeyRecord, ...]:
    return tuple(
        ForeignKeyRecord(
            name=c.name,
            columns=_names(catalog, relid, c.attnums),
            referred_schema=c.ref_schema or "",
            referred_table=c.ref_table or "",
            referred_columns=tuple(
                c.ref_names or _names(catalog, c.ref_relid, c.ref_attnums or ())
            ),
        )
        for c in constraints
        if c.contype == "f"
    )


def build_columns(
    rows: Sequence[Sequence[Any]],
    mapper: TypeMapper,
    qualifier: str | None,
    seen: dict[tuple[Any, ...], ColumnRecord],
) -> tuple[ColumnRecord, ...]:
    """Column records of a table's rows, each distinct row built once into `seen`.

    Tables repeat columns (`id`, `created_at`, `name varchar(120)`): a row equal to an
    earlier one but for its table and position gives the same (immutable) record.
    """
    records = []
    for row in rows:
        # Every field but relid, attnum and the enum labels (which follow from the type).
        key = (qualifier, *row[2:12], *row[13:])
        record = seen.get(key)
        if record is None:
            record = seen[key] = build_column(row, mapper, qualifier)
        records.append(record)
    return tuple(records)


def build_column(row: Sequence[Any], mapper: TypeMapper, qualifier: str | None) -> ColumnRecord:
    """A column record; `qualifier` is the table's schema unless it is the default one."""
    # The fields of ColumnRow, unpacked from the SQLAlchemy row at tuple speed.
    (_relid, _attnum, name, format_type, not_null, default, identity, generated, comment) = row[:9]
    (domain_not_null, domain_default, elem_typtype, enum_labels, collation, coll_schema) = row[9:]
    mapped = mapper.type_of(format_type, elem_typtype, enum_labels, collation, coll_schema, name)
    info = mapped.info
    nullable = not not_null
    if mapped.is_domain:  # a domain's own default and NOT NULL apply to its columns
        default = default or domain_default
        nullable = nullable and not domain_not_null
    if generated:
        default = None  # the generation expression is not a default
    if default is not None and qualifier is not None:
        default = qualify_sequence(default, qualifier)
    return ColumnRecord(
        name=name,
        family=info.family,
        native_type=info.native_type,
        nullable=nullable,
        default=default,
        autoincrement=identity or (default is not None and "nextval(" in default),
        identity=identity,
        generated=generated,
        length=info.length,
        precision=info.precision,
        scale=info.scale,
        comment=comment,
        enum_values=info.enum_values,
        item_family=info.item_family,
    )
