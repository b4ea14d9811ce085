"""Plan a statement: push it down whole when it reads one server source and every node is
known to transpile; otherwise split it into fragments joined in DuckDB."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.normalize import normalize
from sqlglot.optimizer.pushdown_predicates import pushdown_predicates
from sqlglot.optimizer.pushdown_projections import pushdown_projections
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.simplify import simplify
from sqlglot.schema import MappingSchema

from gateway.federation.allowlist import pushable_query_nodes
from gateway.federation.coltypes import duckdb_type
from gateway.federation.errors import SqlInvalidError
from gateway.federation.fragments import (
    RouteFor,
    find_bind_joins,
    is_temporal_literal,
    split_fragments,
)
from gateway.federation.plan import Plan, Pushdown
from gateway.federation.resolve import SYNTHETIC_CATALOG, Binding, resolve_tables, synthetic_db
from gateway.federation.sqlgen import identifier, sqlglot_dialect
from gateway.federation.statement import Statement
from gateway.query.access import TableUse
from schema_cache.model import Catalog, Column

WHOLE_PUSHDOWN_DIALECTS = ("postgresql", "mysql", "mariadb", "mssql", "oracle")
"""Server sources take a whole single-source query; embedded ones run in DuckDB anyway."""
_GENERATED_ALIAS = re.compile(r"_col_\d+")


@dataclass(frozen=True, slots=True)
class BoundStatement:
    """A statement whose tables are bound to the catalog (synthetic names, see `resolve`)."""

    statement: Statement
    tree: exp.Query
    bindings: tuple[Binding, ...]

    def table_uses(self) -> list[TableUse]:
        """Every table the statement reads, for the access check."""
        return [
            TableUse(
                b.name.source,
                b.name.name,
                "read",
                None if b.name.schema == b.source.default_schema else b.name.schema,
            )
            for b in self.bindings
        ]


def bind_statement(
    statement: Statement, catalog: Catalog, configured: Collection[str] = ()
) -> BoundStatement:
    """Resolve every table of the statement against the catalog (no SQL runs)."""
    tree = statement.tree.copy()
    bindings = resolve_tables(tree, catalog, configured)
    return BoundStatement(statement, tree, bindings)


def build_plan(bound: BoundStatement, *, route_for: RouteFor, row_cap: int) -> Plan:
    """Push the statement down whole when it reads one server source and every node is on
    the dialect's allow-list; otherwise split it into fragments and a DuckDB residual."""
    statement, bindings = bound.statement, bound.bindings
    tree = bound.tree.copy()
    for node in tree.find_all(exp.Identifier):
        node.set("this", str(node.this).lower())  # DuckDB: names match ignoring case
    bounded = cap_rows(tree, row_cap + 1)
    push_union_limit(tree)
    prune_exists_projections(tree)
    schema = _schema(bindings)
    single = len({b.name.source for b in bindings}) == 1
    if single and bindings[0].source.dialect in WHOLE_PUSHDOWN_DIALECTS:
        qualified = _qualify(tree, schema, isolate=False)
        pushdown = whole_pushdown(qualified, bindings)
        if pushdown is not None:
            pushdown = replace(pushdown, bounded=bounded)
            names = output_names(statement.tree, qualified, bindings)
            return Plan(bindings, names, statement.params, pushdown=pushdown)
    qualified = _qualify(tree, schema, isolate=True)
    names = output_names(statement.tree, qualified, bindings)
    qualified = _optimize(qualified)
    fragments, residual = split_fragments(qualified, bindings, route_for)
    return Plan(
        bindings,
        names,
        statement.params,
        fragments=fragments,
        residual=residual,
        bind_joins=find_bind_joins(residual, fragments),
    )


def cap_rows(tree: exp.Query, limit: int) -> bool:
    """Ask for at most `limit` rows (the cap plus one, to tell a truncated result); True
    when the statement now returns at most `limit` rows."""
    current = tree.args.get("limit")
    options = current.args.get("limit_options") if current is not None else None
    if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
        return False
    if current is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        return True
    count = current.expression
    if not (isinstance(count, exp.Literal) and count.is_int):
        return False
    if int(count.name) > limit:
        current.set("expression", exp.Literal.number(limit))
    return True


def prune_exists_projections(tree: exp.Expr) -> None:
    """`EXISTS (SELECT * ...)` only asks whether a row exists: select `1` instead, so no
    column is read for the projection alone (TPC-H Q21 read all of lineitem twice).

    Only plain SELECT ... FROM ... WHERE: an aggregate without GROUP BY always yields a row,
    and HAVING, ORDER BY or QUALIFY may name the projection's aliases."""
    blocked = ("group", "having", "qualify", "order", "distinct", "limit", "offset", "windows")
    for node in list(tree.find_all(exp.Exists)):
        select = node.this
        if not isinstance(select, exp.Select) or any(select.args.get(a) for a in blocked):
            continue
        if any(p.find(exp.AggFunc, exp.Window) for p in select.expressions):
            continue
        select.set("expressions", [exp.Literal.number(1)])


def push_union_limit(tree: exp.Query) -> None:
    """`a UNION ALL b LIMIT n` (no ORDER BY): any n rows do, so each branch needs only n."""
    limit = tree.args.get("limit")
    if not isinstance(tree, exp.Union) or tree.args.get("distinct") or limit is None:
        return
    if tree.args.get("order") is not None or tree.args.get("offset") is not None:
        return
    count = limit.expression
    if not (isinstance(count, exp.Literal) and count.is_int) or limit.args.get("offset"):
        return
    for branch in (tree.this, tree.expression):
        if isinstance(branch, exp.Union):
            branch.set("limit", exp.Limit(expression=count.copy()))
            push_union_limit(branch)
        elif isinstance(branch, exp.Select) and branch.args.get("limit") is None:
            branch.set("limit", exp.Limit(expression=count.copy()))


def whole_pushdown(qualified: exp.Query, bindings: tuple[Binding, ...]) -> Pushdown | None:
    """The statement in its source's dialect, or None when a node is not on the allow-list."""
    binding = bindings[0]
    dialect = binding.source.dialect
    allowed = pushable_query_nodes(sqlglot_dialect(dialect))
    for node in qualified.walk():
        if type(node) in allowed or type(node) in (exp.Column, exp.Identifier):
            continue
        if is_temporal_literal(node) or is_temporal_literal(node.parent):
            continue
        return None
    tree = qualified.copy()
    columns = _direct_columns(tree, bindings)
    true_names = [(c, _true_column(c, bindings)) for c in tree.find_all(exp.Column)]
    for column, true in true_names:
        if true is not None:
            column.set("this", exp.to_identifier(true))
    for table in list(tree.find_all(exp.Table)):
        if table.catalog == SYNTHETIC_CATALOG:
            real = bindings[int(table.db.removeprefix("fgs"))].table
            table.set("catalog", None)
            table.set("db", exp.to_identifier(real.schema))
            table.set("this", exp.to_identifier(real.name))
    for node in list(tree.find_all(exp.Identifier)):
        node.replace(identifier(str(node.this), dialect))
    return Pushdown(binding, tree, columns)


def _direct_columns(tree: exp.Query, bindings: tuple[Binding, ...]) -> tuple[Column | None, ...]:
    """The catalog column behind each output of the first SELECT, when it is a plain column."""
    first = tree if isinstance(tree, exp.Select) else next(tree.find_all(exp.Select))
    tables = {
        t.alias_or_name: t
        for t in first.find_all(exp.Table)
        if t.find_ancestor(exp.Select) is first
    }
    found: list[Column | None] = []
    for projection in first.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        table = tables.get(inner.table) if isinstance(inner, exp.Column) else None
        if table is None or table.catalog != SYNTHETIC_CATALOG:
            found.append(None)
            continue
        binding = bindings[int(table.db.removeprefix("fgs"))]
        found.append(binding.get_column(inner.name))
    return tuple(found)


def _true_column(column: exp.Column, bindings: tuple[Binding, ...]) -> str | None:
    # Qualified columns name their table's alias; find the table in the column's scope.
    select = column.find_ancestor(exp.Select)
    while select is not None:
        for table in select.find_all(exp.Table):
            if table.alias_or_name == column.table and table.catalog == SYNTHETIC_CATALOG:
                found = bindings[int(table.db.removeprefix("fgs"))].get_column(column.name)
                return found.name if found is not None else None
        select = select.parent.find_ancestor(exp.Select) if select.parent else None
    return None


def output_names(
    original: exp.Query, qualified: exp.Query, bindings: tuple[Binding, ...]
) -> tuple[str, ...]:
    """Result column names: explicit aliases as written, plain columns by their catalog name,
    other expressions by their SQL text; duplicates get `_2`, `_3`..."""
    written = original.selects
    aligned = len(written) == len(qualified.selects) and not any(
        isinstance(p, exp.Star) or p.find(exp.Star) is p for p in written
    )
    true_case = {c.name.lower(): c.name for b in bindings for c in b.table.columns}
    names: list[str] = []
    for index, projection in enumerate(qualified.selects):
        source = written[index] if aligned else None
        if isinstance(source, exp.Alias):
            name = source.alias
        elif _GENERATED_ALIAS.fullmatch(projection.alias_or_name):
            # as DuckDB names it: `sum(l_quantity)`, functions in lower case
            name = (source or projection.unalias()).sql("duckdb", normalize_functions="lower")
        else:
            name = true_case.get(projection.alias_or_name, projection.alias_or_name)
        names.append(name)
    return _dedupe(names)


def _dedupe(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return tuple(out)


def _schema(bindings: tuple[Binding, ...]) -> MappingSchema:
    tables = {
        synthetic_db(k): {
            f"fgt{k}": {c.name.lower(): duckdb_type(c) for c in b.table.columns},
        }
        for k, b in enumerate(bindings)
    }
    return MappingSchema({SYNTHETIC_CATALOG: tables}, dialect="duckdb", normalize=False)


def _optimize(qualified: exp.Query) -> exp.Query:
    """sqlglot's predicate and projection pushdown (not `optimize()`, which merges the
    isolated tables back); `simplify` drops the TRUEs left where conjuncts moved."""
    tree = normalize(qualified)
    tree = pushdown_predicates(tree, dialect="duckdb")
    tree = pushdown_projections(tree)
    tree = simplify(tree, dialect="duckdb")
    assert isinstance(tree, exp.Query)
    return tree


def _qualify(tree: exp.Query, schema: MappingSchema, *, isolate: bool) -> exp.Query:
    try:
        qualified = qualify(
            tree.copy(),
            schema=schema,
            dialect="duckdb",
            isolate_tables=isolate,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        raise SqlInvalidError(str(exc).splitlines()[0]) from None
    except SqlglotError as exc:
        raise SqlInvalidError(f"the statement cannot be planned: {type(exc).__name__}") from None
    assert isinstance(qualified, exp.Query)
    return qualified
