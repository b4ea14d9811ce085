"""Split a qualified, isolated query into one fragment per table read and a residual query.

Each table becomes `__frag_<k>`; the conjuncts of its enclosing SELECT that touch only
it move into the fragment (when its route can run them), and so do ORDER BY and LIMIT of a
SELECT that reads it alone. Inner equi-joins between fragments become bind-join candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlglot import exp

from gateway.federation.allowlist import pushable_filter_nodes
from gateway.federation.plan import TRANSPILED_ROUTES, BindJoin, Fragment, Route
from gateway.federation.resolve import SYNTHETIC_CATALOG, Binding
from gateway.federation.sqlgen import sqlglot_dialect
from schema_cache.model import Column

RouteFor = Callable[[Binding, tuple[Column, ...]], Route]
_NOT_PUSHED = (exp.Subquery, exp.Select, exp.Exists, exp.AggFunc, exp.Window, exp.Rand, exp.Uuid)


def split_fragments(
    tree: exp.Query, bindings: tuple[Binding, ...], route_for: RouteFor
) -> tuple[tuple[Fragment, ...], exp.Query]:
    """The fragments of `tree` and the residual query (a new tree) that reads them."""
    tree = tree.copy()
    fragments: list[Fragment] = []
    for table in list(tree.find_all(exp.Table)):
        if table.catalog != SYNTHETIC_CATALOG:
            continue
        binding = bindings[int(table.db.removeprefix("fgs"))]
        alias = table.alias_or_name
        key = f"__frag_{len(fragments) + 1}"
        columns = _columns(tree, alias, binding)
        fragment = Fragment(key, alias, binding, route_for(binding, columns), columns)
        select = table.parent.parent if isinstance(table.parent, exp.From) else None
        if isinstance(select, exp.Select) and not select.args.get("joins"):
            fragment = _push_into(fragment, select)
            # A column only a pushed filter used is not fetched.
            fragment = replace(fragment, columns=_columns(tree, alias, binding))
        if fragment.route == "postgres_query" and _scanner_suffices(fragment):
            fragment = replace(fragment, route="postgres_scanner")
        table.replace(exp.Table(this=exp.to_identifier(key), alias=exp.TableAlias(this=alias)))
        fragments.append(fragment)
    return tuple(fragments), tree


def _columns(tree: exp.Expr, alias: str, binding: Binding) -> tuple[Column, ...]:
    # Every column the query names through this alias, in any scope: over-inclusion (another
    # scope reusing the alias) only reads a column more, never changes a result.
    found: dict[str, Column] = {}
    for node in tree.find_all(exp.Column):
        if node.table == alias:
            column = binding.get_column(node.name.lower())
            if column is not None:
                found.setdefault(column.name, column)
    if not found:  # COUNT(*): read the narrowest thing there is, one column
        key = binding.table.primary_key[:1] or (binding.table.columns[0].name,)
        found[key[0]] = binding.table.get_column(key[0]) or binding.table.columns[0]
    return tuple(found.values())


def _push_into(fragment: Fragment, select: exp.Select) -> Fragment:
    filters: list[exp.Expr] = []
    where = select.args.get("where")
    if where is not None:
        kept = []
        for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            if _is_pushable(conjunct, fragment):
                filters.append(conjunct.copy())
            else:
                kept.append(conjunct)
        if filters:  # and_() without copy: the kept subtrees hold tables not visited yet
            select.set("where", exp.Where(this=exp.and_(*kept, copy=False)) if kept else None)
    return _push_limit(replace(fragment, filters=tuple(filters)), select)


_SCANNER_FILTER_NODES = (
    exp.Column, exp.Identifier, exp.Literal, exp.Placeholder, exp.Null, exp.Boolean,
    exp.Paren, exp.And, exp.Or, exp.Not, exp.Neg, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT,
    exp.LTE, exp.In, exp.Between, exp.Is,
)  # fmt: skip


def _scanner_suffices(fragment: Fragment) -> bool:
    """True when DuckDB's postgres scanner would push every filter of the fragment itself:
    each one compares a single column with constants, and there is no LIMIT (the parallel
    scan pushes none). The scanner then reads in parallel and DuckDB's own optimizer adds
    the filters it derives from the residual query (TPC-H Q19's ORs); otherwise the
    fragment runs whole in PostgreSQL through `postgres_query()`.

    Every node allowed here is on PostgreSQL's filter allow-list, so such a fragment may
    still be sent through `postgres_query()` (the bind-join probe does, with a LIMIT)."""
    if fragment.limit is not None or fragment.order:
        return False
    for condition in fragment.filters:
        if len({c.name for c in condition.find_all(exp.Column)}) > 1:
            return False
        for node in condition.walk():
            if not (isinstance(node, _SCANNER_FILTER_NODES) or _node_allowed_temporal(node)):
                return False
    return True


def _node_allowed_temporal(node: exp.Expr) -> bool:
    return is_temporal_literal(node) or (
        isinstance(node, exp.DataType) and is_temporal_literal(node.parent)
    )


def _push_limit(fragment: Fragment, select: exp.Select) -> Fragment:
    limit = select.args.get("limit")
    blocked = ("where", "group", "having", "qualify", "distinct", "offset")
    if limit is None or any(select.args.get(arg) for arg in blocked):
        return fragment
    if any(p.find(exp.AggFunc, exp.Window) for p in select.expressions):
        return fragment
    count = limit.expression
    if not (isinstance(count, exp.Literal) and count.is_int):
        return fragment
    order = select.args.get("order")
    keys = tuple(order.expressions) if order is not None else ()
    if not all(isinstance(k.this, exp.Column) and _is_pushable(k.this, fragment) for k in keys):
        return fragment
    return replace(fragment, order=tuple(k.copy() for k in keys), limit=int(count.name))


def _is_pushable(condition: exp.Expr, fragment: Fragment) -> bool:
    if condition.find(*_NOT_PUSHED):
        return False
    for column in condition.find_all(exp.Column):
        if column.table != fragment.alias or fragment.binding.get_column(column.name) is None:
            return False
    if fragment.route not in TRANSPILED_ROUTES:
        return True  # DuckDB runs whatever its scanner does not push
    allowed = pushable_filter_nodes(sqlglot_dialect(fragment.binding.source.dialect))
    return all(_node_allowed(node, allowed) for node in condition.walk())


def _node_allowed(node: exp.Expr, allowed: frozenset[type[exp.Expr]]) -> bool:
    if is_temporal_literal(node) or is_temporal_literal(node.parent):
        return True  # bound as a date/datetime value
    if isinstance(node, exp.DataType) and is_temporal_literal(node.parent):
        return True
    return type(node) in allowed


def is_temporal_literal(node: exp.Expr | None) -> bool:
    """`DATE '2024-01-01'` and `TIMESTAMP '...'`: sent as bound values, never as text."""
    return (
        isinstance(node, exp.Cast)
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and node.to.is_type(exp.DType.DATE, exp.DType.TIMESTAMP, exp.DType.TIMESTAMPNTZ)
    )


def find_bind_joins(residual: exp.Query, fragments: tuple[Fragment, ...]) -> tuple[BindJoin, ...]:
    """Inner equi-joins between two fragments, each way round, and correlations
    `inner.x = outer.y` of a subquery, outer side first (probe candidates: the side probed
    must be filtered, by its own filters or by a bind join, when the plan runs).

    A correlated subquery only ever sees inner rows whose `x` equals some outer row's `y`,
    so its fragment may be cut to the outer fragment's keys (TPC-H Q17: the average over
    lineitem is computed for the few parts the outer query keeps); never the other way.
    """
    by_key = {f.key: f for f in fragments}
    found: list[BindJoin] = []
    for select in residual.find_all(exp.Select):
        joins = select.args.get("joins") or []
        if not all(_is_inner(j) for j in joins):
            continue
        own = _derived_fragments(select, by_key)
        outer = _outer_fragments(select, by_key)
        if not joins and not outer:
            continue
        # Only inner and cross joins: every conjunct of an ON or of the WHERE filters the
        # product of the joined tables, so either side may be cut to the other's keys.
        where = select.args.get("where")
        conditions = [j.args.get("on") for j in joins] + [where.this if where else None]
        for condition in conditions:
            if condition is None:
                continue
            conjuncts = condition.flatten() if isinstance(condition, exp.And) else [condition]
            for eq in conjuncts:
                if not (isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column)):
                    continue
                if not isinstance(eq.expression, exp.Column):
                    continue
                pairs = [(eq.this, eq.expression), (eq.expression, eq.this)]
                for one, other in pairs:
                    big = own.get(one.table, {}).get(one.name)
                    small = own.get(other.table, {}).get(other.name)
                    if small is None:
                        small = outer.get(other.table, {}).get(other.name)
                    if big is None or small is None or big[0] == small[0]:
                        continue
                    if by_key[big[0]].limit is None:  # a pushed LIMIT picks other rows
                        found.append(BindJoin(small[0], small[1], big[0], big[1]))
    return tuple(dict.fromkeys(found))


def _outer_fragments(
    select: exp.Select, by_key: dict[str, Fragment]
) -> dict[str, dict[str, tuple[str, str]]]:
    """The fragments of the enclosing SELECTs a subquery may correlate with (the nearest
    scope wins; an alias of the subquery's own shadows them all)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    shadowed = _source_aliases(select)
    node = select.parent
    while node is not None:
        if isinstance(node, exp.Select):
            for alias, outputs in _derived_fragments(node, by_key).items():
                if alias not in shadowed:
                    found[alias] = outputs
            shadowed |= _source_aliases(node)
        node = node.parent
    return found


def _source_aliases(select: exp.Select) -> set[str]:
    """Every name a SELECT's FROM and joins introduce, fragments or not."""
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    return {s.this.alias_or_name for s in sources if s is not None and s.this is not None}


def _is_plain(select: exp.Select) -> bool:
    """No operator between the rows read and the SELECT's output that a pre-filter changes."""
    blocked = ("group", "having", "qualify", "limit", "offset", "distinct", "windows")
    if any(select.args.get(arg) for arg in blocked):
        return False
    return not any(p.find(exp.AggFunc, exp.Window) for p in select.expressions)


def _is_inner(join: exp.Join) -> bool:
    """An inner join, or a cross join (`FROM a, b` with its condition in the WHERE)."""
    if join.side or join.args.get("method") or join.kind not in ("", "INNER", "CROSS"):
        return False
    return join.args.get("on") is not None or not join.args.get("using")


def _derived_fragments(
    select: exp.Select, by_key: dict[str, Fragment]
) -> dict[str, dict[str, tuple[str, str]]]:
    """alias -> {output column -> (fragment key, true column name)} for the fragments this
    SELECT reads: directly (`__frag_k AS a`) or through a plain derived table
    `(SELECT a.x AS x FROM __frag_k AS a WHERE ...) AS a` (no LIMIT, DISTINCT, grouping or
    window between the fragment's rows and this SELECT's conditions)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    for source in sources:
        derived = source.this if source is not None else None
        if isinstance(derived, exp.Table) and derived.name in by_key and not derived.db:
            fragment = by_key[derived.name]
            found[derived.alias_or_name] = {
                c.name.lower(): (fragment.key, c.name) for c in fragment.columns
            }
            continue
        if not isinstance(derived, exp.Subquery) or not isinstance(derived.this, exp.Select):
            continue
        inner = derived.this
        table = inner.args["from_"].this if inner.args.get("from_") else None
        if not isinstance(table, exp.Table) or table.name not in by_key or inner.args.get("joins"):
            continue
        if not _is_plain(inner):
            continue
        fragment = by_key[table.name]
        outputs: dict[str, tuple[str, str]] = {}
        for projection in inner.expressions:
            column = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(column, exp.Column):
                true = fragment.binding.get_column(column.name)
                if true is not None:
                    outputs[projection.alias_or_name] = (fragment.key, true.name)
        found[derived.alias_or_name] = outputs
    return found
