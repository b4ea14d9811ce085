"""Root lists stop at the source's `max_page_size`, silently (as Hasura's permission limit)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from starlette.testclient import TestClient

from gateway.app import create_app
from tests.graphql.hasura_fixture import ARTICLES, database, settings
from tests.graphql.helpers import gql


def test_root_lists_are_cut_at_max_page_size_and_aggregates_and_nested_lists_are_not(
    tmp_path: Path,
) -> None:
    with database("sqlite", tmp_path) as url:
        base = settings(url, tmp_path)
        capped = replace(base, sources=(replace(base.sources[0], max_page_size=2),))
        app = create_app(capped, background_refresh=False)
        with TestClient(app) as client:
            app.state.runtime.cache.refresh()
            body = gql(
                client,
                """{
                  all: articles(order_by: {id: asc}) { id }
                  asked: articles(order_by: {id: asc}, limit: 5) { id }
                  fewer: articles(order_by: {id: asc}, limit: 1) { id }
                  second_page: articles(order_by: {id: asc}, limit: 2, offset: 2) { id }
                  articles_aggregate { aggregate { count } }
                  authors_by_pk(id: 1) { articles { id } }
                }""",
            )
    assert "errors" not in body  # silent: no error, no marker
    data = body["data"]
    assert data["all"] == [{"id": 1}, {"id": 2}]
    assert data["asked"] == [{"id": 1}, {"id": 2}]
    assert data["fewer"] == [{"id": 1}]
    assert data["second_page"] == [{"id": 3}, {"id": 4}]
    assert data["articles_aggregate"]["aggregate"]["count"] == len(ARTICLES)
    justin = sorted(a["id"] for a in ARTICLES if a["author_id"] == 1)
    assert len(justin) > 2
    assert sorted(a["id"] for a in data["authors_by_pk"]["articles"]) == justin
