"""`graphql_prefix`: a source's names without (or with another) prefix, checked at load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from connectors.types import TypeFamily
from gateway.graphql.schema import build_bundle
from schema_cache.model import Catalog, Column, Source, Table


def _load(tmp_path: Path, sources: str) -> object:
    path = tmp_path / "fedgate.yaml"
    path.write_text(textwrap.dedent(sources), encoding="utf-8")
    return load_settings(path)


def test_prefix_is_loaded(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
        sources:
          - {name: blog, url: "sqlite:///blog.sqlite", graphql_prefix: ""}
          - {name: shop, url: "sqlite:///shop.sqlite", graphql_prefix: "Shop"}
          - {name: crm, url: "sqlite:///crm.sqlite"}
        """,
    )
    assert [s.graphql_prefix for s in settings.sources] == ["", "Shop", None]  # type: ignore[attr-defined]


@pytest.mark.parametrize("prefix", ["1x", "__x", "a-b", "é", "x" * 64])
def test_a_prefix_that_cannot_start_a_graphql_name_is_refused(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            f"""
            sources:
              - {{name: blog, url: "sqlite:///blog.sqlite", graphql_prefix: "{prefix}"}}
            """,
        )
    assert "sources[0].graphql_prefix" in str(caught.value)


@pytest.mark.parametrize(
    "second",
    [
        '{name: other, url: "sqlite:///o.sqlite", graphql_prefix: ""}',
        '{name: other, url: "sqlite:///o.sqlite", graphql_prefix: "SHOP_"}',
        '{name: shop, url: "sqlite:///o.sqlite"}',
    ],
)
def test_two_sources_may_not_share_a_prefix(tmp_path: Path, second: str) -> None:
    first = (
        '{name: blog, url: "sqlite:///blog.sqlite", graphql_prefix: ""}'
        if '""' in second
        else '{name: blog, url: "sqlite:///blog.sqlite", graphql_prefix: "shop_"}'
    )
    if "name: shop," in second:
        first = '{name: blog, url: "sqlite:///blog.sqlite", graphql_prefix: "Shop_"}'
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"sources:\n  - {first}\n  - {second}\n")
    message = str(caught.value)
    assert "sources[1].graphql_prefix" in message
    assert "collide" in message


def _catalog() -> Catalog:
    def table(name: str) -> Table:
        columns = (Column("id", TypeFamily.INTEGER, "integer", False),)
        return Table("main", name, "table", columns, primary_key=("id",))

    blog = Source("blog", "sqlite", "3", "main", "v1", (table("articles"), table("order_by")))
    shop = Source("shop", "sqlite", "3", "main", "v1", (table("articles"),))
    return Catalog(sources=(blog, shop))


def test_an_empty_prefix_gives_the_table_names_and_still_avoids_collisions() -> None:
    bundle = build_bundle(_catalog(), prefixes={"blog": ""})
    query = bundle.schema.query_type
    assert query is not None
    fields = set(query.fields)
    assert {"articles", "articles_by_pk", "articles_aggregate", "shop_articles"} <= fields
    # `order_by` is GraphQL-reserved here (the ordering enum): the table gets the next free name
    assert "order_by_2" in fields
    assert "order_by" not in fields
    assert bundle.schema.get_type("articles") is not None


def test_without_prefixes_names_keep_the_source() -> None:
    query = build_bundle(_catalog()).schema.query_type
    assert query is not None
    assert {"blog_articles", "shop_articles", "blog_order_by"} <= set(query.fields)
