"""What the planner decides: a whole-query pushdown, or fragments per table and a residual
query for DuckDB. Pure values; SQL text is rendered from them when it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp

from gateway.federation.coltypes import duckdb_type
from gateway.federation.render_memo import RENDERED
from gateway.federation.resolve import Binding
from gateway.federation.sqlgen import identifier, render_duckdb, render_escaped, render_source
from schema_cache.model import Column

Route = Literal[
    "postgres_scanner",
    "postgres_query",
    "mysql_scanner",
    "sqlite_scanner",
    "duckdb_native",
    "connectorx",
    "driver",
]
SCANNER_ROUTES = ("postgres_scanner", "mysql_scanner", "sqlite_scanner")
"""Routes that read through a catalog ATTACHed to DuckDB (fragments written in DuckDB SQL)."""
ATTACHED_ROUTES = (*SCANNER_ROUTES, "postgres_query")
"""Routes DuckDB reads inline in the residual query through an ATTACHed catalog; the
`postgres_query` route sends the fragment as PostgreSQL SQL (values escaped by psycopg)
through the postgres extension's `postgres_query()`: every allow-listed filter, the
order, the limit and a bind join's key list run in PostgreSQL, not only the simple
column-against-constant filters the scanner pushes."""
FETCH_ROUTES = ("duckdb_native", "connectorx", "driver")
"""Routes that fetch Arrow tables in the source's dialect before DuckDB sees them."""
TRANSPILED_ROUTES = ("connectorx", "driver", "postgres_query")
"""Routes whose SQL sqlglot transpiles to another dialect: filters from the allow-list only."""


@dataclass(frozen=True, slots=True)
class Pushdown:
    """The whole statement, in its only source's dialect, for SQLAlchemy `text()`."""

    binding: Binding
    tree: exp.Query
    columns: tuple[Column | None, ...]  # the catalog column behind each output, if direct
    bounded: bool = False  # a LIMIT of at most the row cap + 1 applies to the whole statement

    @property
    def source(self) -> str:
        return self.binding.name.source

    @property
    def dialect(self) -> str:
        return self.binding.source.dialect

    def render(self, values: dict[int, Any]) -> tuple[str, dict[str, Any]]:
        rest = tuple(values.items())
        return RENDERED.get_or_render(
            (self.tree,), rest, lambda: render_source(self.tree, self.dialect, values)
        )


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """A bind join's `column IN (...)`: integer keys are written as literals (DuckDB's
    Python binding looks for pandas once per bound value: 0.4 s for 5,000 keys); other
    keys are bound values, placeholders numbered past the statement's own parameters."""

    column: str
    placeholders: tuple[int, ...] = ()
    integers: tuple[int, ...] = ()

    def expressions(self) -> list[exp.Expr]:
        bound: list[exp.Expr] = [exp.Placeholder(this=str(i)) for i in self.placeholders]
        return bound + [exp.Literal.number(k) for k in self.integers]


@dataclass(frozen=True, slots=True)
class Fragment:
    """One table read: the columns, filters, order and limit pushed to its source.

    Filters and order keys reference the columns as `alias.<lower-case name>`; `key_filter`
    is set at run time by a bind join (`column IN (...)`).
    """

    key: str
    alias: str
    binding: Binding
    route: Route
    columns: tuple[Column, ...]
    filters: tuple[exp.Expr, ...] = ()
    order: tuple[exp.Ordered, ...] = ()
    limit: int | None = None
    key_filter: KeyFilter | None = None

    @property
    def dialect(self) -> str:
        """The dialect the fragment's SQL is written in."""
        return "duckdb" if self.route in SCANNER_ROUTES else self.binding.source.dialect

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters) or self.limit is not None

    def build(self, attached: str | None = None, *, limit: int | None = None) -> exp.Select:
        """The fragment's SELECT: over the attached catalog `attached` (scanner routes, with
        casts to the catalog's types) or in the source's own dialect (driver route)."""
        dialect = self.dialect
        quote = (lambda n: exp.to_identifier(n, quoted=True)) if attached else _quoter(dialect)
        table = exp.Table(
            this=quote(self.binding.table.name),
            db=quote(self.binding.table.schema),
            catalog=quote(attached) if attached else None,
            alias=exp.TableAlias(this=quote(self.alias)),
        )
        projections = []
        for model in self.columns:
            ref: exp.Expr = exp.column(quote(model.name), table=quote(self.alias))
            if attached and _needs_cast(model, self.route):
                ref = exp.Cast(this=ref, to=exp.DataType.build(duckdb_type(model), "duckdb"))
            projections.append(exp.alias_(ref, quote(model.name)))
        select = exp.select(*projections).from_(table)
        conditions = [self._bind_columns(f, quote) for f in self.filters]
        if self.key_filter is not None:
            column = exp.column(quote(self.key_filter.column), table=quote(self.alias))
            keys = self.key_filter.expressions()
            no_keys = exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))
            conditions.append(exp.In(this=column, expressions=keys) if keys else no_keys)
        if conditions:
            select = select.where(exp.and_(*conditions))
        if self.order:
            select = select.order_by(*(self._bind_columns(o, quote) for o in self.order))
        effective = limit if self.limit is None else min(self.limit, limit or self.limit)
        if effective is not None:
            select = select.limit(effective)
        return select

    def render(
        self, values: dict[int, Any], attached: str | None = None, *, limit: int | None = None
    ) -> tuple[str, Any]:
        """(SQL, parameters): a `$n` list for DuckDB, a dict of binds for the driver route,
        or SQL with the values escaped by the source's own driver (connectorx takes no binds).
        Remembered for the next run of a cached plan (`render_memo`)."""
        parts = (self.binding, self.filters, self.order)
        rest = (
            self.alias,
            self.route,
            tuple(c.name for c in self.columns),
            self.limit,
            self.key_filter,
            attached,
            limit,
            tuple(values.items()),
        )
        return RENDERED.get_or_render(parts, rest, lambda: self._render(values, attached, limit))

    def _render(
        self, values: dict[int, Any], attached: str | None, limit: int | None
    ) -> tuple[str, Any]:
        if self.route == "postgres_query":
            return render_escaped(self.build(None, limit=limit), "postgresql", values), None
        tree = self.build(attached, limit=limit)
        if attached:
            return render_duckdb(tree, values)
        if self.route == "duckdb_native":
            return render_duckdb(tree, values)
        if self.route == "connectorx":
            return render_escaped(tree, self.binding.source.dialect, values), None
        return render_source(tree, self.binding.source.dialect, values)

    def reader(
        self, attached: str, values: dict[int, Any], *, limit: int | None = None
    ) -> exp.Select:
        """The DuckDB SELECT that reads the fragment through the attached catalog `attached`
        (its placeholders are rendered with the residual query's)."""
        if self.route != "postgres_query":
            return self.build(attached, limit=limit)
        sql, _ = self.render(values, limit=limit)
        call = exp.Anonymous(
            this="postgres_query",
            expressions=[exp.Literal.string(attached), exp.Literal.string(sql)],
        )
        return exp.select(exp.Star()).from_(exp.Table(this=call))

    def _bind_columns(self, expression: exp.Expr, quote: Any) -> exp.Expr:
        expression = expression.copy()
        for node in list(expression.find_all(exp.Column)):
            column = self.binding.get_column(node.name.lower())
            name = column.name if column is not None else node.name
            node.replace(exp.column(quote(name), table=quote(self.alias)))
        return expression


def _quoter(dialect: str) -> Any:
    return lambda name: identifier(name, dialect)


def _needs_cast(column: Column, route: Route) -> bool:
    """Conform what a scanner reads to the catalog's type: decimals always (exact precision
    and scale); SQLite stores dates, times and booleans as text or integers."""
    from connectors.types import TypeFamily

    if column.family is TypeFamily.DECIMAL:
        return True
    if route != "sqlite_scanner":
        return False
    return column.family in (
        TypeFamily.BOOLEAN,
        TypeFamily.DATE,
        TypeFamily.DATETIME,
        TypeFamily.DATETIME_TZ,
        TypeFamily.TIME,
    )


@dataclass(frozen=True, slots=True)
class BindJoin:
    """`big.big_column IN (keys of small.small_column)` when `small` turns out small."""

    small: str
    small_column: str
    big: str
    big_column: str


@dataclass(frozen=True, slots=True)
class Plan:
    bindings: tuple[Binding, ...]
    names: tuple[str, ...]
    params: tuple[Any, ...]
    pushdown: Pushdown | None = None
    fragments: tuple[Fragment, ...] = ()
    residual: exp.Query | None = None
    bind_joins: tuple[BindJoin, ...] = field(default=())

    @property
    def kind(self) -> str:
        return "pushdown" if self.pushdown is not None else "federated"

    def values(self) -> dict[int, Any]:
        return {i: v for i, v in enumerate(self.params, 1)}
