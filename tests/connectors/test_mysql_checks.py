"""MariaDB names CHECK constraints per table: each table gets its own checks, and only those.

A JSON column's implicit `json_valid` check is named after the column, so many
tables share a check name; matching checks to tables on the schema and name
alone paired every such check with every other (quadratic in the table count:
a 2,000-table schema timed out). Live on MariaDB, through both URL schemes.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.registry import build_connector
from tests.live import mariadb_databases

TABLES = 4
DDL = [
    f"CREATE TABLE t{i} (id int PRIMARY KEY, payload json, amount int, "
    f"CONSTRAINT positive CHECK (amount > {i}))"
    for i in range(TABLES)
]


@pytest.mark.mariadb
@pytest.mark.parametrize("scheme", ["mariadb+pymysql", "mysql+pymysql"])
def test_each_table_gets_exactly_its_own_checks(scheme: str) -> None:
    with mariadb_databases(scheme=scheme) as (url, _):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for ddl in DDL:
                conn.exec_driver_sql(ddl)
        engine.dispose()
        connector = build_connector(SourceSettings(name="m", url=url))
        try:
            record = connector.reflect()
        finally:
            connector.dispose()
    assert len(record.tables) == TABLES
    for i, table in enumerate(sorted(record.tables, key=lambda t: t.name)):
        checks = sorted((c.name, c.expression) for c in table.checks)
        assert [name for name, _ in checks] == ["positive"], (table.name, checks)
        assert checks[0][1].replace("`", "") == f"amount > {i}"
        payload = next(c for c in table.columns if c.name == "payload")
        assert payload.family.value == "json"
