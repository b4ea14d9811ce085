"""GraphQL names stay valid, unique and stable whatever the tables are called."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

from graphql import validate_schema
from starlette.testclient import TestClient

from config.settings import SchemaCacheSettings, Settings, SourceSettings
from connectors.types import TypeFamily
from gateway.app import create_app
from gateway.graphql.naming import build_names, derived_names
from gateway.graphql.schema import build_bundle
from schema_cache.model import Catalog, Column, Source, Table
from tests.graphql.helpers import data, without_auth

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
HOSTILE_TABLES = [
    ("main", "order items"),
    ("main", "1st"),
    ("main", "Users"),
    ("main", "users"),
    ("main", "USERS"),
    ("main", "query_root"),
    ("main", "x"),
    ("main", "x_aggregate"),
    ("main", "x_by_pk"),
    ("main", "__meta"),
    ("main", "naïve"),
    ("main", "naive"),
    ("other", "users"),
    ("main", "other_users"),
]
HOSTILE_COLUMNS = ["id", "true", "null", "__typename", "first name", "first_name", "2nd", "Id"]


def _table(schema: str, name: str) -> Table:
    columns = tuple(Column(c, TypeFamily.INTEGER, "integer", c != "id") for c in HOSTILE_COLUMNS)
    return Table(schema, name, "table", columns, primary_key=("id",))


def _catalog(order: list[tuple[str, str]]) -> Catalog:
    tables = tuple(_table(schema, name) for schema, name in order)
    source = Source("src", "sqlite", "3", "main", "v1", tables)
    return Catalog(sources=(source,))


def test_every_generated_name_is_valid_and_unique_ignoring_case() -> None:
    names = build_names(_catalog(HOSTILE_TABLES))
    generated = [n for t in names.tables.values() for n in derived_names(t.base)]
    assert all(NAME.match(n) and not n.startswith("__") for n in generated), generated
    # A table's own root field and type may share a name (`t_aggregate`), as in Hasura;
    # no name is shared between two tables.
    per_table = [{n.lower() for n in derived_names(t.base)} for t in names.tables.values()]
    assert len(set().union(*per_table)) == sum(len(s) for s in per_table)
    for table in names.tables.values():
        fields = list(table.columns)
        assert all(NAME.match(f) and not f.startswith("__") for f in fields)
        assert len({f.lower() for f in fields}) == len(fields)
        assert not {"true", "false", "null"} & {f.lower() for f in fields}


def test_names_do_not_depend_on_introspection_order() -> None:
    reference = build_names(_catalog(HOSTILE_TABLES))
    shuffled = list(HOSTILE_TABLES)
    random.Random(7).shuffle(shuffled)
    again = build_names(_catalog(shuffled))
    assert {k: v.base for k, v in again.tables.items()} == {
        k: v.base for k, v in reference.tables.items()
    }


def test_names_that_need_no_change_keep_them() -> None:
    names = build_names(_catalog(HOSTILE_TABLES))
    base = {table: names.tables[("src", schema, table)].base for schema, table in HOSTILE_TABLES}
    assert base["x"] == "src_x"
    assert base["order items"] == "src_order_items"
    assert base["1st"] == "src_1st"
    # `other.users` and `main.other_users` both want `src_other_users`: the default schema wins.
    assert base["other_users"] == "src_other_users"
    assert names.tables[("src", "other", "users")].base == "src_other_users_2"
    assert base["x_aggregate"] != "src_x_aggregate"  # `src_x`'s aggregate field owns it
    cased = {base["Users"].lower(), base["users"].lower(), base["USERS"].lower()}
    assert len(cased) == 3
    columns = names.tables[("src", "main", "x")].columns
    assert columns["first_name"] == "first_name"
    assert columns["first_name_2"] == "first name"
    assert columns["_2nd"] == "2nd"


def test_the_hostile_schema_is_a_valid_graphql_schema() -> None:
    bundle = build_bundle(_catalog(HOSTILE_TABLES))
    assert validate_schema(bundle.schema) == []


def test_hostile_names_serve_real_rows(tmp_path: Path) -> None:
    path = tmp_path / "hostile.sqlite"
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE "order items" ("id" INTEGER PRIMARY KEY, "first name" TEXT)')
        db.execute(
            'CREATE TABLE "1st" ("id" INTEGER PRIMARY KEY, "true" INTEGER,'
            ' "item" INTEGER REFERENCES "order items"("id"))'
        )
        db.execute("""INSERT INTO "order items" VALUES (1, 'Ada'), (2, 'Grace')""")
        db.execute('INSERT INTO "1st" VALUES (10, 1, 2)')
    settings = Settings(
        sources=(SourceSettings(name="h", url=f"sqlite:///{path}"),),
        schema_cache=SchemaCacheSettings(snapshot_path=str(tmp_path / "s.json"), ttl_seconds=0),
    )
    app = create_app(without_auth(settings), background_refresh=False)
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        got = data(
            client,
            "{ h_1st { id true_2 order_items { first_name } }"
            ' h_order_items(where: {first_name: {_eq: "Ada"}}) { id first_name } }',
        )
        assert got == {
            "h_1st": [{"id": 10, "true_2": 1, "order_items": {"first_name": "Grace"}}],
            "h_order_items": [{"id": 1, "first_name": "Ada"}],
        }
