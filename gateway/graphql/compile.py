"""Compile a read's selection set to IR: one Select per root field, embeds for relationships.

The rows the executor returns are already keyed by response key (aliases are
IR field aliases). A `Level` says how to lay them out when the IR's layout is
not already the response's: `__typename`, a field order other than columns
then relationships, hidden join keys, nested aggregates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import GraphQLField
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import FieldNode

from gateway.graphql.selection import Collector
from gateway.graphql.types import TableTypes
from gateway.graphql.where import build_filter, build_order
from gateway.query import ir
from gateway.query.aggregate import Aggregate, AggregateFunction
from gateway.query.errors import MalformedRequestError
from schema_cache.model import Relationship

HIDDEN = "#"  # prefix of output names the response never shows (not a GraphQL name character)
EntryKind = Literal["column", "typename", "object", "array", "aggregate"]


@dataclass
class AggregatePlan:
    """`{t}_aggregate { aggregate { ... } nodes { ... } }`: functions, nodes and the layout."""

    functions: list[AggregateFunction] = field(default_factory=list)
    layout: list[tuple[str, str, Any]] = field(default_factory=list)  # (key, kind, payload)
    nodes: Level | None = None
    nodes_select: ir.Select | None = None
    type_name: str = ""


@dataclass
class Entry:
    key: str
    kind: EntryKind
    child: Level | None = None
    aggregate: NestedAggregate | None = None


@dataclass
class NestedAggregate:
    """An array relationship's aggregate under each parent row (grouped by the join columns)."""

    relationship: Relationship
    rows: ir.Select
    plan: AggregatePlan
    key_labels: tuple[str, ...]  # hidden parent fields holding the join columns


@dataclass
class Level:
    type_name: str
    entries: list[Entry]
    shaped: bool


class Compiler:
    """Turns field nodes into IR for one operation with its variables."""

    def __init__(
        self,
        collector: Collector,
        variables: VariableValues,
        max_limit: Callable[[str], int] | None = None,
    ) -> None:
        self.collector = collector
        self.variables = variables
        self.max_limit = max_limit

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        return get_argument_values(definition, node, self.variables)

    def select(
        self,
        types: TableTypes,
        nodes: list[FieldNode],
        args: dict[str, Any],
        path: str,
        rel: Relationship | None = None,
    ) -> tuple[ir.Select, Level]:
        """One table level: its Select (with embeds) and the layout of its rows."""
        select = self.rows(types, args, path, rel)
        fields, embeds, level = self.level(types, nodes, path)
        return dataclasses.replace(select, fields=tuple(fields), embeds=tuple(embeds)), level

    def rows(
        self,
        types: TableTypes,
        args: dict[str, Any],
        path: str,
        rel: Relationship | None = None,
        *,
        cap: bool = True,
    ) -> ir.Select:
        """The rows the arguments describe (where, order_by, limit, offset, distinct_on)."""
        model = types.model
        ref = ir.TableRef(model.source.name, model.table.name, model.table.schema)
        where = build_filter(types, args.get("where"), f"{path}.where")
        order = build_order(types, args.get("order_by"))
        limit = _count_arg(args.get("limit"), f"{path}.limit")
        offset = _count_arg(args.get("offset"), f"{path}.offset") or 0
        if rel is None and cap and self.max_limit is not None:
            most = self.max_limit(model.source.name)
            limit = most if limit is None else min(limit, most)
        distinct = tuple(args.get("distinct_on") or ())
        if distinct and rel is not None:  # first of each group under each parent
            distinct = tuple(dict.fromkeys(rel.target_columns + distinct))
        return ir.Select(
            ref, filter=where, order=order, limit=limit, offset=offset, distinct_on=distinct
        )

    def level(
        self, types: TableTypes, nodes: list[FieldNode], path: str
    ) -> tuple[list[ir.Field], list[ir.Embed], Level]:
        names = types.model.names
        definitions = types.object.fields
        fields: list[ir.Field] = []
        embeds: list[ir.Embed] = []
        entries: list[Entry] = []
        shaped = False
        for key, same in self.collector.collect(nodes).items():
            name = same[0].name.value
            where = f"{path}.{key}"
            if name == "__typename":
                entries.append(Entry(key, "typename"))
                shaped = True
            elif name in names.columns:
                column = names.columns[name]
                fields.append(ir.Field(column, key if key != column else None))
                entries.append(Entry(key, "column"))
            elif name in names.relationships:
                rel = types.model.relationship(name)
                target = types.lookup(rel)
                assert target is not None
                args = self.arguments(definitions[name], same[0])
                child, child_level = self.select(target, same, args, where, rel)
                if rel.kind == "object":
                    child = dataclasses.replace(child, limit=None, offset=0)
                embeds.append(ir.Embed(rel.name, child, key))
                kind: EntryKind = "object" if rel.kind == "object" else "array"
                entries.append(Entry(key, kind, child_level))
                shaped = shaped or child_level.shaped
            else:
                rel = types.model.relationship(name)
                target = types.lookup(rel)
                assert target is not None
                args = self.arguments(definitions[name], same[0])
                nested = self.nested_aggregate(target, rel, same, args, where, key)
                for i, column in enumerate(rel.columns):
                    fields.append(ir.Field(column, nested.key_labels[i]))
                if nested.plan.nodes_select is not None:
                    embeds.append(ir.Embed(rel.name, nested.plan.nodes_select, HIDDEN + key))
                entries.append(Entry(key, "aggregate", aggregate=nested))
                shaped = True
        if not fields:  # relationships only: select one column (hidden), not every column
            fields.append(ir.Field(types.model.table.column_names[0], HIDDEN))
            shaped = True
        order = [e.key for e in entries if e.kind in ("column", "object", "array")]
        natural = [f.output_name for f in fields if not f.output_name.startswith(HIDDEN)]
        natural += [e.output_name for e in embeds if not e.output_name.startswith(HIDDEN)]
        shaped = shaped or order != natural
        return fields, embeds, Level(types.object.name, entries, shaped)

    def aggregate(self, types: TableTypes, nodes: list[FieldNode], path: str) -> AggregatePlan:
        """The layout of a `{t}_aggregate` selection and the functions it needs."""
        plan = AggregatePlan(type_name=types.aggregate.name)
        for key, same in self.collector.collect(nodes).items():
            name = same[0].name.value
            if name == "__typename":
                plan.layout.append((key, "typename", types.aggregate.name))
            elif name == "nodes":
                fields, embeds, level = self.level(types, same, f"{path}.{key}")
                plan.nodes = level
                plan.nodes_select = ir.Select(
                    ir.TableRef(
                        types.model.source.name, types.model.table.name, types.model.table.schema
                    ),
                    tuple(fields),
                    tuple(embeds),
                )
                plan.layout.append((key, "nodes", None))
            else:
                plan.layout.append((key, "aggregate", self._functions(types, same, plan, key)))
        return plan

    def _functions(
        self, types: TableTypes, nodes: list[FieldNode], plan: AggregatePlan, prefix: str
    ) -> list[tuple[str, str, Any]]:
        layout: list[tuple[str, str, Any]] = []
        definitions = types.aggregate_fields.fields
        for key, same in self.collector.collect(nodes).items():
            name = same[0].name.value
            label = f"{prefix}.{key}"
            if name == "__typename":
                layout.append((key, "typename", types.aggregate_fields.name))
            elif name == "count":
                args = self.arguments(definitions["count"], same[0])
                columns = tuple(args.get("columns") or ())
                distinct = bool(args.get("distinct"))
                plan.functions.append(AggregateFunction("count", label, columns, distinct))
                layout.append((key, "count", label))
            else:
                inner: list[tuple[str, str, Any]] = []
                type_name = getattr(definitions[name].type, "name", name)
                for column_key, column_nodes in self.collector.collect(same).items():
                    column_name = column_nodes[0].name.value
                    if column_name == "__typename":
                        inner.append((column_key, "typename", type_name))
                        continue
                    column = types.model.names.columns[column_name]
                    sub = f"{label}.{column_key}"
                    plan.functions.append(AggregateFunction(name, sub, (column,)))  # type: ignore[arg-type]
                    inner.append((column_key, "value", sub))
                layout.append((key, "object", inner))
        return layout

    def nested_aggregate(
        self,
        target: TableTypes,
        rel: Relationship,
        nodes: list[FieldNode],
        args: dict[str, Any],
        path: str,
        key: str,
    ) -> NestedAggregate:
        rows = self.rows(target, args, path, rel)
        plan = self.aggregate(target, nodes, path)
        if plan.nodes_select is not None:
            plan.nodes_select = dataclasses.replace(
                plan.nodes_select,
                filter=rows.filter,
                order=rows.order,
                limit=rows.limit,
                offset=rows.offset,
                distinct_on=rows.distinct_on,
            )
        labels = tuple(f"{HIDDEN}{key}#k{i}" for i in range(len(rel.columns)))
        return NestedAggregate(rel, rows, plan, labels)

    def root_aggregate(
        self, types: TableTypes, nodes: list[FieldNode], args: dict[str, Any], path: str
    ) -> tuple[Aggregate | None, AggregatePlan]:
        rows = self.rows(types, args, path, cap=False)  # aggregates see every row
        plan = self.aggregate(types, nodes, path)
        if plan.nodes_select is not None:
            capped = self.rows(types, args, path)
            plan.nodes_select = dataclasses.replace(
                plan.nodes_select,
                filter=capped.filter,
                order=capped.order,
                limit=capped.limit,
                offset=capped.offset,
                distinct_on=capped.distinct_on,
            )
        aggregate = Aggregate(rows, tuple(plan.functions)) if plan.functions else None
        return aggregate, plan


def _count_arg(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise MalformedRequestError(
            f"'{path}' must be 0 or more, got {value}",
            errors=[{"parameter": path, "detail": "a negative number"}],
        )
    return int(value)


def pk_filter(types: TableTypes, args: dict[str, Any]) -> ir.Filter:
    """The primary-key condition of a `_by_pk` field (arguments named by the key's fields)."""
    names = types.model.names
    conditions = [
        ir.Condition(column, "eq", args[names.field_of(column)])
        for column in types.model.table.primary_key
    ]
    return conditions[0] if len(conditions) == 1 else ir.Junction("and", tuple(conditions))
