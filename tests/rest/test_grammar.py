"""The PostgREST query grammar: select trees, filters, logic trees, order, paging, Range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.query.errors import MalformedRequestError
from gateway.query.ir import Condition, Field, Junction, OrderItem
from gateway.rest.grammar import (
    STAR,
    EmbedTree,
    Scope,
    SelectTree,
    all_of,
    parse_order,
    parse_query,
    parse_range_header,
    parse_select,
)
from gateway.rest.grammar_filters import parse_condition, parse_logic


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def root(params: list[tuple[str, str]]) -> Scope:
    return parse_query(params).scope()


def rejects(call: Callable[..., object], *args: object) -> dict[str, Any]:
    with pytest.raises(MalformedRequestError) as info:
        call(*args)
    assert len(info.value.errors) == 1
    return info.value.errors[0]


# --- select ------------------------------------------------------------------------------------


def embeds(
    name: str,
    tree: SelectTree = STAR,
    alias: str | None = None,
    hint: str | None = None,
    inner: bool = False,
) -> SelectTree:
    """A select of one embed and no columns."""
    return SelectTree((), False, (EmbedTree(name, alias, hint, tree, inner),))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("*", STAR),
        ("id", SelectTree((Field("id"),))),
        (" id , name ", SelectTree((Field("id"), Field("name")))),
        ("full:name", SelectTree((Field("name", "full"),))),
        ('"my col",x:"a b"', SelectTree((Field("my col"), Field("a b", "x")))),
        ("*,films(*)", SelectTree((), True, embeds("films").embeds)),
        ("f:films(title)", embeds("films", SelectTree((Field("title"),)), "f")),
        ("films!inner(*)", embeds("films", inner=True)),
        ("films!left(*)", embeds("films")),
        ("films!fk_a(*)", embeds("films", hint="fk_a")),
        ("films!fk_a!inner(*)", embeds("films", hint="fk_a", inner=True)),
        ("x:films!inner!fk_a(*)", embeds("films", STAR, "x", "fk_a", True)),
        ("films()", embeds("films", SelectTree())),
        ("films( )", embeds("films", SelectTree())),
        ("naïve,числа", SelectTree((Field("naïve"), Field("числа")))),
        ("first-name", SelectTree((Field("first-name"),))),
    ],
)
def test_select(text: str, tree: SelectTree) -> None:
    assert parse_select(text) == tree


def test_select_nests_to_any_depth() -> None:
    text = "id," + "".join(f"r{i}(id," for i in range(12)) + "*" + ")" * 12
    tree = parse_select(text)
    for i in range(12):
        assert tree.fields == (Field("id"),)
        (child,) = tree.embeds
        assert child.name == f"r{i}"
        tree = child.tree
    assert tree == SelectTree((Field("id"),), True)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "found the end"),
        ("   ", "found the end"),
        ("id,", "found the end"),
        (",id", "found ',id'"),
        ("id::text", "casts"),
        ("a:id::int", "casts"),
        ("data->>key", "JSON paths"),
        ("data->key", "JSON paths"),
        ("...films(*)", "spreading"),
        ("amount.sum()", "aggregates"),
        ("films(title", "closing the embedded resource 'films'"),
        ("films(title))", "',' or the end of select"),
        ("films!inner", "'(' after the hint"),
        ("films!(*)", "a hint after '!'"),
        ("films!a!b(*)", "two relationship hints"),
        ("a:", "found the end"),
        ("a:*", "found '*'"),
        ('"open', "closing '\"'"),
        ("id name", "',' or the end"),
    ],
)
def test_select_rejects(text: str, fragment: str) -> None:
    error = rejects(parse_select, text)
    assert error["parameter"] == "select"
    assert fragment in str(error["detail"])


def test_select_error_names_its_parameter_and_cuts_the_input() -> None:
    error = rejects(parse_select, "a::" + "x" * 500, "returning")
    assert error["parameter"] == "returning"
    long = rejects(parse_select, "id " + "y" * 500)
    assert len(str(long["detail"])) < 120


# --- filters -----------------------------------------------------------------------------------

SIMPLE = [("eq", "1"), ("neq", "a.b.c"), ("gt", "2"), ("gte", "-3"), ("lt", "x y"), ("lte", "")]


@pytest.mark.parametrize(("op", "value"), SIMPLE)
@pytest.mark.parametrize("negate", [False, True])
def test_comparison_operators(op: str, value: str, negate: bool) -> None:
    text = ("not." if negate else "") + f"{op}.{value}"
    assert root([("col", text)]).filters == (Condition("col", op, value, negate),)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("like.*abc*", Condition("c", "like", "%abc%")),
        ("ilike.A*b", Condition("c", "ilike", "A%b")),
        ("not.like.x%", Condition("c", "like", "x%", True)),
        ("is.null", Condition("c", "is", None)),
        ("is.unknown", Condition("c", "is", None)),
        ("is.NULL", Condition("c", "is", None)),
        ("is.true", Condition("c", "is", True)),
        ("not.is.false", Condition("c", "is", False, True)),
        ("in.(1,2,3)", Condition("c", "in", ("1", "2", "3"))),
        ("in.()", Condition("c", "in", ())),
        ("in.( 1 , 2 )", Condition("c", "in", ("1", "2"))),
        (
            'in.("a,b","x\\"y","(p)","\\\\","")',
            Condition("c", "in", ("a,b", 'x"y', "(p)", "\\", "")),
        ),
        ('not.in.("日本",ü)', Condition("c", "in", ("日本", "ü"), True)),
        ('eq."quoted"', Condition("c", "eq", '"quoted"')),
        ("eq.a,b(c)", Condition("c", "eq", "a,b(c)")),
    ],
)
def test_filter_values(text: str, expected: Condition) -> None:
    assert parse_condition("c", text, "c") == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "operator.value"),
        ("eq", "operator.value"),
        ("not.eq", "operator.value"),
        ("not.not.eq.1", "unknown operator 'not'"),
        ("fts.cat", "unknown operator 'fts'"),
        ("eq(any).{1,2}", "unknown operator"),
        ("is.maybe", "null, true, false or unknown"),
        ("in.1,2", "'(' opening the list"),
        ("in.(1,2", "',' or ')' in the list"),
        ("in.(1,2)x", "the end after the list"),
        ("in.(1,,2)", "a value"),
        ("in.(a(b))", "quoted value"),
        ('in.(a"b)', "quoted value"),
        ('in.("a)', "closing '\"'"),
        ('in.("a"b)', "',' or ')' in the list"),
    ],
)
def test_filter_rejects(text: str, fragment: str) -> None:
    error = rejects(parse_query, [("price", text)])
    assert error["parameter"] == "price"
    assert fragment in str(error["detail"])


def test_repeated_filters_on_one_column_are_anded() -> None:
    scope = root([("age", "gt.1"), ("age", "lt.9")])
    assert scope.filter == Junction(
        "and", (Condition("age", "gt", "1"), Condition("age", "lt", "9"))
    )
    assert scope.filter_parameters == ("age", "age")


def test_all_of() -> None:
    one = Condition("a", "eq", "1")
    assert all_of([]) is None
    assert all_of([None, one]) == one


# --- logic trees -------------------------------------------------------------------------------


def _or(*items: Condition | Junction) -> Junction:
    return Junction("or", items)


A1 = Condition("a", "eq", "1")


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("or", "(a.eq.1,b.gt.2)", _or(A1, Condition("b", "gt", "2"))),
        ("and", "( a.eq.1 , b.not.lt.2 )", Junction("and", (A1, Condition("b", "lt", "2", True)))),
        ("not.or", "(a.is.null)", Junction("or", (Condition("a", "is", None),), True)),
        (
            "not.and",
            '(a.in.(1,"2,3"))',
            Junction("and", (Condition("a", "in", ("1", "2,3")),), True),
        ),
        (
            "or",
            '(a.eq."x,y",b.like."*(z)*")',
            _or(Condition("a", "eq", "x,y"), Condition("b", "like", "%(z)%")),
        ),
        ("or", "(a.eq.,b.eq.1.5)", _or(Condition("a", "eq", ""), Condition("b", "eq", "1.5"))),
        ("or", "(android.eq.1)", _or(Condition("android", "eq", "1"))),
        ("or", "(a.eq. two words )", _or(Condition("a", "eq", "two words"))),
    ],
)
def test_logic_trees(key: str, text: str, expected: Junction) -> None:
    assert root([(key, text)]).filters == (expected,)


def test_logic_trees_nest_to_any_depth() -> None:
    text = '(a.eq.1,and(c.lt.3,d.is.null,not.or(e.eq."x)",and(f.in.(1),g.eq.2))))'
    c, d, e, f, g = (
        Condition("c", "lt", "3"),
        Condition("d", "is", None),
        Condition("e", "eq", "x)"),
        Condition("f", "in", ("1",)),
        Condition("g", "eq", "2"),
    )
    inner = Junction("or", (e, Junction("and", (f, g))), True)
    expected = Junction("or", (Condition("a", "eq", "1"), Junction("and", (c, d, inner))))
    assert parse_logic("or", False, text, "or") == expected
    deep = "(" + "and(" * 40 + "a.eq.1" + ")" * 40 + ")"
    assert isinstance(parse_logic("or", False, deep, "or"), Junction)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a.eq.1", "'(' opening the or group"),
        ("()", "a condition"),
        ("(a.eq.1", "',' or ')' after a condition"),
        ("(a.eq.1,)", "a condition"),
        ("(a.eq.1))", "the end after ')'"),
        ("(a)", "'.' and an operator"),
        ("(a.zz.1)", "unknown operator 'zz'"),
        ("(a.eq)", "'.' and a value after 'eq'"),
        ("(a.eq.f(x))", "quoted value"),
        ('(a.eq."x)', "closing '\"'"),
        ("(xor(a.eq.1))", "'.' and an operator"),
        ("(a.is.maybe)", "null, true, false or unknown"),
    ],
)
def test_logic_rejects(text: str, fragment: str) -> None:
    error = rejects(parse_query, [("or", text)])
    assert error["parameter"] == "or"
    assert fragment in str(error["detail"])


# --- order, limit, offset, Range ---------------------------------------------------------------

DIRECTIONS = [("", False), (".asc", False), (".desc", True)]
NULLS = [("", None), (".nullsfirst", "first"), (".nullslast", "last")]


@pytest.mark.parametrize(("direction", "descending"), DIRECTIONS)
@pytest.mark.parametrize(("nulls_text", "nulls"), NULLS)
def test_order_combinations(direction: str, descending: bool, nulls_text: str, nulls: str) -> None:
    items = parse_order(f"a{direction}{nulls_text}, b")
    assert items == (OrderItem("a", descending, nulls), OrderItem("b"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "a column name"),
        ("a.up", "got 'up'"),
        ("a.nullsfirst.desc", "got 'desc'"),
        ("a.desc.asc", "got 'asc'"),
        ("a.", "asc, desc"),
        ("a,,b", "a column name"),
        ("a b", "',' or the end"),
        ("films(year).desc", "embedded resource"),
    ],
)
def test_order_rejects(text: str, fragment: str) -> None:
    error = rejects(parse_query, [("films.order", text)])
    assert error["parameter"] == "films.order"
    assert fragment in str(error["detail"])


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("limit", "-1"),
        ("offset", "1.5"),
        ("limit", ""),
        ("limit", "ten"),
        ("offset", "²"),
        ("limit", "9" * 20),
    ],
)
def test_paging_rejects(key: str, text: str) -> None:
    assert rejects(parse_query, [(key, text)])["parameter"] == key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0-24", (0, 25)),
        ("10-10", (10, 1)),
        ("5-", (5, None)),
        ("items=0-9", (0, 10)),
        (" 3 - 4 ", (3, 2)),
    ],
)
def test_range_header(value: str, expected: tuple[int, int | None]) -> None:
    assert parse_range_header(value) == expected


@pytest.mark.parametrize("value", ["", "-5", "a-b", "5-4", "0-24/100", "bytes=0-1"])
def test_range_header_rejects(value: str) -> None:
    assert rejects(parse_range_header, value)["parameter"] == "Range"


# --- parse_query -------------------------------------------------------------------------------


def test_parse_query_scopes_parameters_by_embed_path() -> None:
    parsed = parse_query(
        [
            ("select", "id,films(id,roles(*))"),
            ("id", "gt.1"),
            ("films.year", "gte.2000"),
            ("films.or", "(a.eq.1,b.eq.2)"),
            ("films.not.and", "(a.eq.1)"),
            ("films.order", "year.desc"),
            ("films.limit", "5"),
            ("films.offset", "2"),
            ("films.roles.character", "ilike.*bond*"),
            ("on_conflict", "id, code"),
            ("columns", "a,b"),
            ("limit", "3"),
        ]
    )
    assert parsed.select.embeds[0].name == "films"
    assert parsed.scope() == Scope(
        (Condition("id", "gt", "1"),), ("id",), (), 3, None, ("id", "limit")
    )
    films = parsed.scope(("films",))
    assert films.filters[0] == Condition("year", "gte", "2000")
    assert [type(f) for f in films.filters] == [Condition, Junction, Junction]
    assert films.filter_parameters == ("films.year", "films.or", "films.not.and")
    assert (films.order, films.limit, films.offset) == ((OrderItem("year", True),), 5, 2)
    roles = parsed.scope(("films", "roles"))
    assert roles.filters == (Condition("character", "ilike", "%bond%"),)
    assert (parsed.on_conflict, parsed.columns) == (("id", "code"), ("a", "b"))


def test_parse_query_defaults() -> None:
    parsed = parse_query([])
    assert parsed.select == STAR
    assert parsed.scope(("absent",)) == Scope()
    assert (parsed.on_conflict, parsed.columns) == (None, None)


@pytest.mark.parametrize(
    "params",
    [
        [("select", "a"), ("select", "b")],
        [("limit", "1"), ("limit", "2")],
        [("films.order", "a"), ("films.order", "b")],
        [("on_conflict", "a"), ("on_conflict", "a")],
    ],
)
def test_single_parameters_given_twice(params: list[tuple[str, str]]) -> None:
    error = rejects(parse_query, params)
    assert error["parameter"] == params[0][0]
    assert "more than once" in str(error["detail"])


@pytest.mark.parametrize("key", ["", ".a", "a.", "films..year"])
def test_malformed_keys(key: str) -> None:
    assert rejects(parse_query, [(key, "eq.1")])["parameter"] == key


@pytest.mark.parametrize(
    ("key", "text"), [("on_conflict", ""), ("columns", "a,,b"), ("columns", "a b")]
)
def test_names_reject(key: str, text: str) -> None:
    assert rejects(parse_query, [(key, text)])["parameter"] == key


# --- properties --------------------------------------------------------------------------------

VALUES = st.text(max_size=30)
BARE = st.text(
    st.characters(blacklist_characters=',()"', blacklist_categories=["Cs"]), min_size=1, max_size=20
).filter(lambda s: s.strip() == s)


@given(st.lists(VALUES, max_size=6))
def test_quoted_values_round_trip_in_lists(values: list[str]) -> None:
    text = "in.(" + ",".join(quote(v) for v in values) + ")"
    assert parse_condition("c", text, "c").value == tuple(values)


@given(st.lists(BARE, min_size=1, max_size=6))
def test_bare_values_round_trip_in_lists(values: list[str]) -> None:
    assert parse_condition("c", "in.(" + ",".join(values) + ")", "c").value == tuple(values)


@given(VALUES, VALUES)
def test_quoted_values_round_trip_in_logic_trees(first: str, second: str) -> None:
    text = f"(a.eq.{quote(first)},and(b.neq.{quote(second)}))"
    node = parse_logic("or", False, text, "or")
    assert node == Junction(
        "or", (Condition("a", "eq", first), Junction("and", (Condition("b", "neq", second),)))
    )


@given(VALUES)
def test_top_level_values_are_verbatim(value: str) -> None:
    assert parse_condition("c", "eq." + value, "c").value == value


@given(st.text(max_size=200), st.sampled_from(["select", "order", "or", "col", "limit", "x.y"]))
def test_any_input_parses_or_fails_cleanly(text: str, key: str) -> None:
    failure: MalformedRequestError | None = None
    try:
        parse_query([(key, text)])
    except MalformedRequestError as exc:
        failure = exc
    if failure is not None:
        assert failure.errors[0]["parameter"] == key
        assert len(str(failure)) < 200
