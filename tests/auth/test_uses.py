"""The IR walk: every table a statement touches, and a refusal for what it does not know."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.query.access import TableUse
from gateway.query.errors import UnknownRelationshipError
from gateway.query.ir import (
    Condition,
    Delete,
    Embed,
    Insert,
    Junction,
    OnConflict,
    RelationshipFilter,
    Select,
    TableRef,
    Update,
)
from gateway.query.uses import UncheckedStatementError, table_uses
from gateway.runtime import Runtime
from gateway.settings_source import demo_settings
from schema_cache.model import Catalog


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    runtime = Runtime.from_settings(demo_settings(tmp_path_factory.mktemp("uses")))
    runtime.cache.refresh()
    return runtime.cache.catalog


def shop(table: str) -> TableRef:
    return TableRef("shop", table)


def read(table: str) -> TableUse:
    return TableUse("shop", table, "read")


def test_embeds_at_any_depth_and_relationship_filters_are_walked(catalog: Catalog) -> None:
    items = Select(shop("order_items"), embeds=(Embed("product", Select(shop("products"))),))
    select = Select(
        shop("customers"),
        embeds=(Embed("orders", Select(shop("orders"), embeds=(Embed("order_items", items),))),),
    )
    assert table_uses(select, catalog) == [
        read("customers"), read("orders"), read("order_items"), read("products"),
    ]  # fmt: skip
    filtered = Select(
        shop("customers"),
        filter=Junction("or", (Condition("id", "eq", 1), RelationshipFilter("orders", None))),
    )
    assert table_uses(filtered, catalog) == [read("customers"), read("orders")]


def test_writes_need_their_operation_and_read_for_what_they_return(catalog: Catalog) -> None:
    upsert = Insert(shop("products"), ({"id": 1},), on_conflict=OnConflict(()), return_rows=True)
    assert [u.operation for u in table_uses(upsert, catalog)] == ["insert", "update", "read"]
    ignore = Insert(shop("products"), ({"id": 1},), on_conflict=OnConflict((), "ignore"),
                    return_rows=False)  # fmt: skip
    assert [u.operation for u in table_uses(ignore, catalog)] == ["insert"]
    delete = Delete(shop("orders"), RelationshipFilter("customer", None), return_rows=False)
    assert table_uses(delete, catalog) == [
        TableUse("shop", "orders", "delete"), read("customers"),
    ]  # fmt: skip
    update = Update(shop("orders"), {"status": "x"}, None, return_rows=False)
    assert table_uses(update, catalog) == [TableUse("shop", "orders", "update")]


def test_an_unknown_relationship_is_refused_before_sql(catalog: Catalog) -> None:
    select = Select(shop("customers"), embeds=(Embed("nosuch", Select(shop("orders"))),))
    with pytest.raises(UnknownRelationshipError):
        table_uses(select, catalog)


@dataclass(frozen=True)
class Aggregate:  # a statement kind the walk has never heard of
    rows: Select


@dataclass(frozen=True)
class Similar:  # a filter node it has never heard of
    column: str


def test_unknown_statement_kinds_and_filter_nodes_fail_closed(catalog: Catalog) -> None:
    with pytest.raises(UncheckedStatementError):
        table_uses(Aggregate(Select(shop("customers"))), catalog)
    with pytest.raises(UncheckedStatementError):
        table_uses(Select(shop("customers"), filter=Similar("name")), catalog)  # type: ignore[arg-type]
