"""Aggregates (count, sum, avg, min, max) over the rows a Select describes, per dialect.

The rows are those of `Aggregate.rows` (its filter, order, limit and offset;
its fields are ignored). With `group_by`, the aggregates are computed per
group in one statement, for the groups named in `keys` only: that is how
`orders_aggregate` under each of 100 customers costs one statement, whatever
the row count. A limit or offset then applies within each group (numbered
with `row_number()`), as a nested GraphQL argument means it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from connectors.types import TypeFamily
from gateway.query.access import current_access
from gateway.query.context import Bound, QueryContext
from gateway.query.errors import MalformedRequestError
from gateway.query.filters import core_column
from gateway.query.ir import Select
from gateway.query.render import renderer_for
from gateway.query.select import order_clauses, where_clause
from gateway.query.session import read_session
from gateway.query.uses import table_uses
from schema_cache.model import Catalog

Function = Literal["count", "sum", "avg", "min", "max"]
CHUNK = 1000  # keys per IN list, as for embeds


@dataclass(frozen=True, slots=True)
class AggregateFunction:
    """`function(column)` labelled `label`; `count` with no columns counts rows."""

    function: Function
    label: str
    columns: tuple[str, ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class Aggregate:
    rows: Select
    functions: tuple[AggregateFunction, ...]
    group_by: tuple[str, ...] = ()
    keys: tuple[tuple[Any, ...], ...] = ()  # the groups wanted (with group_by)


def run_aggregate(
    ctx: QueryContext, aggregate: Aggregate, catalog: Catalog
) -> list[dict[str, Any]]:
    """One row per group (one row without `group_by`): group columns, then labelled values."""
    current_access().require(table_uses(aggregate.rows, catalog))  # before any SQL
    bound = ctx.bind(aggregate.rows.target, catalog=catalog)
    statements = [compile_aggregate(ctx, bound, aggregate, None)]
    if aggregate.group_by:
        keys = list(dict.fromkeys(k for k in aggregate.keys if None not in k))
        statements = [
            compile_aggregate(ctx, bound, aggregate, keys[i : i + CHUNK])
            for i in range(0, len(keys), CHUNK)
        ]
    renderers = [_renderer(bound, f) for f in aggregate.functions]
    width = len(aggregate.group_by)
    out: list[dict[str, Any]] = []
    with read_session() as session:
        for statement in statements:
            for raw in session.fetch(bound.connector, statement):
                row = {f"#g{i}": raw[i] for i in range(width)}
                for i, (function, render) in enumerate(
                    zip(aggregate.functions, renderers, strict=True)
                ):
                    row[function.label] = render(raw[width + i])
                out.append(row)
    return out


def compile_aggregate(
    ctx: QueryContext, bound: Bound, aggregate: Aggregate, keys: list[tuple[Any, ...]] | None
) -> sa.Select[Any]:
    select = aggregate.rows
    used = dict.fromkeys(
        [*aggregate.group_by, *(c for f in aggregate.functions for c in f.columns)]
    )
    columns = [core_column(bound, name, "aggregate").label(f"c{i}") for i, name in enumerate(used)]
    labels = {name: f"c{i}" for i, name in enumerate(used)}
    inner_columns: list[ColumnElement[Any]] = [*columns] or [sa.literal(1).label("c_")]
    windowed = bool(aggregate.group_by) and (select.limit is not None or select.offset)
    if windowed:
        number = sa.func.row_number().over(
            partition_by=[bound.core.c[c] for c in aggregate.group_by],
            order_by=order_clauses(bound, select.order, ctx),
        )
        inner_columns.append(number.label("rn"))
    inner = sa.select(*inner_columns).select_from(bound.core)
    where = where_clause(ctx, bound, select)
    if where is not None:
        inner = inner.where(where)
    if keys is not None:
        inner = inner.where(_in_keys(bound, aggregate.group_by, keys))
    if not aggregate.group_by:
        if select.limit is not None or select.offset:
            inner = inner.order_by(*order_clauses(bound, select.order, ctx))
        if select.limit is not None:
            inner = inner.limit(select.limit)
        if select.offset:
            inner = inner.offset(select.offset)
    rows = inner.subquery("rows")
    if windowed:
        low = select.offset
        conditions = [rows.c["rn"] > low]
        if select.limit is not None:
            conditions.append(rows.c["rn"] <= low + select.limit)
        rows = sa.select(rows).where(*conditions).subquery("kept")
    groups = [rows.c[labels[c]] for c in aggregate.group_by]
    values = [_function(rows, labels, f) for f in aggregate.functions]
    statement = sa.select(*groups, *values).select_from(rows)
    return statement.group_by(*groups) if groups else statement


def _function(rows: Any, labels: dict[str, str], function: AggregateFunction) -> Any:
    if function.function == "count":
        if not function.columns:
            return sa.func.count()
        if len(function.columns) > 1:
            if function.distinct:
                raise MalformedRequestError(
                    "count(distinct: true) takes one column",
                    errors=[{"parameter": "count.columns", "detail": "one column with distinct"}],
                )
            present = sa.and_(*(rows.c[labels[c]].is_not(None) for c in function.columns))
            return sa.func.coalesce(sa.func.sum(sa.case((present, 1), else_=0)), 0)
        column = rows.c[labels[function.columns[0]]]
        return sa.func.count(column.distinct() if function.distinct else column)
    column = rows.c[labels[function.columns[0]]]
    if function.function == "avg":
        # AVG of an integer column is an integer on some dialects: average as a float.
        return sa.func.avg(sa.cast(column, sa.Float()))
    return getattr(sa.func, function.function)(column)


def _renderer(bound: Bound, function: AggregateFunction) -> Any:
    if function.function == "count":
        return lambda v: int(v or 0)
    if function.function == "avg":
        return lambda v: None if v is None else float(v)
    column = bound.table.get_column(function.columns[0])
    assert column is not None
    render = renderer_for(column)
    if function.function == "sum" and column.family in (TypeFamily.INTEGER, TypeFamily.BIGINT):
        return lambda v: None if v is None else int(v)
    return render


def _in_keys(bound: Bound, columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> Any:
    core = [bound.core.c[c] for c in columns]
    if len(core) == 1:
        return core[0].in_([v[0] for v in values])
    return sa.or_(*(sa.and_(*(c == v for c, v in zip(core, row, strict=True))) for row in values))
