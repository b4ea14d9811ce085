"""POST /sql over values the Arrow types do not hold as such: PostgreSQL arrays, MariaDB's
TIME (an interval, -838:59:59 to 838:59:59), decimals wider than Python's 28-digit default
context or DuckDB's 38 digits, a PostgreSQL numeric without precision, a computed jsonb
mixing objects and arrays. Each answers 200 with the exact value in JSON, CSV and Arrow IPC,
on the rendered and the Arrow route alike (test_rows_json), and in a join DuckDB runs."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from connectors.errors import SourceUnavailableError
from connectors.types import TypeFamily
from gateway.federation.cancel import CancelToken
from gateway.federation.cx_fetch import fetch_connectorx
from schema_cache.model import Column
from tests.federation.helpers import ARROW, CSV, pg_and_maria_sql_client, post_sql

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]

BIG = "123456789012345678901234567890123456789012345.12345"  # numeric(50, 5)
FREE = "12345678901234567890123456789012345678901.00000000000000000001"  # numeric
PG = (
    "CREATE TABLE things (id int PRIMARY KEY, tags text[], nums int[], prices numeric(6, 2)[], "
    "grid int[][], days date[], doc jsonb, big numeric(50, 5), free numeric, fit numeric(38, 4))",
    "INSERT INTO things VALUES "
    "(1, '{a,\"b, c\",NULL}', '{1,2}', '{1.5,NULL}', '{{1,2},{3,4}}', '{2024-02-29}', "
    f"'{{\"a\": 1}}', {BIG}, {FREE}, 1234567890123456789012345678901234.5678), "
    "(2, '{}', '{}', NULL, NULL, NULL, '[1, {\"b\": 2}]', -0.5, 0.000000000001, -1), "
    "(3, NULL, NULL, NULL, NULL, NULL, '{\"c\": [true]}', NULL, NULL, NULL)",
)
MARIA = (
    "CREATE TABLE spans (id int PRIMARY KEY, t time(6), wide decimal(65, 30), "
    "fine decimal(30, 20), broad decimal(38, 2))",
    "INSERT INTO spans VALUES (1, '838:59:59', 1.000000000000000000000000000001, "
    "1.12345678901234567891, 123456789012345678901234567890123456.78), "
    "(2, '-01:30:00', -7, NULL, NULL), (3, '-00:00:00.5', 0, NULL, NULL), "
    "(4, '12:00:00.25', NULL, NULL, NULL), (5, NULL, NULL, NULL, NULL)",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pg_and_maria_sql_client(tmp_path_factory.mktemp("value_types"), PG, MARIA) as client:
        yield client


def test_postgresql_arrays_are_json_arrays(client):
    sql = "SELECT id, tags, nums, prices, grid, days FROM pg.things ORDER BY id"

    body = post_sql(client, sql).json()

    assert [c["type"] for c in body["columns"]][1:] == ["array"] * 5
    assert body["rows"] == [
        [1, ["a", "b, c", None], [1, 2], ["1.50", None], [[1, 2], [3, 4]], ["2024-02-29"]],
        [2, [], [], None, None, None],
        [3, None, None, None, None, None],
    ]


def test_postgresql_arrays_are_json_text_in_csv_and_arrow(client):
    sql = "SELECT id, tags, grid FROM pg.things ORDER BY id"

    csv = post_sql(client, sql, CSV).text
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

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

    body = post_sql(client, sql).json()
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert body["columns"][1] == {"name": "j", "type": "json"}
    assert [row[1] for row in body["rows"]] == [{"a": 1}, [1, {"b": 2}], {"c": [True]}]
    assert table.schema.field("j").type == pa.json_()


def test_computed_jsonb_objects_keep_their_own_keys(client):
    # an Arrow struct would give each object the other's keys, as nulls
    sql = "SELECT id, coalesce(doc, doc) AS j FROM pg.things WHERE id <> 2 ORDER BY id"

    body = post_sql(client, sql).json()

    assert [row[1] for row in body["rows"]] == [{"a": 1}, {"c": [True]}]


def test_mariadb_time_is_spelled_as_mariadb_spells_it(client):
    sql = "SELECT id, t, coalesce(t, t) AS t2 FROM maria.spans ORDER BY id"

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    spelled = ["838:59:59", "-01:30:00", "-00:00:00.500000", "12:00:00.250000", None]
    assert body["columns"][1:] == [{"name": "t", "type": "time"}, {"name": "t2", "type": "time"}]
    assert [row[1:] for row in body["rows"]] == [[v, v] for v in spelled]
    assert csv.splitlines()[1:3] == ["1,838:59:59,838:59:59", "2,-01:30:00,-01:30:00"]
    assert table.schema.field("t").type == pa.duration("us")
    assert table.schema.field("t2").type == pa.duration("us")


def test_a_computed_postgresql_interval_is_still_an_interval(client):
    sql = "SELECT id, interval '-1 hour 30 minutes' AS i FROM pg.things WHERE id = 1"

    body = post_sql(client, sql).json()

    assert body["columns"][1] == {"name": "i", "type": "interval"}


def test_decimals_wider_than_28_digits_render_exactly(client):
    sql = "SELECT id, wide + 1 AS w FROM maria.spans ORDER BY id"

    body = post_sql(client, sql).json()

    assert [row[1] for row in body["rows"]][:3] == [
        "2.000000000000000000000000000001",
        "-6.000000000000000000000000000000",
        "1.000000000000000000000000000000",
    ]


def test_a_decimal_wider_than_38_digits_keeps_its_scale(client):
    sql = "SELECT id, wide FROM maria.spans ORDER BY id"

    body = post_sql(client, sql).json()
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert [row[1] for row in body["rows"]][:2] == [
        "1.000000000000000000000000000001",
        "-7.000000000000000000000000000000",
    ]
    assert table.schema.field("wide").type == pa.decimal256(65, 30)


def test_a_join_reads_a_wide_decimal_exactly(client):
    # DuckDB holds at most 38 digits: the column crosses it as its exact text
    sql = "SELECT s.id, s.wide FROM maria.spans s JOIN pg.things t ON t.id = s.id ORDER BY 1"

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert body["columns"][1] == {"name": "wide", "type": "decimal"}
    assert table.schema.field("wide").type == pa.decimal256(65, 30)
    assert body["rows"] == [
        [1, "1.000000000000000000000000000001"],
        [2, "-7.000000000000000000000000000000"],
        [3, "0.000000000000000000000000000000"],
    ]
    assert csv.splitlines()[1] == "1,1.000000000000000000000000000001"


def test_a_join_reads_a_wide_postgresql_numeric_exactly(client):
    sql = (
        "SELECT t.id, t.big, t.fit, t.fit + 1 AS fit1 FROM pg.things t "
        "JOIN maria.spans s ON s.id = t.id ORDER BY 1"
    )

    body = post_sql(client, sql).json()
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert [row[1] for row in body["rows"]] == [BIG, "-0.50000", None]
    # a column DuckDB holds keeps its exact DECIMAL type, and arithmetic on it
    assert body["columns"][2] == {"name": "fit", "type": "decimal"}
    assert [row[2:] for row in body["rows"]] == [
        ["1234567890123456789012345678901234.5678", "1234567890123456789012345678901235.5678"],
        ["-1.0000", "0.0000"],
        [None, None],
    ]
    assert table.schema.field("fit").type == pa.decimal128(38, 4)


def test_a_join_reads_an_unconstrained_postgresql_numeric_exactly(client):
    sql = "SELECT t.id, t.free FROM pg.things t JOIN maria.spans s ON s.id = t.id ORDER BY 1"

    body = post_sql(client, sql).json()

    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    # as the pushdown answers it: a decimal at the widest scale of its values
    assert body["columns"][1] == {"name": "free", "type": "decimal"}
    assert [row[1] for row in body["rows"]] == [FREE, "0.00000000000100000000", None]
    assert table.schema.field("free").type == pa.decimal256(61, 20)


def test_an_unconstrained_postgresql_numeric_keeps_every_digit(client):
    # it was quantized to 10 places (0.000000000001 -> 0E-10), and 41 integer digits failed
    sql = "SELECT id, free FROM pg.things ORDER BY id"

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert body["columns"][1] == {"name": "free", "type": "decimal"}
    assert [row[1] for row in body["rows"]] == [FREE, "0.00000000000100000000", None]
    assert csv.splitlines()[2] == "2,0.00000000000100000000"
    assert table.schema.field("free").type == pa.decimal256(61, 20)


def test_an_unconstrained_postgresql_numeric_of_few_digits_keeps_its_scale(client):
    sql = "SELECT id, free FROM pg.things WHERE id = 2"

    body = post_sql(client, sql).json()
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert body["rows"] == [[2, "0.000000000001"]]
    assert table.schema.field("free").type == pa.decimal128(12, 12)


def test_a_wide_decimal_in_a_join_needs_a_cast_for_arithmetic(client):
    sql = (
        "SELECT s.id, CAST(s.wide AS DECIMAL(38, 30)) + 1 AS w FROM maria.spans s "
        "JOIN pg.things t ON t.id = s.id ORDER BY 1"
    )

    body = post_sql(client, sql).json()

    assert [row[1] for row in body["rows"]][:2] == [
        "2.000000000000000000000000000001",
        "-6.000000000000000000000000000000",
    ]


def test_a_join_reads_mariadb_decimals_connectorx_cannot(client):
    # connectorx reads every DECIMAL as decimal128(38, 10): 20 places were cut to 10, and
    # 36 digits before the point panicked
    sql = (
        "SELECT s.id, s.fine, s.broad FROM maria.spans s JOIN pg.things t ON t.id = s.id "
        "WHERE s.id = 1"
    )

    body = post_sql(client, sql).json()
    table = pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()

    assert body["rows"] == [
        [1, "1.12345678901234567891", "123456789012345678901234567890123456.78"]
    ]
    assert table.schema.field("fine").type == pa.decimal128(30, 20)
    assert table.schema.field("broad").type == pa.decimal128(38, 2)


def test_a_join_reads_mariadb_time_beyond_a_day(client):
    sql = (
        "SELECT s.id, s.t, t.id AS tid FROM maria.spans s JOIN pg.things t ON t.id = s.id "
        "ORDER BY 1"
    )

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text

    assert body["columns"][1] == {"name": "t", "type": "time"}
    assert body["rows"] == [
        [1, "838:59:59", 1],
        [2, "-01:30:00", 2],
        [3, "-00:00:00.500000", 3],
    ]
    assert csv.splitlines()[1:3] == ["1,838:59:59,1", "2,-01:30:00,2"]


def test_a_join_reads_mariadb_time_with_a_star_and_a_filter(client):
    sql = (
        "SELECT * FROM (SELECT id, t FROM maria.spans WHERE id <> 3) s "
        "JOIN (SELECT id FROM pg.things) p ON p.id = s.id ORDER BY s.id"
    )

    body = post_sql(client, sql).json()

    assert body["rows"] == [[1, "838:59:59", 1], [2, "-01:30:00", 2]]


def test_a_connectorx_failure_is_a_source_error_even_when_it_panics(client):
    # connectorx panics (pyo3's PanicException, a BaseException) on a TIME beyond a day
    service = client.app_state.sql_service
    connector = service.engine.connectors["maria"]
    column = Column("t", TypeFamily.TIME, "time(6)", True)

    with pytest.raises(SourceUnavailableError):
        fetch_connectorx(connector, "SELECT t FROM spans WHERE id = 1", [column], CancelToken())


def test_a_join_reads_mariadb_time_through_a_cte(client):
    sql = (
        "WITH s AS (SELECT id, t FROM maria.spans) "
        "SELECT s.t, p.id FROM s JOIN pg.things p ON p.id = s.id ORDER BY p.id"
    )

    body = post_sql(client, sql).json()

    assert body["columns"][0] == {"name": "t", "type": "time"}
    assert [row[0] for row in body["rows"]] == ["838:59:59", "-01:30:00", "-00:00:00.500000"]


def test_a_mariadb_time_in_duckdb_compares_with_an_interval(client):
    # a condition on both tables runs in DuckDB, where MySQL's TIME is an INTERVAL
    sql = (
        "SELECT s.id FROM maria.spans s JOIN pg.things t ON t.id = s.id "
        "WHERE s.t > INTERVAL '1 hour' OR t.id = 3 ORDER BY 1"
    )

    body = post_sql(client, sql).json()

    assert body["rows"] == [[1], [3]]


def test_a_mariadb_time_computed_in_duckdb_is_an_interval(client):
    sql = (
        "SELECT s.id, coalesce(s.t, s.t) AS t2 FROM maria.spans s JOIN pg.things t "
        "ON t.id = s.id WHERE s.id = 1"
    )

    body = post_sql(client, sql).json()

    assert body["columns"][1] == {"name": "t2", "type": "interval"}
    assert body["rows"] == [[1, "PT838H59M59S"]]  # hours, minutes, seconds: as REST spells it


def test_arithmetic_on_a_wide_decimal_in_a_join_without_a_cast_is_a_client_error(client):
    sql = "SELECT s.wide + 1 AS w FROM maria.spans s JOIN pg.things t ON t.id = s.id"

    response = client.post("/sql", json={"sql": sql})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_connectorx_a_join_reads_mariadb_time_exactly(client, monkeypatch):
    # DuckDB's mysql scanner reads TIME as text ("12:00:00.25", type text)
    monkeypatch.setattr("gateway.federation.engine.has_connectorx", lambda: False)
    sql = (
        "SELECT s.id AS sid, s.t FROM maria.spans s JOIN pg.things t ON t.id = s.id "
        "WHERE s.id <> 2 ORDER BY 1"
    )

    body = post_sql(client, sql).json()

    assert body["columns"][1] == {"name": "t", "type": "time"}
    assert body["rows"] == [[1, "838:59:59"], [3, "-00:00:00.500000"]]
