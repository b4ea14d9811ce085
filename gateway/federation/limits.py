"""The limits of the /sql surface, from the `federation:` settings, and fixed tuning values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from config.settings import FederationSettings, Settings

BIND_JOIN_PROBE_ROWS = 10_000
"""A filtered side of an inner join with at most this many rows is read first..."""
BIND_JOIN_MAX_KEYS = 1_000
"""...and its distinct keys (at most this many: Oracle's IN-list limit) filter the other side;"""
BIND_JOIN_MAX_KEYS_WIDE = 2_000
"""at most this many for the other dialects (SQL Server binds at most 2,100 values). Measured
on TPC-H SF 0.1: 1,000 misses Q9's 1,085 green parts; 10,000 made Q3, Q10 and Q14 slower
(a list of thousands of keys against a table without an index costs more than it saves)."""
FETCH_BATCH_ROWS = 10_000
"""Rows per batch on the driver -> Arrow route and when reading DuckDB results."""
MAX_SQL_CHARS = 100_000

_DEFAULTS = FederationSettings()


@dataclass(frozen=True, slots=True)
class FederationLimits:
    """What one gateway allows the SQL surface (defaults: those of `FederationSettings`).

    Args:
        row_cap: rows a response carries at most; more sets `truncated: true`.
        statement_timeout_s: wall time of one statement, fetches included (then 504).
        memory_limit: DuckDB's memory limit for the whole gateway; beyond it, spill.
        max_temp_directory_size: how much DuckDB may spill; beyond it a query fails (507).
        temp_directory: where DuckDB spills; None means `<fedgate home>/duckdb-tmp`.
        threads: DuckDB worker threads; None lets DuckDB use every core.
        cache_ttl_s: how long rows read from a source are served from the fragment cache
            (0: no cache; `fragment_cache`).
        cache_max_bytes: the most the cached rows may take (estimated).
        cache_exclude: sources whose rows are never cached.
    """

    row_cap: int = _DEFAULTS.row_cap
    statement_timeout_s: float = _DEFAULTS.statement_timeout_ms / 1000
    memory_limit: str = _DEFAULTS.memory_limit
    max_temp_directory_size: str = _DEFAULTS.max_temp_directory_size
    temp_directory: Path | None = None
    threads: int | None = None
    bind_join_probe_rows: int = BIND_JOIN_PROBE_ROWS
    bind_join_max_keys: int = BIND_JOIN_MAX_KEYS
    bind_join_max_keys_wide: int = BIND_JOIN_MAX_KEYS_WIDE
    fetch_batch_rows: int = FETCH_BATCH_ROWS
    cache_ttl_s: float = _DEFAULTS.cache.ttl_seconds
    cache_max_bytes: int = _DEFAULTS.cache.max_bytes
    cache_exclude: frozenset[str] = frozenset()


def limits_from_settings(settings: Settings) -> FederationLimits:
    """The limits a configuration sets; a relative temp directory is relative to its file."""
    federation = settings.federation
    temp: Path | None = None
    if federation.temp_directory:
        temp = Path(federation.temp_directory)
        if not temp.is_absolute() and settings.file:
            temp = Path(os.path.dirname(settings.file)) / temp
    return FederationLimits(
        row_cap=federation.row_cap,
        statement_timeout_s=federation.statement_timeout_ms / 1000,
        memory_limit=federation.memory_limit,
        max_temp_directory_size=federation.max_temp_directory_size,
        temp_directory=temp,
        threads=federation.threads,
        cache_ttl_s=federation.cache.ttl_seconds,
        cache_max_bytes=federation.cache.max_bytes,
        cache_exclude=frozenset(federation.cache.exclude_sources),
    )
