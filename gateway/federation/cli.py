"""`fedgate federation trino-catalogs --out DIR`: Trino catalogs for every configured source."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings
from gateway.console import Console
from gateway.federation.trino_catalogs import write_catalogs

FEDERATION_COMMANDS = ("federation",)
AddCommand = Callable[[str, str], argparse.ArgumentParser]


def add_federation_commands(add: AddCommand) -> None:
    """Register `federation` (`add(name, help)` returns a parser with --config)."""
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
    """Write the catalog files; names the files, never their content (it holds passwords)."""
    written = write_catalogs(settings, Path(args.out))
    for catalog, path in written:
        if path is None:
            console.warn(f"{catalog.source}: skipped, {catalog.skipped}")
        else:
            console.info(f"{catalog.source}: {path} (mode 0600: it holds the source's password)")
    return 0 if any(path for _, path in written) else 1
