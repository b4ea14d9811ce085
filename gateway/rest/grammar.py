"""The PostgREST query grammar: `select`, filters, `order`, `limit`/`offset`, `Range`.

Pure parsing, no model knowledge: names stay unresolved and values stay
strings (`in` gives a tuple, `is` None/True/False); `plan.py` checks them
against the schema. Every malformed input raises MalformedRequestError whose
`errors[]` names the offending query parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from gateway.query import ir
from gateway.rest.grammar_filters import (
    LOGIC,
    Scanner,
    malformed,
    parse_condition,
    parse_logic,
    shown,
)

Path = tuple[str, ...]  # embed names (aliases where given) from the root; () is the root
SINGLE = ("select", "on_conflict", "columns")
PAGING = ("order", "limit", "offset")
_COUNT = re.compile(r"\s*([0-9]{1,15})\s*")
_RANGE = re.compile(r"\s*(?:items\s*=)?\s*([0-9]{1,15})\s*-\s*([0-9]{0,15})\s*")


@dataclass(frozen=True, slots=True)
class EmbedTree:
    """`alias:name!hint(...)`; `inner` is the `!inner` hint, `hint` a relationship or FK name."""

    name: str
    alias: str | None
    hint: str | None
    tree: SelectTree
    inner: bool = False

    @property
    def output_name(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class SelectTree:
    """One level of `select`; all three empty means `rel()` (filter only, no output)."""

    fields: tuple[ir.Field, ...] = ()
    star: bool = False
    embeds: tuple[EmbedTree, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.star or self.embeds)


STAR = SelectTree(star=True)


@dataclass(frozen=True, slots=True)
class Scope:
    """The parameters that apply to one embed path (or the root)."""

    filters: tuple[ir.Filter, ...] = ()
    filter_parameters: tuple[str, ...] = ()  # the query parameter each filter came from
    order: tuple[ir.OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    parameters: tuple[str, ...] = ()  # every query parameter scoped here, in request order

    @property
    def filter(self) -> ir.Filter | None:
        """The filters ANDed (repeated filters on one column included)."""
        return all_of(self.filters)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    select: SelectTree = STAR
    scopes: dict[Path, Scope] = field(default_factory=dict)
    on_conflict: tuple[str, ...] | None = None
    columns: tuple[str, ...] | None = None

    def scope(self, path: Path = ()) -> Scope:
        return self.scopes.get(path) or Scope()


def all_of(filters: Iterable[ir.Filter | None]) -> ir.Filter | None:
    """The filters ANDed: None for none, the filter itself for one."""
    items = tuple(f for f in filters if f is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else ir.Junction("and", items)


def parse_select(text: str, parameter: str = "select") -> SelectTree:
    """`*`, `col`, `alias:col`, `rel(...)`, `alias:rel!hint(...)`, nested to any depth."""
    scanner = Scanner(text, parameter)
    tree = _select_list(scanner)
    if tree.is_empty:
        raise scanner.error("a column name, '*' or an embedded resource")
    if not scanner.at_end():
        raise scanner.error("',' or the end of select")
    return tree


def _select_list(scanner: Scanner) -> SelectTree:
    fields: list[ir.Field] = []
    embeds: list[EmbedTree] = []
    star = False
    scanner.skip_spaces()
    if scanner.at_end() or scanner.peek() == ")":
        return SelectTree()
    while True:
        scanner.skip_spaces()
        if scanner.accept("*"):
            star = True
        else:
            item = _select_item(scanner)
            if isinstance(item, EmbedTree):
                embeds.append(item)
            else:
                fields.append(item)
        scanner.skip_spaces()
        if not scanner.accept(","):
            return SelectTree(tuple(fields), star, tuple(embeds))


def _select_item(scanner: Scanner) -> ir.Field | EmbedTree:
    if scanner.startswith("..."):
        raise scanner.fail("spreading an embedded resource (...rel) is not supported")
    expected = "a column name, '*' or an embedded resource"
    name = scanner.name(expected)
    alias = None
    if scanner.peek() == ":" and not scanner.startswith("::"):
        scanner.pos += 1
        alias, name = name, scanner.name(expected)
    _refuse_extensions(scanner, name)
    hint = None
    inner = False
    while scanner.accept("!"):
        word = scanner.name("a hint after '!' (inner, left, or a relationship name)")
        if word in ("inner", "left"):
            inner = word == "inner"
        elif hint is None:
            hint = word
        else:
            raise scanner.fail(f"embed '{shown(name)}' has two relationship hints")
    if scanner.accept("("):
        tree = _select_list(scanner)
        scanner.expect(")", f"',' or ')' closing the embedded resource '{shown(name)}'")
        return EmbedTree(name, alias, hint, tree, inner)
    if hint is not None or inner:
        raise scanner.error(f"'(' after the hint of '{shown(name)}'")
    return ir.Field(name, alias)


def _refuse_extensions(scanner: Scanner, name: str) -> None:
    if scanner.startswith("::"):
        raise scanner.fail(f"casts ('{shown(name)}::type') are not supported")
    if scanner.startswith("->"):
        raise scanner.fail(f"JSON paths ('{shown(name)}->key') are not supported")
    if scanner.peek() == ".":
        raise scanner.fail(f"aggregates and dotted names ('{shown(name)}.') are not supported")


def parse_order(text: str, parameter: str = "order") -> tuple[ir.OrderItem, ...]:
    """`col`, `col.asc|desc`, optionally `.nullsfirst|.nullslast`, comma-separated."""
    scanner = Scanner(text, parameter)
    items: list[ir.OrderItem] = []
    while True:
        scanner.skip_spaces()
        column = scanner.name("a column name")
        if scanner.peek() == "(":
            raise scanner.fail("ordering by an embedded resource's column is not supported")
        words: list[str] = []
        while scanner.accept("."):
            words.append(scanner.name("asc, desc, nullsfirst or nullslast"))
        items.append(_order_item(column, words, parameter))
        scanner.skip_spaces()
        if scanner.at_end():
            return tuple(items)
        scanner.expect(",", "',' or the end of order")


def _order_item(column: str, words: list[str], parameter: str) -> ir.OrderItem:
    direction = words.pop(0) if words and words[0] in ("asc", "desc") else None
    nulls = words.pop(0) if words and words[0] in ("nullsfirst", "nullslast") else None
    if words:
        raise malformed(
            parameter,
            f"expected {shown(column)}[.asc|.desc][.nullsfirst|.nullslast], "
            f"got '{shown(words[0])}'",
        )
    return ir.OrderItem(
        column,
        descending=direction == "desc",
        nulls=cast(Any, nulls[len("nulls") :]) if nulls else None,
    )


def parse_count(text: str, parameter: str) -> int:
    """A `limit` or `offset`: a non-negative integer."""
    match = _COUNT.fullmatch(text)
    if match is None:
        raise malformed(parameter, f"expected a non-negative integer, got '{shown(text)}'")
    return int(match.group(1))


def parse_range_header(value: str) -> tuple[int, int | None]:
    """`Range: 0-24` (or `items=0-24`, `10-`) as (offset, limit or None when open-ended)."""
    match = _RANGE.fullmatch(value)
    if match is None:
        raise malformed("Range", f"expected first-last such as 0-24, got '{shown(value)}'")
    first = int(match.group(1))
    if not match.group(2):
        return first, None
    last = int(match.group(2))
    if last < first:
        raise malformed("Range", f"the last item {last} comes before the first {first}")
    return first, last - first + 1


def parse_names(text: str, parameter: str) -> tuple[str, ...]:
    """A comma-separated list of column names (`on_conflict`, `columns`)."""
    scanner = Scanner(text, parameter)
    names: list[str] = []
    while True:
        scanner.skip_spaces()
        names.append(scanner.name("a column name"))
        scanner.skip_spaces()
        if scanner.at_end():
            return tuple(names)
        scanner.expect(",", "',' or the end of the list")


def parse_query(params: list[tuple[str, str]]) -> ParsedQuery:
    """Every query parameter: `select`, per-path filters and paging, `on_conflict`, `columns`."""
    single: dict[str, Any] = {}
    scopes: dict[Path, dict[str, Any]] = {}
    for key, value in params:
        if key in SINGLE:
            if key in single:
                raise malformed(key, "given more than once")
            single[key] = parse_select(value) if key == "select" else parse_names(value, key)
            continue
        path, name = _split_key(key)
        scope = scopes.setdefault(path, {"filters": [], "sources": [], "parameters": []})
        scope["parameters"].append(key)
        if name in PAGING:
            if name in scope:
                raise malformed(key, "given more than once")
            scope[name] = parse_order(value, key) if name == "order" else parse_count(value, key)
            continue
        kind = name.removeprefix("not.")
        if kind in LOGIC:
            node: ir.Filter = parse_logic(kind, name != kind, value, key)
        else:
            node = parse_condition(name, value, key)
        scope["filters"].append(node)
        scope["sources"].append(key)
    return ParsedQuery(
        select=single.get("select", STAR),
        scopes={path: _scope(values) for path, values in scopes.items()},
        on_conflict=single.get("on_conflict"),
        columns=single.get("columns"),
    )


def _split_key(key: str) -> tuple[Path, str]:
    """`rel.sub.col` -> (("rel", "sub"), "col"); `rel.not.or` -> (("rel",), "not.or")."""
    parts = key.split(".")
    if len(parts) >= 2 and parts[-2] == "not" and parts[-1] in LOGIC:
        path, name = parts[:-2], "not." + parts[-1]
    else:
        path, name = parts[:-1], parts[-1]
    if not name or any(not part for part in path):
        raise malformed(key, "expected a column name or embed.column as the parameter name")
    return tuple(path), name


def _scope(values: dict[str, Any]) -> Scope:
    return Scope(
        filters=tuple(values["filters"]),
        filter_parameters=tuple(values["sources"]),
        order=values.get("order", ()),
        limit=values.get("limit"),
        offset=values.get("offset"),
        parameters=tuple(values["parameters"]),
    )
