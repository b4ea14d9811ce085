"""PostgreSQL column types from their `format_type()` spelling, mapped once per spelling.

The type object is rebuilt the way SQLAlchemy's PostgreSQL dialect reflects it
(so `typemap` gives the same family and native spelling as the Inspector path),
but only for the first column of each distinct spelling.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import util
from sqlalchemy.dialects.postgresql import ARRAY, DOMAIN, ENUM, INTERVAL
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes

from connectors.typemap import NATIVE_FAMILIES, TypeInfo
from connectors.types import TypeFamily

if TYPE_CHECKING:
    from connectors.base import Connector

_ARGS = re.compile(r"\((.*)\)")
_ARRAY_DIMS = re.compile(r"((?:\[\])*)$")
_NEXTVAL = re.compile(r"(nextval\(')([^']+)('.*$)")
_CHECK = re.compile(r"^CHECK *\((.+)\)( NO INHERIT)?( NOT VALID)?$", re.DOTALL)
_TIME_ZONE = ("timestamp with time zone", "time with time zone")
_NO_TIME_ZONE = ("timestamp without time zone", "time without time zone", "time")


@dataclass(frozen=True, slots=True)
class MappedType:
    info: TypeInfo
    is_domain: bool = False  # a domain's default and NOT NULL apply to its columns
    recognized: bool = True


class TypeMapper:
    """Type infos of column rows, computed once per distinct type spelling."""

    def __init__(self, connector: Connector, dialect: Dialect) -> None:
        self._connector = connector
        self._dialect = dialect
        self._names: Mapping[str, Any] = getattr(dialect, "ischema_names", {})
        self._seen: dict[tuple[Any, ...], MappedType] = {}

    def type_of(
        self,
        format_type: str | None,
        elem_typtype: str,
        enum_labels: list[str] | None,
        collation: str | None,
        collation_schema: str | None,
        column: str,
    ) -> MappedType:
        """The type of a column row (see `ColumnRow` for the arguments)."""
        key = (format_type, elem_typtype, collation, collation_schema)
        mapped = self._seen.get(key)
        if mapped is None:
            type_ = build_sqlalchemy_type(
                format_type or "",
                kind=elem_typtype,
                labels=tuple(enum_labels or ()),
                collation=collation,
                collation_schema=collation_schema,
                names=self._names,
            )
            mapped = self._seen[key] = self._map(type_, format_type or "")
        if not mapped.recognized and mapped.info.family is TypeFamily.OTHER:
            warnings.warn(
                f"Did not recognize type '{format_type}' of column '{column}'", stacklevel=2
            )
        return mapped

    def _map(self, type_: sqltypes.TypeEngine[Any] | None, spelling: str) -> MappedType:
        if type_ is None:
            return MappedType(build_unrecognized_info(spelling), recognized=False)
        info = self._connector.type_info(type_, self._dialect)
        return MappedType(info, is_domain=isinstance(type_, DOMAIN))


def build_unrecognized_info(spelling: str) -> TypeInfo:
    """A type SQLAlchemy does not know (e.g. xml, an extension's): keep its spelling."""
    base = _ARRAY_DIMS.sub("", spelling)
    family = NATIVE_FAMILIES.get(base.split("(")[0].strip().lower(), TypeFamily.OTHER)
    if base != spelling:
        return TypeInfo(TypeFamily.ARRAY, spelling, item_family=family)
    return TypeInfo(family, spelling)


def build_sqlalchemy_type(
    spelling: str,
    *,
    kind: str | None,
    labels: tuple[str, ...],
    collation: str | None,
    collation_schema: str | None,
    names: Mapping[str, Any],
) -> sqltypes.TypeEngine[Any] | None:
    """The type SQLAlchemy's dialect reflects for a `format_type()` spelling; None if unknown.

    Args:
        kind: `pg_type.typtype` of the type, or of its element for an array ("e": enum).
        labels: the enum's labels in sort order.
    """
    match = _ARGS.search(spelling)
    args = [a.strip() for a in match.group(1).split(",")] if match and match.group(1) else []
    dims_match = _ARRAY_DIMS.search(spelling)
    dims = len(dims_match.group(1)) // 2 if dims_match else 0
    name = _ARRAY_DIMS.sub("", _ARGS.sub("", spelling))
    cls = names.get(name.lower())
    positional: tuple[Any, ...] = ()
    options: dict[str, Any] = {}
    if name == "numeric":
        positional = tuple(int(a) for a in args) if len(args) == 2 else ()
    elif name == "double precision":
        positional = (53,)
    elif name in _TIME_ZONE or name in _NO_TIME_ZONE:
        options["timezone"] = name in _TIME_ZONE
        if len(args) == 1:
            options["precision"] = int(args[0])
    elif name == "bit varying":
        options["varying"] = True
        positional = (int(args[0]),) if len(args) == 1 else ()
    elif name == "interval" or name.startswith("interval "):
        cls = INTERVAL
        if name.startswith("interval "):
            options["fields"] = name[len("interval ") :]
        if len(args) == 1:
            options["precision"] = int(args[0])
    elif cls is None and kind in ("e", "d"):
        *schema, type_name = util.quoted_token_parser(name)
        if schema:
            options["schema"] = schema[0]
        if kind == "e":
            return _array(ENUM(*labels, name=type_name, **options), dims)
        return _array(DOMAIN(type_name, sqltypes.NullType(), create_type=False, **options), dims)
    elif name != "integer" and args:
        positional = (int(args[0]), *args[1:]) if args[0].isdigit() else tuple(args)
    if cls is None:
        return None
    if collation is not None:
        options["collation"] = collation
        if collation_schema is not None:
            options["collation_schema"] = collation_schema
    return _array(cls(*positional, **options), dims)


def _array(type_: sqltypes.TypeEngine[Any], dims: int) -> sqltypes.TypeEngine[Any]:
    # PostgreSQL does not keep an array's dimensions or sizes: one ARRAY whatever the depth.
    return ARRAY(type_) if dims else type_


def qualify_sequence(default: str, schema: str) -> str:
    """Qualify an unqualified sequence in a `nextval()` default, as the Inspector does."""
    match = _NEXTVAL.search(default)
    if match is None or "." in match.group(2):
        return default
    return f'{match.group(1)}"{schema}".{match.group(2)}{match.group(3)}'


def strip_check(definition: str) -> str:
    """The expression of a `pg_get_constraintdef()` CHECK, without CHECK and outer parentheses."""
    match = _CHECK.match(definition or "")
    if match is None:
        warnings.warn(f"Could not parse CHECK constraint text: {definition!r}", stacklevel=2)
        return ""
    return str(util.strip_outer_parens(match.group(1)))
