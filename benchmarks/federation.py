"""/sql fetch routes: rows per second from each source through each route fedgate uses.

Creates a throwaway PostgreSQL database and MariaDB database on loopback with the same
table (`orders`: bigint, int, date, numeric(12,2), two texts; N rows generated server-side),
plus SQLite and DuckDB files with the same rows. Each round fetches the whole table once
through every route, in fedgate's own code (the fragment SQL it generates, the fetch
function it calls, decimals conformed to numeric(12,2)), interleaved round by round:

- postgres_scanner: DuckDB's postgres extension over the ATTACHed database -> Arrow
- connectorx: MariaDB -> Arrow (one partition), conformed to the catalog's types
- driver: SQLAlchemy -> Arrow batches (the generic fallback), on both servers
- sqlite_scanner: the SQLite file ATTACHed to DuckDB; duckdb_native: the DuckDB file through
  the connector's own connection
- baseline: the same SELECT through the bare DB-API driver (psycopg / PyMySQL fetchall)

Prints the median rows/s per route and its ratio to the driver baseline of its database.
The databases are dropped at the end.

    .venv/bin/python -m benchmarks.federation [--rows 300000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pymysql
import sqlalchemy as sa

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from gateway.federation.cancel import CancelToken
from gateway.federation.engine import DuckEngine
from gateway.federation.fragment_reads import fetch_driver
from gateway.federation.limits import FederationLimits
from gateway.federation.plan import Fragment, Route
from gateway.federation.resolve import Binding, TableName
from gateway.federation.sqlgen import render_duckdb
from gateway.runtime import Runtime

PG_ADMIN = os.environ.get(
    "FEDGATE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN = os.environ.get("FEDGATE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")
COLUMNS = "id, customer_id, ordered_at, amount, status, note"


def create_databases(name: str, rows: int, tmp: Path) -> tuple[str, str]:
    pg_admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg_url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    pg = sa.create_engine(pg_url)
    with pg.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL, "
            "ordered_at date NOT NULL, amount numeric(12,2) NOT NULL, status text NOT NULL, note text)"
        )
        conn.exec_driver_sql(
            "INSERT INTO orders SELECT i, mod(i, 1000), DATE '2024-01-01' + mod(i, 365)::int, "
            "mod(i, 100000) / 100.0, (ARRAY['paid','shipped','new'])[1 + mod(i, 3)], 'note ' || i "
            f"FROM generate_series(1, {rows}) AS i"
        )
        conn.exec_driver_sql("ANALYZE orders")
    pg.dispose()
    maria_admin = sa.create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
    with maria_admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        conn.exec_driver_sql(f"USE `{name}`")  # seq_1_to_N (MariaDB's sequence engine) needs one
        conn.exec_driver_sql(
            f"CREATE TABLE `{name}`.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, "
            "ordered_at date NOT NULL, amount decimal(12,2) NOT NULL, status varchar(20) NOT NULL, "
            "note varchar(40))"
        )
        conn.exec_driver_sql(
            f"INSERT INTO `{name}`.orders SELECT seq, MOD(seq, 1000), DATE '2024-01-01' + INTERVAL "
            "MOD(seq, 365) DAY, MOD(seq, 100000) / 100.0, ELT(1 + MOD(seq, 3), 'paid', 'shipped', 'new'), "
            f"CONCAT('note ', seq) FROM seq_1_to_{rows}"
        )
    maria_url = sa.make_url(MARIADB_ADMIN).set(database=name).render_as_string(hide_password=False)
    duck = duckdb.connect(str(tmp / "bench.duckdb"))
    duck.execute(
        "CREATE TABLE orders AS SELECT i::BIGINT AS id, (i % 1000)::INTEGER AS customer_id, "
        "DATE '2024-01-01' + (i % 365)::INTEGER AS ordered_at, "
        "((i % 100000) / 100.0)::DECIMAL(12,2) AS amount, "
        "['paid','shipped','new'][1 + (i % 3)::INTEGER] AS status, 'note ' || i AS note "
        f"FROM range(1, {rows + 1}) AS r(i)"
    )
    duck.execute(f"COPY orders TO '{tmp / 'bench.csv'}' (HEADER)")
    duck.close()
    lite = sqlite3.connect(tmp / "bench.sqlite")
    lite.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
        "ordered_at DATE NOT NULL, amount DECIMAL(12,2) NOT NULL, status TEXT NOT NULL, note TEXT)"
    )
    with open(tmp / "bench.csv", encoding="utf-8") as handle:
        next(handle)
        lite.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)",
            (line.rstrip("\n").split(",") for line in handle),
        )
    lite.commit()
    lite.close()
    return pg_url, maria_url


def drop_databases(name: str) -> None:
    pg_admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    maria_admin = sa.create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
    with maria_admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def fragment_of(runtime: Runtime, source: str, route: Route) -> Fragment:
    model = runtime.cache.catalog.get_source(source)
    assert model is not None
    table = model.get_table("orders")
    assert table is not None
    binding = Binding(TableName(source, table.schema, table.name), model, table)
    return Fragment("__frag_1", "o", binding, route, table.columns)


def route_runners(
    runtime: Runtime, engine: DuckEngine, limits: FederationLimits
) -> dict[str, Callable[[], int]]:
    def scanner(source: str, route: Route) -> Callable[[], int]:
        fragment = fragment_of(runtime, source, route)

        def run() -> int:
            with engine.session([fragment.binding]) as session:
                sql, params = render_duckdb(fragment.build(session.aliases[source]), {})
                return int(session.cursor.execute(sql, params).to_arrow_table().num_rows)

        return run

    def fetched(source: str, route: Route) -> Callable[[], int]:
        fragment = fragment_of(runtime, source, route)
        return lambda: int(fetch_driver(engine, fragment, {}, limits, CancelToken(), None).num_rows)

    pg_url = runtime.settings.source("pg").url
    maria_url = sa.make_url(runtime.settings.source("maria").url)

    def psycopg_baseline() -> int:
        dsn = sa.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            return len(conn.execute(f"SELECT {COLUMNS} FROM orders").fetchall())

    def pymysql_baseline() -> int:
        conn = pymysql.connect(host=maria_url.host, port=maria_url.port or 3306,
                               user=maria_url.username, password=maria_url.password or "",
                               database=maria_url.database)  # fmt: skip
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"SELECT {COLUMNS} FROM orders")
                return len(cursor.fetchall())
        finally:
            conn.close()

    return {
        "pg baseline: psycopg fetchall": psycopg_baseline,
        "pg postgres_scanner -> Arrow": scanner("pg", "postgres_scanner"),
        "pg driver (SQLAlchemy -> Arrow)": fetched("pg", "driver"),
        "mariadb baseline: PyMySQL fetchall": pymysql_baseline,
        "mariadb connectorx -> Arrow (conformed)": fetched("maria", "connectorx"),
        "mariadb mysql_scanner -> Arrow": scanner("maria", "mysql_scanner"),
        "mariadb driver (SQLAlchemy -> Arrow)": fetched("maria", "driver"),
        "sqlite sqlite_scanner -> Arrow": scanner("lite", "sqlite_scanner"),
        "duckdb native -> Arrow": fetched("duck", "duckdb_native"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        name = f"fgfed_{uuid.uuid4().hex[:8]}"  # not fgbench_: the peers benchmark owns that prefix
        try:
            pg_url, maria_url = create_databases(name, args.rows, tmp)
            settings = Settings(
                sources=(
                    SourceSettings("pg", pg_url),
                    SourceSettings("maria", maria_url),
                    SourceSettings("lite", f"sqlite:///{tmp / 'bench.sqlite'}"),
                    SourceSettings("duck", f"duckdb:///{tmp / 'bench.duckdb'}"),
                ),
                schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
            )
            runtime = Runtime.from_settings(settings)
            runtime.cache.refresh()
            limits = FederationLimits(temp_directory=tmp / "spill")
            engine = DuckEngine(runtime.connectors, limits)
            runners = route_runners(runtime, engine, limits)
            timings: dict[str, list[float]] = {label: [] for label in runners}
            for _ in range(args.rounds):
                for label, run in runners.items():
                    started = time.perf_counter()
                    count = run()
                    timings[label].append(time.perf_counter() - started)
                    assert count == args.rows, (label, count)
            engine.close()
            for connector in runtime.connectors.values():
                connector.dispose()
        finally:
            drop_databases(name)
    print(f"# {args.rows:,} rows x 6 columns, {args.rounds} rounds, median; "
          f"{platform.python_version()}, duckdb {duckdb.__version__}, {os.cpu_count()} CPUs")  # fmt: skip
    print("| route | median s | rows/s | vs driver baseline |\n|---|---:|---:|---:|")
    baselines = {
        "pg": "pg baseline: psycopg fetchall",
        "mariadb": "mariadb baseline: PyMySQL fetchall",
    }
    for label, values in timings.items():
        median = statistics.median(values)
        base = baselines.get(label.split()[0])
        ratio = statistics.median(timings[base]) / median if base else None
        shown = f"{ratio:.1f}x" if ratio else "-"
        print(f"| {label} | {median:.3f} | {args.rows / median:,.0f} | {shown} |")


if __name__ == "__main__":
    main()
