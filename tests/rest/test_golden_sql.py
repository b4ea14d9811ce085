"""SQL Server and Oracle: the SQL the REST surface compiles, kept as golden files.

No server for either runs here, so these are compile-verified: the requests
of the conformance suite are planned against the fixture model and compiled
with each dialect; a change in the generated SQL shows up as a diff to review
(FEDGATE_UPDATE_SNAPSHOTS=1 rewrites the files).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.registry import build_connector
from gateway.query.context import QueryContext
from gateway.query.embed import _restricted
from gateway.query.filters import compile_filter
from gateway.query.ir import OnConflict, TableRef
from gateway.query.select import compile_count, compile_level
from gateway.query.writes import _insert_statement, typed_row
from gateway.rest.grammar import parse_query
from gateway.rest.plan import plan_filter_only, plan_select
from schema_cache.build import build_source
from schema_cache.model import Catalog, Source
from schema_cache.serialize import source_from_dict, to_plain
from tests.fixtures.load import load_fixture

GOLDEN = Path(__file__).parent / "golden"
URLS = {
    "mssql": ("mssql+pymssql://u:p@127.0.0.1:1/db", "dbo"),
    "oracle": ("oracle+oracledb://u:p@127.0.0.1:1/?service_name=x", "FEDGATE"),
}
READS = [
    "select=id,name,email&order=name.desc&limit=10&offset=5",
    "select=id,total&status=eq.paid&total=gte.10&order=total.desc.nullslast,id&limit=3",
    "select=id&or=(status.eq.new,and(total.gt.100,total.lt.500))&customer_id=in.(1,2,3)",
    "select=id&total=is.null&status=not.like.p*&created_at=not.is.null",
    "select=id,status&status=ilike.*AID*",
    "select=id,customer(id,name),order_items(line_no,qty,products(sku,name))&limit=2",
    "select=id,name,orders(id,total)&orders.order=total.desc&orders.limit=2",
]


@pytest.fixture(scope="module")
def fixture_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    path = tmp_path_factory.mktemp("golden") / "fixture.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    load_fixture("sqlite", engine, main="main", inventory="main")
    engine.dispose()
    connector = build_connector(SourceSettings(name="fx", url=f"sqlite:///{path}"))
    try:
        return build_source("fx", connector.reflect())
    finally:
        connector.dispose()


def as_dialect(source: Source, schema: str) -> Source:
    """The same model, as if it lived in `schema` of another database."""
    plain = to_plain(source)

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (
                    schema
                    if k in ("schema", "target_schema", "default_schema") and v == "main"
                    else move(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return source_from_dict(move(plain))


def compile_all(dialect: str, source: Source) -> str:
    url, schema = URLS[dialect]
    moved = as_dialect(source, schema)
    connector = build_connector(SourceSettings(name="fx", url=url))
    catalog = Catalog(sources=(moved,))
    ctx = QueryContext(lambda: catalog, {"fx": connector})
    engine_dialect = sa.create_engine(url).dialect
    out: list[str] = []

    def emit(title: str, statement: Any) -> None:
        compiled = statement.compile(dialect=engine_dialect)
        out.append(f"-- {title}\n{str(compiled).strip()};\n")

    for query in READS:
        table = "customers" if query.startswith("select=id,name") else "orders"
        bound = ctx.bind(_ref(table), catalog=catalog)
        parsed = parse_query([tuple(p.split("=", 1)) for p in query.split("&")])  # type: ignore[misc]
        select, _ = plan_select(
            moved, bound.table, parsed, default_limit=None, max_limit=100, catalog=catalog
        )
        emit(
            f"GET /rest/fx/{table}?{query}",
            compile_level(ctx, bound, select, bound.table.primary_key),
        )
        emit(f"count: {query}", compile_count(ctx, bound, select))
        for embed in select.embeds:
            rel = bound.table.get_relationship(embed.relationship)
            assert rel is not None
            child = ctx.bind(_ref(rel.target_table), catalog=catalog)
            emit(
                f"embed {embed.relationship} of {table}",
                _restricted(
                    ctx, child, embed.select, rel.target_columns, rel.target_columns, [(1,), (2,)]
                ),
            )
    customers = ctx.bind(_ref("customers"), catalog=catalog)
    row = typed_row(customers, {"email": "a@example.com", "name": "Ann"}, 0)
    emit("POST /rest/fx/customers", _insert_statement(customers, sorted(row), None).values(row))
    for resolution in ("merge", "ignore"):
        conflict = OnConflict(("email",), resolution)  # type: ignore[arg-type]
        emit(
            f"POST /rest/fx/customers?on_conflict=email (resolution={resolution}-duplicates)",
            _insert_statement(customers, sorted(row), conflict),
        )
    parsed = parse_query([("email", "eq.a@example.com")])
    where = plan_filter_only(customers.table, parsed)
    assert where is not None
    emit(
        "PATCH /rest/fx/customers?email=eq.a@example.com",
        sa.update(customers.core).where(compile_filter(ctx, customers, where)).values(name="Bo"),
    )
    emit(
        "DELETE /rest/fx/customers?email=eq.a@example.com",
        sa.delete(customers.core).where(compile_filter(ctx, customers, where)),
    )
    return "\n".join(out)


def _ref(table: str) -> TableRef:
    return TableRef("fx", table)


@pytest.mark.parametrize("dialect", sorted(URLS))
def test_compiled_sql_matches_golden(dialect: str, fixture_source: Source) -> None:
    text = compile_all(dialect, fixture_source)
    golden = GOLDEN / f"{dialect}.sql"
    if os.environ.get("FEDGATE_UPDATE_SNAPSHOTS"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()
