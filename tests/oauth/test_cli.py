"""`fedgate clients …` against the demo's metadata store: the lifecycle and its audit entries."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pytest

from gateway.cli import main


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


def test_clients_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["clients", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for action in ("create", "list", "activate", "reauthorize", "deactivate", "delete"):
        assert action in out


def test_the_lifecycle_on_the_command_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "clients", "create", "--name", "etl", "--scopes", "shop.customers:read, shop.orders:read",
        "--redirect-uri", "http://etl.example/cb", "--token-lifetime", "0",
    )  # fmt: skip
    assert code == 0, err
    client_id = out.strip()
    assert "insecure: redirect URI http://etl.example/cb is not https" in err
    assert "never expire" in err
    code, out, _ = run(capsys, "clients", "list")
    assert client_id in out
    assert "inactive" in out
    code, out, _ = run(capsys, "clients", "activate", client_id)
    assert code == 0
    secret = re.search(r"client_secret=(fgc_\w+)", out)
    token = re.search(r"access_token=(\S+)", out)
    assert secret
    assert token
    code, out2, _ = run(capsys, "clients", "reauthorize", client_id)
    assert code == 0
    assert secret.group(1) not in out2
    assert run(capsys, "clients", "deactivate", client_id)[0] == 0
    assert run(capsys, "clients", "delete", client_id)[0] == 0
    assert client_id not in run(capsys, "clients", "list")[1]
    code, out, _ = run(
        capsys, "audit", "list", "--limit", "1000", "--principal", f"cli:{getpass.getuser()}"
    )
    for action in (
        "client.create",
        "client.activate",
        "client.reauthorize",
        "client.deactivate",
        "client.delete",
    ):
        assert action in out
    assert secret.group(1) not in out
    assert token.group(1) not in out


def test_bad_registration_is_refused_with_the_reason(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "clients", "create", "--name", "x", "--scopes", "shop.customers:read",
        "--redirect-uri", "https://a.example/cb", "--token-lifetime", "100000000",
    )  # fmt: skip
    assert code == 2
    assert "token_lifetime must be between 0 and 99,999,999" in err
