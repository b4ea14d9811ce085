"""A gateway serving REST and GraphQL does not load the SQL engine's heavy modules.

sqlglot loads with the first /sql request or `fedgate sql`; pyarrow with the first
/sql query that needs Arrow (one that joins sources, an Arrow or Parquet answer) and
DuckDB with the first that joins sources (tests/federation/test_lazy_duckdb.py), both
also with the demo's generation; checked in a fresh interpreter, since this test
process has imported them already.
"""

from __future__ import annotations

from tests.fixtures.processes import fresh_interpreter

HEAVY = ("pyarrow", "duckdb", "sqlglot", "connectorx", "matplotlib")

PROBE = """
import json, sys
from config.settings import AuthSettings, Settings, SourceSettings
from gateway.app import create_app
import gateway.cli
settings = Settings(
    sources=(SourceSettings(name="pg", url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),),
    auth=AuthSettings(enabled=False),
)
create_app(settings, background_refresh=False)
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(code: str) -> list[str]:
    loaded: list[str] = fresh_interpreter(code)
    return loaded


def test_a_postgresql_gateway_starts_without_the_sql_engine_modules() -> None:
    assert _loaded(PROBE.format(heavy=HEAVY)) == []


def test_the_probe_sees_a_module_the_sql_engine_loads() -> None:
    # Control: the same check reports the modules once /sql's engine and its Arrow route
    # are imported (DuckDB itself waits for a query that joins sources).
    engine = "import gateway.federation.service, gateway.federation.arrow_fetch\n"
    code = PROBE.format(heavy=HEAVY).replace("create_app(settings", engine + "create_app(settings")
    assert {"pyarrow", "sqlglot"} <= set(_loaded(code))
