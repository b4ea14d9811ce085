"""The `federation:` section: validated at start, turned into the /sql limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.loader import parse_settings
from gateway.federation.limits import limits_from_settings

SOURCES = {"sources": [{"name": "shop", "url": "sqlite:///shop.sqlite"}]}


def settings(federation: object, file: str | None = None):
    return parse_settings({**SOURCES, "federation": federation}, file=file)


def test_defaults_and_a_relative_spill_directory(tmp_path: Path):
    limits = limits_from_settings(
        settings(
            {"temp_directory": "spill", "statement_timeout_ms": 1500}, str(tmp_path / "f.yaml")
        )
    )

    assert limits.row_cap == 100_000
    assert limits.statement_timeout_s == 1.5
    assert limits.memory_limit == "1GB"
    assert limits.temp_directory == tmp_path / "spill"


@pytest.mark.parametrize(
    ("federation", "path", "message"),
    [
        ({"engine": "spark"}, "federation.engine", "expected 'duckdb' or 'trino'"),
        ({"memory_limit": "lots"}, "federation.memory_limit", "expected a size"),
        ({"max_temp_directory_size": "10"}, "federation.max_temp_directory_size", "a size"),
        ({"row_cap": 0}, "federation.row_cap", "between 1"),
        ({"threads": 0}, "federation.threads", "between 1"),
        ({"engine": "trino"}, "federation.trino_url", "needs federation.trino_url"),
        ({"trino_url": "trino:8080"}, "federation.trino_url", "http:// or https://"),
        ({"row_caps": 5}, "federation.row_caps", "did you mean 'row_cap'"),
        ({"cache": {"ttl_seconds": -1}}, "federation.cache.ttl_seconds", "between 0"),
        ({"cache": {"ttl_seconds": "1m"}}, "federation.cache.ttl_seconds", "an integer"),
        ({"cache": {"max_bytes": 1000}}, "federation.cache.max_bytes", "between 1_048_576"),
        ({"cache": {"exclude_sources": ["shpo"]}}, "federation.cache.exclude_sources[0]",
         "unknown source 'shpo' (did you mean 'shop'?)"),
        ({"cache": {"ttl": 60}}, "federation.cache.ttl", "valid keys: ttl_seconds, max_bytes"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(federation, path, message):
    with pytest.raises(ConfigError) as raised:
        settings(federation)

    assert raised.value.path == path
    assert message in str(raised.value)


def test_sizes_accept_the_units_duckdb_reads():
    for size in ("512MB", "4GB", "2GiB", "1.5 GB", "100KB"):
        assert settings({"memory_limit": size}).federation.memory_limit == size


def test_the_fragment_cache_is_off_unless_a_ttl_is_set():
    off = limits_from_settings(settings({}))
    on = limits_from_settings(
        settings({"cache": {"ttl_seconds": 60, "max_bytes": 2**20, "exclude_sources": ["shop"]}})
    )

    assert off.cache_ttl_s == 0
    assert off.cache_max_bytes == 256 * 2**20
    assert (on.cache_ttl_s, on.cache_max_bytes, on.cache_exclude) == (60, 2**20, {"shop"})
