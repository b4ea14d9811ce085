"""Load the fixture schema into a live database and introspect it into a normalised model.

The normal form drops what legitimately differs in spelling between dialects
(native type text, default expressions, check expressions, generated names) and
maps schema names to their roles (`main`, `inventory`), so one expected JSON
snapshot describes every dialect; the remaining differences are listed in
`dialect_differences.py` and documented in docs/dialects.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.registry import build_connector
from schema_cache.build import build_source
from schema_cache.model import Source, Table
from tests.fixtures.load import load_fixture
from tests.live import mariadb_databases, postgresql_database


@dataclass(frozen=True)
class Target:
    id: str
    fixture: str  # which fixture SQL file
    dialect: str  # the dialect the model reports


TARGETS = (
    Target("sqlite", "sqlite", "sqlite"),
    Target("duckdb", "duckdb", "duckdb"),
    Target("postgresql", "postgresql", "postgresql"),
    Target("mariadb", "mysql", "mariadb"),
    Target("mariadb-via-mysql-scheme", "mysql", "mariadb"),
)
LIVE_ONLY = {  # run when the variable names a server (docker/compose.yaml starts them)
    "mysql": ("FEDGATE_TEST_MYSQL_URL", Target("mysql", "mysql", "mysql")),
    "mssql": ("FEDGATE_TEST_MSSQL_URL", Target("mssql", "mssql", "mssql")),
    "oracle": ("FEDGATE_TEST_ORACLE_URL", Target("oracle", "oracle", "oracle")),
}


INVENTORY_TABLES = ("warehouses", "stock_items", "stock_movements")


@dataclass(frozen=True)
class Introspected:
    source: Source
    roles: dict[str, str]  # real schema name -> role
    round_trips: int

    def role_name(self, schema: str, table: str) -> str:
        """`role.table`; SQLite has one schema, so its inventory tables are named by table."""
        if self.source.dialect == "sqlite":
            return f"{'inventory' if table in INVENTORY_TABLES else 'main'}.{table}"
        return f"{self.roles.get(schema, schema)}.{table}"


@contextmanager
def introspected(target: Target, tmp_path: Path) -> Iterator[Introspected]:
    with fixture_database(target, tmp_path) as (url, main, inventory):
        schemas = (main,) if target.fixture == "sqlite" else (main, inventory)
        settings = SourceSettings(name="fx", url=url, schemas=schemas)
        connector = build_connector(settings)
        try:
            record = connector.reflect()
        finally:
            connector.dispose()
        roles = {main: "main", inventory: "inventory"}
        yield Introspected(build_source("fx", record), roles, record.round_trips)


@contextmanager
def fixture_database(target: Target, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    if target.fixture == "sqlite":
        url = f"sqlite:///{tmp_path / 'fixture.sqlite'}"
        _load(url, "sqlite", "main", "main")
        yield url, "main", "main"
    elif target.fixture == "duckdb":
        url = f"duckdb:///{tmp_path / 'fixture.duckdb'}"
        _load(url, "duckdb", "main", "inventory")
        yield url, "main", "inventory"
    elif target.id == "postgresql":
        with postgresql_database() as url:
            _load(url, "postgresql", "public", "inventory")
            yield url, "public", "inventory"
    elif target.id.startswith("mariadb"):
        scheme = "mysql+pymysql" if target.id.endswith("mysql-scheme") else "mariadb+pymysql"
        with mariadb_databases("inventory", scheme=scheme) as (url, names):
            _load(url, "mysql", names[0], names[1])
            yield url, names[0], names[1]
    else:
        yield from _external(target)


def _external(target: Target) -> Iterator[tuple[str, str, str]]:
    """A throwaway database on a server named by FEDGATE_TEST_{MYSQL,MSSQL,ORACLE}_URL.

    The fixture loaders of tests/fixtures_test create it (MySQL: two databases; SQL
    Server: a database with `dbo` and `inventory`; Oracle: two users) and drop it.
    """
    from tests.fixtures_test.test_fixture_ddl import TARGETS as FIXTURE_TARGETS

    with contextmanager(FIXTURE_TARGETS[target.id])(Path(".")) as loaded:
        url = loaded.engine.url.render_as_string(hide_password=False)
        main = loaded.main_prefix.rstrip(".")
        inventory = loaded.inventory_prefix.rstrip(".")
        if target.id == "oracle":  # SQLAlchemy reports case-insensitive names in lower case
            main, inventory = main.lower(), inventory.lower()
        yield url, main, inventory


def _load(url: str, fixture: str, main: str, inventory: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        load_fixture(fixture, engine, main=main, inventory=inventory)
    finally:
        engine.dispose()


def normalise(found: Introspected) -> dict[str, Any]:
    """The model as one plain dict keyed by `role.table`, stable across dialects."""
    return {
        found.role_name(t.schema, t.name): normalise_table(t, found) for t in found.source.tables
    }


def normalise_table(table: Table, found: Introspected) -> dict[str, Any]:
    return {
        "kind": table.kind,
        "comment": table.comment,
        "columns": {
            c.name: {
                "family": c.family.value,
                "nullable": c.nullable,
                "has_default": c.has_default,
                "autoincrement": c.autoincrement,
                "generated": c.generated,
                "length": c.length,
                "precision": c.precision,
                "scale": c.scale,
                "comment": c.comment,
                "enum_values": list(c.enum_values),
                "item_family": c.item_family.value if c.item_family else None,
            }
            for c in table.columns
        },
        "primary_key": list(table.primary_key),
        "foreign_keys": sorted(
            [
                {
                    "name": f.name,
                    "columns": list(f.columns),
                    "target": found.role_name(f.target_schema, f.target_table),
                    "target_columns": list(f.target_columns),
                }
                for f in table.foreign_keys
            ],
            key=lambda f: f["columns"],
        ),
        "unique_constraints": sorted([list(u.columns) for u in table.unique_constraints]),
        "indexes": sorted(
            [{"columns": list(i.columns), "unique": i.unique} for i in table.indexes],
            key=lambda i: i["columns"],
        ),
        "checks": sorted(c.name or "" for c in table.checks),
        "relationships": sorted(
            [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "columns": list(r.columns),
                    "target": found.role_name(r.target_schema, r.target_table),
                    "target_columns": list(r.target_columns),
                }
                for r in table.relationships
            ],
            key=lambda r: r["name"],
        ),
    }
