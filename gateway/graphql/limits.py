"""Refuse oversized operations before planning: depth, aliases and field nodes.

Fragments are expanded (validation has ruled out cycles), so a fragment
spread twice counts twice. Introspection (`__schema`, `__type`) is not
counted: GraphiQL's own introspection query nests `ofType` deeply, and it
reads the schema, not the databases.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.query.errors import MalformedRequestError

INTROSPECTION = ("__schema", "__type")


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 50
    max_nodes: int = 2_000


class LimitExceededError(MalformedRequestError):
    code = "bad_request"


@dataclass
class _Count:
    depth: int = 0
    aliases: int = 0
    nodes: int = 0


def check_limits(
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    limits: Limits,
) -> None:
    """Raise a 400 naming the limit an operation exceeds, before any planning or SQL."""
    count = _Count()
    _walk(operation.selection_set, fragments, 1, count, limits)


def _walk(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    depth: int,
    count: _Count,
    limits: Limits,
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION:
                continue
            count.nodes += 1
            count.aliases += selection.alias is not None
            count.depth = max(count.depth, depth)
            _check(count, limits)
            if selection.selection_set is not None:
                _walk(selection.selection_set, fragments, depth + 1, count, limits)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, fragments, depth, count, limits)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _walk(fragment.selection_set, fragments, depth, count, limits)


def _check(count: _Count, limits: Limits) -> None:
    for what, value, most in (
        ("depth", count.depth, limits.max_depth),
        ("aliases", count.aliases, limits.max_aliases),
        ("fields", count.nodes, limits.max_nodes),
    ):
        if value > most:
            raise LimitExceededError(
                f"the query exceeds the limit of {most} {_noun(what)}",
                errors=[{"parameter": "query", "detail": f"{what} above {most}", "limit": most}],
            )


def _noun(what: str) -> str:
    return {"depth": "levels of nesting", "aliases": "aliases", "fields": "fields"}[what]
