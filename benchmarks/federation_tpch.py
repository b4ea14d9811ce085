"""TPC-H through /sql, federated over three databases, against all tables local in DuckDB.

Generates TPC-H at the given scale factor with DuckDB's tpch extension, copies the tables
to a throwaway PostgreSQL database (lineitem, orders), MariaDB database (customer,
nation, region, supplier) and SQLite file (part, partsupp) on loopback, analyzes them
(planner statistics, as a database in use has them), and runs the 22
queries, tables qualified by source, through fedgate's SQL service (parse, plan, fetch,
join in DuckDB; no HTTP). The floor runs the same 22 official queries on the in-memory
DuckDB that holds every table. Interleaved, query by query, for each round; the
federated answers are checked against the floor's. Prints per-query medians and totals.

With `--cache`, a third column: the same statements through a service with the fragment
cache on (`federation.cache`), primed by one pass of the 22 queries before the rounds, so
every read is served from the cache (data up to the TTL old); the cold column keeps the
cache off, and a fourth column times the cache's miss path (the same service with
`Cache-Control: no-cache`: every read from the sources, each entry replaced).

    .venv/bin/python -m benchmarks.federation_tpch [--sf 0.1] [--rounds 3] [--cache]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from gateway.federation.cancel import CancelToken
from gateway.federation.limits import FederationLimits
from gateway.federation.service import SqlService
from gateway.runtime import Runtime
from tests.federation.test_tpch import load_sources, qualified, tpch_connection
from tests.live import mariadb_databases, postgresql_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", action="store_true", help="also time a warm fragment cache")
    args = parser.parse_args()
    con = tpch_connection(args.sf)
    queries = con.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY 1").fetchall()
    local: dict[int, list[float]] = {nr: [] for nr, _ in queries}
    federated: dict[int, list[float]] = {nr: [] for nr, _ in queries}
    warm: dict[int, list[float]] = {nr: [] for nr, _ in queries}
    missed: dict[int, list[float]] = {nr: [] for nr, _ in queries}
    with (
        tempfile.TemporaryDirectory() as directory,
        postgresql_database() as pg_url,
        mariadb_databases() as (maria_url, _names),
    ):
        tmp = Path(directory)
        started = time.perf_counter()
        load_sources(con, pg_url, maria_url, tmp / "lite.sqlite")
        print(
            f"# loaded SF {args.sf} into PostgreSQL, MariaDB, SQLite in {time.perf_counter() - started:.1f} s"
        )
        settings = Settings(
            sources=(
                SourceSettings("pg", pg_url),
                SourceSettings("maria", maria_url),
                SourceSettings("lite", f"sqlite:///{tmp / 'lite.sqlite'}"),
            ),
            schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
        )
        runtime = Runtime.from_settings(settings)
        runtime.cache.refresh()
        service = SqlService(
            runtime, FederationLimits(temp_directory=tmp / "spill", statement_timeout_s=600)
        )
        cached = SqlService(
            runtime,
            FederationLimits(
                temp_directory=tmp / "spill", statement_timeout_s=600, cache_ttl_s=86_400
            ),
        )
        try:
            if args.cache:
                started = time.perf_counter()
                for _nr, query in queries:
                    cached.run(qualified(query), [], CancelToken())
                primed = time.perf_counter() - started
                size = cached.fragments.size / 2**20
                print(f"# primed the cache in {primed:.2f} s: {size:.1f} MiB (estimated)")
            for _ in range(args.rounds):
                for nr, query in queries:
                    started = time.perf_counter()
                    floor = con.execute(query).fetchall()
                    local[nr].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    result = service.run(qualified(query), [], CancelToken())
                    federated[nr].append(time.perf_counter() - started)
                    assert result.row_count == len(floor), (nr, result.row_count, len(floor))
                    if args.cache:
                        started = time.perf_counter()
                        cached.run(qualified(query), [], CancelToken(), fresh=True)
                        missed[nr].append(time.perf_counter() - started)
                        started = time.perf_counter()
                        result = cached.run(qualified(query), [], CancelToken())
                        warm[nr].append(time.perf_counter() - started)
                        assert result.trace["cache"]["miss"] == 0, (nr, result.trace["cache"])
                        assert result.row_count == len(floor), (nr, result.row_count)
        finally:
            cached.close()
            service.close()
            for connector in runtime.connectors.values():
                connector.dispose()
    print(f"# TPC-H SF {args.sf}, {args.rounds} rounds, medians; Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs")  # fmt: skip
    if not args.cache:
        print("| query | local DuckDB s | federated s | ratio |\n|---|---:|---:|---:|")
    else:
        print("| query | local DuckDB s | federated s (no cache) | ratio | cache on, all misses s "
              "| ratio | cache on, warm s | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    totals = [0.0, 0.0, 0.0, 0.0]
    for nr, _ in queries:
        floor, fed = statistics.median(local[nr]), statistics.median(federated[nr])
        row = f"| Q{nr} | {floor:.3f} | {fed:.3f} | {fed / floor:.1f}x |"
        totals[0] += floor
        totals[1] += fed
        if args.cache:
            miss, hot = statistics.median(missed[nr]), statistics.median(warm[nr])
            totals[2] += miss
            totals[3] += hot
            row += f" {miss:.3f} | {miss / floor:.1f}x | {hot:.3f} | {hot / floor:.1f}x |"
        print(row)
    floor_total, fed_total, miss_total, warm_total = totals
    row = f"| total | {floor_total:.3f} | {fed_total:.3f} | {fed_total / floor_total:.1f}x |"
    if args.cache:
        row += f" {miss_total:.3f} | {miss_total / floor_total:.1f}x |"
        row += f" {warm_total:.3f} | {warm_total / floor_total:.1f}x |"
    print(row)


if __name__ == "__main__":
    main()
