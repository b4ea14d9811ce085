"""Relationships derived from foreign keys and declared in the config, and their names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import RelationshipSettings, SourceSettings
from connectors.records import ColumnRecord, ForeignKeyRecord, SourceRecord, TableRecord
from connectors.registry import build_connector
from connectors.types import TypeFamily
from schema_cache.build import build_source
from schema_cache.model import Relationship, Source

Described = tuple[str, str, tuple[str, ...], tuple[str, ...], str]


def table(
    name: str,
    columns: tuple[str, ...] = (),
    fks: tuple[ForeignKeyRecord, ...] = (),
    *,
    schema: str = "main",
    pk: tuple[str, ...] = ("id",),
) -> TableRecord:
    names = tuple(dict.fromkeys((*pk, *columns)))
    return TableRecord(
        schema=schema,
        name=name,
        kind="table",
        columns=tuple(ColumnRecord(c, TypeFamily.INTEGER, "INTEGER", c not in pk) for c in names),
        primary_key=pk,
        foreign_keys=fks,
    )


def fk(
    columns: tuple[str, ...],
    target: str,
    target_columns: tuple[str, ...] = ("id",),
    *,
    name: str | None = None,
    schema: str = "main",
) -> ForeignKeyRecord:
    return ForeignKeyRecord(name, columns, schema, target, target_columns)


def source(*tables: TableRecord, declared: tuple[RelationshipSettings, ...] = ()) -> Source:
    record = SourceRecord("sqlite", "3.40", "main", tables)
    return build_source("shop", record, declared)


def relationships(model: Source, name: str, schema: str = "main") -> dict[str, Described]:
    """name -> (kind, target table, columns, target columns, origin) of one table."""
    found = model.get_table(name, schema)
    assert found is not None, f"no table {schema}.{name}"
    return {
        r.name: (r.kind, r.target_table, r.columns, r.target_columns, r.origin)
        for r in found.relationships
    }


def test_fk_column_gives_object_named_without_id_and_array_named_after_referencing_table() -> None:
    model = source(
        table("customers", ("name",)),
        table("orders", ("customer_id",), (fk(("customer_id",), "customers", name="fk_cust"),)),
    )

    assert relationships(model, "orders") == {
        "customer": ("object", "customers", ("customer_id",), ("id",), "fk_cust"),
    }
    assert relationships(model, "customers") == {
        "orders": ("array", "orders", ("id",), ("customer_id",), "fk_cust"),
    }
    customer = model.get_table("orders")
    assert customer is not None
    rel = customer.get_relationship("customer")
    assert rel is not None
    assert (rel.target_source, rel.target_schema) == ("shop", "main")


def test_two_fks_to_the_same_table_get_table_by_columns_names() -> None:
    model = source(
        table("addresses"),
        table(
            "orders",
            ("billing_address_id", "shipping_address_id"),
            (
                fk(("shipping_address_id",), "addresses"),
                fk(("billing_address_id",), "addresses"),
            ),
        ),
    )

    assert set(relationships(model, "orders")) == {"billing_address", "shipping_address"}
    assert relationships(model, "addresses") == {
        "orders_by_billing_address_id": (
            "array",
            "orders",
            ("id",),
            ("billing_address_id",),
            "fk_billing_address_id",
        ),
        "orders_by_shipping_address_id": (
            "array",
            "orders",
            ("id",),
            ("shipping_address_id",),
            "fk_shipping_address_id",
        ),
    }


def test_two_fks_without_id_suffix_name_both_sides_by_columns() -> None:
    model = source(
        table("users"),
        table(
            "messages",
            ("sender", "recipient"),
            (fk(("sender",), "users"), fk(("recipient",), "users")),
        ),
    )

    assert relationships(model, "messages") == {
        "users_by_recipient": ("object", "users", ("recipient",), ("id",), "fk_recipient"),
        "users_by_sender": ("object", "users", ("sender",), ("id",), "fk_sender"),
    }
    assert set(relationships(model, "users")) == {"messages_by_recipient", "messages_by_sender"}


def test_self_reference_gives_manager_object_and_array_on_the_same_table() -> None:
    model = source(
        table("employees", ("name", "manager_id"), (fk(("manager_id",), "employees"),)),
    )

    assert relationships(model, "employees") == {
        "manager": ("object", "employees", ("manager_id",), ("id",), "fk_manager_id"),
        "employees": ("array", "employees", ("id",), ("manager_id",), "fk_manager_id"),
    }


def test_composite_fk_is_one_relationship_per_side_named_after_the_tables() -> None:
    key = ("warehouse_id", "sku")
    model = source(
        table("stock_items", ("qty",), pk=key),
        table(
            "stock_movements",
            ("warehouse_id", "sku", "delta"),
            (fk(key, "stock_items", key, name="fk_movements_stock_item"),),
        ),
    )

    assert relationships(model, "stock_movements") == {
        "stock_items": ("object", "stock_items", key, key, "fk_movements_stock_item"),
    }
    assert relationships(model, "stock_items") == {
        "stock_movements": ("array", "stock_movements", key, key, "fk_movements_stock_item"),
    }


def test_names_colliding_with_columns_take_the_fallback() -> None:
    model = source(
        # `orders` is also a column of customers (a counter), `customer` a column of orders.
        table("customers", ("orders",)),
        table("orders", ("customer", "customer_id"), (fk(("customer_id",), "customers"),)),
    )

    orders = relationships(model, "orders")
    customers = relationships(model, "customers")
    assert set(orders) == {"customers_by_customer_id"}
    assert set(customers) == {"orders_by_customer_id"}
    for model_table in model.tables:
        names = [r.name for r in model_table.relationships]
        assert len(names) == len(set(names))
        assert not set(names) & set(model_table.column_names)


def test_fallback_that_is_taken_too_gets_a_number() -> None:
    model = source(
        table("customers"),
        table(
            "orders",
            ("customer", "customer_id", "customers_by_customer_id"),
            (fk(("customer_id",), "customers"),),
        ),
    )

    assert set(relationships(model, "orders")) == {"customers_by_customer_id_2"}


def test_camel_case_id_suffix_is_stripped() -> None:
    model = source(table("users"), table("posts", ("authorId",), (fk(("authorId",), "users"),)))

    assert set(relationships(model, "posts")) == {"author"}


def test_a_column_ending_in_id_without_separator_keeps_the_target_name() -> None:
    # `owner_uuid` must not become `owner_uu`, nor `paid` become `pa`.
    model = source(
        table("users", pk=("uuid",)),
        table("accounts"),
        table(
            "devices",
            ("owner_uuid", "paid"),
            (fk(("owner_uuid",), "users", ("uuid",)), fk(("paid",), "accounts")),
        ),
    )

    assert set(relationships(model, "devices")) == {"users", "accounts"}


def test_declared_relationships_are_kept_and_named_first() -> None:
    declared = (
        RelationshipSettings(
            name="customer",
            source="shop",
            table="orders",
            columns=("customer_id",),
            target_source="crm",
            target_table="sales.accounts",
            target_columns=("account_id",),
        ),
        RelationshipSettings(
            name="tickets",
            source="shop",
            table="main.customers",
            columns=("id",),
            target_source="crm",
            target_table="tickets",
            target_columns=("customer_id",),
            kind="array",
        ),
        # Another source's relationship and one on a table this source lacks: ignored.
        RelationshipSettings("x", "crm", "orders", ("id",), "shop", "orders", ("id",)),
        RelationshipSettings("y", "shop", "nosuch", ("id",), "crm", "t", ("id",)),
    )
    model = source(
        table("customers"),
        table("orders", ("customer_id",), (fk(("customer_id",), "customers"),)),
        declared=declared,
    )

    orders = model.get_table("orders")
    assert orders is not None
    assert orders.relationships[0] == Relationship(
        name="customer",
        kind="object",
        columns=("customer_id",),
        target_source="crm",
        target_schema="sales",
        target_table="accounts",
        target_columns=("account_id",),
        origin="config",
    )
    assert [r.name for r in orders.relationships] == ["customer", "customers_by_customer_id"]
    customers = model.get_table("customers")
    assert customers is not None
    tickets = customers.relationships[0]
    assert (tickets.name, tickets.kind, tickets.target_source, tickets.target_schema) == (
        "tickets",
        "array",
        "crm",
        "",  # the target source's default schema
    )
    assert [r.name for r in customers.relationships] == ["tickets", "orders"]


def test_fk_to_a_table_that_is_not_served_yields_nothing() -> None:
    # customers is excluded (or not introspected): orders keeps its FK, gets no relationship.
    model = source(table("orders", ("customer_id",), (fk(("customer_id",), "customers"),)))

    orders = model.get_table("orders")
    assert orders is not None
    assert orders.relationships == ()
    assert len(orders.foreign_keys) == 1


def test_fk_to_an_excluded_sqlite_table_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY);
            CREATE TABLE products (id INTEGER PRIMARY KEY);
            CREATE TABLE orders (
              id INTEGER PRIMARY KEY,
              customer_id INTEGER REFERENCES customers (id),
              product_id INTEGER REFERENCES products (id)
            );
            """
        )
    conn.close()
    settings = SourceSettings("shop", f"sqlite:///{path}", exclude=("customers",))
    connector = build_connector(settings)
    try:
        model = build_source("shop", connector.reflect())
    finally:
        connector.dispose()

    assert [t.name for t in model.tables] == ["orders", "products"]
    assert set(relationships(model, "orders")) == {"product"}
    assert set(relationships(model, "products")) == {"orders"}


# A schema that exercises every naming rule at once, across two schemas.
SCHEMA = (
    table("customers", ("name", "orders")),
    table("addresses"),
    table("users", pk=("uuid",)),
    table(
        "orders",
        ("customer_id", "customer", "billing_address_id", "shipping_address_id"),
        (
            fk(("customer_id",), "customers", name="fk_orders_customer"),
            fk(("billing_address_id",), "addresses"),
            fk(("shipping_address_id",), "addresses"),
        ),
    ),
    table(
        "employees",
        ("manager_id", "mentor_id"),
        (
            fk(("manager_id",), "employees"),
            fk(("mentor_id",), "employees"),
        ),
    ),
    table("stock_items", pk=("warehouse_id", "sku")),
    table(
        "stock_movements",
        ("warehouse_id", "sku"),
        (fk(("warehouse_id", "sku"), "stock_items", ("warehouse_id", "sku")),),
    ),
    table(
        "messages",
        ("sender", "recipient"),
        (
            fk(("sender",), "users", ("uuid",)),
            fk(("recipient",), "users", ("uuid",)),
        ),
    ),
    table("orders", ("customer_id",), (fk(("customer_id",), "customers"),), schema="archive"),
    table(
        "refs",
        ("ref",),
        (
            fk(("ref",), "orders", schema="main"),
            fk(("ref",), "orders", schema="archive"),
        ),
    ),
    table("audit", ("user_uuid",), (fk(("user_uuid",), "missing_table"),)),
)
DECLARED = (
    RelationshipSettings("tickets", "shop", "customers", ("id",), "crm", "t", ("id",), "array"),
)


def all_relationships(model: Source) -> dict[tuple[str, str], tuple[Relationship, ...]]:
    return {(t.schema, t.name): t.relationships for t in model.tables}


@st.composite
def permuted_schema(draw: st.DrawFn) -> tuple[TableRecord, ...]:
    tables = draw(st.permutations(SCHEMA))
    return tuple(
        TableRecord(
            schema=t.schema,
            name=t.name,
            kind=t.kind,
            columns=t.columns,
            primary_key=t.primary_key,
            foreign_keys=tuple(draw(st.permutations(t.foreign_keys))),
        )
        for t in tables
    )


@settings(max_examples=60, deadline=None)
@given(permuted_schema())
def test_names_do_not_depend_on_the_order_of_tables_or_fks(tables: tuple[TableRecord, ...]) -> None:
    expected = all_relationships(source(*SCHEMA, declared=DECLARED))

    assert all_relationships(source(*tables, declared=DECLARED)) == expected


def test_the_reference_schema_is_named_as_documented() -> None:
    model = source(*SCHEMA, declared=DECLARED)

    # `orders` is a column of customers, and two tables named orders reference it.
    customers = {
        r.name: (r.target_schema, r.target_table)
        for r in model.get_table("customers").relationships  # type: ignore[union-attr]
    }
    assert customers == {
        "tickets": ("", "t"),
        "orders_by_customer_id": ("archive", "orders"),
        "orders_by_customer_id_2": ("main", "orders"),
    }
    assert set(relationships(model, "orders")) == {
        "billing_address",
        "shipping_address",
        "customers_by_customer_id",
        "refs",
    }
    assert set(relationships(model, "employees")) == {
        "manager",
        "mentor",
        "employees_by_manager_id",
        "employees_by_mentor_id",
    }
    assert set(relationships(model, "refs")) == {"orders_by_ref", "orders_by_ref_2"}
    refs = {r.name: r.target_schema for r in model.get_table("refs").relationships}  # type: ignore[union-attr]
    assert refs == {"orders_by_ref": "archive", "orders_by_ref_2": "main"}
    assert relationships(model, "audit") == {}
