"""REST conformance: the same requests give the same responses on every dialect.

Every case of `conformance.CASES` runs, in order, against the shared fixture
in PostgreSQL, SQLite, DuckDB and MariaDB. Each response (status, content-type,
content-range, preference-applied and the exact body bytes) must equal the
golden file `snapshots/<case>.json` recorded from PostgreSQL, up to the few
differences listed in `conformance.DIFFERENCES`. Record the golden files anew
with FEDGATE_UPDATE_SNAPSHOTS=1 (then review the diff).
"""

from __future__ import annotations

import os

import pytest

from tests.connectors.compliance import Target
from tests.rest.conformance import (
    CASES,
    CONFORMANCE_TARGETS,
    DIFFERENCES,
    REFERENCE,
    SNAPSHOTS,
    Case,
    Record,
    expected_record,
    leaked_driver_text,
    read_snapshot,
    request_json,
    run_all,
    serve,
    snapshot_path,
    write_snapshot,
)

UPDATE = bool(os.environ.get("FEDGATE_UPDATE_SNAPSHOTS"))
MARKS = {"postgresql": [pytest.mark.postgresql], "mariadb": [pytest.mark.mariadb]}


@pytest.fixture(
    scope="module",
    params=[pytest.param(t, id=t.id, marks=MARKS.get(t.id, [])) for t in CONFORMANCE_TARGETS],
)
def responses(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, Record]]:
    """Every case's record on one target: one database and one run per target."""
    target: Target = request.param
    with serve(target, tmp_path_factory.mktemp(target.id)) as served:
        return target.id, run_all(served, CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(responses: tuple[str, dict[str, Record]], case: Case) -> None:
    target_id, records = responses
    record = records[case.name]
    assert not leaked_driver_text(record), record.body
    if record.status >= 400:
        assert record.headers.get("content-type") == "application/problem+json"
    if UPDATE and target_id == REFERENCE:
        write_snapshot(case, record)
    if not snapshot_path(case).exists():
        pytest.fail(f"no golden file for {case.name}: run with FEDGATE_UPDATE_SNAPSHOTS=1")
    request, reference = read_snapshot(case)
    assert request == request_json(case), "the case changed: record it again"
    assert record == expected_record(target_id, case, reference)


def test_case_names_are_unique_and_every_golden_file_has_a_case() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert {path.stem for path in SNAPSHOTS.glob("*.json")} == set(names)


def test_differences_name_known_cases_and_targets() -> None:
    names = {case.name for case in CASES}
    targets = {target.id for target in CONFORMANCE_TARGETS} - {REFERENCE}
    for difference in DIFFERENCES:
        assert set(difference.cases) <= names, difference.what
        assert set(difference.targets) <= targets, difference.what
