"""Planning parsed REST queries against a small model: names, embeds, hints, limits, keys."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.types import TypeFamily
from gateway.query.errors import (
    MalformedRequestError,
    QueryError,
    UnknownColumnError,
    UnknownRelationshipError,
    UnknownTableError,
)
from gateway.query.ir import (
    Condition,
    Embed,
    Field,
    Junction,
    OrderItem,
    RelationshipFilter,
    Select,
    TableRef,
)
from gateway.rest.grammar import parse_query
from gateway.rest.plan import (
    PlanNotes,
    check_columns,
    pk_filter,
    plan_filter_only,
    plan_returning,
    plan_select,
    split_pk,
)
from schema_cache.model import Catalog, Column, ForeignKey, Relationship, Source, Table
from schema_cache.relationships import derive_relationships

PROFILE = Relationship(
    "profile", "object", ("id",), "crm", "", "profiles", ("customer_id",), "config"
)


def _table(name: str, columns: str, pk: str = "", fks: tuple[ForeignKey, ...] = ()) -> Table:
    cols = tuple(Column(c, TypeFamily.INTEGER, "integer", True) for c in columns.split())
    return Table("main", name, "table", cols, tuple(pk.split()), fks)


def _fk(name: str, column: str, target: str) -> ForeignKey:
    return ForeignKey(name, (column,), "main", target, ("id",))


def _source() -> Source:
    tables = (
        _table("customers", "id name email", "id"),
        _table(
            "orders",
            "id customer_id referrer_id total",
            "id",
            (
                _fk("orders_customer_fk", "customer_id", "customers"),
                _fk("orders_referrer_fk", "referrer_id", "customers"),
            ),
        ),
        _table(
            "items",
            "order_id line product",
            "order_id line",
            (ForeignKey("items_order_fk", ("order_id",), "main", "orders", ("id",)),),
        ),
        _table("notes", "body"),
    )
    rels = derive_relationships("shop", tables, [(("main", "customers"), PROFILE)])
    linked = tuple(
        dataclasses.replace(t, relationships=rels.get((t.schema, t.name), ())) for t in tables
    )
    return Source("shop", "sqlite", "3", "main", "v1", linked)


SHOP = _source()
CRM = Source("crm", "sqlite", "3", "main", "v1", (_table("profiles", "customer_id bio"),))
CATALOG = Catalog((SHOP, CRM))


def table(name: str) -> Table:
    found = SHOP.get_table(name)
    assert found is not None
    return found


def plan(name: str, params: list[tuple[str, str]], **kwargs: Any) -> tuple[Select, PlanNotes]:
    options: dict[str, Any] = {"default_limit": None, "max_limit": 100, "catalog": CATALOG}
    return plan_select(SHOP, table(name), parse_query(params), **(options | kwargs))


def error_of(kind: type[QueryError], name: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    with pytest.raises(kind) as info:
        plan(name, params)
    return info.value.errors[0]


def ref(name: str, source: str = "shop") -> TableRef:
    return TableRef(source, name, "main")


def test_relationship_names_of_the_fixture() -> None:
    assert [r.name for r in table("customers").relationships] == [
        "profile",
        "orders_by_customer_id",
        "orders_by_referrer_id",
    ]
    assert [r.name for r in table("orders").relationships] == ["items", "customer", "referrer"]


def test_star_expands_to_every_column() -> None:
    select, notes = plan("customers", [])
    assert select == Select(
        ref("customers"), (Field("id"), Field("name"), Field("email")), limit=100
    )
    assert notes == PlanNotes()


def test_fields_aliases_filters_order_and_paging() -> None:
    select, _ = plan(
        "orders",
        [
            ("select", "id,sum:total"),
            ("total", "gt.5"),
            ("or", "(id.eq.1,customer_id.is.null)"),
            ("order", "total.desc.nullslast"),
            ("limit", "10"),
            ("offset", "20"),
        ],
    )
    assert select.fields == (Field("id"), Field("total", "sum"))
    assert select.filter == Junction(
        "and",
        (
            Condition("total", "gt", "5"),
            Junction("or", (Condition("id", "eq", "1"), Condition("customer_id", "is", None))),
        ),
    )
    assert select.order == (OrderItem("total", True, "last"),)
    assert (select.limit, select.offset) == (10, 20)


def test_star_with_a_repeated_column_keeps_it_once() -> None:
    select, _ = plan("customers", [("select", "*,id,mail:email")])
    assert [f.output_name for f in select.fields] == ["id", "name", "email", "mail"]


@pytest.mark.parametrize(
    ("params", "parameter", "name"),
    [
        ([("select", "id,nope")], "select", "nope"),
        ([("select", "id,items(nope)")], "select", "nope"),
        ([("nope", "eq.1")], "nope", "nope"),
        ([("or", "(id.eq.1,and(nope.eq.2))")], "or", "nope"),
        ([("order", "id,nope.desc")], "order", "nope"),
        ([("select", "*,items(*)"), ("items.nope", "eq.1")], "items.nope", "nope"),
        ([("select", "*,items(*)"), ("items.order", "nope")], "items.order", "nope"),
    ],
)
def test_unknown_column_names_the_parameter_and_the_valid_columns(
    params: list[tuple[str, str]], parameter: str, name: str
) -> None:
    error = error_of(UnknownColumnError, "orders", params)
    assert error["parameter"] == parameter
    assert error["name"] == name
    assert error["valid"] in (
        ["customer_id", "id", "referrer_id", "total"],
        ["line", "order_id", "product"],
    )


def test_unknown_relationship_lists_the_valid_ones() -> None:
    error = error_of(UnknownRelationshipError, "orders", [("select", "*,films(*)")])
    assert error == {
        "parameter": "select",
        "name": "films",
        "detail": "unknown relationship 'films'",
        "valid": ["customer", "items", "referrer"],
    }


def test_embed_by_relationship_name() -> None:
    select, _ = plan("orders", [("select", "id,items(line),buyer:customer(*)")])
    items, buyer = select.embeds
    assert items == Embed("items", Select(ref("items"), (Field("line"),)))
    assert buyer.output_name == "buyer"
    assert buyer.select.target == ref("customers")
    assert len(buyer.select.fields) == 3


def test_embed_by_target_table_name_keeps_the_requested_name() -> None:
    select, _ = plan("items", [("select", "line,orders(id)")])
    assert select.embeds == (Embed("order", Select(ref("orders"), (Field("id"),)), "orders"),)


@pytest.mark.parametrize(("base", "name"), [("orders", "customers"), ("customers", "orders")])
def test_ambiguous_embed_lists_the_candidates(base: str, name: str) -> None:
    error = error_of(MalformedRequestError, base, [("select", f"id,{name}(*)")])
    assert error["name"] == name
    assert "several relationships" in error["detail"]
    assert set(error["valid"]) >= {"orders_customer_fk", "orders_referrer_fk"}


@pytest.mark.parametrize(
    ("text", "relationship", "columns"),
    [
        ("orders!orders_referrer_fk(id)", "orders_by_referrer_id", ("referrer_id",)),
        ("orders!orders_by_customer_id(id)", "orders_by_customer_id", ("customer_id",)),
        ("orders_by_customer_id!orders_customer_fk(id)", "orders_by_customer_id", ("customer_id",)),
    ],
)
def test_hints_resolve_ambiguity(text: str, relationship: str, columns: tuple[str, ...]) -> None:
    select, _ = plan("customers", [("select", f"id,{text}")])
    (embed,) = select.embeds
    assert embed.relationship == relationship
    rel = table("customers").get_relationship(relationship)
    assert rel is not None
    assert rel.target_columns == columns


def test_hint_matching_nothing() -> None:
    error = error_of(MalformedRequestError, "customers", [("select", "id,orders!nope(id)")])
    assert "matches hint 'nope'" in error["detail"]
    assert "orders_by_customer_id" in error["valid"]


def test_inner_embed_filters_the_parent_with_the_embed_filters() -> None:
    select, _ = plan(
        "customers",
        [
            ("select", "id,o:orders!orders_customer_fk!inner(id,items!inner(line))"),
            ("o.total", "gt.5"),
            ("o.items.product", "eq.7"),
            ("name", "like.A*"),
        ],
    )
    items_filter = Condition("product", "eq", "7")
    orders_filter = Junction(
        "and", (Condition("total", "gt", "5"), RelationshipFilter("items", items_filter))
    )
    assert select.filter == Junction(
        "and",
        (
            Condition("name", "like", "A%"),
            RelationshipFilter("orders_by_customer_id", orders_filter),
        ),
    )
    (orders,) = select.embeds
    assert orders.select.filter == orders_filter
    assert orders.select.embeds[0].select.filter == items_filter


def test_empty_embed_only_filters() -> None:
    select, _ = plan("orders", [("select", "id,items!inner()"), ("items.line", "eq.1")])
    assert select.embeds == ()
    assert select.filter == RelationshipFilter("items", Condition("line", "eq", "1"))
    plain, _ = plan("orders", [("select", "id,items()")])
    assert (plain.embeds, plain.filter) == ((), None)


def test_embed_paging_and_clamps() -> None:
    select, notes = plan(
        "orders",
        [
            ("select", "*,items(*)"),
            ("items.order", "line.desc"),
            ("items.limit", "500"),
            ("items.offset", "1"),
            ("limit", "1000"),
        ],
    )
    items = select.embeds[0].select
    assert (items.order, items.limit, items.offset) == ((OrderItem("line", True),), 100, 1)
    assert (select.limit, notes) == (100, PlanNotes(1000, ((("items",), 500),)))


@pytest.mark.parametrize(
    ("params", "default", "range_", "limit", "offset", "clamped"),
    [
        ([], None, None, 100, 0, None),
        ([], 25, None, 25, 0, None),
        ([], 500, None, 100, 0, None),
        ([("limit", "7")], 25, None, 7, 0, None),
        ([("limit", "101")], None, None, 100, 0, 101),
        ([], None, (10, 5), 5, 10, None),
        ([], None, (10, None), 100, 10, None),
        ([], None, (0, 500), 100, 0, 500),
        ([("offset", "3")], None, (10, 5), 100, 3, None),
    ],
)
def test_root_limits(
    params: list[tuple[str, str]],
    default: int | None,
    range_: tuple[int, int | None] | None,
    limit: int,
    offset: int,
    clamped: int | None,
) -> None:
    select, notes = plan("notes", params, default_limit=default, range_=range_)
    assert (select.limit, select.offset, notes.clamped_from) == (limit, offset, clamped)


@pytest.mark.parametrize(
    ("params", "parameter", "fragment"),
    [
        ([("select", "items(*)")], "select", "at least one column"),
        ([("select", "items!inner()")], "select", "at least one column"),
        ([("select", "id,items(order(*))")], "select", "at least one column or * in 'items'"),
        ([("select", "id,id:total")], "select", "two outputs are named 'id'"),
        ([("select", "*,total:items(*)")], "select", "two outputs are named 'total'"),
    ],
)
def test_select_shapes_refused(
    params: list[tuple[str, str]], parameter: str, fragment: str
) -> None:
    error = error_of(MalformedRequestError, "orders", params)
    assert error["parameter"] == parameter
    assert fragment in error["detail"]


def test_parameters_for_an_embed_not_in_select() -> None:
    error = error_of(
        UnknownRelationshipError, "orders", [("select", "*,i:items(*)"), ("items.line", "eq.1")]
    )
    assert (error["parameter"], error["name"], error["valid"]) == ("items.line", "items", ["i"])


def test_cross_source_embed() -> None:
    select, _ = plan("customers", [("select", "id,profile(bio)")])
    assert select.embeds == (Embed("profile", Select(ref("profiles", "crm"), (Field("bio"),))),)
    with pytest.raises(UnknownTableError):
        plan("customers", [("select", "id,profile(bio)")], catalog=None)
    error = error_of(MalformedRequestError, "customers", [("select", "id,profile!inner(bio)")])
    assert "cross sources" in error["detail"]


def test_filter_only() -> None:
    orders = table("orders")
    assert plan_filter_only(orders, parse_query([])) is None
    parsed = parse_query([("id", "eq.1"), ("total", "lt.3"), ("select", "id")])
    assert plan_filter_only(orders, parsed) == Junction(
        "and", (Condition("id", "eq", "1"), Condition("total", "lt", "3"))
    )


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ([("items.line", "eq.1")], "items.line"),
        ([("select", "id,items(*)")], "select"),
        ([("limit", "1")], "limit"),
        ([("order", "id")], "order"),
        ([("nope", "eq.1")], "nope"),
    ],
)
def test_filter_only_refuses(params: list[tuple[str, str]], parameter: str) -> None:
    with pytest.raises(QueryError) as info:
        plan_filter_only(table("orders"), parse_query(params))
    assert info.value.errors[0]["parameter"] == parameter


def test_returning_and_named_columns() -> None:
    orders = table("orders")
    assert plan_returning(orders, parse_query([("select", "id,t:total")])) == (
        Field("id"),
        Field("total", "t"),
    )
    assert len(plan_returning(orders, parse_query([]))) == 4
    assert check_columns(orders, ("id", "total"), "on_conflict") == ("id", "total")
    with pytest.raises(UnknownColumnError):
        check_columns(orders, ("nope",), "on_conflict")


def both(order_id: str, line: str) -> Junction:
    return Junction("and", (Condition("order_id", "eq", order_id), Condition("line", "eq", line)))


@pytest.mark.parametrize(
    ("name", "segment", "expected"),
    [
        ("orders", "42", Condition("id", "eq", "42")),
        ("orders", '"4,2"', Condition("id", "eq", "4,2")),
        ("items", "7,2", both("7", "2")),
        ("items", ' "a,\\"b" , c ', both('a,"b', "c")),
        ("items", "(x),y z", both("(x)", "y z")),
    ],
)
def test_pk_filter(name: str, segment: str, expected: Condition | Junction) -> None:
    assert pk_filter(table(name), segment) == expected


@pytest.mark.parametrize(
    ("name", "segment", "fragment"),
    [
        ("orders", "1,2", "expected 1 value(s) for (id), got 2"),
        ("items", "1", "expected 2 value(s) for (order_id,line), got 1"),
        ("items", "1,", "a value"),
        ("orders", 'a"b', "quoted value"),
        ("orders", '"a', "closing '\"'"),
        ("orders", '"a"b', "the end of the key"),
        ("notes", "1", "has no primary key"),
    ],
)
def test_pk_filter_rejects(name: str, segment: str, fragment: str) -> None:
    with pytest.raises(MalformedRequestError) as info:
        pk_filter(table(name), segment)
    assert info.value.errors[0]["parameter"] == "pk"
    assert fragment in info.value.errors[0]["detail"]


@given(st.text(min_size=0, max_size=20), st.text(min_size=0, max_size=20))
def test_quoted_pk_values_round_trip(first: str, second: str) -> None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    assert split_pk(table("items"), f"{quote(first)},{quote(second)}") == (first, second)
