"""The audit log: what a write, a denial and an admin action record; the hash chain holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.auth import audit
from gateway.auth.tables import audit_log
from gateway.cli import main
from tests.auth.helpers import Gateway, auth_gateway
from tests.rest.helpers import recording


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    with auth_gateway(tmp_path) as gateway:
        yield gateway


def entries(gw: Gateway, **filters: Any) -> list[dict[str, Any]]:
    response = gw.client.get("/admin/api/audit", headers=gw.admin, params=filters)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


def test_a_write_leaves_one_entry_with_its_keys_and_count(gw: Gateway) -> None:
    key = gw.new_key("shop.products:write")
    row = {"id": 950, "sku": "SKU-950", "name": "Secret name", "category": "t", "price": "9.50"}
    response = gw.client.post(
        "/rest/shop/products", headers={"X-API-Key": key, "X-Request-Id": "req-950"}, json=row
    )
    assert response.status_code == 201
    (entry,) = entries(gw, action="data.insert")
    assert entry["principal"] == "admin"
    assert entry["request_id"] == "req-950"
    assert entry["outcome"] == "ok"
    assert entry["target"] == "shop.products"
    assert entry["detail"] == {
        "key": key[:12],
        "source": "shop",
        "table": "products",
        "schema": "main",
        "operation": "insert",
        "rows": 1,
        "primary_key": ["id"],
        "keys": [[950]],
    }
    assert "Secret name" not in str(entry)
    assert "SKU-950" not in str(entry)


def test_updates_and_deletes_by_key_record_the_key(gw: Gateway) -> None:
    patched = gw.client.patch("/rest/shop/products/3", headers=gw.admin, json={"name": "x"})
    assert patched.status_code in (200, 204)
    deleted = gw.client.delete("/rest/shop/order_items/1,1", headers=gw.admin)
    assert deleted.status_code in (200, 204)
    (update,) = entries(gw, action="data.update")
    (delete,) = entries(gw, action="data.delete")
    assert update["detail"]["keys"] == [["3"]]
    assert update["detail"]["rows"] == 1
    assert delete["detail"]["primary_key"] == ["order_id", "line_no"]
    assert delete["detail"]["keys"] == [["1", "1"]]


def test_a_denial_is_audited(gw: Gateway) -> None:
    key = gw.new_key("shop.customers:read", "shop.orders:insert")
    gw.client.get("/rest/shop/customers?select=id,orders(id)", headers={"X-API-Key": key})
    (entry,) = entries(gw, action="access.denied")
    assert entry["outcome"] == "denied"
    assert entry["target"] == "shop.orders:read"
    assert entry["detail"]["table"] == "orders"


def test_refusals_of_real_keys_and_admin_actions_are_audited(gw: Gateway) -> None:
    key = gw.new_key("*:read")
    key_id = gw.key_id(key)
    gw.client.delete(f"/admin/api/keys/{key_id}", headers=gw.admin)
    response = gw.client.get("/rest/shop/products", headers={"X-API-Key": key})
    actions = [e["action"] for e in entries(gw)]
    assert actions[:2] == ["user.create", "key.create"]  # the bootstrap
    assert "key.revoke" in actions
    (refused,) = entries(gw, action="auth.refused")
    assert refused["detail"] == {"reason": "revoked", "key": key[:12]}
    assert response.status_code == 401
    assert refused["request_id"] == response.headers["x-request-id"]


def test_the_audit_api_pages_and_filters(gw: Gateway) -> None:
    for _ in range(5):
        gw.client.get("/admin/api/users", headers=gw.admin)
    first = gw.client.get(
        "/admin/api/audit", headers=gw.admin, params={"action": "user.list", "limit": 2}
    ).json()
    assert [e["action"] for e in first["entries"]] == ["user.list", "user.list"]
    second = gw.client.get(
        "/admin/api/audit",
        headers=gw.admin,
        params={"action": "user.list", "limit": 2, "after": first["next_after"]},
    ).json()
    assert second["entries"][0]["seq"] > first["entries"][-1]["seq"]
    assert entries(gw, principal="nobody") == []
    later = entries(gw, since=gw.clock.now + 1)
    assert later == []


def test_verify_detects_an_edited_a_deleted_and_a_truncated_entry(gw: Gateway) -> None:
    gw.client.patch("/rest/shop/products/4", headers=gw.admin, json={"name": "y"})
    engine = gw.service.engine
    assert audit.verify(engine).ok
    with engine.begin() as conn:
        seq = conn.execute(
            sa.select(audit_log.c.seq).where(audit_log.c.action == "data.update")
        ).scalar_one()
        conn.execute(audit_log.update().where(audit_log.c.seq == seq).values(outcome="denied"))
    report = audit.verify(engine)
    assert not report.ok
    assert report.broken_at == seq


def test_verify_detects_a_removed_entry_and_a_cut_tail(tmp_path: Path) -> None:
    for cut in ("middle", "tail"):
        with auth_gateway(tmp_path / cut) as gw:
            for _ in range(3):
                gw.client.get("/admin/api/roles", headers=gw.admin)
            engine = gw.service.engine
            with engine.begin() as conn:
                last = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar_one()
                target = 2 if cut == "middle" else last
                conn.execute(audit_log.delete().where(audit_log.c.seq == target))
            assert not audit.verify(engine).ok


def test_fedgate_audit_verify_exits_1_after_tampering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("FEDGATE_HOME", str(home))
    monkeypatch.delenv("FEDGATE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    with auth_gateway(home) as gw:
        gw.client.get("/admin/api/keys", headers=gw.admin)
        engine = gw.service.engine
    assert main(["audit", "verify"]) == 0
    assert "hash chain verified" in capsys.readouterr().err
    with engine.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(principal="mallory"))
    assert main(["audit", "verify"]) == 1
    assert "altered at entry 1" in capsys.readouterr().err


def test_a_write_the_database_refuses_is_audited_as_failed(gw: Gateway) -> None:
    row = {"id": 1, "sku": "SKU-0001", "name": "dup", "category": "t", "price": "1.00"}
    response = gw.client.post("/rest/shop/products", headers=gw.admin, json=row)
    assert response.status_code == 409
    (entry,) = entries(gw, action="data.insert")
    assert entry["outcome"] == "failed"
    assert entry["detail"]["error"] == "constraint_violation"
    assert entry["detail"]["rows"] == 0
    assert entry["detail"]["keys"] == [[1]]


def test_a_graphql_mutation_is_audited_like_a_rest_write(gw: Gateway) -> None:
    mutation = (
        'mutation { update_shop_products_by_pk(pk_columns: {id: 5}, _set: {name: "z"}) { id } }'
    )
    response = gw.client.post("/graphql", headers=gw.admin, json={"query": mutation})
    assert "errors" not in response.json(), response.json()
    (entry,) = entries(gw, action="data.update")
    assert entry["target"] == "shop.products"
    assert entry["detail"]["keys"] == [[5]]


def test_a_write_refused_for_its_values_before_sql_is_audited_as_failed(gw: Gateway) -> None:
    row = {"id": 960, "sku": "SKU-960", "name": "x", "category": "t", "price": "not a price"}
    with recording(gw.client, "shop") as sql:
        refused = gw.client.post("/rest/shop/products", headers=gw.admin, json=row)
        not_rows = gw.client.post("/rest/shop/products", headers=gw.admin, json=[1, "x"])
    assert refused.status_code in (400, 422), refused.text
    assert not_rows.status_code == 400
    assert [s for s in sql.statements if "products" in s.lower()] == []
    first, second = entries(gw, action="data.insert")
    assert first["outcome"] == second["outcome"] == "failed"
    assert first["detail"]["error"] == refused.json()["code"]
    assert (first["detail"]["rows"], first["detail"]["keys"]) == (0, [[960]])
    assert "not a price" not in str(first)
    assert second["detail"]["error"] == "bad_request"
    assert second["detail"]["keys"] is None
