"""Batch introspection through SQLAlchemy's Inspector (`get_multi_*`).

One call per object kind per schema, whatever the number of tables; rows are
turned into records by pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.reflection import ObjectKind

from connectors.filters import is_included
from connectors.records import (
    CheckRecord,
    ColumnRecord,
    ForeignKeyRecord,
    IndexRecord,
    SourceRecord,
    TableRecord,
    UniqueRecord,
)

if TYPE_CHECKING:
    from connectors.base import Connector, Progress

TableKey = tuple[str | None, str]


def reflect_with_inspector(
    connector: Connector, conn: Connection, progress: Progress | None
) -> SourceRecord:
    inspector = sa.inspect(conn)
    default_schema = connector.default_schema(conn)
    schemas = connector.schemas_to_reflect(conn)
    tables: list[TableRecord] = []
    for index, schema in enumerate(schemas):
        tables.extend(_reflect_schema(connector, inspector, schema, default_schema))
        if progress:
            progress(index + 1, len(schemas))
    return SourceRecord(
        dialect=connector.dialect,
        server_version=connector.fetch_server_version(conn),
        default_schema=default_schema,
        tables=tuple(sorted(tables, key=lambda t: (t.schema, t.name))),
    )


def _reflect_schema(
    connector: Connector, inspector: Inspector, schema: str, default_schema: str
) -> list[TableRecord]:
    settings = connector.settings
    arg = None if schema == default_schema else schema
    kinds = {name: "table" for name in inspector.get_table_names(schema=arg)}
    kinds.update({name: "view" for name in inspector.get_view_names(schema=arg)})
    names = sorted(n for n in kinds if is_included(schema, n, settings.include, settings.exclude))
    if not names:
        return []
    everything = names == sorted(kinds)
    options: dict[str, Any] = {
        "schema": arg,
        "filter_names": None if everything else names,
        "kind": ObjectKind.ANY,
    }
    columns = inspector.get_multi_columns(**options)
    pks = inspector.get_multi_pk_constraint(**options)
    fks = inspector.get_multi_foreign_keys(**options)
    uniques = inspector.get_multi_unique_constraints(**options)
    indexes = inspector.get_multi_indexes(**options)
    checks = inspector.get_multi_check_constraints(**options)
    comments = inspector.get_multi_table_comment(**options) if connector.supports_comments else {}
    dialect = inspector.dialect
    records = []
    for name in names:
        key: TableKey = (arg, name)
        if key not in columns:
            continue  # dropped between the name listing and the column query
        records.append(
            TableRecord(
                schema=schema,
                name=name,
                kind=kinds[name],
                columns=tuple(build_column(connector, dialect, c) for c in columns[key]),
                primary_key=tuple(_get(pks, key, "constrained_columns") or ()),
                primary_key_name=_get(pks, key, "name"),
                foreign_keys=tuple(
                    build_foreign_key(fk, default_schema) for fk in fks.get(key, ())
                ),
                unique_constraints=build_uniques(uniques.get(key, ()), indexes.get(key, ())),
                indexes=build_indexes(indexes.get(key, ())),
                checks=tuple(
                    CheckRecord(c.get("name"), str(c.get("sqltext"))) for c in checks.get(key, ())
                ),
                comment=_get(comments, key, "text"),
            )
        )
    return records


def _get(found: Mapping[TableKey, Any], key: TableKey, field: str) -> Any:
    entry: Mapping[str, Any] = found.get(key) or {}
    return entry.get(field)


def build_column(connector: Connector, dialect: sa.Dialect, col: Mapping[str, Any]) -> ColumnRecord:
    info = connector.type_info(col["type"], dialect)
    identity = bool(col.get("identity"))
    autoincrement = identity or col.get("autoincrement") is True
    default = col.get("default")
    if default is not None and "nextval(" in str(default):
        autoincrement = True  # serial columns
    return ColumnRecord(
        name=col["name"],
        family=info.family,
        native_type=info.native_type,
        nullable=bool(col.get("nullable", True)),
        default=None if default is None else str(default),
        autoincrement=autoincrement,
        identity=identity,
        generated=bool(col.get("computed")),
        length=info.length,
        precision=info.precision,
        scale=info.scale,
        comment=col.get("comment"),
        enum_values=info.enum_values,
        item_family=info.item_family,
    )


def build_foreign_key(fk: Mapping[str, Any], default_schema: str) -> ForeignKeyRecord:
    # SQLAlchemy leaves referred_schema empty when the target is in the default schema.
    return ForeignKeyRecord(
        name=fk.get("name"),
        columns=tuple(fk["constrained_columns"]),
        referred_schema=fk.get("referred_schema") or default_schema,
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
    )


def build_indexes(indexes: Sequence[Mapping[str, Any]]) -> tuple[IndexRecord, ...]:
    """Indexes on plain columns that do not merely back a constraint."""
    return tuple(
        IndexRecord(index.get("name"), tuple(index["column_names"]), bool(index.get("unique")))
        for index in indexes
        if index.get("column_names")
        and None not in index["column_names"]
        and not index.get("duplicates_constraint")
    )


def build_uniques(
    uniques: Sequence[Mapping[str, Any]], indexes: Sequence[Mapping[str, Any]]
) -> tuple[UniqueRecord, ...]:
    """Unique constraints; a unique index some dialects report instead counts too."""
    found = {
        tuple(u["column_names"]): UniqueRecord(u.get("name"), tuple(u["column_names"]))
        for u in uniques
    }
    for index in indexes:
        cols = tuple(index.get("column_names") or ())
        if index.get("unique") and cols and None not in cols and cols not in found:
            if index.get("duplicates_constraint"):
                continue
            found[cols] = UniqueRecord(index.get("name"), cols)
    return tuple(sorted(found.values(), key=lambda u: u.columns))
