"""The `fedgate` command line, run in-process (and once through the installed script)."""

from __future__ import annotations

import importlib.metadata
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from gateway.cli import main
from schema_cache.snapshot import read_snapshot
from tests.live import mariadb_databases, postgresql_database

PASSWORD = "Zq9-Very-Distinct-pw"
COMMAND_OPTIONS = {
    "serve": ["--config", "-c", "--host", "--port", "--log-level"],
    "check": ["--config", "-c"],
    "introspect": ["--config", "-c", "source", "--json"],
    "refresh": ["--config", "-c", "source"],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory and FEDGATE_HOME: no config, so the demo is served."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("FEDGATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FEDGATE_CONFIG", raising=False)
    return tmp_path / "home"


def write_config(text: str, name: str = "fedgate.yaml") -> Path:
    path = Path.cwd() / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines_of(out: str) -> dict[str, str]:
    """The rows of a printed table, keyed by their first cell."""
    return {line.split()[0]: line for line in out.splitlines() if line.strip()}


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: fedgate")
    for command in COMMAND_OPTIONS:
        assert command in out
    assert "--version" in out
    assert "embedded demo" in out


@pytest.mark.parametrize("command", COMMAND_OPTIONS)
def test_every_command_documents_its_options(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: fedgate {command}")
    for option in COMMAND_OPTIONS[command]:
        assert option in out, f"{command} --help does not mention {option}"


def test_version_matches_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"fedgate {importlib.metadata.version('fedgate')}"


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nosuch"])

    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_check_on_the_demo(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")

    assert code == 0
    rows = lines_of(out)
    assert rows["source"].split() == ["source", "dialect", "server", "latency", "status"]
    assert rows["shop"].split()[1] == "sqlite"
    assert rows["analytics"].split()[1] == "duckdb"
    assert rows["shop"].split()[-1] == rows["analytics"].split()[-1] == "ok"
    assert (home / "demo" / "shop.sqlite").exists()


def test_check_with_an_unreachable_source_fails_without_showing_its_password(
    home: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    write_config(
        f"""
        sources:
          - name: shop
            url: sqlite:///shop.sqlite
          - name: crm
            url: postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/crm
            connect_timeout_s: 1
        """
    )
    caplog.set_level(logging.DEBUG, logger="fedgate")

    code, out, err = run(capsys, "check")

    assert code == 1
    rows = lines_of(out)
    assert rows["shop"].split()[-1] == "ok"
    assert rows["crm"].split()[1] == "postgresql"
    assert "FAILED: connection refused" in rows["crm"]
    assert PASSWORD not in out + err + caplog.text


@pytest.mark.postgresql
@pytest.mark.mariadb
def test_check_names_why_live_servers_refuse(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with postgresql_database() as pg_url, mariadb_databases() as (maria_url, _):
        missing_db = sa.make_url(pg_url).set(database="fgt_no_such_database")
        wrong_pw = sa.make_url(maria_url).set(password=PASSWORD)
        monkeypatch.setenv("MARIA_URL", wrong_pw.render_as_string(hide_password=False))
        write_config(
            f"""
            sources:
              - name: pg
                url: {pg_url}
              - name: pg_missing
                url: {missing_db.render_as_string(hide_password=False)}
              - name: maria
                url: {maria_url}
              - name: maria_denied
                url: ${{MARIA_URL}}
            """
        )
        caplog.set_level(logging.DEBUG, logger="fedgate")

        code, out, err = run(capsys, "check")

    assert code == 1
    rows = lines_of(out)
    assert rows["pg"].split()[1:2] == ["postgresql"]
    assert rows["pg"].split()[-1] == "ok"
    assert rows["maria"].split()[-1] == "ok"
    assert "FAILED: database does not exist" in rows["pg_missing"]
    assert "FAILED: authentication failed" in rows["maria_denied"]
    assert PASSWORD not in out + err + caplog.text


def test_introspect_json_prints_the_model(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "introspect", "shop", "--json")

    assert code == 0
    model = orjson.loads(out)
    assert (model["name"], model["dialect"], model["default_schema"]) == ("shop", "sqlite", "main")
    assert len(model["version"]) == 16
    tables = {t["name"]: t for t in model["tables"]}
    assert sorted(tables) == ["customers", "order_items", "orders", "products"]
    assert tables["order_items"]["primary_key"] == ["order_id", "line_no"]
    relationships = {
        name: sorted((r["name"], r["kind"]) for r in table["relationships"])
        for name, table in tables.items()
    }
    assert relationships == {
        "customers": [("orders", "array")],
        "orders": [("customer", "object"), ("order_items", "array")],
        "order_items": [("order", "object"), ("product", "object")],
        "products": [("order_items", "array")],
    }


def test_introspect_prints_a_table_and_a_summary(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "introspect", "analytics")

    assert code == 0
    rows = lines_of(out)
    assert rows["daily_sales"].split()[:4] == ["daily_sales", "table", "4", "day,country"]
    assert rows["revenue_by_country"].split()[1] == "view"
    assert err.startswith("analytics: duckdb ")
    assert "3 tables" in err
    assert "round trips" in err


def test_introspect_an_unknown_source_names_the_configured_ones(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "introspect", "nosuch")

    assert code == 2
    assert out == ""
    assert err.strip() == "error: unknown source 'nosuch'; configured sources: shop, analytics"


def test_refresh_writes_the_snapshot(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = home / "demo" / "snapshot.json"

    code, _, err = run(capsys, "refresh")

    assert code == 0
    assert "shop: changed" in err
    assert "analytics: changed" in err
    assert f"snapshot: {snapshot}" in err
    assert [s.name for s in read_snapshot(snapshot)] == ["shop", "analytics"]

    code, _, err = run(capsys, "refresh", "shop")
    assert code == 0
    assert "shop: unchanged" in err
    assert "analytics" not in err.replace(str(snapshot), "")


def test_refresh_with_an_unreachable_source_fails_and_keeps_the_others(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(
        f"""
        schema_cache: {{snapshot_path: state/snapshot.json}}
        sources:
          - name: shop
            url: sqlite:///shop.sqlite
          - name: crm
            url: postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/crm
            connect_timeout_s: 1
        """
    )

    code, out, err = run(capsys, "refresh")

    assert code == 1
    assert "crm: FAILED: connection refused" in err
    assert "shop: changed" in err
    assert PASSWORD not in out + err
    assert [s.name for s in read_snapshot(Path.cwd() / "state" / "snapshot.json")] == ["shop"]


def test_refresh_an_unknown_source(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "refresh", "nosuch")

    assert code == 2
    assert "unknown source 'nosuch'; configured sources: shop, analytics" in err
    assert not (home / "demo" / "snapshot.json").exists()


BAD_CONFIGS = {
    "typo": (
        f"""
        sources:
          - name: shop
            url: postgresql+psycopg://app:{PASSWORD}@db:5432/shop
            pool_szie: 5
        """,
        "sources[0].pool_szie: unknown key 'pool_szie' (did you mean 'pool_size'?)",
    ),
    "wrong type": (
        """
        sources:
          - {name: shop, url: "sqlite:///shop.sqlite", pool_size: five}
        """,
        "sources[0].pool_size: expected an integer, got string 'five'",
    ),
    "out of range": (
        """
        server: {port: 70000}
        sources: [{name: shop, url: "sqlite:///shop.sqlite"}]
        """,
        "server.port: must be between 1 and 65_535, got 70000",
    ),
    "missing url": (
        """
        sources:
          - name: shop
        """,
        "sources[0]: missing required key 'url'",
    ),
    "bad yaml": ("sources: [\n", "invalid YAML at line"),
}


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
@pytest.mark.parametrize("command", ["check", "serve", "introspect", "refresh"])
def test_a_bad_config_exits_2_naming_the_file_and_key(
    home: Path, capsys: pytest.CaptureFixture[str], command: str, text: str, expected: str
) -> None:
    path = write_config(text, name="gateway-config.yaml")
    argv = [command, "--config", str(path)] + (["shop"] if command == "introspect" else [])

    code, out, err = run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {path}: ")
    assert expected in err
    assert PASSWORD not in err
    assert not (home / "demo").exists()


def test_a_missing_config_file_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--config", "nosuch.yaml")

    assert code == 2
    assert err.startswith("error: nosuch.yaml: cannot read the configuration file")


def test_config_is_found_through_the_environment(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config("sources: [{name: only, url: 'sqlite:///only.sqlite'}]", "other.yaml")
    monkeypatch.setenv("FEDGATE_CONFIG", str(path))

    code, out, _ = run(capsys, "check")

    assert code == 0
    assert set(lines_of(out)) == {"source", "only"}


def test_the_installed_script_returns_the_exit_code(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("fedgate")
    env = {"FEDGATE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}

    done = subprocess.run(
        [str(script), "introspect", "nosuch"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "unknown source 'nosuch'" in done.stderr
