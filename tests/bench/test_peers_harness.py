"""The peers benchmark harness: answers in each system's spelling compare equal only when
their rows are equal, the report replaces only its own BENCHMARKS.md section, and the
wrk script sends the method, headers and body it was given."""

from __future__ import annotations

import http.server
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.peers import report, wrk
from benchmarks.peers.workloads import canonical, cells

CELLS = {(c.workload, c.system): c for c in cells()}


def rows(workload: str, system: str, doc: object) -> list[dict[str, object]]:
    cell = CELLS[(workload, system)]
    return canonical(cell.extract(doc), cell.ordered)


FEDGATE_NESTED = [
    {
        "c_custkey": 1,
        "c_name": "Customer#1",
        "orders": [
            {"o_orderkey": 7, "o_totalprice": 10.5, "o_orderdate": "1996-01-02"},
            {"o_orderkey": 3, "o_totalprice": 99, "o_orderdate": "1995-05-05"},
        ],
    }
]
POSTGRAPHILE_NESTED = {
    "data": {
        "allCustomers": {
            "nodes": [
                {
                    "cCustkey": 1,
                    "cName": "Customer#1",
                    "ordersByOCustkey": {
                        "nodes": [
                            {"oOrderkey": 3, "oTotalprice": "99.00", "oOrderdate": "1995-05-05"},
                            {"oOrderkey": 7, "oTotalprice": "10.50", "oOrderdate": "1996-01-02"},
                        ]
                    },
                }
            ]
        }
    }
}


def test_nested_answers_in_different_spellings_compare_equal() -> None:
    ours = rows("c", "fedgate REST", FEDGATE_NESTED)
    assert ours == rows("c", "PostGraphile", POSTGRAPHILE_NESTED)
    assert ours == rows("c", "Directus REST", {"data": FEDGATE_NESTED})


def test_a_different_value_is_caught() -> None:
    changed = json.loads(json.dumps(POSTGRAPHILE_NESTED))
    changed["data"]["allCustomers"]["nodes"][0]["ordersByOCustkey"]["nodes"][0]["oTotalprice"] = (
        "99.01"
    )
    assert rows("c", "fedgate REST", FEDGATE_NESTED) != rows("c", "PostGraphile", changed)


def test_top_level_order_matters_where_the_workload_orders() -> None:
    first = [{"c_custkey": 1}, {"c_custkey": 2}]
    assert rows("a", "fedgate REST", first) != rows("a", "fedgate REST", first[::-1])


def test_grouped_aggregates_compare_as_sets_across_sql_and_directus() -> None:
    sql = {
        "columns": [{"name": "c_nationkey"}, {"name": "count"}, {"name": "sum"}],
        "rows": [[0, 603, "2675608.45"], [1, 600, "2640490.08"]],
    }
    directus_rest = {
        "data": [
            {"c_nationkey": 1, "count": {"c_custkey": "600"}, "sum": {"c_acctbal": "2640490.08"}},
            {"c_nationkey": 0, "count": {"c_custkey": "603"}, "sum": {"c_acctbal": "2675608.45"}},
        ]
    }
    directus_gql = {
        "data": {
            "customer_aggregated": [
                {
                    "group": {"c_nationkey": 0},
                    "count": {"c_custkey": 603},
                    "sum": {"c_acctbal": 2675608.45},
                },
                {
                    "group": {"c_nationkey": 1},
                    "count": {"c_custkey": 600},
                    "sum": {"c_acctbal": 2640490.08},
                },
            ]
        }
    }
    ours = rows("f", "fedgate /sql", sql)
    assert ours == rows("f", "Directus REST", directus_rest)
    assert ours == rows("f", "Directus GraphQL", directus_gql)
    assert ours[0]["sum"] == str(Decimal("2675608.45"))


def test_directus_graphql_foreign_keys_read_as_their_key() -> None:
    fedgate = [{"c_custkey": 42, "c_nationkey": 5}]
    directus = {"data": {"customer_by_id": {"c_custkey": "42", "c_nationkey": {"n_nationkey": 5}}}}
    assert rows("e", "fedgate REST", fedgate) == rows("e", "Directus GraphQL", directus)


def test_report_replaces_only_its_own_section(tmp_path: Path) -> None:
    target = tmp_path / "BENCHMARKS.md"
    target.write_text("# Benchmarks\n\n## Federation\n\nfigures\n")
    report.splice(target, f"{report.BEGIN}\nfirst run\n{report.END}\n")
    report.splice(target, f"{report.BEGIN}\nsecond run\n{report.END}\n")
    text = target.read_text()
    assert "## Federation\n\nfigures" in text
    assert "second run" in text
    assert "first run" not in text
    assert text.count(report.BEGIN) == 1


class _Echo(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.command, self.headers.get("Authorization"), body))
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(wrk.available() is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_script_sends_method_headers_and_body(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = b'[{"label": "x", "amount": "1.25"}]'
        script = wrk.write_script(tmp_path, "post", "POST", {"Authorization": "Bearer k]]"}, body)
        url = f"http://127.0.0.1:{server.server_address[1]}/items"
        result = wrk.run(url, script, duration=1, connections=1, threads=1)
    finally:
        server.shutdown()
        server.server_close()
    assert result.requests > 0
    assert result.non2xx == 0
    assert _Echo.seen[0] == ("POST", "Bearer k]]", body)
