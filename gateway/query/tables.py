"""SQLAlchemy Core tables built from the model: the only source of identifiers in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cachetools import LRUCache

from connectors.types import TypeFamily
from schema_cache.model import Column, Source, Table


class EnumLabel(sa.types.UserDefinedType[str]):
    """An enum label, bound without a type cast: the database types it from the column.

    A `String` bind is cast (`$1::VARCHAR` with psycopg), and PostgreSQL has no implicit
    cast from VARCHAR to a user-defined enum type, neither to assign nor to compare.
    Not a `String`, so `like` casts the column to text (PostgreSQL has no LIKE on enums).
    """

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "VARCHAR"


def column_type(column: Column) -> sa.types.TypeEngine[Any]:
    """The bind type of a column: how Python values are sent to the driver."""
    family = column.family
    if family is TypeFamily.INTEGER:
        return sa.Integer()
    if family is TypeFamily.BIGINT:
        return sa.BigInteger()
    if family is TypeFamily.DECIMAL:
        return sa.Numeric(column.precision, column.scale, asdecimal=True)
    if family is TypeFamily.FLOAT:
        return sa.Float()
    if family is TypeFamily.BOOLEAN:
        return sa.Boolean()
    if family is TypeFamily.STRING:
        return sa.String(column.length)
    if family is TypeFamily.ENUM:
        return EnumLabel()
    if family is TypeFamily.TEXT:
        return sa.Text()
    if family is TypeFamily.DATE:
        return sa.Date()
    if family is TypeFamily.TIME:
        return sa.Time()
    if family is TypeFamily.DATETIME:
        return sa.DateTime()
    if family is TypeFamily.DATETIME_TZ:
        return sa.DateTime(timezone=True)
    if family is TypeFamily.INTERVAL:
        return sa.Interval()
    if family is TypeFamily.UUID:
        return sa.Uuid(as_uuid=False)
    if family is TypeFamily.JSON:
        return sa.JSON()
    if family is TypeFamily.BINARY:
        return sa.LargeBinary()
    return sa.types.NullType()


def build_table(table: Table, metadata: sa.MetaData, default_schema: str) -> sa.Table:
    schema = None if table.schema == default_schema else table.schema
    # SQLAlchemy quotes a name exactly when the dialect needs it: forcing quotes would turn
    # Oracle's case-insensitive names (reflected in lower case) into case-sensitive ones.
    columns = [
        sa.Column(c.name, column_type(c), primary_key=c.name in table.primary_key)
        for c in table.columns
    ]
    return sa.Table(table.name, metadata, *columns, schema=schema)


class TableCache:
    """Core tables per (source, version): rebuilt only when a source's model changes."""

    def __init__(self, maxsize: int = 64) -> None:
        self._cache: LRUCache[tuple[str, str], dict[tuple[str, str], sa.Table]] = LRUCache(maxsize)

    def get_table(self, source: Source, table: Table) -> sa.Table:
        key = (source.name, source.version)
        tables = self._cache.get(key)
        if tables is None:
            metadata = sa.MetaData()
            tables = {
                (t.schema, t.name): build_table(t, metadata, source.default_schema)
                for t in source.tables
            }
            self._cache[key] = tables
        return tables[(table.schema, table.name)]

    def clear(self) -> None:
        self._cache.clear()
