"""REST reads PostgreSQL answers as one JSON text of whole rows go to the client as that
text, planned once per spelling (gateway/rest/json_text.py): status, headers and bytes
must be the ones the parsing path gives, the plain reads must really take the fast path,
and a kept plan must never serve a caller or a model it was not made for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from gateway.query import json_read
from gateway.rest import json_text
from schema_cache.model import Catalog
from tests.auth.helpers import auth_gateway
from tests.fixtures.tricky import TRICKY, tricky_client, tricky_source
from tests.rest.helpers import parsing_path, recording

OWNER = "select=id,name,born,seen,paid,ok,tag,blob,pet(id,name,weight)"
OBJECT = {"Accept": "application/vnd.pgrst.object+json"}
PLAIN = "select=id,name,paid,ok,tag,blob,code"  # one level of plain columns: read as rows
# (path, headers, passed through)
READS: list[tuple[str, dict[str, str], bool]] = [
    (f"/rest/pg/owner?{OWNER}&order=id", {}, True),
    (f"/rest/pg/owner?{OWNER}&order=id.desc&limit=2&offset=1", {}, True),
    ("/rest/pg/owner?select=id,pet(name)&order=id", {"Range": "2-4"}, True),
    ("/rest/pg/owner?id=gt.1000&select=id,name", {}, True),  # no row: Content-Range */*
    ("/rest/pg/pet?select=id,name,owner(name,born)&order=id", {}, True),
    ("/rest/pg/owner?id=eq.3&select=id,name", OBJECT, True),
    ("/rest/pg/owner?id=lt.5&select=id,name", OBJECT, True),  # 406: not one row
    (f"/rest/pg/owner/3?{OWNER}", {}, True),
    ("/rest/pg/owner/3?select=id,name", OBJECT, True),
    ("/rest/pg/owner/12345?select=id", {}, True),  # 404
    ("/rest/pg/owner?id=eq.not-a-number&select=id", {}, True),  # 422 before any SQL
    (f"/rest/pg/owner?{PLAIN}&order=id", {}, True),
    (f"/rest/pg/owner?{PLAIN}&order=id.desc", {"Range": "1-3"}, True),
    (f"/rest/pg/owner?{PLAIN}&id=eq.99", OBJECT, True),  # every value null
    (f"/rest/pg/owner/2?{PLAIN}", {}, True),
    ("/rest/pg/pet?select=id,name,weight&order=id&limit=4&offset=2", {}, True),
    # not passed through: a JSON column (its own spacing), aliases, counts, CSV
    ("/rest/pg/owner?order=id", {}, False),
    ("/rest/pg/owner/3", {}, False),
    ("/rest/pg/owner?select=id,who:name,pet(n:name)&order=id", {}, False),
    ("/rest/pg/owner?select=id&order=id&limit=2", {"Prefer": "count=exact"}, False),
    ("/rest/pg/owner?select=id,name&order=id", {"Accept": "text/csv"}, False),
]
COMPARED = ("content-type", "content-range", "preference-applied")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with tricky_client(tmp_path_factory.mktemp("rest-passthrough")) as client:
        yield client


@pytest.fixture
def direct_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of each read that went to the pooled driver connection directly."""
    calls: list[str] = []
    real = json_read.fetch_rows

    def spy(engine: Any, sql: str, params: dict[str, Any]) -> Any:
        calls.append(sql)
        return real(engine, sql, params)

    monkeypatch.setattr(json_read, "fetch_rows", spy)
    return calls


@pytest.mark.parametrize(("path", "headers", "passed"), READS)
def test_same_answer_as_parsing_path(
    client: TestClient,
    direct_reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    headers: dict[str, str],
    passed: bool,
) -> None:
    fast = client.get(path, headers=headers)
    ran = bool(direct_reads)
    parsing_path(client, monkeypatch)
    parsed = client.get(path, headers=headers)
    assert fast.status_code == parsed.status_code, fast.text
    assert fast.content == parsed.content
    for name in COMPARED:
        assert fast.headers.get(name) == parsed.headers.get(name), name
    assert ran == (passed and fast.status_code in (200, 206, 404, 406))


def test_plain_columns_are_read_as_rows(client: TestClient, direct_reads: list[str]) -> None:
    """One level of integers, text, decimals, booleans, UUIDs and binary is read as plain
    rows and written by orjson; dates, timestamps or an embed keep PostgreSQL's JSON."""
    plain = client.get(f"/rest/pg/owner?{PLAIN}&order=id&limit=2")
    dated = client.get("/rest/pg/owner?select=id,born&order=id&limit=2")
    embedded = client.get("/rest/pg/owner?select=id,pet(id)&order=id&limit=2")
    assert plain.status_code == dated.status_code == embedded.status_code == 200
    assert [sql.startswith("SELECT CAST(to_json") for sql in direct_reads] == [False, True, True]
    assert orjson.loads(plain.content)[1] == {
        "id": 2,
        "name": TRICKY[1],
        "paid": "2.50",
        "ok": True,
        "tag": "00000000-0000-0000-0000-000000000002",
        "blob": "AP8C",
        "code": "c2    ",
    }


@pytest.mark.parametrize(("path", "headers"), [(p, h) for p, h, _ in READS if PLAIN in p])
def test_rows_and_postgresql_json_give_the_same_answer(
    client: TestClient,
    direct_reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    headers: dict[str, str],
) -> None:
    """Read alone, plain columns come as rows orjson writes; while another read waits on
    the database, PostgreSQL builds the JSON (json_read._Waiting). Same bytes and headers."""
    rows = client.get(path, headers=headers)
    monkeypatch.setattr(json_read._Waiting, "count", 1)  # as if another read were waiting
    built = client.get(path, headers=headers)
    assert [sql.startswith("SELECT CAST(to_json") for sql in direct_reads] == [False, True]
    assert rows.status_code == built.status_code == 200, rows.text
    assert rows.content == built.content
    for name in COMPARED:
        assert rows.headers.get(name) == built.headers.get(name), name


def test_rows_and_range_arrive_exactly(client: TestClient) -> None:
    response = client.get(f"/rest/pg/owner?{OWNER}&order=id&limit=3&offset=1")
    assert response.status_code == 200
    assert response.headers["content-range"] == "1-3/*"
    owners = orjson.loads(response.content)
    assert [o["name"] for o in owners] == TRICKY[1:4]
    assert owners[0]["pet"] == [
        {"id": 20, "name": TRICKY[1], "weight": "0.125"},
        {"id": 21, "name": TRICKY[1], "weight": "1.125"},
        {"id": 22, "name": TRICKY[1], "weight": "2.125"},
    ]
    assert client.get("/rest/pg/owner?id=gt.1000").headers["content-range"] == "*/*"


def test_an_embedded_table_needs_its_scope_before_values_or_sql(tmp_path: Path) -> None:
    """The fast path checks every table's scope first: a key that may only insert pets is
    refused reading them through an embed with 403 naming the scope (not 422 for the
    value that does not fit `pet.id`), and no statement runs."""
    with tricky_source(tmp_path) as settings, auth_gateway(tmp_path, settings) as gw:
        key = {"X-API-Key": gw.new_key("pg.owner:read", "pg.pet:insert")}
        reader = {"X-API-Key": gw.new_key("pg.owner:read", "pg.pet:read")}
        with recording(gw.client, "pg") as sql:
            refused = gw.client.get("/rest/pg/owner?select=id,pet(name)&pet.id=eq.x", headers=key)
            planned = gw.client.get("/rest/pg/owner/3?select=id,pet(name)", headers=reader)
            by_key = gw.client.get("/rest/pg/owner/3?select=id,pet(name)", headers=key)
            allowed = gw.client.get("/rest/pg/owner/3?select=id,name", headers=key)
        assert refused.status_code == 403, refused.text
        assert refused.json()["scope"] == "pg.pet:read"
        assert planned.status_code == 200  # planned for a caller who may read pets ...
        assert by_key.status_code == 403  # ... and still refused to one who may not
        assert by_key.json()["scope"] == "pg.pet:read"
        assert allowed.status_code == 200
        assert len(sql.statements) == 2  # the allowed reads only


def test_a_repeated_read_is_planned_once(
    client: TestClient, direct_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state, "text_reads", json_text.TextReads())  # type: ignore[attr-defined]
    planned: list[str] = []
    real = json_text.plan_json_read

    def spy(*args: Any, **kwargs: Any) -> Any:
        planned.append("plan")
        return real(*args, **kwargs)

    monkeypatch.setattr(json_text, "plan_json_read", spy)
    path = "/rest/pg/owner?select=id,name,pet(name)&order=id"
    first, second = (client.get(path, headers={"Range": "0-1"}) for _ in range(2))
    other = client.get(path, headers={"Range": "1-1"})  # another spelling: its own plan
    by_key = [client.get("/rest/pg/owner/3?select=id,name") for _ in range(2)]
    assert first.content == second.content
    assert first.headers["content-range"] == second.headers["content-range"] == "0-1/*"
    assert other.headers["content-range"] == "1-1/*"
    assert by_key[0].content == by_key[1].content
    assert len(planned) == 3  # the list, its Range spelling, the by-key read
    assert len(direct_reads) == 5  # every request still reads
    long_ = f"/rest/pg/owner?select=id,name&name=not.in.({','.join(['x' * 40] * 60)})"
    assert len(long_) > json_text.MAX_KEPT_URL
    answers = [client.get(long_) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert len(planned) == 5  # a long spelling is planned each time, never kept


def test_a_kept_plan_is_for_its_model_only() -> None:
    """A plan is found only for the very catalog object (and view) it was made under: a
    refresh replaces the catalog, and every plan with it."""
    plans = json_text.TextReads()
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/rest/pg/owner",
            "query_string": b"",
            "headers": [],
        }
    )
    old, new = Catalog(), Catalog()
    plan = json_text.TextRead(read=None, media="application/json", offset=0)  # type: ignore[arg-type]
    pg = SimpleNamespace(dialect="postgresql")
    plans.put(request, old, plan)
    assert plans.get(request, old, pg) is plan  # type: ignore[arg-type]
    assert plans.get(request, new, pg) is None  # type: ignore[arg-type]
