"""Helpers shared by the schema cache tests: real SQLite files and settings around them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from config.settings import AuthSettings, SchemaCacheSettings, Settings, SourceSettings
from schema_cache.cache import SchemaCache

# A PostgreSQL URL nothing listens on: connecting is refused at once.
UNREACHABLE_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nosuch"

MakeCache = Callable[..., SchemaCache]


def write_sqlite(path: Path, ddl: str) -> str:
    """Run `ddl` on the SQLite file `path`; returns its URL."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(ddl)
        conn.commit()
    finally:
        conn.close()
    return f"sqlite:///{path}"


def make_settings(
    tmp_path: Path, *sources: SourceSettings, ttl_seconds: int = 300, snapshot: str = "snap.json"
) -> Settings:
    return Settings(
        sources=sources,
        schema_cache=SchemaCacheSettings(
            ttl_seconds=ttl_seconds, snapshot_path=str(tmp_path / snapshot)
        ),
        auth=AuthSettings(enabled=False),  # these tests are about the model; auth: tests/auth
    )
