"""One benchmark run: data, servers, equality checks, warm-up, interleaved rounds, clean-up.

Everything started is stopped in `finally` (also on Ctrl-C); the databases are
dropped at the end unless `keep` is set.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pymysql

from benchmarks.peers import dataset, install, systems, wrk
from benchmarks.peers.servers import RssSampler, Server, database_cpu_seconds
from benchmarks.peers.workloads import (
    FLOOR_SQL,
    SYSTEMS,
    WORKLOADS,
    Cell,
    canonical,
    cells,
    encode_path,
)

FLOOR_SYSTEMS = ("fedgate REST", "fedgate GraphQL", "PostGraphile", "Directus REST")


@dataclass
class Options:
    scale: float = 0.1
    duration: float = 10.0
    warmup: float = 3.0
    rounds: int = 3
    connections: int = 32
    threads: int = 2
    keep: bool = False
    peers: bool = True
    mariadb: bool = True
    workloads: str = "abcdefg"
    insert_connections: int = 4  # (g): Directus takes ~0.5 s per 100-row insert, serially


@dataclass
class Run:
    options: Options
    tag: str
    workdir: Path
    servers: dict[str, Server] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # server -> why
    status: dict[tuple[str, str], str] = field(default_factory=dict)  # cell -> n/a or error
    samples: dict[tuple[str, str], list[dict[str, float]]] = field(default_factory=dict)
    floor: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # VmHWM per server at the end

    @property
    def pg_db(self) -> str:
        return f"{self.tag}_pg"

    @property
    def directus_db(self) -> str:
        return f"{self.tag}_directus"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def execute(options: Options) -> Run:
    tag = f"{dataset.PREFIX}{time.strftime('%Y%m%d%H%M%S')}"
    run = Run(options=options, tag=tag, workdir=Path(tempfile.mkdtemp(prefix="fedgate-peers-")))
    if wrk.available() is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    created_pg: list[str] = []
    created_my: list[str] = []
    try:
        log(f"generating TPC-H SF {options.scale} with DuckDB")
        con = dataset.generate(options.scale)
        log(f"loading PostgreSQL database {run.pg_db}")
        created_pg.append(run.pg_db)
        dataset.load_postgresql(con, run.pg_db)
        if options.peers:
            created_pg.append(run.directus_db)
            dataset.clone_postgresql(run.pg_db, run.directus_db)
        if options.mariadb:
            log(f"loading MariaDB database {tag}")
            created_my.append(tag)
            dataset.load_mariadb(con, tag, list(dataset.TABLES))
        con.close()
        _start_servers(run)
        _check_cells(run)
        _measure(run)
    finally:
        for server in run.servers.values():
            if server.alive():
                run.peak_rss_mb[server.name] = server.peak_rss_bytes() / 2**20
            log(f"stopping {server.name} (pid {server.process.pid})")
            server.stop()
        if options.keep:
            log(f"keeping databases: PostgreSQL {created_pg}, MariaDB {created_my}")
        else:
            for name in created_pg:
                dataset.drop_postgresql(name)
            for name in created_my:
                dataset.drop_mariadb(name)
    return run


def _start_servers(run: Run) -> None:
    log("starting fedgate")
    run.servers["fedgate"] = systems.start_fedgate(run.pg_db, run.workdir)
    if not run.options.peers:
        run.unavailable["postgraphile"] = run.unavailable["directus"] = "peers skipped (--no-peers)"
        return
    try:
        run.versions["node"] = install.ensure_node()
    except (RuntimeError, OSError) as exc:
        run.unavailable["postgraphile"] = run.unavailable["directus"] = f"Node 22: {exc}"
        return
    for name, package, start, db in (
        ("postgraphile", install.POSTGRAPHILE, systems.start_postgraphile, run.pg_db),
        ("directus", install.DIRECTUS, systems.start_directus, run.directus_db),
    ):
        try:
            run.versions[name] = install.ensure_peer(package)
            log(f"starting {name} {run.versions[name]}")
            run.servers[name] = start(db, run.workdir)
        except (RuntimeError, OSError, httpx.HTTPError) as exc:
            log(f"{name} unavailable: {exc}")
            run.unavailable[name] = str(exc).splitlines()[0][:200]


def _fetch(server: Server, cell: Cell) -> httpx.Response:
    headers = {**server.headers, **cell.headers}
    return httpx.request(
        cell.method,
        server.base_url + encode_path(cell.path),
        headers=headers,
        content=cell.body,
        timeout=30,
    )


def _surface_missing(server: Server, cell: Cell) -> str | None:
    """fedgate's GraphQL and /sql surfaces are optional here: n/a when they do not answer."""
    if server.name != "fedgate" or cell.system == "fedgate REST":
        return None
    path = "/graphql" if cell.system == "fedgate GraphQL" else "/sql"
    # /sql gets an empty body (400, no SQL run): a probe query without tables would run in
    # DuckDB and load it into the process, which the measured single-source (f) never does.
    body = {"query": "{__typename}"} if path == "/graphql" else {}
    response = httpx.post(server.base_url + path, json=body, headers=server.headers, timeout=30)
    return "n/a (surface not present)" if response.status_code in (404, 405) else None


def _truncate_inserts(run: Run) -> None:
    for db in (run.pg_db, run.directus_db):
        if db == run.directus_db and "directus" not in run.servers:
            continue
        with psycopg.connect(dataset.pg_dsn(db), autocommit=True) as conn:
            conn.execute(f"TRUNCATE {dataset.INSERT_TABLE} RESTART IDENTITY")


def _check_cells(run: Run) -> None:
    """Fetch every cell once; keep for timing only the cells whose rows equal the reference."""
    reference: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for cell in cells():
        key = (cell.workload, cell.system)
        if cell.workload not in run.options.workloads:
            continue
        if cell.na:
            run.status[key] = cell.na
            continue
        if cell.server in run.unavailable:
            run.status[key] = f"n/a ({cell.server} unavailable)"
            continue
        server = run.servers[cell.server]
        missing = _surface_missing(server, cell)
        if missing:
            run.status[key] = missing
            continue
        response = _fetch(server, cell)
        if response.status_code >= 500:  # one retry: a transient failure must not drop a cell
            log(f"{cell.workload} {cell.system}: HTTP {response.status_code}, retrying once")
            time.sleep(1)
            response = _fetch(server, cell)
        if response.status_code >= 300:
            run.status[key] = f"error: HTTP {response.status_code}"
            log(f"{cell.workload} {cell.system}: HTTP {response.status_code} {response.text[:300]}")
            continue
        try:
            rows = canonical(cell.extract(orjson.loads(response.content)), cell.ordered)
        except (ValueError, KeyError, TypeError) as exc:
            run.status[key] = "error: unreadable answer"
            log(f"{cell.workload} {cell.system}: {exc}")
            continue
        if not rows:
            run.status[key] = "error: no rows"
            continue
        if cell.workload not in reference:
            reference[cell.workload] = (cell.system, rows)
        elif rows != reference[cell.workload][1]:
            ref_system, ref_rows = reference[cell.workload]
            run.status[key] = f"error: rows differ from {ref_system}"
            log(
                f"{cell.workload} {cell.system} differs from {ref_system}: {str(rows[0])[:300]} vs {str(ref_rows[0])[:300]}"
            )
            continue
        run.samples[key] = []
    with psycopg.connect(dataset.pg_dsn(run.pg_db), autocommit=True) as conn:
        for workload, sql in FLOOR_SQL.items():
            cur = conn.execute(sql)
            names = [d.name for d in cur.description or []]
            rows = canonical([dict(zip(names, r, strict=True)) for r in cur.fetchall()], True)
            if workload in reference and rows != reference[workload][1]:
                run.notes.append(
                    f"floor SQL for ({workload}) returned other rows than {reference[workload][0]}"
                )
    _truncate_inserts(run)
    for workload, system in sorted(run.samples):
        log(f"  ({workload}) {system}: same rows as {reference[workload][0]}")
    for (workload, system), why in sorted(run.status.items()):
        log(f"  ({workload}) {system}: {why}")
    log(f"equality checks done: {len(run.samples)} cells to time")


def _measure_cell(
    run: Run, cell: Cell, duration: float, connections: int, threads: int
) -> dict[str, float]:
    server = run.servers[cell.server]
    script = wrk.write_script(
        run.workdir,
        f"{cell.workload}_{cell.system.replace(' ', '_').replace('/', '')}",
        cell.method,
        {**server.headers, **cell.headers},
        cell.body,
    )
    cpu_before = server.cpu_seconds()
    db_before = database_cpu_seconds()
    with RssSampler(server) as rss:
        result = wrk.run(
            server.base_url + encode_path(cell.path),
            script,
            duration=duration,
            connections=connections,
            threads=threads,
        )
    cpu = server.cpu_seconds() - cpu_before
    db_cpu = database_cpu_seconds() - db_before
    seconds = result.duration_us / 1e6
    server.settle()  # let a backlog of requests wrk left behind drain before anything else runs
    if cell.workload == "g":
        _truncate_inserts(run)
    return {
        "rps": result.rps,
        "p50_ms": result.p50_us / 1000,
        "p99_ms": result.p99_us / 1000,
        "cpu_pct": 100 * cpu / seconds if seconds else 0.0,
        "cpu_ms_per_req": 1000 * cpu / result.requests if result.requests else 0.0,
        "db_ms_per_req": 1000 * db_cpu / result.requests if result.requests else 0.0,
        "rss_mb": rss.peak / 2**20,
        "requests": result.requests,
        "non2xx": result.non2xx,
        "errors": result.errors,
    }


def _floor_round(run: Run, duration: float) -> None:
    """One connection at a time (wrk -c1): fedgate and the peers against the same SQL through psycopg."""
    by_key = {(c.workload, c.system): c for c in cells()}
    with psycopg.connect(dataset.pg_dsn(run.pg_db), autocommit=True) as conn:
        for workload, sql in FLOOR_SQL.items():
            if workload not in run.options.workloads:
                continue
            for system in FLOOR_SYSTEMS:
                cell = by_key[(workload, system)]
                if (workload, system) not in run.samples:
                    continue
                sample = _measure_cell(run, cell, duration, 1, 1)
                series = run.floor.setdefault(f"{workload}|{system}", {"p50_ms": [], "p99_ms": []})
                series["p50_ms"].append(sample["p50_ms"])
                series["p99_ms"].append(sample["p99_ms"])
            times = sql_times(conn, sql, duration)
            series = run.floor.setdefault(f"{workload}|psycopg", {"p50_ms": [], "p99_ms": []})
            series["p50_ms"].append(times[len(times) // 2])
            series["p99_ms"].append(times[min(len(times) - 1, int(0.99 * len(times)))])


def sql_times(conn: psycopg.Connection[Any], sql: str, duration: float) -> list[float]:
    """Milliseconds of each run of `sql` (fetching every row) for `duration` s, sorted."""
    times = []
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def _connections(options: Options, cell: Cell) -> int:
    return options.insert_connections if cell.workload == "g" else options.connections


def _measure(run: Run) -> None:
    options = run.options
    timed = [c for c in cells() if (c.workload, c.system) in run.samples]
    log(f"warm-up: {options.warmup:.0f} s per cell")
    for cell in timed:
        _measure_cell(run, cell, options.warmup, _connections(options, cell), options.threads)
    for round_no in range(options.rounds):
        log(f"round {round_no + 1}/{options.rounds}")
        for workload in WORKLOADS:
            row = [c for c in timed if c.workload == workload]
            shift = round_no % max(1, len(row))
            for cell in row[shift:] + row[:shift]:  # rotate who goes first each round
                sample = _measure_cell(
                    run, cell, options.duration, _connections(options, cell), options.threads
                )
                run.samples[(cell.workload, cell.system)].append(sample)
                log(
                    f"  ({cell.workload}) {cell.system:17} {sample['rps']:8.1f} req/s  p50 {sample['p50_ms']:7.2f} ms"
                    f"  p99 {sample['p99_ms']:7.2f} ms  cpu {sample['cpu_pct']:5.1f}%"
                    f"  db {sample['db_ms_per_req']:.2f} ms/req"
                    + (f"  non2xx {sample['non2xx']:.0f}" if sample["non2xx"] else "")
                )
        _floor_round(run, max(2.0, options.duration / 2))


def summary(run: Run) -> dict[str, Any]:
    """Medians over rounds per cell, peak memory per server, ratios per pair."""
    cells_out: dict[str, dict[str, Any]] = {}
    for workload in WORKLOADS:
        for system in SYSTEMS:
            key = (workload, system)
            if run.samples.get(key):
                series = run.samples[key]
                med = {
                    m: statistics.median(s[m] for s in series)
                    for m in (
                        "rps",
                        "p50_ms",
                        "p99_ms",
                        "cpu_pct",
                        "cpu_ms_per_req",
                        "db_ms_per_req",
                    )
                    if all(m in s for s in series)
                }
                med["rss_mb"] = max(s["rss_mb"] for s in series)
                med["non2xx"] = sum(s["non2xx"] for s in series)
                med["errors"] = sum(s["errors"] for s in series)
                med["rps_runs"] = [round(s["rps"], 1) for s in series]
                cells_out[f"{workload}|{system}"] = med
            elif key in run.status:
                cells_out[f"{workload}|{system}"] = {"status": run.status[key]}
    floor = {
        k: {m: statistics.median(v) for m, v in series.items()} for k, series in run.floor.items()
    }
    return {"cells": cells_out, "floor": floor, "peak_rss_mb": run.peak_rss_mb}


def maria_version() -> str:
    server = pymysql.connect(**dataset.MARIADB)  # type: ignore[arg-type]
    try:
        with server.cursor() as cur:
            cur.execute("SELECT VERSION()")
            return str(cur.fetchone()[0])  # type: ignore[index]
    finally:
        server.close()
