"""Views are served for reading only: no mutation field, as REST documents no writes on them.

Found by schemathesis (test_schemathesis.py): writes to a PostgreSQL view that
is not updatable reached the database and came back as `source_unavailable`.
"""

from __future__ import annotations

from connectors.types import TypeFamily
from gateway.graphql.schema import build_bundle
from schema_cache.model import Catalog, Column, Source, Table


def test_a_view_gets_queries_but_no_mutations() -> None:
    columns = (Column("id", TypeFamily.INTEGER, "integer", False),)
    orders = Table("main", "orders", "table", columns, primary_key=("id",))
    totals = Table("main", "totals", "view", columns, primary_key=("id",))
    source = Source("shop", "postgresql", "16", "main", "v1", (orders, totals))
    schema = build_bundle(Catalog(sources=(source,))).schema
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    queries, mutations = set(schema.query_type.fields), set(schema.mutation_type.fields)
    assert {"shop_totals", "shop_totals_by_pk", "shop_totals_aggregate"} <= queries
    assert not {m for m in mutations if "totals" in m}
    assert {"insert_shop_orders", "update_shop_orders_by_pk", "delete_shop_orders"} <= mutations
