"""Fixtures of the OAuth tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oauth.live_server import Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """fedgate over loopback TLS, one per test module."""
    yield from serve(tmp_path_factory.mktemp("live"))
