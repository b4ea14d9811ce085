"""How each dialect's model of the fixture differs from the reference (PostgreSQL).

This is the one place the differences are listed: the compliance test applies
them to the reference snapshot, and docs/dialects.md is rendered from them
(`python -m tests.connectors.dialect_differences > docs/dialects.md`; a test
fails when the page is out of date).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Model = dict[str, Any]

VARCHAR_COLUMNS = (
    "main.customers/email", "main.customers/name", "main.products/sku", "main.products/name",
    "main.orders/status", "main.order_items/sku", "main.employees/name",
    "main.type_samples/c_string", "inventory.warehouses/name", "inventory.stock_items/sku",
    "inventory.stock_movements/sku",
)  # fmt: skip


VIEW_COLUMNS = (
    "main.customer_order_totals/customer_id",
    "main.customer_order_totals/order_count",
    "main.customer_order_totals/total_spent",
)


@dataclass(frozen=True)
class Difference:
    dialects: tuple[str, ...]
    what: str
    why: str
    apply: Callable[[Model], None]


def _column(model: Model, path: str) -> dict[str, Any]:
    table, column = path.split("/")
    return model[table]["columns"][column]  # type: ignore[no-any-return]


def drop_columns(*paths: str) -> Callable[[Model], None]:
    def apply(model: Model) -> None:
        for path in paths:
            table, column = path.split("/")
            del model[table]["columns"][column]

    return apply


def set_columns(paths: tuple[str, ...], **values: Any) -> Callable[[Model], None]:
    def apply(model: Model) -> None:
        for path in paths:
            _column(model, path).update(values)

    return apply


def set_tables(tables: tuple[str, ...], **values: Any) -> Callable[[Model], None]:
    def apply(model: Model) -> None:
        for table in tables:
            model[table].update(values)

    return apply


def generated_constraint_names(model: Model) -> None:
    """Names become '*' on both sides: the dialect invents its own."""
    for table in model.values():
        for fk in table["foreign_keys"]:
            fk["name"] = "*"
        table["checks"] = ["*"] * len(table["checks"])


def drop_cross_schema_fk(model: Model) -> None:
    items = model["inventory.stock_items"]
    items["foreign_keys"] = [f for f in items["foreign_keys"] if f["target"] != "main.products"]
    items["relationships"] = [r for r in items["relationships"] if r["target"] != "main.products"]
    products = model["main.products"]
    products["relationships"] = [
        r for r in products["relationships"] if r["target"] != "inventory.stock_items"
    ]


def no_comments(model: Model) -> None:
    for table in model.values():
        table["comment"] = None
        for column in table["columns"].values():
            column["comment"] = None


DIFFERENCES: tuple[Difference, ...] = (
    Difference(("sqlite",), "no schemas: the inventory tables live in the main database",
               "SQLite has one schema per file (the fixture uses no ATTACH)", lambda m: None),
    Difference(("sqlite",), "no table or column comments", "SQLite has no COMMENT", no_comments),
    Difference(("sqlite",),
               "no `c_datetime_tz`, `c_interval`, `c_uuid`, `c_enum`, `c_array` columns",
               "SQLite has no such types; the fixture leaves them out",
               drop_columns("main.type_samples/c_datetime_tz", "main.type_samples/c_interval",
                            "main.type_samples/c_uuid", "main.type_samples/c_enum",
                            "main.type_samples/c_array")),
    Difference(("sqlite",), "an `INTEGER PRIMARY KEY` is autoincrement",
               "it is an alias of the rowid, which SQLite fills in",
               set_columns(("main.employees/id", "inventory.warehouses/id"),
                           autoincrement=True, has_default=True)),
    Difference(("sqlite",), "aggregate columns of views have family `other`",
               "SQLite declares no type for computed view columns",
               set_columns(("main.customer_order_totals/order_count",
                            "main.customer_order_totals/total_spent"), family="other")),
    Difference(("duckdb",), "`VARCHAR(n)` is `text` without a length",
               "DuckDB accepts and ignores VARCHAR lengths",
               set_columns(VARCHAR_COLUMNS, family="text", length=None)),
    Difference(("duckdb",), "foreign key and check constraint names are generated",
               "DuckDB ignores CONSTRAINT names", generated_constraint_names),
    Difference(("duckdb",), "no foreign key across schemas (stock_items.sku -> products)",
               "DuckDB refuses foreign keys across schemas", drop_cross_schema_fk),
    Difference(("duckdb",), "`sum()` in a view is `DECIMAL(38,2)`", "DuckDB widens decimal sums",
               set_columns(("main.customer_order_totals/total_spent",), precision=38, scale=2)),
    Difference(("mariadb", "mysql"), "no `c_interval` and `c_array` columns",
               "MySQL and MariaDB have no interval or array types",
               drop_columns("main.type_samples/c_interval", "main.type_samples/c_array")),
    Difference(("mariadb", "mysql"), "`c_uuid` is `string` (CHAR(36))",
               "one fixture file serves MySQL, which has no UUID type; MariaDB's UUID maps to uuid",
               set_columns(("main.type_samples/c_uuid",), family="string", length=36)),
    Difference(("mariadb", "mysql"), "view columns are NOT NULL and `sum()` is `DECIMAL(32,2)`",
               "as the server computes the view's column types",
               lambda m: (set_columns(VIEW_COLUMNS, nullable=False)(m),
                          set_columns(VIEW_COLUMNS[2:], precision=32, scale=2)(m))),
)  # fmt: skip


def expected_for(dialect: str, reference: Model) -> Model:
    """The reference model with this dialect's differences applied."""
    model = copy.deepcopy(reference)
    for difference in DIFFERENCES:
        if dialect in difference.dialects:
            difference.apply(model)
    return model


def render_markdown() -> str:
    lines = [
        "# How the dialects differ in the unified model",
        "",
        "The connector compliance suite (`tests/connectors/test_compliance.py`) loads one",
        "fixture schema (`tests/fixtures/schema/`) into every database and compares the",
        "introspected model with one reference snapshot",
        "(`tests/connectors/snapshots/fixture_catalog.json`, taken from PostgreSQL).",
        "These are all the differences it allows; everything else is identical.",
        "Generated from `tests/connectors/dialect_differences.py`.",
        "",
        "| dialect | difference | why |",
        "|---|---|---|",
    ]
    for difference in DIFFERENCES:
        dialects = ", ".join(difference.dialects)
        lines.append(f"| {dialects} | {difference.what} | {difference.why} |")
    lines += [
        "",
        "Also by design: MySQL `TINYINT(1)` and `BIT(1)` are `boolean`; MySQL `TIMESTAMP`",
        "is `datetime_tz` (stored in UTC); Oracle `NUMBER(p,0)` is `integer` (p <= 9),",
        "`bigint` (p <= 18) or `decimal`, and Oracle `DATE` is `datetime`. SQL Server and",
        "Oracle are compile-verified here (`tests/connectors/test_typemap.py`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
