"""Build the unified model from connector records (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable

from config.settings import RelationshipSettings
from connectors.gc_pause import gc_paused
from connectors.records import ColumnRecord, SourceRecord, TableRecord
from schema_cache.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    Relationship,
    Source,
    Table,
    UniqueConstraint,
)
from schema_cache.relationships import TableKey, derive_relationships
from schema_cache.serialize import version_of


def build_column(record: ColumnRecord) -> Column:
    return Column(
        name=record.name,
        family=record.family,
        native_type=record.native_type,
        nullable=record.nullable,
        default=record.default,
        autoincrement=record.autoincrement,
        identity=record.identity,
        generated=record.generated,
        length=record.length,
        precision=record.precision,
        scale=record.scale,
        comment=record.comment,
        enum_values=record.enum_values,
        item_family=record.item_family,
    )


def _column(record: ColumnRecord, seen: dict[ColumnRecord, Column]) -> Column:
    # Tables repeat columns (`id`, `created_at`): equal records give one immutable Column.
    column = seen.get(record)
    if column is None:
        column = seen[record] = build_column(record)
    return column


def build_table(record: TableRecord, columns: dict[ColumnRecord, Column] | None = None) -> Table:
    """The model of one table; `columns` shares the model of equal column records."""
    seen = {} if columns is None else columns
    return Table(
        schema=record.schema,
        name=record.name,
        kind="view" if record.kind == "view" else "table",
        columns=tuple(_column(c, seen) for c in record.columns),
        primary_key=record.primary_key,
        foreign_keys=tuple(
            ForeignKey(f.name, f.columns, f.referred_schema, f.referred_table, f.referred_columns)
            for f in record.foreign_keys
        ),
        unique_constraints=tuple(
            UniqueConstraint(u.name, u.columns) for u in record.unique_constraints
        ),
        indexes=tuple(Index(i.name, i.columns, i.unique) for i in record.indexes),
        checks=tuple(Check(c.name, c.expression) for c in record.checks),
        comment=record.comment,
    )


def build_source(
    name: str, record: SourceRecord, declared: Iterable[RelationshipSettings] = ()
) -> Source:
    """The model of one source, with relationships derived and a version hash."""
    with gc_paused():  # 40,000 columns at 2,000 tables, no cycles: see connectors/gc_pause.py
        return _build_source(name, record, declared)


def _build_source(
    name: str, record: SourceRecord, declared: Iterable[RelationshipSettings]
) -> Source:
    columns: dict[ColumnRecord, Column] = {}
    tables = tuple(build_table(t, columns) for t in record.tables)
    by_key = {(t.schema, t.name): t for t in tables}
    extra = list(declared_relationships(name, record.default_schema, by_key, declared))
    relationships = derive_relationships(name, tables, extra)
    tables = tuple(
        _with_relationships(t, relationships.get((t.schema, t.name), ())) for t in tables
    )
    return Source(
        name=name,
        dialect=record.dialect,
        server_version=record.server_version,
        default_schema=record.default_schema,
        version=version_of(tables, record.default_schema),
        tables=tables,
    )


def declared_relationships(
    source: str,
    default_schema: str,
    tables: dict[TableKey, Table],
    declared: Iterable[RelationshipSettings],
) -> Iterable[tuple[TableKey, Relationship]]:
    """Config relationships starting at this source whose local table exists."""
    for rel in declared:
        if rel.source != source:
            continue
        schema, _, name = rel.table.rpartition(".")
        key = (schema or default_schema, name)
        if key not in tables:
            continue
        target_schema, _, target_table = rel.target_table.rpartition(".")
        yield (
            key,
            Relationship(
                name=rel.name,
                kind="array" if rel.kind == "array" else "object",
                columns=rel.columns,
                target_source=rel.target_source,
                target_schema=target_schema,  # empty: the target source's default schema
                target_table=target_table,
                target_columns=rel.target_columns,
                origin="config",
            ),
        )


def _with_relationships(table: Table, relationships: tuple[Relationship, ...]) -> Table:
    return Table(
        schema=table.schema,
        name=table.name,
        kind=table.kind,
        columns=table.columns,
        primary_key=table.primary_key,
        foreign_keys=table.foreign_keys,
        unique_constraints=table.unique_constraints,
        indexes=table.indexes,
        checks=table.checks,
        comment=table.comment,
        relationships=relationships,
    )
