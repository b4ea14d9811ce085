"""SQLite, embedded (the standard library's sqlite3 driver)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.base import Connector, Progress
from connectors.records import ColumnRecord, SourceRecord, TableRecord, UniqueRecord
from connectors.reflection import reflect_with_inspector
from connectors.types import TypeFamily

# Declared type names SQLAlchemy does not know but schemas commonly use.
_DECLARED: dict[str, TypeFamily] = {
    "UUID": TypeFamily.UUID,
    "INTERVAL": TypeFamily.INTERVAL,
    "TIMESTAMPTZ": TypeFamily.DATETIME_TZ,
}


class SQLiteConnector(Connector):
    dialect = "sqlite"
    url_schemes = ("sqlite",)
    supports_returning = True  # since SQLite 3.35
    upsert_form = "on_conflict"
    supports_json_agg = True
    supports_schemas = False
    embedded = True

    def engine_options(self) -> dict[str, Any]:
        # SQLite files use a small pool; the driver serialises writers anyway.
        return {
            "pool_pre_ping": False,
            "connect_args": {"timeout": self.settings.connect_timeout_s},
        }

    def install_session_hooks(self, engine: Engine) -> None:
        @sa.event.listens_for(engine, "connect")
        def enable_foreign_keys(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    def fetch_server_version(self, conn: Connection) -> str:
        return str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())

    def default_schema(self, conn: Connection) -> str:
        return "main"

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        record = reflect_with_inspector(self, conn, progress)
        declared = {
            (row.tbl, row.col): (row.type or "").upper()
            for row in conn.execute(sa.text(_DECLARED_TYPES))
        }
        uniques: dict[str, dict[str, list[str]]] = {}
        for row in conn.execute(sa.text(_UNIQUE_CONSTRAINTS)):
            uniques.setdefault(row.tbl, {}).setdefault(row.idx, []).append(row.col)
        tables = tuple(
            add_uniques(fix_declared_types(t, declared), uniques.get(t.name, {}))
            for t in record.tables
        )
        return replace(record, tables=tables)


# SQLite gives unknown declared types NUMERIC affinity, so SQLAlchemy reflects
# UUID as NUMERIC: read the declared text once for every column and correct it.
_DECLARED_TYPES = """
SELECT m.name AS tbl, p.name AS col, p.type AS type
FROM sqlite_master AS m, pragma_table_xinfo(m.name) AS p
WHERE m.type IN ('table', 'view')
"""


# SQLAlchemy's parser of CREATE TABLE text misses some column-level UNIQUE clauses
# (e.g. after VARCHAR(n)); SQLite's own index list knows every one (origin 'u').
_UNIQUE_CONSTRAINTS = """
SELECT m.name AS tbl, il.name AS idx, ii.name AS col
FROM sqlite_master AS m, pragma_index_list(m.name) AS il, pragma_index_info(il.name) AS ii
WHERE m.type = 'table' AND il.origin = 'u'
ORDER BY m.name, il.name, ii.seqno
"""


def add_uniques(table: TableRecord, found: dict[str, list[str]]) -> TableRecord:
    known = {u.columns for u in table.unique_constraints}
    extra = [UniqueRecord(None, tuple(cols)) for cols in found.values() if tuple(cols) not in known]
    if not extra:
        return table
    merged = sorted((*table.unique_constraints, *extra), key=lambda u: u.columns)
    return replace(table, unique_constraints=tuple(merged))


def fix_declared_types(table: TableRecord, declared: dict[tuple[str, str], str]) -> TableRecord:
    def fix(column: ColumnRecord) -> ColumnRecord:
        text = declared.get((table.name, column.name), "")
        if text in _DECLARED:
            return replace(
                column, family=_DECLARED[text], native_type=text, precision=None, scale=None
            )
        if table.primary_key == (column.name,) and text == "INTEGER":
            return replace(column, autoincrement=True, nullable=False)  # an alias of the rowid
        if column.name in table.primary_key:
            # SQLite accepts NULL in other key columns only through a legacy bug.
            return replace(column, nullable=False)
        return column

    return replace(table, columns=tuple(fix(c) for c in table.columns))
