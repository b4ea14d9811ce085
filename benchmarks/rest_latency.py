"""REST latency on PostgreSQL: fedgate against the same SQL run directly through psycopg.

Loads the demo shop (200 customers, 1,500 orders, ~3,800 items) into a
throwaway PostgreSQL database, starts `fedgate serve` (one uvicorn worker) on
a loopback port, and measures, interleaved round by round, each workload
through fedgate (HTTP, sequential keep-alive client) and its SQL through a
direct psycopg connection (the floor). Prints medians of per-round p50/p99.

    .venv/bin/python -m benchmarks.rest_latency [--rounds 5] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

from gateway.demo import ensure_demo

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORKLOADS: dict[str, tuple[str, str, str]] = {
    # name: (method, fedgate path, equivalent SQL for the floor)
    "a_list_100": (
        "GET",
        "/rest/bench/customers?limit=100&order=id",
        "SELECT id, name, email, country, created_at FROM customers ORDER BY id LIMIT 100",
    ),
    "b_filter_order_limit": (
        "GET",
        "/rest/bench/orders?status=eq.paid&total=gt.100&order=total.desc&limit=50",
        "SELECT id, customer_id, status, ordered_at, total FROM orders WHERE status = 'paid' "
        "AND total > 100 ORDER BY total DESC, id LIMIT 50",
    ),
    "c_embed_20": (
        "GET",
        "/rest/bench/orders?select=id,total,customer(id,name),order_items(line_no,quantity,unit_price)&order=id&limit=20",
        "SELECT o.id, o.total, json_build_object('id', c.id, 'name', c.name), (SELECT json_agg(json_build_object("
        "'line_no', i.line_no, 'quantity', i.quantity, 'unit_price', i.unit_price)) FROM order_items i "
        "WHERE i.order_id = o.id) FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id LIMIT 20",
    ),
    "d_by_pk": (
        "GET",
        "/rest/bench/customers/42",
        "SELECT id, name, email, country, created_at FROM customers WHERE id = 42",
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_database(name: str) -> str:
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    home = Path(tempfile.mkdtemp(prefix="fedgate-bench-"))
    shop, _ = ensure_demo(home)
    lite = sa.create_engine(f"sqlite:///{shop}")
    pg = sa.create_engine(url)
    with pg.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (id integer PRIMARY KEY, name varchar(80) NOT NULL, email varchar(120) "
            "NOT NULL UNIQUE, country char(2) NOT NULL, created_at timestamp NOT NULL);"
            "CREATE TABLE products (id integer PRIMARY KEY, sku varchar(20) NOT NULL UNIQUE, name varchar(120) "
            "NOT NULL, category varchar(40) NOT NULL, price numeric(10,2) NOT NULL, in_stock boolean NOT NULL);"
            "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers(id), "
            "status varchar(20) NOT NULL, ordered_at timestamp NOT NULL, total numeric(12,2) NOT NULL);"
            "CREATE INDEX ON orders (customer_id); CREATE INDEX ON orders (status);"
            "CREATE TABLE order_items (order_id integer NOT NULL REFERENCES orders(id), line_no integer NOT NULL, "
            "product_id integer NOT NULL REFERENCES products(id), quantity integer NOT NULL, unit_price "
            "numeric(10,2) NOT NULL, PRIMARY KEY (order_id, line_no));"
            "CREATE TABLE bulk (id serial PRIMARY KEY, label text NOT NULL, amount numeric(10,2) NOT NULL);"
        )
        with lite.connect() as src:
            for table in ("customers", "products", "orders", "order_items"):
                rows = [dict(r._mapping) for r in src.exec_driver_sql(f"SELECT * FROM {table}")]
                if table == "products":
                    for row in rows:
                        row["in_stock"] = bool(row["in_stock"])
                columns = ", ".join(rows[0])
                marks = ", ".join(f":{c}" for c in rows[0])
                conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), rows)
        conn.exec_driver_sql("ANALYZE")
    lite.dispose()
    pg.dispose()
    return url


def start_fedgate(url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    config = workdir / "fedgate.yaml"
    config.write_text(
        f"sources:\n  - name: bench\n    url: {url}\n    pool_size: 4\n"
        f"schema_cache:\n  snapshot_path: {workdir / 'snap.json'}\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("fedgate did not become ready")


def timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="requests per workload and round")
    args = parser.parse_args()
    name = f"fgt_bench_{os.getpid()}"
    print(f"loading the demo shop into PostgreSQL database {name} ...", file=sys.stderr)
    url = load_database(name)
    workdir = Path(tempfile.mkdtemp(prefix="fedgate-bench-"))
    port = free_port()
    process = start_fedgate(url, port, workdir)
    results: dict[str, dict[str, list[float]]] = {}
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        direct = psycopg.connect(f"host=127.0.0.1 port=5432 dbname={name} user=postgres")
        body = [{"label": f"row {i}", "amount": f"{i}.50"} for i in range(100)]

        def fedgate_call(method: str, path: str) -> Callable[[], object]:
            return lambda: client.request(method, path).raise_for_status()

        def direct_call(sql: str) -> Callable[[], object]:
            return lambda: direct.execute(sql).fetchall()

        def insert_fedgate() -> None:
            client.post("/rest/bench/bulk", json=body).raise_for_status()

        def insert_direct() -> None:
            with direct.cursor() as cur:
                cur.executemany(
                    "INSERT INTO bulk (label, amount) VALUES (%s, %s)",
                    [(r["label"], r["amount"]) for r in body],
                )
            direct.commit()

        calls: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            k: (fedgate_call(m, p), direct_call(sql)) for k, (m, p, sql) in WORKLOADS.items()
        }
        calls["e_bulk_insert_100"] = (insert_fedgate, insert_direct)
        # Calibration: the same HTTP client against an endpoint that touches no database.
        calls["z_healthz_http_only"] = (fedgate_call("GET", "/healthz"), lambda: None)
        for key, (via_fedgate, via_driver) in calls.items():
            timed(via_fedgate, 30)  # warm-up: plans, pools, caches
            timed(via_driver, 30)
            results[key] = {"fedgate": [], "direct": [], "fedgate_p99": [], "direct_p99": []}
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr)
            for key, (via_fedgate, via_driver) in calls.items():
                n = args.requests if not key.startswith("e_") else max(20, args.requests // 10)
                f, d = timed(via_fedgate, n), timed(via_driver, n)
                results[key]["fedgate"].append(pct(f, 0.5))
                results[key]["direct"].append(pct(d, 0.5))
                results[key]["fedgate_p99"].append(pct(f, 0.99))
                results[key]["direct_p99"].append(pct(d, 0.99))
        direct.close()
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(
        f"\n{time.strftime('%Y-%m-%d')} {platform.node()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.rounds} rounds x {args.requests} sequential requests"
    )
    print(
        "| workload | fedgate p50 ms | direct psycopg p50 ms | added p50 ms | fedgate p99 ms | direct p99 ms | fedgate req/s (1 client) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, r in results.items():
        f50, d50 = statistics.median(r["fedgate"]), statistics.median(r["direct"])
        f99, d99 = statistics.median(r["fedgate_p99"]), statistics.median(r["direct_p99"])
        print(
            f"| {key} | {f50:.2f} | {d50:.2f} | {f50 - d50:+.2f} | {f99:.2f} | {d99:.2f} | {1000 / f50:.0f} |"
        )


if __name__ == "__main__":
    main()
