"""Parse one read statement (DuckDB dialect) and refuse everything outside the allow-list."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from cachetools import LRUCache
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from gateway.federation.allowlist import QUERY_NODES, function_name, is_read_function
from gateway.federation.errors import (
    SqlParameterError,
    SqlRefusedError,
    SqlSyntaxError,
)
from gateway.federation.limits import MAX_SQL_CHARS

READ_DIALECT = "duckdb"
PARAM_TYPES = (str, int, float, bool, type(None))
_CLAUSE_NAMES: dict[type[exp.Expr], str] = {
    exp.Into: "SELECT INTO",
    exp.Lateral: "LATERAL",
    exp.Pivot: "PIVOT",
}


PARSED_SIZE = 256
# Statements longer than this are parsed (and planned) each time, never kept: 256 kept
# trees of 100,000-character statements could hold gigabytes.
MAX_KEPT_SQL = 16_384
_PARSED: LRUCache[str, exp.Query] = LRUCache(maxsize=PARSED_SIZE)  # statement text -> tree
_PARSED_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Statement:
    """A validated read query whose placeholders are numbered `$1..$n` (1-based)."""

    tree: exp.Query
    params: tuple[Any, ...]


def parse_statement(sql: str, params: Sequence[Any] = ()) -> Statement:
    """Parse, number the placeholders, and check the statement only reads."""
    if not isinstance(sql, str) or not sql.strip():
        raise SqlSyntaxError("'sql' must be a non-empty string", errors=[{"parameter": "sql"}])
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefusedError(f"the statement is longer than {MAX_SQL_CHARS} characters")
    with _PARSED_LOCK:
        parsed = _PARSED.get(sql)
    if parsed is not None:  # the same text passed these checks before; never mutated
        return Statement(parsed, check_params(parsed, params))
    numbered, _count = number_placeholders(sql)
    try:
        trees = [t for t in sqlglot.parse(numbered, read=READ_DIALECT) if t is not None]
    except (ParseError, TokenError) as exc:
        raise SqlSyntaxError(f"the statement does not parse: {_parse_message(exc)}") from None
    if len(trees) != 1:
        what = "no statement" if not trees else f"{len(trees)} statements"
        raise SqlRefusedError(
            f"send exactly one statement, not {what}",
            errors=[{"parameter": "sql", "refused": "multiple statements"}],
        )
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        name = _statement_name(tree)
        raise SqlRefusedError(
            f"only read queries (SELECT, WITH, UNION) are accepted, not {name}",
            errors=[{"parameter": "sql", "refused": name}],
        )
    refused = find_refused(tree)
    if refused:
        names = ", ".join(refused)
        raise SqlRefusedError(
            f"not allowed in /sql: {names}",
            errors=[{"parameter": "sql", "refused": name} for name in refused],
        )
    checked = Statement(tree, check_params(tree, params))
    if len(sql) <= MAX_KEPT_SQL:
        with _PARSED_LOCK:
            _PARSED[sql] = tree
    return checked


def number_placeholders(sql: str) -> tuple[str, int]:
    """Rewrite each `?` as `$k` in text order; returns the SQL and how many there were."""
    tokens = Dialect.get_or_raise(READ_DIALECT).tokenize(sql)
    out: list[str] = []
    last = 0
    count = 0
    if any(t.token_type == TokenType.PARAMETER for t in tokens) and any(
        t.token_type == TokenType.PLACEHOLDER and t.text == "?" for t in tokens
    ):
        raise SqlParameterError("use either ? or $1, $2... placeholders, not both")
    for token in tokens:
        is_question = token.token_type == TokenType.PLACEHOLDER and token.text == "?"
        is_cast = token.token_type == TokenType.QDCOLON and token.text.startswith("?")
        if not (is_question or is_cast):
            continue
        count += 1
        out.append(sql[last : token.start])
        out.append(f"${count}" + ("::" if is_cast else ""))
        last = token.end + 1
    out.append(sql[last:])
    return "".join(out), count


def check_params(tree: exp.Expr, params: Sequence[Any]) -> tuple[Any, ...]:
    indexes: set[int] = set()
    for node in tree.find_all(exp.Placeholder):
        name = str(node.name or "")
        if not name.isdigit() or int(name) < 1:
            raise SqlParameterError(
                f"named parameter ':{name}' is not supported; use ? or $1, $2...",
                errors=[{"parameter": "sql", "detail": f"placeholder {name!r}"}],
            )
        indexes.add(int(name))
    expected = max(indexes, default=0)
    if not isinstance(params, (list, tuple)) or len(params) != expected:
        given = len(params) if isinstance(params, (list, tuple)) else "no list"
        raise SqlParameterError(
            f"the statement has {expected} parameter(s); 'params' has {given}",
            errors=[{"parameter": "params", "detail": f"expected {expected} values"}],
        )
    for position, value in enumerate(params, 1):
        if not isinstance(value, PARAM_TYPES):
            raise SqlParameterError(
                f"parameter {position} must be a string, number, boolean or null",
                errors=[{"parameter": "params", "detail": f"position {position}"}],
            )
    return tuple(params)


def find_refused(tree: exp.Expr) -> list[str]:
    """Names of what the tree uses outside the allow-list, in order, without duplicates."""
    refused: dict[str, None] = {}
    for node in tree.walk():
        name = _refusal(node)
        if name:
            refused.setdefault(name)
    return list(refused)


def _refusal(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
        inner = node.this
        label = function_name(inner) if isinstance(inner, exp.Func) else inner.key
        return f"table function '{label}'"
    if type(node) in QUERY_NODES:
        return None
    if isinstance(node, exp.Func):
        if isinstance(node.parent, exp.Table) or is_read_function(node):
            return None  # a table function is reported as such, once
        return f"function '{function_name(node)}'"
    return _CLAUSE_NAMES.get(type(node)) or node.key.upper()


def _statement_name(tree: exp.Expr) -> str:
    if isinstance(tree, exp.Command):
        return str(tree.name).upper() or "a command"
    return tree.key.upper()


def _parse_message(exc: ParseError | TokenError) -> str:
    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        return f"{first.get('description')} (line {first.get('line')}, col {first.get('col')})"
    return str(exc).splitlines()[0][:200]
