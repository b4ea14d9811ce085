"""Live database servers for integration tests: create a throwaway database, drop it after.

PostgreSQL and MariaDB must run in CI (CI=true): a missing server fails the
test loudly there; elsewhere the test is skipped with the reason.
SQL Server, Oracle and MySQL 8 run only when FEDGATE_TEST_<DIALECT>_URL is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

POSTGRESQL_ADMIN_URL = os.environ.get(
    "FEDGATE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "FEDGATE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/"
)
REQUIRED_IN_CI = ("postgresql", "mariadb")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(dialect: str, reason: str) -> None:
    """Fail in CI for a required server, skip elsewhere."""
    message = f"{dialect} server unavailable: {reason}"
    if in_ci() and dialect in REQUIRED_IN_CI:
        pytest.fail(message + " (CI=true: this server is required)", pytrace=False)
    pytest.skip(message)


def unique_name(prefix: str = "fgt") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _admin_engine(url: str, dialect: str) -> sa.Engine:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        engine.dispose()
        unavailable(dialect, type(exc).__name__)
    return engine


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A fresh PostgreSQL database; yields its URL."""
    admin = _admin_engine(POSTGRESQL_ADMIN_URL, "postgresql")
    name = unique_name()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield (
            sa.make_url(POSTGRESQL_ADMIN_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def mariadb_databases(
    *suffixes: str, scheme: str = "mysql+pymysql"
) -> Iterator[tuple[str, list[str]]]:
    """Fresh MariaDB databases (`name`, `name_<suffix>`...); yields (URL of the first, names)."""
    admin = _admin_engine(MARIADB_ADMIN_URL, "mariadb")
    base = unique_name()
    names = [base] + [f"{base}_{s}" for s in suffixes]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        url = sa.make_url(MARIADB_ADMIN_URL).set(drivername=scheme, database=base)
        yield url.render_as_string(hide_password=False), names
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")  # databases may reference each other
            for name in reversed(names):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


def run_statements(url: str, statements: Iterator[str] | tuple[str, ...] | list[str]) -> None:
    """Run `statements` on the database at `url` in one transaction (a test's own setup)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
