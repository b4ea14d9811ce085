"""PostgreSQL builds the whole response: one statement per request, however deep the embeds.

The select tree compiles to nested `json_build_object` / `json_agg` subqueries
(correlated on the relationship columns), and the database returns one JSON
text that Python parses and re-emits in C (orjson) without touching a value.
Values are spelled as `render.py` spells them on every other dialect
(decimals as exact strings, binary as base64), so the bytes a client gets are
the same whichever path served them; a request this path cannot express that
way (an interval, a time zone, a cross-source embed, a very wide level) goes
through the batched path instead.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from connectors.types import TypeFamily
from gateway.query.context import Bound, QueryContext
from gateway.query.ir import Select, TableRef
from gateway.query.select import order_clauses, output_fields, where_clause
from gateway.query.session import Session
from schema_cache.model import Catalog, Column

# Families whose PostgreSQL JSON spelling equals render.py's (with the casts below).
SAME_SPELLING = frozenset(
    {
        TypeFamily.INTEGER,
        TypeFamily.BIGINT,
        TypeFamily.DECIMAL,
        TypeFamily.BOOLEAN,
        TypeFamily.STRING,
        TypeFamily.TEXT,
        TypeFamily.ENUM,
        TypeFamily.DATE,
        TypeFamily.DATETIME,
        TypeFamily.UUID,
        TypeFamily.JSON,
        TypeFamily.BINARY,
    }
)
MAX_PAIRS = 50  # json_build_object takes at most 100 arguments


def can_build_json(ctx: QueryContext, bound: Bound, select: Select, catalog: Catalog) -> bool:
    """True when PostgreSQL can build this response with the same spelling of every value."""
    if bound.dialect != "postgresql":
        return False
    fields = output_fields(bound, select)
    if len(fields) + len(select.embeds) > MAX_PAIRS:
        return False
    for field in fields:
        column = bound.table.get_column(field.column)
        if column is None or column.family not in SAME_SPELLING:
            return False
    for embed in select.embeds:
        rel = bound.table.get_relationship(embed.relationship)
        if rel is None or rel.target_source != bound.source.name:
            return False
        child = ctx.bind(
            _ref(rel.target_source, rel.target_table, rel.target_schema), catalog=catalog
        )
        if not can_build_json(ctx, child, embed.select, catalog):
            return False
    return True


def read_json_rows(
    ctx: QueryContext, session: Session, bound: Bound, select: Select, catalog: Catalog
) -> list[dict[str, Any]]:
    raw = session.fetch(bound.connector, json_statement(ctx, bound, select, catalog))[0][0]
    rows: list[dict[str, Any]] = orjson.loads(raw)
    return rows


def json_statement(
    ctx: QueryContext, bound: Bound, select: Select, catalog: Catalog
) -> sa.Select[Any]:
    """The one statement whose single value is the response's JSON array, as text."""
    built = _aggregate(_level(ctx, bound, select, catalog, correlate=None))
    return sa.select(sa.cast(built, sa.Text))  # text: parsed by orjson, not the driver


def _level(
    ctx: QueryContext,
    bound: Bound,
    select: Select,
    catalog: Catalog,
    correlate: tuple[ColumnElement[bool], Any] | None,
) -> sa.Select[Any]:
    """`SELECT json_build_object(...) AS __j, row_number() AS __n FROM table WHERE ...`.

    `correlate` is (join condition, parent table): the parent is an outer reference.
    """
    core = bound.core
    pairs: list[Any] = []
    for field in output_fields(bound, select):
        column = bound.table.get_column(field.column)
        assert column is not None
        pairs += [sa.literal(field.output_name), _value(core.c[field.column], column)]
    for embed in select.embeds:
        rel = bound.table.get_relationship(embed.relationship)
        assert rel is not None
        child = ctx.bind(
            _ref(rel.target_source, rel.target_table, rel.target_schema), catalog=catalog
        )
        child_core = child.core.alias()
        aliased = Bound(child.source, child.table, child_core, child.connector)  # type: ignore[arg-type]
        join = sa.and_(
            *(
                child_core.c[t] == core.c[c]
                for c, t in zip(rel.columns, rel.target_columns, strict=True)
            )
        )
        pairs += [
            sa.literal(embed.output_name),
            _embedded(ctx, aliased, embed.select, catalog, (join, core), rel.kind),
        ]
    ordering = order_clauses(bound, select.order, ctx)
    number = sa.func.row_number().over(order_by=ordering).label("__n")
    statement = sa.select(sa.func.json_build_object(*pairs).label("__j"), number).select_from(core)
    where = where_clause(ctx, bound, select)
    if correlate is not None:
        statement = statement.where(correlate[0]).correlate(correlate[1])
    if where is not None:
        statement = statement.where(where)
    statement = statement.order_by(*ordering)
    if select.limit is not None:
        statement = statement.limit(select.limit)
    if select.offset:
        statement = statement.offset(select.offset)
    return statement


def _embedded(
    ctx: QueryContext,
    child: Bound,
    select: Select,
    catalog: Catalog,
    join: tuple[ColumnElement[bool], Any],
    kind: str,
) -> Any:
    if kind == "object":
        one = Select(select.target, select.fields, select.embeds, select.filter, limit=1)
        row = _level(ctx, child, one, catalog, join).subquery()
        return sa.select(row.c["__j"]).scalar_subquery()
    return sa.select(_aggregate(_level(ctx, child, select, catalog, join))).scalar_subquery()


def _aggregate(rows: sa.Select[Any]) -> ColumnElement[Any]:
    """`coalesce(json_agg(__j ORDER BY __n), '[]')` over the rows of one level."""
    numbered = rows.subquery()
    ordered = aggregate_order_by(numbered.c["__j"], numbered.c["__n"])
    empty: ColumnElement[Any] = sa.literal_column("'[]'::json")
    return sa.func.coalesce(sa.func.json_agg(ordered), empty)


def _value(column: ColumnElement[Any], model: Column) -> ColumnElement[Any]:
    if model.family is TypeFamily.DECIMAL:
        return sa.cast(column, sa.Text)  # numeric text keeps the column's scale exactly
    if model.family is TypeFamily.BINARY:
        return sa.func.translate(sa.func.encode(column, "base64"), "\n", "")
    return column


def _ref(source: str, table: str, schema: str) -> TableRef:
    return TableRef(source, table, schema or None)
