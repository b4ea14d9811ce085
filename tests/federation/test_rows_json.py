"""A query pushed whole to one source, answered in JSON, CSV or NDJSON, skips Arrow
(`rows_json`): over real PostgreSQL, MariaDB and SQLite sources, its bodies are byte for
byte those of the Arrow route for the same query, column types of every kind, direct and
computed, NULLs, the row cap; values only Arrow holds exactly take the Arrow route."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from config.settings import FederationSettings, SchemaCacheSettings, Settings, SourceSettings
from gateway.federation import output
from gateway.federation.cancel import CancelToken
from gateway.federation.execute import execute_plan
from gateway.federation.limits import limits_from_settings
from gateway.federation.plan import Plan, Pushdown
from gateway.federation.resolve import Binding, TableName
from gateway.federation.result import RenderedResult, Result
from gateway.federation.service import SqlService
from gateway.runtime import Runtime
from tests.federation.helpers import sql_client, without_auth
from tests.live import mariadb_databases, postgresql_database

pytestmark = [pytest.mark.postgresql, pytest.mark.mariadb]

PG_TABLE = """
CREATE TABLE kinds (
    id integer PRIMARY KEY, small smallint, big bigint, price numeric(12, 2), ratio numeric,
    wide numeric(50, 5), real_v real, dbl double precision, flag boolean, name text,
    code varchar(10), ch char(3), day date, at timestamp, at_tz timestamptz, t time,
    ttz timetz, span interval, doc jsonb, uid uuid, raw bytea, tags text[],
    grid numeric(4, 1)[][]
)"""
PG_ROWS = """
INSERT INTO kinds VALUES
(1, -3, 9007199254740993, 12.50, 1.123456789012345678, 123456789.12345, 1.5, 0.1, true,
 'Ada', 'x', 'ab', '2024-02-29', '2024-02-29 13:45:06.123456', '2024-02-29 13:45:06+02',
 '01:02:03.5', '01:02:03+05', '1 year 2 mons 3 days 04:05:06.789', '{"a": [1, 2.5, null]}',
 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x00ff10', '{a,"b, c",NULL}', '{{1,2.5},{3,NULL}}'),
(2, 0, -1, -0.01, -7, 0, -2.25, -1.5e30, false, 'Émile "quoted", comma', '', '  z',
 '0001-01-01', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '00:00', '23:59:59-08',
 '-5 days', '[1, "two"]', '00000000-0000-0000-0000-000000000000', '\\x', '{}', '{}'),
(3, 32767, -9223372036854775808, 9999999999.99, 100, -0.00001, 0, 1e-300, null, 'line
break', null, null, '9999-12-30', '2038-01-19 03:14:08', '2262-04-11 23:47:16.854775+00',
 '23:59:59.999999', null, '00:00:00.000001', 'null', null, null, null, null),
(4, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
 null, null, null, null, null, null, null, null)
"""
MARIA_TABLE = """
CREATE TABLE kinds (
    id int PRIMARY KEY, tiny tinyint, big bigint, ubig bigint unsigned, price decimal(12, 2),
    wide decimal(65, 30), f float, d double, flag tinyint(1), name varchar(40), body text,
    day date, at datetime(6), stamp timestamp(3) NULL, t time(6), doc json, raw varbinary(8),
    kind enum('small', 'large'), yr year
)"""
MARIA_ROWS = """
INSERT INTO kinds VALUES
(1, -128, 9007199254740993, 18446744073709551615, 12.50, 1.000000000000000000000000000001,
 1.5, 0.1, 1, 'Ada', 'text body', '2024-02-29', '2024-02-29 13:45:06.123456',
 '2024-02-29 13:45:06.789', '838:59:59', '{"a": [1, 2.5, null]}', x'00ff10', 'large', 2024),
(2, 0, -1, 0, -0.01, -7, -2.25, -1e300, 0, 'Émile "quoted", comma', '', '1000-01-01',
 '1999-12-31 23:59:59', '1970-01-01 00:00:01', '00:00:00.000001', '[1, "two"]', x'',
 'small', 1901),
(3, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
 null, null, null, null),
(4, null, null, null, null, null, null, null, null, null, null, null, null, null,
 '-01:30:00.5', null, null, null, null)
"""
LITE_TABLE = """
CREATE TABLE kinds (
    id INTEGER PRIMARY KEY, n INTEGER, price NUMERIC(10, 2), r REAL, flag BOOLEAN, name TEXT,
    day DATE, at DATETIME, raw BLOB, loose
)"""
LITE_ROWS = [
    (1, 7, 12.5, 1.5, 1, "Ada", "2024-02-29", "2024-02-29 13:45:06.123456", b"\x00\xff", 1),
    (2, -1, -0.001, -2.25, 0, 'Émile, "q"', "0001-01-01", "1999-12-31T23:59:59", b"", "x"),
    (3, 2**62, 123456.789, 1e-300, None, "", "9999-12-31", "2038-01-19 03:14:08+02:00", None, 2.5),
    (4, None, None, None, None, None, None, None, None, None),
]

RENDERED, ARROW, FAILS = "rendered", "arrow", "fails"
"""Expected: answered without Arrow; through Arrow (a value only Arrow holds exactly, the
same rows); failing on both routes alike (the Arrow route's own failure)."""

# (query, expected): each is pushed whole to its one source
QUERIES: list[tuple[str, str]] = [
    ("SELECT id, small, big, price, ratio, wide, real_v, dbl, flag, name, code, ch, day, at, "
     "at_tz, t, ttz, span, doc, uid, raw FROM pg.kinds ORDER BY id", RENDERED),
    ("SELECT count(*) AS n, sum(price) AS s, avg(price) AS a, sum(big) AS sb, "
     "sum(small) AS ss, avg(dbl) AS ad, min(day) AS d, max(at_tz) AS m, max(span) AS ms, "
     "min(t) AS mt FROM pg.kinds", RENDERED),
    ("SELECT flag, count(*) AS n, sum(ratio) AS r, max(name) AS m FROM pg.kinds "
     "GROUP BY flag ORDER BY flag", RENDERED),
    ("SELECT id, price * 2 AS p2, coalesce(price, 0) AS p0, -dbl AS neg, big + 1 AS b1, "
     "CASE WHEN id = 1 THEN 1.5 ELSE 100 END AS c, upper(code) AS u, "
     "flag AND id > 1 AS both_, at_tz - at AS gap, day + 1 AS next_day, "
     "coalesce(at, at) AS naive, coalesce(at_tz, at_tz) AS aware, coalesce(t, t) AS tt, "
     "coalesce(ttz, ttz) AS ttz2, coalesce(span, span) AS sp, coalesce(raw, raw) AS rw, "
     "coalesce(real_v, 0) AS r0, coalesce(wide, 0) AS w0, "
     "row_number() OVER (ORDER BY id DESC) AS rn FROM pg.kinds ORDER BY id", RENDERED),
    ("SELECT id, coalesce(uid, uid) AS u FROM pg.kinds ORDER BY id", ARROW),  # uuid.UUID
    # JSON objects and arrays: JSON text (`arrow.json`), not a struct
    ("SELECT id, coalesce(doc, doc) AS j FROM pg.kinds WHERE id = 1", RENDERED),
    ("SELECT id, coalesce(doc, doc) AS j FROM pg.kinds ORDER BY id", RENDERED),
    ("SELECT id, tags, grid FROM pg.kinds ORDER BY id", RENDERED),  # arrays as JSON text
    ("SELECT id, coalesce(tags, tags) AS t, coalesce(grid, grid) AS g FROM pg.kinds "
     "ORDER BY id", ARROW),  # lists: Arrow's list types
    ("SELECT id, name FROM pg.kinds WHERE id > 100", RENDERED),  # no rows
    ("SELECT sum(price) AS s, count(*) AS n FROM pg.kinds WHERE id > 100", RENDERED),
    ("SELECT id, tiny, big, price, wide, f, d, flag, name, body, day, at, stamp, t, doc, "
     "raw, kind, yr FROM maria.kinds ORDER BY id", RENDERED),
    ("SELECT count(*) AS n, sum(price) AS s, avg(price) AS a, sum(tiny) AS st, "
     "sum(ubig) AS su, max(at) AS m, min(t) AS mt, max(t) AS xt, max(f) AS mf "
     "FROM maria.kinds", RENDERED),
    ("SELECT id, price * 2 AS p2, price * 0 AS z, upper(name) AS u, "
     "coalesce(stamp, at) AS ts, coalesce(day, day) AS d, coalesce(doc, doc) AS j, "
     "coalesce(raw, raw) AS rw, coalesce(kind, kind) AS k, coalesce(yr, yr) AS y, "
     "flag * 1 AS fl, f * 2 AS f2 FROM maria.kinds ORDER BY id", RENDERED),
    # over 28 digits: rendered beyond decimal's default context
    ("SELECT id, wide + 1 AS w1 FROM maria.kinds ORDER BY id", RENDERED),
    ("SELECT id, wide * 100000000 AS w8 FROM maria.kinds ORDER BY id", ARROW),  # decimal256
    ("SELECT id, ubig FROM maria.kinds ORDER BY id", RENDERED),  # beyond int64: uint64
    ("SELECT id, ubig + 0 AS u FROM maria.kinds ORDER BY id", RENDERED),  # the same, computed
]  # fmt: skip
# SQLite is never pushed whole (DuckDB reads it); its dynamically typed values go through
# both routes in a plan built here: (query, expected)
LITE_QUERIES: list[tuple[str, str]] = [
    ("SELECT id, n, price, r, flag, name, day, at, raw, loose FROM kinds ORDER BY id", RENDERED),
    ("SELECT count(*) AS n, sum(price) AS s, sum(n) AS sn, avg(r) AS a, max(name) AS m, "
     "min(day) AS d, max(raw) AS b FROM kinds", RENDERED),
    ("SELECT id, n + 1 AS n1, r / 2 AS half, name || '!' AS bang, loose AS l, "
     "coalesce(at, day) AS t FROM kinds ORDER BY id", RENDERED),
    # int and float in one column
    ("SELECT id, CASE WHEN id = 1 THEN 1 ELSE 2.5 END AS mixed FROM kinds ORDER BY id", ARROW),
]  # fmt: skip


def _load(pg_url: str, maria_url: str, lite: Path) -> None:
    for url, table, rows in ((pg_url, PG_TABLE, PG_ROWS), (maria_url, MARIA_TABLE, MARIA_ROWS)):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(table)
            conn.exec_driver_sql(rows)
        engine.dispose()
    with sqlite3.connect(lite) as db:
        db.execute(LITE_TABLE)
        db.executemany(f"INSERT INTO kinds VALUES ({', '.join('?' * 10)})", LITE_ROWS)
    db.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("rows_json")
    with postgresql_database() as pg_url, mariadb_databases() as (maria_url, _names):
        _load(pg_url, maria_url, tmp / "lite.sqlite")
        yield Settings(
            sources=(
                SourceSettings("pg", pg_url),
                SourceSettings("maria", maria_url),
                SourceSettings("lite", f"sqlite:///{tmp / 'lite.sqlite'}"),
            ),
            schema_cache=SchemaCacheSettings(snapshot_path=str(tmp / "snapshot.json")),
        )


def _service(settings: Settings, **limits: Any) -> Iterator[SqlService]:
    runtime = Runtime.from_settings(settings)
    report = runtime.cache.refresh()
    assert not report.failed, report.failed
    service = SqlService(runtime, replace(limits_from_settings(settings), **limits))
    yield service
    service.close()
    for connector in runtime.connectors.values():
        connector.dispose()


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[SqlService]:
    yield from _service(settings)


@pytest.fixture(scope="module")
def capped(settings: Settings) -> Iterator[SqlService]:
    yield from _service(replace(settings, federation=replace(FederationSettings(), row_cap=2)))


@pytest.fixture(scope="module")
def row_by_row(settings: Settings) -> Iterator[SqlService]:
    yield from _service(settings, fetch_batch_rows=1)


def _outcome(run: Callable[[bool], Result | RenderedResult], rendered: bool) -> Any:
    """The kind of result, its three bodies, row count and truncated flag; or the exception
    raised (running or rendering), by type and text."""
    try:
        result = run(rendered)
        bodies = (
            output.json_body(result),
            b"".join(output.iter_ndjson(result)),
            b"".join(output.iter_csv(result)),
        )
    except Exception as exc:
        return type(exc), str(exc)
    return type(result), bodies, result.row_count, result.truncated


def _both(run: Callable[[bool], Result | RenderedResult]) -> tuple[Any, Any]:
    """(the Arrow route's outcome, the rendered route's)."""
    return _outcome(run, False), _outcome(run, True)


def _assert_same(arrow: Any, rendered: Any, expected: str) -> None:
    if expected == FAILS:
        assert arrow[0] is not Result, arrow
        assert rendered == arrow
        return
    assert arrow[0] is Result, arrow
    assert rendered[0] is (RenderedResult if expected == RENDERED else Result), rendered
    assert rendered[1:] == arrow[1:]


@pytest.mark.parametrize(("sql", "expected"), QUERIES)
def test_the_rendered_route_answers_byte_for_byte_as_the_arrow_route(service, sql, expected):
    assert service.plan(sql, []).kind == "pushdown"

    arrow, rendered = _both(lambda r: service.run(sql, [], CancelToken(), rendered=r))

    _assert_same(arrow, rendered, expected)


def _lite_plan(service: SqlService, sql: str) -> Plan:
    """`sql` on lite.kinds as a whole pushdown (the planner sends SQLite to DuckDB)."""
    source = service.runtime.cache.catalog.get_source("lite")
    assert source is not None
    table = source.get_table("kinds")
    assert table is not None
    binding = Binding(TableName("lite", table.schema, table.name), source, table)
    tree = sqlglot.parse_one(sql, read="sqlite")
    assert isinstance(tree, exp.Select)
    plain = [e.unalias() for e in tree.expressions]
    columns = tuple(table.get_column(e.name) if isinstance(e, exp.Column) else None for e in plain)
    names = tuple(e.alias_or_name for e in tree.expressions)
    return Plan((binding,), names, (), pushdown=Pushdown(binding, tree, columns))


@pytest.mark.parametrize(("sql", "expected"), LITE_QUERIES)
def test_sqlite_values_render_byte_for_byte_as_on_the_arrow_route(service, sql, expected):
    plan = _lite_plan(service, sql)

    arrow, rendered = _both(
        lambda r: execute_plan(plan, service.engine, service.limits, CancelToken(), rendered=r)
    )

    _assert_same(arrow, rendered, expected)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, name FROM pg.kinds ORDER BY id",
        # the widest scale is in the row past the cap: Arrow's column type holds it
        "SELECT id, CASE WHEN id = 3 THEN 1.125 ELSE id END AS v FROM pg.kinds ORDER BY id",
        "SELECT id, price FROM maria.kinds ORDER BY id",
    ],
)
def test_the_row_cap_and_truncated_flag_are_the_same(capped, sql):
    arrow, rendered = _both(lambda r: capped.run(sql, [], CancelToken(), rendered=r))

    _assert_same(arrow, rendered, RENDERED)
    assert rendered[2:] == (2, True)


def test_mariadb_time_after_a_batch_of_nulls_is_still_exact(row_by_row):
    # the first batch holds only NULL (typed time64), the later ones MariaDB's durations
    sql = "SELECT id, t FROM maria.kinds ORDER BY t IS NOT NULL, id"

    arrow, rendered = _both(lambda r: row_by_row.run(sql, [], CancelToken(), rendered=r))

    _assert_same(arrow, rendered, RENDERED)
    assert b'[4,"-01:30:00.500000"]' in rendered[1][0]
    assert b'[1,"838:59:59"]' in rendered[1][0]


def test_over_http_json_is_the_arrow_routes_body_and_arrow_is_still_served(settings):
    sql = "SELECT id, price, at_tz, span FROM pg.kinds ORDER BY id"
    with sql_client(without_auth(settings)) as client:
        answer = client.post("/sql", json={"sql": sql})
        stream = client.post(
            "/sql", json={"sql": sql}, headers={"Accept": "application/vnd.apache.arrow.stream"}
        )
        service = client.app_state.sql_service  # type: ignore[attr-defined]
        expected = output.json_body(service.run(sql, [], CancelToken()))
        service.close()

    assert answer.status_code == 200, answer.text
    assert answer.content == expected
    assert (answer.headers["x-row-count"], answer.headers["x-truncated"]) == ("4", "false")
    assert stream.status_code == 200, stream.text
    table = pa.ipc.open_stream(stream.content).read_all()
    assert table.column("id").to_pylist() == [1, 2, 3, 4]
    assert table.schema.field("price").type == pa.decimal128(12, 2)
