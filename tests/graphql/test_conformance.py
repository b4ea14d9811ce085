"""GraphQL gives the same data as REST, on PostgreSQL, SQLite, DuckDB and MariaDB.

The read cases of the REST conformance suite (`tests/rest/conformance.py`),
written as GraphQL in Hasura's conventions, run against the same fixture
database as the REST request they mirror: the rows GraphQL returns must equal
the REST body, parsed, on every target. REST's own golden files pin the REST
side, so GraphQL is pinned to the same data on every dialect. Mutations then
run in sequence and must give the same results on every target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.graphql.naming import sanitise
from tests.connectors.compliance import Target
from tests.graphql.helpers import codes, data, gql
from tests.rest.conformance import CONFORMANCE_TARGETS, Served, serve

MARKS = {"postgresql": [pytest.mark.postgresql], "mariadb": [pytest.mark.mariadb]}


@dataclass(frozen=True)
class Pair:
    """A REST request and the GraphQL query meant to return the same rows (root field `r`)."""

    name: str
    rest: str
    graphql: str
    single: bool = False  # REST `/table/{pk}` returns an object; GraphQL `_by_pk` too


PAIRS = [
    Pair(
        "list-all-columns", "/rest/fx/customers", "{ r: fx_customers { id email name created_at } }"
    ),
    Pair(
        "aliases",
        "/rest/fx/orders?select=id,buyer:customer_id,amount:total",
        "{ r: fx_orders { id buyer: customer_id amount: total } }",
    ),
    Pair(
        "type-rendering",
        "/rest/fx/type_samples?select=id,c_integer,c_bigint,c_decimal,c_float,c_boolean,"
        "c_string,c_text,c_date,c_time,c_datetime,c_json,c_binary",
        "{ r: fx_type_samples { id c_integer c_bigint c_decimal c_float c_boolean c_string"
        " c_text c_date c_time c_datetime c_json c_binary } }",
    ),
    Pair(
        "order-decimal-desc",
        "/rest/fx/products?select=sku,price&order=price.desc",
        "{ r: fx_products(order_by: {price: desc}) { sku price } }",
    ),
    Pair(
        "op-eq",
        "/rest/fx/orders?select=id,status&status=eq.paid",
        '{ r: fx_orders(where: {status: {_eq: "paid"}}) { id status } }',
    ),
    Pair(
        "op-neq",
        "/rest/fx/orders?select=id,status&status=neq.paid",
        '{ r: fx_orders(where: {status: {_neq: "paid"}}) { id status } }',
    ),
    Pair(
        "op-gt-decimal",
        "/rest/fx/products?select=sku,price&price=gt.10",
        '{ r: fx_products(where: {price: {_gt: "10"}}) { sku price } }',
    ),
    Pair(
        "op-lt-skips-null",
        "/rest/fx/orders?select=id,total&total=lt.50",
        '{ r: fx_orders(where: {total: {_lt: "50"}}) { id total } }',
    ),
    Pair(
        "op-lte",
        "/rest/fx/orders?select=id,total&total=lte.50",
        "{ r: fx_orders(where: {total: {_lte: 50}}) { id total } }",
    ),
    Pair(
        "op-gt-datetime",
        "/rest/fx/orders?select=id,created_at&created_at=gt.2024-02-02T12:30:00",
        '{ r: fx_orders(where: {created_at: {_gt: "2024-02-02T12:30:00"}}) { id created_at } }',
    ),
    Pair(
        "op-like",
        "/rest/fx/customers?select=id,name&name=like.*Hopper",
        '{ r: fx_customers(where: {name: {_like: "%Hopper"}}) { id name } }',
    ),
    Pair(
        "op-like-case-sensitive",
        "/rest/fx/customers?select=id,name&name=like.*hopper",
        '{ r: fx_customers(where: {name: {_like: "%hopper"}}) { id name } }',
    ),
    Pair(
        "op-ilike",
        "/rest/fx/customers?select=id,name&name=ilike.*LOVE*",
        '{ r: fx_customers(where: {name: {_ilike: "%LOVE%"}}) { id name } }',
    ),
    Pair(
        "op-in",
        "/rest/fx/orders?select=id&id=in.(1,3,5)",
        "{ r: fx_orders(where: {id: {_in: [1, 3, 5]}}) { id } }",
    ),
    Pair(
        "op-in-empty",
        "/rest/fx/orders?select=id&id=in.()",
        "{ r: fx_orders(where: {id: {_in: []}}) { id } }",
    ),
    Pair(
        "op-nin",
        "/rest/fx/orders?select=id,status&status=not.in.(paid,cancelled)",
        '{ r: fx_orders(where: {status: {_nin: ["paid", "cancelled"]}}) { id status } }',
    ),
    Pair(
        "op-nlike",
        "/rest/fx/products?select=sku&name=not.like.G*",
        '{ r: fx_products(where: {name: {_nlike: "G%"}}) { sku } }',
    ),
    Pair(
        "op-is-null",
        "/rest/fx/orders?select=id,total&total=is.null",
        "{ r: fx_orders(where: {total: {_is_null: true}}) { id total } }",
    ),
    Pair(
        "op-not-is-null",
        "/rest/fx/orders?select=id&total=not.is.null",
        "{ r: fx_orders(where: {total: {_is_null: false}}) { id } }",
    ),
    Pair(
        "op-eq-boolean",
        "/rest/fx/type_samples?select=id&c_boolean=eq.true",
        "{ r: fx_type_samples(where: {c_boolean: {_eq: true}}) { id } }",
    ),
    Pair(
        "filters-anded",
        "/rest/fx/orders?select=id&customer_id=eq.1&total=gte.20",
        "{ r: fx_orders(where: {customer_id: {_eq: 1}, total: {_gte: 20}}) { id } }",
    ),
    Pair(
        "filters-same-column",
        "/rest/fx/orders?select=id&id=gt.1&id=lt.4",
        "{ r: fx_orders(where: {id: {_gt: 1, _lt: 4}}) { id } }",
    ),
    Pair(
        "logic-or",
        "/rest/fx/orders?select=id&or=(status.eq.cancelled,total.is.null)",
        '{ r: fx_orders(where: {_or: [{status: {_eq: "cancelled"}}, {total: {_is_null: true}}]})'
        " { id } }",
    ),
    Pair(
        "logic-or-and-nested",
        "/rest/fx/orders?select=id&or=(and(status.eq.paid,total.gt.20),id.eq.2)",
        '{ r: fx_orders(where: {_or: [{_and: [{status: {_eq: "paid"}}, {total: {_gt: 20}}]},'
        " {id: {_eq: 2}}]}) { id } }",
    ),
    Pair(
        "logic-not-or",
        "/rest/fx/orders?select=id&not.or=(status.eq.paid,status.eq.new)",
        '{ r: fx_orders(where: {_not: {_or: [{status: {_eq: "paid"}}, {status: {_eq: "new"}}]}})'
        " { id } }",
    ),
    Pair(
        "order-asc-default-nulls-last",
        "/rest/fx/orders?select=id,total&order=total.asc",
        "{ r: fx_orders(order_by: {total: asc}) { id total } }",
    ),
    Pair(
        "order-desc-default-nulls-first",
        "/rest/fx/orders?select=id,total&order=total.desc",
        "{ r: fx_orders(order_by: {total: desc}) { id total } }",
    ),
    Pair(
        "order-asc-nullsfirst",
        "/rest/fx/orders?select=id,total&order=total.asc.nullsfirst",
        "{ r: fx_orders(order_by: {total: asc_nulls_first}) { id total } }",
    ),
    Pair(
        "order-desc-nullslast",
        "/rest/fx/orders?select=id,total&order=total.desc.nullslast",
        "{ r: fx_orders(order_by: [{total: desc_nulls_last}]) { id total } }",
    ),
    Pair(
        "order-several-columns",
        "/rest/fx/employees?select=id,manager_id&order=manager_id.asc.nullsfirst,name.desc",
        "{ r: fx_employees(order_by: [{manager_id: asc_nulls_first}, {name: desc}])"
        " { id manager_id } }",
    ),
    Pair(
        "limit-offset",
        "/rest/fx/orders?select=id&order=id&limit=2&offset=1",
        "{ r: fx_orders(order_by: {id: asc}, limit: 2, offset: 1) { id } }",
    ),
    Pair("limit-zero", "/rest/fx/orders?select=id&limit=0", "{ r: fx_orders(limit: 0) { id } }"),
    Pair(
        "embed-many-to-one",
        "/rest/fx/orders?select=id,customer(name)",
        "{ r: fx_orders { id customer { name } } }",
    ),
    Pair(
        "embed-many-to-one-alias",
        "/rest/fx/orders?select=id,buyer:customer(email)&id=eq.1",
        "{ r: fx_orders(where: {id: {_eq: 1}}) { id buyer: customer { email } } }",
    ),
    Pair(
        "embed-one-to-many",
        "/rest/fx/customers?select=name,orders(id,status)",
        "{ r: fx_customers { name orders { id status } } }",
    ),
    Pair(
        "embed-one-to-many-filter-order-limit",
        "/rest/fx/customers?select=name,orders(id,total)&orders.status=neq.cancelled"
        "&orders.order=total.desc.nullslast&orders.limit=2",
        '{ r: fx_customers { name orders(where: {status: {_neq: "cancelled"}},'
        " order_by: {total: desc_nulls_last}, limit: 2) { id total } } }",
    ),
    Pair(
        "embed-one-to-many-offset",
        "/rest/fx/customers?select=id,orders(id)&orders.order=id&orders.offset=1&id=lt.3",
        "{ r: fx_customers(where: {id: {_lt: 3}}) { id orders(order_by: {id: asc}, offset: 1)"
        " { id } } }",
    ),
    Pair(
        "embed-three-levels",
        "/rest/fx/orders?select=id,order_items(line_no,qty,line_total,products(name,price))"
        "&id=in.(1,3)&order_items.order=line_no.desc",
        "{ r: fx_orders(where: {id: {_in: [1, 3]}}) { id order_items(order_by: {line_no: desc})"
        " { line_no qty line_total products { name price } } } }",
    ),
    Pair(
        "embed-self-manager",
        "/rest/fx/employees?select=name,manager(name)",
        "{ r: fx_employees { name manager { name } } }",
    ),
    Pair(
        "embed-self-reports",
        "/rest/fx/employees?select=name,employees(name)&id=eq.1",
        "{ r: fx_employees(where: {id: {_eq: 1}}) { name employees { name } } }",
    ),
    Pair(
        "embed-inner-as-exists",
        "/rest/fx/customers?select=name,orders!inner(id)&orders.status=eq.cancelled",
        '{ r: fx_customers(where: {orders: {status: {_eq: "cancelled"}}}) { name'
        ' orders(where: {status: {_eq: "cancelled"}}) { id } } }',
    ),
    Pair(
        "embed-composite-key",
        "/rest/fx/{inv}stock_movements?select=id,delta,stock_items(qty,warehouse(name))",
        "{ r: fx_{gqlinv}stock_movements { id delta stock_items { qty warehouse { name } } } }",
    ),
    Pair(
        "pk-single",
        "/rest/fx/products/SKU-002",
        '{ r: fx_products_by_pk(sku: "SKU-002") { sku name price } }',
        single=True,
    ),
    Pair(
        "pk-composite-select",
        "/rest/fx/order_items/3,2?select=sku,products(name)",
        "{ r: fx_order_items_by_pk(order_id: 3, line_no: 2) { sku products { name } } }",
        single=True,
    ),
    Pair(
        "inventory-embed",
        "/rest/fx/{inv}stock_items?select=sku,qty,warehouse(name)&order=warehouse_id,sku",
        "{ r: fx_{gqlinv}stock_items(order_by: [{warehouse_id: asc}, {sku: asc}])"
        " { sku qty warehouse { name } } }",
    ),
]


def graphql_inventory(served: Served) -> str:
    """The GraphQL name part of the inventory schema (`inventory_`, or nothing on SQLite)."""
    prefix = served.inventory_prefix.rstrip(".")
    return f"{sanitise(prefix)}_" if prefix else ""


@pytest.fixture(
    scope="module",
    params=[pytest.param(t, id=t.id, marks=MARKS.get(t.id, [])) for t in CONFORMANCE_TARGETS],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    target: Target = request.param
    with serve(target, tmp_path_factory.mktemp(f"gql-{target.id}")) as running:
        yield running


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_graphql_gives_the_rest_rows(served: Served, pair: Pair) -> None:
    rest = served.client.get(served.path(pair.rest))
    assert rest.status_code == 200, rest.text
    query = pair.graphql.replace("{gqlinv}", graphql_inventory(served))
    expected = json.loads(served.normalise(rest.text))
    got = data(served.client, query)["r"]
    assert got == expected
    if not pair.single:
        assert len(got) == len(expected)


def test_case_names_are_unique() -> None:
    assert len({p.name for p in PAIRS}) == len(PAIRS)


# --- mutations, in order: they leave the data as they found it -----------------------------

PRODUCT = "fx_products"


def _run(served: Served, query: str, variables: dict[str, Any] | None = None) -> Any:
    return data(served.client, query, variables)


def test_mutations_give_the_same_results_everywhere(served: Served) -> None:
    inserted = _run(
        served,
        "mutation($rows: [fx_products_insert_input!]!) { insert_fx_products(objects: $rows)"
        " { affected_rows returning { sku name price } } }",
        {
            "rows": [
                {"sku": "SKU-950", "name": "Cog", "price": "1.5"},
                {"sku": "SKU-951", "name": "Pin", "price": 0.25},
            ]
        },
    )["insert_fx_products"]
    assert inserted == {
        "affected_rows": 2,
        "returning": [
            {"sku": "SKU-950", "name": "Cog", "price": "1.50"},
            {"sku": "SKU-951", "name": "Pin", "price": "0.25"},
        ],
    }
    upserted = _run(
        served,
        'mutation { insert_fx_products_one(object: {sku: "SKU-950", name: "Cog v2", price: "9"},'
        " on_conflict: {constraint: products_pkey, update_columns: [name]}) { sku name price } }",
    )["insert_fx_products_one"]
    assert upserted == {"sku": "SKU-950", "name": "Cog v2", "price": "1.50"}
    ignored = _run(
        served,
        'mutation { insert_fx_products(objects: [{sku: "SKU-951", name: "x", price: 1}],'
        " on_conflict: {constraint: products_pkey, update_columns: []}) { affected_rows } }",
    )["insert_fx_products"]
    assert ignored == {"affected_rows": 0}
    updated = _run(
        served,
        'mutation { update_fx_products(where: {sku: {_in: ["SKU-950", "SKU-951"]}},'
        ' _inc: {price: "1.25"}) { affected_rows returning { sku price } } }',
    )["update_fx_products"]
    assert updated == {
        "affected_rows": 2,
        "returning": [{"sku": "SKU-950", "price": "2.75"}, {"sku": "SKU-951", "price": "1.50"}],
    }
    by_pk = _run(
        served,
        'mutation { update_fx_products_by_pk(pk_columns: {sku: "SKU-951"}, _set: {name: "Pin!"})'
        " { __typename sku name } }",
    )["update_fx_products_by_pk"]
    assert by_pk == {"__typename": "fx_products", "sku": "SKU-951", "name": "Pin!"}
    item = _run(
        served,
        "mutation { update_fx_order_items_by_pk(pk_columns: {order_id: 1, line_no: 1},"
        " _inc: {qty: 1}) { qty order { id customer { name } } } }",
    )["update_fx_order_items_by_pk"]
    restored = _run(
        served,
        "mutation { update_fx_order_items_by_pk(pk_columns: {order_id: 1, line_no: 1},"
        " _inc: {qty: -1}) { qty } }",
    )["update_fx_order_items_by_pk"]
    assert item["qty"] == restored["qty"] + 1
    assert item["order"]["id"] == 1
    assert item["order"]["customer"]["name"]
    deleted = _run(
        served,
        'mutation { delete_fx_products(where: {sku: {_like: "SKU-95%"}})'
        " { affected_rows returning { sku name } } }",
    )["delete_fx_products"]
    assert deleted == {
        "affected_rows": 2,
        "returning": [{"sku": "SKU-950", "name": "Cog v2"}, {"sku": "SKU-951", "name": "Pin!"}],
    }
    gone = _run(served, 'mutation { delete_fx_products_by_pk(sku: "SKU-950") { sku } }')
    assert gone == {"delete_fx_products_by_pk": None}


def test_a_failed_mutation_names_the_constraint_and_writes_nothing(served: Served) -> None:
    result = gql(
        served.client,
        "mutation { insert_fx_customers(objects: ["
        '{id: 70, email: "n70@example.com", name: "N", created_at: "2024-03-03T10:00:00"},'
        '{id: 71, email: "ada@example.com", name: "Dup", created_at: "2024-03-03T10:00:00"}])'
        " { affected_rows } }",
    )
    assert codes(result) == ["constraint_violation"]
    assert result["data"] == {"insert_fx_customers": None}
    assert result["errors"][0]["path"] == ["insert_fx_customers"]
    after = data(served.client, "{ fx_customers(where: {id: {_gte: 70}}) { id } }")
    assert after == {"fx_customers": []}


def test_bulk_update_and_delete_require_where(served: Served) -> None:
    for query in (
        'mutation { update_fx_products(_set: {name: "x"}) { affected_rows } }',
        "mutation { delete_fx_products { affected_rows } }",
    ):
        result = gql(served.client, query)
        assert codes(result) == ["bad_request"]
        assert "where" in result["errors"][0]["message"]
