"""Compile IR filters to SQLAlchemy expressions; values are typed against the model first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from gateway.query.coerce import coerce_for
from gateway.query.context import Bound, QueryContext
from gateway.query.errors import (
    MalformedRequestError,
    UnknownColumnError,
    UnknownRelationshipError,
    unknown_name,
)
from gateway.query.ir import Condition, Filter, Junction, RelationshipFilter, TableRef
from gateway.query.shapes import Slot, slot_parameter

_COMPARE = {
    "eq": lambda c, v: c == v,
    "neq": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
}


def core_column(bound: Bound, name: str, parameter: str | None = None) -> sa.Column[Any]:
    if bound.table.get_column(name) is None:
        raise UnknownColumnError(
            f"unknown column '{name}' in table '{bound.table.name}'",
            errors=[unknown_name("column", name, bound.table.column_names, parameter or name)],
        )
    return bound.core.c[name]


def typed(bound: Bound, column: str, value: Any, parameter: str | None = None) -> Any:
    """The value coerced to the column's type, or a 422 naming the column; a `Slot` (a
    request shape being prepared) becomes the bound parameter its value is typed for."""
    model = bound.table.get_column(column)
    assert model is not None
    if isinstance(value, Slot):
        return slot_parameter(value, model, bound.core.c[column], parameter)
    return coerce_for(model, column, value, parameter)


def compile_filter(ctx: QueryContext, bound: Bound, node: Filter) -> ColumnElement[bool]:
    if isinstance(node, Condition):
        expr = _condition(bound, node)
    elif isinstance(node, Junction):
        parts = [compile_filter(ctx, bound, item) for item in node.items]
        expr = sa.and_(*parts) if node.kind == "and" else sa.or_(*parts)
    else:
        expr = _exists(ctx, bound, node)
    return sa.not_(expr) if node.negate else expr


def _condition(bound: Bound, node: Condition) -> ColumnElement[bool]:
    column = core_column(bound, node.column)
    if node.op in _COMPARE:
        return _COMPARE[node.op](column, typed(bound, node.column, node.value))
    if node.op in ("like", "ilike"):
        pattern = str(node.value)
        text = sa.cast(column, sa.Text()) if not isinstance(column.type, sa.String) else column
        if node.op == "ilike":
            return text.ilike(pattern)
        # `like` is case-sensitive (as in PostgreSQL); SQLite's LIKE and MySQL's LIKE under
        # the usual *_ci collations are not.
        if bound.dialect == "sqlite":
            return text.op("GLOB", is_comparison=True)(_glob(pattern))
        if bound.dialect in ("mysql", "mariadb"):
            return text.like(sa.cast(sa.literal(pattern), sa.LargeBinary()))
        return text.like(pattern)
    if node.op == "in":
        values = [typed(bound, node.column, v) for v in node.value]
        if not values:
            return sa.false()
        return column.in_(values)
    if node.op == "is":
        if node.value is None:
            return column.is_(None)
        if isinstance(node.value, bool):
            # SQL's IS TRUE / IS FALSE, never NULL (so `not.is.true` keeps NULLs, as in
            # PostgREST), written portably: SQL Server and Oracle have no IS TRUE.
            truth = sa.true() if node.value else sa.false()
            return sa.and_(column.is_not(None), column == truth)
    raise MalformedRequestError(f"operator '{node.op}' is not supported on '{node.column}'")


def _glob(pattern: str) -> str:
    """A LIKE pattern (`%`, `_`) as the equivalent case-sensitive SQLite GLOB pattern."""
    special = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
    return "".join(special.get(char, char) for char in pattern)


def _exists(ctx: QueryContext, bound: Bound, node: RelationshipFilter) -> ColumnElement[bool]:
    rel = bound.table.get_relationship(node.relationship)
    if rel is None:
        raise UnknownRelationshipError(
            f"unknown relationship '{node.relationship}' on '{bound.table.name}'",
            errors=[
                unknown_name(
                    "relationship",
                    node.relationship,
                    [r.name for r in bound.table.relationships],
                    node.relationship,
                )
            ],
        )
    if rel.target_source != bound.source.name:
        raise MalformedRequestError(
            f"relationship '{rel.name}' crosses sources and cannot be used in a filter"
        )
    target = ctx.bind(TableRef(rel.target_source, rel.target_table, rel.target_schema or None))
    inner = target.core.alias()
    join = sa.and_(
        *(
            inner.c[t] == bound.core.c[c]
            for c, t in zip(rel.columns, rel.target_columns, strict=True)
        )
    )
    clauses: list[ColumnElement[bool]] = [join]
    if node.filter is not None:
        aliased = Bound(target.source, target.table, inner, target.connector)  # type: ignore[arg-type]
        clauses.append(compile_filter(ctx, aliased, node.filter))
    return sa.exists(sa.select(sa.literal(1)).select_from(inner).where(*clauses))
