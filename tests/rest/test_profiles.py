"""`Accept-Profile` (GET) and `Content-Profile` (writes) choose the schema, as in PostgREST.

Live on PostgreSQL, MariaDB and DuckDB over the fixture's two schemas (main and
inventory), and on the demo's single-schema SQLite source, where the `public`
that PostgREST clients send by default means the default schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.connectors.compliance import Target
from tests.rest.conformance import CONFORMANCE_TARGETS, Served, serve
from tests.rest.helpers import demo_client, recording

LIVE = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mariadb}
TARGETS = [
    pytest.param(t, id=t.id, marks=[LIVE[t.id]] if t.id in LIVE else [])
    for t in CONFORMANCE_TARGETS
    if t.id in ("postgresql", "mariadb", "duckdb")
]


@pytest.fixture(scope="module", params=TARGETS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, str, str]]:
    """The fixture gateway, its main schema and its inventory schema (real names)."""
    target: Target = request.param
    with serve(target, tmp_path_factory.mktemp(target.id)) as served:
        catalog = served.client.app.state.runtime.cache.catalog  # type: ignore[attr-defined]
        source = catalog.get_source("fx")
        inventory = served.inventory_prefix.rstrip(".")
        yield served, source.default_schema, inventory


def test_accept_profile_reads_the_named_schema(served: tuple[Served, str, str]) -> None:
    gateway, _, inventory = served
    qualified = gateway.client.get(f"/rest/fx/{inventory}.warehouses?order=id")
    profiled = gateway.client.get(
        "/rest/fx/warehouses?order=id", headers={"Accept-Profile": inventory}
    )
    assert qualified.status_code == profiled.status_code == 200
    assert (
        profiled.json()
        == qualified.json()
        == [
            {"id": 1, "name": "North"},
            {"id": 2, "name": "South"},
        ]
    )
    by_key = gateway.client.get("/rest/fx/warehouses/2", headers={"Accept-Profile": inventory})
    assert by_key.json() == {"id": 2, "name": "South"}


def test_without_a_profile_the_default_schema_is_read(served: tuple[Served, str, str]) -> None:
    gateway, main, _ = served
    assert gateway.client.get("/rest/fx/warehouses").status_code == 404
    response = gateway.client.get("/rest/fx/customers?select=id&id=eq.1")
    assert response.json() == [{"id": 1}]
    profiled = gateway.client.get(
        "/rest/fx/customers?select=id&id=eq.1", headers={"Accept-Profile": main}
    )
    assert profiled.json() == [{"id": 1}]


def test_reads_ignore_content_profile(served: tuple[Served, str, str]) -> None:
    gateway, _, inventory = served
    response = gateway.client.get("/rest/fx/warehouses", headers={"Content-Profile": inventory})
    assert response.status_code == 404


def test_an_unknown_schema_is_406_listing_the_served_ones(
    served: tuple[Served, str, str],
) -> None:
    gateway, main, inventory = served
    with recording(gateway.client, "fx") as sql:
        response = gateway.client.get("/rest/fx/warehouses", headers={"Accept-Profile": "nosuch"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert (error["parameter"], error["name"]) == ("Accept-Profile", "nosuch")
    assert error["valid"] == [main, inventory]
    assert sql.statements == []


def test_a_path_and_a_profile_must_agree(served: tuple[Served, str, str]) -> None:
    gateway, main, inventory = served
    response = gateway.client.get(
        f"/rest/fx/{inventory}.warehouses", headers={"Accept-Profile": main}
    )
    assert response.status_code == 406
    same = gateway.client.get(
        f"/rest/fx/{inventory}.warehouses?id=eq.1", headers={"Accept-Profile": inventory}
    )
    assert same.json() == [{"id": 1, "name": "North"}]


def test_content_profile_writes_the_named_schema(served: tuple[Served, str, str]) -> None:
    gateway, _, inventory = served
    write = {"Content-Profile": inventory, "Prefer": "return=representation"}
    created = gateway.client.post(
        "/rest/fx/warehouses", json={"id": 7, "name": "East"}, headers=write
    )
    assert created.status_code == 201, created.text
    assert created.json() == [{"id": 7, "name": "East"}]
    patched = gateway.client.patch(
        "/rest/fx/warehouses?id=eq.7", json={"name": "Far East"}, headers=write
    )
    assert patched.json() == [{"id": 7, "name": "Far East"}]
    deleted = gateway.client.delete("/rest/fx/warehouses/7", headers=write)
    assert deleted.json() == {"id": 7, "name": "Far East"}
    assert gateway.client.get(f"/rest/fx/{inventory}.warehouses?id=eq.7").json() == []
    refused = gateway.client.post(
        "/rest/fx/warehouses", json={"id": 8, "name": "x"}, headers={"Content-Profile": "nosuch"}
    )
    assert refused.status_code == 406


def test_the_document_names_each_tables_profile(served: tuple[Served, str, str]) -> None:
    gateway, main, inventory = served
    paths = gateway.client.get("/openapi.json").json()["paths"]

    def profile(path: str, method: str) -> dict[str, object]:
        params = paths[path][method]["parameters"]
        (found,) = [p for p in params if p.get("in") == "header" and "Profile" in p["name"]]
        return found

    read = profile(f"/rest/fx/{inventory}.warehouses", "get")
    assert (read["name"], read["schema"]) == (
        "Accept-Profile",
        {"type": "string", "enum": [inventory]},
    )
    write = profile(f"/rest/fx/{inventory}.warehouses", "post")
    assert write["name"] == "Content-Profile"
    main_enum = profile("/rest/fx/customers/{pk}", "delete")["schema"]["enum"]  # type: ignore[index]
    assert main_enum == ([main] if main == "public" else [main, "public"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_client(tmp_path_factory.mktemp("demo")) as client:
        yield client


def test_public_means_the_default_schema_where_there_is_none(demo: TestClient) -> None:
    plain = demo.get("/rest/shop/customers?select=id&limit=2")
    public = demo.get(
        "/rest/shop/customers?select=id&limit=2", headers={"Accept-Profile": "public"}
    )
    main = demo.get("/rest/shop/customers?select=id&limit=2", headers={"Accept-Profile": "main"})
    assert plain.status_code == public.status_code == main.status_code == 200
    assert plain.json() == public.json() == main.json()
    other = demo.get("/rest/shop/customers", headers={"Accept-Profile": "inventory"})
    assert other.status_code == 406
    assert other.json()["errors"][0]["valid"] == ["main"]


def test_the_postgrest_client_defaults_pass_on_every_method(
    demo: TestClient,
) -> None:
    both = {"Accept-Profile": "public", "Content-Profile": "public"}  # what postgrest-py sends
    created = demo.post(
        "/rest/shop/customers",
        json={"id": 5001, "name": "P", "email": "p@example.com", "country": "DE",
              "created_at": "2025-01-01T00:00:00"},
        headers=both,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert demo.delete("/rest/shop/customers/5001", headers=both).status_code == 204
