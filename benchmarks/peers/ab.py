"""fedgate checkouts side by side on the peers' TPC-H workloads, one connection at a time.

The p50 goal of the peers benchmark (fedgate within 1 ms of the same SQL through
psycopg, `wrk -c1`) as a same-session before/after: each checkout is started as
`fedgate serve` (`systems.start_fedgate`: one worker, API key) on one
PostgreSQL database of TPC-H SF 0.1, and rounds alternate which checkout goes first;
each round also times the floor SQL through one psycopg connection. Prints, per
workload and checkout, the median over rounds of wrk's p50, requests/s and the
server's CPU per request. The database is loaded once and kept (`--drop` removes it).

    git worktree add /tmp/before <commit>
    .venv/bin/python -m benchmarks.peers.ab /tmp/before . [--rounds 5] [--seconds 3]
        [--workloads ra,re,ga,ge] [--connections 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import psycopg

from benchmarks.peers import dataset, wrk
from benchmarks.peers.run import sql_times
from benchmarks.peers.servers import Server
from benchmarks.peers.systems import start_fedgate
from benchmarks.peers.workloads import FLOOR_SQL, Cell, cells

DATABASE = "fgbench_ab_pg"
SURFACES = {"r": "fedgate REST", "g": "fedgate GraphQL"}


def _cell(name: str) -> Cell:
    """`ra` is (a) through REST, `ge` (e) through GraphQL, and so on."""
    wanted = (name[1], SURFACES[name[0]])
    return next(c for c in cells() if (c.workload, c.system) == wanted)


def _start(checkout: Path, index: int) -> tuple[Server, Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"fedgate-ab{index}-"))
    return start_fedgate(DATABASE, folder, checkout), folder


def _floor(
    samples: dict[tuple[str, str], list[tuple[float, float, float]]], seconds: float
) -> None:
    with psycopg.connect(dataset.pg_dsn(DATABASE), autocommit=True) as conn:
        for workload, sql in FLOOR_SQL.items():
            times = sql_times(conn, sql, seconds)
            samples.setdefault((f"psycopg {workload}", "-"), []).append(
                (times[len(times) // 2], 0, 0)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path, help="fedgate checkouts to compare")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3, help="per workload, checkout, round")
    parser.add_argument("--workloads", default="ra,re,ga,ge", help="r/g (REST/GraphQL) + a-e")
    parser.add_argument("--connections", type=int, default=1, help="wrk connections (load)")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    options = parser.parse_args()
    with psycopg.connect(dataset.PG_ADMIN, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        loaded = found.fetchone() is not None
    if not loaded:
        print("loading TPC-H SF 0.1 into PostgreSQL", flush=True)
        dataset.load_postgresql(dataset.generate(0.1), DATABASE)
    workloads = [(name, _cell(name)) for name in options.workloads.split(",")]
    servers: list[tuple[Path, Server, Path]] = []
    samples: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    try:
        for index, checkout in enumerate(options.checkouts):
            servers.append((checkout, *_start(checkout.resolve(), index)))
        for round_ in range(options.rounds):
            order = servers if round_ % 2 == 0 else servers[::-1]
            for name, cell in workloads:
                for checkout, server, folder in order:
                    headers = {**server.headers, **cell.headers}
                    script = wrk.write_script(folder, name, cell.method, headers, cell.body)
                    cpu = server.cpu_seconds()
                    result = wrk.run(
                        server.base_url + cell.path,
                        script,
                        duration=options.seconds,
                        connections=options.connections,
                        threads=1,
                    )
                    if result.non2xx or result.errors:
                        raise SystemExit(f"{name} on {checkout}: failed requests")
                    per_request = (server.cpu_seconds() - cpu) / max(result.requests, 1) * 1000
                    sample = (result.p50_us / 1000, result.rps, per_request)
                    samples.setdefault((name, str(checkout)), []).append(sample)
            _floor(samples, 2.0)
            print(f"round {round_ + 1}: load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        for _, server, _ in servers:
            server.stop()
        if options.drop:
            dataset.drop_postgresql(DATABASE)
    for (name, checkout), values in sorted(samples.items()):
        p50 = statistics.median(v[0] for v in values)
        rps = statistics.median(v[1] for v in values)
        cpu = statistics.median(v[2] for v in values)
        rounds = " ".join(f"{v[0]:.2f}" for v in values)
        print(
            f"{name:10} {checkout:24} p50 {p50:.3f} ms  {rps:7.0f} req/s  {cpu:.3f} ms CPU/req  ({rounds})"
        )


if __name__ == "__main__":
    main()
