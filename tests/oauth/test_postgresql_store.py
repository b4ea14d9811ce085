"""Two gateway instances sharing one PostgreSQL metadata store: keys, tokens, codes and
revocations travel through the store (migration 0002_oauth on PostgreSQL)."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from config.settings import AuthSettings, OAuthSettings
from gateway.app import create_app
from gateway.settings_source import demo_settings
from tests.auth.helpers import Clock, auth_gateway
from tests.live import postgresql_database
from tests.oauth.flow import code_flow, make_user
from tests.oauth.helpers import ISSUER, REDIRECT, active_client, basic, bearer, client_token

pytestmark = pytest.mark.postgresql
READ = "/rest/shop/customers?limit=1"


def test_two_instances_share_clients_keys_codes_and_revocations(tmp_path: Path) -> None:
    with postgresql_database() as url, ExitStack() as stack:
        one = stack.enter_context(
            auth_gateway(tmp_path / "one", store_url=url, oauth=OAuthSettings(issuer=ISSUER))
        )
        settings = demo_settings(tmp_path / "two")
        auth = replace(AuthSettings(), store_url=url, oauth=OAuthSettings(issuer=ISSUER))
        app = create_app(replace(settings, auth=auth), background_refresh=False)
        clock = Clock()
        app.state.auth.clock = clock
        two = stack.enter_context(TestClient(app))
        app.state.runtime.cache.refresh()

        make_user(one, "eve", "shop.customers:read")
        creds = active_client(one, refresh_enabled=True)
        token = creds["access_token"]
        assert two.get(READ, headers=bearer(token)).status_code == 200  # keys come from the store

        # a code issued by one is redeemed at two, once
        params, verifier = code_flow(one, creds, "eve", "shop.customers:read")
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        auth_header = basic(creds["client_id"], creds["client_secret"])
        results: list[int] = []

        def redeem(client: Any) -> None:
            results.append(client.post("/oauth/token", data=form, headers=auth_header).status_code)

        threads = [
            threading.Thread(target=redeem, args=(c,)) for c in (one.client, two, one.client, two)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 400, 400, 400]

        # a signing key rotated through one: two verifies the new key's tokens at once
        assert (
            one.client.post("/admin/api/oauth/signing-keys/rotate", headers=one.admin).status_code
            == 201
        )
        fresh = client_token(one, creds).json()["access_token"]
        assert two.get(READ, headers=bearer(fresh)).status_code == 200

        # revoked through one: two refuses it within cache_seconds
        revoked = one.client.post("/oauth/revoke", data={"token": fresh}, headers=auth_header)
        assert revoked.status_code == 200
        clock.advance(3)
        one.clock.advance(3)
        assert two.get(READ, headers=bearer(fresh)).status_code == 401
        assert two.get(READ, headers=bearer(token)).status_code == 200
