"""`returning` with relationships is read inside the write's transaction, on its connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.graphql.hasura_fixture import served
from tests.graphql.helpers import data


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    with served(request.param, tmp_path) as client:
        yield client


def _events(client: TestClient) -> tuple[sa.Engine, list[tuple[str, int, str]]]:
    engine: sa.Engine = client.app.state.runtime.connectors["blog"].engine  # type: ignore[attr-defined]
    return engine, []


def _record(engine: sa.Engine, events: list[tuple[str, int, str]]) -> list[tuple[str, Any]]:
    def statement(conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        events.append(("sql", id(conn.connection.dbapi_connection), sql.split()[0].upper()))

    def commit(conn: Any) -> None:
        events.append(("commit", id(conn.connection.dbapi_connection), ""))

    def begin(conn: Any) -> None:
        events.append(("begin", id(conn.connection.dbapi_connection), ""))

    listeners = [("before_cursor_execute", statement), ("commit", commit), ("begin", begin)]
    for name, fn in listeners:
        sa.event.listen(engine, name, fn)
    return listeners


@pytest.mark.parametrize(
    ("mutation", "write"),
    [
        (
            'mutation { insert_article_one(object: {title: "T", author_id: 2}) '
            "{ id author { name } } }",
            "INSERT",
        ),
        (
            "mutation { update_article(where: {id: {_eq: 2}}, _inc: {likes: 1}) "
            "{ returning { likes author { name } } } }",
            "UPDATE",
        ),
        (
            "mutation { delete_article_by_pk(id: 4) { title author { name } } }",
            "DELETE",
        ),
    ],
    ids=["insert", "update", "delete"],
)
def test_relationship_read_runs_in_the_write_transaction(
    client: TestClient, mutation: str, write: str
) -> None:
    engine, events = _events(client)
    listeners = _record(engine, events)
    try:
        got = data(client, mutation)
    finally:
        for name, fn in listeners:
            sa.event.remove(engine, name, fn)
    row = next(iter(got.values()))
    row = row["returning"][0] if "returning" in row else row
    assert row["author"] == {"name": "Beltran"}  # articles 2 and 4 are Beltran's; T is too
    kinds = [(kind, what) for kind, _, what in events]
    write_at = kinds.index(("sql", write))
    commit_at = kinds.index(("commit", ""))
    reads = [i for i, (kind, what) in enumerate(kinds) if (kind, what) == ("sql", "SELECT")]
    assert reads, kinds
    # The read of the relationships comes before the commit (after the write, or before it
    # for a delete), on the connection that wrote.
    assert all(i < commit_at for i in reads), kinds
    begin_at = max(i for i, (kind, _) in enumerate(kinds) if kind == "begin" and i < write_at)
    assert all(i > begin_at for i in reads), kinds  # inside the write's transaction
    if write == "DELETE":
        assert reads[0] < write_at
    else:
        assert reads[-1] > write_at
    writer = events[write_at][1]
    assert all(events[i][1] == writer for i in reads), events
