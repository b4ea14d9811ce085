"""Auth overhead: the same REST read with an API key against the same read with auth disabled.

Generates the demo shop (SQLite), starts two `fedgate serve` processes on
loopback ports over the same database file: one with auth on (a bootstrapped
admin key, default `cache_seconds: 2`, rate limits off so the limiter does not
throttle the client) and one with `auth.enabled: false`. Then, in many short
rounds alternating which goes first (so load from other processes hits both
alike), a sequential keep-alive client sends the same GET to each and counts
requests per second. Prints the medians and the ratio auth/no-auth (goal >= 0.95).

Two clients. `--client httpx` (the default): a sequential keep-alive httpx
client in this process; its own per-request work (pure-Python h11, building
and sending the `Authorization` header) is part of every figure. `--client
wrk`: wrk (C) sends the same GET, `-t1` and each of `--connections` keep-alive
connections for `--seconds` per round, the key set by a small Lua script (not
on the command line); the figure is the server's throughput, not the client's.
wrk mode also reports requests per CPU-second of each server process in the same
rounds (from /proc): the server's cost per request, less sensitive than requests/s
to other processes taking the CPU on a shared machine.

`--pairs N` starts N auth-on and N auth-off processes and cycles the rounds through
them (round r uses pair r mod N): processes of identical code differed by 2-9 % in
CPU per request within one session (hash seed, memory layout), more than the
difference measured, so one pair's ratio carries that luck.

    .venv/bin/python -m benchmarks.auth_overhead [--rounds 60] [--requests 100]
    .venv/bin/python -m benchmarks.auth_overhead --client wrk [--rounds 20] [--connections 1,4]
        [--pairs 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.rest_latency import free_port, start_fedgate
from config.loader import load_settings
from gateway.auth.bootstrap import bootstrap_admin
from gateway.auth.middleware import AuthMiddleware
from gateway.auth.service import AuthService
from gateway.demo import ensure_demo
from gateway.query.access import TableUse, current_access

PATH = "/rest/shop/customers?select=id,name,email&order=id&limit=20"
CONFIG = """\
schema_cache: {{snapshot_path: {snapshot}, ttl_seconds: 0}}
sources:
  - {{name: shop, url: "sqlite:///{database}"}}
auth:
  enabled: {enabled}
  store_url: "sqlite:///{store}"
  rate_limits: {{requests_per_second: 0, failed_auth_per_minute: 0}}
"""


def prepare(folder: Path) -> tuple[Path, Path, str]:
    """The demo shop in `folder`, the configs with auth on and off, and the admin key."""
    ensure_demo(folder / "demo")
    database = folder / "demo" / "shop.sqlite"
    on = write_config(folder, "auth_on", enabled=True, database=database)
    off = write_config(folder, "auth_off", enabled=False, database=database)
    created = bootstrap_admin(AuthService(load_settings(str(on))))
    assert created is not None
    return on, off, created.key


def write_config(folder: Path, name: str, *, enabled: bool, database: Path) -> Path:
    path = folder / f"{name}.yaml"
    text = CONFIG.format(
        snapshot=folder / f"{name}.json",
        database=database,
        enabled=str(enabled).lower(),
        store=folder / "meta.sqlite",
    )
    path.write_text(text, encoding="utf-8")
    return path


def throughput(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
    return n / (time.perf_counter() - started)


def wrk_throughput(url: str, script: Path | None, seconds: int, connections: int) -> float:
    """Requests per second wrk sees in `seconds` on `connections` keep-alive connections."""
    return wrk_run(url, script, seconds, connections)[0]


def wrk_run(url: str, script: Path | None, seconds: int, connections: int) -> tuple[float, int]:
    """(requests per second, requests) of one wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"{url}: wrk saw failed requests\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    count = re.search(r"(\d+) requests in", done.stdout)
    if found is None or count is None:
        raise SystemExit(f"unexpected wrk output\n{done.stdout}\n{done.stderr}")
    return float(found.group(1)), int(count.group(1))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_script(folder: Path, key: str) -> Path:
    """The Authorization header as a wrk Lua script: the key stays off the command line."""
    path = folder / "auth.lua"
    path.write_text(f'wrk.headers["Authorization"] = "Bearer {key}"\n', encoding="utf-8")
    return path


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", choices=("httpx", "wrk"), default="httpx")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--requests", type=int, default=100, help="httpx: requests per round")
    parser.add_argument("--seconds", type=int, default=1, help="wrk: seconds per round")
    parser.add_argument("--connections", default="1,4", help="wrk: connection counts")
    parser.add_argument("--pairs", type=int, default=1, help="server processes per setting")
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--in-process", action="store_true", help="call the middleware directly")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        on, off, key = prepare(folder)
        if args.in_process:
            in_process(on, key, args)
            return
        if args.client == "wrk" and shutil.which("wrk") is None:
            raise SystemExit("wrk is not installed")
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load_before = load_average()
        ports: dict[str, list[int]] = {ON: [], OFF: []}
        pids: dict[str, list[int]] = {ON: [], OFF: []}
        processes = []
        try:
            for _ in range(args.pairs):
                for name, config in ((ON, on), (OFF, off)):
                    ports[name].append(free_port())
                    processes.append(start_fedgate(config, ports[name][-1]))
                    pids[name].append(processes[-1].pid)
            if args.client == "wrk":
                script = wrk_script(folder, key)
                counts = [int(c) for c in args.connections.split(",")]
                results = measure_wrk(ports, pids, script, counts, args)
            else:
                results = measure_httpx(ports, key, args)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    pairs = f"; {args.pairs} server pairs" if args.pairs > 1 else ""
    print(f"\n{platform.python_version()}, {os.cpu_count()} CPUs, GET {PATH}{pairs}")
    print(f"started {started}; load average {load_before} before, {load_average()} after")
    for setting, values in results.items():
        report(setting, values)


ON, OFF = "auth on (API key)", "auth off"
Results = dict[str, dict[str, list[float]]]  # setting -> gateway -> req/s per round


def measure_httpx(ports: dict[str, list[int]], key: str, args: argparse.Namespace) -> Results:
    headers = {ON: {"Authorization": f"Bearer {key}"}, OFF: {}}
    setting = f"httpx: {args.rounds} rounds x {args.requests} sequential keep-alive requests"
    with httpx.Client(timeout=10) as client:
        for name, each in ports.items():  # warm up every server
            for port in each:
                throughput(client, f"http://127.0.0.1:{port}{PATH}", headers[name], 200)
        turn = {name: itertools.cycle(each) for name, each in ports.items()}

        def one(name: str) -> float:
            url = f"http://127.0.0.1:{next(turn[name])}{PATH}"
            return throughput(client, url, headers[name], args.requests)

        return {setting: interleaved(one, args)}


def measure_wrk(
    ports: dict[str, list[int]],
    pids: dict[str, list[int]],
    script: Path,
    counts: list[int],
    args: argparse.Namespace,
) -> Results:
    """Per connection count: wrk's requests/s, and (less sensitive to other processes
    taking the CPU) requests per CPU-second of the server process in the same rounds."""
    scripts = {ON: script, OFF: None}
    for name, each in ports.items():  # warm up every server
        for port in each:
            wrk_throughput(f"http://127.0.0.1:{port}{PATH}", scripts[name], 2, max(counts))
    results: Results = {}
    for connections in counts:
        per_cpu: dict[str, list[float]] = {ON: [], OFF: []}

        def one(
            name: str, connections: int = connections, per_cpu: dict[str, list[float]] = per_cpu
        ) -> float:
            pair = len(per_cpu[name]) % len(ports[name])  # round r: pair r mod N
            url = f"http://127.0.0.1:{ports[name][pair]}{PATH}"
            before = cpu_seconds(pids[name][pair])
            rate, requests = wrk_run(url, scripts[name], args.seconds, connections)
            used = cpu_seconds(pids[name][pair]) - before
            per_cpu[name].append(requests / max(used, 1e-9))
            return rate

        setting = f"wrk -t1 -c{connections}: {args.rounds} rounds x {args.seconds} s"
        results[setting] = interleaved(one, args)
        results[f"{setting}; requests per server CPU-second"] = per_cpu
    return results


def interleaved(one: Callable[[str], float], args: argparse.Namespace) -> dict[str, list[float]]:
    """Rounds alternating which gateway goes first, so outside load hits both alike."""
    results: dict[str, list[float]] = {ON: [], OFF: []}
    for round_ in range(args.rounds):
        order = [ON, OFF] if round_ % 2 == 0 else [OFF, ON]
        for name in order:
            results[name].append(one(name))
        if args.verbose:
            shown = ", ".join(f"{n} {results[n][-1]:.0f} req/s" for n in results)
            print(f"round {round_ + 1}: {shown}")
    return results


def report(setting: str, results: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in results.items()}
    ratios = [a / b for a, b in zip(results[ON], results[OFF], strict=True)]
    unit = "req/CPU-s" if "CPU-second" in setting else "req/s"
    print(setting)
    for name, value in medians.items():
        print(f"  {name:<18} median {value:8.0f} {unit}")
    print(f"  ratio of medians   {medians[ON] / medians[OFF]:.3f}")
    print(
        f"  median of per-round ratios {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )


def in_process(on: Path, key: str, args: argparse.Namespace) -> None:
    """What the middleware and the scope check add to one request, without the network."""
    service = AuthService(load_settings(str(on)))
    middleware = AuthMiddleware(inner_app, service)
    scope = {
        "type": "http",
        "method": "GET",
        "path": PATH.split("?")[0],
        "query_string": PATH.split("?")[1].encode(),
        "client": ("127.0.0.1", 1),
        "headers": [(b"authorization", f"Bearer {key}".encode()), (b"host", b"bench")],
    }

    async def rounds() -> tuple[list[float], list[float]]:
        with_auth: list[float] = []
        bare: list[float] = []
        for _ in range(args.rounds):
            for app, out in ((middleware, with_auth), (inner_app, bare)):
                started = time.perf_counter()
                for _ in range(args.requests):
                    await app(scope, _receive, _send)
                out.append((time.perf_counter() - started) / args.requests * 1e6)
        return with_auth, bare

    with_auth, bare = asyncio.run(rounds())
    added = statistics.median(a - b for a, b in zip(with_auth, bare, strict=True))
    print(f"\n{platform.python_version()}, {os.cpu_count()} CPUs, in-process ASGI call")
    print(f"{args.rounds} rounds x {args.requests} calls; the inner app checks one table scope")
    print(f"  middleware + key + scope check: median {added:.1f} us added per request")


async def inner_app(scope: Any, receive: Any, send: Any) -> None:
    current_access().require([TableUse("shop", "customers", "read")])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"[]"})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


async def _send(_message: Any) -> None:
    return None


if __name__ == "__main__":
    main()
