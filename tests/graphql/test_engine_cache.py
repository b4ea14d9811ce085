"""The engine keeps parsed documents and plans per request text, bounded in size too: a
long document or long variables are parsed and planned each time, never kept."""

from __future__ import annotations

from gateway.graphql.engine import MAX_KEPT_TEXT, Engine, Request
from gateway.graphql.limits import Limits
from gateway.graphql.schema import build_bundle
from schema_cache.model import Catalog, Source
from tests.rest.test_golden_sql import fixture_source  # noqa: F401

QUERY = "{ fx_orders(order_by: {id: asc}, limit: 1) { id } }"


def test_short_requests_are_kept_and_long_ones_are_not(fixture_source: Source) -> None:  # noqa: F811
    engine = Engine(build_bundle(Catalog(sources=(fixture_source,))), Limits())
    padded = QUERY + " " * MAX_KEPT_TEXT  # the same operation, spelled longer
    assert engine.document(QUERY) is engine.document(QUERY)
    assert engine.document(padded).node is not None
    assert engine.document(padded) is not engine.document(padded)

    node = engine.document(QUERY).node
    assert node is not None
    short = Request(QUERY, {}, None)
    long_ = Request(QUERY, {"unused": "x" * MAX_KEPT_TEXT}, None)
    assert engine.plan(node, short) is engine.plan(node, short)
    assert engine.plan(node, long_) is not engine.plan(node, long_)
    assert engine.plan(node, long_).fields == engine.plan(node, short).fields
