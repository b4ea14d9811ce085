"""POST /sql over values the Arrow types do not hold as such: PostgreSQL arrays, MariaDB's
TIME (an interval, -838:59:59 to 838:59:59), decimals wider than Python's 28-digit default
context, a computed jsonb mixing objects and arrays. Each answers 200 with the exact value in
JSON, CSV and Arrow IPC, on the rendered and the Arrow route alike (test_rows_json)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from tests.federation.helpers import sql_client, without_auth
from tests.live import mariadb_databases, postgresql_database

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]

PG = (
    "CREATE TABLE things (id int PRIMARY KEY, tags text[], nums int[], prices numeric(6, 2)[], "
    "grid int[][], days date[], doc jsonb)",
    "INSERT INTO things VALUES "
    "(1, '{a,\"b, c\",NULL}', '{1,2}', '{1.5,NULL}', '{{1,2},{3,4}}', '{2024-02-29}', "
    "'{\"a\": 1}'), (2, '{}', '{}', NULL, NULL, NULL, '[1, {\"b\": 2}]'), "
    "(3, NULL, NULL, NULL, NULL, NULL, '{\"c\": [true]}')",
)
MARIA = (
    "CREATE TABLE spans (id int PRIMARY KEY, t time(6), wide decimal(65, 30))",
    "INSERT INTO spans VALUES (1, '838:59:59', 1.000000000000000000000000000001), "
    "(2, '-01:30:00', -7), (3, '-00:00:00.5', 0), (4, '12:00:00.25', NULL), (5, NULL, NULL)",
)
ARROW = {"Accept": "application/vnd.apache.arrow.stream"}
CSV = {"Accept": "text/csv"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("value_types")
    with postgresql_database() as pg_url, mariadb_databases() as (maria_url, _names):
        for url, statements in ((pg_url, PG), (maria_url, MARIA)):
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
            engine.dispose()
        settings = Settings(
            sources=(SourceSettings("pg", pg_url), SourceSettings("maria", maria_url)),
            schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
        )
        with sql_client(without_auth(settings)) as client:
            yield client
            client.app_state.sql_service.close()  # type: ignore[attr-defined]


def _post(client: TestClient, sql: str, headers: dict[str, str] | None = None) -> Any:
    response = client.post("/sql", json={"sql": sql}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


def test_postgresql_arrays_are_json_arrays(client):
    sql = "SELECT id, tags, nums, prices, grid, days FROM pg.things ORDER BY id"

    body = _post(client, sql).json()

    assert [c["type"] for c in body["columns"]][1:] == ["array"] * 5
    assert body["rows"] == [
        [1, ["a", "b, c", None], [1, 2], ["1.50", None], [[1, 2], [3, 4]], ["2024-02-29"]],
        [2, [], [], None, None, None],
        [3, None, None, None, None, None],
    ]


def test_postgresql_arrays_are_json_text_in_csv_and_arrow(client):
    sql = "SELECT id, tags, grid FROM pg.things ORDER BY id"

    csv = _post(client, sql, CSV).text
    table = pa.ipc.open_stream(_post(client, sql, ARROW).content).read_all()

    assert csv.splitlines() == [
        "id,tags,grid",
        '1,"[""a"",""b, c"",null]","[[1,2],[3,4]]"',
        "2,[],",
        "3,,",
    ]
    assert table.schema.field("tags").type == pa.string()
    assert table.column("tags").to_pylist() == ['["a","b, c",null]', "[]", None]


def test_a_computed_jsonb_mixing_objects_and_arrays_keeps_each_value(client):
    sql = "SELECT id, coalesce(doc, doc) AS j FROM pg.things ORDER BY id"

    body = _post(client, sql).json()
    table = pa.ipc.open_stream(_post(client, sql, ARROW).content).read_all()

    assert body["columns"][1] == {"name": "j", "type": "json"}
    assert [row[1] for row in body["rows"]] == [{"a": 1}, [1, {"b": 2}], {"c": [True]}]
    assert table.schema.field("j").type == pa.json_()


def test_computed_jsonb_objects_keep_their_own_keys(client):
    # an Arrow struct would give each object the other's keys, as nulls
    sql = "SELECT id, coalesce(doc, doc) AS j FROM pg.things WHERE id <> 2 ORDER BY id"

    body = _post(client, sql).json()

    assert [row[1] for row in body["rows"]] == [{"a": 1}, {"c": [True]}]


def test_mariadb_time_is_spelled_as_mariadb_spells_it(client):
    sql = "SELECT id, t, coalesce(t, t) AS t2 FROM maria.spans ORDER BY id"

    body = _post(client, sql).json()
    csv = _post(client, sql, CSV).text
    table = pa.ipc.open_stream(_post(client, sql, ARROW).content).read_all()

    spelled = ["838:59:59", "-01:30:00", "-00:00:00.500000", "12:00:00.250000", None]
    assert body["columns"][1:] == [{"name": "t", "type": "time"}, {"name": "t2", "type": "time"}]
    assert [row[1:] for row in body["rows"]] == [[v, v] for v in spelled]
    assert csv.splitlines()[1:3] == ["1,838:59:59,838:59:59", "2,-01:30:00,-01:30:00"]
    assert table.schema.field("t").type == pa.duration("us")
    assert table.schema.field("t2").type == pa.duration("us")


def test_a_computed_postgresql_interval_is_still_an_interval(client):
    sql = "SELECT id, interval '-1 hour 30 minutes' AS i FROM pg.things WHERE id = 1"

    body = _post(client, sql).json()

    assert body["columns"][1] == {"name": "i", "type": "interval"}


def test_decimals_wider_than_28_digits_render_exactly(client):
    sql = "SELECT id, wide + 1 AS w FROM maria.spans ORDER BY id"

    body = _post(client, sql).json()

    assert [row[1] for row in body["rows"]][:3] == [
        "2.000000000000000000000000000001",
        "-6.000000000000000000000000000000",
        "1.000000000000000000000000000000",
    ]


def test_a_decimal_wider_than_38_digits_keeps_its_scale(client):
    sql = "SELECT id, wide FROM maria.spans ORDER BY id"

    body = _post(client, sql).json()
    table = pa.ipc.open_stream(_post(client, sql, ARROW).content).read_all()

    assert [row[1] for row in body["rows"]][:2] == [
        "1.000000000000000000000000000001",
        "-7.000000000000000000000000000000",
    ]
    assert table.schema.field("wide").type == pa.decimal256(65, 30)


def test_a_join_still_reads_a_wide_decimal_in_duckdb(client):
    # DuckDB reads no decimal256: a fragment holds it as DECIMAL(38, 0), as before
    sql = "SELECT s.id, s.wide FROM maria.spans s JOIN pg.things t ON t.id = s.id ORDER BY 1"

    body = _post(client, sql).json()

    assert body["rows"] == [[1, "1"], [2, "-7"], [3, "0"]]
