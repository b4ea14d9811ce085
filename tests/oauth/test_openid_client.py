"""openid-client (npm, OpenID-certified relying-party code) against fedgate over loopback TLS.

It runs discovery (issuer must match), the code flow with PKCE S256, state and
nonce, checks the authorization response's `iss` (RFC 9207), validates the ID
token (RS256 against the JWKS, iss, aud, nonce, exp) and calls UserInfo. The
browser leg in between is `browse_to_code`. Node modules come from
`tests/oauth/node/package-lock.json` (`npm ci`, run by the fixture when missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.oauth.helpers import REDIRECT
from tests.oauth.live_server import Server
from tests.oauth.test_interop import browse_to_code, make_client, read

NODE_DIR = Path(__file__).with_name("node")


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    npm = shutil.which("npm")
    if found is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the openid-client interop test")
        pytest.skip("node/npm not installed")
    if not (NODE_DIR / "node_modules" / "openid-client").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=NODE_DIR,
            check=True,
            timeout=300,
        )
    return found


def rp(node: str, server: Server, command: str, payload: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": server.ca}
    done = subprocess.run(
        [node, str(NODE_DIR / "rp.mjs"), command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_openid_client_runs_discovery_and_the_code_flow(server: Server, node: str) -> None:
    creds = make_client(server, name="certified rp")
    base = {
        "issuer": server.base,
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    started = rp(
        node,
        server,
        "start",
        {**base, "redirect_uri": REDIRECT, "scope": "openid profile shop.customers:read"},
    )
    callback = browse_to_code(server, started["url"])
    finished = rp(
        node,
        server,
        "finish",
        {**base, "callback": callback, **{k: started[k] for k in ("verifier", "state", "nonce")}},
    )
    claims = finished["claims"]
    assert claims["iss"] == server.base
    assert claims["aud"] == creds["client_id"]
    assert claims["nonce"] == started["nonce"]
    assert claims["preferred_username"] == "dee"
    assert finished["userinfo"]["sub"] == claims["sub"]
    assert finished["scope"] == "openid profile shop.customers:read"
    assert read(server, finished["access_token"]) == 200


def test_openid_client_refuses_a_tampered_callback(server: Server, node: str) -> None:
    creds = make_client(server, name="certified rp 2")
    base = {
        "issuer": server.base,
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    started = rp(node, server, "start", {**base, "redirect_uri": REDIRECT, "scope": "openid"})
    callback = browse_to_code(server, started["url"]).replace(
        "iss=https", "iss=https%3A%2F%2Fevil.example%3Fx%3Dhttps"
    )
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": server.ca}
    done = subprocess.run(
        [node, str(NODE_DIR / "rp.mjs"), "finish"],
        input=json.dumps(
            {
                **base,
                "callback": callback,
                **{k: started[k] for k in ("verifier", "state", "nonce")},
            }
        ),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "iss" in done.stderr
