"""The login and consent pages in a real headless browser (Debian chromium driven by Playwright).

The consent page is kept as a screenshot (`$FEDGATE_ARTIFACTS`, default
`.artifacts/`, ignored by git), and a page on another origin cannot frame it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from tests.oauth.flow import PASSWORD, authorize_url
from tests.oauth.helpers import REDIRECT, pkce
from tests.oauth.live_server import Server
from tests.oauth.test_interop import make_client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("FEDGATE_ARTIFACTS", Path(__file__).parents[2] / ".artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        # An optional extra check (the protocol is covered without a browser): machines
        # get Chromium from Debian's package only when asked (apt-get install chromium).
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_the_consent_page_in_chromium(server: Server, browser: Browser) -> None:
    creds = make_client(
        server, name="Quarterly reports", scopes=["shop.customers:read", "shop.orders:read"]
    )
    verifier, challenge = pkce()
    url = server.base + authorize_url(
        creds["client_id"], challenge, "openid profile shop.customers:read shop.orders:read"
    )
    context = browser.new_context(
        ignore_https_errors=True
    )  # the throwaway CA is not in chromium's store
    page = context.new_page()
    reached: list[str] = []
    page.route(
        REDIRECT + "*",
        lambda route: (reached.append(route.request.url), route.fulfill(body="back"))[1],
    )
    page.goto(url)
    page.fill("#username", "dee")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#granted")
    granted = page.inner_text("#granted")
    assert "Read table customers of shop" in granted
    assert "shop.orders:read" not in granted  # dee's roles do not include it
    assert "shop.orders:read" in page.inner_text("#dropped")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "oauth-consent.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    with page.expect_request(lambda r: r.url.startswith(REDIRECT), timeout=10_000) as back:
        page.click("button[value=allow]")
    reached.append(back.value.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(reached[0]).query).items()}
    assert params["state"] == "st-123"
    token = requests.post(
        server.base + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(creds["client_id"], creds["client_secret"]),
        verify=server.ca,
        timeout=30,
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "openid profile shop.customers:read"
    context.close()


def test_another_origin_cannot_frame_the_login_page(server: Server, browser: Browser) -> None:
    creds = make_client(server, name="framed")
    _, challenge = pkce()
    url = server.base + authorize_url(creds["client_id"], challenge, "shop.customers:read")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.route(
        "https://evil.example/*",
        lambda route: route.fulfill(
            body=f'<iframe src="{url}"></iframe><iframe src="{server.base}/healthz"></iframe>',
            content_type="text/html",
        ),
    )
    page.goto("https://evil.example/")
    page.wait_for_timeout(1000)
    login, control = [f for f in page.frames if f is not page.main_frame]
    assert "Sign in" not in login.content()  # refused: X-Frame-Options DENY, frame-ancestors
    assert "status" in control.content()  # the same server's unprotected JSON does load
    context.close()
