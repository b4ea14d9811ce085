"""Two fedgate checkouts side by side on one PostgreSQL database: a same-session before/after.

Loads the demo shop into a throwaway PostgreSQL database (as `rest_latency.py`
does), starts `fedgate serve` (one uvicorn worker, auth off) from checkout A and
from checkout B on two loopback ports, checks both answer every workload with the
same bytes, then measures them interleaved round by round (A B, then B A, ...) so
machine drift hits both alike: p50 per round, medians over rounds. At the end it
reads each server's peak RSS (VmHWM of /proc/<pid>/status), stops both by PID and
drops the database.

    git archive <commit> | tar -x -C /tmp/a   # one checkout per version
    .venv/bin/python -m benchmarks.ab_versions /tmp/a /tmp/b [--rounds 7] [--requests 200]
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.rest_latency import (
    create_database,
    drop_database,
    free_port,
    load_database,
    pct,
    run_header,
    timed,
    versions,
    wait_ready,
    write_config,
)

GRAPHQL_LIST = (
    "{ bench_customers(order_by: {id: asc}, limit: 100) { id name email country created_at } }"
)
GRAPHQL_NESTED = (
    "{ bench_customers(order_by: {id: asc}, limit: 20) { id name "
    "orders { id status total order_items { line_no quantity unit_price } } } }"
)
SERVE = (sys.executable, "-m", "gateway.cli", "serve")
# name: (method, path, GraphQL query or None)
WORKLOADS: dict[str, tuple[str, str, str | None]] = {
    "rest_a_list_100": ("GET", "/rest/bench/customers?limit=100&order=id", None),
    "rest_b_filter_order_limit": (
        "GET",
        "/rest/bench/orders?status=eq.paid&total=gt.100&order=total.desc&limit=50",
        None,
    ),
    "rest_c_embed_20": (
        "GET",
        "/rest/bench/orders?select=id,total,customer(id,name),"
        "order_items(line_no,quantity,unit_price)&order=id&limit=20",
        None,
    ),
    "rest_d_by_pk": ("GET", "/rest/bench/customers/42", None),
    "graphql_list_100": ("POST", "/graphql", GRAPHQL_LIST),
    "graphql_nested_20": ("POST", "/graphql", GRAPHQL_NESTED),
}


def start(checkout: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    """`fedgate serve` running the code of `checkout` (its directory first on sys.path)."""
    process = subprocess.Popen(
        [*SERVE, "--config", str(config), "--port", str(port), "--log-level", "warning"],
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return wait_ready(process, port, 90, f"fedgate from {checkout}")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="checkout A (before)")
    parser.add_argument("b", type=Path, help="checkout B (after)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200, help="per workload, round, side")
    args = parser.parse_args()
    name = f"fgt_ab_{os.getpid()}_{int(time.time())}"
    print(f"loading the demo shop into PostgreSQL database {name} ...", file=sys.stderr)
    url = create_database(name)
    processes: list[subprocess.Popen[bytes]] = []
    p50: dict[str, dict[str, list[float]]] = {k: {"A": [], "B": []} for k in WORKLOADS}
    try:
        load_database(url)
        clients = {}
        for side, checkout in (("A", args.a), ("B", args.b)):
            config = write_config(url, Path(tempfile.mkdtemp(prefix=f"fedgate-ab-{side}-")))
            port = free_port()
            processes.append(start(checkout.resolve(), config, port))
            clients[side] = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

        def call(side: str, key: str) -> bytes:
            method, path, query = WORKLOADS[key]
            body = {"query": query} if query is not None else None
            response = clients[side].request(method, path, json=body).raise_for_status()
            return response.content

        for key in WORKLOADS:
            if call("A", key) != call("B", key):
                raise SystemExit(f"{key}: A and B answer different bytes")
            for side in ("A", "B"):
                timed(functools.partial(call, side, key), 30)  # warm-up
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr)
            order = ("A", "B") if round_no % 2 == 0 else ("B", "A")
            for key in WORKLOADS:
                for side in order:
                    samples = timed(functools.partial(call, side, key), args.requests)
                    p50[key][side].append(pct(samples, 0.5))
        rss = {side: peak_rss_mb(p.pid) for side, p in zip(("A", "B"), processes, strict=True)}
        for client in clients.values():
            client.close()
        info = versions(url)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        drop_database(name)
    print(
        run_header(info) + f"\nA = {args.a}, B = {args.b}; {args.rounds} interleaved "
        f"rounds x {args.requests} sequential keep-alive requests per workload and side; "
        f"peak RSS (VmHWM) A {rss['A']:.0f} MB, B {rss['B']:.0f} MB"
    )
    print("| workload | A p50 ms | B p50 ms | B - A ms | B/A req/s (1/p50) |")
    print("|---|---:|---:|---:|---:|")
    for key, sides in p50.items():
        a, b = statistics.median(sides["A"]), statistics.median(sides["B"])
        print(f"| {key} | {a:.2f} | {b:.2f} | {b - a:+.2f} | {a / b:.2f}x |")


if __name__ == "__main__":
    main()
