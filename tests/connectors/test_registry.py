"""Connectors are found by URL scheme and declare their capabilities."""

from __future__ import annotations

import pytest

from config.settings import SourceSettings
from config.urls import SUPPORTED_URL_SCHEMES
from connectors.errors import SourceUnavailableError, UnsupportedDialectError
from connectors.registry import BY_SCHEME, CONNECTORS, build_connector, get_connector_class


def test_every_scheme_the_config_accepts_has_a_connector() -> None:
    assert set(SUPPORTED_URL_SCHEMES) == set(BY_SCHEME)


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("postgresql://u@h/db", "postgresql"),
        ("postgresql+psycopg://u@h/db", "postgresql"),
        ("mysql+pymysql://u@h/db", "mysql"),
        ("mariadb+pymysql://u@h/db", "mariadb"),
        ("mssql+pymssql://u@h/db", "mssql"),
        ("oracle+oracledb://u@h/?service_name=x", "oracle"),
        ("sqlite:///x.db", "sqlite"),
        ("duckdb:///x.duckdb", "duckdb"),
    ],
)
def test_connector_by_scheme(url: str, dialect: str) -> None:
    assert get_connector_class(url).dialect == dialect


def test_unknown_scheme_lists_the_supported_ones() -> None:
    with pytest.raises(UnsupportedDialectError) as caught:
        get_connector_class("redis://localhost/0")
    assert "postgresql+psycopg" in str(caught.value)


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda c: c.dialect)
def test_capability_flags_are_declared(connector: type) -> None:
    for flag in (
        "supports_returning",
        "supports_ilike",
        "supports_json_agg",
        "supports_schemas",
        "supports_identity",
        "supports_comments",
    ):
        assert isinstance(getattr(connector, flag), bool)
    assert connector.upsert_form in ("on_conflict", "on_duplicate_key", "merge")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://app:S3cr3t-Pa55@127.0.0.1:1/db",
        "mysql+pymysql://app:S3cr3t-Pa55@127.0.0.1:1/db",
    ],
)
def test_unreachable_source_is_wrapped_without_secrets(url: str) -> None:
    connector = build_connector(SourceSettings(name="down", url=url, connect_timeout_s=2))
    with pytest.raises(SourceUnavailableError) as caught:
        connector.ping()
    error = caught.value
    assert error.reason == "connection refused"
    assert "S3cr3t-Pa55" not in str(error)
    assert "127.0.0.1" not in str(error)
    assert error.__cause__ is not None  # the driver error stays available to logs
