"""What a plan sends where, as JSON: the SQL pushed to each source and DuckDB's residual."""

from __future__ import annotations

from typing import Any

from gateway.federation.plan import SCANNER_ROUTES, Plan
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
        "bind_join_candidates": [
            {"small": j.small, "big": j.big, "column": j.big_column} for j in plan.bind_joins
        ],
        "residual": residual,
        "columns": list(plan.names),
    }
