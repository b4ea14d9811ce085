"""GraphQL scalars per type family, named as Hasura names them, and their comparison inputs.

Values leave the gateway already rendered by `gateway/query/render.py` (decimals
as exact strings, datetimes in ISO 8601, binary in base64), so the custom
scalars pass values through; incoming values are typed against their column by
`gateway/query/coerce.py`, as REST values are.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLString,
    value_from_ast_untyped,
)
from graphql.language import ValueNode

from connectors.types import TypeFamily


def _identity(value: Any) -> Any:
    return value


def _literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return value_from_ast_untyped(node, variables)


def _custom(name: str, description: str) -> GraphQLScalarType:
    return GraphQLScalarType(
        name,
        serialize=_identity,
        parse_value=_identity,
        parse_literal=_literal,
        description=description,
    )


CUSTOM = {
    "bigint": _custom(
        "bigint", "A 64-bit integer (MySQL's BIGINT UNSIGNED: up to 18446744073709551615)."
    ),
    "numeric": _custom("numeric", "An exact decimal number, sent as a string to stay exact."),
    "date": _custom("date", "A date, YYYY-MM-DD."),
    "time": _custom("time", "A time of day, HH:MM:SS[.ffffff]."),
    "timestamp": _custom("timestamp", "A date and time without time zone (ISO 8601)."),
    "timestamptz": _custom("timestamptz", "A date and time with time zone, in UTC (ISO 8601)."),
    "interval": _custom(
        "interval",
        "A duration (ISO 8601, e.g. P1DT2H, -PT1H30M; months, days and time kept apart).",
    ),
    "uuid": _custom("uuid", "A UUID."),
    "jsonb": _custom("jsonb", "Any JSON value."),
    "bytea": _custom("bytea", "Bytes, base64-encoded."),
}
BY_FAMILY: dict[TypeFamily, GraphQLScalarType] = {
    TypeFamily.INTEGER: GraphQLInt,
    TypeFamily.BIGINT: CUSTOM["bigint"],
    TypeFamily.DECIMAL: CUSTOM["numeric"],
    TypeFamily.FLOAT: GraphQLFloat,
    TypeFamily.BOOLEAN: GraphQLBoolean,
    TypeFamily.STRING: GraphQLString,
    TypeFamily.TEXT: GraphQLString,
    TypeFamily.ENUM: GraphQLString,
    TypeFamily.DATE: CUSTOM["date"],
    TypeFamily.TIME: CUSTOM["time"],
    TypeFamily.DATETIME: CUSTOM["timestamp"],
    TypeFamily.DATETIME_TZ: CUSTOM["timestamptz"],
    TypeFamily.INTERVAL: CUSTOM["interval"],
    TypeFamily.UUID: CUSTOM["uuid"],
    TypeFamily.JSON: CUSTOM["jsonb"],
    TypeFamily.BINARY: CUSTOM["bytea"],
    TypeFamily.ARRAY: CUSTOM["jsonb"],
    TypeFamily.OTHER: GraphQLString,
}
NUMERIC = frozenset({TypeFamily.INTEGER, TypeFamily.BIGINT, TypeFamily.DECIMAL, TypeFamily.FLOAT})
# Families whose values order (min/max); JSON, binary and arrays do not everywhere.
ORDERED = NUMERIC | {
    TypeFamily.STRING,
    TypeFamily.TEXT,
    TypeFamily.ENUM,
    TypeFamily.DATE,
    TypeFamily.TIME,
    TypeFamily.DATETIME,
    TypeFamily.DATETIME_TZ,
    TypeFamily.UUID,
}
TEXT_SCALARS = frozenset({"String"})
COMPARISONS = ("_eq", "_neq", "_gt", "_gte", "_lt", "_lte")
LIST_COMPARISONS = ("_in", "_nin")
TEXT_COMPARISONS = ("_like", "_nlike", "_ilike", "_nilike")


def scalar_for(family: TypeFamily) -> GraphQLScalarType:
    return BY_FAMILY.get(family, GraphQLString)


@cache
def comparison_exp(scalar: GraphQLScalarType) -> GraphQLInputObjectType:
    """`{Scalar}_comparison_exp`: one per scalar, shared by every table."""
    fields: dict[str, GraphQLInputField] = {op: GraphQLInputField(scalar) for op in COMPARISONS}
    for op in LIST_COMPARISONS:
        fields[op] = GraphQLInputField(GraphQLList(GraphQLNonNull(scalar)))
    if scalar.name in TEXT_SCALARS:
        for op in TEXT_COMPARISONS:
            fields[op] = GraphQLInputField(GraphQLString)
    fields["_is_null"] = GraphQLInputField(GraphQLBoolean)
    return GraphQLInputObjectType(
        f"{scalar.name}_comparison_exp",
        fields,
        description=f"Conditions on a {scalar.name} column; several are ANDed.",
    )
