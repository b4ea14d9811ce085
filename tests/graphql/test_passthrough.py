"""GraphQL reads PostgreSQL answers as one JSON text reach the client without being parsed:
the bytes must be the ones the parsing path gives, for every value PostgreSQL spells."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from gateway.graphql import run
from tests.fixtures.tricky import TRICKY, tricky_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with tricky_client(tmp_path_factory.mktemp("passthrough")) as client:
        yield client


QUERIES = [
    "{ pg_owner(order_by: {id: asc}) { id name born seen paid ok tag blob"
    " pet { id name weight } } }",
    "{ pg_owner(order_by: {id: asc}, limit: 2) { id pet(order_by: {id: desc}) { name } } }",
    "{ pg_owner(where: {id: {_gt: 1000}}) { id name } }",
    # one level of plain columns: read as rows, written by orjson
    "{ pg_owner(order_by: {id: desc}) { id name paid ok tag blob code } }",
    "{ pg_owner_by_pk(id: 4) { name code } }",
    "{ pg_owner_by_pk(id: 99) { id name paid } }",
    "{ pg_owner_by_pk(id: 3) { id name pet { name } } }",
    "{ pg_owner_by_pk(id: 12345) { id } }",
    "{ pg_pet(order_by: {id: asc}) { id owner { name born } } }",
    # not passed through: aliases (json_build_object spacing), JSON-typed values,
    # __typename (reshaped), several root fields (each its own)
    "{ pg_owner(order_by: {id: asc}) { id who: name pet { n: name } } }",
    "{ pg_owner(order_by: {id: asc}) { id doc } }",
    "{ pg_owner(order_by: {id: asc}) { __typename id name } }",
    "{ a: pg_owner(limit: 1, order_by: {id: asc}) { id }"
    " b: pg_pet(limit: 1, order_by: {id: asc}) { name } }",
]


def _post(client: TestClient, query: str) -> bytes:
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    assert b'"errors"' not in response.content, response.text
    return response.content


@pytest.mark.parametrize("query", QUERIES)
def test_same_bytes_as_parsing_path(
    client: TestClient, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _post(client, query)
    assert fast == orjson.dumps(orjson.loads(fast))  # compact, as orjson writes
    monkeypatch.setattr(run, "passthrough", lambda *args, **kwargs: None)
    parsed = _post(client, query)
    assert fast == parsed


def test_values_arrive_exactly(client: TestClient) -> None:
    body: dict[str, Any] = orjson.loads(_post(client, QUERIES[0]))
    owners = body["data"]["pg_owner"]
    assert [o["name"] for o in owners] == [*TRICKY, None]
    first = owners[0]
    assert first["born"] == "2024-02-01"
    assert first["seen"] == "2024-02-01T10:00:01.12345"
    assert first["paid"] == "1.50"
    assert first["ok"] is False
    assert first["tag"] == "00000000-0000-0000-0000-000000000001"
    assert first["pet"] == [
        {"id": 10, "name": TRICKY[0], "weight": "0.125"},
        {"id": 11, "name": TRICKY[0], "weight": "1.125"},
    ]
    assert owners[-1]["pet"] == []
    assert [p["name"] for p in owners[2]["pet"]] == [TRICKY[2]]


def test_passthrough_is_taken(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path really serves the plain reads, and only those."""
    served: list[bool] = []
    real = run.passthrough

    def spy(*args: Any, **kwargs: Any) -> Any:
        fragment = real(*args, **kwargs)
        served.append(fragment is not None)
        return fragment

    monkeypatch.setattr(run, "passthrough", spy)
    for query in (QUERIES[0], QUERIES[3], QUERIES[4], QUERIES[6], *QUERIES[9:12]):
        _post(client, query)
    assert served == [True, True, True, True, False, False]  # __typename: reshaped, never offered
