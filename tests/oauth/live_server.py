"""A real fedgate on loopback TLS (uvicorn, a throwaway CA from trustme) for client tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
import uvicorn

from config.settings import AuthSettings, OAuthSettings
from gateway.app import create_app
from gateway.auth.bootstrap import bootstrap_admin
from gateway.settings_source import demo_settings
from tests.fixtures.processes import free_port
from tests.oauth.flow import PASSWORD


@dataclass
class Server:
    base: str
    ca: str
    admin: dict[str, str]

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            self.base + path, json=body, headers=self.admin, verify=self.ca, timeout=30
        )
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()
        return data


def serve(home: Path) -> Iterator[Server]:
    """Start the demo with OAuth on (password grant allowed) and a user `dee`; stop it after."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    key_path, ca_path = home / "server.pem", home / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(ca_path))
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    settings = demo_settings(home)
    oauth = OAuthSettings(issuer=base, password_grant=True)
    settings = replace(settings, auth=replace(AuthSettings(), oauth=oauth))
    app = create_app(settings, background_refresh=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ssl_certfile=str(key_path), log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    app.state.runtime.cache.refresh()
    created = bootstrap_admin(app.state.auth)
    assert created is not None
    srv = Server(base, str(ca_path), {"Authorization": f"Bearer {created.key}"})
    patch = pytest.MonkeyPatch()
    patch.setenv("REQUESTS_CA_BUNDLE", str(ca_path))  # Authlib's session passes verify=True
    srv.post("/admin/api/roles", {"name": "reader", "scopes": ["shop.customers:read"]})
    srv.post("/admin/api/users", {"name": "dee", "password": PASSWORD, "roles": ["reader"]})
    yield srv
    patch.undo()
    uv.should_exit = True
    thread.join(timeout=10)
