"""Output columns of a federated query back in the types a pushdown gives them.

DuckDB holds some source types otherwise: MySQL's TIME as an INTERVAL, a decimal
wider than 38 digits as its exact text (`coltypes.is_text_in_duckdb`). An output
column that is a fragment's column as it is (through plain column references,
derived tables and CTEs) is turned back into the pushdown's type; a computed value
stays what DuckDB makes of it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from connectors.types import TypeFamily
from gateway.federation.coltypes import MAX_WIDE_DECIMAL_PRECISION, is_text_in_duckdb
from gateway.federation.plan import Fragment, Plan
from gateway.federation.result import ResultColumn
from schema_cache.model import Column

if TYPE_CHECKING:  # Arrow is loaded by the federated path only
    import pyarrow as pa


def as_catalog_types(
    table: pa.Table, columns: tuple[ResultColumn, ...], plan: Plan
) -> tuple[pa.Table, tuple[ResultColumn, ...]]:
    """Output columns that are a fragment's column as it is, in the type a pushdown gives
    them where DuckDB holds them otherwise: MySQL's TIME (DuckDB: an INTERVAL) as a
    duration of the family time, spelled as MariaDB does; a decimal wider than 38 digits
    (DuckDB: its exact text, `coltypes.is_text_in_duckdb`) as decimal256 of its precision
    and scale. A computed value stays what DuckDB makes of it."""
    import pyarrow as pa

    assert plan.residual is not None
    fragments = {f.key: f for f in plan.fragments}
    origins = _origins(plan.residual, fragments, len(columns))
    typed = list(columns)
    for index, (origin, result) in enumerate(zip(origins, columns, strict=True)):
        if origin is None:
            continue
        column, dialect = origin
        array = table.column(index)
        if (
            column.family is TypeFamily.TIME
            and dialect in ("mysql", "mariadb")
            and pa.types.is_interval(array.type)
        ):
            spans = [None if v is None else _timedelta(v) for v in array.to_pylist()]
            duration = pa.duration("us")
            field = table.field(index).with_type(duration)
            table = table.set_column(index, field, pa.array(spans, duration))
            typed[index] = ResultColumn(result.name, TypeFamily.TIME)
        elif is_text_in_duckdb(column) and pa.types.is_string(array.type):
            decimals = _decimals(array, column)
            scale = None  # over 76 digits: its exact text, a decimal still (as pushed down)
            if decimals is not None:
                field = table.field(index).with_type(decimals.type)
                table = table.set_column(index, field, decimals)
                scale = decimals.type.scale if pa.types.is_decimal(decimals.type) else None
            typed[index] = ResultColumn(result.name, TypeFamily.DECIMAL, scale)
    return table, tuple(typed)


def _decimals(array: pa.ChunkedArray, column: Column) -> pa.Array | None:
    """A wide decimal's exact text back in the Arrow type a pushdown gives it: decimal256 of
    its precision and scale; a NUMERIC without precision, the type of its values
    (`driver_values.is_unconstrained_decimal`). None when no Arrow decimal holds them
    (over 76 digits): the text stays."""
    import pyarrow as pa

    try:
        if column.precision is None:
            return pa.array([None if v is None else Decimal(v) for v in array.to_pylist()])
        if column.precision > MAX_WIDE_DECIMAL_PRECISION:
            return None
        return array.combine_chunks().cast(
            pa.decimal256(column.precision, max(0, column.scale or 0))
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _timedelta(value: Any) -> timedelta:
    """A month_day_nano interval DuckDB made of a duration (no months) as a timedelta."""
    months, days, nanos = value
    return timedelta(days=days + 30 * months, microseconds=nanos // 1000)


def _origins(
    residual: exp.Query, fragments: dict[str, Fragment], count: int
) -> list[tuple[Column, str] | None]:
    """For each output column of `residual`, the catalog column (and its source's dialect)
    it is as it is, through plain column references and derived tables; None otherwise."""
    if not isinstance(residual, exp.Select) or len(residual.expressions) != count:
        return [None] * count
    return [_origin(residual, p, fragments) for p in residual.expressions]


def _origin(
    select: exp.Select, projection: exp.Expr, fragments: dict[str, Fragment]
) -> tuple[Column, str] | None:
    node = projection.this if isinstance(projection, exp.Alias) else projection
    if not isinstance(node, exp.Column) or not node.table:
        return None
    for source in (select.args.get("from_"), *(select.args.get("joins") or [])):
        derived = source.this if source is not None else None
        if derived is None or derived.alias_or_name != node.table:
            continue
        if isinstance(derived, exp.Table) and not derived.db and derived.name in fragments:
            fragment = fragments[derived.name]
            column = fragment.binding.get_column(node.name.lower())
            return None if column is None else (column, fragment.binding.source.dialect)
        inner: exp.Expr | None = None
        if isinstance(derived, exp.Subquery):
            inner = derived.this
        elif isinstance(derived, exp.Table) and not derived.db:
            inner = _cte(select, derived.name)
        if isinstance(inner, exp.Select):
            for candidate in inner.expressions:
                if candidate.alias_or_name == node.name:
                    return _origin(inner, candidate, fragments)
        return None
    return None


def _cte(select: exp.Expr, name: str) -> exp.Expr | None:
    """The query of the CTE `name` visible from `select` (the nearest WITH naming it)."""
    node: exp.Expr | None = select
    while node is not None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if cte.alias_or_name == name:
                    return cte.this
        node = node.parent
    return None
