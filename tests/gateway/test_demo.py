"""The embedded demo: generated once, deterministic, consistent, and served."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.registry import build_connector
from gateway.demo import ensure_demo
from gateway.settings_source import demo_settings
from schema_cache.cache import SchemaCache

SHOP_TABLES = ("customers", "products", "orders", "order_items")
ANALYTICS_TABLES = ("daily_sales", "web_events")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return ensure_demo(tmp_path_factory.mktemp("demo"))


def shop_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in SHOP_TABLES
        }
    finally:
        conn.close()


def analytics_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (*ANALYTICS_TABLES, "revenue_by_country")
        }
    finally:
        conn.close()


def test_two_generations_give_identical_rows(demo: tuple[Path, Path], tmp_path: Path) -> None:
    shop, analytics = demo

    other_shop, other_analytics = ensure_demo(tmp_path / "elsewhere")

    assert shop_rows(other_shop) == shop_rows(shop)
    assert analytics_rows(other_analytics) == analytics_rows(analytics)


def test_the_demo_is_generated_once(tmp_path: Path) -> None:
    shop, analytics = ensure_demo(tmp_path)
    with sqlite3.connect(shop) as conn:  # a user's edit survives a restart
        conn.execute("UPDATE customers SET name = 'Edited' WHERE id = 1")
    conn.close()
    stamps = [shop.stat().st_mtime_ns, analytics.stat().st_mtime_ns]

    assert ensure_demo(tmp_path) == (shop, analytics)

    assert [shop.stat().st_mtime_ns, analytics.stat().st_mtime_ns] == stamps
    assert shop_rows(shop)["customers"][0][1] == "Edited"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".demo-v1",
        "analytics.duckdb",
        "shop.sqlite",
    ]


def test_a_missing_file_is_generated_again(tmp_path: Path) -> None:
    _, analytics = ensure_demo(tmp_path)
    expected = analytics_rows(analytics)
    analytics.unlink()

    ensure_demo(tmp_path)

    assert analytics_rows(analytics) == expected


def test_row_counts(demo: tuple[Path, Path]) -> None:
    shop, analytics = demo
    counts = {table: len(rows) for table, rows in shop_rows(shop).items()}
    analytics_counts = {table: len(rows) for table, rows in analytics_rows(analytics).items()}

    assert counts["customers"] == 200
    assert counts["products"] == 60
    assert counts["orders"] == 1500
    assert counts["order_items"] > 1500
    assert analytics_counts == {"daily_sales": 365 * 6, "web_events": 5000, "revenue_by_country": 6}


def test_foreign_keys_hold(demo: tuple[Path, Path]) -> None:
    shop, _ = demo
    conn = sqlite3.connect(shop)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = conn.execute(
            """
            SELECT count(*) FROM order_items i
            LEFT JOIN orders o ON o.id = i.order_id
            LEFT JOIN products p ON p.id = i.product_id
            WHERE o.id IS NULL OR p.id IS NULL
            """
        ).fetchone()
        assert orphans == (0,)
        without_items = conn.execute(
            "SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_items)"
        ).fetchone()
        assert without_items == (0,)
    finally:
        conn.close()


def test_order_totals_match_their_items(demo: tuple[Path, Path]) -> None:
    shop, _ = demo
    conn = sqlite3.connect(shop)
    try:
        rows = conn.execute(
            """
            SELECT o.id, CAST(o.total AS TEXT),
                   group_concat(i.quantity || 'x' || CAST(i.unit_price AS TEXT))
            FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id
            """
        ).fetchall()
    finally:
        conn.close()
    for order_id, total, lines in rows:
        summed = sum(
            (int(q) * Decimal(p) for q, p in (line.split("x") for line in lines.split(","))),
            Decimal(0),
        )
        assert Decimal(total).quantize(Decimal("0.01")) == summed.quantize(Decimal("0.01")), (
            order_id
        )


def test_analytics_values_are_in_their_ranges(demo: tuple[Path, Path]) -> None:
    _, analytics = demo
    conn = duckdb.connect(str(analytics), read_only=True)
    try:
        days = conn.execute(
            "SELECT min(day), max(day), count(DISTINCT country), min(orders) FROM daily_sales"
        ).fetchone()
        events = conn.execute(
            "SELECT count(DISTINCT id), count(DISTINCT page), min(duration_ms) FROM web_events"
        ).fetchone()
    finally:
        conn.close()
    assert days is not None
    assert events is not None
    assert (str(days[0]), str(days[1]), days[2]) == ("2025-01-01", "2025-12-31", 6)
    assert days[3] >= 5
    assert events[0] == 5000
    assert events[1] == 5
    assert events[2] >= 50


def test_the_demo_settings_serve_both_sources(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    assert [s.name for s in settings.sources] == ["shop", "analytics"]
    assert settings.schema_cache.snapshot_path == str(tmp_path / "demo" / "snapshot.json")
    assert settings.source("analytics").read_only
    connectors = {s.name: build_connector(s) for s in settings.sources}
    try:
        cache = SchemaCache(settings, connectors)
        report = cache.refresh()
    finally:
        for connector in connectors.values():
            connector.dispose()

    assert report.failed == ()
    shop = cache.catalog.get_source("shop")
    analytics = cache.catalog.get_source("analytics")
    assert shop is not None
    assert analytics is not None
    assert sorted(t.name for t in shop.tables) == sorted(SHOP_TABLES)
    assert {t.name: t.kind for t in analytics.tables} == {
        "daily_sales": "table",
        "web_events": "table",
        "revenue_by_country": "view",
    }
    daily_sales = analytics.get_table("daily_sales")
    assert daily_sales is not None
    assert daily_sales.comment == "Orders and revenue per day and country"
    assert daily_sales.primary_key == ("day", "country")
    order_items = shop.get_table("order_items")
    assert order_items is not None
    assert {r.name for r in order_items.relationships} == {"order", "product"}
