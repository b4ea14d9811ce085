"""A real GraphQL client, `gql` (requests transport), against a uvicorn server.

The demo and a PostgreSQL fixture database are served on a free loopback
port; the client runs queries with variables and fragments, and mutations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport

from config.settings import SchemaCacheSettings
from gateway.app import create_app
from gateway.settings_source import demo_settings
from tests.connectors.compliance import TARGETS
from tests.graphql.helpers import without_auth
from tests.rest.conformance import fixture_app, refresh
from tests.rest.test_postgrest_client import running


def _client(url: str) -> Client:
    return Client(transport=RequestsHTTPTransport(url=f"{url}/graphql", timeout=30))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("demo")
    settings = replace(
        without_auth(demo_settings(home)),
        schema_cache=SchemaCacheSettings(snapshot_path=str(home / "s.json"), ttl_seconds=0),
    )
    app = create_app(settings, background_refresh=False)
    with running(app) as url:
        app.state.runtime.cache.refresh()
        yield url


@pytest.fixture(scope="module")
def postgresql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    target = next(t for t in TARGETS if t.id == "postgresql")
    with (
        fixture_app(target, tmp_path_factory.mktemp("pg")) as (app, _, _),
        running(app) as url,
    ):
        refresh(app, target)
        yield url


ORDERS = gql(
    """
    query Orders($status: String!, $n: Int = 3) {
      shop_orders(where: {status: {_eq: $status}}, order_by: {id: asc}, limit: $n) {
        ...OrderFields
        customer { name }
      }
    }
    fragment OrderFields on shop_orders { id status }
    """
)


def test_demo_queries_with_variables_and_fragments(demo_url: str) -> None:
    with _client(demo_url) as session:
        result = session.execute(GraphQLRequest(ORDERS, variable_values={"status": "paid"}))
    rows = result["shop_orders"]
    assert len(rows) == 3
    assert all(r["status"] == "paid" and r["customer"]["name"] for r in rows)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_demo_mutations_and_errors(demo_url: str) -> None:
    insert = gql(
        """
        mutation Add($p: shop_products_insert_input!) {
          insert_shop_products_one(object: $p) { id sku price }
        }
        """
    )
    update = gql(
        "mutation($id: Int!) { update_shop_products(where: {id: {_eq: $id}},"
        ' _inc: {price: "0.5"}) { affected_rows returning { price } } }'
    )
    delete = gql("mutation($id: Int!) { delete_shop_products_by_pk(id: $id) { sku } }")
    product = {"id": 9001, "sku": "GQL-1", "name": "Client", "category": "t", "price": "2"}
    with _client(demo_url) as session:
        added = session.execute(GraphQLRequest(insert, variable_values={"p": product}))
        assert added == {"insert_shop_products_one": {"id": 9001, "sku": "GQL-1", "price": "2.00"}}
        changed = session.execute(GraphQLRequest(update, variable_values={"id": 9001}))
        assert changed == {
            "update_shop_products": {"affected_rows": 1, "returning": [{"price": "2.50"}]}
        }
        with pytest.raises(TransportQueryError) as duplicate:
            session.execute(GraphQLRequest(insert, variable_values={"p": product}))
        assert duplicate.value.errors[0]["extensions"]["code"] == "constraint_violation"
        assert session.execute(GraphQLRequest(delete, variable_values={"id": 9001})) == {
            "delete_shop_products_by_pk": {"sku": "GQL-1"}
        }


@pytest.mark.postgresql
def test_postgresql_queries_and_mutations(postgresql_url: str) -> None:
    read = gql(
        """
        query($ids: [Int!]!) {
          fx_orders(where: {id: {_in: $ids}}, order_by: {id: asc}) {
            id ...Items
          }
          fx_orders_aggregate(where: {id: {_in: $ids}}) { aggregate { count } }
        }
        fragment Items on fx_orders {
          order_items(order_by: {line_no: asc}) { line_no products { name } }
        }
        """
    )
    write = gql(
        """
        mutation($e: fx_employees_insert_input!) {
          insert_fx_employees(objects: [$e]) { affected_rows returning { name manager { name } } }
          delete_fx_employees(where: {id: {_eq: 90}}) { affected_rows }
        }
        """
    )
    with _client(postgresql_url) as session:
        rows = session.execute(GraphQLRequest(read, variable_values={"ids": [1, 3]}))
        assert [r["id"] for r in rows["fx_orders"]] == [1, 3]
        assert rows["fx_orders_aggregate"] == {"aggregate": {"count": 2}}
        assert all(i["products"]["name"] for r in rows["fx_orders"] for i in r["order_items"])
        done = session.execute(
            GraphQLRequest(write, variable_values={"e": {"id": 90, "name": "Zoe", "manager_id": 1}})
        )
    assert done["insert_fx_employees"]["affected_rows"] == 1
    assert done["insert_fx_employees"]["returning"][0]["manager"]["name"]
    assert done["delete_fx_employees"] == {"affected_rows": 1}
