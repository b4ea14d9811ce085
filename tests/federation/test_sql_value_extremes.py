"""POST /sql over values at the edge of what Arrow and Python's drivers hold: a PostgreSQL
numeric of more than 76 digits (no Arrow decimal holds it), MariaDB's BIGINT UNSIGNED
beyond 2^63 - 1, negative and mixed-sign PostgreSQL intervals (months, days and time kept
apart). Each answers 200 with the exact value, pushed down (rendered and Arrow routes) and
in a join DuckDB runs (scanner, driver and connectorx fragments)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from gateway.federation import output
from gateway.federation.cancel import CancelToken
from tests.federation.helpers import ARROW, CSV, pg_and_maria_sql_client, post_sql

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]

HUGE = "9" * 80 + ".12345"  # 85 digits: beyond decimal256's 76
HUNDRED = "1" * 90 + ".12345"  # numeric(100, 5)
INTERVALS = {  # PostgreSQL's spelling -> ours (mixed signs: as intervalstyle iso_8601 has it)
    "-1 hour -30 minutes": "-PT1H30M",
    "1 day -1 hour -30 minutes": "P1DT-1H-30M",
    "-1 year -2 mons -3 days -00:00:00.5": "-P1Y2M3DT0.5S",
    "1 year 2 mons": "P1Y2M",
    "-1 mon 2 days": "P-1M2D",
    "0": "PT0S",
    "-5 days": "-P5D",
}
MAX_U64 = 2**64 - 1
PG = (
    "CREATE TABLE x (id int PRIMARY KEY, huge numeric, hundred numeric(100, 5), iv interval)",
    "INSERT INTO x VALUES "
    + ", ".join(
        f"({i}, {HUGE if i == 1 else '-0.5' if i == 2 else 'NULL'}, "
        f"{HUNDRED if i == 1 else '-1.5' if i == 2 else 'NULL'}, '{spelled}')"
        for i, spelled in enumerate(INTERVALS, start=1)
    )
    + ", (8, NULL, NULL, NULL)",
)
MARIA = (
    "CREATE TABLE u (id int PRIMARY KEY, ubig bigint unsigned, t time)",
    f"INSERT INTO u VALUES (1, {MAX_U64}, '01:00:00'), (2, {2**63}, NULL), (3, 0, NULL), "
    "(4, NULL, NULL), (8, 7, NULL)",
)
UBIG = [MAX_U64, 2**63, 0, None]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pg_and_maria_sql_client(tmp_path_factory.mktemp("value_extremes"), PG, MARIA) as client:
        yield client


def _arrow(client: TestClient, sql: str) -> pa.Table:
    return pa.ipc.open_stream(post_sql(client, sql, ARROW).content).read_all()


def _both_routes(client: TestClient, sql: str) -> tuple[bytes, bytes]:
    """The JSON body of a pushdown on the Arrow route and on the rendered one."""
    service = client.app_state.sql_service  # type: ignore[attr-defined]
    bodies = []
    for rendered in (False, True):
        result = service.run(sql, [], CancelToken(), rendered=rendered)
        bodies.append(output.json_body(result))
    return bodies[0], bodies[1]


# 1. numeric beyond 76 digits


def test_a_numeric_of_more_than_76_digits_is_exact_pushed_down(client):
    sql = "SELECT id, huge, hundred FROM pg.x WHERE id <= 3 ORDER BY id"

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text
    table = _arrow(client, sql)

    assert body["columns"][1:] == [
        {"name": "huge", "type": "decimal"},
        {"name": "hundred", "type": "decimal"},
    ]
    assert body["rows"] == [[1, HUGE, HUNDRED], [2, "-0.5", "-1.50000"], [3, None, None]]
    assert csv.splitlines()[1:3] == [f"1,{HUGE},{HUNDRED}", "2,-0.5,-1.50000"]
    # no Arrow decimal holds 85 digits: the exact text
    assert table.column("huge").to_pylist() == [HUGE, "-0.5", None]
    assert table.column("hundred").to_pylist() == [HUNDRED, "-1.50000", None]


def test_a_numeric_of_more_than_76_digits_renders_alike_on_both_routes(client):
    arrow, rendered = _both_routes(client, "SELECT id, huge, hundred FROM pg.x ORDER BY id")

    assert arrow == rendered


def test_a_join_reads_a_numeric_of_more_than_76_digits_exactly(client):
    sql = "SELECT x.id, x.huge, x.hundred FROM pg.x x JOIN maria.u u ON u.id = x.id ORDER BY 1"

    body = post_sql(client, sql).json()
    table = _arrow(client, sql)

    assert body["columns"][1:] == [
        {"name": "huge", "type": "decimal"},
        {"name": "hundred", "type": "decimal"},
    ]
    assert body["rows"][:3] == [[1, HUGE, HUNDRED], [2, "-0.5", "-1.50000"], [3, None, None]]
    assert table.column("huge").to_pylist()[:2] == [HUGE, "-0.5"]


# 2. BIGINT UNSIGNED beyond 2^63 - 1


def test_a_bigint_unsigned_beyond_int64_is_exact_pushed_down(client):
    sql = "SELECT id, ubig FROM maria.u WHERE id <= 4 ORDER BY id"

    response = post_sql(client, sql)
    csv = post_sql(client, sql, CSV).text
    table = _arrow(client, sql)

    assert response.json()["columns"][1] == {"name": "ubig", "type": "bigint"}
    assert [row[1] for row in response.json()["rows"]] == UBIG
    assert f"[1,{MAX_U64}]".encode() in response.content  # a JSON number, every digit
    assert csv.splitlines()[1] == f"1,{MAX_U64}"
    assert table.schema.field("ubig").type == pa.uint64()
    assert table.column("ubig").to_pylist() == UBIG


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, ubig FROM maria.u ORDER BY id",
        "SELECT id, coalesce(ubig, ubig) AS ubig FROM maria.u ORDER BY id",
        "SELECT max(ubig) AS m, sum(ubig) AS s FROM maria.u",
    ],
)
def test_a_bigint_unsigned_renders_alike_on_both_routes(client, sql):
    arrow, rendered = _both_routes(client, sql)

    assert arrow == rendered
    assert str(MAX_U64).encode() in rendered


@pytest.mark.parametrize(
    "select",
    [
        "u.id, u.ubig",  # connectorx
        "u.id, u.ubig, u.t",  # TIME: the driver route
    ],
)
def test_a_join_reads_a_bigint_unsigned_exactly(client, select):
    sql = f"SELECT {select} FROM maria.u u JOIN pg.x x ON x.id = u.id ORDER BY 1"

    body = post_sql(client, sql).json()
    table = _arrow(client, sql)

    assert body["columns"][1] == {"name": "ubig", "type": "bigint"}
    assert [row[1] for row in body["rows"]] == [*UBIG, 7]
    assert table.schema.field("ubig").type == pa.uint64()


def test_without_connectorx_a_join_reads_a_bigint_unsigned_exactly(client, monkeypatch):
    monkeypatch.setattr("gateway.federation.engine.has_connectorx", lambda: False)
    sql = "SELECT u.id, u.ubig FROM maria.u u JOIN pg.x x ON x.id = u.id ORDER BY 1"

    body = post_sql(client, sql).json()

    assert [row[1] for row in body["rows"]] == [*UBIG, 7]


def test_a_bigint_unsigned_with_few_rows_in_a_join_is_still_unsigned(client):
    # a side of few rows is read first (a bind join): its values all fit int64 here
    sql = "SELECT u.id, u.ubig FROM maria.u u JOIN pg.x x ON x.id = u.id WHERE u.id = 3 ORDER BY 1"

    body = post_sql(client, sql).json()
    table = _arrow(client, sql)

    assert body["rows"] == [[3, 0]]
    assert table.schema.field("ubig").type == pa.uint64()


# 3. intervals


def test_intervals_pushed_down_are_iso_8601_with_a_leading_minus(client):
    sql = "SELECT id, iv FROM pg.x ORDER BY id"

    body = post_sql(client, sql).json()
    csv = post_sql(client, sql, CSV).text

    assert body["columns"][1] == {"name": "iv", "type": "interval"}
    assert [row[1] for row in body["rows"]] == [*INTERVALS.values(), None]
    assert csv.splitlines()[1] == "1,-PT1H30M"


def test_intervals_keep_months_days_and_time_apart_in_arrow(client):
    table = _arrow(client, "SELECT id, iv FROM pg.x WHERE id IN (2, 4) ORDER BY id")

    assert table.schema.field("iv").type == pa.month_day_nano_interval()
    assert [tuple(v) for v in table.column("iv").to_pylist()] == [
        (0, 1, -5_400_000_000_000),
        (14, 0, 0),
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, iv FROM pg.x ORDER BY id",
        "SELECT id, coalesce(iv, iv) AS iv FROM pg.x ORDER BY id",
        "SELECT min(iv) AS lo, max(iv) AS hi FROM pg.x",
    ],
)
def test_intervals_render_alike_on_both_routes(client, sql):
    arrow, rendered = _both_routes(client, sql)

    assert arrow == rendered


def test_a_computed_interval_pushed_down_keeps_its_months(client):
    sql = "SELECT id, coalesce(iv, iv) AS c FROM pg.x ORDER BY id"

    body = post_sql(client, sql).json()

    assert body["columns"][1] == {"name": "c", "type": "interval"}
    assert [row[1] for row in body["rows"]] == [*INTERVALS.values(), None]


@pytest.mark.parametrize(
    "select",
    [
        "x.id, x.iv",  # DuckDB's postgres scanner
        "x.id, x.iv, x.huge",  # the driver route (no scanner reads 85 digits exactly)
    ],
)
def test_a_join_renders_intervals_as_a_pushdown_does(client, select):
    sql = f"SELECT {select} FROM pg.x x JOIN maria.u u ON u.id = x.id ORDER BY 1"

    body = post_sql(client, sql).json()

    assert body["columns"][1] == {"name": "iv", "type": "interval"}
    expected = list(INTERVALS.values())
    assert [row[1] for row in body["rows"]] == [*expected[:4], None]
