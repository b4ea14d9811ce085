"""Upserts on SQL Server and Oracle compile to MERGE (compile-verified: no server here).

Each compiled statement parses as a MERGE in sqlglot's T-SQL and Oracle
grammars; identifiers are quoted by the dialect, values are bound (never in
the SQL text); ignore-duplicates has no WHEN MATCHED; a row is merged over the
columns it gives. The golden files (tests/rest/golden) keep the full text.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from gateway.query.merge import Merge

DIALECTS = {
    "mssql": ("mssql+pymssql://u:p@127.0.0.1:1/db", "tsql"),
    "oracle": ("oracle+oracledb://u:p@127.0.0.1:1/?service_name=x", "oracle"),
}
HOSTILE = "x'; DROP TABLE t; --"


@pytest.fixture(scope="module")
def table() -> sa.Table:
    return sa.Table(
        "Odd Table",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), unique=True),
        sa.Column("name", sa.String(50)),
        sa.Column("select", sa.String(5)),  # a reserved word
        sa.Column("two words", sa.String(5)),
        schema="sales",
    )


def compiled(statement: Merge, dialect: str) -> str:
    return str(statement.compile(dialect=sa.create_engine(DIALECTS[dialect][0]).dialect))


def parsed(sql: str, dialect: str) -> object:
    # sqlglot reads T-SQL parameters as @name, not pyformat's %(name)s.
    return sqlglot.parse_one(re.sub(r"%\((\w+)\)s", r"@\1", sql), read=DIALECTS[dialect][1])


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_merge_duplicates_updates_the_other_columns(table: sa.Table, dialect: str) -> None:
    columns = ["email", "id", "name", "select", "two words"]
    sql = compiled(Merge(table, columns, ("email",), ignore=False), dialect)
    tree = parsed(sql, dialect)
    assert isinstance(tree, exp.Merge)
    assert "WHEN MATCHED THEN UPDATE SET" in sql
    assert "WHEN NOT MATCHED THEN INSERT" in sql
    on = sql[sql.index(" ON (") : sql.index(" WHEN ")]
    assert "email" in on
    assert "name" not in on
    update = sql[sql.index("UPDATE SET") : sql.index("WHEN NOT MATCHED")]
    assert "email" not in update  # the conflict column is matched on, never updated
    quote = "[" if dialect == "mssql" else '"'
    assert f"{quote}select" in sql
    assert f"{quote}two words" in sql
    assert "sales." in sql
    assert "Odd Table" in sql


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_ignore_duplicates_only_inserts(table: sa.Table, dialect: str) -> None:
    sql = compiled(Merge(table, ["email", "name"], ("email",), ignore=True), dialect)
    assert isinstance(parsed(sql, dialect), exp.Merge)
    assert "WHEN MATCHED" not in sql
    assert "WHEN NOT MATCHED THEN INSERT" in sql


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_values_are_bound_parameters(table: sa.Table, dialect: str) -> None:
    statement = Merge(table, ["email", "name"], ("email",), ignore=False)
    engine_dialect = sa.create_engine(DIALECTS[dialect][0]).dialect
    params = statement.compile(dialect=engine_dialect).construct_params(
        {"email": HOSTILE, "name": HOSTILE}
    )
    assert HOSTILE not in compiled(statement, dialect)
    assert params is not None
    assert set(params.values()) == {HOSTILE}


def test_a_row_is_merged_over_its_own_columns(table: sa.Table) -> None:
    statement = Merge(table, ["email", "id", "name"], ("email",), ignore=False)
    row = statement.for_row({"name": "N", "email": "e"})
    assert row.columns == ["email", "name"]
    assert row.target == ("email",)
    assert "id" not in compiled(row, "mssql").replace("dual", "")


def test_other_dialects_refuse_to_compile_it(table: sa.Table) -> None:
    with pytest.raises(sa.exc.CompileError):
        str(
            Merge(table, ["email"], ("email",), ignore=True).compile(
                dialect=sa.create_engine("sqlite://").dialect
            )
        )
