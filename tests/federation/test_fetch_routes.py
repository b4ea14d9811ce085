"""The generic SQLAlchemy -> Arrow route (SQL Server, Oracle, a missing extension wheel)
gives the same typed table as the scanner route, also after DuckDB has started."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from gateway.federation.cancel import CancelToken
from gateway.federation.fragment_reads import fetch_driver
from gateway.federation.limits import limits_from_settings
from gateway.federation.plan import Fragment
from gateway.federation.resolve import Binding, TableName
from gateway.federation.service import SqlService
from gateway.runtime import Runtime
from tests.federation.helpers import demo_with


@pytest.fixture
def service(tmp_path: Path):
    settings = demo_with(tmp_path)
    runtime = Runtime.from_settings(settings)
    runtime.cache.refresh()
    service = SqlService(runtime, limits_from_settings(settings))
    yield service
    service.close()
    for connector in runtime.connectors.values():
        connector.dispose()


def orders_fragment(service: SqlService) -> Fragment:
    source = service.runtime.cache.catalog.get_source("shop")
    assert source is not None
    table = source.get_table("orders")
    assert table is not None
    binding = Binding(TableName("shop", table.schema, table.name), source, table)
    return Fragment("__frag_1", "o", binding, "driver", table.columns)


def test_the_driver_route_conforms_types_like_the_scanner(service):
    scanned = service.run(
        "SELECT id, customer_id, status, ordered_at, total FROM shop.orders ORDER BY id",
        [],
        CancelToken(),
    ).table  # DuckDB is running now

    fetched = fetch_driver(
        service.engine, orders_fragment(service), {}, service.limits, CancelToken(), None
    )

    assert fetched.schema.field("total").type == pa.decimal128(12, 2)
    assert fetched.schema.field("ordered_at").type == pa.timestamp("us")
    assert fetched.sort_by("id").to_pylist() == scanned.to_pylist()
