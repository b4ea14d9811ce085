"""A real PostgREST client (the `postgrest` package, supabase's postgrest-py) drives fedgate.

A uvicorn server (with the HTTP protocol `fedgate serve` uses) on a free loopback
port serves the fixture database of PostgreSQL and of MariaDB as source `fx`;
`SyncPostgrestClient` points at `/rest/fx` and runs select (with embedded
resources), filters, order, range/limit, counts, single, insert, upsert, update and delete. What the
client sends (`columns=` on bulk inserts, `Accept-Profile`/`Content-Profile`,
comma-joined `Prefer`, `X-Client-Info`) is the spec here.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from postgrest import APIError, SyncPostgrestClient
from starlette.applications import Starlette

from gateway.http_protocol import PROTOCOL
from tests.connectors.compliance import Target
from tests.rest.conformance import CONFORMANCE_TARGETS, fixture_app, refresh

LIVE = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mariadb}
STARTUP_SECONDS = 10.0


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """`app` under uvicorn in a background thread on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", loop="asyncio", http=PROTOCOL)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(t, id=t.id, marks=LIVE[t.id]) for t in CONFORMANCE_TARGETS if t.id in LIVE
    ],
)
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    target: Target = request.param
    with (
        fixture_app(target, tmp_path_factory.mktemp(target.id)) as (app, _, _),
        running(app) as url,
    ):
        refresh(app, target)
        yield f"{url}/rest/fx"


@pytest.fixture
def client(base_url: str) -> Iterator[SyncPostgrestClient]:
    with SyncPostgrestClient(base_url=base_url) as postgrest:
        yield postgrest


def ids(rows: list[Any], column: str = "id") -> list[Any]:
    return [row[column] for row in rows]


def test_select_with_embedded_resources(client: SyncPostgrestClient) -> None:
    response = (
        client.from_("orders")
        .select("id", "total", "customer(name)", "order_items(line_no,products(name))")
        .lt("id", 3)
        .order("id")
        .execute()
    )
    assert response.data == [
        {
            "id": 1,
            "total": "20.00",
            "customer": {"name": "Ada Lovelace"},
            "order_items": [
                {"line_no": 1, "products": {"name": "Widget"}},
                {"line_no": 2, "products": {"name": "Gadget"}},
            ],
        },
        {
            "id": 2,
            "total": "99.99",
            "customer": {"name": "Ada Lovelace"},
            "order_items": [{"line_no": 1, "products": {"name": "Gizmo"}}],
        },
    ]
    one_to_many = (
        client.from_("customers")
        .select("name,orders(id)")
        .order("id", desc=True, foreign_table="orders")
        .limit(1, foreign_table="orders")
        .eq("id", 1)
        .execute()
    )
    assert one_to_many.data == [{"name": "Ada Lovelace", "orders": [{"id": 5}]}]


def test_filters(client: SyncPostgrestClient) -> None:
    orders = client.from_("orders")
    assert ids(orders.select("id").eq("status", "paid").execute().data) == [1, 3]
    assert ids(orders.select("id").neq("status", "paid").execute().data) == [2, 4, 5]
    assert ids(orders.select("id").gt("total", 25).execute().data) == [2, 4]
    assert ids(orders.select("id").gte("total", "25.00").lte("total", 50).execute().data) == [3, 4]
    assert ids(orders.select("id").in_("id", [1, 4, 5]).execute().data) == [1, 4, 5]
    assert ids(orders.select("id").is_("total", None).execute().data) == [5]
    assert ids(orders.select("id").not_.is_("total", None).execute().data) == [1, 2, 3, 4]
    assert ids(orders.select("id").not_.in_("status", ["paid", "new"]).execute().data) == [2, 4]
    assert ids(orders.select("id").or_("status.eq.cancelled,total.gt.90").execute().data) == [2, 4]
    customers = client.from_("customers")
    assert ids(customers.select("id").like("name", "*Hopper").execute().data) == [2]
    assert customers.select("id").like("name", "*hopper").execute().data == []
    assert ids(customers.select("id").ilike("name", "*hopper").execute().data) == [2]
    products = client.from_("products").select("sku")
    found = products.in_("name", ["Free sample", "Gizmo (big)", "Widget"]).execute()
    assert ids(found.data, "sku") == ["SKU-001", "SKU-004"]


def test_order_range_limit_and_count(client: SyncPostgrestClient) -> None:
    page = (
        client.from_("orders")
        .select("id,total", count="exact")  # type: ignore[arg-type]
        .order("total", desc=True, nullsfirst=False)
        .range(1, 2)
        .execute()
    )
    assert page.data == [{"id": 4, "total": "50.00"}, {"id": 3, "total": "25.00"}]
    assert page.count == 5
    nulls_first = client.from_("orders").select("id").order("total", nullsfirst=True).limit(2)
    assert ids(nulls_first.execute().data) == [5, 1]
    several = client.from_("employees").select("id").order("manager_id", nullsfirst=True)
    assert ids(several.order("name", desc=True).execute().data) == [1, 4, 2, 3]
    assert ids(client.from_("orders").select("id").order("id").offset(3).execute().data) == [4, 5]


def test_single_and_maybe_single(client: SyncPostgrestClient) -> None:
    single = client.from_("orders").select("id,status,customer(name)").eq("id", 2).single()
    assert single.execute().data == {
        "id": 2,
        "status": "shipped",
        "customer": {"name": "Ada Lovelace"},
    }
    assert client.from_("orders").select("id").eq("id", 99).maybe_single().execute() is None
    with pytest.raises(APIError) as caught:
        client.from_("orders").select("id").lt("id", 3).single().execute()
    assert caught.value.code == "not_acceptable"


def test_errors_come_back_as_api_errors(client: SyncPostgrestClient) -> None:
    with pytest.raises(APIError) as caught:
        client.from_("orders").select("id,nope").execute()
    assert caught.value.code == "unknown_column"
    with pytest.raises(APIError) as caught:
        client.from_("orders").select("id").eq("id", "abc").execute()
    assert caught.value.code == "invalid_value"
    with pytest.raises(APIError) as caught:
        client.from_("customers").insert(
            {"id": 20, "email": "ada@example.com", "name": "Ada"}
        ).execute()
    assert caught.value.code == "constraint_violation"
    assert client.from_("customers").select("id").eq("id", 20).execute().data == []


def test_insert_upsert_update_delete(client: SyncPostgrestClient) -> None:
    products = client.from_("products")
    try:
        one = products.insert({"sku": "SKU-800", "name": "Bolt", "price": "0.10"}).execute()
        assert one.data == [{"sku": "SKU-800", "name": "Bolt", "price": "0.10"}]

        rows: list[dict[str, Any]] = [
            {"sku": "SKU-801", "name": "Nut", "price": 0.05},
            {"sku": "SKU-802", "name": "Washer", "price": "0.01"},
        ]
        many = products.insert(rows).execute()  # a list: the client adds columns=...
        assert ids(many.data, "sku") == ["SKU-801", "SKU-802"]

        minimal = products.insert(
            {"sku": "SKU-803", "name": "Pin", "price": "0.02"},
            returning="minimal",  # type: ignore[arg-type]
        ).execute()
        assert minimal.data == []

        merged = products.upsert(
            [
                {"sku": "SKU-800", "name": "Bolt M4", "price": "0.15"},
                {"sku": "SKU-804", "name": "Spring", "price": "0.30"},
            ],
            on_conflict="sku",
        ).execute()
        assert merged.data == [
            {"sku": "SKU-800", "name": "Bolt M4", "price": "0.15"},
            {"sku": "SKU-804", "name": "Spring", "price": "0.30"},
        ]

        ignored = products.upsert(
            {"sku": "SKU-801", "name": "Ignored", "price": "9.99"},
            on_conflict="sku",
            ignore_duplicates=True,
        ).execute()
        assert ignored.data == []

        updated = products.update({"price": "1.00"}).in_("sku", ["SKU-801", "SKU-802"]).execute()
        assert updated.data == [
            {"sku": "SKU-801", "name": "Nut", "price": "1.00"},
            {"sku": "SKU-802", "name": "Washer", "price": "1.00"},
        ]

        deleted = products.delete().like("sku", "SKU-80*").execute()
        assert deleted.data == [
            {"sku": "SKU-800", "name": "Bolt M4", "price": "0.15"},
            {"sku": "SKU-801", "name": "Nut", "price": "1.00"},
            {"sku": "SKU-802", "name": "Washer", "price": "1.00"},
            {"sku": "SKU-803", "name": "Pin", "price": "0.02"},
            {"sku": "SKU-804", "name": "Spring", "price": "0.30"},
        ]
    finally:
        products.delete().like("sku", "SKU-80*").execute()
    assert products.select("sku", count="exact").execute().count == 4  # type: ignore[arg-type]


def test_csv(client: SyncPostgrestClient) -> None:
    text = client.from_("orders").select("id,status").lt("id", 3).csv().execute()
    assert text.data == "id,status\n1,paid\n2,shipped\n"
