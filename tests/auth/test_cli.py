"""`fedgate db|keys|users|roles|audit` against the demo's metadata store, and the first start."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.auth.announce import announce_auth
from gateway.auth.store import head_revision
from gateway.cli import main
from gateway.console import Console
from gateway.settings_source import demo_settings

KEY = re.compile(r"fgk_[0-9A-Za-z]{38}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FEDGATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FEDGATE_CONFIG", raising=False)
    monkeypatch.delenv("FEDGATE_ADMIN_PASSWORD", raising=False)
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["db", "keys", "users", "roles", "audit"])
def test_every_auth_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: fedgate {command}")
    assert "--config" in out


def test_the_cli_manages_users_roles_and_keys_that_the_gateway_accepts(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0
    assert f"revision {head_revision()}" in err
    assert run(capsys, "roles", "create", "reader", "--scope", "shop:read,analytics:read")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-42\n"))
    assert run(capsys, "users", "create", "bob", "--password-stdin", "--role", "reader")[0] == 0
    code, out, _ = run(capsys, "users", "list")
    assert re.search(r"bob\s+yes\s+reader", out)
    code, out, _ = run(capsys, "roles", "list")
    assert re.search(r"reader\s+shop:read analytics:read", out)

    code, out, err = run(
        capsys, "keys", "create", "--name", "ci", "--owner", "bob", "--scope", "*:read"
    )
    assert code == 0
    (key,) = KEY.findall(out)
    assert "shown once" in err
    code, out, _ = run(capsys, "keys", "list")
    assert key[:12] in out
    assert key not in out
    key_id = out.split("\n")[1].split()[0]

    app = create_app(demo_settings(home), background_refresh=False)
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        headers = {"X-API-Key": key}
        assert client.get("/rest/shop/products?limit=1", headers=headers).status_code == 200
        code, out, _ = run(capsys, "keys", "rotate", key_id, "--grace-hours", "0")
        (new,) = KEY.findall(out)
        app.state.auth.forget()  # another process: the cache would expire within cache_seconds
        assert client.get("/rest/shop/products", headers=headers).status_code == 401
        new_headers = {"X-API-Key": new}
        assert client.get("/rest/shop/products?limit=1", headers=new_headers).status_code == 200
        new_id = run(capsys, "keys", "list", "--owner", "bob")[1].split("\n")[2].split()[0]
        assert run(capsys, "keys", "revoke", new_id, "--reason", "leaked")[0] == 0
        app.state.auth.forget()
        assert client.get("/rest/shop/products", headers=new_headers).status_code == 401

    code, out, _ = run(capsys, "audit", "list", "--principal", "cli:" + _user())
    actions = out.split()
    for action in ("role.create", "user.create", "key.create", "key.rotate", "key.revoke"):
        assert action in actions
    assert run(capsys, "audit", "verify")[0] == 0


def test_a_key_for_an_unknown_user_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "keys", "create", "--name", "x", "--owner", "nobody", "--scope", "*:read"
    )
    assert code == 2
    assert "no user named 'nobody'" in err


def test_first_start_prints_the_admin_key_once_with_a_curl_line(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = "http://127.0.0.1:8000"
    first, second = io.StringIO(), io.StringIO()
    app = create_app(demo_settings(home), background_refresh=False)
    lines = announce_auth(app.state.auth, Console(first), base)
    (key,) = KEY.findall(first.getvalue())
    assert lines == [f'curl -H "Authorization: Bearer {key}" {base}/catalog']
    assert "admin password (shown once)" in first.getvalue()
    again = create_app(demo_settings(home), background_refresh=False)
    announce_auth(again.state.auth, Console(second), base)
    assert KEY.findall(second.getvalue()) == []
    assert "password" not in second.getvalue()
    with TestClient(again) as client:
        again.state.runtime.cache.refresh()
        catalog = client.get("/catalog", headers={"Authorization": f"Bearer {key}"})
        assert catalog.status_code == 200
        assert [s["name"] for s in catalog.json()["sources"]] == ["shop", "analytics"]


def test_the_admin_password_can_come_from_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.auth.users import authenticate_password

    monkeypatch.setenv("FEDGATE_ADMIN_PASSWORD", "correct-horse-battery")
    out = io.StringIO()
    app = create_app(demo_settings(home), background_refresh=False)
    announce_auth(app.state.auth, Console(out), "http://x")
    assert "correct-horse-battery" not in out.getvalue()
    assert "FEDGATE_ADMIN_PASSWORD" in out.getvalue()
    engine = app.state.auth.engine
    assert authenticate_password(engine, "admin", "correct-horse-battery") is not None
    assert authenticate_password(engine, "admin", "wrong-password-x") is None


def _user() -> str:
    import getpass

    return getpass.getuser()
