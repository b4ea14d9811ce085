"""`federation.engine: trino`: the same /sql statement, rewritten to Trino catalog names
(catalog = source name, see `trino_catalogs`), run by a Trino coordinator over its HTTP
protocol (`POST /v1/statement`, then follow `nextUri`)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlglot import exp

from connectors.types import TypeFamily
from gateway.federation.cancel import CancelToken
from gateway.federation.errors import SqlTimeoutError, TrinoError
from gateway.federation.limits import FederationLimits
from gateway.federation.planner import BoundStatement, cap_rows
from gateway.federation.resolve import SYNTHETIC_CATALOG, Binding
from gateway.federation.result import Result, ResultColumn
from gateway.federation.service import SqlService
from gateway.runtime import Runtime

HTTP_TIMEOUT_S = 30
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def rewrite_for_trino(bound: BoundStatement, row_cap: int) -> str:
    """The statement in Trino SQL: tables as `"source"."schema"."table"`, values inlined as
    Trino literals (Trino's protocol has no bind values; its own clients do the same)."""
    tree = bound.tree.copy()
    for table in list(tree.find_all(exp.Table)):
        if table.catalog != SYNTHETIC_CATALOG:
            continue
        binding: Binding = bound.bindings[int(table.db.removeprefix("fgs"))]
        table.set("catalog", exp.to_identifier(binding.name.source, quoted=True))
        table.set("db", exp.to_identifier(binding.name.schema, quoted=True))
        table.set("this", exp.to_identifier(binding.name.name, quoted=True))
    values = bound.statement.params
    for node in list(tree.find_all(exp.Placeholder)):
        node.replace(exp.convert(values[int(node.name) - 1]))
    cap_rows(tree, row_cap + 1)
    return tree.sql("trino")


class TrinoService(SqlService):
    """Binds and checks access like the DuckDB service, then hands the SQL to Trino."""

    def __init__(self, runtime: Runtime, limits: FederationLimits) -> None:
        super().__init__(runtime, limits)
        federation = runtime.settings.federation
        assert federation.trino_url is not None  # validated with engine: trino
        self.url = federation.trino_url.rstrip("/")
        self.user = federation.trino_user

    def plan(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:  # type: ignore[override]
        bound = self.bind(sql, params)
        return {"kind": "trino", "coordinator": self.url, "sql": self.rewrite(bound)}

    def rewrite(self, bound: BoundStatement) -> str:
        return rewrite_for_trino(bound, self.limits.row_cap)

    def run(
        self,
        sql: str,
        params: Sequence[Any],
        token: CancelToken,
        *,
        rendered: bool = False,
        fresh: bool = False,  # no fragment cache: Trino reads its sources every time
    ) -> Result:
        text = self.rewrite(self.bind(sql, params))
        columns, rows = self._execute(text, token)
        return build_result(columns, rows, self.limits.row_cap)

    def _execute(
        self, text: str, token: CancelToken
    ) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        headers = {"X-Trino-User": self.user, "Content-Type": "text/plain"}
        page = self._request(f"{self.url}/v1/statement", text.encode(), headers, "POST")
        columns: list[dict[str, Any]] = []
        rows: list[list[Any]] = []
        while True:
            if page.get("error"):
                raise TrinoError("Trino failed the query (see the coordinator's log)")
            columns = page.get("columns") or columns
            rows.extend(page.get("data") or [])
            next_uri = page.get("nextUri")
            if not next_uri or len(rows) > self.limits.row_cap:
                return columns, rows
            if token.cancelled:
                self._request(next_uri, None, headers, "DELETE")
                if token.reason == "timeout":
                    raise SqlTimeoutError("the statement ran longer than the timeout on Trino")
                token.check()
            page = self._request(next_uri, None, headers, "GET")

    def _request(
        self, url: str, body: bytes | None, headers: dict[str, str], method: str
    ) -> dict[str, Any]:
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                raw = response.read()
        except OSError as exc:
            raise TrinoError("the Trino coordinator is unreachable") from exc
        result: dict[str, Any] = json.loads(raw) if raw else {}
        return result


def build_result(columns: list[dict[str, Any]], rows: list[list[Any]], cap: int) -> Result:
    """An Arrow result from Trino's JSON columns and rows (at most `cap` rows)."""
    truncated = len(rows) > cap
    rows = rows[:cap]
    arrays, described = [], []
    for index, column in enumerate(columns):
        type_name = str(column.get("type", "varchar")).lower()
        arrow, family, scale = _arrow_type(type_name)
        convert = _converter(family)
        values = [None if r[index] is None else convert(r[index]) for r in rows]
        arrays.append(pa.array(values, arrow))
        described.append(ResultColumn(str(column["name"]), family, scale))
    table = pa.Table.from_arrays(arrays, names=[c.name for c in described])
    return Result(table, tuple(described), truncated, {"kind": "trino"})


def _arrow_type(name: str) -> tuple[pa.DataType, TypeFamily, int | None]:
    match = _DECIMAL.match(name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        return pa.decimal128(precision, scale), TypeFamily.DECIMAL, scale
    if name in ("bigint", "integer", "smallint", "tinyint"):
        return pa.int64(), TypeFamily.BIGINT, None
    if name in ("double", "real"):
        return pa.float64(), TypeFamily.FLOAT, None
    if name == "boolean":
        return pa.bool_(), TypeFamily.BOOLEAN, None
    if name == "date":
        return pa.date32(), TypeFamily.DATE, None
    if name.startswith("timestamp") and "time zone" not in name:
        return pa.timestamp("us"), TypeFamily.DATETIME, None
    return pa.string(), TypeFamily.TEXT, None


def _converter(family: TypeFamily) -> Any:
    if family is TypeFamily.DECIMAL:
        return Decimal
    if family is TypeFamily.DATE:
        return date.fromisoformat
    if family is TypeFamily.DATETIME:
        return lambda v: datetime.fromisoformat(str(v))
    if family is TypeFamily.TEXT:
        return lambda v: v if isinstance(v, str) else json.dumps(v)
    return lambda v: v
