"""What a plan sends where, as JSON: the SQL pushed to each source and DuckDB's residual."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from gateway.federation.cached_reads import explain_states
from gateway.federation.coltypes import fragment_arrow_type
from gateway.federation.execute import inline_fragments, share_duplicates
from gateway.federation.fragment_cache import CacheKey
from gateway.federation.plan import ATTACHED_ROUTES, FETCH_ROUTES, SCANNER_ROUTES, Plan
from gateway.federation.service import SqlService
from gateway.federation.sqlgen import render_duckdb


def describe_plan(plan: Plan) -> dict[str, Any]:
    """The pushed-down SQL per source (scanner fragments are written over the source's
    attached catalog, named by the source) and the residual query DuckDB runs."""
    values = plan.values()
    if plan.pushdown is not None:
        sql, _binds = plan.pushdown.render(values)
        return {
            "kind": "pushdown",
            "source": plan.pushdown.source,
            "dialect": plan.pushdown.dialect,
            "sql": sql,
            "columns": list(plan.names),
        }
    fragments = []
    for fragment in plan.fragments:
        attached = fragment.binding.name.source if fragment.route in SCANNER_ROUTES else None
        sql, _params = fragment.render(values, attached)
        fragments.append(
            {
                "name": fragment.key,
                "alias": fragment.alias,
                "source": fragment.binding.name.source,
                "table": f"{fragment.binding.name.schema}.{fragment.binding.name.name}",
                "route": fragment.route,
                "dialect": fragment.dialect,
                "sql": sql,
            }
        )
    assert plan.residual is not None
    residual, _ = render_duckdb(plan.residual, values)
    return {
        "kind": "federated",
        "fragments": fragments,
        # fragment -> the fragment whose read it shares (before any bind join, which may
        # change what is shared when the plan runs)
        "shared": share_duplicates({f.key: f for f in plan.fragments}, set(), values),
        "bind_join_candidates": [
            {"small": j.small, "big": j.big, "column": j.big_column} for j in plan.bind_joins
        ],
        "residual": residual,
        "columns": list(plan.names),
    }


def describe_with_cache(
    service: SqlService, plan: Plan, last: dict[str, CacheKey] | None = None
) -> dict[str, Any]:
    """`describe_plan` with, per fragment (or for the pushdown), whether the fragment cache
    holds its read now: `cache` is `hit`, `miss`, `excluded` or `off` (`last`: the keys
    the statement's last run read, `SqlService.last_reads`)."""
    described = describe_plan(plan)
    limits = service.limits
    states = explain_states(
        service.fragments,
        service.engine,
        limits.cache_exclude,
        plan,
        limits.bind_join_probe_rows,
        last,
    )
    if plan.pushdown is not None:
        described["cache"] = states["pushdown"]
    for fragment in described.get("fragments", []):
        fragment["cache"] = states[fragment["name"]]
    return described


def explain_with_duckdb_plan(service: SqlService, plan: Plan) -> dict[str, Any]:
    """`describe_with_cache` plus DuckDB's physical plan of the residual query (fetched
    fragments stand in as empty tables of their schema: nothing is read from the sources)."""
    described = describe_with_cache(service, plan)
    if plan.residual is None:
        return described
    fragments = {f.key: f for f in plan.fragments}
    attached = [f.binding for f in plan.fragments if f.route in ATTACHED_ROUTES]
    with service.engine.session(attached) as session:
        for fragment in plan.fragments:
            if fragment.route in FETCH_ROUTES:
                schema = pa.schema([(c.name, fragment_arrow_type(c)) for c in fragment.columns])
                session.cursor.register(fragment.key, schema.empty_table())
        values = plan.values()
        shared = share_duplicates(fragments, set(), values)
        residual = inline_fragments(plan.residual, fragments, session, set(), values, shared)
        sql, params = render_duckdb(residual, plan.values())
        rows = session.cursor.execute(f"EXPLAIN {sql}", params).fetchall()
    described["duckdb_plan"] = "\n".join(str(row[1]) for row in rows)
    return described
