"""The schema cache: refresh, change detection, unavailable sources, TTL and snapshots."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.settings import SourceSettings
from schema_cache.cache import SchemaCache
from schema_cache.errors import UnknownSourceError
from schema_cache.model import Catalog
from schema_cache.snapshot import read_snapshot
from tests.live import postgresql_database
from tests.schema_cache.helpers import UNREACHABLE_URL, MakeCache, make_settings, write_sqlite

SHOP_DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id));
"""
STOCK_DDL = "CREATE TABLE items (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL);"


class Recorder:
    """A listener that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[frozenset[str]] = []

    def __call__(self, _catalog: Catalog, changed: frozenset[str]) -> None:
        self.calls.append(changed)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def two_sqlite_sources(tmp_path: Path) -> tuple[SourceSettings, SourceSettings]:
    shop = write_sqlite(tmp_path / "shop.sqlite", SHOP_DDL)
    stock = write_sqlite(tmp_path / "stock.sqlite", STOCK_DDL)
    return SourceSettings("shop", shop), SourceSettings("stock", stock)


def unreachable(name: str) -> SourceSettings:
    return SourceSettings(name, UNREACHABLE_URL, connect_timeout_s=1)


def table_names(cache: SchemaCache, source: str) -> list[str]:
    model = cache.catalog.get_source(source)
    assert model is not None, f"{source} is not served"
    return [t.name for t in model.tables]


def test_first_refresh_serves_every_source_and_writes_the_snapshot(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    settings = make_settings(tmp_path, *two_sqlite_sources(tmp_path))
    cache = make_cache(settings)
    assert not cache.catalog.is_ready
    assert [s.status for s in cache.catalog.states] == ["pending", "pending"]

    report = cache.refresh()

    assert report.refreshed == ("shop", "stock")
    assert report.changed == ("shop", "stock")
    assert report.failed == ()
    assert cache.catalog.is_ready
    assert table_names(cache, "shop") == ["customers", "orders"]
    shop_state = cache.catalog.get_state("shop")
    assert shop_state is not None
    assert shop_state.status == "ok"
    assert shop_state.introspected_at is not None
    assert shop_state.round_trips > 0
    assert read_snapshot(settings.schema_cache.snapshot_path) == cache.catalog.sources


@pytest.mark.postgresql
def test_an_unreachable_source_is_recorded_and_the_others_serve(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    shop, stock = two_sqlite_sources(tmp_path)
    with postgresql_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE accounts (id serial PRIMARY KEY, email text)")
        engine.dispose()
        settings = make_settings(
            tmp_path, shop, unreachable("crm"), SourceSettings("billing", url), stock
        )
        cache = make_cache(settings)

        report = cache.refresh()

    assert report.failed == ("crm",)
    assert report.changed == ("billing", "shop", "stock")
    crm = cache.catalog.get_state("crm")
    assert crm is not None
    assert (crm.status, crm.reason) == ("unavailable", "connection refused")
    assert cache.catalog.get_source("crm") is None
    assert table_names(cache, "billing") == ["accounts"]
    assert table_names(cache, "shop") == ["customers", "orders"]
    assert [s.name for s in cache.catalog.sources] == ["shop", "billing", "stock"]
    assert [s.name for s in read_snapshot(settings.schema_cache.snapshot_path)] == [
        "shop",
        "billing",
        "stock",
    ]


def test_a_failing_source_keeps_its_last_good_model_from_the_snapshot(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    shop, stock = two_sqlite_sources(tmp_path)
    first = make_cache(make_settings(tmp_path, shop, stock))
    first.refresh()
    good = first.catalog.get_source("shop")

    # Restart with shop's database unreachable.
    restarted = make_cache(make_settings(tmp_path, unreachable("shop"), stock))
    assert restarted.load_snapshot() == 2
    report = restarted.refresh()

    assert report.failed == ("shop",)
    assert restarted.catalog.get_source("shop") == good
    state = restarted.catalog.get_state("shop")
    assert state is not None
    assert (state.status, state.reason) == ("unavailable", "connection refused")
    # The snapshot still holds the last good model.
    assert read_snapshot(restarted._snapshot_path)[0] == good


@pytest.mark.postgresql
def test_a_source_that_goes_down_keeps_serving_its_model(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    with postgresql_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE accounts (id serial PRIMARY KEY)")
        engine.dispose()
        cache = make_cache(make_settings(tmp_path, SourceSettings("crm", url, pool_size=1)))
        cache.refresh()
        served = cache.catalog.get_source("crm")

        admin = sa.create_engine(
            sa.make_url(url).set(database="postgres"),
            poolclass=sa.pool.NullPool,
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            name = sa.make_url(url).database
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()

        # The first round may only see its pooled connection cut; the next reconnects.
        reports = [cache.refresh(), cache.refresh()]

    assert [r.failed for r in reports] == [("crm",), ("crm",)]
    assert [r.changed for r in reports] == [(), ()]
    assert cache.catalog.get_source("crm") is served
    state = cache.catalog.get_state("crm")
    assert state is not None
    assert (state.status, state.reason) == ("unavailable", "database does not exist")


def test_unchanged_schema_keeps_the_same_source_and_calls_no_listener(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    settings = make_settings(tmp_path, *two_sqlite_sources(tmp_path))
    cache = make_cache(settings)
    cache.refresh()
    before = cache.catalog.get_source("shop")
    snapshot_mtime = Path(settings.schema_cache.snapshot_path).stat().st_mtime_ns
    listener = Recorder()
    cache.subscribe(listener)

    report = cache.refresh()

    assert report.changed == ()
    assert cache.catalog.get_source("shop") is before
    assert listener.calls == []
    assert Path(settings.schema_cache.snapshot_path).stat().st_mtime_ns == snapshot_mtime


def test_a_changed_schema_reports_only_that_source(tmp_path: Path, make_cache: MakeCache) -> None:
    shop, stock = two_sqlite_sources(tmp_path)
    settings = make_settings(tmp_path, shop, stock)
    cache = make_cache(settings)
    cache.refresh()
    old_shop, old_stock = cache.catalog.get_source("shop"), cache.catalog.get_source("stock")
    assert old_shop is not None
    listener = Recorder()
    cache.subscribe(listener)
    with sqlite3.connect(tmp_path / "shop.sqlite") as conn:
        conn.execute("ALTER TABLE customers ADD COLUMN email TEXT")
    conn.close()

    report = cache.refresh()

    assert report.changed == ("shop",)
    assert listener.calls == [frozenset({"shop"})]
    new_shop = cache.catalog.get_source("shop")
    assert new_shop is not None
    assert new_shop.version != old_shop.version
    customers = new_shop.get_table("customers")
    assert customers is not None
    assert customers.column_names == ("id", "name", "email")
    assert cache.catalog.get_source("stock") is old_stock
    assert read_snapshot(settings.schema_cache.snapshot_path)[0] == new_shop


def test_refreshing_one_source_leaves_the_others_alone(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    cache = make_cache(make_settings(tmp_path, *two_sqlite_sources(tmp_path)))
    cache.refresh(["stock"])

    assert [s.name for s in cache.catalog.sources] == ["stock"]
    shop_state = cache.catalog.get_state("shop")
    assert shop_state is not None
    assert shop_state.status == "pending"


def test_refreshing_an_unknown_source_is_an_error(tmp_path: Path, make_cache: MakeCache) -> None:
    cache = make_cache(make_settings(tmp_path, *two_sqlite_sources(tmp_path)))

    with pytest.raises(UnknownSourceError) as caught:
        cache.refresh(["nosuch"])

    assert caught.value.code == "unknown_source"
    assert "nosuch" in caught.value.message


def test_ttl_refreshes_only_after_it_expires(tmp_path: Path, make_cache: MakeCache) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path, *two_sqlite_sources(tmp_path), ttl_seconds=300)
    cache = make_cache(settings, clock=clock)
    assert cache.expired_sources() == ("shop", "stock")  # never introspected

    assert cache.refresh_expired().refreshed == ("shop", "stock")
    assert cache.expired_sources() == ()

    clock.now += 299
    assert cache.expired_sources() == ()
    assert cache.refresh_expired().refreshed == ()

    clock.now += 1
    assert cache.expired_sources() == ("shop", "stock")
    assert cache.refresh_expired().refreshed == ("shop", "stock")
    assert cache.expired_sources() == ()


def test_ttl_is_per_source(tmp_path: Path, make_cache: MakeCache) -> None:
    clock = FakeClock()
    cache = make_cache(
        make_settings(tmp_path, *two_sqlite_sources(tmp_path), ttl_seconds=60), clock=clock
    )
    cache.refresh(["shop"])
    clock.now += 30
    cache.refresh(["stock"])

    clock.now += 30
    assert cache.expired_sources() == ("shop",)
    assert cache.refresh_expired().refreshed == ("shop",)


def test_a_failing_source_is_retried_without_waiting_for_the_ttl(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    clock = FakeClock()
    shop, _ = two_sqlite_sources(tmp_path)
    cache = make_cache(make_settings(tmp_path, shop, unreachable("crm")), clock=clock)
    cache.refresh()

    assert cache.expired_sources() == ()  # backing off
    clock.now += 2
    assert cache.expired_sources() == ("crm",)


def test_a_source_that_keeps_failing_is_retried_less_and_less_often(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    clock = FakeClock()
    shop, _ = two_sqlite_sources(tmp_path)
    cache = make_cache(make_settings(tmp_path, shop, unreachable("crm")), clock=clock)
    cache.refresh()
    waits = []
    for _ in range(8):
        waited = 0
        while cache.expired_sources() != ("crm",):
            clock.now += 1
            waited += 1
        waits.append(waited)
        assert cache.refresh_expired().failed == ("crm",)
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    assert cache.refresh(["crm"]).failed == ("crm",)  # asked for: tried at once


def test_ttl_zero_refreshes_only_on_demand(tmp_path: Path, make_cache: MakeCache) -> None:
    clock = FakeClock()
    cache = make_cache(
        make_settings(tmp_path, *two_sqlite_sources(tmp_path), ttl_seconds=0), clock=clock
    )

    assert cache.expired_sources() == ()
    assert cache.refresh_expired().refreshed == ()
    clock.now += 10**9
    assert cache.refresh_expired().refreshed == ()
    assert not cache.catalog.is_ready


def test_a_snapshot_written_by_another_process_is_picked_up(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    settings = make_settings(tmp_path, *two_sqlite_sources(tmp_path))
    server = make_cache(settings)
    server.refresh()
    listener = Recorder()
    server.subscribe(listener)
    assert server.reload_snapshot_if_changed() is False  # its own write

    with sqlite3.connect(tmp_path / "stock.sqlite") as conn:
        conn.execute("CREATE TABLE warehouses (id INTEGER PRIMARY KEY)")
    conn.close()
    command = make_cache(settings)  # what `fedgate refresh` does
    command.load_snapshot()
    assert command.refresh().changed == ("stock",)

    assert server.reload_snapshot_if_changed() is True
    assert listener.calls == [frozenset({"stock"})]
    assert table_names(server, "stock") == ["items", "warehouses"]
    assert server.catalog.get_source("stock") == command.catalog.get_source("stock")
    assert server.reload_snapshot_if_changed() is False


def test_snapshot_sources_no_longer_configured_are_not_served(
    tmp_path: Path, make_cache: MakeCache
) -> None:
    shop, stock = two_sqlite_sources(tmp_path)
    make_cache(make_settings(tmp_path, shop, stock)).refresh()

    cache = make_cache(make_settings(tmp_path, stock))

    assert cache.load_snapshot() == 1
    assert [s.name for s in cache.catalog.sources] == ["stock"]


FILTER_DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY);
CREATE TABLE tmp_import (id INTEGER PRIMARY KEY);
CREATE TABLE tmp_export (id INTEGER PRIMARY KEY);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY);
CREATE VIEW customer_names AS SELECT id FROM customers;
"""


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (
            (),
            (),
            ["audit_log", "customer_names", "customers", "orders", "tmp_export", "tmp_import"],
        ),
        (("*",), ("tmp_*",), ["audit_log", "customer_names", "customers", "orders"]),
        (("cust*", "orders"), (), ["customer_names", "customers", "orders"]),
        (("cust*",), ("customer_names",), ["customers"]),  # exclude wins over include
        (("main.orders", "main.audit_*"), (), ["audit_log", "orders"]),
        (("nothing_matches",), (), []),
    ],
)
def test_include_and_exclude_patterns_filter_tables(
    tmp_path: Path,
    make_cache: MakeCache,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    expected: list[str],
) -> None:
    url = write_sqlite(tmp_path / "shop.sqlite", FILTER_DDL)
    source = SourceSettings("shop", url, include=include, exclude=exclude)
    cache = make_cache(make_settings(tmp_path, source))

    cache.refresh()

    assert table_names(cache, "shop") == expected


def test_a_failing_listener_does_not_keep_the_others_from_the_new_catalog(
    tmp_path: Path, make_cache: MakeCache, caplog: pytest.LogCaptureFixture
) -> None:
    shop, stock = two_sqlite_sources(tmp_path)
    cache = make_cache(make_settings(tmp_path, shop, stock))
    cache.refresh()

    def broken(*_: object) -> None:
        raise RuntimeError("listener bug")

    after = Recorder()
    cache.subscribe(broken)
    cache.subscribe(after)
    with sqlite3.connect(tmp_path / "shop.sqlite") as conn:
        conn.execute("ALTER TABLE customers ADD COLUMN email TEXT")
    conn.close()

    report = cache.refresh()

    assert report.changed == ("shop",)
    assert after.calls == [frozenset({"shop"})]  # told despite the one before it failing
    customers = cache.catalog.get_source("shop").get_table("customers")  # type: ignore[union-attr]
    assert customers is not None
    assert customers.column_names == ("id", "name", "email")
    assert "listener bug" in caplog.text
