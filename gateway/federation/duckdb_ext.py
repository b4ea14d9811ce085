"""DuckDB extensions loaded offline, by absolute path, from their PyPI packages.

The `duckdb-extension-<name>-scanner` wheels ship the official signed binaries under
`<package>/extensions/v<duckdb version>/<name>.duckdb_extension`; DuckDB derives the
entry point from the file name, so the canonical `*_scanner` names load directly.
Nothing is ever downloaded (`autoinstall_known_extensions=false`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.federation.errors import ExtensionMissingError

if TYPE_CHECKING:  # imported where a query runs: a pushdown never loads DuckDB (~37 MB)
    import duckdb

PACKAGES = {
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "mysql_scanner": "duckdb_extension_mysql_scanner",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
}
OFFLINE_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


@cache
def duckdb_version() -> str:
    """The installed DuckDB's version, read from its package metadata (no import)."""
    return importlib.metadata.version("duckdb")


@cache  # installed packages do not change while the gateway runs; find_spec scans sys.path
def extension_path(name: str) -> Path | None:
    """The extension file inside its installed package, or None when it is not installed."""
    package = PACKAGES.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "extensions" / f"v{duckdb_version()}" / f"{name}.duckdb_extension"
        if path.is_file():
            return path.resolve()
    return None


def has_extension(name: str) -> bool:
    return extension_path(name) is not None


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> Path:
    """LOAD the extension into the connection's database; raise naming the missing package."""
    path = extension_path(name)
    if path is None:
        package = PACKAGES.get(name, name).replace("_", "-")
        raise ExtensionMissingError(
            f"DuckDB extension '{name}' for DuckDB {duckdb_version()} is not installed: "
            f"pip install {package}=={duckdb_version()}"
        )
    literal = str(path).replace("'", "''")
    connection.execute(f"LOAD '{literal}'")
    return path
