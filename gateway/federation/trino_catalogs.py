"""Trino catalog property files, one per configured source (catalog name = source name).

The files hold the sources' passwords (Trino reads them from there): they are written
with mode 0600, and nothing here logs their content.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from config.settings import Settings, SourceSettings
from config.urls import url_scheme

FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One source's catalog: its properties, or why Trino cannot reach it."""

    source: str
    properties: dict[str, str]
    skipped: str | None = None

    def render(self) -> str:
        lines = [f"{key}={_escape(value)}" for key, value in self.properties.items()]
        return "\n".join(lines) + "\n"


def build_catalog(source: SourceSettings) -> CatalogFile:
    """Trino connector properties for a source URL (pure)."""
    scheme = url_scheme(source.url).split("+")[0]
    url = sa.make_url(source.url)
    host, port, database = url.host or "localhost", url.port, url.database or ""
    credentials = {"connection-user": url.username or "", "connection-password": url.password or ""}
    if scheme == "postgresql":
        jdbc = f"jdbc:postgresql://{host}:{port or 5432}/{database}"
        return CatalogFile(
            source.name, {"connector.name": "postgresql", "connection-url": jdbc, **credentials}
        )
    if scheme in ("mysql", "mariadb"):
        # Trino's MySQL/MariaDB catalogs list every database as a schema: no database in the URL.
        jdbc = f"jdbc:{scheme}://{host}:{port or 3306}"
        return CatalogFile(
            source.name, {"connector.name": scheme, "connection-url": jdbc, **credentials}
        )
    if scheme == "mssql":
        jdbc = f"jdbc:sqlserver://{host}:{port or 1433};databaseName={database};encrypt=false"
        return CatalogFile(
            source.name, {"connector.name": "sqlserver", "connection-url": jdbc, **credentials}
        )
    if scheme == "oracle":
        service = url.query.get("service_name") or database
        jdbc = f"jdbc:oracle:thin:@//{host}:{port or 1521}/{service}"
        return CatalogFile(
            source.name, {"connector.name": "oracle", "connection-url": jdbc, **credentials}
        )
    if scheme == "duckdb":
        return CatalogFile(
            source.name, {"connector.name": "duckdb", "connection-url": f"jdbc:duckdb:{database}"}
        )
    return CatalogFile(
        source.name, {}, skipped=f"Trino has no connector for {scheme}; query it through DuckDB"
    )


def write_catalogs(settings: Settings, out: Path) -> list[tuple[CatalogFile, Path | None]]:
    """Write `<source>.properties` per source into `out` (mode 0600); skipped ones get none."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[CatalogFile, Path | None]] = []
    for source in settings.sources:
        catalog = build_catalog(source)
        if catalog.skipped:
            written.append((catalog, None))
            continue
        path = out / f"{source.name}.properties"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(catalog.render())
        written.append((catalog, path))
    return written


def _escape(value: str) -> str:
    # Java properties: backslash escapes; a leading space would be dropped.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
