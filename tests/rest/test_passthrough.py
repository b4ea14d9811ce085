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
    real = json_read.fetch_row

    def spy(engine: Any, sql: str, params: dict[str, Any]) -> Any:
        calls.append(sql)
        return real(engine, sql, params)

    monkeypatch.setattr(json_read, "fetch_row", spy)
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
