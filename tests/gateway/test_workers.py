"""`fedgate serve --workers N`: several processes on one port, one bootstrap, shared revocation."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import fedgate_environment, free_port, stop_server

KEY = re.compile(r"fgk_[0-9A-Za-z]{38}")
CACHE_SECONDS = 2


def _config(tmp_path: Path) -> Path:
    with sqlite3.connect(tmp_path / "inv.sqlite") as db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.executemany("INSERT INTO items VALUES (?, ?)", [(1, "bolt"), (2, "nut")])
    config = tmp_path / "fedgate.yaml"
    config.write_text(
        "sources:\n  - {name: inv, url: 'sqlite:///inv.sqlite'}\n"
        f"auth:\n  cache_seconds: {CACHE_SECONDS}\n"
    )
    return config


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cli(config: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", command, "--config", str(config), *args],
        cwd=config.parent,
        env=fedgate_environment(config.parent),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_two_workers_serve_one_port_and_share_revocations(tmp_path: Path) -> None:
    config = _config(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    command = ["serve", "--config", str(config), "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", *command, "--log-level", "warning"],
            cwd=tmp_path,
            env=fedgate_environment(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            keys = KEY.findall(log.read_text())
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready and keys and len(_children(process.pid)) >= 2:
                break
            time.sleep(0.1)
        text = log.read_text()
        assert text.count("admin API key (shown once") == 1, text  # one bootstrap
        assert "2 worker processes" in text
        (admin,) = set(keys)

        minted = _cli(
            config, "keys", "create", "--name", "w", "--owner", "admin", "--scope", "inv:read"
        )
        assert minted.returncode == 0, minted.stderr
        key = minted.stdout.strip().splitlines()[-1]

        def read(secret: str) -> httpx.Response:  # a new connection each time
            return httpx.get(f"{base}/rest/inv/items?order=id", headers={"X-API-Key": secret})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(read, [key] * 200))
        assert {a.status_code for a in answers} == {200}
        assert {tuple(r["name"] for r in a.json()) for a in answers} == {("bolt", "nut")}
        # A request id starts with 16 hex digits drawn per process: both workers answered.
        answered_by = {a.headers["X-Request-Id"][:16] for a in answers}
        assert len(answered_by) == 2, answered_by

        listed = httpx.get(f"{base}/admin/api/keys", headers={"X-API-Key": admin}).json()["keys"]
        (key_id,) = [k["id"] for k in listed if key.startswith(k["prefix"])]
        revoked = httpx.delete(f"{base}/admin/api/keys/{key_id}", headers={"X-API-Key": admin})
        assert revoked.status_code == 200, revoked.text
        time.sleep(CACHE_SECONDS + 0.5)  # each worker trusts its cache this long at most
        with ThreadPoolExecutor(8) as pool:  # fewer than the per-IP failure burst (20)
            after = list(pool.map(read, [key] * 16))
        assert {a.status_code for a in after} == {401}
    finally:
        stop_server(process, log, "fedgate --workers 2")
    assert "Traceback" not in log.read_text(), log.read_text()
    assert all(not Path(f"/proc/{pid}").exists() for pid in [process.pid])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2"], "needs a config file"),  # the demo: its DuckDB file
        (["--workers", "0"], "must be between 1 and 64, got 0"),
    ],
)
def test_workers_that_cannot_work_are_refused_before_start(
    tmp_path: Path, args: list[str], message: str
) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(free_port()), *args],
        cwd=tmp_path,
        env=fedgate_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode != 0
    assert message in started.stderr
    assert "workers" in started.stderr
