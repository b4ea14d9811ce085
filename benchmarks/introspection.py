"""Introspection of a large database: fedgate against SQLAlchemy's MetaData.reflect().

Generates a throwaway PostgreSQL (or, with `--dialect mariadb`, MariaDB) database of N tables (20 columns each, keys, indexes,
comments, foreign keys between them), then, interleaved round by round with
a fresh connector or engine each time: fedgate's `reflect()` (records, with
its SQL round trips), `build_source()` on that record (model and
relationships), and `MetaData().reflect()`. Also reflects a second, smaller
database to show the round trips do not grow with the table count.

    .venv/bin/python -m benchmarks.introspection [--tables 2000] [--runs 5] [--keep] [--check]
    .venv/bin/python -m benchmarks.introspection --dialect mariadb [--tables 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg
import pymysql
import sqlalchemy as sa

from benchmarks.introspection_check import check_hand_written, compare_paths, report
from benchmarks.introspection_schema import create_tables, throwaway_database
from config.settings import SourceSettings
from connectors.base import Connector
from connectors.mariadb import MariaDBConnector
from connectors.postgresql import PostgreSQLConnector
from connectors.records import SourceRecord
from schema_cache.build import build_source

T = TypeVar("T")


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)

    def row(self, label: str) -> str:
        s = self.seconds
        return f"| {label} | {statistics.median(s):.3f} | {min(s):.3f} | {max(s):.3f} |"


def timed(action: Callable[[], T]) -> tuple[float, T]:
    gc.collect()  # garbage of the previous measurement is not charged to this one
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def fedgate_reflect(url: str) -> SourceRecord:
    settings = SourceSettings(name="bench", url=url)
    connector: Connector = (
        MariaDBConnector(settings) if url.startswith("mariadb") else PostgreSQLConnector(settings)
    )
    try:
        return connector.reflect()
    finally:
        connector.dispose()


def metadata_reflect(url: str) -> sa.MetaData:
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(bind=engine)
        return metadata
    finally:
        engine.dispose()


def time_fedgate(url: str, tables: int) -> dict[str, float]:
    reflect_s, record = timed(lambda: fedgate_reflect(url))
    assert len(record.tables) == tables, len(record.tables)
    build_s, _ = timed(lambda: build_source("bench", record))
    return {"fedgate": reflect_s, "build": build_s}


def time_metadata(url: str, tables: int) -> dict[str, float]:
    reflect_s, metadata = timed(lambda: metadata_reflect(url))
    assert len(metadata.tables) == tables, len(metadata.tables)
    return {"reflect": reflect_s}


def measure(url: str, runs: int, tables: int) -> dict[str, Samples]:
    samples = {
        name: Samples() for name in ("fedgate", "build", "total", "reflect", "ratio", "ratio_total")
    }
    for round_no in range(runs):
        # Alternate which side goes first, so neither always meets a warmer server.
        sides = (time_fedgate, time_metadata)
        seconds: dict[str, float] = {}
        for side in sides if round_no % 2 == 0 else reversed(sides):
            seconds.update(side(url, tables))
        seconds["total"] = seconds["fedgate"] + seconds["build"]
        seconds["ratio"] = seconds["reflect"] / seconds["fedgate"]
        seconds["ratio_total"] = seconds["reflect"] / seconds["total"]
        for name, value in seconds.items():
            samples[name].seconds.append(value)
        print(
            f"  round {round_no + 1}/{runs}: fedgate {seconds['fedgate']:.3f}s, "
            f"build_source {seconds['build']:.3f}s, MetaData.reflect {seconds['reflect']:.3f}s",
            file=sys.stderr,
        )
    return samples


def machine(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        server = conn.exec_driver_sql("SELECT version()").scalar()
        if engine.dialect.name == "postgresql":
            server = f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}"
    engine.dispose()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {os.cpu_count()} cores, {platform.platform()}, load average {load}",
        f"python {platform.python_version()}, sqlalchemy {sa.__version__}, "
        f"psycopg {psycopg.__version__}, pymysql {pymysql.__version__}, {server} (127.0.0.1)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.introspection", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tables", type=int, default=2000, help="tables in the large database")
    parser.add_argument("--small", type=int, default=200, help="tables in the small database")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases")
    parser.add_argument("--dialect", choices=["postgresql", "mariadb"], default="postgresql")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also compare pg_catalog records with the Inspector path's; exit 1 on a difference",
    )
    args = parser.parse_args(argv)
    if args.check and args.dialect != "postgresql":
        parser.error("--check compares the pg_catalog path: PostgreSQL only")
    ok = True
    with (
        throwaway_database(keep=args.keep, dialect=args.dialect) as large,
        throwaway_database(keep=args.keep, dialect=args.dialect) as small,
    ):
        print(f"generating {args.tables} + {args.small} tables", file=sys.stderr)
        create_tables(large, args.tables)
        create_tables(small, args.small)
        info = machine(large)
        small_record = fedgate_reflect(small)
        samples = measure(large, args.runs, args.tables)
        large_record = fedgate_reflect(large)
        print("\n".join(info))
        print(f"\n{args.runs} interleaved rounds, {args.tables} tables x 20 columns; seconds\n")
        print("| step | median | min | max |\n|---|---|---|---|")
        print(samples["fedgate"].row("fedgate `reflect()` (records)"))
        print(samples["build"].row("fedgate `build_source()` (model + relationships)"))
        print(samples["total"].row("fedgate total: `reflect()` + `build_source()` (served model)"))
        print(samples["reflect"].row("SQLAlchemy `MetaData().reflect()`"))
        for key, label in (("fedgate", "fedgate reflect"), ("total", "fedgate total")):
            ratio = statistics.median(samples["reflect"].seconds) / statistics.median(
                samples[key].seconds
            )
            per_round = samples["ratio" if key == "fedgate" else "ratio_total"].seconds
            print(
                f"MetaData.reflect / {label}: {ratio:.1f}x (ratio of medians; "
                f"per round {min(per_round):.1f}x to {max(per_round):.1f}x)"
            )
        print(
            f"SQL round trips: {large_record.round_trips} at {len(large_record.tables)} tables, "
            f"{small_record.round_trips} at {len(small_record.tables)} tables"
        )
        if args.check:
            results = [
                compare_paths(f"generated ({args.tables} tables)", SourceSettings("bench", large))
            ]
            ok = report(results + check_hand_written())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
