"""Generate SQL text from a planned tree: DuckDB with `$n` parameters, or a source dialect
for SQLAlchemy `text()` with named binds. Values are always bound, never spliced."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from pymysql.converters import escape_item
from sqlglot import exp

SQLGLOT_DIALECT = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "tsql",
    "oracle": "oracle",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
_SA_DIALECT = {"mariadb": "mysql", "duckdb": "postgresql"}  # duckdb quotes like PostgreSQL


def sqlglot_dialect(dialect: str) -> str:
    """The sqlglot dialect that writes SQL for a fedgate dialect name."""
    return SQLGLOT_DIALECT[dialect]


@cache
def identifier_preparer(dialect: str) -> Any:
    name = _SA_DIALECT.get(dialect, dialect)
    return sa.dialects.registry.load(name)().identifier_preparer


def identifier(name: str, dialect: str) -> exp.Identifier:
    """An identifier quoted exactly when the dialect needs it (as SQLAlchemy decides).

    Oracle folds unquoted names to upper case, so its lower-case reflected names stay
    unquoted; mixed case, reserved words and odd characters are quoted everywhere.
    """
    quoted = identifier_preparer(dialect).quote(name) != name
    return exp.Identifier(this=name, quoted=quoted)


def render_duckdb(tree: exp.Expr, values: Mapping[int, Any]) -> tuple[str, list[Any]]:
    """DuckDB SQL with placeholders renumbered `$1..$m` and their values in that order."""
    tree = tree.copy()
    used = sorted({int(p.name) for p in tree.find_all(exp.Placeholder)})
    position = {index: n for n, index in enumerate(used, 1)}
    for node in list(tree.find_all(exp.Placeholder)):
        # in place: replace() re-parents every sibling, quadratic in a bind join's IN list
        node.set("this", str(position[int(node.name)]))
    return tree.sql("duckdb"), [values[index] for index in used]


def render_escaped(tree: exp.Expr, dialect: str, values: Mapping[int, Any]) -> str:
    """Source SQL with each value escaped by the source's own driver: PyMySQL for
    MySQL/MariaDB, exactly as PyMySQL "binds" them (it interpolates client-side too), for
    connectorx; psycopg's `sql.Literal` for PostgreSQL, for `postgres_query()`. Neither
    takes parameters."""
    if dialect in ("mysql", "mariadb"):
        escape = _escape_mysql
    elif dialect == "postgresql":
        escape = _escape_postgresql
    else:
        raise ValueError(f"no driver escaping for {dialect}")
    text, binds = render_source(tree, dialect, values)
    text = re.sub(
        r"\\:|:(\w+)",
        lambda m: ":" if m.group(1) is None else escape(binds[m.group(1)]),
        text,
    )
    return text


def _escape_mysql(value: Any) -> str:
    return str(escape_item(value, "utf8mb4"))


def _escape_postgresql(value: Any) -> str:
    if type(value) is int:
        return str(value)  # the bulk of a bind join's keys
    return str(_psycopg_sql().Literal(value).as_string(None))


@cache
def _psycopg_sql() -> Any:
    from psycopg import sql

    return sql


def render_source(
    tree: exp.Expr, dialect: str, values: Mapping[int, Any]
) -> tuple[str, dict[str, Any]]:
    """Source-dialect SQL for `sqlalchemy.text()` and its bind values.

    Placeholders become `:p<n>`; date and timestamp literals become bound `date` and
    `datetime` values (Oracle would read `CAST('2024-01-01' AS DATE)` through NLS settings).
    """
    tree = tree.copy()
    token = secrets.token_hex(6).upper()
    binds: dict[str, Any] = {}

    def sentinel(name: str, value: Any) -> exp.Var:
        binds[name] = value
        return exp.Var(this=f"FGB{token}_{name}")

    replacements: dict[int, exp.Expr] = {}
    targets: list[exp.Expr] = []
    for node in tree.find_all(exp.Placeholder):
        replacements[id(node)] = sentinel(f"p{node.name}", values[int(node.name)])
        targets.append(node)
    for n, cast in enumerate(tree.find_all(exp.Cast), 1):
        literal = _temporal_literal(cast)
        if literal is not None:
            replacements[id(cast)] = sentinel(f"d{n}", literal)
            targets.append(cast)
    tree = _substitute(tree, targets, replacements)
    text = tree.sql(sqlglot_dialect(dialect))
    # text() reads ":name" as a bind anywhere, string literals included: escape every colon,
    # then write the binds (one pass: a bind join's IN list holds thousands).
    text = text.replace(":", "\\:")
    text = re.sub(f"FGB{token}_(\\w+)", lambda m: f":{m.group(1)}", text)
    return text, binds


def _substitute(tree: exp.Expr, targets: list[exp.Expr], by_id: dict[int, exp.Expr]) -> exp.Expr:
    """Replace each target node by `by_id[id(node)]`, a list argument (an IN list) rebuilt
    once: `replace()` re-parents every sibling, quadratic in a bind join's thousands of keys."""
    lists: dict[tuple[int, str], tuple[exp.Expr, str]] = {}
    for node in targets:
        parent, key = node.parent, node.arg_key
        if parent is None or key is None:
            return by_id[id(node)]
        if isinstance(parent.args.get(key), list):
            lists[(id(parent), key)] = (parent, key)
        else:
            parent.set(key, by_id[id(node)])
    for parent, key in lists.values():
        parent.set(key, [by_id.get(id(item), item) for item in parent.args[key]])
    return tree


def _temporal_literal(node: exp.Cast) -> date | datetime | None:
    if not (isinstance(node.this, exp.Literal) and node.this.is_string):
        return None
    text = str(node.this.this)
    try:
        if node.to.is_type(exp.DType.DATE):
            return date.fromisoformat(text)
        if node.to.is_type(exp.DType.TIMESTAMP, exp.DType.TIMESTAMPNTZ, exp.DType.DATETIME):
            return datetime.fromisoformat(text)
    except ValueError:
        return None
    return None
