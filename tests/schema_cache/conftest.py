from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.settings import Settings
from connectors.base import Connector
from connectors.registry import build_connector
from schema_cache.cache import SchemaCache
from tests.schema_cache.helpers import MakeCache


@pytest.fixture
def make_cache() -> Iterator[MakeCache]:
    """Build SchemaCaches over real connectors; their engines are disposed after the test."""
    made: list[Connector] = []

    def make(settings: Settings, **kwargs: object) -> SchemaCache:
        connectors = {s.name: build_connector(s) for s in settings.sources}
        made.extend(connectors.values())
        return SchemaCache(settings, connectors, **kwargs)  # type: ignore[arg-type]

    yield make
    for connector in made:
        connector.dispose()
