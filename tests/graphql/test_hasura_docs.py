"""Queries written as Hasura's documentation writes them run unchanged against fedgate.

The fixture (`hasura_fixture`) has the docs' tables (`authors`/`articles` of
the query pages, `author`/`article` of the mutation pages, `employee` of the
distinct page) in one source, `blog`, served with `graphql_prefix: ""`, so the
root fields are the tables' own names, as Hasura names its default source.
Each case names the documentation section it follows; the expected answer is
computed from the fixture's rows in Python, never taken from the gateway.
Where the docs show no literal that fits the fixture, the query keeps the
docs' shape and the comment says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.graphql.hasura_fixture import (
    ARTICLE,
    ARTICLES,
    AUTHOR,
    AUTHORS,
    EMPLOYEE,
    Row,
    by_id,
    ordered,
    pick,
    served,
)
from tests.graphql.helpers import data

DOCS = "https://hasura.io/docs/latest/queries/postgres/"
MUTATIONS = "https://hasura.io/docs/latest/mutations/postgres/"


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with served(request.param, tmp_path_factory.mktemp(request.param)) as client:
        yield client


def of(author_id: int, *fields: str, where: Callable[[Row], bool] = lambda a: True) -> list[Row]:
    return [pick(a, *fields) for a in by_id(ARTICLES) if a["author_id"] == author_id and where(a)]


def authors(*fields: str, where: Callable[[Row], bool] = lambda a: True) -> list[Row]:
    return [pick(a, *fields) for a in by_id(AUTHORS) if where(a)]


def articles(*fields: str, where: Callable[[Row], bool] = lambda a: True) -> list[Row]:
    return [pick(a, *fields) for a in by_id(ARTICLES) if where(a)]


def author_of(article: Row) -> Row:
    return next(pick(a, "id", "name") for a in AUTHORS if a["id"] == article["author_id"])


def first_three() -> list[Row]:
    """Articles by author name, then id: the first three."""
    return sorted(ARTICLES, key=lambda a: (name_of(a["author_id"]), a["id"]))[:3]


def name_of(author_id: int) -> str:
    return next(a["name"] for a in AUTHORS if a["id"] == author_id)


@dataclass(frozen=True)
class Doc:
    """A query from a documentation section, and its answer computed from the fixture."""

    name: str
    section: str  # the page (and heading) the query follows
    query: str
    expected: Callable[[], dict[str, Any]]
    variables: dict[str, Any] | None = None
    unordered: tuple[str, ...] = ()  # root fields without order_by: compared as sets by id


READS = [
    Doc(
        "fetch-list",
        DOCS + "simple-object-queries#fetch-list-of-objects",
        "query { authors { id name } }",
        lambda: {"authors": authors("id", "name")},
        unordered=("authors",),
    ),
    Doc(
        "fetch-by-pk",
        DOCS + "simple-object-queries#fetch-an-object-using-its-primary-key",
        "query { authors_by_pk(id: 1) { id name } }",
        lambda: {"authors_by_pk": {"id": 1, "name": "Justin"}},
    ),
    Doc(
        "nested-object-relationship",
        DOCS + "nested-object-queries#object-relationship",
        "query { articles { id title author { name } } }",
        lambda: {
            "articles": [
                {"id": a["id"], "title": a["title"], "author": {"name": name_of(a["author_id"])}}
                for a in by_id(ARTICLES)
            ]
        },
        unordered=("articles",),
    ),
    Doc(
        "nested-array-relationship",
        DOCS + "nested-object-queries#array-relationship",
        "query { authors { id name articles { id title } } }",
        lambda: {
            "authors": [
                {**pick(a, "id", "name"), "articles": of(a["id"], "id", "title")}
                for a in by_id(AUTHORS)
            ]
        },
        unordered=("authors", "authors.articles"),
    ),
    Doc(
        "where-eq",
        DOCS + "query-filters#the-where-argument",
        'query { authors(where: { name: { _eq: "Sidney" } }) { id name } }',
        lambda: {"authors": [{"id": 3, "name": "Sidney"}]},
    ),
    Doc(
        "where-through-array-relationship-and-nested-where",
        DOCS + "query-filters#the-where-argument (authors with articles rated above 4)",
        """query {
          authors(where: { articles: { rating: { _gt: 4 } } }) {
            id
            name
            articles(where: { rating: { _gt: 4 } }) { id title rating }
          }
        }""",
        lambda: {
            "authors": [
                {
                    **pick(a, "id", "name"),
                    "articles": of(
                        a["id"], "id", "title", "rating", where=lambda r: (r["rating"] or 0) > 4
                    ),
                }
                for a in by_id(AUTHORS)
                if any((r["rating"] or 0) > 4 for r in ARTICLES if r["author_id"] == a["id"])
            ]
        },
        unordered=("authors", "authors.articles"),
    ),
    Doc(
        "filter-nested-objects",
        DOCS + "query-filters#filter-nested-objects",
        """query {
          authors { id name articles(where: {is_published: {_eq: true}}) { id title is_published } }
        }""",
        lambda: {
            "authors": [
                {
                    **pick(a, "id", "name"),
                    "articles": of(
                        a["id"], "id", "title", "is_published", where=lambda r: r["is_published"]
                    ),
                }
                for a in by_id(AUTHORS)
            ]
        },
        unordered=("authors", "authors.articles"),
    ),
    Doc(
        "eq-integer",
        DOCS + "filters/comparison-operators#example-integer-works-with-double-float-numeric-etc",
        "query { authors(where: {id: {_eq: 3}}) { id name } }",
        lambda: {"authors": [{"id": 3, "name": "Sidney"}]},
    ),
    Doc(
        "eq-boolean",
        DOCS + "filters/comparison-operators#example-boolean",
        "query { articles(where: {is_published: {_eq: false}}) { id title is_published } }",
        lambda: {
            "articles": articles(
                "id", "title", "is_published", where=lambda a: not a["is_published"]
            )
        },
        unordered=("articles",),
    ),
    Doc(
        "eq-date",
        DOCS + "filters/comparison-operators#example-date-works-with-time-timezone-etc",
        'query { articles(where: {published_on: {_eq: "2017-05-26"}}) { id title published_on } }',
        lambda: {
            "articles": [{"id": 3, "title": "amet justo morbi", "published_on": "2017-05-26"}]
        },
    ),
    Doc(
        "gte",
        DOCS + "filters/comparison-operators#greater-than-or-less-than-operators-_gt-_lt-_gte-_lte",
        "query { articles(where: {rating: {_gte: 4}}) { id title rating } }",
        lambda: {
            "articles": articles("id", "title", "rating", where=lambda a: (a["rating"] or 0) >= 4)
        },
        unordered=("articles",),
    ),
    Doc(
        "in",
        DOCS + "filters/comparison-operators#list-based-search-operators-_in-_nin",
        "query { articles(where: {rating: {_in: [1, 3, 5]}}) { id title rating } }",
        lambda: {
            "articles": articles("id", "title", "rating", where=lambda a: a["rating"] in (1, 3, 5))
        },
        unordered=("articles",),
    ),
    Doc(
        "nin",
        DOCS + "filters/comparison-operators#list-based-search-operators-_in-_nin",
        'query { authors(where: {name: {_nin: ["Justin", "Sidney"]}}) { id name } }',
        lambda: {
            "authors": authors("id", "name", where=lambda a: a["name"] not in ("Justin", "Sidney"))
        },
        unordered=("authors",),
    ),
    Doc(
        "like",
        DOCS + "filters/text-search-operators#_like",
        'query { articles(where: {title: {_like: "%amet%"}}) { id title } }',
        lambda: {"articles": articles("id", "title", where=lambda a: "amet" in a["title"])},
        unordered=("articles",),
    ),
    Doc(
        "ilike",  # the docs' shape; the pattern is chosen for this fixture's names
        DOCS + "filters/text-search-operators#_ilike",
        'query { authors(where: {name: {_ilike: "%AN%"}}) { id name } }',
        lambda: {"authors": authors("id", "name", where=lambda a: "an" in a["name"].lower())},
        unordered=("authors",),
    ),
    Doc(
        "is-null",
        DOCS + "filters/null-value-operators#_is_null",
        "query { articles(where: {published_on: {_is_null: true}}) { id title published_on } }",
        lambda: {
            "articles": articles(
                "id", "title", "published_on", where=lambda a: a["published_on"] is None
            )
        },
        unordered=("articles",),
    ),
    Doc(
        "not-through-relationship",
        DOCS + "filters/boolean-operators#example-_not",
        """query {
          authors(where: {_not: {articles: {is_published: {_eq: true}}}}) {
            id name articles { id title is_published }
          }
        }""",
        lambda: {
            "authors": [
                {**pick(a, "id", "name"), "articles": of(a["id"], "id", "title", "is_published")}
                for a in by_id(AUTHORS)
                if not any(r["is_published"] for r in ARTICLES if r["author_id"] == a["id"])
            ]
        },
        unordered=("authors", "authors.articles"),
    ),
    Doc(
        "and",
        DOCS + "filters/boolean-operators#example-_and",
        """query {
          articles(where: {_and: [{published_on: {_gte: "2017-01-01"}},
                                  {published_on: {_lte: "2017-12-31"}}]}) {
            id title published_on
          }
        }""",
        lambda: {
            "articles": articles(
                "id",
                "title",
                "published_on",
                where=lambda a: "2017-01-01" <= (a["published_on"] or "") <= "2017-12-31",
            )
        },
        unordered=("articles",),
    ),
    Doc(
        "or",
        DOCS + "filters/boolean-operators#example-_or",
        """query {
          articles(where: {_or: [{rating: {_gt: 4}}, {published_on: {_gt: "2018-01-01"}}]}) {
            id title rating published_on
          }
        }""",
        lambda: {
            "articles": articles(
                "id",
                "title",
                "rating",
                "published_on",
                where=lambda a: (a["rating"] or 0) > 4 or (a["published_on"] or "") > "2018-01-01",
            )
        },
        unordered=("articles",),
    ),
    Doc(
        "where-through-object-relationship",
        DOCS + "query-filters#fetch-if-the-single-nested-object-defined-via-an-object-relationship"
        "-satisfies-a-condition",
        'query { articles(where: {author: {name: {_eq: "Sidney"}}}) { id title } }',
        lambda: {"articles": of(3, "id", "title")},
        unordered=("articles",),
    ),
    Doc(
        "sort",
        DOCS + "sorting#sorting-objects",
        "query { authors(order_by: {name: asc}) { id name } }",
        lambda: {"authors": sorted(authors("id", "name"), key=lambda a: a["name"])},
    ),
    Doc(
        "sort-nested",
        DOCS + "sorting#sorting-nested-objects",
        """query {
          authors(order_by: {name: asc}) {
            id name articles(order_by: {rating: desc}) { id title rating }
          }
        }""",
        lambda: {
            "authors": [
                {
                    **pick(a, "id", "name"),
                    # desc: nulls first, as PostgreSQL sorts; equal ratings in any order
                    "articles": ordered(
                        of(a["id"], "id", "title", "rating"), ("rating", True, None)
                    ),
                }
                for a in sorted(AUTHORS, key=lambda a: a["name"])
            ]
        },
        unordered=("authors.articles#rating",),
    ),
    Doc(
        "sort-multiple-fields-nulls",
        DOCS + "sorting#sorting-by-multiple-fields",
        "query { articles(order_by: [{rating: desc}, {published_on: asc_nulls_first}]) "
        "{ id rating published_on } }",
        lambda: {
            "articles": ordered(
                articles("id", "rating", "published_on"),
                ("rating", True, None),
                ("published_on", False, True),
            )
        },
    ),
    Doc(
        "sort-by-object-relationship",
        DOCS + "sorting#sorting-based-on-nested-objects-fields",
        "query { articles(order_by: {author: {id: desc}}) "
        "{ id rating published_on author { id name } } }",
        lambda: {
            "articles": [
                {**pick(a, "id", "rating", "published_on"), "author": author_of(a)}
                # equal authors: the primary key breaks the tie, as for every order_by
                for a in ordered(list(ARTICLES), ("author_id", True, None), ("id", False, None))
            ]
        },
    ),
    Doc(
        "sort-by-object-relationship-then-column",
        DOCS + "sorting#sorting-by-multiple-fields (with a nested object's field)",
        "query { articles(order_by: [{author: {name: asc}}, {rating: desc_nulls_last}]) "
        "{ id rating author { name } } }",
        lambda: {
            "articles": [
                {**pick(a, "id", "rating"), "author": {"name": name_of(a["author_id"])}}
                for a in sorted(
                    ARTICLES,
                    key=lambda a: (
                        name_of(a["author_id"]),
                        a["rating"] is None,
                        -(a["rating"] or 0),
                        a["id"],
                    ),
                )
            ]
        },
    ),
    Doc(
        "aggregate-ordered-by-object-relationship",
        DOCS + "aggregation-queries (nodes and limit ordered through a nested object)",
        "query { articles_aggregate(order_by: [{author: {name: asc}}, {id: asc}], limit: 3) "
        "{ aggregate { count sum { rating } } nodes { id } } }",
        lambda: {
            "articles_aggregate": {
                "aggregate": {  # over the first three rows, as Hasura aggregates a limited set
                    "count": len(first_three()),
                    "sum": {"rating": sum(a["rating"] or 0 for a in first_three())},
                },
                "nodes": [{"id": a["id"]} for a in first_three()],
            }
        },
    ),
    Doc(
        "distinct-on",
        DOCS + "distinct-queries#fetch-results-with-distinct-values-of-a-particular-field",
        """query {
          employee(distinct_on: [department], order_by: [{department: asc}, {salary: desc}]) {
            id name department salary
          }
        }""",
        lambda: {
            "employee": [
                max((e for e in EMPLOYEE if e["department"] == d), key=lambda e: e["salary"])
                for d in sorted({e["department"] for e in EMPLOYEE})
            ]
        },
    ),
    Doc(
        "aggregate",
        DOCS + "aggregation-queries#fetch-aggregated-data-of-an-object",
        """query {
          articles_aggregate {
            aggregate { count sum { rating } avg { rating } max { rating } }
            nodes { id title rating }
          }
        }""",
        lambda: {
            "articles_aggregate": {
                "aggregate": {
                    "count": len(ARTICLES),
                    "sum": {"rating": sum(a["rating"] or 0 for a in ARTICLES)},
                    "avg": {
                        "rating": fmean(a["rating"] for a in ARTICLES if a["rating"] is not None)
                    },
                    "max": {"rating": max(a["rating"] or 0 for a in ARTICLES)},
                },
                "nodes": articles("id", "title", "rating"),
            }
        },
        unordered=("articles_aggregate.nodes",),
    ),
    Doc(
        "aggregate-nested",
        DOCS + "aggregation-queries#fetch-aggregated-data-on-nested-objects",
        """query {
          authors_by_pk(id: 1) {
            id
            name
            articles_aggregate {
              aggregate { count avg { rating } max { rating } }
              nodes { id title rating }
            }
          }
        }""",
        lambda: {
            "authors_by_pk": {
                "id": 1,
                "name": "Justin",
                "articles_aggregate": {
                    "aggregate": {
                        "count": len(of(1, "id")),
                        "avg": {
                            "rating": fmean(r["rating"] for r in of(1, "rating") if r["rating"])
                        },
                        "max": {"rating": max(r["rating"] or 0 for r in of(1, "rating"))},
                    },
                    "nodes": of(1, "id", "title", "rating"),
                },
            }
        },
        unordered=("authors_by_pk.articles_aggregate.nodes",),
    ),
    Doc(
        "aggregate-filtered-count",
        DOCS + "aggregation-queries (with a where argument, as in query-filters)",
        "query { articles_aggregate(where: {is_published: {_eq: true}}) { aggregate { count } } }",
        lambda: {
            "articles_aggregate": {
                "aggregate": {"count": sum(1 for a in ARTICLES if a["is_published"])}
            }
        },
    ),
    Doc(
        "multiple-queries",
        DOCS + "multiple-queries",
        "query { authors { id name } articles { id title } }",
        lambda: {"authors": authors("id", "name"), "articles": articles("id", "title")},
        unordered=("authors", "articles"),
    ),
    Doc(
        "variables",
        DOCS + "variables-aliases-fragments-directives#using-variables",
        """query getArticles($author_id: Int!) {
          articles(where: { author_id: { _eq: $author_id } }) { id title }
        }""",
        lambda: {"articles": of(1, "id", "title")},
        variables={"author_id": 1},
        unordered=("articles",),
    ),
    Doc(
        "aliases",
        DOCS + "variables-aliases-fragments-directives#using-aliases",
        """query getArticles {
          articles(where: {rating: {_gte: 4}}) { id title rating }
          topTwoArticles: articles(order_by: [{rating: desc_nulls_last}, {id: asc}], limit: 2) {
            id title rating
          }
          worstArticle: articles(order_by: [{rating: asc}, {id: asc}], limit: 1) {
            id title rating
          }
        }""",
        lambda: {
            "articles": articles("id", "title", "rating", where=lambda a: (a["rating"] or 0) >= 4),
            "topTwoArticles": ordered(
                articles("id", "title", "rating"), ("rating", True, False), ("id", False, None)
            )[:2],
            "worstArticle": ordered(
                articles("id", "title", "rating"), ("rating", False, None), ("id", False, None)
            )[:1],
        },
        unordered=("articles",),
    ),
    Doc(
        "fragments",
        DOCS + "variables-aliases-fragments-directives#using-fragments",
        """fragment articleFields on articles { id title }
        query getArticles {
          articles { ...articleFields }
          topTwoArticles: articles(order_by: [{rating: desc_nulls_last}, {id: asc}], limit: 2) {
            ...articleFields
          }
        }""",
        lambda: {
            "articles": articles("id", "title"),
            "topTwoArticles": [
                pick(a, "id", "title")
                for a in ordered(list(ARTICLES), ("rating", True, False), ("id", False, None))[:2]
            ],
        },
        unordered=("articles",),
    ),
]


def _canonical(value: Any, unordered: tuple[str, ...], path: str = "") -> Any:
    """`value` with the lists at the `unordered` paths sorted by id (or by `path#key`)."""
    if isinstance(value, dict):
        return {k: _canonical(v, unordered, f"{path}.{k}".lstrip(".")) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v, unordered, path) for v in value]
        if path in unordered:
            return sorted(items, key=lambda r: r["id"])
        keyed = next((u for u in unordered if u.startswith(path + "#")), None)
        if keyed is not None:  # ties of this key may come in any order: sort within them
            key = keyed.split("#", 1)[1]
            positions = {id(r): i for i, r in enumerate(items)}
            return sorted(items, key=lambda r: (_rank(items, r, key, positions), r["id"]))
        return items
    return value


def _rank(items: list[Any], row: Any, key: str, positions: dict[int, int]) -> int:
    """The position of the first item with the same `key` value: ties share a rank."""
    return min(positions[id(r)] for r in items if r[key] == row[key])


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, int | float):
        return abs(actual - expected) < 1e-9
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            _close(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(
            _close(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected) and type(actual) is type(expected)


@pytest.mark.parametrize("doc", READS, ids=[d.name for d in READS])
def test_documented_query(client: TestClient, doc: Doc) -> None:
    got = data(client, doc.query, doc.variables)
    actual = _canonical(got, doc.unordered)
    expected = _canonical(doc.expected(), doc.unordered)
    assert _close(actual, expected), (doc.section, actual, expected)
    assert list(got) == list(expected)  # root fields in the document's order


def test_at_least_fifteen_documented_queries() -> None:
    assert len(READS) + len(MUTATION_STEPS) >= 15


PAGINATION = [
    (
        DOCS + "pagination#limit-results",
        "query { authors(limit: 2) { id name } }",
        lambda got: len(got["authors"]) == 2,
    ),
    (
        DOCS + "pagination#limit-results-from-an-offset",
        "query { authors(limit: 2, offset: 2) { id name } }",
        lambda got: len(got["authors"]) == 2,
    ),
    (
        DOCS + "pagination#limit-results-in-a-nested-object",
        "query { authors { id name articles(limit: 2, offset: 0) { id title } } }",
        lambda got: all(
            len(a["articles"]) == min(2, len(of(a["id"], "id"))) for a in got["authors"]
        ),
    ),
]


@pytest.mark.parametrize(
    ("section", "query", "check"), PAGINATION, ids=["limit", "offset", "nested"]
)
def test_documented_pagination(
    client: TestClient, section: str, query: str, check: Callable[[Any], bool]
) -> None:
    """The docs paginate without order_by, so which rows come back is the database's choice:
    the count is checked, and that every row is a real row of the fixture."""
    got = data(client, query)
    assert check(got), (section, got)
    known = {(a["id"], a["name"]) for a in AUTHORS}
    assert all((a["id"], a["name"]) in known for a in got["authors"])
    ids = [a["id"] for a in got["authors"]]
    assert len(ids) == len(set(ids))
    for author in got["authors"]:
        for article in author.get("articles", []):
            assert article in of(author["id"], "id", "title")


# Mutations: one ordered sequence (each step depends on the ones before, as in the docs),
# checked against a Python model of the `author` and `article` tables.


@dataclass
class Model:
    author: dict[int, Row]
    article: dict[int, Row]


Step = tuple[str, str, Callable[[Model], Any]]  # (section, mutation, expected data; updates model)


def _insert_one(m: Model) -> Any:
    row = {
        "id": 12,
        "title": "Article 1",
        "content": "Sample article content",
        "rating": None,
        "likes": 0,
        "is_published": False,
        "published_on": None,
        "author_id": 3,
    }
    m.article[12] = row
    return {"insert_article_one": {"id": 12, "title": "Article 1"}}


def _insert_many(m: Model) -> Any:
    returning = []
    for new_id, title, author_id in ((13, "Article 2", 4), (14, "Article 3", 5)):
        m.article[new_id] = {
            "id": new_id,
            "title": title,
            "content": "Sample article content",
            "rating": None,
            "likes": 0,
            "is_published": False,
            "published_on": None,
            "author_id": author_id,
        }
        returning.append(
            {"id": new_id, "title": title, "author": pick(m.author[author_id], "id", "name")}
        )
    return {"insert_article": {"affected_rows": 2, "returning": returning}}


def _upsert_update(m: Model) -> Any:
    row = next(r for r in m.article.values() if r["title"] == "Article 1")
    row["content"] = "Updated article 1 content"
    row["published_on"] = "2018-06-15"
    return {"insert_article": {"returning": [pick(row, "id", "title", "content", "published_on")]}}


def _upsert_ignore(m: Model) -> Any:
    assert any(a["name"] == "Sidney" for a in m.author.values())
    return {"insert_author": {"affected_rows": 0}}


def _upsert_reference(m: Model) -> Any:
    m.author[12] = {"id": 12, "name": "John"}
    return {"insert_author": {"affected_rows": 1}}


def _update_by_pk(m: Model) -> Any:
    m.article[1]["is_published"] = True
    return {"update_article_by_pk": {"id": 1, "is_published": True}}


def _update_nested_where(m: Model) -> Any:
    sidney = next(a["id"] for a in m.author.values() if a["name"] == "Sidney")
    hit = [r for r in m.article.values() if r["author_id"] == sidney]
    for r in hit:
        r["rating"] = 1
    return {"update_article": {"affected_rows": len(hit)}}


def _increment(m: Model) -> Any:
    m.article[1]["likes"] += 2
    return {
        "update_article": {
            "affected_rows": 1,
            "returning": [{"id": 1, "likes": m.article[1]["likes"]}],
        }
    }


def _delete_by_pk(m: Model) -> Any:
    row = m.article.pop(1)
    return {"delete_article_by_pk": pick(row, "id", "title")}


def _delete_by_pk_missing(m: Model) -> Any:
    return {"delete_article_by_pk": None}


def _delete_where(m: Model) -> Any:
    hit = [i for i, r in m.article.items() if r["rating"] is not None and r["rating"] < 3]
    for i in hit:
        del m.article[i]
    return {"delete_article": {"affected_rows": len(hit)}}


def _delete_nested_where(m: Model) -> Any:
    corny = next(a["id"] for a in m.author.values() if a["name"] == "Corny")
    hit = sorted(i for i, r in m.article.items() if r["author_id"] == corny)
    rows = [pick(m.article.pop(i), "id", "title") for i in hit]
    return {"delete_article": {"affected_rows": len(rows), "returning": rows}}


MUTATION_STEPS: list[Step] = [
    (
        MUTATIONS + "insert#insert-a-single-object",
        """mutation insert_single_article {
          insert_article_one(
            object: {title: "Article 1", content: "Sample article content", author_id: 3}
          ) { id title }
        }""",
        _insert_one,
    ),
    (
        MUTATIONS + "insert#insert-multiple-objects-of-the-same-type-in-the-same-mutation"
        " (with a nested object in the response)",
        """mutation insert_multiple_articles {
          insert_article(objects: [
            {title: "Article 2", content: "Sample article content", author_id: 4},
            {title: "Article 3", content: "Sample article content", author_id: 5}
          ]) {
            affected_rows
            returning { id title author { id name } }
          }
        }""",
        _insert_many,
    ),
    (
        MUTATIONS + "upsert#update-selected-columns-on-conflict",
        """mutation upsert_article {
          insert_article(
            objects: [{title: "Article 1", content: "Updated article 1 content",
                       published_on: "2018-06-15"}]
            on_conflict: {constraint: article_title_key, update_columns: [content, published_on]}
          ) {
            returning { id title content published_on }
          }
        }""",
        _upsert_update,
    ),
    (
        MUTATIONS + "upsert#ignore-request-on-conflict",
        """mutation upsert_author_ignore {
          insert_author(
            objects: [{name: "Sidney"}]
            on_conflict: {constraint: author_name_key, update_columns: []}
          ) { affected_rows }
        }""",
        _upsert_ignore,
    ),
    (
        "https://hasura.io/docs/latest/api-reference/graphql-api/mutation/#insert-upsert-syntax"
        " (Example: Upsert, verbatim)",
        """mutation upsert_author {
          insert_author (
            objects: [
              {
                name: "John",
                id:12
              }
            ],
            on_conflict: {
              constraint: author_name_key,
              update_columns: [name, id]
            }
          ) {
            affected_rows
          }
        }""",
        _upsert_reference,
    ),
    (
        MUTATIONS + "update#update-an-object-by-its-primary-key",
        """mutation update_an_article {
          update_article_by_pk(pk_columns: {id: 1}, _set: {is_published: true}) {
            id
            is_published
          }
        }""",
        _update_by_pk,
    ),
    (
        MUTATIONS + "update#update-objects-based-on-nested-objects-fields",
        """mutation update_ratings {
          update_article(where: {author: {name: {_eq: "Sidney"}}}, _set: {rating: 1}) {
            affected_rows
          }
        }""",
        _update_nested_where,
    ),
    (
        MUTATIONS + "update#increment-int-columns",
        """mutation update_likes {
          update_article(where: {id: {_eq: 1}}, _inc: {likes: 2}) {
            affected_rows
            returning { id likes }
          }
        }""",
        _increment,
    ),
    (
        MUTATIONS + "delete#delete-an-object-by-its-primary-key",
        """mutation delete_an_object {
          delete_article_by_pk(id: 1) { id title }
        }""",
        _delete_by_pk,
    ),
    (
        MUTATIONS + "delete#delete-an-object-by-its-primary-key (a non-existent article)",
        """mutation delete_an_object {
          delete_article_by_pk(id: 1) { id title }
        }""",
        _delete_by_pk_missing,
    ),
    (
        MUTATIONS + "delete#delete-objects-based-on-their-fields",
        """mutation delete_low_rated_articles {
          delete_article(where: {rating: {_lt: 3}}) { affected_rows }
        }""",
        _delete_where,
    ),
    (
        MUTATIONS + "delete#delete-objects-based-on-nested-objects-fields",
        """mutation delete_authors_articles {
          delete_article(where: {author: {name: {_eq: "Corny"}}}) {
            affected_rows
            returning { id title }
          }
        }""",
        _delete_nested_where,
    ),
]


def test_documented_mutations_in_sequence(client: TestClient) -> None:
    model = Model({a["id"]: dict(a) for a in AUTHOR}, {a["id"]: dict(a) for a in ARTICLE})
    for section, mutation, step in MUTATION_STEPS:
        expected = step(model)
        got = data(client, mutation)
        assert got == expected, (section, got, expected)
    table = data(
        client,
        "query { article(order_by: {id: asc}) "
        "{ id title content rating likes is_published published_on author_id } }",
    )
    assert table["article"] == [model.article[i] for i in sorted(model.article)]
    people = data(client, "query { author(order_by: {id: asc}) { id name } }")
    assert people["author"] == [model.author[i] for i in sorted(model.author)]
