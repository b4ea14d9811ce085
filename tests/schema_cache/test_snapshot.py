"""Snapshots: the persisted model a restart serves before introspecting."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from config.settings import RelationshipSettings, SourceSettings
from connectors.records import (
    CheckRecord,
    ColumnRecord,
    ForeignKeyRecord,
    IndexRecord,
    SourceRecord,
    TableRecord,
    UniqueRecord,
)
from connectors.types import TypeFamily
from gateway.settings_source import demo_settings
from schema_cache.build import build_source
from schema_cache.errors import SnapshotError
from schema_cache.model import Source
from schema_cache.serialize import version_of
from schema_cache.snapshot import read_snapshot, write_snapshot
from tests.schema_cache.helpers import MakeCache, make_settings, write_sqlite


def rich_source() -> Source:
    """A model using every field the snapshot must carry."""
    columns = (
        ColumnRecord("id", TypeFamily.BIGINT, "BIGINT", False, identity=True, autoincrement=True),
        ColumnRecord("customer_id", TypeFamily.INTEGER, "INTEGER", True, comment="who"),
        ColumnRecord(
            "status", TypeFamily.ENUM, "order_status", False, "'new'", enum_values=("new", "paid")
        ),
        ColumnRecord("tags", TypeFamily.ARRAY, "TEXT[]", True, item_family=TypeFamily.TEXT),
        ColumnRecord("total", TypeFamily.DECIMAL, "NUMERIC(12, 2)", False, precision=12, scale=2),
        ColumnRecord("code", TypeFamily.STRING, "VARCHAR(20)", False, length=20),
        ColumnRecord("net", TypeFamily.DECIMAL, "NUMERIC", True, generated=True),
    )
    orders = TableRecord(
        schema="public",
        name="orders",
        kind="table",
        columns=columns,
        primary_key=("id",),
        foreign_keys=(
            ForeignKeyRecord(
                "fk_orders_customer", ("customer_id",), "public", "customers", ("id",)
            ),
        ),
        unique_constraints=(UniqueRecord("uq_orders_code", ("code",)),),
        indexes=(IndexRecord("ix_orders_status", ("status", "total"), False),),
        checks=(CheckRecord("ck_total", "total >= 0"),),
        comment="Orders, one per checkout",
    )
    customers = TableRecord(
        "public",
        "customers",
        "table",
        (ColumnRecord("id", TypeFamily.INTEGER, "INTEGER", False),),
        ("id",),
    )
    view = TableRecord(
        "reports",
        "big_orders",
        "view",
        (ColumnRecord("id", TypeFamily.BIGINT, "BIGINT", True),),
    )
    declared = (
        RelationshipSettings("account", "shop", "customers", ("id",), "crm", "accounts", ("id",)),
    )
    record = SourceRecord("postgresql", "15.2", "public", (customers, orders, view))
    return build_source("shop", record, declared)


def test_round_trip_equals_the_model(tmp_path: Path) -> None:
    source = rich_source()
    path = tmp_path / "nested" / "snapshot.json"

    write_snapshot(path, (source,))
    (loaded,) = read_snapshot(path)

    assert loaded == source
    assert loaded.version == version_of(loaded.tables, loaded.default_schema)
    orders = loaded.get_table("orders")
    assert orders is not None
    assert orders.get_column("status").enum_values == ("new", "paid")  # type: ignore[union-attr]
    assert orders.get_column("tags").item_family is TypeFamily.TEXT  # type: ignore[union-attr]
    assert loaded.get_table("big_orders", "reports") is not None
    assert [p.name for p in tmp_path.joinpath("nested").iterdir()] == ["snapshot.json"]


def test_round_trip_of_the_introspected_demo(tmp_path: Path, make_cache: MakeCache) -> None:
    cache = make_cache(demo_settings(tmp_path))
    cache.refresh()
    sources = cache.catalog.sources
    assert [s.name for s in sources] == ["shop", "analytics"]

    write_snapshot(tmp_path / "copy.json", sources)

    assert read_snapshot(tmp_path / "copy.json") == sources


def test_snapshot_is_plain_sorted_json(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "s.json", (rich_source(),))

    data = orjson.loads((tmp_path / "s.json").read_bytes())
    assert data["format"] == 1
    (source,) = data["sources"]
    assert source["name"] == "shop"
    assert not any(key.startswith("_") for key in source)
    first_column = source["tables"][1]["columns"][0]
    assert first_column["family"] == "bigint"


def test_an_absent_snapshot_is_empty(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "none.json") == ()


def valid_payload() -> dict[str, object]:
    from schema_cache.serialize import source_to_dict

    return {"format": 1, "sources": [source_to_dict(rich_source())]}


def with_bad_family() -> bytes:
    payload = valid_payload()
    payload["sources"][0]["tables"][0]["columns"][0]["family"] = "nope"  # type: ignore[index]
    return orjson.dumps(payload)


def with_unknown_column_key() -> bytes:
    payload = valid_payload()
    payload["sources"][0]["tables"][0]["columns"][0]["colour"] = "red"  # type: ignore[index]
    return orjson.dumps(payload)


CORRUPT = {
    "empty": b"",
    "truncated": orjson.dumps(valid_payload())[:200],
    "binary": b"\x00\xff\xfe garbage",
    "a list": b"[]",
    "null": b"null",
    "a number": b"42",
    "other format": b'{"format": 99, "sources": []}',
    "no sources": b'{"format": 1}',
    "sources not a list of objects": b'{"format": 1, "sources": [1]}',
    "sources a string": b'{"format": 1, "sources": "shop"}',
    "source missing keys": b'{"format": 1, "sources": [{"name": "shop"}]}',
    "table not an object": b'{"format": 1, "sources": [{"name": "s", "dialect": "sqlite", '
    b'"server_version": "3", "default_schema": "main", "version": "x", "tables": ["t"]}]}',
    "unknown family": with_bad_family(),
    "unknown column key": with_unknown_column_key(),
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_snapshot_raises_snapshot_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "snapshot.json"
    path.write_bytes(content)

    with pytest.raises(SnapshotError) as caught:
        read_snapshot(path)

    assert str(path) in caught.value.message
    assert caught.value.code == "snapshot_unreadable"


def test_a_snapshot_path_that_is_a_directory_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "snapshot.json").mkdir()

    with pytest.raises(SnapshotError):
        read_snapshot(tmp_path / "snapshot.json")


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_snapshot_is_ignored_with_a_warning(
    tmp_path: Path, make_cache: MakeCache, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    url = write_sqlite(tmp_path / "shop.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY);")
    settings = make_settings(tmp_path, SourceSettings("shop", url))
    snapshot = Path(settings.schema_cache.snapshot_path)
    snapshot.write_bytes(content)
    cache = make_cache(settings)

    with caplog.at_level(logging.WARNING, logger="schema_cache.cache"):
        assert cache.load_snapshot() == 0

    assert not cache.catalog.is_ready
    assert any("introspecting instead" in r.getMessage() for r in caplog.records)
    # The next refresh serves and replaces the corrupt file with a good snapshot.
    cache.refresh()
    assert cache.catalog.is_ready
    assert [s.name for s in read_snapshot(snapshot)] == ["shop"]
