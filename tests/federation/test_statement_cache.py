"""Parsed /sql statements are kept per text, bounded in size too: a long statement is
parsed each time and never kept (256 kept trees of long statements would hold GBs)."""

from __future__ import annotations

from gateway.federation.statement import MAX_KEPT_SQL, parse_statement

SHORT = "SELECT a FROM s.t WHERE a = ?"


def test_a_short_statement_is_parsed_once_and_a_long_one_each_time() -> None:
    assert parse_statement(SHORT, [1]).tree is parse_statement(SHORT, [2]).tree
    padded = SHORT + " " * MAX_KEPT_SQL  # the same statement, spelled longer
    first, second = parse_statement(padded, [1]), parse_statement(padded, [2])
    assert first.tree is not second.tree
    assert first.tree.sql() == second.tree.sql() == parse_statement(SHORT, [1]).tree.sql()
    assert second.params == (2,)
