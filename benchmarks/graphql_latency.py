"""GraphQL latency on PostgreSQL, beside REST for the same data, over HTTP.

Loads the demo shop (200 customers, 1,500 orders, ~3,800 items) into a
throwaway PostgreSQL database (as `benchmarks.rest_latency` does), starts
`fedgate serve` (one uvicorn worker, auth off: the surfaces alone, no
credential check) on a loopback port, checks that each GraphQL query returns
the same rows as its REST twin, then measures, interleaved round by round
(the surface that goes first alternates), a sequential keep-alive client
sending each workload through GraphQL (`POST /graphql`) and REST (`GET`).
Prints medians over rounds of per-round requests/s, p50 and p99, and the
ratios GraphQL/REST. The database is dropped at the end.

    .venv/bin/python -m benchmarks.graphql_latency [--rounds 7] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.testclient import TestClient

from benchmarks.rest_latency import (
    create_database,
    drop_database,
    free_port,
    load_database,
    pct,
    run_header,
    start_fedgate,
    versions,
    write_config,
)
from config.loader import load_settings
from gateway.app import create_app

# name: (REST path, GraphQL query, root field) — the same rows and columns on both surfaces.
WORKLOADS: dict[str, tuple[str, str, str]] = {
    "list_100": (
        "/rest/bench/customers?select=id,name,email,country,created_at&order=id&limit=100",
        "{ bench_customers(order_by: {id: asc}, limit: 100) { id name email country created_at } }",
        "bench_customers",
    ),
    "nested_20x_orders_x_items": (
        "/rest/bench/customers?select=id,name,orders(id,status,total,"
        "order_items(line_no,quantity,unit_price))&order=id&limit=20",
        "{ bench_customers(order_by: {id: asc}, limit: 20) { id name "
        "orders { id status total order_items { line_no quantity unit_price } } } }",
        "bench_customers",
    ),
}


def _canonical(value: Any) -> Any:
    """Rows with nested lists sorted, so that both surfaces' unordered embeds compare equal."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=repr)
    return value


def check_same_rows(client: httpx.Client) -> dict[str, int]:
    """Each GraphQL query's rows equal its REST twin's; returns the number of top-level rows."""
    counts = {}
    for key, (path, query, field) in WORKLOADS.items():
        rest = client.get(path).raise_for_status().json()
        body = client.post("/graphql", json={"query": query}).raise_for_status().json()
        if "errors" in body:
            raise SystemExit(f"{key}: GraphQL errors {body['errors']}")
        graphql = body["data"][field]
        if _canonical(rest) != _canonical(graphql):
            raise SystemExit(f"{key}: GraphQL and REST return different rows")
        counts[key] = len(rest)
    return counts


def count_statements(config: Path) -> dict[str, dict[str, int]]:
    """SQL statements each surface sends per request of each workload (in-process, once)."""
    app = create_app(load_settings(config), background_refresh=False)
    counts: dict[str, dict[str, int]] = {}
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        engines = app.state.runtime.connectors["bench"].engines()
        for key, (path, query, _) in WORKLOADS.items():
            counts[key] = {}
            sends: list[tuple[str, Callable[[], httpx.Response]]] = [
                ("graphql", lambda q=query: client.post("/graphql", json={"query": q})),
                ("rest", lambda p=path: client.get(p)),
            ]
            for surface, send in sends:
                send().raise_for_status()  # compile, warm up
                seen: list[str] = []

                def record(*args: Any, into: list[str] = seen) -> None:
                    into.append(args[2])

                for engine in engines:
                    sa.event.listen(engine, "before_cursor_execute", record)
                try:
                    send().raise_for_status()
                finally:
                    for engine in engines:
                        sa.event.remove(engine, "before_cursor_execute", record)
                counts[key][surface] = len(seen)
    return counts


def timed(call: Callable[[], object], n: int) -> tuple[float, list[float]]:
    """(requests per second, per-request milliseconds) of `n` sequential calls."""
    samples = []
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    return n / (time.perf_counter() - started), samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200, help="requests per workload, round")
    args = parser.parse_args()
    name = f"fgt_gqlbench_{os.getpid()}_{int(time.time())}"
    print(f"loading the demo shop into PostgreSQL database {name} ...", file=sys.stderr)
    url = create_database(name)
    process: subprocess.Popen[bytes] | None = None
    # workload -> surface -> metric -> per-round values
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    try:
        load_database(url)
        config = write_config(url, Path(tempfile.mkdtemp(prefix="fedgate-gqlbench-")))
        statements = count_statements(config)
        port = free_port()
        process = start_fedgate(config, port)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        counts = check_same_rows(client)

        def rest(path: str) -> Callable[[], object]:
            return lambda: client.get(path).raise_for_status()

        def graphql(query: str) -> Callable[[], object]:
            body = {"query": query}
            return lambda: client.post("/graphql", json=body).raise_for_status()

        calls = {
            key: {"graphql": graphql(query), "rest": rest(path)}
            for key, (path, query, _) in WORKLOADS.items()
        }
        for key, surfaces in calls.items():
            results[key] = {}
            for surface, call in surfaces.items():
                timed(call, 30)  # warm-up: plan caches, pools, prepared statements
                results[key][surface] = {"rps": [], "p50": [], "p99": []}
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr)
            for key, surfaces in calls.items():
                order = list(surfaces) if round_no % 2 == 0 else list(reversed(surfaces))
                for surface in order:
                    rps, samples = timed(surfaces[surface], args.requests)
                    results[key][surface]["rps"].append(rps)
                    results[key][surface]["p50"].append(pct(samples, 0.5))
                    results[key][surface]["p99"].append(pct(samples, 0.99))
        client.close()
        info = versions(url)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        drop_database(name)
    print(
        run_header(info) + f"\n{args.rounds} rounds x {args.requests} sequential "
        "keep-alive requests per workload and surface, one uvicorn worker, auth off; "
        "top-level rows: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + "; SQL statements per request: "
        + ", ".join(f"{k} graphql {v['graphql']} / rest {v['rest']}" for k, v in statements.items())
    )
    print(
        "| workload | surface | req/s | p50 ms | p99 ms | GraphQL/REST req/s | GraphQL/REST p50 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for key, surfaces in results.items():
        med = {s: {m: statistics.median(v) for m, v in ms.items()} for s, ms in surfaces.items()}
        for surface in ("graphql", "rest"):
            m = med[surface]
            ratios = (
                f"{med['graphql']['rps'] / med['rest']['rps']:.2f} "
                f"| {med['graphql']['p50'] / med['rest']['p50']:.2f}"
                if surface == "graphql"
                else "|"
            )
            print(
                f"| {key} | {surface} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} "
                f"| {ratios} |"
            )


if __name__ == "__main__":
    main()
