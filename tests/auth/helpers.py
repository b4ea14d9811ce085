"""A demo gateway with auth on, a controllable clock, and helpers to mint keys over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings, Settings
from gateway.app import create_app
from gateway.auth.bootstrap import bootstrap_admin
from gateway.auth.service import AuthService
from gateway.settings_source import demo_settings

START = 1_800_000_000.0  # a fixed "now" (2027-01-15); tests move it forward


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Gateway:
    client: TestClient
    service: AuthService
    clock: Clock
    admin_key: str

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def new_key(self, *scopes: str, owner: str = "admin", **body: Any) -> str:
        response = self.client.post(
            "/admin/api/keys",
            headers=self.admin,
            json={"name": "test", "owner": owner, "scopes": list(scopes), **body},
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["key"]
        return key

    def key_id(self, key: str) -> str:
        listed = self.client.get("/admin/api/keys", headers=self.admin).json()["keys"]
        (found,) = [k["id"] for k in listed if key.startswith(k["prefix"])]
        return str(found)


@contextmanager
def auth_gateway(home: Path, settings: Settings | None = None, **auth: Any) -> Iterator[Gateway]:
    """`settings` (by default the demo: shop on SQLite, analytics on DuckDB) with auth on and
    a bootstrapped admin."""
    settings = demo_settings(home) if settings is None else settings
    settings = replace(settings, auth=replace(AuthSettings(), **auth))
    app = create_app(settings, background_refresh=False)
    clock = Clock()
    service: AuthService = app.state.auth
    service.clock = clock
    with TestClient(app, client=("203.0.113.7", 50000)) as client:
        app.state.runtime.cache.refresh()
        created = bootstrap_admin(service)
        assert created is not None
        yield Gateway(client, service, clock, created.key)


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    """Every statement sent through `engine` while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
