"""SQL Server and Oracle: the SQL GraphQL reads compile to, kept as golden files.

No server for either runs here: GraphQL queries are planned against the fixture
model moved into each dialect's schema, and their IR compiled with the dialect
(root level, embeds, nested aggregate, distinct_on, order_by through a
relationship). FEDGATE_UPDATE_SNAPSHOTS=1 rewrites the files; review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.registry import build_connector
from gateway.graphql.engine import Engine, Request
from gateway.graphql.limits import Limits
from gateway.graphql.run import AggregateRoot, ReadPlan
from gateway.graphql.schema import build_bundle
from gateway.query.aggregate import Aggregate, compile_aggregate
from gateway.query.context import QueryContext
from gateway.query.embed import _restricted
from gateway.query.select import compile_level
from schema_cache.model import Catalog, Source
from tests.rest.test_golden_sql import URLS, as_dialect, fixture_source  # noqa: F401

GOLDEN = Path(__file__).parent / "golden"
QUERIES = [
    '{ fx_orders(where: {_or: [{status: {_eq: "paid"}}, {customer: {name: {_ilike: "%a%"}}}]},'
    " order_by: {total: desc_nulls_last}, limit: 5, offset: 2) { id total"
    " customer { name } order_items(order_by: {line_no: asc}, limit: 2) { line_no qty } } }",
    "{ fx_orders(distinct_on: [customer_id], order_by: [{customer_id: asc}, {total: desc}])"
    " { id customer_id total } }",
    '{ fx_orders_aggregate(where: {status: {_neq: "new"}}) { aggregate { count'
    " sum { total } avg { total } max { created_at } } } }",
    "{ fx_orders(order_by: [{customer: {name: asc}}, {id: desc}], limit: 3) { id } }",
]


def compile_all(dialect: str, source: Source) -> str:
    url, schema = URLS[dialect]
    moved = as_dialect(source, schema)
    connector = build_connector(SourceSettings(name="fx", url=url))
    catalog = Catalog(sources=(moved,))
    ctx = QueryContext(lambda: catalog, {"fx": connector})
    engine = Engine(build_bundle(catalog), Limits())
    sql_dialect = sa.create_engine(url).dialect
    out: list[str] = []

    def emit(title: str, statement: Any) -> None:
        out.append(f"-- {title}\n{str(statement.compile(dialect=sql_dialect)).strip()};\n")

    for query in QUERIES:
        document = engine.document(query).node
        assert document is not None, engine.document(query).errors
        plan = engine.plan(document, Request(query, {}, None))
        for _, root, _ in plan.fields:
            if isinstance(root, ReadPlan):
                bound = ctx.bind(root.select.target, catalog=catalog)
                emit(query, compile_level(ctx, bound, root.select, bound.table.primary_key))
                for embed in root.select.embeds:
                    rel = bound.table.get_relationship(embed.relationship)
                    assert rel is not None
                    child = ctx.bind(embed.select.target, catalog=catalog)
                    keys = rel.target_columns
                    emit(
                        f"embed {embed.relationship}",
                        _restricted(ctx, child, embed.select, keys, keys, [(1,), (2,)]),
                    )
            elif isinstance(root, AggregateRoot) and root.aggregate is not None:
                aggregate: Aggregate = root.aggregate
                bound = ctx.bind(aggregate.rows.target, catalog=catalog)
                emit(query, compile_aggregate(ctx, bound, aggregate, None))
    return "\n".join(out)


@pytest.mark.parametrize("dialect", sorted(URLS))
def test_graphql_sql_matches_golden(dialect: str, fixture_source: Source) -> None:  # noqa: F811
    text = compile_all(dialect, fixture_source)
    golden = GOLDEN / f"{dialect}.sql"
    if os.environ.get("FEDGATE_UPDATE_SNAPSHOTS"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()
