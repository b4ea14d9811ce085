"""Column types across the three type systems /sql meets: the catalog's families, DuckDB
and Arrow. Decimals keep their declared precision and scale: never a silent float.

pyarrow is imported by the Arrow functions only: a pushdown answered in JSON never needs it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from connectors.types import TypeFamily
from schema_cache.model import Column

if TYPE_CHECKING:
    import pyarrow as pa

MAX_DECIMAL_PRECISION = 38
MAX_WIDE_DECIMAL_PRECISION = 76
"""Arrow's decimal256: a pushdown's answer holds MySQL's decimal(65, s) exactly; DuckDB,
which holds at most 38 digits, gets a fragment's such column as its exact text
(`is_text_in_duckdb`)."""
UNCONSTRAINED_DECIMAL = (38, 10)
"""What a NUMERIC without precision becomes (DuckDB and Arrow need one)."""

_DUCKDB_BY_FAMILY = {
    TypeFamily.INTEGER: "INTEGER",
    TypeFamily.BIGINT: "BIGINT",
    TypeFamily.FLOAT: "DOUBLE",
    TypeFamily.BOOLEAN: "BOOLEAN",
    TypeFamily.STRING: "VARCHAR",
    TypeFamily.TEXT: "VARCHAR",
    TypeFamily.ENUM: "VARCHAR",
    TypeFamily.DATE: "DATE",
    TypeFamily.TIME: "TIME",
    TypeFamily.DATETIME: "TIMESTAMP",
    TypeFamily.DATETIME_TZ: "TIMESTAMPTZ",
    TypeFamily.INTERVAL: "INTERVAL",
    TypeFamily.UUID: "UUID",
    TypeFamily.JSON: "JSON",
    TypeFamily.BINARY: "BLOB",
}


@cache
def _arrow_by_family() -> dict[TypeFamily, pa.DataType]:
    import pyarrow as pa

    return {
        TypeFamily.INTEGER: pa.int64(),  # MySQL INT UNSIGNED does not fit int32
        TypeFamily.BIGINT: pa.int64(),
        TypeFamily.FLOAT: pa.float64(),
        TypeFamily.BOOLEAN: pa.bool_(),
        TypeFamily.STRING: pa.string(),
        TypeFamily.TEXT: pa.string(),
        TypeFamily.ENUM: pa.string(),
        TypeFamily.DATE: pa.date32(),
        TypeFamily.TIME: pa.time64("us"),
        TypeFamily.DATETIME: pa.timestamp("us"),
        TypeFamily.DATETIME_TZ: pa.timestamp("us", tz="UTC"),
        TypeFamily.INTERVAL: pa.month_day_nano_interval(),
        TypeFamily.UUID: pa.string(),
        TypeFamily.JSON: pa.string(),
        TypeFamily.BINARY: pa.binary(),
    }


def decimal_shape(column: Column) -> tuple[int, int] | None:
    """(precision, scale) DuckDB can hold for a decimal column, None when it cannot."""
    if column.family is not TypeFamily.DECIMAL:
        return None
    if column.precision is None:
        return UNCONSTRAINED_DECIMAL
    if column.precision > MAX_DECIMAL_PRECISION:
        return None
    return column.precision, max(0, column.scale or 0)


def is_exact_on_scanner(column: Column) -> bool:
    """False when DuckDB's scanners would read the column as DOUBLE (NUMERIC without a
    precision, or wider than 38 digits): such columns take the driver route."""
    if column.family is not TypeFamily.DECIMAL:
        return True
    return column.precision is not None and column.precision <= MAX_DECIMAL_PRECISION


def is_text_in_duckdb(column: Column) -> bool:
    """A decimal DuckDB cannot hold exactly (wider than 38 digits, or a NUMERIC without a
    precision, whose values may have any scale): a fragment carries it into DuckDB as its
    exact text (VARCHAR); arithmetic on it there needs an explicit CAST."""
    return column.family is TypeFamily.DECIMAL and not is_exact_on_scanner(column)


def is_unsigned_bigint(column: Column) -> bool:
    """MySQL's BIGINT UNSIGNED: up to 2^64 - 1, beyond int64 (Arrow's uint64, DuckDB's
    UBIGINT)."""
    return column.family is TypeFamily.BIGINT and "unsigned" in column.native_type.lower()


def is_text_in_arrow(column: Column) -> bool:
    """A decimal declared wider than Arrow's decimal256 (PostgreSQL's numeric(100, 5)): a
    pushdown holds its exact text (a NUMERIC without precision whose values are that wide
    too: `arrow_fetch`)."""
    return (
        column.family is TypeFamily.DECIMAL and (column.precision or 0) > MAX_WIDE_DECIMAL_PRECISION
    )


def duckdb_type(column: Column) -> str:
    """The DuckDB type a fetched column is conformed to."""
    if is_unsigned_bigint(column):
        return "UBIGINT"
    if column.family is TypeFamily.DECIMAL:
        precision, scale = decimal_shape(column) or (MAX_DECIMAL_PRECISION, 0)
        return f"DECIMAL({precision}, {scale})"
    return _DUCKDB_BY_FAMILY.get(column.family, "VARCHAR")


def fetched_decimal_shape(column: Column) -> tuple[int, int]:
    """(precision, scale) a decimal column fetched through a driver is conformed to."""
    precision = column.precision or 0
    if MAX_DECIMAL_PRECISION < precision <= MAX_WIDE_DECIMAL_PRECISION:
        return precision, max(0, column.scale or 0)
    return decimal_shape(column) or (MAX_DECIMAL_PRECISION, 0)


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a column fetched through a driver is conformed to."""
    import pyarrow as pa

    if is_unsigned_bigint(column):
        return pa.uint64()
    if is_text_in_arrow(column):
        return pa.string()
    if column.family is TypeFamily.DECIMAL:
        precision, scale = fetched_decimal_shape(column)
        if precision > MAX_DECIMAL_PRECISION:
            return pa.decimal256(precision, scale)
        return pa.decimal128(precision, scale)
    return _arrow_by_family().get(column.family, pa.string())


def fragment_arrow_type(column: Column) -> pa.DataType:
    """`arrow_type` for a fragment DuckDB reads: a decimal it cannot hold is its exact text
    (`is_text_in_duckdb`)."""
    import pyarrow as pa

    return pa.string() if is_text_in_duckdb(column) else arrow_type(column)


def family_of_duckdb(type_name: str) -> TypeFamily:
    """The family of a DuckDB result column, from its type name (`DECIMAL(12,2)`...)."""
    name = type_name.upper()
    if name.endswith("[]") or name.startswith(("LIST", "ARRAY")):
        return TypeFamily.ARRAY
    for prefix, family in _DUCKDB_PREFIXES:
        if name.startswith(prefix):
            return family
    return TypeFamily.OTHER


_DUCKDB_PREFIXES: tuple[tuple[str, TypeFamily], ...] = (
    ("DECIMAL", TypeFamily.DECIMAL),
    ("TINYINT", TypeFamily.INTEGER),
    ("SMALLINT", TypeFamily.INTEGER),
    ("INTEGER", TypeFamily.INTEGER),
    ("UTINYINT", TypeFamily.INTEGER),
    ("USMALLINT", TypeFamily.INTEGER),
    ("UINTEGER", TypeFamily.BIGINT),
    ("BIGINT", TypeFamily.BIGINT),
    ("UBIGINT", TypeFamily.BIGINT),
    ("HUGEINT", TypeFamily.BIGINT),
    ("UHUGEINT", TypeFamily.BIGINT),
    ("DOUBLE", TypeFamily.FLOAT),
    ("FLOAT", TypeFamily.FLOAT),
    ("BOOLEAN", TypeFamily.BOOLEAN),
    ("VARCHAR", TypeFamily.TEXT),
    ("DATE", TypeFamily.DATE),
    ("TIMESTAMP WITH TIME ZONE", TypeFamily.DATETIME_TZ),
    ("TIMESTAMP", TypeFamily.DATETIME),
    ("TIME", TypeFamily.TIME),
    ("INTERVAL", TypeFamily.INTERVAL),
    ("UUID", TypeFamily.UUID),
    ("JSON", TypeFamily.JSON),
    ("BLOB", TypeFamily.BINARY),
    ("STRUCT", TypeFamily.JSON),
    ("MAP", TypeFamily.JSON),
)


def family_of_arrow(type_: pa.DataType) -> TypeFamily:
    """The family of an Arrow column (results of a query pushed down whole)."""
    import pyarrow as pa

    checks = (
        (pa.types.is_decimal, TypeFamily.DECIMAL),
        (pa.types.is_boolean, TypeFamily.BOOLEAN),
        (pa.types.is_int64, TypeFamily.BIGINT),
        (pa.types.is_uint64, TypeFamily.BIGINT),
        (pa.types.is_integer, TypeFamily.INTEGER),
        (pa.types.is_floating, TypeFamily.FLOAT),
        (pa.types.is_string, TypeFamily.TEXT),
        (pa.types.is_large_string, TypeFamily.TEXT),
        (pa.types.is_date, TypeFamily.DATE),
        (pa.types.is_time, TypeFamily.TIME),
        (pa.types.is_binary, TypeFamily.BINARY),
        (pa.types.is_list, TypeFamily.ARRAY),
        (pa.types.is_struct, TypeFamily.JSON),
        (pa.types.is_interval, TypeFamily.INTERVAL),
        (pa.types.is_duration, TypeFamily.INTERVAL),
    )
    if isinstance(type_, pa.JsonType):  # a computed JSON column (`arrow_fetch`)
        return TypeFamily.JSON
    if pa.types.is_timestamp(type_):
        return TypeFamily.DATETIME_TZ if type_.tz else TypeFamily.DATETIME
    return next((family for check, family in checks if check(type_)), TypeFamily.OTHER)
