"""Schemathesis against `GET /openapi.json`: generated requests, responses checked by the document.

Two gateways run in-process: the embedded demo (generated in a temporary
directory) and a throwaway PostgreSQL database holding the fixture schema
(`tests/fixtures/schema/postgresql.sql`), served as source `fx` with its
`public` and `inventory` schemas. Schemathesis loads each gateway's own
document and sends the cases it generates from it (positive and negative
data, documented examples, a bounded number of fuzzed cases per operation)
to the same app; every response must be free of server errors and match the
document: status code, content type, headers and body schema.

Writes really change the data: both databases are thrown away afterwards.
The run is deterministic (fixed seed, derandomized, no example database) and
bounded (`MAX_EXAMPLES` fuzzed cases per operation). The number of cases and
operations of each run is printed to the terminal (also without `-s`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from config.settings import Settings
from gateway.settings_source import demo_settings
from tests.fixtures.gateways import postgresql_fixture_settings, started_app

# Fuzzed cases per operation (on top of the documented examples): reads are cheap and
# check every row they return against the row schema, so they get more.
WRITE_EXAMPLES = 10
READ_EXAMPLES = 20
SEED = 20240501
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG: dict[str, Any] = {
    "seed": SEED,
    # Every case is a real database round trip: slow data generation is expected.
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "generation": {
        "mode": "all",  # valid and invalid requests
        "max-examples": WRITE_EXAMPLES,
        "deterministic": True,
        "database": "none",  # no .hypothesis/ example database: every run is the same run
    },
    "operations": [{"include-method": "GET", "generation": {"max-examples": READ_EXAMPLES}}],
    "phases": {
        "examples": {"enabled": True},
        "fuzzing": {"enabled": True},
        # The coverage phase sends every boundary of every parameter: about 60 cases per
        # operation here, nearly all 400s for free-text filters, at 6x the time of the rest.
        "coverage": {"enabled": False},
        "stateful": {"enabled": False},  # the document has no links
    },
}


def without_lifespan(app: Starlette) -> Any:
    """`app` for schemathesis: requests pass through, its lifespan is left to our TestClient.

    Schemathesis starts an ASGI app's lifespan itself (once per process, shut down at
    exit); the gateway's lifespan must start before the schema cache is refreshed and
    stop (disposing its connection pools) before its database is dropped.
    """

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # ends the lifespan at once: schemathesis then serves the app without one
        await app(scope, receive, send)

    return asgi


@contextmanager
def served_schema(settings: Settings) -> Iterator[schemathesis.BaseSchema]:
    """The document of a started gateway over `settings`, ready for schemathesis."""
    with started_app(settings) as app:
        config = schemathesis.Config.from_dict(CONFIG)
        yield schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app), config=config)


@contextmanager
def demo_schema(home: Path) -> Iterator[schemathesis.BaseSchema]:
    with served_schema(demo_settings(home)) as schema:
        yield schema


@contextmanager
def postgresql_schema(tmp_path: Path) -> Iterator[schemathesis.BaseSchema]:
    with postgresql_fixture_settings(tmp_path) as settings, served_schema(settings) as schema:
        yield schema


@dataclass
class Tally:
    """The cases one target was sent, by operation and by response status class."""

    operations: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def cases(self) -> int:
        return sum(self.statuses.values())

    def record(self, case: schemathesis.Case, status: int | None) -> None:
        self.operations.add(case.operation.label)
        self.statuses[f"{status // 100}xx" if status else "no response"] += 1

    def summary(self, target: str) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"schemathesis[{target}]: {self.cases} cases over {len(self.operations)} "
            f"operations ({statuses or 'none sent'})"
        )


@dataclass
class Served:
    target: str
    schema: schemathesis.BaseSchema
    tally: Tally = field(default_factory=Tally)


@pytest.fixture(
    scope="module",
    params=["demo", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One gateway per target for both tests: the reads see what the writes left."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    schema_of = demo_schema if request.param == "demo" else postgresql_schema
    with schema_of(tmp_path) as schema:
        served = Served(request.param, schema)
        yield served
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # like `capsys.disabled()`: shown without -s
        print(f"\n{served.tally.summary(served.target)}")


@pytest.fixture(scope="module")
def api(served: Served) -> schemathesis.BaseSchema:
    return served.schema


@pytest.fixture
def tally(served: Served) -> Tally:
    return served.tally


def call_and_validate(case: schemathesis.Case, tally: Tally) -> None:
    status = None
    try:
        response = case.call()
        status = response.status_code
    finally:
        tally.record(case, status)
    case.validate_response(response, checks=CHECKS)


schema = schemathesis.pytest.from_fixture("api")


# Writes first (tests run in file order), so the reads validate rows holding generated values.
@schema.exclude(method="GET").parametrize()
def test_writes_match_the_document(case: schemathesis.Case, tally: Tally) -> None:
    call_and_validate(case, tally)


@schema.include(method="GET").parametrize()
def test_reads_match_the_document(case: schemathesis.Case, tally: Tally) -> None:
    call_and_validate(case, tally)
