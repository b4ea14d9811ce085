"""Execute compiled root fields through the query executor and lay out their results.

Reads are one `run_select` per root field; nested aggregates add one grouped
statement per aggregate field and level (never one per parent row); writes
are one `run_write` (one transaction) each; `returning` with relationships is
read inside that transaction, on the write's connection.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.graphql.compile import HIDDEN, AggregatePlan, Level
from gateway.graphql.mutations import WritePlan, keyed_read
from gateway.graphql.schema import Bundle
from gateway.query import ir
from gateway.query.aggregate import Aggregate, run_aggregate
from gateway.query.coerce import CoercionError, coerce_value
from gateway.query.context import QueryContext
from gateway.query.executor import WriteReads, run_select, run_write
from gateway.query.json_read import JsonRead, passthrough, plan_json_read, run_json_read
from gateway.query.render import renderer_for
from schema_cache.model import Catalog

Row = dict[str, Any]


@dataclass
class ReadPlan:
    select: ir.Select
    level: Level
    single: bool  # `_by_pk`: the row or null
    # Planned on the first run (the plan is cached per document and variables): the read
    # as one PostgreSQL statement, or None for the executor's other paths.
    json: JsonRead | None = None
    planned: bool = False


@dataclass
class AggregateRoot:
    plan: AggregatePlan
    aggregate: Aggregate | None


def run_read(ctx: QueryContext, plan: ReadPlan, catalog: Catalog) -> Any:
    if not plan.planned:
        plan.json = plan_json_read(ctx, plan.select, catalog)
        plan.planned = True
    if plan.json is None:
        rows = run_select(ctx, plan.select, catalog).rows
    else:
        text = run_json_read(plan.json)
        if not plan.level.shaped and not has_aggregates(plan.level):
            fragment = passthrough(plan.json, text, single=plan.single)
            if fragment is not None:
                return fragment  # PostgreSQL's text is the response's, byte for byte
        rows = orjson.loads(text)
    fill_aggregates(ctx, plan.level, rows, catalog)
    shaped = [shape(plan.level, row) for row in rows] if plan.level.shaped else rows
    if plan.single:
        return shaped[0] if shaped else None
    return shaped


def run_aggregate_root(ctx: QueryContext, root: AggregateRoot, catalog: Catalog) -> Row:
    values = run_aggregate(ctx, root.aggregate, catalog)[0] if root.aggregate else None
    nodes: list[Row] = []
    if root.plan.nodes_select is not None and root.plan.nodes is not None:
        nodes = run_select(ctx, root.plan.nodes_select, catalog).rows
        fill_aggregates(ctx, root.plan.nodes, nodes, catalog)
    return aggregate_value(root.plan, values, nodes)


def run_write_plan(ctx: QueryContext, plan: WritePlan, catalog: Catalog, bundle: Bundle) -> Any:
    statement = plan.statement
    returning = plan.returning
    reads: WriteReads | None = None
    if returning is not None and returning.by_read:
        # Relationships are read in the write's transaction: after it by the keys it
        # returned, or, for a delete, before it (the rows are gone afterwards).
        types = _types(bundle, statement.target)
        template = keyed_read(plan, [], types)
        if isinstance(statement, ir.Delete):
            before = dataclasses.replace(template, filter=statement.filter)
            reads = WriteReads(template, before=before)
        else:
            reads = WriteReads(
                template, after=lambda done: keyed_read(plan, [_pk(r) for r in done.rows], types)
            )
    result = run_write(ctx, statement, catalog, reads)
    rows: list[Row] = []
    if returning is not None:
        rows = result.rows
        if reads is not None:
            keys = [_pk(row) for row in rows]
            read_rows = reads.before_rows if reads.before is not None else reads.after_rows
            found = {_key(_pk(row)): row for row in read_rows}
            rows = [found[_key(k)] for k in keys if _key(k) in found]
        fill_aggregates(ctx, returning.level, rows, catalog)
        if returning.level.shaped:
            rows = [shape(returning.level, row) for row in rows]
    if plan.single:
        return rows[0] if rows else None
    out: Row = {}
    for key, name in plan.layout:
        if name == "affected_rows":
            out[key] = result.affected
        elif name == "returning":
            out[key] = rows
        else:
            out[key] = plan.type_name
    return out


def _types(bundle: Bundle, ref: ir.TableRef) -> Any:
    return bundle.models[(ref.source, ref.schema or "", ref.table)]


def _pk(row: Row) -> tuple[Any, ...]:
    return tuple(row[k] for k in sorted(k for k in row if k.startswith(f"{HIDDEN}pk")))


def _key(values: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def shape(level: Level, row: Row) -> Row:
    """A row in the response's layout: selection order, `__typename`, hidden keys dropped."""
    out: Row = {}
    for entry in level.entries:
        if entry.kind == "typename":
            out[entry.key] = level.type_name
        elif entry.kind in ("column", "aggregate"):
            out[entry.key] = row[entry.key]
        else:
            value = row[entry.key]
            child = entry.child
            if value is not None and child is not None and child.shaped:
                value = (
                    shape(child, value)
                    if entry.kind == "object"
                    else [shape(child, v) for v in value]
                )
            out[entry.key] = value
    return out


def has_aggregates(level: Level) -> bool:
    return any(
        e.kind == "aggregate" or (e.child is not None and has_aggregates(e.child))
        for e in level.entries
    )


def fill_aggregates(ctx: QueryContext, level: Level, rows: list[Row], catalog: Catalog) -> None:
    """Compute the nested aggregates of `rows` (one grouped statement per field) in place."""
    if not rows or not has_aggregates(level):
        return
    for entry in level.entries:
        if entry.kind in ("object", "array") and entry.child is not None:
            children: list[Row] = []
            for row in rows:
                value = row.get(entry.key)
                if isinstance(value, dict):
                    children.append(value)
                elif isinstance(value, list):
                    children.extend(value)
            fill_aggregates(ctx, entry.child, children, catalog)
        elif entry.aggregate is not None:
            _fill_one(ctx, entry.key, entry.aggregate, rows, catalog)


def _fill_one(ctx: QueryContext, key: str, nested: Any, rows: list[Row], catalog: Catalog) -> None:
    rel = nested.relationship
    keys = [tuple(row.get(label) for label in nested.key_labels) for row in rows]
    groups: dict[tuple[str, ...], Row] = {}
    plan: AggregatePlan = nested.plan
    if plan.functions:
        target = ctx.bind(nested.rows.target, catalog=catalog).table
        columns = [target.get_column(c) for c in rel.target_columns]
        typed = tuple(dict.fromkeys(_typed(columns, k) for k in keys if None not in k))
        aggregate = Aggregate(nested.rows, tuple(plan.functions), rel.target_columns, typed)
        renderers = [renderer_for(c) for c in columns]  # type: ignore[arg-type]
        for found in run_aggregate(ctx, aggregate, catalog):
            group = tuple(str(r(found[f"#g{i}"])) for i, r in enumerate(renderers))
            groups[group] = found
    node_rows: list[Row] = []
    for row in rows:
        node_rows.extend(row.get(HIDDEN + key) or [])
    if plan.nodes is not None:
        fill_aggregates(ctx, plan.nodes, node_rows, catalog)
    for row, values in zip(rows, keys, strict=True):
        found_values = groups.get(tuple(str(v) for v in values))
        row[key] = aggregate_value(plan, found_values, row.get(HIDDEN + key) or [])


def _typed(columns: list[Any], values: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for column, value in zip(columns, values, strict=True):
        try:
            out.append(coerce_value(column, value))
        except CoercionError:
            out.append(value)
    return tuple(out)


def aggregate_value(plan: AggregatePlan, values: Row | None, nodes: list[Row]) -> Row:
    out: Row = {}
    for key, kind, payload in plan.layout:
        if kind == "typename":
            out[key] = payload
        elif kind == "nodes":
            level = plan.nodes
            out[key] = [shape(level, n) for n in nodes] if level and level.shaped else nodes
        else:
            out[key] = _values(payload, values)
    return out


def _values(layout: list[tuple[str, str, Any]], values: Row | None) -> Row:
    out: Row = {}
    for key, kind, payload in layout:
        if kind == "typename":
            out[key] = payload
        elif kind == "count":
            out[key] = values.get(payload, 0) if values else 0
        elif kind == "value":
            out[key] = values.get(payload) if values else None
        else:
            out[key] = _values(payload, values)
    return out
