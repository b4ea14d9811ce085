"""Gateways for /sql tests: the demo in-process, with federation settings and an Access."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from config.errors import FedgateError
from config.settings import FederationSettings, Settings
from gateway.app import create_app
from gateway.query.access import Access, TableUse, access_scope
from gateway.settings_source import demo_settings
from tests.fixtures.gateways import postgresql_and_mariadb


class DeniedError(FedgateError):
    code = "forbidden"


@dataclass
class RecordingAccess:
    """Holds `scopes` and `read` on `readable` tables ("source.table"); records each check."""

    scopes: frozenset[str] = frozenset({"sql"})
    readable: frozenset[str] | None = None  # None: every table
    required: list[TableUse] = field(default_factory=list)

    def require(self, uses: Any) -> None:
        uses = list(uses)
        self.required.extend(uses)
        for use in uses:
            if not self.may(use):
                raise DeniedError(
                    f"the '{use.source}.{use.table}:read' scope is required",
                    errors=[{"scope": f"{use.source}.{use.table}:read"}],
                )

    def may(self, use: TableUse) -> bool:
        return self.readable is None or f"{use.source}.{use.table}" in self.readable

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise DeniedError(
                f"the '{scope}' scope is required",
                errors=[{"scope": scope, "detail": "missing scope"}],
            )


def with_access(app: ASGIApp, access: Access) -> ASGIApp:
    """The app with `access` installed for every request (what the auth middleware does)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        with access_scope(access):
            await app(scope, receive, send)

    return wrapped


def demo_with(home: Path, **federation: Any) -> Settings:
    """The demo with these federation settings, auth off: these tests install their own
    Access (`with_access`), as the auth middleware does; auth itself is tested in tests/auth."""
    settings = demo_settings(home)
    settings = replace(settings, federation=replace(FederationSettings(), **federation))
    return without_auth(settings)


def without_auth(settings: Settings) -> Settings:
    auth = getattr(settings, "auth", None)
    if auth is not None and hasattr(auth, "enabled"):
        settings = replace(settings, auth=replace(auth, enabled=False))
    return settings


@contextmanager
def sql_client(settings: Settings, access: Access | None = None) -> Iterator[TestClient]:
    app = create_app(settings, background_refresh=False)
    asgi = with_access(app, access) if access is not None else app
    with TestClient(asgi) as client:
        app.state.runtime.cache.refresh()
        client.app_state = app.state  # type: ignore[attr-defined]
        yield client


def post_sql(client: TestClient, sql: str, headers: dict[str, str] | None = None) -> Any:
    """The response to `POST /sql` of `sql` (status 200 asserted)."""
    response = client.post("/sql", json={"sql": sql}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


ARROW = {"Accept": "application/vnd.apache.arrow.stream"}
CSV = {"Accept": "text/csv"}


@contextmanager
def pg_and_maria_sql_client(
    home: Path, pg_statements: tuple[str, ...], maria_statements: tuple[str, ...]
) -> Iterator[TestClient]:
    """`/sql` (auth off) over throwaway PostgreSQL (`pg`) and MariaDB (`maria`) databases."""
    with (
        postgresql_and_mariadb(home, pg_statements, maria_statements) as settings,
        sql_client(without_auth(settings)) as client,
    ):
        yield client
        client.app_state.sql_service.close()  # type: ignore[attr-defined]
