"""Fragments and whole-query pushdowns for SQL Server and Oracle: golden SQL, compile-verified
only (no server runs here), and constructs sqlglot would emit invalidly kept in DuckDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from connectors.types import TypeFamily
from gateway.federation.explain import describe_plan
from gateway.federation.planner import bind_statement, build_plan
from gateway.federation.statement import parse_statement
from gateway.federation.trino import rewrite_for_trino
from schema_cache.model import Catalog, Column, Source, Table


def column(name: str, family: TypeFamily, **kw: object) -> Column:
    return Column(name, family, "", True, **kw)  # type: ignore[arg-type]


ORDERS = Table(
    "dbo",
    "Orders",
    "table",
    (
        column("OrderId", TypeFamily.INTEGER),
        column("CustomerId", TypeFamily.INTEGER),
        column("Amount", TypeFamily.DECIMAL, precision=12, scale=2),
        column("Memo", TypeFamily.STRING),
        column("Issued", TypeFamily.DATE),
    ),
    primary_key=("OrderId",),
)
REGIONS = Table(
    "hr",
    "regions",
    "table",
    (column("country", TypeFamily.STRING), column("region", TypeFamily.STRING)),
)
CATALOG = Catalog(
    (
        Source("ms", "mssql", "16", "dbo", "v1", (ORDERS,)),
        Source("ora", "oracle", "23", "hr", "v1", (REGIONS,)),
    )
)
JOINED = (
    "SELECT r.region, sum(o.amount) AS total FROM ms.orders o JOIN ora.regions r "
    "ON r.country = o.memo WHERE o.issued >= DATE '2024-01-01' AND o.memo ILIKE '%refund%' "
    "AND r.region IN ('EU', 'NA') AND o.customerid = ? GROUP BY r.region"
)


def plan_of(sql: str, params: list[object] | None = None):
    bound = bind_statement(parse_statement(sql, params or []), CATALOG)
    return build_plan(bound, route_for=lambda _b, _c: "driver", row_cap=1000)


def test_golden_fragments_for_sql_server_and_oracle():
    described = describe_plan(plan_of(JOINED, [7]))

    fragments = {f["source"]: f["sql"] for f in described["fragments"]}
    assert fragments["ms"] == (
        "SELECT o.[Amount] AS [Amount], o.[Memo] AS [Memo] FROM dbo.[Orders] AS o "
        "WHERE o.[CustomerId] = :p1 AND o.[Issued] >= :d1"
    )
    assert fragments["ora"] == (
        "SELECT r.region AS region, r.country AS country FROM hr.regions r "
        "WHERE r.region IN ('EU', 'NA')"
    )
    # T-SQL has no ILIKE (sqlglot would emit it anyway): that filter stays in DuckDB.
    assert "ILIKE" not in fragments["ms"]
    assert "ILIKE" in described["residual"]


@pytest.mark.parametrize(("source", "dialect"), [("ms", "mssql"), ("ora", "oracle")])
def test_the_fragments_compile_for_their_dialect(source, dialect):
    """Compile-verified only: SQLAlchemy's dialect parses the binds of the text."""
    fragment = next(
        f for f in describe_plan(plan_of(JOINED, [7]))["fragments"] if f["source"] == source
    )
    compiled = sa.text(fragment["sql"]).compile(dialect=sa.dialects.registry.load(dialect)())
    assert compiled.string


def test_a_single_source_query_goes_to_sql_server_whole_in_t_sql():
    described = describe_plan(
        plan_of("SELECT memo, count(*) AS n FROM ms.orders GROUP BY memo ORDER BY n DESC LIMIT 5")
    )

    assert described["kind"] == "pushdown"
    assert described["sql"] == (
        "SELECT TOP 5 orders.[Memo] AS memo, COUNT_BIG(*) AS n FROM dbo.[Orders] AS orders "
        "GROUP BY orders.[Memo] ORDER BY n DESC"
    )


def test_a_construct_outside_the_allow_list_is_not_pushed_whole():
    described = describe_plan(plan_of("SELECT avg(amount) AS a FROM ms.orders"))

    assert described["kind"] == "federated"  # AVG(int) truncates in T-SQL: DuckDB computes it


def test_trino_gets_the_same_statement_with_catalog_names():
    bound = bind_statement(parse_statement(JOINED, ["it's"]), CATALOG)

    assert rewrite_for_trino(bound, 1000) == (
        'SELECT r.region, SUM(o.amount) AS total FROM "ms"."dbo"."Orders" AS o '
        'JOIN "ora"."hr"."regions" AS r ON r.country = o.memo '
        "WHERE o.issued >= CAST('2024-01-01' AS DATE) AND LOWER(o.memo) LIKE LOWER('%refund%') "
        "AND r.region IN ('EU', 'NA') AND o.customerid = 'it''s' GROUP BY r.region LIMIT 1001"
    )
