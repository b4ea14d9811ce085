"""A key served from the per-process cache answers exactly as one checked in full.

The middleware keeps, per verified key, its checked Access until the first moment
the full check could answer otherwise; these tests move the clock inside that
window and across its edges.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.auth.keys import generate_key
from gateway.auth.tables import api_keys
from tests.auth.helpers import Gateway, auth_gateway, counting

DAY = 86_400
PATH = "/rest/shop/products"


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with auth_gateway(tmp_path) as gateway:  # cache_seconds: 2 (the default)
        yield gateway


def test_a_key_expiring_while_cached_is_refused_at_its_expiry(gw: Gateway) -> None:
    created = gw.client.post(
        "/admin/api/keys",
        headers=gw.admin,
        json={"name": "x", "owner": "admin", "scopes": ["*:read"], "expires_in_days": 2},
    ).json()
    headers = {"X-API-Key": created["key"]}
    gw.clock.now = created["expires_at"] - 0.5
    assert gw.client.get(PATH, headers=headers).status_code == 200  # checked and cached
    assert gw.client.get(PATH, headers=headers).status_code == 200  # from the cache
    gw.clock.advance(1.0)  # the cache entry is 1 s old (fresh), the key expired 0.5 s ago
    refused = gw.client.get(PATH, headers=headers)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]


def test_a_revocation_by_another_process_stops_the_key_within_cache_seconds(
    gw: Gateway,
) -> None:
    key = gw.new_key("*:read")
    headers = {"X-API-Key": key}
    assert gw.client.get(PATH, headers=headers).status_code == 200
    with gw.service.engine.begin() as conn:  # as another gateway on the same store would
        conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.id == gw.key_id(key))
            .values(revoked_at=gw.clock.now)
        )
    gw.clock.advance(1.0)
    assert gw.client.get(PATH, headers=headers).status_code == 200  # cached, as documented
    gw.clock.advance(1.01)  # past cache_seconds: the store is read again
    refused = gw.client.get(PATH, headers=headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_a_mistyped_key_is_never_looked_up_nor_remembered(gw: Gateway) -> None:
    good = generate_key()
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    with counting(gw.service.engine) as statements:
        assert gw.service.fetch_grant(bad) is None
        assert gw.service.cached_access(bad) is None
        assert gw.client.get(PATH, headers={"X-API-Key": bad}).status_code == 401
    assert statements == []
    assert gw.service.cached_grant(bad) == (False, None)


def test_request_ids_are_unique_and_a_sane_offered_one_is_kept(gw: Gateway) -> None:
    ids = {gw.client.get(PATH, headers=gw.admin).headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    kept = gw.client.get(PATH, headers={**gw.admin, "X-Request-Id": "trace-42"})
    assert kept.headers["x-request-id"] == "trace-42"
    replaced = gw.client.get(PATH, headers={**gw.admin, "X-Request-Id": "no spaces allowed"})
    assert len(replaced.headers["x-request-id"]) == 32
    refused = gw.client.get(PATH)  # a 401 carries one too
    assert refused.status_code == 401
    assert len(refused.headers["x-request-id"]) == 32


def test_a_cached_key_is_kept_in_memory_only_while_its_entry_lives(gw: Gateway) -> None:
    """The ready map is keyed by the header itself (no digest per request): an entry past
    its time is dropped when the key comes again, and swept when another key is checked."""
    first, second = gw.new_key("*:read"), gw.new_key("*:read")

    def kept(key: str) -> bool:
        return any(key.encode() in header for header in gw.service._ready)

    assert gw.client.get(PATH, headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert kept(first)
    gw.clock.advance(2.5)  # past cache_seconds (2)
    assert gw.service.cached_access(first) is None  # presented again: dropped, not served
    assert not kept(first)
    assert gw.client.get(PATH, headers={"X-API-Key": first}).status_code == 200
    assert kept(first)  # checked in full again (any spelling): kept as `Bearer <key>`
    gw.clock.advance(2.5)
    assert gw.client.get(PATH, headers={"X-API-Key": second}).status_code == 200
    assert kept(second)
    assert not kept(first)  # never presented again: swept
