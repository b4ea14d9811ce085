"""Two instances starting at once on one empty PostgreSQL store: one bootstraps, none fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings
from gateway.app import create_app
from gateway.auth import apikeys, audit, bootstrap, users
from gateway.auth.bootstrap import Bootstrap, bootstrap_admin
from gateway.settings_source import demo_settings
from tests.live import postgresql_database

ROUNDS = 3  # each on a fresh empty store: the race is a matter of timing


def start_and_bootstrap(
    home: Path, url: str, barrier: threading.Barrier, stack: ExitStack
) -> tuple[TestClient, Bootstrap | None]:
    settings = demo_settings(home)
    settings = replace(settings, auth=replace(AuthSettings(), store_url=url))
    app = create_app(settings, background_refresh=False)
    barrier.wait()
    client = stack.enter_context(TestClient(app))  # the lifespan migrates the store
    barrier.wait()
    return client, bootstrap_admin(app.state.auth)


@pytest.mark.parametrize("advisory_lock", [True, False])
def test_two_instances_starting_at_once_bootstrap_exactly_one_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, advisory_lock: bool
) -> None:
    if not advisory_lock:  # as on a store without one (SQLite shared by two processes)
        monkeypatch.setattr(bootstrap, "_bootstrap_lock", lambda _engine: nullcontext())
    for round_ in range(ROUNDS):
        with postgresql_database() as url, ExitStack() as stack:
            barrier = threading.Barrier(2)
            with ThreadPoolExecutor(2) as pool:
                futures = [
                    pool.submit(
                        start_and_bootstrap, tmp_path / f"{round_}-{n}", url, barrier, stack
                    )
                    for n in range(2)
                ]
                started = [f.result(timeout=120) for f in futures]  # neither raised
            created = [b for _, b in started if b is not None]
            assert len(created) == 1, created
            (admin,) = created
            assert isinstance(admin, Bootstrap)
            # Both instances serve with the one admin key.
            headers = {"Authorization": f"Bearer {admin.key}"}
            for client, _ in started:
                listed = client.get("/admin/api/users", headers=headers)
                assert listed.status_code == 200
                assert [u["name"] for u in listed.json()["users"]] == ["admin"]
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                assert [r.name for r in users.list_roles(engine)] == ["admin"]
                assert len(apikeys.list_keys(engine)) == 1
                assert audit.verify(engine).ok
            finally:
                engine.dispose()
