"""`distinct_on`: keep the first row (by the select's order) of each group of equal columns.

PostgreSQL's `DISTINCT ON` exists nowhere else, so every dialect gets the same
portable form: the rows matching the filter are numbered within each group
(`row_number() OVER (PARTITION BY columns ORDER BY order, key)`) and a row is
kept when it is number 1 of its group, matched by primary key:

    EXISTS (SELECT 1 FROM (numbered rows) d WHERE d.key = t.key AND d.rn = 1)

It is a condition, so every reader (root levels, batched embeds, the
PostgreSQL JSON path, aggregates) applies it through `select.where_clause`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from gateway.query.context import Bound, QueryContext
from gateway.query.errors import MalformedRequestError
from gateway.query.filters import compile_filter, core_column
from gateway.query.ir import OrderItem, Select

OrderClauses = Callable[[Bound, tuple[OrderItem, ...]], list[ColumnElement[Any]]]


def first_of_each(
    ctx: QueryContext,
    bound: Bound,
    select: Select,
    order_clauses: OrderClauses,
) -> ColumnElement[bool]:
    """The condition keeping the first row of each `select.distinct_on` group."""
    key = bound.table.primary_key
    if not key:
        raise MalformedRequestError(
            f"distinct_on needs a primary key, and '{bound.table.name}' has none",
            errors=[{"parameter": "distinct_on", "detail": "table without a primary key"}],
        )
    for name in select.distinct_on:
        core_column(bound, name, "distinct_on")
    inner = bound.core.alias()
    aliased = Bound(bound.source, bound.table, inner, bound.connector)  # type: ignore[arg-type]
    number = sa.func.row_number().over(
        partition_by=[inner.c[c] for c in select.distinct_on],
        order_by=order_clauses(aliased, select.order),
    )
    numbered = sa.select(
        *(inner.c[c].label(f"k{i}") for i, c in enumerate(key)), number.label("rn")
    )
    if select.filter is not None:
        numbered = numbered.where(compile_filter(ctx, aliased, select.filter))
    ranked = numbered.subquery()
    match = [ranked.c[f"k{i}"] == bound.core.c[c] for i, c in enumerate(key)]
    return sa.exists(
        sa.select(sa.literal(1)).select_from(ranked).where(*match, ranked.c["rn"] == 1)
    )
