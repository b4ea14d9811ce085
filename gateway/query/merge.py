"""Upserts on SQL Server and Oracle: one `MERGE` per row.

Neither has `ON CONFLICT` / `ON DUPLICATE KEY`; the row is the MERGE source
(`VALUES (...)` on SQL Server, `SELECT ... FROM dual` on Oracle), matched on
the conflict columns. `merge` updates the row's other columns when it
matches; `ignore` only inserts. Identifiers are quoted by the dialect's
preparer, every value is a bound parameter. Compile-verified: no SQL Server
or Oracle server runs in these tests (see tests/rest/golden).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

MERGE_DIALECTS = ("mssql", "oracle")


class Merge(Executable, ClauseElement):
    """MERGE one row (`columns`, bound by column name) into `table` on `target`."""

    inherit_cache = False  # compiled per row shape; not worth a cache key

    def __init__(
        self, table: sa.Table, columns: list[str], target: tuple[str, ...], ignore: bool
    ) -> None:
        self.table = table
        self.columns = list(columns)
        self.target = tuple(target)
        self.ignore = ignore

    @property
    def updates(self) -> list[str]:
        return [c for c in self.columns if c not in self.target]

    def for_row(self, row: dict[str, Any]) -> Merge:
        """The same MERGE over the columns `row` gives."""
        return Merge(self.table, sorted(row), self.target, self.ignore)


@compiles(Merge)
def _unsupported(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    raise sa.exc.CompileError(f"MERGE is compiled for {', '.join(MERGE_DIALECTS)} only")


@compiles(Merge, "mssql")
def _mssql(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    q = compiler.preparer.quote
    params = ", ".join(_params(element, compiler, **kw))
    names = ", ".join(q(c) for c in element.columns)
    source = f"(VALUES ({params})) AS src ({names})"
    return _merge(element, compiler, "AS tgt", source) + ";"  # T-SQL ends MERGE with ';'


@compiles(Merge, "oracle")
def _oracle(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    q = compiler.preparer.quote
    values = ", ".join(
        f"{p} AS {q(c)}"
        for p, c in zip(_params(element, compiler, **kw), element.columns, strict=True)
    )
    return _merge(element, compiler, "tgt", f"(SELECT {values} FROM dual) src")


def _params(element: Merge, compiler: SQLCompiler, **kw: Any) -> list[str]:
    table = element.table
    return [
        compiler.process(sa.bindparam(c, type_=table.c[c].type, required=True), **kw)
        for c in element.columns
    ]


def _merge(element: Merge, compiler: SQLCompiler, target_alias: str, source: str) -> str:
    q = compiler.preparer.quote
    table = compiler.preparer.format_table(element.table)
    on = " AND ".join(f"tgt.{q(c)} = src.{q(c)}" for c in element.target)
    sql = f"MERGE INTO {table} {target_alias} USING {source} ON ({on})"
    if element.updates and not element.ignore:
        sets = ", ".join(f"{q(c)} = src.{q(c)}" for c in element.updates)
        sql += f" WHEN MATCHED THEN UPDATE SET {sets}"
    names = ", ".join(q(c) for c in element.columns)
    values = ", ".join(f"src.{q(c)}" for c in element.columns)
    return sql + f" WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})"
