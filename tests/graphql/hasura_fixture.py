"""A database shaped like the examples of Hasura's documentation, and its rows in Python.

Hasura's query pages use `authors` and `articles` (relationships `articles`
and `author`); its mutation pages use `author` and `article`. Both pairs are
here, with the columns the examples touch. The rows are also kept as Python
data, so each test computes its expected answer from them independently of
the gateway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from gateway.app import create_app
from tests.graphql.helpers import without_auth
from tests.live import postgresql_database

Row = dict[str, Any]

AUTHORS: list[Row] = [
    {"id": 1, "name": "Justin"},
    {"id": 2, "name": "Beltran"},
    {"id": 3, "name": "Sidney"},
    {"id": 4, "name": "Anjela"},
    {"id": 5, "name": "Corny"},
]


def _article(
    id: int,
    title: str,
    rating: int | None,
    published: bool,
    published_on: str | None,
    author_id: int,
) -> Row:
    return {
        "id": id,
        "title": title,
        "content": f"content of {title}",
        "rating": rating,
        "is_published": published,
        "published_on": published_on,
        "author_id": author_id,
    }


ARTICLES: list[Row] = [
    _article(1, "sit amet", 1, True, "2017-08-09", 4),
    _article(2, "a nibh", 3, True, "2018-06-10", 2),
    _article(3, "amet justo morbi", 4, True, "2017-05-26", 4),
    _article(4, "vestibulum ac est", 2, False, None, 2),
    _article(5, "ut blandit", 2, True, "2017-01-15", 1),
    _article(6, "sapien ut", 5, True, "2016-12-30", 3),
    _article(7, "nisl duis ac", 4, False, None, 3),
    _article(8, "donec semper sapien", 3, True, "2017-11-02", 1),
    _article(9, "porttitor lorem", None, False, None, 1),
    _article(10, "dolor sit", 5, True, "2018-02-14", 2),
    _article(11, "tortor", 1, False, None, 5),
]

# The mutation pages' tables: `author.name` and `article.title` are unique keys.
# Article 1 starts unpublished here (the update example publishes it).
AUTHOR: list[Row] = [dict(a) for a in AUTHORS]
ARTICLE: list[Row] = [
    {
        "id": a["id"],
        "title": a["title"],
        "content": a["content"],
        "rating": a["rating"],
        "likes": a["id"] * 10,
        "is_published": a["is_published"] and a["id"] != 1,
        "published_on": a["published_on"],
        "author_id": a["author_id"],
    }
    for a in ARTICLES
]
# The distinct-queries page's table.
EMPLOYEE: list[Row] = [
    {"id": 1, "name": "Ana", "department": "Sales", "salary": 5000},
    {"id": 2, "name": "Bo", "department": "Sales", "salary": 7000},
    {"id": 3, "name": "Cy", "department": "Engineering", "salary": 9000},
    {"id": 4, "name": "Di", "department": "Engineering", "salary": 8000},
    {"id": 5, "name": "Ed", "department": "Marketing", "salary": 4000},
    {"id": 6, "name": "Fay", "department": "Sales", "salary": 6500},
]


def _tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    authors = sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
    )
    articles = sa.Table(
        "articles",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("content", sa.Text),
        sa.Column("rating", sa.Integer),
        sa.Column("is_published", sa.Boolean, nullable=False),
        sa.Column("published_on", sa.Date),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id"), nullable=False),
    )
    author = sa.Table(
        "author",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
    )
    article = sa.Table(
        "article",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False, unique=True),
        sa.Column("content", sa.Text),
        sa.Column("rating", sa.Integer),
        sa.Column("likes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_published", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("published_on", sa.Date),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id")),
    )
    employee = sa.Table(
        "employee",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("salary", sa.Integer, nullable=False),
    )
    return {
        "authors": authors,
        "articles": articles,
        "author": author,
        "article": article,
        "employee": employee,
    }


def _stored(row: Row) -> Row:
    out = dict(row)
    if out.get("published_on"):
        out["published_on"] = dt.date.fromisoformat(out["published_on"])
    return out


def load(url: str) -> None:
    """Create the four tables at `url` and insert the rows above."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    metadata = sa.MetaData()
    tables = _tables(metadata)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            for name, rows in (
                ("authors", AUTHORS),
                ("articles", ARTICLES),
                ("author", AUTHOR),
                ("article", ARTICLE),
                ("employee", EMPLOYEE),
            ):
                conn.execute(tables[name].insert(), [_stored(r) for r in rows])
            if engine.dialect.name == "postgresql":  # serial ids continue after the seeded ones
                for name in ("author", "article"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
    finally:
        engine.dispose()


@contextmanager
def database(dialect: str, home: Path) -> Iterator[str]:
    """A fresh fixture database on `dialect` (`sqlite` or `postgresql`); yields its URL."""
    if dialect == "sqlite":
        url = f"sqlite:///{home / 'blog.sqlite'}"
        load(url)
        yield url
        return
    with postgresql_database() as url:
        load(url)
        yield url


def settings(url: str, home: Path) -> Settings:
    """One source, `blog`, with no GraphQL prefix: root fields are the tables' own names."""
    base = Settings(
        sources=(SourceSettings(name="blog", url=url, graphql_prefix=""),),
        schema_cache=SchemaCacheSettings(snapshot_path=str(home / "snap.json"), ttl_seconds=0),
    )
    return without_auth(base)


@contextmanager
def served(dialect: str, home: Path) -> Iterator[TestClient]:
    """The fixture on `dialect`, served in-process; yields a client."""
    with database(dialect, home) as url:
        app = create_app(settings(url, home), background_refresh=False)
        with TestClient(app) as client:
            report = app.state.runtime.cache.refresh()
            assert not report.failed, f"introspection of {dialect} failed"
            yield client


# Expected answers, computed from the rows above.


def pick(row: Row, *fields: str) -> Row:
    return {f: row[f] for f in fields}


def sort_key(field: str, descending: bool = False, nulls_first: bool | None = None) -> Any:
    """PostgreSQL's order: nulls last ascending, first descending, unless named."""
    first = descending if nulls_first is None else nulls_first

    def key(row: Row) -> tuple[int, Any]:
        value = row[field]
        if value is None:
            return (0 if first != descending else 1, 0)
        return (1 if first != descending else 0, value)

    return key


def ordered(rows: list[Row], *keys: tuple[str, bool, bool | None]) -> list[Row]:
    """`rows` sorted by (field, descending, nulls_first) keys, the first most significant."""
    out = list(rows)
    for field, descending, nulls_first in reversed(keys):
        out.sort(key=sort_key(field, descending, nulls_first), reverse=descending)
    return out


def by_id(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: r["id"])
