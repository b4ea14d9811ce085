"""No key, password or digest in logs or responses, except the one response that mints a key."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.auth.keys import key_digest
from gateway.auth.tables import api_keys
from tests.auth.helpers import auth_gateway

KEY = re.compile(r"fgk_[0-9A-Za-z]{38}")


def test_logs_and_responses_carry_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FEDGATE_ADMIN_PASSWORD", "admin-password-not-to-leak")
    minted: list[str] = []
    seen: list[str] = []
    with auth_gateway(tmp_path) as gw:
        client = gw.client
        for path in ("/catalog", "/openapi.json", "/rest/shop/orders?select=id,customer(id)"):
            seen.append(client.get(path, headers=gw.admin).text)
        created = client.post(
            "/admin/api/keys",
            headers=gw.admin,
            json={"name": "k", "owner": "admin", "scopes": ["shop.customers:read"]},
        )
        minted.append(created.json()["key"])
        key = minted[0]
        for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
            seen.append(client.get("/rest/shop/orders", headers=headers).text)  # 403
            seen.append(client.get("/admin/api/keys", headers=headers).text)  # 403
        seen.append(client.get(f"/rest/shop/customers?api_key={key}").text)  # 400
        seen.append(client.get("/rest/shop/customers", headers={"X-API-Key": key[:-1]}).text)
        rotated = client.post(f"/admin/api/keys/{gw.key_id(key)}/rotate", headers=gw.admin)
        minted.append(rotated.json()["key"])
        seen.append(client.delete(f"/admin/api/keys/{gw.key_id(key)}", headers=gw.admin).text)
        seen.append(client.get("/rest/shop/customers", headers={"X-API-Key": key}).text)
        for path in ("/admin/api/keys", "/admin/api/audit?limit=1000", "/admin/api/users"):
            seen.append(client.get(path, headers=gw.admin).text)
        with gw.service.engine.connect() as conn:
            digests = list(conn.execute(sa.select(api_keys.c.digest)).scalars())
    secrets = [gw.admin_key, *minted, "admin-password-not-to-leak"]
    digests.extend(key_digest(s, None) for s in secrets)
    text = "\n".join(seen)
    # The test's own HTTP client logs the URLs it requests (one carries a key on purpose).
    gateway_records = [r for r in caplog.records if not r.name.startswith("httpx")]
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in gateway_records)
    assert KEY.findall(text) == []
    assert KEY.findall(logs) == []
    for secret in [*secrets, *digests]:
        assert secret not in text
        assert secret not in logs
    assert gateway_records  # the capture did see the gateway's own logging
