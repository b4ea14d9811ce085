"""Filter values of the REST grammar: `op.value`, `in.(...)` lists and `or=(...)` trees.

Quoting (inside `in.(...)`, logic trees and primary-key segments): a value in
double quotes may hold `,`, `(`, `)` and spaces; a backslash takes the next
character literally (`\\"` is a quote, `\\\\` a backslash). Top-level values
such as `name=eq."x"` are taken verbatim, quotes included, as PostgREST does.
"""

from __future__ import annotations

import re
from typing import Any, cast

from gateway.query import ir
from gateway.query.errors import MalformedRequestError

SHOWN = 40  # characters of client input echoed in an error message
IS_VALUES: dict[str, bool | None] = {"null": None, "unknown": None, "true": True, "false": False}
LOGIC = ("and", "or")
_NAME = re.compile(r'(?:[^\s,().:!"*\\<>=&-]|-(?!>))+')


def shown(text: str) -> str:
    """Client input cut to a length that is safe to echo."""
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def malformed(parameter: str, detail: str) -> MalformedRequestError:
    """The error for a parameter that does not follow the grammar, naming it."""
    name = shown(parameter)
    return MalformedRequestError(
        f"parameter '{name}': {detail}", errors=[{"parameter": name, "detail": detail}]
    )


class Scanner:
    """A cursor over one parameter's text; errors name the parameter and the position."""

    def __init__(self, text: str, parameter: str) -> None:
        self.text = text
        self.pos = 0
        self.parameter = parameter

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def startswith(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def accept(self, token: str) -> bool:
        if self.startswith(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str, expected: str) -> None:
        if not self.accept(token):
            raise self.error(expected)

    def error(self, expected: str) -> MalformedRequestError:
        rest = self.text[self.pos :]
        found = f"'{shown(rest)}'" if rest else "the end"
        return malformed(self.parameter, f"expected {expected}, found {found}")

    def fail(self, detail: str) -> MalformedRequestError:
        return malformed(self.parameter, detail)

    def name(self, expected: str) -> str:
        """An identifier: unquoted word characters, or any text in double quotes."""
        if self.peek() == '"':
            return self.quoted()
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self.error(expected)
        self.pos = match.end()
        return match.group()

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return "".join(out)
            else:
                out.append(char)
                self.pos += 1
        self.pos = start
        raise self.error("a closing '\"' for the quoted value")

    def raw(self, stops: str, forbidden: str) -> str:
        """Unquoted text up to one of `stops`, trimmed; `forbidden` characters need quoting."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            if self.text[self.pos] in forbidden:
                raise self.error('a quoted value ("...") for text with , ( ) or "')
            self.pos += 1
        return self.text[start : self.pos].strip()

    def items(self, stops: str, forbidden: str) -> tuple[str, ...]:
        """Comma-separated values, quoted or not, up to the end or a stop character."""
        values: list[str] = []
        while True:
            self.skip_spaces()
            if self.peek() == '"':
                values.append(self.quoted())
                self.skip_spaces()
            else:
                value = self.raw("," + stops, forbidden)
                if not value:
                    raise self.error('a value (write an empty string as "")')
                values.append(value)
            if not self.accept(","):
                return tuple(values)


def parse_condition(column: str, text: str, parameter: str) -> ir.Condition:
    """A top-level filter value: `[not.]op.value`, e.g. `gte.18`, `not.in.(1,2)`, `is.null`."""
    op, dot, rest = text.partition(".")
    negate = op == "not"
    if negate:
        op, dot, rest = rest.partition(".")
    if not dot:
        raise malformed(parameter, f"expected operator.value such as eq.1, got '{shown(text)}'")
    checked = _operator(op, parameter)
    if checked == "in":
        scanner = Scanner(rest, parameter)
        values = in_list(scanner)
        scanner.skip_spaces()
        if not scanner.at_end():
            raise scanner.error("the end after the list")
        return ir.Condition(column, "in", values, negate)
    return ir.Condition(column, checked, _value(checked, rest, parameter), negate)


def in_list(scanner: Scanner) -> tuple[str, ...]:
    """`(a,"b,c",d)`; `()` is the empty list."""
    scanner.skip_spaces()
    scanner.expect("(", "'(' opening the list")
    scanner.skip_spaces()
    if scanner.accept(")"):
        return ()
    values = scanner.items(")", '("')
    scanner.expect(")", "',' or ')' in the list")
    return values


def parse_logic(kind: str, negate: bool, text: str, parameter: str) -> ir.Junction:
    """An `or=(...)` / `and=(...)` value: conditions `col.[not.]op.value` and nested groups."""
    scanner = Scanner(text, parameter)
    scanner.skip_spaces()
    node = _group(scanner, kind, negate)
    scanner.skip_spaces()
    if not scanner.at_end():
        raise scanner.error("the end after ')'")
    return node


def _group(scanner: Scanner, kind: str, negate: bool) -> ir.Junction:
    scanner.expect("(", f"'(' opening the {kind} group")
    items: list[ir.Filter] = []
    while True:
        scanner.skip_spaces()
        items.append(_item(scanner))
        scanner.skip_spaces()
        if scanner.accept(")"):
            return ir.Junction(cast(Any, kind), tuple(items), negate)
        scanner.expect(",", "',' or ')' after a condition")


def _item(scanner: Scanner) -> ir.Filter:
    for kind in LOGIC:
        for negate in (False, True):
            if scanner.accept(("not." if negate else "") + kind + "("):
                scanner.pos -= 1
                return _group(scanner, kind, negate)
    column = scanner.name("a condition such as col.eq.1, or and(...) / or(...)")
    scanner.expect(".", "'.' and an operator after the column")
    negate = scanner.accept("not.")
    op = _operator(scanner.name("an operator"), scanner.parameter)
    scanner.expect(".", f"'.' and a value after '{op}'")
    if op == "in":
        return ir.Condition(column, "in", in_list(scanner), negate)
    text = scanner.quoted() if scanner.peek() == '"' else scanner.raw(",)", '("')
    return ir.Condition(column, op, _value(op, text, scanner.parameter), negate)


def _operator(op: str, parameter: str) -> ir.Op:
    if op not in ir.OPS:
        raise malformed(
            parameter, f"unknown operator '{shown(op)}', expected one of {', '.join(ir.OPS)}"
        )
    return cast(ir.Op, op)


def _value(op: ir.Op, text: str, parameter: str) -> Any:
    if op == "is":
        if text.lower() not in IS_VALUES:
            raise malformed(
                parameter, f"expected null, true, false or unknown after is., got '{shown(text)}'"
            )
        return IS_VALUES[text.lower()]
    if op in ("like", "ilike"):
        return text.replace("*", "%")
    return text
