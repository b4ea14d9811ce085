"""A /sql query pushed whole to one source runs through that source's driver alone: the
process does not even import DuckDB (~37 MB resident) until a query joins sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.processes import fresh_interpreter

SCRIPT = """
import json, sys
from dataclasses import replace
from pathlib import Path
from starlette.testclient import TestClient
from config.settings import AuthSettings
from gateway.app import create_app
from tests.fixtures.gateways import notes_source, postgresql_fixture_settings

home = Path(sys.argv[1])
seen = {}
with postgresql_fixture_settings(home) as settings:
    notes = notes_source(home)
    off = AuthSettings(enabled=False)
    settings = replace(settings, sources=(*settings.sources, notes), auth=off)
    app = create_app(settings, background_refresh=False)
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        one = client.post("/sql", json={"sql": "SELECT count(*) AS n FROM fx.customers"})
        seen["pushdown"] = [one.status_code, one.json()["rows"], "duckdb" in sys.modules]
        both = client.post("/sql", json={"sql": "SELECT c.name, n.note FROM fx.customers c "
                                                 "JOIN notes.notes n ON n.customer_id = c.id"})
        seen["federated"] = [both.status_code, both.json()["rows"], "duckdb" in sys.modules]
print(json.dumps(seen))
"""


@pytest.mark.postgresql
def test_a_single_source_query_never_loads_duckdb(tmp_path: Path) -> None:
    seen = fresh_interpreter(SCRIPT, str(tmp_path))
    assert seen["pushdown"] == [200, [[3]], False]
    assert seen["federated"] == [200, [["Ada Lovelace", "first"]], True]
