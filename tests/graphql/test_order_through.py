"""`order_by` through object relationships: every reading position, and access to the target.

The Hasura documentation cases (root lists, several keys, aggregates) are in
`test_hasura_docs.py`; here are the positions that compile differently (nested
lists with a limit per parent, `distinct_on`), and the access rule: sorting by
a related row reads that row's table, so its read scope is required.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from connectors.types import TypeFamily
from gateway.query.access import TableUse
from gateway.query.errors import UnknownRelationshipError
from gateway.query.ir import OrderItem, Select, TableRef
from gateway.query.uses import table_uses
from schema_cache.model import Catalog, Column, Relationship, Source, Table
from tests.auth.helpers import auth_gateway
from tests.graphql.hasura_fixture import ARTICLES, AUTHORS, served
from tests.graphql.helpers import data
from tests.graphql.test_conformance import MARKS
from tests.rest.conformance import CONFORMANCE_TARGETS, serve


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with served(request.param, tmp_path_factory.mktemp(request.param)) as client:
        yield client


def test_nested_lists_with_a_limit_per_parent(client: TestClient) -> None:
    got = data(
        client,
        """{ authors(order_by: {id: asc}) {
              id articles(order_by: [{author: {name: asc}}, {id: desc}], limit: 2) { id }
        } }""",
    )
    expected = [
        {
            "id": a["id"],
            "articles": [
                {"id": r["id"]}
                for r in sorted(
                    (r for r in ARTICLES if r["author_id"] == a["id"]), key=lambda r: -r["id"]
                )[:2]
            ],
        }
        for a in sorted(AUTHORS, key=lambda a: a["id"])
    ]
    assert got["authors"] == expected


def test_distinct_on_ordered_through_a_relationship(client: TestClient) -> None:
    got = data(
        client,
        """{ articles(distinct_on: [author_id],
                      order_by: [{author: {name: desc}}, {rating: desc_nulls_last}]) {
              author_id id
        } }""",
    )
    names = {a["id"]: a["name"] for a in AUTHORS}
    best = {}
    for author_id in {a["author_id"] for a in ARTICLES}:
        rows = [a for a in ARTICLES if a["author_id"] == author_id]
        best[author_id] = min(
            rows, key=lambda r: (r["rating"] is None, -(r["rating"] or 0), r["id"])
        )
    expected = [
        {"author_id": i, "id": best[i]["id"]}
        for i in sorted(best, key=lambda i: names[i], reverse=True)
    ]
    assert got["articles"] == expected


def test_ordering_through_a_relationship_reads_the_related_table() -> None:

    column = (Column("id", TypeFamily.INTEGER, "integer", False),)
    author = Relationship(
        "author", "object", ("author_id",), "blog", "main", "authors", ("id",), "fk"
    )
    articles = Table(
        "main",
        "articles",
        "table",
        (*column, Column("author_id", TypeFamily.INTEGER, "integer", False)),
        primary_key=("id",),
        relationships=(author,),
    )
    authors = Table("main", "authors", "table", column, primary_key=("id",))
    catalog = Catalog(sources=(Source("blog", "sqlite", "3", "main", "v1", (articles, authors)),))
    select = Select(TableRef("blog", "articles"), order=(OrderItem("id", path=("author",)),))
    assert table_uses(select, catalog) == [
        TableUse("blog", "articles", "read"),
        TableUse("blog", "authors", "read"),
    ]
    unknown = Select(TableRef("blog", "articles"), order=(OrderItem("id", path=("editor",)),))
    with pytest.raises(UnknownRelationshipError):
        table_uses(unknown, catalog)


def test_a_key_without_read_on_the_related_table_cannot_order_by_it(tmp_path: Path) -> None:
    query = {"query": "{ shop_orders(order_by: {customer: {name: asc}}, limit: 2) { id } }"}
    with auth_gateway(tmp_path) as gw:
        narrow = gw.new_key("shop.orders:read")
        refused = gw.client.post("/graphql", headers={"X-API-Key": narrow}, json=query).json()
        assert refused.get("data") is None
        assert "customer" in refused["errors"][0]["message"]
        both = gw.new_key("shop.orders:read", "shop.customers:read")
        allowed = gw.client.post("/graphql", headers={"X-API-Key": both}, json=query).json()
        assert "errors" not in allowed, allowed
        assert len(allowed["data"]["shop_orders"]) == 2


@pytest.fixture(
    scope="module",
    params=[pytest.param(t, id=t.id, marks=MARKS.get(t.id, [])) for t in CONFORMANCE_TARGETS],
)
def fixture_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The REST conformance fixture on PostgreSQL, MariaDB, SQLite and DuckDB."""
    with serve(request.param, tmp_path_factory.mktemp(request.param.id)) as served:
        yield served.client


def test_every_dialect_sorts_by_the_related_row(fixture_client: TestClient) -> None:
    got = data(
        fixture_client,
        """{ sorted: fx_orders(order_by: [{customer: {name: desc}}, {id: asc}]) {
               id customer { name } }
             every: fx_orders { id } }""",
    )
    keys = [(o["customer"]["name"], o["id"]) for o in got["sorted"]]
    # name descending, then id ascending: compared in Python, not taken from the gateway
    assert keys == sorted(keys, key=lambda k: (_Desc(k[0]), k[1]))
    assert len({name for name, _ in keys}) > 1
    assert sorted(i for _, i in keys) == sorted(o["id"] for o in got["every"])


class _Desc:
    """Reverses the order of a string (for one descending key among ascending ones)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]
