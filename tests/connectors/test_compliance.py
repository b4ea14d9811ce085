"""One compliance suite for every connector, over the shared fixture schema.

Each dialect's introspected model must equal the reference snapshot with that
dialect's documented differences applied. Set FEDGATE_UPDATE_SNAPSHOTS=1 to
rewrite the reference from PostgreSQL (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.settings import SourceSettings
from connectors.records import SourceRecord
from connectors.registry import build_connector
from tests.connectors.compliance import (
    LIVE_ONLY,
    TARGETS,
    Target,
    fixture_database,
    introspected,
    normalise,
)
from tests.connectors.dialect_differences import expected_for, render_markdown

SNAPSHOT = Path(__file__).parent / "snapshots" / "fixture_catalog.json"
DOCS = Path(__file__).parents[2] / "docs" / "dialects.md"


def live_targets() -> list[object]:
    params: list[object] = [pytest.param(t, id=t.id) for t in TARGETS]
    for name, (variable, target) in LIVE_ONLY.items():
        marks = pytest.mark.skipif(not os.environ.get(variable), reason=f"{variable} is not set")
        params.append(pytest.param(target, id=name, marks=marks))
    return params


@pytest.mark.parametrize("target", live_targets())
def test_model_matches_reference(target: Target, tmp_path: Path) -> None:
    with introspected(target, tmp_path) as found:
        assert found.source.dialect == target.dialect
        got = normalise(found)
    if target.id == "postgresql" and os.environ.get("FEDGATE_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    reference = json.loads(SNAPSHOT.read_text())
    expected = expected_for(target.dialect, reference)
    if target.dialect == "duckdb":  # its constraint names are generated
        for table in got.values():
            for fk in table["foreign_keys"]:
                fk["name"] = "*"
            table["checks"] = ["*"] * len(table["checks"])
    assert got == expected


@pytest.mark.parametrize(
    "target",
    [t for t in TARGETS if t.id in ("postgresql", "mariadb", "duckdb", "sqlite")],
    ids=lambda t: t.id,
)
def test_round_trips_do_not_depend_on_table_count(target: Target, tmp_path: Path) -> None:
    """Adding 30 related tables leaves the number of introspection queries unchanged."""
    with fixture_database(target, tmp_path) as (url, main, inventory):
        settings = SourceSettings(name="fx", url=url, schemas=(main, inventory))
        before = _reflect(settings)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE extra_0 (id INTEGER PRIMARY KEY)")
            for i in range(1, 30):
                conn.exec_driver_sql(
                    f"CREATE TABLE extra_{i} (id INTEGER PRIMARY KEY, parent_id INTEGER "
                    f"REFERENCES extra_{i - 1} (id))"
                )
        engine.dispose()
        after = _reflect(settings)
    assert len(after.tables) == len(before.tables) + 30
    if target.id == "sqlite":
        # SQLite is embedded: its PRAGMAs are function calls, not network round trips.
        assert after.round_trips > before.round_trips
    else:
        assert after.round_trips == before.round_trips


def _reflect(settings: SourceSettings) -> SourceRecord:
    connector = build_connector(settings)
    try:
        return connector.reflect()
    finally:
        connector.dispose()


def test_dialect_page_is_up_to_date() -> None:
    assert DOCS.read_text() == render_markdown(), (
        "regenerate: python -m tests.connectors.dialect_differences > docs/dialects.md"
    )
