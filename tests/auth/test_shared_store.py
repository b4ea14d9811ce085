"""Two gateway instances sharing one PostgreSQL metadata store."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings
from gateway.app import create_app
from gateway.auth import audit
from gateway.auth.store import current_revision, head_revision
from gateway.settings_source import demo_settings
from tests.auth.helpers import Clock, auth_gateway
from tests.live import postgresql_database


def test_a_key_revoked_through_one_instance_is_refused_by_the_other(tmp_path: Path) -> None:
    with postgresql_database() as url, ExitStack() as stack:
        one = stack.enter_context(auth_gateway(tmp_path / "one", store_url=url, cache_seconds=2))
        # The second instance shares the store: it bootstraps nothing (users exist).
        settings = demo_settings(tmp_path / "two")
        settings = replace(settings, auth=replace(AuthSettings(), store_url=url, cache_seconds=2))
        app = create_app(settings, background_refresh=False)
        clock = Clock()
        app.state.auth.clock = clock
        two = stack.enter_context(TestClient(app))
        app.state.runtime.cache.refresh()

        key = one.new_key("*:read")
        headers = {"X-API-Key": key}
        assert two.get("/rest/shop/products?limit=1", headers=headers).status_code == 200
        revoked = one.client.delete(f"/admin/api/keys/{one.key_id(key)}", headers=one.admin)
        assert revoked.status_code == 200
        assert one.client.get("/rest/shop/products", headers=headers).status_code == 401
        # Instance two trusts its cached answer for at most cache_seconds.
        clock.advance(1)
        assert two.get("/rest/shop/products?limit=1", headers=headers).status_code == 200
        clock.advance(1.01)
        refused = two.get("/rest/shop/products?limit=1", headers=headers)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]

        # Both instances append to one hash chain.
        two.get("/rest/shop/orders?limit=1", headers=headers)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            assert current_revision(engine) == head_revision()
            report = audit.verify(engine)
            assert report.ok
            assert report.entries >= 5
        finally:
            engine.dispose()
