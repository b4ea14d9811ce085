"""The GraphQL types of one table, built from the model (pure; graphql-core type objects).

Types refer to each other through thunks, so relationships to any table of
any source (and cycles) resolve once every table has been registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)

from gateway.graphql.naming import TableNames
from gateway.graphql.scalars import NUMERIC, ORDERED, comparison_exp, scalar_for
from schema_cache.model import Column, Relationship, Source, Table

ORDER_BY = GraphQLEnumType(
    "order_by",
    {
        "asc": GraphQLEnumValue(("asc", None), description="ascending, nulls last"),
        "asc_nulls_first": GraphQLEnumValue(("asc", "first")),
        "asc_nulls_last": GraphQLEnumValue(("asc", "last")),
        "desc": GraphQLEnumValue(("desc", None), description="descending, nulls first"),
        "desc_nulls_first": GraphQLEnumValue(("desc", "first")),
        "desc_nulls_last": GraphQLEnumValue(("desc", "last")),
    },
    description="Column ordering; nulls sort as PostgreSQL sorts them unless named.",
)


def _list_of(kind: Any) -> GraphQLNonNull[Any]:
    return GraphQLNonNull(GraphQLList(GraphQLNonNull(kind)))


@dataclass(frozen=True, slots=True)
class Model:
    """A table with its source and names: what type generation and compilation read."""

    source: Source
    table: Table
    names: TableNames
    read_only: bool

    def column(self, field_name: str) -> Column:
        column = self.table.get_column(self.names.columns[field_name])
        assert column is not None
        return column

    def relationship(self, field_name: str) -> Relationship:
        name = self.names.relationships.get(field_name) or self.names.aggregates[field_name]
        rel = self.table.get_relationship(name)
        assert rel is not None
        return rel


class TableTypes:
    """Every type of one table; `lookup` finds the types of a relationship's target."""

    def __init__(self, model: Model, lookup: Callable[[Relationship], TableTypes | None]) -> None:
        self.model = model
        self.lookup = lookup
        base = model.names.base
        names = model.names
        table = model.table
        self.select_column = GraphQLEnumType(
            f"{base}_select_column",
            {f: GraphQLEnumValue(c) for f, c in names.columns.items()},
            description=f"Columns of {base}.",
        )
        self.bool_exp: GraphQLInputObjectType = GraphQLInputObjectType(
            f"{base}_bool_exp", self._bool_exp_fields, description=f"Conditions on {base} rows."
        )
        self.order_by: GraphQLInputObjectType = GraphQLInputObjectType(
            f"{base}_order_by", self._order_by_fields
        )
        self.object: GraphQLObjectType = GraphQLObjectType(
            base, self._object_fields, description=table.comment or f"{table.kind} {table.name}"
        )
        self.aggregate_fields = self._aggregate_fields()
        self.aggregate = GraphQLObjectType(
            f"{base}_aggregate",
            {
                "aggregate": GraphQLField(self.aggregate_fields),
                "nodes": GraphQLField(_list_of(self.object)),
            },
        )
        writable = [c for c in table.columns if not c.generated]
        self.insert_input = GraphQLInputObjectType(f"{base}_insert_input", self._inputs(writable))
        self.set_input = GraphQLInputObjectType(f"{base}_set_input", self._inputs(writable))
        numeric = [c for c in writable if c.family in NUMERIC]
        self.inc_input = (
            GraphQLInputObjectType(f"{base}_inc_input", self._inputs(numeric)) if numeric else None
        )
        self.pk_input = (
            GraphQLInputObjectType(
                f"{base}_pk_columns_input",
                {
                    names.field_of(c): GraphQLInputField(GraphQLNonNull(self._scalar(c)))
                    for c in table.primary_key
                },
            )
            if table.primary_key
            else None
        )
        self.update_column = GraphQLEnumType(
            f"{base}_update_column",
            {names.field_of(c.name): GraphQLEnumValue(c.name) for c in writable}
            or {"_none": GraphQLEnumValue(None)},
        )
        self.constraint = (
            GraphQLEnumType(
                f"{base}_constraint",
                {v: GraphQLEnumValue(cols) for v, cols in names.constraints.items()},
                description="Unique keys an insert may conflict on.",
            )
            if names.constraints
            else None
        )
        self.on_conflict = (
            GraphQLInputObjectType(
                f"{base}_on_conflict",
                {
                    "constraint": GraphQLInputField(GraphQLNonNull(self.constraint)),
                    "update_columns": GraphQLInputField(
                        _list_of(self.update_column), default_value=[]
                    ),
                },
                description="Upsert: on a conflict, update these columns (none: keep the row).",
            )
            if self.constraint is not None
            else None
        )
        self.mutation_response = GraphQLObjectType(
            f"{base}_mutation_response",
            {
                "affected_rows": GraphQLField(GraphQLNonNull(GraphQLInt)),
                "returning": GraphQLField(_list_of(self.object)),
            },
        )

    def _scalar(self, column_name: str) -> Any:
        column = self.model.table.get_column(column_name)
        assert column is not None
        return scalar_for(column.family)

    def list_args(self) -> dict[str, GraphQLArgument]:
        return {
            "distinct_on": GraphQLArgument(
                GraphQLList(GraphQLNonNull(self.select_column)),
                description="Keep the first row (by order_by) of each distinct combination.",
            ),
            "where": GraphQLArgument(self.bool_exp),
            "order_by": GraphQLArgument(GraphQLList(GraphQLNonNull(self.order_by))),
            "limit": GraphQLArgument(GraphQLInt),
            "offset": GraphQLArgument(GraphQLInt),
        }

    def _object_fields(self) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {}
        for field_name, column_name in self.model.names.columns.items():
            column = self.model.table.get_column(column_name)
            assert column is not None
            scalar = scalar_for(column.family)
            kind: GraphQLOutputType = scalar if column.nullable else GraphQLNonNull(scalar)
            fields[field_name] = GraphQLField(kind, description=column.comment)
        for field_name in self.model.names.relationships:
            rel = self.model.relationship(field_name)
            target = self.lookup(rel)
            if target is None:
                continue
            if rel.kind == "object":
                fields[field_name] = GraphQLField(target.object, description=_describe(rel))
            else:
                fields[field_name] = GraphQLField(
                    _list_of(target.object), target.list_args(), description=_describe(rel)
                )
        for field_name in self.model.names.aggregates:
            rel = self.model.relationship(field_name)
            target = self.lookup(rel)
            if target is not None:
                fields[field_name] = GraphQLField(
                    GraphQLNonNull(target.aggregate), target.list_args(), description=_describe(rel)
                )
        return fields

    def _order_by_fields(self) -> dict[str, GraphQLInputField]:
        """Columns, and object relationships within the source (sort by the related row)."""
        fields = {f: GraphQLInputField(ORDER_BY) for f in self.model.names.columns}
        for field_name in self.model.names.relationships:
            rel = self.model.relationship(field_name)
            target = self.lookup(rel)
            same_source = rel.target_source == self.model.source.name
            if rel.kind == "object" and target is not None and same_source:
                fields[field_name] = GraphQLInputField(target.order_by)
        return fields

    def _bool_exp_fields(self) -> dict[str, GraphQLInputField]:
        exp = self.bool_exp
        fields: dict[str, GraphQLInputField] = {
            "_and": GraphQLInputField(GraphQLList(GraphQLNonNull(exp))),
            "_or": GraphQLInputField(GraphQLList(GraphQLNonNull(exp))),
            "_not": GraphQLInputField(exp),
        }
        for field_name in self.model.names.columns:
            scalar = scalar_for(self.model.column(field_name).family)
            fields[field_name] = GraphQLInputField(comparison_exp(scalar))
        for field_name in self.model.names.relationships:
            rel = self.model.relationship(field_name)
            target = self.lookup(rel)
            # EXISTS needs both tables in one database: cross-source ones are not filters.
            if target is not None and rel.target_source == self.model.source.name:
                fields[field_name] = GraphQLInputField(target.bool_exp)
        return fields

    def _aggregate_fields(self) -> GraphQLObjectType:
        base = self.model.names.base
        columns = self.model.names.columns
        numeric = [f for f in columns if self.model.column(f).family in NUMERIC]
        ordered = [f for f in columns if self.model.column(f).family in ORDERED]
        fields: dict[str, GraphQLField] = {
            "count": GraphQLField(
                GraphQLNonNull(GraphQLInt),
                {
                    "columns": GraphQLArgument(GraphQLList(GraphQLNonNull(self.select_column))),
                    "distinct": GraphQLArgument(GraphQLBoolean),
                },
            )
        }
        if numeric:
            fields["sum"] = GraphQLField(self._fields_type("sum", numeric, None))
            fields["avg"] = GraphQLField(self._fields_type("avg", numeric, GraphQLFloat))
        if ordered:
            fields["min"] = GraphQLField(self._fields_type("min", ordered, None))
            fields["max"] = GraphQLField(self._fields_type("max", ordered, None))
        return GraphQLObjectType(f"{base}_aggregate_fields", fields)

    def _fields_type(self, kind: str, names: list[str], scalar: Any) -> GraphQLObjectType:
        return GraphQLObjectType(
            f"{self.model.names.base}_{kind}_fields",
            {f: GraphQLField(scalar or scalar_for(self.model.column(f).family)) for f in names},
        )

    def _inputs(self, columns: list[Column]) -> dict[str, GraphQLInputField]:
        return {
            self.model.names.field_of(c.name): GraphQLInputField(scalar_for(c.family))
            for c in columns
        }


def _describe(rel: Relationship) -> str:
    how = "one row" if rel.kind == "object" else "rows"
    return f"{how} of {rel.target_table} through {', '.join(rel.columns)}"
