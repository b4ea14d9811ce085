"""The `fedgate` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import orjson

from config.errors import FedgateError
from config.settings import Settings, SourceSettings
from config.urls import redact_url
from connectors.registry import build_connector
from gateway.auth.cli import AUTH_COMMANDS, add_auth_commands, run_auth_command
from gateway.auth.oauth.cli import CLIENT_COMMANDS, add_client_commands, run_client_command
from gateway.console import Console
from gateway.federation.cli import (
    FEDERATION_COMMANDS,
    add_federation_commands,
    run_federation_command,
)
from gateway.settings_source import load_settings, resolve_config_path

log = logging.getLogger("fedgate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedgate",
        description="Federated data-source gateway: REST, GraphQL and SQL over your databases.",
        epilog="Without --config, fedgate reads ./fedgate.yaml or $FEDGATE_CONFIG; "
        "with neither, it serves an embedded demo (SQLite 'shop' and DuckDB 'analytics').",
    )
    parser.add_argument("--version", action="version", version="fedgate 0.1.0")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", "-c", metavar="FILE", help="configuration file (YAML)")
        return sub

    serve = add("serve", "Run the gateway (the embedded demo when no config is given).")
    serve.add_argument("--host", help="interface to listen on (default: config, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: config, 8000)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes serving the port (default: config server.workers, 1); needs --config",
    )
    add("check", "Connect to every source; print dialect, server version and latency.")
    introspect = add("introspect", "Introspect one source and print its model.")
    introspect.add_argument("source", help="name of the source in the config")
    introspect.add_argument("--json", action="store_true", help="print the model as JSON")
    refresh = add("refresh", "Introspect sources again and update the persisted snapshot.")
    refresh.add_argument("source", nargs="?", help="only this source (default: all)")
    add_federation_commands(add)  # federation trino-catalogs
    add_auth_commands(add)  # db, keys, users, roles, audit
    add_client_commands(add)  # clients (OAuth integrations)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(sys.stderr)
    try:
        settings, is_demo = load_settings(args.config)
        if args.command == "serve":
            from gateway.serve import serve

            return serve(
                settings,
                is_demo=is_demo,
                host=args.host,
                port=args.port,
                log_level=args.log_level,
                console=console,
                workers=args.workers,
                config_path=None if is_demo else resolve_config_path(args.config),
            )
        if args.command == "check":
            return check(settings, console)
        if args.command == "introspect":
            return introspect(settings, args.source, as_json=args.json, console=console)
        if args.command in AUTH_COMMANDS:
            return run_auth_command(args, settings, console)
        if args.command in CLIENT_COMMANDS:
            return run_client_command(args, settings, console)
        if args.command in FEDERATION_COMMANDS:
            return run_federation_command(args, settings, console)
        return refresh(settings, args.source, console)
    except FedgateError as exc:
        console.error(exc.message)
        return 2
    except KeyboardInterrupt:
        return 130


def check(settings: Settings, console: Console) -> int:
    failures = 0
    rows = []
    for source in settings.sources:
        connector = build_connector(source)
        try:
            ping = connector.ping()
            rows.append(
                (source.name, ping.dialect, ping.server_version, f"{ping.latency_ms:.1f} ms", "ok")
            )
        except FedgateError as exc:
            failures += 1
            reason = str(getattr(exc, "reason", None) or exc.code)
            rows.append((source.name, connector.dialect, "-", "-", f"FAILED: {reason}"))
            log.debug("check %s (%s) failed", source.name, redact_url(source.url))
        finally:
            connector.dispose()
    console.table(("source", "dialect", "server", "latency", "status"), rows, out=sys.stdout)
    return 1 if failures else 0


def introspect(settings: Settings, name: str, *, as_json: bool, console: Console) -> int:
    from schema_cache.build import build_source
    from schema_cache.serialize import source_to_dict

    source_settings = _source_settings(settings, name)
    connector = build_connector(source_settings)
    try:
        with console.progress(f"introspecting {name}") as progress:
            record = connector.reflect(progress)
    finally:
        connector.dispose()
    source = build_source(name, record, settings.relationships)
    if as_json:
        sys.stdout.write(orjson.dumps(source_to_dict(source), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        return 0
    rows = [
        (
            source.path_name(t),
            t.kind,
            str(len(t.columns)),
            ",".join(t.primary_key) or "-",
            ", ".join(f"{r.name}({r.kind})" for r in t.relationships) or "-",
        )
        for t in source.tables
    ]
    console.table(
        ("table", "kind", "columns", "primary key", "relationships"), rows, out=sys.stdout
    )
    console.info(
        f"{name}: {record.dialect} {record.server_version}, {len(source.tables)} tables, "
        f"{record.round_trips} round trips, version {source.version}"
    )
    for warning in record.warnings:
        console.warn(warning)
    return 0


def refresh(settings: Settings, name: str | None, console: Console) -> int:
    from gateway.runtime import Runtime

    if name is not None:
        _source_settings(settings, name)
    runtime = Runtime.from_settings(settings)
    runtime.cache.load_snapshot()
    try:
        with console.progress("refreshing") as progress:
            report = runtime.cache.refresh([name] if name else None, progress=progress)
    finally:
        for connector in runtime.connectors.values():
            connector.dispose()
    for source_name in report.refreshed:
        state = runtime.cache.catalog.get_state(source_name)
        status = "changed" if source_name in report.changed else "unchanged"
        if source_name in report.failed:
            status = f"FAILED: {state.reason if state else 'unknown'}"
        console.info(f"{source_name}: {status}")
    console.info(f"snapshot: {settings.schema_cache.snapshot_path}")
    return 1 if report.failed else 0


def _source_settings(settings: Settings, name: str) -> SourceSettings:
    try:
        return settings.source(name)
    except KeyError:
        known = ", ".join(s.name for s in settings.sources)
        raise FedgateError(f"unknown source '{name}'; configured sources: {known}") from None


if __name__ == "__main__":
    sys.exit(main())
