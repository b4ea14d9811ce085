"""Map SQLAlchemy column types to the shared type families.

Every dialect reflects its native types into SQLAlchemy type objects; the
generic rules here cover most of them, and each connector overrides the few
its database spells differently (MySQL TINYINT(1), Oracle NUMBER(p,0), ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes

from connectors.types import TypeFamily


@dataclass(frozen=True, slots=True)
class TypeInfo:
    family: TypeFamily
    native_type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    enum_values: tuple[str, ...] = ()
    item_family: TypeFamily | None = None


# Native type names (lower case, as compiled) that the generic rules get wrong.
NATIVE_FAMILIES: dict[str, TypeFamily] = {
    "money": TypeFamily.DECIMAL,
    "smallmoney": TypeFamily.DECIMAL,
    "oid": TypeFamily.BIGINT,
    "xml": TypeFamily.TEXT,
    "citext": TypeFamily.TEXT,
    "sql_variant": TypeFamily.OTHER,
    "year": TypeFamily.INTEGER,
}


def compile_native(type_: sqltypes.TypeEngine, dialect: Dialect) -> str:
    """The type as the database spells it, or its class name if it cannot compile."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # NullType and some reflected-only types have no DDL form
        return type(type_).__name__.upper()


def build_type_info(type_: sqltypes.TypeEngine, dialect: Dialect) -> TypeInfo:
    """Describe a reflected column type with the generic rules."""
    native = compile_native(type_, dialect)
    family = family_of(type_)
    base = native.split("(")[0].strip().lower()
    family = NATIVE_FAMILIES.get(base, family)
    length = getattr(type_, "length", None) if family in _SIZED else None
    precision = scale = None
    if family is TypeFamily.DECIMAL:  # a float's binary precision means little to clients
        precision = getattr(type_, "precision", None)
        scale = getattr(type_, "scale", None)
    enum_values: tuple[str, ...] = ()
    if isinstance(type_, sqltypes.Enum):
        enum_values = tuple(type_.enums)
    item_family = None
    if isinstance(type_, sqltypes.ARRAY):
        item_family = family_of(type_.item_type)
    return TypeInfo(family, native, length, precision, scale, enum_values, item_family)


_SIZED = (TypeFamily.STRING, TypeFamily.TEXT, TypeFamily.BINARY)


def family_of(type_: sqltypes.TypeEngine) -> TypeFamily:
    """The family of a SQLAlchemy type by its generic class (order matters)."""
    checks: tuple[tuple[type | tuple[type, ...], TypeFamily], ...] = (
        (sqltypes.NullType, TypeFamily.OTHER),
        (sqltypes.Boolean, TypeFamily.BOOLEAN),
        (sqltypes.Enum, TypeFamily.ENUM),
        (sqltypes.ARRAY, TypeFamily.ARRAY),
        (sqltypes.JSON, TypeFamily.JSON),
        (sqltypes.Uuid, TypeFamily.UUID),
        (sqltypes.BigInteger, TypeFamily.BIGINT),
        (sqltypes.Integer, TypeFamily.INTEGER),
        (sqltypes.Float, TypeFamily.FLOAT),
        (sqltypes.Numeric, TypeFamily.DECIMAL),
        (sqltypes._AbstractInterval, TypeFamily.INTERVAL),
        (sqltypes.DateTime, TypeFamily.DATETIME),
        (sqltypes.Date, TypeFamily.DATE),
        (sqltypes.Time, TypeFamily.TIME),
        (sqltypes._Binary, TypeFamily.BINARY),
        (sqltypes.Text, TypeFamily.TEXT),
        (sqltypes.String, TypeFamily.STRING),
    )
    for classes, family in checks:
        if isinstance(type_, classes):
            return _refine(type_, family)
    return TypeFamily.OTHER


def _refine(type_: sqltypes.TypeEngine, family: TypeFamily) -> TypeFamily:
    if family is TypeFamily.DATETIME and getattr(type_, "timezone", False):
        return TypeFamily.DATETIME_TZ
    if family is TypeFamily.STRING and getattr(type_, "length", None) is None:
        return TypeFamily.TEXT
    return family
