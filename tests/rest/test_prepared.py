"""A request shape is built once and its SQL reused, with each request's own values bound.

On PostgreSQL the compiled SQL string goes to the driver directly (exec_driver_sql):
these tests check that path answers exactly what a fresh build answers, types each
request's values (422 before SQL), never splices them, and follows a model change.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings, SchemaCacheSettings, Settings, SourceSettings
from gateway.app import create_app
from gateway.query.prepared import StatementCache
from tests.fixtures.load import load_fixture
from tests.live import postgresql_database
from tests.rest.helpers import demo_client, recording


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    with postgresql_database() as url:
        engine = sa.create_engine(url)
        load_fixture("postgresql", engine, main="public", inventory="inventory")
        engine.dispose()
        settings = Settings(
            sources=(SourceSettings(name="fx", url=url, schemas=("public", "inventory")),),
            schema_cache=SchemaCacheSettings(
                snapshot_path=str(tmp_path_factory.mktemp("prepared") / "snapshot.json"),
                ttl_seconds=0,
            ),
            auth=AuthSettings(enabled=False),
        )
        app = create_app(settings, background_refresh=False)
        with TestClient(app) as client:
            app.state.runtime.cache.refresh()
            yield client, url


def _cache(client: TestClient) -> StatementCache:
    cache: StatementCache = client.app.state.query_context.statements  # type: ignore[attr-defined]
    return cache


SHAPES = [
    # (query template, values): one shape each, values differing per request
    ("status=eq.{}&order=id", ["paid", "new", "shipped", "none"]),
    ("total=gt.{}&order=total.desc.nullslast&limit=3", ["10", "100", "0.5"]),
    ("id=in.({})&select=id,customer(name),order_items(line_no,qty)&order=id", ["1,2", "3,4"]),
    ("or=(status.eq.{},total.is.null)&order=id", ["paid", "shipped"]),
    ("customer_id=eq.{}&select=id,order_items(sku)&order=id", ["1", "2", "3"]),
]


@pytest.mark.parametrize(("template", "values"), SHAPES)
def test_a_shape_is_built_once_and_answers_like_a_fresh_build(
    pg: tuple[TestClient, str], template: str, values: list[str]
) -> None:
    client, _ = pg
    cache = _cache(client)
    cache.clear()
    bodies = []
    for value in values:
        cached = client.get(f"/rest/fx/orders?{template.format(value)}")
        assert cached.status_code == 200, cached.text
        bodies.append(cached.content)
    assert len(cache) == 1  # every value went through the one prepared statement
    for value, body in zip(values, bodies, strict=True):
        cache.clear()  # a fresh build with this request's value
        fresh = client.get(f"/rest/fx/orders?{template.format(value)}")
        assert fresh.content == body
    assert len(set(bodies)) > 1  # the values reached the database, not the first request's


def test_exact_count_is_prepared_per_shape(pg: tuple[TestClient, str]) -> None:
    client, _ = pg
    counts = []
    for status in ("paid", "new", "nothing"):
        response = client.get(
            f"/rest/fx/orders?status=eq.{status}&limit=1", headers={"Prefer": "count=exact"}
        )
        assert response.status_code in (200, 206), response.text
        counts.append(response.headers["content-range"].split("/")[1])
    expected = []
    for status in ("paid", "new", "nothing"):
        rows = client.get(f"/rest/fx/orders?status=eq.{status}").json()
        expected.append(str(len(rows)))
    assert counts == expected
    assert counts[2] == "0"


def test_a_value_that_does_not_fit_a_cached_shape_is_422_before_sql(
    pg: tuple[TestClient, str],
) -> None:
    client, _ = pg
    assert client.get("/rest/fx/orders?total=gt.5&id=eq.1").status_code == 200
    with recording(client, "fx") as sql:
        response = client.get("/rest/fx/orders?total=gt.5&id=eq.abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["column"] == "id"
    assert sql.statements == []


@pytest.mark.parametrize("value", ["x'; DROP TABLE orders; --", "/* c */", "ünï ☃", "1) OR (1=1"])
def test_values_of_a_cached_shape_are_bound(pg: tuple[TestClient, str], value: str) -> None:
    client, _ = pg
    assert client.get("/rest/fx/customers", params={"name": "eq.Ada Lovelace"}).json()
    with recording(client, "fx") as sql:
        response = client.get("/rest/fx/customers", params={"name": f"eq.{value}"})
    assert (response.status_code, response.json()) == (200, [])
    assert sql.statements
    assert all(value not in statement for statement in sql.statements)
    assert any(value in str(p) for p in sql.parameters)


def test_a_model_change_is_not_served_an_old_statement(pg: tuple[TestClient, str]) -> None:
    client, url = pg
    assert "note" not in client.get("/rest/fx/customers?id=eq.1").json()[0]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE customers ADD COLUMN note text DEFAULT 'hi'"))
    engine.dispose()
    client.app.state.runtime.cache.refresh(["fx"])  # type: ignore[attr-defined]
    assert client.get("/rest/fx/customers?id=eq.2").json()[0]["note"] == "hi"


def test_a_batched_read_with_embed_filters_prepares_its_root_level(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # SQLite reads level by level: the root statement is prepared per shape even when the
    # embeds carry their own filter values (read per batch of parent keys).
    template = (
        "status=eq.{}&select=id,order_items(line_no)&order_items.line_no=eq.{}&order=id&limit=5"
    )
    with demo_client(tmp_path_factory.mktemp("demo")) as client:
        cache = _cache(client)
        cache.clear()
        bodies = {}
        for status, line in (("paid", 1), ("new", 2), ("shipped", 1)):
            response = client.get(f"/rest/shop/orders?{template.format(status, line)}")
            assert response.status_code == 200, response.text
            bodies[(status, line)] = response.content
        assert len(cache) == 1
        for (status, line), body in bodies.items():
            cache.clear()
            assert client.get(f"/rest/shop/orders?{template.format(status, line)}").content == body
        assert len(set(bodies.values())) == 3
