"""The workloads (a) to (g), spelled for each system, and how each answer becomes comparable rows.

Every system is asked for the same rows; `canonical` turns each answer into a
list of plain dicts (snake_case keys, numbers as normalised decimals, nested
lists sorted) so `check` can prove the answers equal before anything is timed.
Top-level order is compared where the workload orders rows; the grouped
aggregate (f) is compared as a set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from benchmarks.peers.dataset import INSERT_TABLE

WORKLOADS = {
    "a": "list 100 customers",
    "b": "orders: filter + order + limit 50",
    "c": "20 customers with their orders",
    "d": "20 orders > lineitems > part",
    "e": "one customer by primary key",
    "f": "count/sum of customers per nation",
    "g": "bulk insert of 100 rows",
}
# (system, surface): the systems in the order the tables show them.
SYSTEMS = [
    "fedgate REST",
    "Directus REST",
    "fedgate GraphQL",
    "PostGraphile",
    "Directus GraphQL",
    "fedgate /sql",
]
# Pairs reported as ratios: (fedgate system, peer system).
PAIRS = [
    ("fedgate REST", "Directus REST"),
    ("fedgate /sql", "Directus REST"),
    ("fedgate GraphQL", "PostGraphile"),
    ("fedgate GraphQL", "Directus GraphQL"),
]
SERVER_OF = {
    "fedgate REST": "fedgate",
    "fedgate GraphQL": "fedgate",
    "fedgate /sql": "fedgate",
    "PostGraphile": "postgraphile",
    "Directus REST": "directus",
    "Directus GraphQL": "directus",
}
KEY = 42  # the customer read by primary key (e)
CUSTOMER = [
    "c_custkey",
    "c_name",
    "c_address",
    "c_nationkey",
    "c_phone",
    "c_acctbal",
    "c_mktsegment",
    "c_comment",
]
ORDER = [
    "o_orderkey",
    "o_custkey",
    "o_orderstatus",
    "o_totalprice",
    "o_orderdate",
    "o_orderpriority",
    "o_clerk",
    "o_shippriority",
    "o_comment",
]
FLOOR_SQL = {
    "a": f"SELECT {', '.join(CUSTOMER)} FROM customer ORDER BY c_custkey LIMIT 100",
    "e": f"SELECT {', '.join(CUSTOMER)} FROM customer WHERE c_custkey = {KEY}",
}
AGGREGATE_SQL = (
    "SELECT c_nationkey, count(*) AS count, sum(c_acctbal) AS sum "
    "FROM tpch.customer GROUP BY c_nationkey ORDER BY c_nationkey"
)


@dataclass
class Cell:
    """One workload through one system: the request and how to read its answer."""

    workload: str
    system: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extract: Callable[[Any], list[dict[str, Any]]] = lambda doc: doc
    ordered: bool = True
    na: str | None = None  # why this cell is not measured

    @property
    def server(self) -> str:
        return SERVER_OF[self.system]


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# PostGraphile's relation field names -> the relationship names used elsewhere.
RELATION_NAMES = {
    "ordersByOCustkey": "orders",
    "lineitemsByLOrderkey": "lineitem",
    "partByLPartkey": "part",
}


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"nodes"}:  # a PostGraphile connection
            return _value(value["nodes"])
        return {
            RELATION_NAMES.get(k, _camel_to_snake(k)): _value(v)
            for k, v in value.items()
            if k != "id" or "c_custkey" in value or "o_orderkey" in value
        }
    if isinstance(value, list):
        items = [_value(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        try:
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                return _number(Decimal(value))
        except InvalidOperation:
            pass
        return value
    return str(value)


def _number(value: int | float | Decimal) -> str:
    number = Decimal(str(value)).normalize()
    return format(number, "f")


def canonical(rows: list[dict[str, Any]], ordered: bool) -> list[dict[str, Any]]:
    out = [_value(row) for row in rows]
    if not ordered:
        out.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return out


def _gql(query: str) -> bytes:
    return json.dumps({"query": query}).encode()


def _gql_rows(root: str, connection: bool = False) -> Callable[[Any], list[dict[str, Any]]]:
    def extract(doc: Any) -> list[dict[str, Any]]:
        if doc.get("errors"):
            raise ValueError(json.dumps(doc["errors"])[:400])
        value = doc["data"][root]
        if connection:
            value = value["nodes"]
        return value if isinstance(value, list) else [value]

    return extract


def _m2o_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Directus GraphQL gives a foreign-key column as the related object: keep its key."""
    return [
        {
            k: next(iter(v.values())) if isinstance(v, dict) and len(v) == 1 else v
            for k, v in row.items()
        }
        for row in rows
    ]


def _directus_rows(doc: Any) -> list[dict[str, Any]]:
    data = doc["data"]
    return data if isinstance(data, list) else [data]


def _rest_rows(doc: Any) -> list[dict[str, Any]]:
    return doc if isinstance(doc, list) else [doc]


def _sql_rows(doc: Any) -> list[dict[str, Any]]:
    names = [c["name"] for c in doc["columns"]]
    return [dict(zip(names, row, strict=True)) for row in doc["rows"]]


def _flat_aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Directus nests aggregates ({"sum": {"c_acctbal": x}} or {"group": {...}}): flatten them."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {}
        for k, v in row.items():
            if k == "group" and isinstance(v, dict):
                flat.update(v)
            elif isinstance(v, dict) and len(v) == 1:
                flat[k] = next(iter(v.values()))
            else:
                flat[k] = v
        out.append(flat)
    return out


def _drop_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def insert_body() -> bytes:
    rows = [{"label": f"bench row {i}", "amount": f"{i}.25"} for i in range(100)]
    return json.dumps(rows).encode()


def cells() -> list[Cell]:
    """Every (workload, system) cell, n/a where the system cannot express the workload."""
    cust = ",".join(CUSTOMER)
    cust_gql = " ".join(CUSTOMER)
    cust_pg = " ".join(_camel(c) for c in CUSTOMER)
    order = ",".join(ORDER)
    # Directus GraphQL spells a foreign-key column as the related object.
    cust_dgql = cust_gql.replace("c_nationkey", "c_nationkey { n_nationkey }")
    order_dgql = " ".join(ORDER).replace("o_custkey", "o_custkey { c_custkey }")
    order_gql = " ".join(ORDER)
    order_pg = " ".join(_camel(c) for c in ORDER)
    json_post = {"Content-Type": "application/json"}
    out = [
        # (a) 100 customers
        Cell(
            "a",
            "fedgate REST",
            "GET",
            "/rest/tpch/customer?order=c_custkey&limit=100",
            extract=_rest_rows,
        ),
        Cell(
            "a",
            "Directus REST",
            "GET",
            f"/items/customer?fields={cust}&sort=c_custkey&limit=100",
            extract=_directus_rows,
        ),
        Cell(
            "a",
            "fedgate GraphQL",
            "POST",
            "/graphql",
            _gql(f"{{ tpch_customer(limit: 100, order_by: {{c_custkey: asc}}) {{ {cust_gql} }} }}"),
            json_post,
            _gql_rows("tpch_customer"),
        ),
        Cell(
            "a",
            "PostGraphile",
            "POST",
            "/graphql",
            _gql(
                f"{{ allCustomers(first: 100, orderBy: C_CUSTKEY_ASC) {{ nodes {{ {cust_pg} }} }} }}"
            ),
            json_post,
            _gql_rows("allCustomers", connection=True),
        ),
        Cell(
            "a",
            "Directus GraphQL",
            "POST",
            "/graphql",
            _gql(f'{{ customer(limit: 100, sort: ["c_custkey"]) {{ {cust_dgql} }} }}'),
            json_post,
            lambda d: _m2o_ids(_gql_rows("customer")(d)),
        ),
        # (b) filter + order + limit (equality filters: PostGraphile's condition has only equality)
        Cell(
            "b",
            "fedgate REST",
            "GET",
            "/rest/tpch/orders?o_orderstatus=eq.O&o_orderpriority=eq.1-URGENT&order=o_totalprice.desc,o_orderkey&limit=50",
            extract=_rest_rows,
        ),
        Cell(
            "b",
            "Directus REST",
            "GET",
            f"/items/orders?fields={order}&filter[o_orderstatus][_eq]=O&filter[o_orderpriority][_eq]=1-URGENT&sort=-o_totalprice,o_orderkey&limit=50",
            extract=_directus_rows,
        ),
        Cell(
            "b",
            "fedgate GraphQL",
            "POST",
            "/graphql",
            _gql(
                f'{{ tpch_orders(where: {{o_orderstatus: {{_eq: "O"}}, o_orderpriority: {{_eq: "1-URGENT"}}}}, order_by: [{{o_totalprice: desc}}, {{o_orderkey: asc}}], limit: 50) {{ {order_gql} }} }}'
            ),
            json_post,
            _gql_rows("tpch_orders"),
        ),
        Cell(
            "b",
            "PostGraphile",
            "POST",
            "/graphql",
            _gql(
                f'{{ allOrders(first: 50, condition: {{oOrderstatus: "O", oOrderpriority: "1-URGENT"}}, orderBy: [O_TOTALPRICE_DESC, O_ORDERKEY_ASC]) {{ nodes {{ {order_pg} }} }} }}'
            ),
            json_post,
            _gql_rows("allOrders", connection=True),
        ),
        Cell(
            "b",
            "Directus GraphQL",
            "POST",
            "/graphql",
            _gql(
                f'{{ orders(filter: {{o_orderstatus: {{_eq: "O"}}, o_orderpriority: {{_eq: "1-URGENT"}}}}, sort: ["-o_totalprice", "o_orderkey"], limit: 50) {{ {order_dgql} }} }}'
            ),
            json_post,
            lambda d: _m2o_ids(_gql_rows("orders")(d)),
        ),
        # (c) 20 customers with their orders
        Cell(
            "c",
            "fedgate REST",
            "GET",
            "/rest/tpch/customer?select=c_custkey,c_name,orders(o_orderkey,o_totalprice,o_orderdate)&order=c_custkey&limit=20",
            extract=_rest_rows,
        ),
        Cell(
            "c",
            "Directus REST",
            "GET",
            "/items/customer?fields=c_custkey,c_name,orders.o_orderkey,orders.o_totalprice,orders.o_orderdate&sort=c_custkey&limit=20",
            extract=_directus_rows,
        ),
        Cell(
            "c",
            "fedgate GraphQL",
            "POST",
            "/graphql",
            _gql(
                "{ tpch_customer(limit: 20, order_by: {c_custkey: asc}) { c_custkey c_name orders { o_orderkey o_totalprice o_orderdate } } }"
            ),
            json_post,
            _gql_rows("tpch_customer"),
        ),
        Cell(
            "c",
            "PostGraphile",
            "POST",
            "/graphql",
            _gql(
                "{ allCustomers(first: 20, orderBy: C_CUSTKEY_ASC) { nodes { cCustkey cName ordersByOCustkey { nodes { oOrderkey oTotalprice oOrderdate } } } } }"
            ),
            json_post,
            _gql_rows("allCustomers", connection=True),
        ),
        Cell(
            "c",
            "Directus GraphQL",
            "POST",
            "/graphql",
            _gql(
                '{ customer(limit: 20, sort: ["c_custkey"]) { c_custkey c_name orders { o_orderkey o_totalprice o_orderdate } } }'
            ),
            json_post,
            _gql_rows("customer"),
        ),
        # (d) three levels; Directus does not expose lineitem (composite primary key)
        Cell(
            "d",
            "fedgate REST",
            "GET",
            "/rest/tpch/orders?select=o_orderkey,o_totalprice,lineitem(l_linenumber,l_quantity,part(p_partkey,p_name))&order=o_orderkey&limit=20",
            extract=_rest_rows,
        ),
        Cell("d", "Directus REST", "GET", "", na="n/a (Directus ignores composite-key tables)"),
        Cell(
            "d",
            "fedgate GraphQL",
            "POST",
            "/graphql",
            _gql(
                "{ tpch_orders(limit: 20, order_by: {o_orderkey: asc}) { o_orderkey o_totalprice lineitem { l_linenumber l_quantity part { p_partkey p_name } } } }"
            ),
            json_post,
            _gql_rows("tpch_orders"),
        ),
        Cell(
            "d",
            "PostGraphile",
            "POST",
            "/graphql",
            _gql(
                "{ allOrders(first: 20, orderBy: O_ORDERKEY_ASC) { nodes { oOrderkey oTotalprice lineitemsByLOrderkey { nodes { lLinenumber lQuantity partByLPartkey { pPartkey pName } } } } } }"
            ),
            json_post,
            _gql_rows("allOrders", connection=True),
        ),
        Cell("d", "Directus GraphQL", "POST", "", na="n/a (Directus ignores composite-key tables)"),
        # (e) one row by primary key
        Cell("e", "fedgate REST", "GET", f"/rest/tpch/customer/{KEY}", extract=_rest_rows),
        Cell(
            "e",
            "Directus REST",
            "GET",
            f"/items/customer/{KEY}?fields={cust}",
            extract=_directus_rows,
        ),
        Cell(
            "e",
            "fedgate GraphQL",
            "POST",
            "/graphql",
            _gql(f"{{ tpch_customer_by_pk(c_custkey: {KEY}) {{ {cust_gql} }} }}"),
            json_post,
            _gql_rows("tpch_customer_by_pk"),
        ),
        Cell(
            "e",
            "PostGraphile",
            "POST",
            "/graphql",
            _gql(f"{{ customerByCCustkey(cCustkey: {KEY}) {{ {cust_pg} }} }}"),
            json_post,
            _gql_rows("customerByCCustkey"),
        ),
        Cell(
            "e",
            "Directus GraphQL",
            "POST",
            "/graphql",
            _gql(f"{{ customer_by_id(id: {KEY}) {{ {cust_dgql} }} }}"),
            json_post,
            lambda d: _m2o_ids(_gql_rows("customer_by_id")(d)),
        ),
        # (f) grouped aggregate
        Cell(
            "f",
            "fedgate /sql",
            "POST",
            "/sql",
            json.dumps({"sql": AGGREGATE_SQL}).encode(),
            json_post,
            _sql_rows,
            ordered=False,
        ),
        Cell(
            "f",
            "Directus REST",
            "GET",
            "/items/customer?aggregate[count]=c_custkey&aggregate[sum]=c_acctbal&groupBy[]=c_nationkey&limit=-1",
            extract=lambda d: _flat_aggregate(_directus_rows(d)),
            ordered=False,
        ),
        Cell(
            "f", "fedgate GraphQL", "POST", "", na="n/a (Hasura-style aggregates have no GROUP BY)"
        ),
        Cell(
            "f",
            "PostGraphile",
            "POST",
            "",
            na="n/a (aggregates need a plugin outside the Amber preset)",
        ),
        Cell(
            "f",
            "Directus GraphQL",
            "POST",
            "/graphql",
            _gql(
                '{ customer_aggregated(groupBy: ["c_nationkey"], limit: -1) { group count { c_custkey } sum { c_acctbal } } }'
            ),
            json_post,
            lambda d: _flat_aggregate(_gql_rows("customer_aggregated")(d)),
            ordered=False,
        ),
        # (g) bulk insert, both answering with the inserted rows
        Cell(
            "g",
            "fedgate REST",
            "POST",
            f"/rest/tpch/{INSERT_TABLE}",
            insert_body(),
            {**json_post, "Prefer": "return=representation"},
            lambda d: _drop_ids(_rest_rows(d)),
            ordered=False,
        ),
        Cell(
            "g",
            "Directus REST",
            "POST",
            f"/items/{INSERT_TABLE}",
            insert_body(),
            json_post,
            lambda d: _drop_ids(_directus_rows(d)),
            ordered=False,
        ),
    ]
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def encode_path(path: str) -> str:
    """The path with the characters wrk and HTTP need escaped (brackets, parentheses stay readable to servers)."""
    return quote(path, safe="/?&=,.-_:()[]*")
