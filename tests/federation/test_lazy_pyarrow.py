"""A /sql query pushed whole to one source and answered in JSON, NDJSON or CSV is read and
rendered without Arrow: the process does not import pyarrow (~41 MB resident), even when
the statement times out; a query that joins sources, or an Arrow answer, then loads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.processes import fresh_interpreter

SCRIPT = """
import json, sys
from dataclasses import replace
from pathlib import Path
import sqlalchemy as sa
from starlette.testclient import TestClient
from config.settings import AuthSettings, FederationSettings
from gateway.app import create_app
from tests.fixtures.gateways import notes_source, postgresql_fixture_settings

home = Path(sys.argv[1])
seen = {}
ARROW = "application/vnd.apache.arrow.stream"
SLOW = "SELECT count(*) AS n FROM fx.big a, fx.big b, fx.big c"
with postgresql_fixture_settings(home) as settings:
    engine = sa.create_engine(settings.sources[0].url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE big AS SELECT generate_series(1, 3000) AS n")
    engine.dispose()
    notes = notes_source(home)
    # long enough for the first federated query, which loads DuckDB, on a busy machine
    federation = replace(FederationSettings(), statement_timeout_ms=5000)
    settings = replace(
        settings,
        sources=(*settings.sources, notes),
        auth=AuthSettings(enabled=False),
        federation=federation,
    )
    app = create_app(settings, background_refresh=False)
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        one = {"sql": "SELECT id, name FROM fx.customers ORDER BY id"}
        answer = client.post("/sql", json=one)
        seen["json"] = [answer.status_code, answer.json()["rows"][:1]]
        answer = client.post("/sql", json=one, headers={"Accept": "application/x-ndjson"})
        seen["ndjson"] = [answer.status_code, answer.text.splitlines()[0]]
        answer = client.post("/sql", json=one, headers={"Accept": "text/csv"})
        seen["csv"] = [answer.status_code, answer.text.splitlines()[:2]]
        answer = client.post("/sql", json={"sql": SLOW})
        seen["timeout"] = [answer.status_code, answer.json()["code"]]
        seen["pyarrow_after_pushdowns"] = "pyarrow" in sys.modules
        both = client.post("/sql", json={"sql": "SELECT c.name, n.note FROM fx.customers c "
                                                 "JOIN notes.notes n ON n.customer_id = c.id"})
        seen["federated"] = [both.status_code, both.json()["rows"], "pyarrow" in sys.modules]
        stream = client.post("/sql", json=one, headers={"Accept": ARROW})
        import pyarrow as pa
        table = pa.ipc.open_stream(stream.content).read_all()
        seen["arrow"] = [stream.status_code, table.column("id").to_pylist()]
print(json.dumps(seen))
"""


@pytest.mark.postgresql
def test_a_single_source_query_in_json_never_loads_pyarrow(tmp_path: Path) -> None:
    seen = fresh_interpreter(SCRIPT, str(tmp_path))
    assert seen["json"] == [200, [[1, "Ada Lovelace"]]]
    assert seen["ndjson"] == [200, '{"id":1,"name":"Ada Lovelace"}']
    assert seen["csv"] == [200, ["id,name", "1,Ada Lovelace"]]
    assert seen["timeout"] == [504, "statement_timeout"]
    assert seen["pyarrow_after_pushdowns"] is False
    assert seen["federated"] == [200, [["Ada Lovelace", "first"]], True]
    assert seen["arrow"] == [200, [1, 2, 3]]
