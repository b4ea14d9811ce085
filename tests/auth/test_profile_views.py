"""Accept-Profile / Content-Profile answers name only the schemas the caller can see: a schema
whose every table is hidden from the caller is not listed (nor selectable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from config.settings import (
    AuthSettings,
    GuestSettings,
    SchemaCacheSettings,
    Settings,
    SourceSettings,
)
from gateway.app import create_app
from tests.connectors.compliance import TARGETS, fixture_database

DUCKDB = next(t for t in TARGETS if t.id == "duckdb")  # two schemas, no server needed


@pytest.fixture
def guest(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str, str]]:
    """A gateway whose anonymous callers get `request.param` scopes; (client, main, inventory)."""
    with fixture_database(DUCKDB, tmp_path) as (url, main, inventory):
        settings = Settings(
            sources=(SourceSettings(name="fx", url=url, schemas=(main, inventory)),),
            schema_cache=SchemaCacheSettings(
                snapshot_path=str(tmp_path / "snap.json"), ttl_seconds=0
            ),
            auth=AuthSettings(guest=GuestSettings(enabled=True, scopes=request.param)),
        )
        app = create_app(settings, background_refresh=False)
        with TestClient(app) as client:
            assert not app.state.runtime.cache.refresh().failed
            yield client, main, inventory


@pytest.mark.parametrize("guest", [("fx.customers:read",)], indirect=True)
def test_a_schema_with_every_table_hidden_is_not_listed(guest: tuple[TestClient, str, str]) -> None:
    client, main, inventory = guest
    answered = client.get("/rest/fx/customers", headers={"Accept-Profile": "nope"})
    assert answered.status_code == 406
    assert answered.json()["errors"][0]["valid"] == [main]
    assert inventory not in answered.text
    hidden = client.get("/rest/fx/warehouses", headers={"Accept-Profile": inventory})
    assert hidden.status_code == 406  # as unknown as a schema that does not exist
    assert client.get("/rest/fx/customers", headers={"Accept-Profile": main}).status_code == 200


@pytest.mark.parametrize("guest", [("fx:read",)], indirect=True)
def test_a_caller_who_reads_both_schemas_sees_both(guest: tuple[TestClient, str, str]) -> None:
    client, main, inventory = guest
    answered = client.get("/rest/fx/customers", headers={"Accept-Profile": "nope"})
    assert answered.status_code == 406
    assert answered.json()["errors"][0]["valid"] == [main, inventory]
    shown = client.get("/rest/fx/warehouses", headers={"Accept-Profile": inventory})
    assert shown.status_code == 200


@pytest.mark.parametrize("guest", [("fx.customers:read",)], indirect=True)
def test_the_callers_openapi_names_no_hidden_schema(guest: tuple[TestClient, str, str]) -> None:
    client, _main, inventory = guest
    client.get("/rest/fx/customers", headers={"Accept-Profile": "nope"})  # schemas looked up
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert "/rest/fx/customers" in document.json()["paths"]
    assert inventory not in document.text
