import os

import pytest

from config import SUPPORTED_URL_SCHEMES, ConfigError, canonical_scheme, redact_url, url_scheme
from config.urls import is_memory_database, resolve_database_path, validate_url

SECRET = "Zq9-SECRET-pw"


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("postgresql://u@h/db", "postgresql"),
        ("postgresql+psycopg://u:p@h:5432/db", "postgresql+psycopg"),
        ("MySQL+PyMySQL://u@h/db", "mysql+pymysql"),
        ("sqlite://", "sqlite"),
        ("duckdb:///:memory:", "duckdb"),
    ],
)
def test_url_scheme(url, scheme):
    assert url_scheme(url) == scheme


@pytest.mark.parametrize("url", ["", "shop.sqlite", "host=db password=x", "://nothing"])
def test_url_scheme_rejects_non_urls(url):
    with pytest.raises(ValueError, match="not a URL"):
        url_scheme(url)


def test_canonical_scheme_maps_bare_postgresql_to_psycopg3():
    assert canonical_scheme("postgresql") == "postgresql+psycopg"
    assert canonical_scheme("mysql+pymysql") == "mysql+pymysql"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgresql://app:pw@h:5432/db", "postgresql://app:***@h:5432/db"),
        ("postgresql://app@h/db", "postgresql://app@h/db"),
        ("postgresql://h:5432/db", "postgresql://h:5432/db"),
        ("postgresql://app:@h/db", "postgresql://app:@h/db"),
        ("postgresql://:pw@h/db", "postgresql://:***@h/db"),
        ("postgresql://app:p@ss@h/db", "postgresql://app:***@h/db"),
        ("postgresql://app:p:s/s@h/db", "postgresql://app:***@h/db"),
        ("postgresql://app:p%40s%3As%2F@h/db", "postgresql://app:***@h/db"),
        (
            "mysql+pymysql://a:b@[::1]:3306/db?charset=utf8mb4",
            "mysql+pymysql://a:***@[::1]:3306/db?charset=utf8mb4",
        ),
        (
            "oracle+oracledb://u:pw@h:1521/?service_name=X",
            "oracle+oracledb://u:***@h:1521/?service_name=X",
        ),
        (
            "postgresql://h/db?user=a&password=pw&sslmode=require",
            "postgresql://h/db?user=a&password=***&sslmode=require",
        ),
        ("sqlite:////srv/me@x/shop.sqlite", "sqlite:////srv/me@x/shop.sqlite"),
        ("sqlite://", "sqlite://"),
        ("host=db password=pw", "***"),
    ],
)
def test_redact_url(url, redacted):
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    "password", [SECRET, f"{SECRET}@x", f"a:{SECRET}", f"{SECRET}/b", f"@:/?#{SECRET}&x"]
)
def test_redact_url_never_shows_the_password(password):
    url = f"postgresql+psycopg://app:{password}@db.internal:5432/shop?application_name=a@b"
    assert SECRET not in redact_url(url)
    assert redact_url(url).startswith("postgresql+psycopg://app:***@")


@pytest.mark.parametrize("scheme", SUPPORTED_URL_SCHEMES)
def test_validate_url_accepts_supported_schemes(scheme):
    validate_url(f"{scheme}://u:p@host/db" if "sql" in scheme else f"{scheme}:///x.db")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"mongodb://app:{SECRET}@h/db",
            "unsupported URL scheme 'mongodb://'; supported: postgresql://",
        ),
        (
            f"postgresql+psycopg2://app:{SECRET}@h/db",
            "unsupported URL scheme 'postgresql+psycopg2://'",
        ),
        (f"app:{SECRET}@h/db", "expected a database URL"),
        (f"postgresql://app:{SECRET}@h:port/db", "not a valid postgresql:// URL"),
        (f"postgresql://app:{SECRET}@x@h/db", "percent-encode '@'"),
    ],
)
def test_validate_url_errors_never_show_the_password(url, message):
    with pytest.raises(ConfigError, match=r"supported|URL|percent") as caught:
        validate_url(url, "sources[0].url", "fedgate.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("fedgate.yaml: sources[0].url: ")
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("sqlite:///demo/shop.sqlite", "sqlite:////base/dir/demo/shop.sqlite"),
        ("sqlite:///../up.db?mode=ro", "sqlite:////base/up.db?mode=ro"),
        ("duckdb:///analytics.duckdb", "duckdb:////base/dir/analytics.duckdb"),
        ("sqlite:////abs/shop.sqlite", "sqlite:////abs/shop.sqlite"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("duckdb:///:memory:", "duckdb:///:memory:"),
        ("sqlite:///file:shop.db?uri=true", "sqlite:///file:shop.db?uri=true"),
        ("postgresql://u@h/rel", "postgresql://u@h/rel"),
    ],
)
@pytest.mark.skipif(os.name == "nt", reason="POSIX paths")
def test_resolve_database_path(url, resolved):
    assert resolve_database_path(url, "/base/dir") == resolved


@pytest.mark.parametrize(
    ("url", "memory"),
    [
        ("sqlite://", True),
        ("sqlite:///:memory:", True),
        ("duckdb:///:memory:", True),
        ("sqlite:///shop.db", False),
        ("postgresql://u@h/db", False),
    ],
)
def test_is_memory_database(url, memory):
    assert is_memory_database(url) is memory
