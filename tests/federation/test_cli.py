"""`fedgate sql`: the /sql surface on the command line, over the demo."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from gateway.cli import main

JOINED = (
    "SELECT c.country, count(*) AS n FROM shop.orders o JOIN shop.customers c "
    "ON c.id = o.customer_id JOIN analytics.revenue_by_country r ON r.country = c.country "
    "WHERE o.status = ? GROUP BY 1 ORDER BY 1"
)


@pytest.fixture(autouse=True)
def demo_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.getbasetemp() / "cli-demo"
    monkeypatch.setenv("FEDGATE_HOME", str(home))
    monkeypatch.delenv("FEDGATE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path_factory.getbasetemp())  # no ./fedgate.yaml: the demo
    return home


def test_json_output_equals_the_http_body_shape(capsys):
    code = main(["sql", JOINED, "-p", "paid", "--format", "json"])

    body = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert [c["name"] for c in body["columns"]] == ["country", "n"]
    assert body["row_count"] == 6
    assert sum(row[1] for row in body["rows"]) > 0


def test_csv_and_table_carry_the_same_rows(capsys):
    main(["sql", JOINED, "-p", "paid", "--format", "csv"])
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    main(["sql", JOINED, "-p", "paid"])
    table = capsys.readouterr()

    assert rows[0] == ["country", "n"]
    for country, n in rows[1:]:
        assert any(line.split() == [country, n] for line in table.out.splitlines())
    assert "6 row(s)" in table.err


def test_parquet_goes_to_a_file(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["sql", JOINED, "-p", "paid", "-f", "parquet"]) == 2
    assert main(["sql", JOINED, "-p", "paid", "-f", "parquet", "--out", str(out)]) == 0
    assert pq.read_table(out).num_rows == 6


def test_explain_prints_each_source_sql_and_duckdb_plan(capsys):
    assert main(["sql", "--explain", JOINED, "-p", "paid"]) == 0

    plan = orjson.loads(capsys.readouterr().out)
    assert {f["source"] for f in plan["fragments"]} == {"shop", "analytics"}
    assert "HASH_JOIN" in plan["duckdb_plan"]
    assert {f["cache"] for f in plan["fragments"]} == {"off"}  # federation.cache unset


def test_a_bad_statement_is_an_error_message(capsys):
    assert main(["sql", "DELETE FROM shop.orders"]) == 2
    assert "only read queries" in capsys.readouterr().err
