"""Read a Select with its embedded relationships: one batched statement per relationship level.

The root level runs first; each embed then fetches the related rows of all
parents at once (`WHERE key IN (...)`, chunked), with a window function when
an array embed has its own limit or offset, and attaches them by key. The
statement count depends on the depth of the request, not on the row count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from gateway.query.context import Bound, QueryContext
from gateway.query.errors import MalformedRequestError, UnknownRelationshipError, unknown_name
from gateway.query.ir import Embed, Field, Select, TableRef
from gateway.query.json_read import prepare_json
from gateway.query.json_select import can_build_json, read_json_rows
from gateway.query.render import renderer_for
from gateway.query.select import (
    compile_level,
    key_label,
    level_columns,
    order_clauses,
    output_fields,
    where_clause,
)
from gateway.query.session import Session
from gateway.query.shapes import shape_of
from schema_cache.model import Catalog, Relationship

CHUNK = 1000  # keys per IN list: Oracle allows 1000 items, SQL Server 2100 parameters
Key = tuple[Any, ...]


def read_rows(
    ctx: QueryContext, session: Session, select: Select, catalog: Catalog
) -> list[dict[str, Any]]:
    bound = ctx.bind(select.target, catalog=catalog)
    source = (bound.source.name, bound.source.version, bound.dialect)
    if can_build_json(ctx, bound, select, catalog):
        found = prepare_json(ctx, bound, select, catalog)
        if found is None:
            return read_json_rows(ctx, session, bound, select, catalog)
        rows: list[dict[str, Any]] = orjson.loads(
            session.fetch_prepared(bound.connector, *found)[0][0]
        )
        return rows
    level = plan_level(bound, select)
    # The root level's statement only: embeds are read per batch of parent keys below.
    shape, values = shape_of(replace(select, embeds=()))
    prepared = ctx.statements.prepare(
        ("level", *source, shape, level.keys),
        len(values),
        lambda: compile_level(ctx, bound, shape, level.keys),
    )
    if prepared is None:
        rows, _ = _read_level(ctx, session, bound, select, catalog, restrict=None)
        return rows
    raw_rows = session.fetch_prepared(bound.connector, prepared, prepared.params(values))
    rows, _ = finish_level(ctx, session, bound, select, catalog, level, raw_rows)
    return rows


def _read_level(
    ctx: QueryContext,
    session: Session,
    bound: Bound,
    select: Select,
    catalog: Catalog,
    restrict: tuple[tuple[str, ...], list[Key]] | None,
) -> tuple[list[dict[str, Any]], list[Key]]:
    """Rows of one level, and for each row the values of the `restrict` columns."""
    level = plan_level(bound, select, restrict[0] if restrict else ())
    raw_rows: list[Any] = []
    for statement in _statements(ctx, bound, select, level.keys, restrict):
        raw_rows.extend(session.fetch(bound.connector, statement))
    return finish_level(ctx, session, bound, select, catalog, level, raw_rows)


@dataclass(frozen=True, slots=True)
class Level:
    """What one level selects: its output fields, its embeds' relationships, and the key
    columns (join keys, then the parent's group keys) appended after the fields."""

    fields: tuple[Field, ...]
    relationships: tuple[Relationship, ...]
    keys: tuple[str, ...]
    group_keys: tuple[str, ...]


def plan_level(bound: Bound, select: Select, group_keys: tuple[str, ...] = ()) -> Level:
    relationships = tuple(_relationship(bound, embed) for embed in select.embeds)
    join_keys = tuple(dict.fromkeys(c for r in relationships for c in r.columns))
    keys = tuple(dict.fromkeys(join_keys + group_keys))
    fields = output_fields(bound, select)
    for field in fields:
        if field.output_name.startswith("__"):
            raise MalformedRequestError(f"output name '{field.output_name}' is reserved")
    return Level(fields, relationships, keys, group_keys)


def finish_level(
    ctx: QueryContext,
    session: Session,
    bound: Bound,
    select: Select,
    catalog: Catalog,
    level: Level,
    raw_rows: Sequence[Any],
) -> tuple[list[dict[str, Any]], list[Key]]:
    """Render the raw rows of a level and attach their embeds (one batch per relationship)."""
    fields = level.fields
    renderers = [renderer_for(bound.table.get_column(f.column)) for f in fields]  # type: ignore[arg-type]
    width = len(fields)
    out = [
        {
            f.output_name: render(raw[i])
            for i, (f, render) in enumerate(zip(fields, renderers, strict=True))
        }
        for raw in raw_rows
    ]
    key_values = [tuple(raw[width:]) for raw in raw_rows]
    position = {k: i for i, k in enumerate(level.keys)}
    for embed, rel in zip(select.embeds, level.relationships, strict=True):
        parent_keys = [tuple(kv[position[c]] for c in rel.columns) for kv in key_values]
        _attach(ctx, session, embed, rel, catalog, out, parent_keys)
    groups = [tuple(kv[position[c]] for c in level.group_keys) for kv in key_values]
    return out, groups


def _attach(
    ctx: QueryContext,
    session: Session,
    embed: Embed,
    rel: Relationship,
    catalog: Catalog,
    parents: list[dict[str, Any]],
    parent_keys: list[Key],
) -> None:
    wanted = list(dict.fromkeys(k for k in parent_keys if None not in k))
    by_key: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    if wanted:
        child_ref = TableRef(rel.target_source, rel.target_table, rel.target_schema or None)
        child = ctx.bind(child_ref, catalog=catalog)
        child_select = embed.select
        if rel.kind == "object":
            child_select = Select(
                child_select.target, child_select.fields, child_select.embeds, child_select.filter
            )
        rows, groups = _read_level(
            ctx, session, child, child_select, catalog, restrict=(rel.target_columns, wanted)
        )
        for row, group in zip(rows, groups, strict=True):
            by_key[_normal(group)].append(row)
    name = embed.output_name
    for parent, key in zip(parents, parent_keys, strict=True):
        found = by_key.get(_normal(key), [])
        parent[name] = (found[0] if found else None) if rel.kind == "object" else found


def _normal(key: Key) -> Key:
    """Keys compare across drivers (Decimal('1') == 1 hashes alike; text stays text)."""
    return tuple(str(v) if isinstance(v, (bytes, memoryview)) else v for v in key)


def _relationship(bound: Bound, embed: Embed) -> Relationship:
    rel = bound.table.get_relationship(embed.relationship)
    if rel is None:
        raise UnknownRelationshipError(
            f"unknown relationship '{embed.relationship}' on '{bound.table.name}'",
            errors=[
                unknown_name(
                    "relationship",
                    embed.relationship,
                    [r.name for r in bound.table.relationships],
                    "select",
                )
            ],
        )
    return rel


def _statements(
    ctx: QueryContext,
    bound: Bound,
    select: Select,
    keys: tuple[str, ...],
    restrict: tuple[tuple[str, ...], list[Key]] | None,
) -> list[sa.Select[Any]]:
    if restrict is None:
        return [compile_level(ctx, bound, select, keys)]
    columns, values = restrict
    return [
        _restricted(ctx, bound, select, keys, columns, values[i : i + CHUNK])
        for i in range(0, len(values), CHUNK)
    ]


def _restricted(
    ctx: QueryContext,
    bound: Bound,
    select: Select,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    values: list[Key],
) -> sa.Select[Any]:
    condition = _in_keys(bound, columns, values)
    if select.limit is None and not select.offset:
        statement = compile_level(ctx, bound, select, keys)
        return statement.where(condition)
    # A limit per parent: number the rows within each parent, keep the window.
    fields = output_fields(bound, select)
    ordering = order_clauses(bound, select.order, ctx)
    number = sa.func.row_number().over(
        partition_by=[bound.core.c[c] for c in columns], order_by=ordering
    )
    inner = sa.select(*level_columns(bound, fields, keys), number.label("__rn")).select_from(
        bound.core
    )
    where = where_clause(ctx, bound, select)
    inner = inner.where(condition, where) if where is not None else inner.where(condition)
    sub = inner.subquery("__w")
    labels = [f.output_name for f in fields] + [key_label(i) for i in range(len(keys))]
    low = select.offset
    high = low + select.limit if select.limit is not None else None
    outer = sa.select(*(sub.c[label] for label in labels)).where(sub.c["__rn"] > low)
    if high is not None:
        outer = outer.where(sub.c["__rn"] <= high)
    return outer.order_by(*(sub.c[key_label(keys.index(c))] for c in columns), sub.c["__rn"])


def _in_keys(bound: Bound, columns: tuple[str, ...], values: list[Key]) -> ColumnElement[bool]:
    core = [bound.core.c[c] for c in columns]
    if len(core) == 1:
        return core[0].in_([v[0] for v in values])
    if bound.dialect == "mssql":  # no row-value IN on SQL Server
        return sa.or_(
            *(sa.and_(*(c == v for c, v in zip(core, row, strict=True))) for row in values)
        )
    return sa.tuple_(*core).in_(values)
