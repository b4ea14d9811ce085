"""Two `fedgate serve` OS processes sharing one PostgreSQL metadata store.

Issue 5's acceptance: a key revoked through one process is refused by the other
within `auth.cache_seconds` (docs/auth.md), and both append to one audit chain.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import fedgate_environment, free_port, stop_server
from tests.live import postgresql_database

CACHE_SECONDS = 2  # auth.cache_seconds, the documented default
KEY = re.compile(r"fgk_[0-9A-Za-z]{38}")


@dataclass
class Served:
    base: str
    log: Path

    def get(self, path: str, key: str) -> httpx.Response:
        return httpx.get(self.base + path, headers={"X-API-Key": key}, timeout=10)


def _write_config(tmp_path: Path, store_url: str) -> Path:
    with sqlite3.connect(tmp_path / "inv.sqlite") as db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.executemany("INSERT INTO items VALUES (?, ?)", [(1, "bolt"), (2, "nut"), (3, "gear")])
    config = tmp_path / "fedgate.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: inv, url: 'sqlite:///inv.sqlite'}\n"
        "auth:\n"
        f"  store_url: '{store_url}'\n"
        f"  cache_seconds: {CACHE_SECONDS}\n"
    )
    return config


@contextmanager
def _serve(config: Path, name: str) -> Iterator[tuple[subprocess.Popen[bytes], Served]]:
    """`fedgate serve --config F --port P` in its own process; stopped by PID after."""
    port = free_port()
    log = config.parent / f"{name}.log"
    command = ["serve", "--config", str(config), "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", *command],
            cwd=config.parent,
            env=fedgate_environment(config.parent / name),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, Served(f"http://127.0.0.1:{port}", log)
    finally:
        stop_server(process, log, name)


def _wait_ready(process: subprocess.Popen[bytes], served: Served) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited:\n{served.log.read_text()}"
        try:
            if httpx.get(served.base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"server never became ready:\n{served.log.read_text()}")


def _fedgate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a CLI command against the same config (a third process on the store)."""
    command, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", command, "--config", str(config), *rest],
        cwd=config.parent,
        env=fedgate_environment(config.parent / "cli"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_a_key_revoked_through_one_process_is_refused_by_the_other_within_cache_seconds(
    tmp_path: Path,
) -> None:
    with postgresql_database() as store_url:
        config = _write_config(tmp_path, store_url)
        with ExitStack() as stack:
            _two_processes_share_revocations_and_audit(config, stack)
        for log in sorted(tmp_path.glob("*.log")):  # stopped cleanly, the bootstrap race too
            assert "Traceback" not in log.read_text(), log.read_text()
        # Both processes (and the CLI) appended to one chain that still verifies.
        verified = _fedgate(config, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "hash chain verified" in verified.stderr


def _two_processes_share_revocations_and_audit(config: Path, stack: ExitStack) -> None:
    # Both start at once on the empty store: exactly one bootstraps the admin.
    one_process, one = stack.enter_context(_serve(config, "one"))
    two_process, two = stack.enter_context(_serve(config, "two"))
    _wait_ready(one_process, one)
    _wait_ready(two_process, two)
    printed = [s for s in (one, two) if "admin API key (shown once" in s.log.read_text()]
    assert len(printed) == 1, [s.log.read_text() for s in (one, two)]
    (admin_key,) = set(KEY.findall(printed[0].log.read_text()))

    minted = _fedgate(
        config, "keys", "create", "--name", "two-procs", "--owner", "admin", "--scope", "inv:read"
    )
    assert minted.returncode == 0, minted.stderr
    key = minted.stdout.strip().splitlines()[-1]
    assert KEY.fullmatch(key), minted.stdout

    # The key works on both processes (each now holds it in its cache).
    for served in (one, two):
        response = served.get("/rest/inv/items?order=id", key)
        assert response.status_code == 200, response.text
        assert [r["name"] for r in response.json()] == ["bolt", "nut", "gear"]

    listed = one.get("/admin/api/keys", admin_key).json()["keys"]
    ((key_id, prefix),) = [(k["id"], k["prefix"]) for k in listed if key.startswith(k["prefix"])]
    revoked_at = time.monotonic()  # before the request: the delay counted is an upper bound
    revoked = httpx.delete(
        f"{one.base}/admin/api/keys/{key_id}", headers={"X-API-Key": admin_key}, timeout=10
    )
    assert revoked.status_code == 200, revoked.text

    refused_by_one = one.get("/rest/inv/items", key)
    assert refused_by_one.status_code == 401
    assert "revoked" in refused_by_one.json()["detail"]

    # Process two trusts its cached lookup for at most cache_seconds.
    while True:
        refused_by_two = two.get("/rest/inv/items", key)
        elapsed = time.monotonic() - revoked_at
        if refused_by_two.status_code != 200 or elapsed > CACHE_SECONDS + 1:
            break
        time.sleep(0.05)
    assert refused_by_two.status_code == 401, refused_by_two.text
    assert "revoked" in refused_by_two.json()["detail"]
    assert elapsed <= CACHE_SECONDS + 1

    # Both processes appended to one hash chain: each recorded its own (single) refusal.
    audit = two.get("/admin/api/audit?action=auth.refused", admin_key).json()["entries"]
    assert [(e["target"], e["detail"]["reason"]) for e in audit] == [(prefix, "revoked")] * 2
    revokes = one.get("/admin/api/audit?action=key.revoke", admin_key).json()["entries"]
    assert [(e["principal"], e["detail"]["key_id"]) for e in revokes] == [("admin", key_id)]
    creates = two.get("/admin/api/audit?action=key.create", admin_key).json()["entries"]
    assert [e["principal"].split(":")[0] for e in creates] == ["bootstrap", "cli"]
    assert creates[1]["target"] == prefix
