"""A demo gateway in-process, a recorder of the SQL it sends, and a switch to the parsing
path of JSON reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from config.settings import AuthSettings
from gateway.app import create_app
from gateway.rest import json_text
from gateway.settings_source import demo_settings


@contextmanager
def demo_client(home: Path) -> Iterator[TestClient]:
    settings = replace(demo_settings(home), auth=AuthSettings(enabled=False))  # auth: tests/auth
    app = create_app(settings, background_refresh=False)
    with TestClient(app) as client:
        app.state.runtime.cache.refresh()
        yield client


@dataclass
class Recorder:
    statements: list[str] = field(default_factory=list)
    parameters: list[Any] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append(statement)
        self.parameters.append(parameters)


@contextmanager
def recording(client: TestClient, source: str) -> Iterator[Recorder]:
    """Every statement the gateway sends to `source` while the block runs."""
    engines = client.app.state.runtime.connectors[source].engines()  # type: ignore[attr-defined]
    recorder = Recorder()
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", recorder)
    try:
        yield recorder
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", recorder)


def parsing_path(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on (in this test) REST reads parse rows and write them again: no text is
    passed through, and no plan kept before is used."""
    monkeypatch.setattr(json_text, "plan_json_read", lambda *args, **kwargs: None)
    monkeypatch.setattr(client.app.state, "text_reads", json_text.TextReads())  # type: ignore[attr-defined]
