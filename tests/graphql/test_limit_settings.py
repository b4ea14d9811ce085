"""The `graphql` settings change the operation limits of a running gateway."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from config import ConfigError, load_settings
from config.settings import GraphQLSettings
from gateway.app import create_app
from tests.graphql.hasura_fixture import database, settings
from tests.graphql.helpers import codes, gql


def test_configured_limits_are_enforced(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        limited = replace(
            settings(url, tmp_path), graphql=GraphQLSettings(max_depth=2, max_aliases=1)
        )
        app = create_app(limited, background_refresh=False)
        with TestClient(app) as client:
            app.state.runtime.cache.refresh()
            shallow = gql(client, "{ authors_by_pk(id: 1) { name } }")
            deep = gql(client, "{ authors_by_pk(id: 1) { articles { title } } }")
            aliased = gql(client, "{ a: authors_by_pk(id: 1) { name } b: authors { id } }")
    assert shallow["data"] == {"authors_by_pk": {"name": "Justin"}}
    assert codes(deep) == ["bad_request"]
    assert "limit of 2 levels of nesting" in deep["errors"][0]["message"]
    assert codes(aliased) == ["bad_request"]
    assert "limit of 1 aliases" in aliased["errors"][0]["message"]


def test_limits_are_loaded_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "fedgate.yaml"
    path.write_text(
        textwrap.dedent(
            """
            sources: [{name: blog, url: "sqlite:///blog.sqlite"}]
            graphql: {max_depth: 5, max_nodes: 100}
            """
        ),
        encoding="utf-8",
    )
    loaded = load_settings(path)
    assert loaded.graphql == GraphQLSettings(max_depth=5, max_aliases=50, max_nodes=100)
    path.write_text('sources: [{name: blog, url: "sqlite:///b.sqlite"}]\ngraphql: {max_depth: 0}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "graphql.max_depth" in str(caught.value)
