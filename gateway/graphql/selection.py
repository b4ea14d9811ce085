"""Collect a selection set's fields (fragments, inline fragments, @skip/@include) by response key.

Every generated type is a concrete object type (no interfaces or unions), so a
fragment that validated applies wherever it is spread.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLIncludeDirective, GraphQLSkipDirective
from graphql.execution.values import VariableValues, get_directive_values
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


class Collector:
    """Fields by response key; same-key fields are merged, as GraphQL executes them."""

    def __init__(
        self, fragments: dict[str, FragmentDefinitionNode], variables: VariableValues
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def collect(self, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        """The subfields of `nodes` (fields sharing one response key)."""
        fields: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self._collect(node.selection_set, fields, set())
        return fields

    def collect_root(self, selection_set: SelectionSetNode) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        self._collect(selection_set, fields, set())
        return fields

    def _collect(
        self, selection_set: SelectionSetNode, fields: dict[str, list[FieldNode]], seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, fields, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                self._collect(fragment.selection_set, fields, seen)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)
