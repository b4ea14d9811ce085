"""OAuth signing keys are sealed at rest when a pepper is set (gateway/auth/oauth/sealing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from config.settings import OAuthSettings
from gateway.auth.oauth.sealing import UnsealError, seal, unseal
from gateway.auth.oauth.signing import KeyRing
from gateway.auth.oauth.tables import signing_keys
from tests.auth.helpers import Gateway, auth_gateway
from tests.oauth.helpers import ISSUER, active_client, bearer, client_token, oauth_gateway

PEPPER = "a-server-pepper-for-tests-only"


def stored(gw: Gateway) -> list[tuple[str, str]]:
    with gw.service.engine.connect() as conn:
        return [(r.kid, r.private_jwk) for r in conn.execute(sa.select(signing_keys))]


def token_reads(gw: Gateway) -> None:
    creds = active_client(gw)
    issued = client_token(gw, creds, scope="shop.customers:read")
    assert issued.status_code == 200, issued.text
    read = gw.client.get(
        "/rest/shop/customers?limit=1", headers=bearer(issued.json()["access_token"])
    )
    assert read.status_code == 200, read.text


def test_with_a_pepper_private_keys_are_stored_sealed(tmp_path: Path) -> None:
    with auth_gateway(tmp_path, oauth=OAuthSettings(issuer=ISSUER), pepper=PEPPER) as gw:
        token_reads(gw)  # the first keys are made, sealed, and sign
        rotated = gw.client.post("/admin/api/oauth/signing-keys/rotate", headers=gw.admin)
        assert rotated.status_code == 201
        token_reads(gw)  # the rotated keys sign too
        rows = stored(gw)
        assert len(rows) == 4  # ES256 and RS256, before and after the rotation
        for kid, text in rows:
            assert text.startswith("sealed:v1:")
            assert '"d"' not in text  # no private member in the clear
            assert kid not in text  # not a JWK at all
        jwks = gw.client.get("/oauth/jwks.json").json()["keys"]
        assert {k["kid"] for k in jwks} == {kid for kid, _ in rows}
        assert all("d" not in k for k in jwks)


def test_without_a_pepper_keys_are_stored_as_jwk(tmp_path: Path) -> None:
    with oauth_gateway(tmp_path) as gw:
        token_reads(gw)
        assert all(text.startswith("{") for _, text in stored(gw))


def test_another_pepper_cannot_open_the_keys(tmp_path: Path) -> None:
    with auth_gateway(tmp_path, oauth=OAuthSettings(issuer=ISSUER), pepper=PEPPER) as gw:
        token_reads(gw)
        for pepper, reason in ((None, "FEDGATE_PEPPER is not set"), ("changed", "does not open")):
            ring = KeyRing(lambda: gw.service.engine, gw.service.clock, pepper)
            with pytest.raises(UnsealError, match=reason):
                ring.signing_key()


def test_a_sealed_key_is_bound_to_its_kid() -> None:
    sealed = seal('{"kty": "EC"}', "kid-a", PEPPER)
    assert unseal(sealed, "kid-a", PEPPER) == '{"kty": "EC"}'
    with pytest.raises(UnsealError):
        unseal(sealed, "kid-b", PEPPER)  # a row copied onto another kid does not open
