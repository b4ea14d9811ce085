"""Command line: `python -m benchmarks.peers run|install|clean` (see the package docstring)."""

from __future__ import annotations

import argparse
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from benchmarks.peers import dataset, install, report, run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _versions(result_run: run.Run) -> dict[str, str | None]:
    import uvicorn

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        commit += "+uncommitted changes"
    wrk_line = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    with psycopg.connect(dataset.PG_ADMIN) as conn:
        pg = conn.execute("SHOW server_version").fetchone()
    return {
        "fedgate": f"0.1.0 @ {commit}",
        "python": platform.python_version(),
        "uvicorn": uvicorn.__version__,
        "postgresql": pg[0] if pg else None,
        "mariadb": run.maria_version(),
        "wrk": (wrk_line.stdout or wrk_line.stderr).split("[")[0].strip() or None,
        **result_run.versions,
    }


def _cmd_run(args: argparse.Namespace) -> int:
    options = run.Options(
        scale=args.scale,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        insert_connections=args.insert_connections,
        threads=args.threads,
        keep=args.keep,
        peers=not args.no_peers,
        mariadb=not args.no_mariadb,
        workloads=args.workloads,
    )
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result_run = run.execute(options)

    def _auth(name: str) -> str:
        server = result_run.servers.get(name)
        return server.key_kind if server else "not run"

    result = run.summary(result_run)
    versions = _versions(result_run)
    command = "python -m benchmarks.peers " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    notes = list(result_run.notes)
    for name, why in result_run.unavailable.items():
        notes.append(f"{name} unavailable: {why}")
    meta = {
        "date": started,
        "machine": report.machine(),
        "versions": versions,
        "versions_line": ", ".join(f"{k} {v}" for k, v in versions.items() if v),
        "command": command,
        "scale": options.scale,
        "connections": options.connections,
        "options": vars(options),
        "notes": notes,
        "method": (
            f"TPC-H SF {options.scale} (DuckDB tpch extension) in one PostgreSQL database shared by fedgate, "
            "PostGraphile and the psycopg floor; Directus reads its own copy (CREATE DATABASE … TEMPLATE). "
            f"Load: wrk -t{options.threads} -c{options.connections} (-c{options.insert_connections} for the "
            "bulk insert (g): Directus needs ~0.5 s per 100-row insert and 32 queued inserts outlast wrk's "
            f"10 s timeout) --timeout 10s, {options.duration:.0f} s per "
            f"measurement after a {options.warmup:.0f} s warm-up per cell, {options.rounds} rounds, systems "
            "interleaved within each workload (the first one rotating each round). Every answer was checked "
            "for equal rows before timing. fedgate: one uvicorn worker (uvloop, httptools), pool of "
            f"{run.systems.POOL_SIZE}, auth: {_auth('fedgate')}; PostGraphile: Amber preset, "
            f"auth: {_auth('postgraphile')}, pool {run.systems.POOL_SIZE}; Directus: auth: {_auth('directus')}, "
            f"cache and rate/pressure limiters off, pool {run.systems.POOL_SIZE}. CPU is the "
            "server process's CPU time over the measurement (100% = one core); database CPU is the CPU time of "
            "every PostgreSQL and MariaDB server process over the same measurement, per request (the work a "
            "system leaves to the database on the shared cores); RSS is the peak sampled during "
            "the cell (max over rounds). After every measurement the harness waits until the server's CPU is idle, "
            "so a backlog left by wrk never slows the next system. The 2-core machine is shared, so only ratios from one run mean much."
        ),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(out / "results.json", meta, result)
    report.chart(out / "results.png", meta, result)
    section = report.markdown(meta, result)
    if args.no_benchmarks_md:
        (out / "results.md").write_text(section)
    else:
        report.splice(ROOT / "BENCHMARKS.md", section)
    print(section)
    return 0


def _cmd_install(_: argparse.Namespace) -> int:
    print("node", install.ensure_node())
    print("postgraphile", install.ensure_peer(install.POSTGRAPHILE))
    print("directus", install.ensure_peer(install.DIRECTUS))
    return 0


def _cmd_clean(_: argparse.Namespace) -> int:
    pg, my = dataset.leftovers()
    for name in pg:
        dataset.drop_postgresql(name)
        print(f"dropped PostgreSQL database {name}")
    for name in my:
        dataset.drop_mariadb(name)
        print(f"dropped MariaDB database {name}")
    if not pg and not my:
        print(f"no unused {dataset.PREFIX}* databases left (databases in use are kept)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="load data, start every system, measure, report, clean up")
    go.add_argument("--scale", type=float, default=0.1, help="TPC-H scale factor (default 0.1)")
    go.add_argument(
        "--duration", type=float, default=10, help="seconds per measurement (default 10)"
    )
    go.add_argument("--warmup", type=float, default=3, help="warm-up seconds per cell (default 3)")
    go.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    go.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    go.add_argument(
        "--insert-connections", type=int, default=4, help="wrk connections for (g) (default 4)"
    )
    go.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    go.add_argument("--workloads", default="abcdefg", help="subset of workloads, e.g. 'ace'")
    go.add_argument("--keep", action="store_true", help="keep the databases after the run")
    go.add_argument("--no-peers", action="store_true", help="fedgate and the floor only")
    go.add_argument("--no-mariadb", action="store_true", help="skip loading MariaDB")
    go.add_argument("--out", default=str(HERE), help="folder for results.json and .png")
    go.add_argument(
        "--no-benchmarks-md",
        action="store_true",
        help="write the section to results.md instead of BENCHMARKS.md",
    )
    go.set_defaults(func=_cmd_run)
    sub.add_parser("install", help="install Node 22 and the peers into the cache").set_defaults(
        func=_cmd_install
    )
    sub.add_parser(
        "clean", help="drop leftover fgbench_* databases no one is connected to"
    ).set_defaults(func=_cmd_clean)
    args = parser.parse_args()
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
