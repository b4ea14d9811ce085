"""The fixture schema (tests/fixtures/schema/*.sql): loaded live where a server is at
hand (SQLite and DuckDB always; PostgreSQL and MariaDB on 127.0.0.1 by default;
MySQL, SQL Server and Oracle when FEDGATE_TEST_*_URL is set), and checked
statically everywhere (statement counts, every table/column/constraint name,
identical seed rows, compatibility with the docker seed scripts).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests.fixtures.load import (
    BLOCK_END,
    BLOCK_START,
    FIXTURE_FILES,
    fixture_path,
    fixture_sql,
    fixture_statements,
    load_fixture,
    render,
    split_statements,
)
from tests.live import unavailable

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = ROOT / "docker"

FILE_DIALECTS = ("postgresql", "mysql", "sqlite", "duckdb", "mssql", "oracle")

# Rows the seed data puts in every table (and the view).
MAIN_ROWS = {
    "type_samples": 2,
    "customers": 3,
    "products": 4,
    "orders": 5,
    "order_items": 8,
    "employees": 4,
    "customer_order_totals": 3,
}
INVENTORY_ROWS = {"warehouses": 2, "stock_items": 4, "stock_movements": 3}

TABLE_COLUMNS = {
    "type_samples": (
        "id",
        "c_integer",
        "c_bigint",
        "c_decimal",
        "c_float",
        "c_boolean",
        "c_string",
        "c_text",
        "c_date",
        "c_time",
        "c_datetime",
        "c_datetime_tz",
        "c_interval",
        "c_uuid",
        "c_json",
        "c_binary",
        "c_enum",
        "c_array",
    ),
    "customers": ("id", "email", "name", "created_at"),
    "products": ("sku", "name", "price"),
    "orders": ("id", "customer_id", "status", "total", "created_at"),
    "order_items": ("order_id", "line_no", "sku", "qty", "unit_price", "line_total"),
    "employees": ("id", "name", "manager_id"),
    "warehouses": ("id", "name"),
    "stock_items": ("warehouse_id", "sku", "qty"),
    "stock_movements": ("id", "warehouse_id", "sku", "delta"),
}
INVENTORY_TABLES = frozenset(INVENTORY_ROWS)

TABLE_CONSTRAINTS = {
    "type_samples": (),
    "customers": ("uq_customers_email", "ck_customers_name"),
    "products": ("ck_products_price",),
    "orders": ("fk_orders_customer",),
    "order_items": ("pk_order_items", "fk_order_items_order", "fk_order_items_product"),
    "employees": ("fk_employees_manager",),
    "warehouses": (),
    "stock_items": ("fk_stock_items_warehouse", "fk_stock_items_product"),
    "stock_movements": ("fk_movements_stock_item",),
}

# The documented per-dialect deviations (tests/fixtures/schema/README.md).
OMITTED_COLUMNS = {
    "postgresql": frozenset(),
    "mysql": frozenset({"c_interval", "c_array"}),
    "sqlite": frozenset({"c_datetime_tz", "c_interval", "c_uuid", "c_enum", "c_array"}),
    "duckdb": frozenset(),
    "mssql": frozenset({"c_interval", "c_json", "c_enum", "c_array"}),
    "oracle": frozenset({"c_time", "c_enum", "c_array"}),
}
OMITTED_CONSTRAINTS = {"duckdb": frozenset({"fk_stock_items_product"})}
NO_COMMENTS = frozenset({"sqlite"})

EXPECTED_STATEMENTS = {
    "postgresql": 51,
    "mysql": 46,
    "sqlite": 46,
    "duckdb": 55,
    "mssql": 50,
    "oracle": 52,
}

EXPECTED_TOTALS = [(1, 3, 119.99), (2, 2, 75.0), (3, 0, 0.0)]
EXPECTED_LINE_TOTAL_SUM = 394.97


def _rendered_statements(dialect: str) -> list[str]:
    return fixture_statements(dialect, main="fgt_main", inventory="fgt_inventory")


def _create_table_statements(dialect: str) -> dict[str, str]:
    tables: dict[str, str] = {}
    for statement in _rendered_statements(dialect):
        match = re.match(r"CREATE TABLE (?:\w+\.)?(\w+)", statement)
        if match:
            assert match[1] not in tables, f"{dialect}: {match[1]} created twice"
            tables[match[1]] = statement
    return tables


# --------------------------------------------------------------------------- loader


def test_split_handles_quotes_comments_and_blocks() -> None:
    sql = """
    -- a comment; with a semicolon
    INSERT INTO t VALUES ('a;b', 'it''s', "odd;name", `back;tick`); /* c; */ SELECT 1;
    SELECT '-- not a comment', '/* nor this */' ;
    -- @@
    BEGIN
      NULL;
    END;
    /
    SELECT 2
    """
    assert split_statements(sql) == [
        """INSERT INTO t VALUES ('a;b', 'it''s', "odd;name", `back;tick`)""",
        "SELECT 1",
        "SELECT '-- not a comment', '/* nor this */'",
        "BEGIN\n      NULL;\n    END;",
        "SELECT 2",
    ]


def test_split_block_marker_must_stand_alone() -> None:
    # "-- @@" after code on the same line is an ordinary comment.
    assert split_statements("SELECT 1; -- @@\nSELECT 2;") == ["SELECT 1", "SELECT 2"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 'open", "unterminated ' quote"),
        ('SELECT "open', 'unterminated " quote'),
        ("SELECT 1 /* open", "unterminated /\\* comment"),
        ("CREATE FUNCTION f() AS $$ SELECT 1; $$", "dollar quoting"),
        (f"{BLOCK_START}\nBEGIN NULL; END;\n", "no closing"),
        (f"{BLOCK_START}\n{BLOCK_END}\n", "empty"),
        (f"SELECT\n{BLOCK_START}\nBEGIN NULL; END;\n{BLOCK_END}\n", "unfinished statement"),
    ],
)
def test_split_rejects(sql: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_statements(sql)


def test_render_replaces_only_the_placeholders() -> None:
    sql = "SELECT '{\"a\": {x}}' FROM {main}.t JOIN {inventory}.u ON {main}.t.id = 1"
    assert render(sql, "public", "inv") == (
        "SELECT '{\"a\": {x}}' FROM public.t JOIN inv.u ON public.t.id = 1"
    )


@pytest.mark.parametrize("name", ["", "a b", "x;DROP", '"q"', "1abc", "a.b"])
def test_render_rejects_non_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        render("{main}", name, "inventory")
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        render("{main}", "main", name)


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="no fixture for dialect 'db2'"):
        fixture_sql("db2")


def test_every_dialect_has_a_file() -> None:
    for dialect in FIXTURE_FILES:
        assert fixture_path(dialect).is_file()
    assert fixture_path("mariadb") == fixture_path("mysql")


# ---------------------------------------------------------------------- static checks


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_statement_count(dialect: str) -> None:
    assert len(_rendered_statements(dialect)) == EXPECTED_STATEMENTS[dialect]


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
@pytest.mark.parametrize("table", sorted(TABLE_COLUMNS))
def test_table_defines_every_column_and_constraint(dialect: str, table: str) -> None:
    statement = _create_table_statements(dialect)[table]
    omitted = OMITTED_COLUMNS[dialect]
    for column in TABLE_COLUMNS[table]:
        defined = re.search(rf"^\s+{column}\s", statement, re.MULTILINE) is not None
        assert defined != (column in omitted), f"{dialect}: {table}.{column}"
    for name in TABLE_CONSTRAINTS[table]:
        present = re.search(rf"\b{name}\b", statement) is not None
        assert present != (name in OMITTED_CONSTRAINTS.get(dialect, ())), f"{dialect}: {name}"


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_tables_are_in_the_right_schema(dialect: str) -> None:
    matches = [re.match(r"CREATE TABLE (\w+\.)?(\w+)", s) for s in _rendered_statements(dialect)]
    qualifiers = {m[2]: m[1] for m in matches if m}
    assert set(qualifiers) == {*TABLE_COLUMNS}
    for table, qualifier in qualifiers.items():
        expected = "fgt_inventory." if table in INVENTORY_TABLES and dialect != "sqlite" else None
        assert qualifier == expected, f"{dialect}: {table}"


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_omitted_columns_appear_nowhere(dialect: str) -> None:
    text = "\n".join(_rendered_statements(dialect))
    for column in OMITTED_COLUMNS[dialect]:
        assert not re.search(rf"\b{column}\b", text), f"{dialect}: {column}"


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_view_index_and_comments(dialect: str) -> None:
    text = "\n".join(_rendered_statements(dialect))
    assert re.search(r"CREATE VIEW customer_order_totals AS\s+SELECT c\.id AS customer_id", text)
    assert "ix_orders_customer_id" in text
    for comment in ("One column per type family", "People who buy", "Login email"):
        assert (comment in text) == (dialect not in NO_COMMENTS), f"{dialect}: {comment}"


def _seed_rows(dialect: str) -> dict[str, list[str]]:
    """INSERT statements per table, with schema qualifiers and typed literals removed."""
    rows: dict[str, list[str]] = {}
    for statement in _rendered_statements(dialect):
        match = re.match(r"INSERT INTO (?:\w+\.)?(\w+) ", statement)
        if not match:
            continue
        assert not re.search(r"\)\s*,\s*\(", statement), f"multi-row INSERT: {statement}"
        normal = re.sub(r"\b(?:fgt_main|fgt_inventory)\.", "", statement)
        normal = re.sub(r"\b(?:DATE|TIMESTAMP) '", "'", normal)
        rows.setdefault(match[1], []).append(" ".join(normal.split()))
    return rows


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_seed_row_counts(dialect: str) -> None:
    counts = {table: len(rows) for table, rows in _seed_rows(dialect).items()}
    expected = {**MAIN_ROWS, **INVENTORY_ROWS}
    del expected["customer_order_totals"]
    assert counts == expected


@pytest.mark.parametrize("dialect", [d for d in FILE_DIALECTS if d != "postgresql"])
def test_seed_rows_match_postgresql(dialect: str) -> None:
    reference = _seed_rows("postgresql")
    rows = _seed_rows(dialect)
    for table in set(reference) - {"type_samples"}:
        assert rows[table] == reference[table], f"{dialect}: {table}"
    assert rows["type_samples"][1] == "INSERT INTO type_samples (c_integer) VALUES (NULL)"


def _line_terminated_statements(sql: str) -> list[str]:
    """Split the way sqlcmd (after docker/seed/mssql.sh adds GO) and SQL*Plus do:
    a statement ends with the line that ends in ";", a block with a "/" line."""
    statements: list[str] = []
    current: list[str] = []
    in_block = False
    for line in sql.splitlines():
        stripped = line.strip()
        if in_block:
            if stripped == BLOCK_END:
                statements.append("\n".join(current))
                current, in_block = [], False
            else:
                current.append(line)
        elif stripped == BLOCK_START:
            assert not current, "block inside a statement"
            in_block = True
        elif stripped.startswith("--") or (not stripped and not current):
            continue
        elif stripped.endswith(";"):
            current.append(line.rstrip()[:-1])
            statements.append("\n".join(current))
            current = []
        else:
            current.append(line)
    assert not in_block, "unterminated block at the end"
    assert not current, "unterminated statement at the end"
    return [" ".join(s.split()) for s in statements]


@pytest.mark.parametrize("dialect", FILE_DIALECTS)
def test_files_are_line_terminated(dialect: str) -> None:
    """Each ";" that ends a statement ends its line, and no other line ends with ";".

    docker/seed relies on it: mssql.sh turns line-final ";" into GO for sqlcmd, and
    SQL*Plus (oracle.sh) and the mysql/psql clients end statements the same way.
    """
    sql = render(fixture_sql(dialect), "fgt_main", "fgt_inventory")
    expected = [" ".join(s.split()) for s in split_statements(sql)]
    assert _line_terminated_statements(sql) == expected


# ----------------------------------------------------------------------------- docker


def test_compose_file_parses() -> None:
    compose = yaml.safe_load((DOCKER_DIR / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "mysql", "mariadb", "mssql", "oracle", "gateway"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DOCKER_DIR / source).resolve().exists(), f"{name}: {source}"
    for name in ("postgres", "mysql", "mariadb", "mssql", "oracle"):
        assert "healthcheck" in services[name], name
    assert services["gateway"]["build"]["dockerfile"] == "docker/Dockerfile"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize("script", sorted(p.name for p in (DOCKER_DIR / "seed").glob("*.sh")))
def test_seed_script_syntax(script: str) -> None:
    subprocess.run(["bash", "-n", str(DOCKER_DIR / "seed" / script)], check=True)


# ------------------------------------------------------------------------- live loads


@dataclass(frozen=True)
class Target:
    dialect: str  # key of FIXTURE_FILES
    engine: sa.Engine
    main_prefix: str  # "" or "schema." (always qualified where the session may differ)
    inventory_prefix: str

    def qualify(self, table: str) -> str:
        prefix = self.inventory_prefix if table in INVENTORY_TABLES else self.main_prefix
        return f"{prefix}{table}"


def _admin_engine(dialect: str, env: str, default: str | None, **kwargs: object) -> sa.Engine:
    """An AUTOCOMMIT engine for creating/dropping databases.

    An unreachable server fails the test when CI is set (PostgreSQL and MariaDB,
    the servers CI must provide) and skips it otherwise: `tests.live.unavailable`.
    """
    url = os.environ.get(env) or default
    if not url:
        pytest.skip(f"{env} is not set")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", **kwargs)
    try:
        engine.connect().close()
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        first_line = str(exc.orig or exc).splitlines()[0]
        unavailable(dialect, f"{env}={engine.url!r}: {type(exc).__name__}: {first_line}")
    return engine


def _sqlite(tmp: Path) -> Iterator[Target]:
    engine = sa.create_engine(f"sqlite:///{tmp / 'fixture.sqlite'}")
    try:
        load_fixture("sqlite", engine, main="main", inventory="main")
        yield Target("sqlite", engine, "", "")
    finally:
        engine.dispose()


def _duckdb(tmp: Path) -> Iterator[Target]:
    engine = sa.create_engine(f"duckdb:///{tmp / 'fixture.duckdb'}")
    try:
        load_fixture("duckdb", engine, main="main", inventory="inventory")
        yield Target("duckdb", engine, "", "inventory.")
    finally:
        engine.dispose()


def _postgresql(_tmp: Path) -> Iterator[Target]:
    admin = _admin_engine(
        "postgresql",
        "FEDGATE_TEST_POSTGRESQL_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        connect_args={"connect_timeout": 5},
    )
    name = f"fgt_fx_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = sa.create_engine(admin.url.set(database=name))
    try:
        load_fixture("postgresql", engine, main="public", inventory="inventory")
        yield Target("postgresql", engine, "", "inventory.")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _mysql_family(dialect: str, env: str, default: str | None) -> Iterator[Target]:
    admin = _admin_engine(dialect, env, default, connect_args={"connect_timeout": 5})
    name = f"fgt_fx_{secrets.token_hex(4)}"
    inventory = f"{name}_inventory"
    with admin.connect() as conn:
        for db in (name, inventory):
            conn.exec_driver_sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4")
    engine = sa.create_engine(admin.url.set(database=name))
    try:
        load_fixture(dialect, engine, main=name, inventory=inventory)
        yield Target(dialect, engine, f"{name}.", f"{inventory}.")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            for db in (inventory, name):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db}")
        admin.dispose()


def _mariadb(_tmp: Path) -> Iterator[Target]:
    yield from _mysql_family(
        "mariadb", "FEDGATE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/"
    )


def _mysql(_tmp: Path) -> Iterator[Target]:
    yield from _mysql_family("mysql", "FEDGATE_TEST_MYSQL_URL", None)


def _mssql(_tmp: Path) -> Iterator[Target]:  # not yet run against a live server
    admin = _admin_engine("mssql", "FEDGATE_TEST_MSSQL_URL", None)
    name = f"fgt_fx_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = sa.create_engine(admin.url.set(database=name))
    try:
        load_fixture("mssql", engine, main="dbo", inventory="inventory")
        yield Target("mssql", engine, "dbo.", "inventory.")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name} SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


def _oracle(_tmp: Path) -> Iterator[Target]:  # not yet run against a live server
    admin = _admin_engine("oracle", "FEDGATE_TEST_ORACLE_URL", None)
    main = f"FGT_FX_{secrets.token_hex(4).upper()}"
    inventory = f"{main}_INV"
    try:
        load_fixture("oracle", admin, main=main, inventory=inventory)
        yield Target("oracle", admin, f"{main}.", f"{inventory}.")
    finally:
        with admin.connect() as conn:
            for user in (inventory, main):
                conn.exec_driver_sql(f"DROP USER IF EXISTS {user} CASCADE")
        admin.dispose()


TARGETS: dict[str, Callable[[Path], Iterator[Target]]] = {
    "sqlite": _sqlite,
    "duckdb": _duckdb,
    "postgresql": _postgresql,
    "mariadb": _mariadb,
    "mysql": _mysql,
    "mssql": _mssql,
    "oracle": _oracle,
}


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        "duckdb",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
        pytest.param("mysql", marks=pytest.mark.mariadb),
        pytest.param("mssql", marks=pytest.mark.mssql),
        pytest.param("oracle", marks=pytest.mark.oracle),
    ],
)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp(request.param)
    yield from TARGETS[request.param](tmp)


def _scalar(target: Target, sql: str) -> Any:
    with target.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_row_counts(target: Target) -> None:
    counts = {
        table: _scalar(target, f"SELECT COUNT(*) FROM {target.qualify(table)}")
        for table in {**MAIN_ROWS, **INVENTORY_ROWS}
    }
    assert counts == {**MAIN_ROWS, **INVENTORY_ROWS}


def test_view_totals(target: Target) -> None:
    sql = (
        "SELECT customer_id, order_count, total_spent "
        f"FROM {target.qualify('customer_order_totals')} ORDER BY customer_id"
    )
    with target.engine.connect() as conn:
        rows = [(int(a), int(b), round(float(c), 2)) for a, b, c in conn.exec_driver_sql(sql)]
    assert rows == EXPECTED_TOTALS


def test_generated_line_total(target: Target) -> None:
    total = _scalar(target, f"SELECT SUM(line_total) FROM {target.qualify('order_items')}")
    assert round(float(total), 2) == EXPECTED_LINE_TOTAL_SUM


def test_type_samples_full_and_empty_rows(target: Target) -> None:
    """Row 1 fills every column, row 2 leaves every nullable column NULL.

    Counted in SQL, so no value needs a Python conversion (DuckDB's TIMESTAMPTZ
    would need pytz, which fedgate does not install).
    """
    file_dialect = FIXTURE_FILES[target.dialect]
    columns = [
        c for c in TABLE_COLUMNS["type_samples"][1:] if c not in OMITTED_COLUMNS[file_dialect]
    ]
    sql = (
        f"SELECT {', '.join(f'COUNT({c})' for c in columns)} FROM {target.qualify('type_samples')}"
    )
    with target.engine.connect() as conn:
        counts = conn.exec_driver_sql(sql).one()
    assert dict(zip(columns, counts, strict=True)) == dict.fromkeys(columns, 1)


def test_identity_and_defaults_continue(target: Target) -> None:
    """Ids were generated, not given, so the next insert gets the next id and defaults."""
    customers, orders = target.qualify("customers"), target.qualify("orders")
    with target.engine.connect() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {customers} (email, name) VALUES ('new@example.com', 'New')"
        )
        customer = conn.exec_driver_sql(
            f"SELECT id, created_at FROM {customers} WHERE email = 'new@example.com'"
        ).one()
        conn.exec_driver_sql(f"INSERT INTO {orders} (customer_id) VALUES ({customer[0]})")
        order = conn.exec_driver_sql(
            f"SELECT id, status FROM {orders} WHERE customer_id = {customer[0]}"
        ).one()
        conn.rollback()
    assert customer[0] == 4
    assert customer[1] is not None
    assert tuple(order) == (6, "new")
