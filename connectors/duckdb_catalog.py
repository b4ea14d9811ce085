"""Batch introspection of DuckDB from its catalog functions.

duckdb_engine inherits PostgreSQL's reflection queries, which DuckDB's
pg_catalog emulation cannot answer; DuckDB's own `duckdb_*()` functions and
information_schema give everything in one query per object kind.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

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
from connectors.types import TypeFamily

if TYPE_CHECKING:
    from connectors.base import Progress
    from connectors.duckdb import DuckDBConnector

_TABLES = sa.text("""
SELECT schema_name, table_name AS name, 'table' AS kind, comment, sql
FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
  AND NOT temporary AND schema_name IN :schemas
UNION ALL
SELECT schema_name, view_name, 'view', comment, sql
FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
  AND NOT temporary AND schema_name IN :schemas
""").bindparams(sa.bindparam("schemas", expanding=True))
_COLUMNS = sa.text("""
SELECT table_schema, table_name, column_name, column_default, is_nullable, data_type,
       numeric_precision, numeric_scale, "COLUMN_COMMENT" AS comment
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema IN :schemas
ORDER BY table_schema, table_name, ordinal_position
""").bindparams(sa.bindparam("schemas", expanding=True))
_CONSTRAINTS = sa.text("""
SELECT schema_name, table_name, constraint_type, constraint_name, expression,
       constraint_column_names, referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE database_name = current_database() AND schema_name IN :schemas
  AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY', 'CHECK')
ORDER BY schema_name, table_name, constraint_index
""").bindparams(sa.bindparam("schemas", expanding=True))
_INDEXES = sa.text("""
SELECT schema_name, table_name, index_name, is_unique, expressions
FROM duckdb_indexes()
WHERE database_name = current_database() AND schema_name IN :schemas AND NOT is_primary
ORDER BY schema_name, table_name, index_name
""").bindparams(sa.bindparam("schemas", expanding=True))

_SIMPLE: dict[str, TypeFamily] = {
    "TINYINT": TypeFamily.INTEGER,
    "SMALLINT": TypeFamily.INTEGER,
    "INTEGER": TypeFamily.INTEGER,
    "UTINYINT": TypeFamily.INTEGER,
    "USMALLINT": TypeFamily.INTEGER,
    "UINTEGER": TypeFamily.BIGINT,
    "BIGINT": TypeFamily.BIGINT,
    "UBIGINT": TypeFamily.DECIMAL,
    "HUGEINT": TypeFamily.DECIMAL,
    "UHUGEINT": TypeFamily.DECIMAL,
    "DECIMAL": TypeFamily.DECIMAL,
    "FLOAT": TypeFamily.FLOAT,
    "DOUBLE": TypeFamily.FLOAT,
    "BOOLEAN": TypeFamily.BOOLEAN,
    "VARCHAR": TypeFamily.TEXT,
    "DATE": TypeFamily.DATE,
    "TIME": TypeFamily.TIME,
    "TIME WITH TIME ZONE": TypeFamily.TIME,
    "TIMESTAMP": TypeFamily.DATETIME,
    "TIMESTAMP_S": TypeFamily.DATETIME,
    "TIMESTAMP_MS": TypeFamily.DATETIME,
    "TIMESTAMP_NS": TypeFamily.DATETIME,
    "TIMESTAMP WITH TIME ZONE": TypeFamily.DATETIME_TZ,
    "INTERVAL": TypeFamily.INTERVAL,
    "UUID": TypeFamily.UUID,
    "JSON": TypeFamily.JSON,
    "BLOB": TypeFamily.BINARY,
    "BIT": TypeFamily.OTHER,
}


def duckdb_family(data_type: str) -> TypeFamily:
    """The family of a DuckDB type as information_schema spells it."""
    text = data_type.strip().upper()
    if text.endswith("]"):
        return TypeFamily.ARRAY
    if text.startswith("ENUM("):
        return TypeFamily.ENUM
    return _SIMPLE.get(text.split("(")[0].strip(), TypeFamily.OTHER)


def reflect_duckdb_catalog(
    connector: DuckDBConnector, conn: Connection, progress: Progress | None
) -> SourceRecord:
    schemas = list(connector.schemas_to_reflect(conn))
    rows: dict[str, list[Row[Any]]] = {}
    queries = (
        ("tables", _TABLES),
        ("columns", _COLUMNS),
        ("constraints", _CONSTRAINTS),
        ("indexes", _INDEXES),
    )
    for done, (kind, query) in enumerate(queries, start=1):
        rows[kind] = list(conn.execute(query, {"schemas": schemas}))
        if progress:
            progress(done, len(queries))
    settings = connector.settings
    columns, constraints, indexes = (_group(rows[k]) for k in ("columns", "constraints", "indexes"))
    tables = [
        build_table(t, columns, constraints, indexes)
        for t in rows["tables"]
        if is_included(t.schema_name, t.name, settings.include, settings.exclude)
    ]
    return SourceRecord(
        dialect="duckdb",
        server_version=connector.fetch_server_version(conn),
        default_schema=connector.default_schema(conn),
        tables=tuple(sorted(tables, key=lambda t: (t.schema, t.name))),
    )


def _group(rows: list[Row[Any]]) -> dict[tuple[str, str], list[Row[Any]]]:
    """Rows by (schema, table): every query here selects those two columns first."""
    grouped: dict[tuple[str, str], list[Row[Any]]] = defaultdict(list)
    for row in rows:
        values = tuple(row)
        grouped[(values[0], values[1])].append(row)
    return grouped


def build_table(
    table: Row[Any],
    columns: dict[tuple[str, str], list[Row[Any]]],
    constraints: dict[tuple[str, str], list[Row[Any]]],
    indexes: dict[tuple[str, str], list[Row[Any]]],
) -> TableRecord:
    key = (table.schema_name, table.name)
    generated = _generated_columns(table.sql or "") if table.kind == "table" else set()
    pk: tuple[str, ...] = ()
    pk_name = None
    fks, uniques, checks = [], [], []
    for c in constraints[key]:
        cols = tuple(c.constraint_column_names)
        if c.constraint_type == "PRIMARY KEY":
            pk, pk_name = cols, c.constraint_name
        elif c.constraint_type == "UNIQUE":
            uniques.append(UniqueRecord(c.constraint_name, cols))
        elif c.constraint_type == "CHECK":
            checks.append(CheckRecord(c.constraint_name, c.expression or ""))
        else:  # DuckDB foreign keys stay within one schema
            fks.append(
                ForeignKeyRecord(
                    c.constraint_name,
                    cols,
                    table.schema_name,
                    c.referenced_table,
                    tuple(c.referenced_column_names),
                )
            )
    return TableRecord(
        schema=table.schema_name,
        name=table.name,
        kind=table.kind,
        columns=tuple(build_column(c, c.column_name in generated) for c in columns[key]),
        primary_key=pk,
        primary_key_name=pk_name,
        foreign_keys=tuple(fks),
        unique_constraints=tuple(sorted(uniques, key=lambda u: u.columns)),
        indexes=tuple(
            IndexRecord(i.index_name, _index_columns(i.expressions), bool(i.is_unique))
            for i in indexes[key]
        ),
        checks=tuple(checks),
        comment=table.comment,
    )


def build_column(row: Row[Any], generated: bool) -> ColumnRecord:
    family = duckdb_family(row.data_type)
    default = row.column_default
    enum_values: tuple[str, ...] = ()
    if family is TypeFamily.ENUM:
        enum_values = tuple(
            v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", row.data_type)
        )
    item = (
        duckdb_family(row.data_type[: row.data_type.rfind("[")])
        if family is TypeFamily.ARRAY
        else None
    )
    return ColumnRecord(
        name=row.column_name,
        family=family,
        native_type=row.data_type,
        nullable=row.is_nullable == "YES",
        default=None if generated else default,
        autoincrement=bool(default and "nextval(" in default),
        generated=generated,
        precision=row.numeric_precision if family is TypeFamily.DECIMAL else None,
        scale=row.numeric_scale if family is TypeFamily.DECIMAL else None,
        comment=row.comment,
        enum_values=enum_values,
        item_family=item,
    )


_GENERATED = re.compile(
    r'(?:"((?:[^"]|"")+)"|(\w+))'  # the column name, quoted or bare
    r"\s+[A-Z][\w ]*?(?:\([^)]*\))?(?:\[\d*\])*"  # its type, e.g. DECIMAL(12,2) or INT[]
    r"\s+GENERATED\s+ALWAYS\s+AS\b",
    re.IGNORECASE,
)


def _generated_columns(create_sql: str) -> set[str]:
    """Generated columns, read from the CREATE TABLE text (no catalog function flags them)."""
    return {quoted.replace('""', '"') or bare for quoted, bare in _GENERATED.findall(create_sql)}


def _index_columns(expressions: str | None) -> tuple[str, ...]:
    inner = (expressions or "").strip().strip("[]")
    return tuple(part.strip().strip('"') for part in inner.split(",") if part.strip())
