"""REST latency on PostgreSQL: fedgate against the same SQL run directly through psycopg.

Loads the demo shop (200 customers, 1,500 orders, ~3,800 items) into a
throwaway PostgreSQL database, records the exact SQL and parameters fedgate
sends for each workload (one in-process request each), starts `fedgate serve`
(one uvicorn worker) on a loopback port, and measures, interleaved round by
round, each workload through fedgate (HTTP, one sequential keep-alive connection:
`--client raw`, the default, sends bytes over a socket (benchmarks/raw_http.py) so
the figure is the server's; `--client httpx` adds httpx's own time) and
the recorded SQL through a direct psycopg connection (the floor: reads in
autocommit as fedgate's, the insert in one transaction as fedgate's). Prints
medians of per-round p50/p99. The database is dropped at the end.

    .venv/bin/python -m benchmarks.rest_latency [--rounds 5] [--requests 200] [--client raw|httpx]
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
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from starlette.testclient import TestClient

from benchmarks.raw_http import RawClient
from config.loader import load_settings
from gateway.app import create_app
from gateway.demo import ensure_demo

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORKLOADS: dict[str, str] = {
    # name: fedgate path (GET); the floor runs the SQL fedgate sends for it
    "a_list_100": "/rest/bench/customers?limit=100&order=id",
    "b_filter_order_limit": "/rest/bench/orders?status=eq.paid&total=gt.100&order=total.desc&limit=50",
    "c_embed_20": "/rest/bench/orders?select=id,total,customer(id,name),"
    "order_items(line_no,quantity,unit_price)&order=id&limit=20",
    "d_by_pk": "/rest/bench/customers/42",
}
BULK_PATH = "/rest/bench/bulk"
BULK_BODY = [{"label": f"row {i}", "amount": f"{i}.50"} for i in range(100)]
Statements = list[tuple[str, Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_database(name: str) -> str:
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def load_database(url: str) -> None:
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


def write_config(url: str, workdir: Path) -> Path:
    config = workdir / "fedgate.yaml"
    config.write_text(
        f"sources:\n  - name: bench\n    url: {url}\n    pool_size: 4\n"
        f"schema_cache:\n  snapshot_path: {workdir / 'snap.json'}\n"
        # The REST path alone: no credential check (auth is on by default).
        "auth:\n  enabled: false\n"
    )
    return config


def record_statements(config: Path) -> dict[str, Statements]:
    """The SQL and parameters fedgate sends for each workload (in-process, once each)."""
    app = create_app(load_settings(config), background_refresh=False)
    recorded: dict[str, Statements] = {}
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        engines = app.state.runtime.connectors["bench"].engines()
        requests: list[tuple[str, str, str, object]] = [
            (k, "GET", p, None) for k, p in WORKLOADS.items()
        ]
        requests.append(("e_bulk_insert_100", "POST", BULK_PATH, BULK_BODY))
        for key, method, path, body in requests:
            client.request(method, path, json=body).raise_for_status()  # compile, warm up
            statements: Statements = []

            def record(*args: Any, into: Statements = statements) -> None:
                into.append((args[2], args[3]))

            for engine in engines:
                sa.event.listen(engine, "before_cursor_execute", record)
            try:
                client.request(method, path, json=body).raise_for_status()
            finally:
                for engine in engines:
                    sa.event.remove(engine, "before_cursor_execute", record)
            recorded[key] = statements
    return recorded


def start_fedgate(config: Path, port: int) -> subprocess.Popen[bytes]:
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
    return wait_ready(process, port, 60, "fedgate")


def wait_ready(
    process: subprocess.Popen[bytes], port: int, seconds: float, what: str
) -> subprocess.Popen[bytes]:
    """`process` once its /readyz answers 200; killed (and the run ended) after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{what} did not become ready")


def run_header(info: str) -> str:
    """The first line of a benchmark's report: when, on how many cores, at what load, with what."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"\n{when}, {os.cpu_count()} cores, load average {load}; {info}"


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


def versions(url: str) -> str:
    import starlette
    import uvicorn

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        server = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return (
        f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}, psycopg "
        f"{psycopg.__version__}, starlette {starlette.__version__}, uvicorn {uvicorn.__version__}, "
        f"httpx {httpx.__version__}, PostgreSQL {server} (127.0.0.1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="requests per workload and round")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: bytes over one socket (the server's latency); httpx: adds the client's own",
    )
    args = parser.parse_args()
    name = f"fgt_bench_{os.getpid()}_{int(time.time())}"
    print(f"loading the demo shop into PostgreSQL database {name} ...", file=sys.stderr)
    url = create_database(name)
    results: dict[str, dict[str, list[float]]] = {}
    process: subprocess.Popen[bytes] | None = None
    try:
        load_database(url)
        config = write_config(url, Path(tempfile.mkdtemp(prefix="fedgate-bench-")))
        recorded = record_statements(config)
        port = free_port()
        process = start_fedgate(config, port)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        raw = RawClient("127.0.0.1", port)
        # Autocommit as fedgate's reads; the insert's statements run in one transaction.
        direct = psycopg.connect(
            f"host=127.0.0.1 port=5432 dbname={name} user=postgres", autocommit=True
        )

        def fedgate_call(method: str, path: str, body: object = None) -> Callable[[], object]:
            if args.client == "raw":
                request = raw.request_bytes(method, path, body)
                return lambda: raw.send(request)
            return lambda: client.request(method, path, json=body).raise_for_status()

        def direct_read(statements: Statements) -> Callable[[], object]:
            def run() -> None:
                for sql, params in statements:
                    direct.execute(sql, params).fetchall()

            return run

        def direct_write(statements: Statements) -> Callable[[], object]:
            def run() -> None:
                with direct.transaction():
                    for sql, params in statements:
                        direct.execute(sql, params)

            return run

        calls: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            k: (fedgate_call("GET", p), direct_read(recorded[k])) for k, p in WORKLOADS.items()
        }
        calls["e_bulk_insert_100"] = (
            fedgate_call("POST", BULK_PATH, BULK_BODY),
            direct_write(recorded["e_bulk_insert_100"]),
        )
        # Calibration: the same HTTP client against an endpoint that touches no database.
        calls["z_healthz_http_only"] = (fedgate_call("GET", "/healthz"), lambda: None)
        for key, (via_fedgate, via_driver) in calls.items():
            timed(via_fedgate, 30)  # warm-up: plans, pools, prepared statements, caches
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
        raw.close()
        info = versions(url)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        drop_database(name)
    print(
        run_header(info) + f"\n{args.rounds} rounds x {args.requests} sequential "
        f"requests with the {args.client} client "
        "(bulk insert: a tenth); statements fedgate sent per request: "
        + ", ".join(f"{k} {len(v)}" for k, v in recorded.items())
    )
    print(
        "| workload | fedgate p50 ms | direct psycopg p50 ms | added p50 ms | fedgate p99 ms "
        "| direct p99 ms | fedgate req/s (1 client) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, r in results.items():
        f50, d50 = statistics.median(r["fedgate"]), statistics.median(r["direct"])
        f99, d99 = statistics.median(r["fedgate_p99"]), statistics.median(r["direct_p99"])
        print(
            f"| {key} | {f50:.2f} | {d50:.2f} | {f50 - d50:+.2f} | {f99:.2f} | {d99:.2f} "
            f"| {1000 / f50:.0f} |"
        )


if __name__ == "__main__":
    main()
