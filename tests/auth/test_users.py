"""Users deactivated, reactivated and deleted, roles revoked: over the admin API and the CLI,
in the instance that made the change and in another sharing a PostgreSQL store; all audited."""

from __future__ import annotations

import io
import re
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings
from gateway.app import create_app
from gateway.auth import audit
from gateway.auth.oauth.tables import login_sessions
from gateway.auth.tables import api_keys, user_roles, users
from gateway.cli import main
from gateway.settings_source import demo_settings
from tests.auth.helpers import Clock, Gateway, auth_gateway
from tests.live import postgresql_database

PRODUCTS = "/rest/shop/products?limit=1"


def audited(gw: Gateway, action: str) -> list[dict[str, Any]]:
    response = gw.client.get("/admin/api/audit", headers=gw.admin, params={"action": action})
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


def add_user(gw: Gateway, name: str, *roles: str) -> None:
    for role in roles:
        gw.client.post(
            "/admin/api/roles", headers=gw.admin, json={"name": role, "scopes": ["shop:read"]}
        )
    created = gw.client.post(
        "/admin/api/users", headers=gw.admin, json={"name": name, "roles": list(roles)}
    )
    assert created.status_code == 201, created.text


def test_deactivate_refuses_the_users_keys_at_once_and_activate_restores_them(
    tmp_path: Path,
) -> None:
    with auth_gateway(tmp_path) as gw:
        add_user(gw, "dave", "reader")
        headers = {"X-API-Key": gw.new_key("*:read", owner="dave")}
        assert gw.client.get(PRODUCTS, headers=headers).status_code == 200  # now cached
        off = gw.client.patch("/admin/api/users/dave", headers=gw.admin, json={"active": False})
        assert off.status_code == 200
        assert off.json()["active"] is False
        refused = gw.client.get(PRODUCTS, headers=headers)
        assert refused.status_code == 401
        assert "owner inactive" in refused.json()["detail"]
        on = gw.client.patch("/admin/api/users/dave", headers=gw.admin, json={"active": True})
        assert on.json()["active"] is True
        assert gw.client.get(PRODUCTS, headers=headers).status_code == 200
        (deactivated,) = audited(gw, "user.deactivate")
        (activated,) = audited(gw, "user.activate")
        assert (deactivated["target"], deactivated["principal"]) == ("dave", "admin")
        assert (activated["target"], activated["outcome"]) == ("dave", "ok")


def test_delete_removes_the_user_and_their_keys_and_refuses_them_at_once(
    tmp_path: Path,
) -> None:
    with auth_gateway(tmp_path) as gw:
        add_user(gw, "erin", "reader")
        key = gw.new_key("*:read", owner="erin")
        gw.new_key("shop:read", owner="erin")
        assert gw.client.get(PRODUCTS, headers={"X-API-Key": key}).status_code == 200
        deleted = gw.client.delete("/admin/api/users/erin", headers=gw.admin)
        assert deleted.status_code == 204
        assert gw.client.get(PRODUCTS, headers={"X-API-Key": key}).status_code == 401
        names = [
            u["name"] for u in gw.client.get("/admin/api/users", headers=gw.admin).json()["users"]
        ]
        assert names == ["admin"]
        keys = gw.client.get("/admin/api/keys", headers=gw.admin).json()["keys"]
        assert [k["owner"] for k in keys] == ["admin"]
        (entry,) = audited(gw, "user.delete")
        assert entry["target"] == "erin"
        assert entry["detail"]["keys_deleted"] == 2
        missing = gw.client.delete("/admin/api/users/erin", headers=gw.admin)
        assert missing.status_code == 404
        (failed,) = [e for e in audited(gw, "user.delete") if e["outcome"] == "failed"]
        assert failed["detail"]["error"] == "AdminNotFoundError"


def test_the_admin_api_will_not_lock_out_the_calling_user(tmp_path: Path) -> None:
    with auth_gateway(tmp_path) as gw:
        for response in (
            gw.client.patch("/admin/api/users/admin", headers=gw.admin, json={"active": False}),
            gw.client.delete("/admin/api/users/admin", headers=gw.admin),
        ):
            assert response.status_code == 400
            assert response.json()["errors"][0]["parameter"] == "name"
        assert gw.client.get("/admin/api/users", headers=gw.admin).status_code == 200
        bad = gw.client.patch("/admin/api/users/admin", headers=gw.admin, json={"active": "no"})
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["parameter"] == "active"


def test_revoking_a_role_narrows_the_users_keys_at_once(tmp_path: Path) -> None:
    with auth_gateway(tmp_path) as gw:
        add_user(gw, "fred", "reader")
        headers = {"X-API-Key": gw.new_key("*:read", owner="fred")}
        assert gw.client.get(PRODUCTS, headers=headers).status_code == 200
        revoked = gw.client.delete("/admin/api/users/fred/roles/reader", headers=gw.admin)
        assert revoked.status_code == 200
        assert revoked.json()["roles"] == []
        # No role left: no table the key may use, so the table is unknown to it.
        assert gw.client.get(PRODUCTS, headers=headers).status_code == 404
        again = gw.client.delete("/admin/api/users/fred/roles/reader", headers=gw.admin)
        assert again.status_code == 404
        (entry,) = [e for e in audited(gw, "role.revoke") if e["outcome"] == "ok"]
        assert (entry["target"], entry["detail"]["role"]) == ("fred", "reader")


def test_changes_through_one_instance_reach_another_within_cache_seconds(
    tmp_path: Path,
) -> None:
    with postgresql_database() as url, ExitStack() as stack:
        one = stack.enter_context(auth_gateway(tmp_path / "one", store_url=url, cache_seconds=2))
        settings = demo_settings(tmp_path / "two")
        settings = replace(settings, auth=replace(AuthSettings(), store_url=url, cache_seconds=2))
        app = create_app(settings, background_refresh=False)
        clock = Clock()
        app.state.auth.clock = clock
        two = stack.enter_context(TestClient(app))
        app.state.runtime.cache.refresh()

        add_user(one, "gina", "reader")
        headers = {"X-API-Key": one.new_key("*:read", owner="gina")}
        assert two.get(PRODUCTS, headers=headers).status_code == 200
        one.client.patch("/admin/api/users/gina", headers=one.admin, json={"active": False})
        clock.advance(1)
        assert two.get(PRODUCTS, headers=headers).status_code == 200  # its cache, for now
        clock.advance(1.01)
        assert two.get(PRODUCTS, headers=headers).status_code == 401

        one.client.patch("/admin/api/users/gina", headers=one.admin, json={"active": True})
        clock.advance(2.01)
        assert two.get(PRODUCTS, headers=headers).status_code == 200
        # A login session (OAuth) references the user: delete removes it with the user.
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                gina = conn.execute(sa.select(users.c.id).where(users.c.name == "gina")).scalar()
                conn.execute(
                    login_sessions.insert().values(
                        digest="d" * 64, user_id=gina, auth_time=0.0, expires_at=1e10
                    )
                )
            assert one.client.delete("/admin/api/users/gina", headers=one.admin).status_code == 204
            clock.advance(2.01)
            assert two.get(PRODUCTS, headers=headers).status_code == 401
            with engine.connect() as conn:
                for table in (login_sessions, api_keys, user_roles):
                    column = table.c.owner_id if table is api_keys else table.c.user_id
                    left = conn.execute(sa.select(sa.func.count()).where(column == gina))
                    assert left.scalar() == 0
            assert audit.verify(engine).ok
        finally:
            engine.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FEDGATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FEDGATE_CONFIG", raising=False)
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["users", "deactivate"], "refuse the user's keys"),
        (["users", "activate"], "accept the user's keys again"),
        (["users", "delete"], "not reversible"),
        (["roles", "revoke"], "take a role from a user"),
    ],
)
def test_each_new_command_has_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith(f"usage: fedgate {' '.join(argv)}")
    assert words in out


def test_the_cli_deactivates_activates_revokes_and_deletes_audited(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "roles", "create", "reader", "--scope", "shop:read")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-42\n"))
    assert run(capsys, "users", "create", "hank", "--password-stdin", "--role", "reader")[0] == 0
    code, out, _ = run(
        capsys, "keys", "create", "--name", "ci", "--owner", "hank", "--scope", "*:read"
    )
    (key,) = re.findall(r"fgk_[0-9A-Za-z]{38}", out)

    app = create_app(demo_settings(home), background_refresh=False)
    clock = Clock()
    app.state.auth.clock = clock
    wait = app.state.auth.auth.cache_seconds + 0.01  # the CLI is another process
    headers = {"X-API-Key": key}
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        assert client.get(PRODUCTS, headers=headers).status_code == 200
        assert run(capsys, "users", "deactivate", "hank")[0] == 0
        clock.advance(wait)
        assert client.get(PRODUCTS, headers=headers).status_code == 401
        code, out, _ = run(capsys, "users", "list")
        assert re.search(r"hank\s+no\s+reader", out)
        assert run(capsys, "users", "activate", "hank")[0] == 0
        clock.advance(wait)
        assert client.get(PRODUCTS, headers=headers).status_code == 200
        assert run(capsys, "roles", "revoke", "reader", "hank")[0] == 0
        clock.advance(wait)
        assert client.get(PRODUCTS, headers=headers).status_code == 404  # no rights left
        code, _, err = run(capsys, "roles", "revoke", "reader", "hank")
        assert code != 0
        assert "does not hold role" in err
        code, _, err = run(capsys, "users", "delete", "hank")
        assert code == 0
        assert "1 API key" in err
        clock.advance(wait)
        assert client.get(PRODUCTS, headers=headers).status_code == 401
        assert run(capsys, "users", "delete", "hank")[0] != 0

    code, out, _ = run(capsys, "audit", "list", "--limit", "1000")
    actions = re.findall(r"\b(user\.\w+|role\.\w+)\s+ok\s+hank", out)
    assert actions == [
        "user.create",
        "user.deactivate",
        "user.activate",
        "role.revoke",
        "user.delete",
    ]
    assert run(capsys, "audit", "verify")[0] == 0
