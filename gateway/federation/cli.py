"""`fedgate sql "SELECT ..."` (the /sql surface on the command line) and
`fedgate federation trino-catalogs --out DIR` (Trino catalogs for every source)."""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from config.settings import Settings
from gateway.console import Console
from gateway.federation.cancel import CancelToken
from gateway.federation.limits import limits_from_settings
from gateway.federation.trino_catalogs import write_catalogs
from gateway.runtime import Runtime

if TYPE_CHECKING:
    from gateway.federation.result import Result

# The SQL engine (DuckDB, sqlglot, pyarrow) is imported by `fedgate sql` when it runs, so the
# other commands (`fedgate serve` among them) do not load it.

FEDERATION_COMMANDS = ("federation", "sql")
FORMATS = ("table", "csv", "json", "parquet")
AddCommand = Callable[[str, str], argparse.ArgumentParser]


def add_federation_commands(add: AddCommand) -> None:
    """Register `sql` and `federation` (`add(name, help)` returns a parser with --config)."""
    sql = add("sql", "Run one read-only SQL statement across sources (as POST /sql).")
    sql.add_argument("statement", help="the SQL text; name tables source.table")
    sql.add_argument(
        "--param", "-p", action="append", default=[], help="a value for ?, in order (JSON if valid)"
    )
    sql.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format")
    sql.add_argument("--out", "-o", metavar="FILE", help="write here (required for parquet)")
    sql.add_argument(
        "--explain", action="store_true", help="print the SQL per source and DuckDB's plan"
    )
    federation = add("federation", "The /sql surface: hand-off to Trino.")
    actions = federation.add_subparsers(dest="federation_command", required=True, metavar="ACTION")
    catalogs = actions.add_parser(
        "trino-catalogs",
        help="write a Trino catalog file (<source>.properties, mode 0600) per source",
    )
    catalogs.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    # Also accepted after the action; SUPPRESS keeps a value given before it.
    catalogs.add_argument(
        "--config", "-c", metavar="FILE", default=argparse.SUPPRESS, help="configuration file"
    )


def run_federation_command(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.command == "sql":
        return run_sql(args, settings, console)
    return write_trino_catalogs(args, settings, console)


def write_trino_catalogs(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Write the catalog files; names the files, never their content (it holds passwords)."""
    written = write_catalogs(settings, Path(args.out))
    for catalog, path in written:
        if path is None:
            console.warn(f"{catalog.source}: skipped, {catalog.skipped}")
        else:
            console.info(f"{catalog.source}: {path} (mode 0600: it holds the source's password)")
    return 0 if any(path for _, path in written) else 1


def run_sql(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Run the statement in-process as the operator (no API key: the CLI runs where the
    config and its secrets already are); a spinner shows on a terminal while it runs."""
    if args.format == "parquet" and not args.out:
        console.error("--format parquet needs --out FILE")
        return 2
    from gateway.federation.explain import explain_with_duckdb_plan
    from gateway.federation.service import SqlService

    params = [_param(text) for text in args.param]
    runtime = Runtime.from_settings(settings)
    if not runtime.cache.load_snapshot():
        runtime.cache.refresh()
    service = SqlService(runtime, limits_from_settings(settings))
    try:
        if args.explain:
            plan = service.plan(args.statement, params)
            described = explain_with_duckdb_plan(service, plan)
            _write(args.out, orjson.dumps(described, option=orjson.OPT_INDENT_2) + b"\n")
            return 0
        started = time.perf_counter()
        with console.progress("running"):
            result = service.run(args.statement, params, CancelToken())
        _write(args.out, _render(result, args.format, console))
        cut = " (truncated: federation.row_cap)" if result.truncated else ""
        console.info(f"{result.row_count} row(s) in {time.perf_counter() - started:.2f} s{cut}")
        return 0
    finally:
        service.close()
        for connector in runtime.connectors.values():
            connector.dispose()


def _param(text: str) -> object:
    """`-p 5` is the number 5, `-p null` null, `-p paid` (not JSON) the string."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _render(result: Result, form: str, console: Console) -> bytes:
    from gateway.federation import output

    if form == "csv":
        return b"".join(output.iter_csv(result))
    if form == "json":
        return output.json_body(result) + b"\n"
    if form == "parquet":
        return output.parquet_body(result)
    buffer = io.StringIO()
    rows = [["" if v is None else str(v) for v in row] for row in output.rendered_rows(result)]
    console.table([c.name for c in result.columns], rows, out=buffer)
    return buffer.getvalue().encode()


def _write(path: str | None, data: bytes) -> None:
    if path:
        Path(path).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
