"""A nested GraphQL read costs a bounded number of SQL statements, whatever the row count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.graphql.helpers import data
from tests.rest.helpers import demo_client, recording

NESTED = (
    "{ shop_customers(limit: $n, order_by: {id: asc}) { id name"
    " orders { id total order_items { quantity product { name } } }"
    " orders_aggregate { aggregate { count sum { total } } } } }"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.mark.parametrize("customers", [1, 10, 100])
def test_customers_orders_items_statements_do_not_grow_with_rows(
    client: TestClient, customers: int
) -> None:
    query = NESTED.replace("$n", str(customers))
    with recording(client, "shop") as recorder:
        rows = data(client, query)["shop_customers"]
    assert len(rows) == customers
    items = sum(len(o["order_items"]) for r in rows for o in r["orders"])
    assert customers < 100 or items > 100  # the big case really reads many rows
    for row in rows:
        assert row["orders_aggregate"]["aggregate"]["count"] == len(row["orders"])
    # customers, orders, order_items, products: one batched statement per level; one
    # grouped statement for the nested aggregate.
    assert len(recorder.statements) == 5, recorder.statements
