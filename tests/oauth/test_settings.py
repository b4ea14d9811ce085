"""`auth.oauth` settings: the issuer's validation, the server switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.validate import build_settings
from tests.oauth.helpers import active_client, oauth_gateway

SOURCE = {"sources": [{"name": "shop", "url": "sqlite:///shop.db"}]}


@pytest.mark.parametrize(
    "issuer",
    [
        "https://gw.example.com/",
        "https://gw.example.com?x=1",
        "https://gw.example.com#f",
        "https://user@gw.example.com",
        "ftp://gw.example.com",
        "gw.example.com",
    ],
)
def test_an_issuer_clients_could_not_match_is_refused(issuer: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_settings({**SOURCE, "auth": {"oauth": {"issuer": issuer}}})
    assert refused.value.path == "auth.oauth.issuer"


def test_oauth_settings_are_read_and_bounded() -> None:
    settings = build_settings(
        {**SOURCE, "auth": {"oauth": {"issuer": "https://gw.example.com/api", "code_seconds": 30}}}
    )
    assert settings.auth.oauth.issuer == "https://gw.example.com/api"
    assert settings.auth.oauth.code_seconds == 30
    assert settings.auth.oauth.password_grant is False
    with pytest.raises(ConfigError) as refused:
        build_settings({**SOURCE, "auth": {"oauth": {"code_seconds": 601}}})
    assert refused.value.path == "auth.oauth.code_seconds"


def test_with_oauth_off_there_are_no_endpoints_and_no_tokens(tmp_path: Path) -> None:
    with oauth_gateway(tmp_path / "on") as on:
        token = active_client(on)["access_token"]
    with oauth_gateway(tmp_path / "off", enabled=False) as off:
        assert off.client.get("/.well-known/openid-configuration").status_code == 404
        assert (
            off.client.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code
            == 404
        )
        refused = off.client.get(
            "/rest/shop/customers", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
        assert off.client.get("/rest/shop/customers?limit=1", headers=off.admin).status_code == 200
