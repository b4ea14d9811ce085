"""Run a GraphQL request against one schema bundle: parse, validate, limit, plan, execute.

Parsed and validated documents are cached per query text, compiled plans per
(query, operation, variables) — the bundle is per catalog version, so both
caches belong to one version and go with it. Plain reads never resolve field
by field: each root field is one IR statement, run once through the executor,
and its rows are already the response (reshaped only for `__typename`, field
order or nested aggregates). Introspection runs through graphql-core.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import GraphQLError, execute, parse, validate
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from config.errors import FedgateError
from gateway.graphql import errors as gql_errors
from gateway.graphql.compile import Compiler, pk_filter
from gateway.graphql.limits import INTROSPECTION, Limits, check_limits
from gateway.graphql.mutations import WritePlan, plan_write
from gateway.graphql.run import (
    AggregateRoot,
    ReadPlan,
    run_aggregate_root,
    run_read,
    run_write_plan,
)
from gateway.graphql.schema import Bundle
from gateway.graphql.selection import Collector
from gateway.query.context import QueryContext
from schema_cache.model import Catalog

log = logging.getLogger(__name__)
DOCUMENTS = 256
PLANS = 512
# Characters of a document (and of its variables, for a plan) beyond which it is parsed or
# planned each time and never kept: 512 kept plans of 10 MB bodies would hold gigabytes.
MAX_KEPT_TEXT = 64 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    query: str
    variables: dict[str, Any]
    operation_name: str | None


@dataclass
class Document:
    node: DocumentNode | None
    errors: list[dict[str, Any]]


RootPlan = ReadPlan | WritePlan | AggregateRoot | str  # str: introspection or __typename


@dataclass
class Plan:
    """One operation compiled: each root field's plan by response key."""

    mutation: bool
    fields: list[tuple[str, RootPlan, list[FieldNode]]]
    introspection: DocumentNode | None  # the operation's `__schema`/`__type` fields only


class Engine:
    """One bundle with its document and plan caches (replaced with the bundle)."""

    def __init__(
        self, bundle: Bundle, limits: Limits, max_limit: Callable[[str], int] | None = None
    ) -> None:
        self.bundle = bundle
        self.limits = limits
        self.max_limit = max_limit
        self._documents: LRUCache[str, Document] = LRUCache(DOCUMENTS)
        self._plans: LRUCache[tuple[str, str | None, bytes], Plan] = LRUCache(PLANS)
        self._lock = threading.Lock()

    def document(self, query: str) -> Document:
        with self._lock:
            found = self._documents.get(query)
        if found is not None:
            return found
        try:
            node = parse(query)
        except GraphQLError as exc:
            document = Document(None, [gql_errors.request_error(exc)])
        else:
            problems = validate(self.bundle.schema, node)
            document = Document(
                None if problems else node, [gql_errors.request_error(e) for e in problems]
            )
        if len(query) <= MAX_KEPT_TEXT:
            with self._lock:
                self._documents[query] = document
        return document

    def run(self, request: Request, ctx: QueryContext, catalog: Catalog) -> dict[str, Any]:
        """The response body: `{"data": ...}` and `errors` when there are any."""
        document = self.document(request.query)
        if document.node is None:
            return {"errors": document.errors}
        try:
            plan = self.plan(document.node, request)
        except _RequestErrors as exc:
            return {"errors": exc.errors}
        except FedgateError as exc:
            return {"data": None, "errors": [gql_errors.from_fedgate(exc)]}
        return self._execute(plan, ctx, catalog, request.variables)

    def plan(self, document: DocumentNode, request: Request) -> Plan:
        key = (
            request.query,
            request.operation_name,
            orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
        )
        with self._lock:
            found = self._plans.get(key)
        if found is not None:
            return found
        operation, fragments = _operation(document, request.operation_name)
        check_limits(operation, fragments, self.limits)
        coerced = get_variable_values(
            self.bundle.schema, operation.variable_definitions or (), request.variables
        )
        if isinstance(coerced, list):
            raise _RequestErrors([gql_errors.request_error(e) for e in coerced])
        plan = self._compile(document, operation, fragments, coerced)
        if len(key[0]) + len(key[2]) <= MAX_KEPT_TEXT:
            with self._lock:
                self._plans[key] = plan
        return plan

    def _compile(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> Plan:
        collector = Collector(fragments, variables)
        compiler = Compiler(collector, variables, self.max_limit)
        mutation = operation.operation == OperationType.MUTATION
        schema = self.bundle.schema
        root_type = schema.mutation_type if mutation else schema.query_type
        assert root_type is not None
        fields: list[tuple[str, RootPlan, list[FieldNode]]] = []
        introspective: list[FieldNode] = []
        for key, nodes in collector.collect_root(operation.selection_set).items():
            name = nodes[0].name.value
            if name in INTROSPECTION:
                introspective.extend(nodes)
                fields.append((key, "introspection", nodes))
                continue
            if name == "__typename":
                fields.append((key, root_type.name, nodes))
                continue
            root = self.bundle.roots[name]
            args = get_argument_values(root_type.fields[name], nodes[0], variables)
            types = root.types
            if root.kind == "select":
                select, level = compiler.select(types, nodes, args, key)
                fields.append((key, ReadPlan(select, level, single=False), nodes))
            elif root.kind == "by_pk":
                select, level = compiler.select(types, nodes, {}, key)
                select = dataclasses.replace(select, filter=pk_filter(types, args), limit=1)
                fields.append((key, ReadPlan(select, level, single=True), nodes))
            elif root.kind == "aggregate":
                aggregate, layout = compiler.root_aggregate(types, nodes, args, key)
                fields.append((key, AggregateRoot(layout, aggregate), nodes))
            else:
                fields.append((key, plan_write(compiler, root, nodes, args, key), nodes))
        return Plan(mutation, fields, _only(document, operation, introspective))

    def _execute(
        self, plan: Plan, ctx: QueryContext, catalog: Catalog, variables: dict[str, Any]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        introspected: dict[str, Any] = {}
        if plan.introspection is not None:
            result = execute(self.bundle.schema, plan.introspection, variable_values=variables)
            introspected = result.data or {}  # type: ignore[union-attr]
            problems += [dict(e.formatted) for e in result.errors or ()]  # type: ignore[union-attr]
        failed_required = False
        for key, root, nodes in plan.fields:
            try:
                if root == "introspection":
                    data[key] = introspected.get(key)
                elif isinstance(root, str):
                    data[key] = root  # __typename of the root type
                elif isinstance(root, ReadPlan):
                    data[key] = run_read(ctx, root, catalog)
                elif isinstance(root, WritePlan):
                    data[key] = run_write_plan(ctx, root, catalog, self.bundle)
                else:
                    data[key] = run_aggregate_root(ctx, root, catalog)
            except FedgateError as exc:
                problems.append(gql_errors.from_fedgate(exc, nodes, [key]))
                data[key] = None
                failed_required = failed_required or _required(root)
            except Exception:
                log.exception("graphql field %s failed", key)
                problems.append(gql_errors.internal(nodes, [key]))
                data[key] = None
                failed_required = failed_required or _required(root)
        body: dict[str, Any] = {"data": None if failed_required else data}
        if problems:
            body["errors"] = problems
        return body


class _RequestErrors(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("request errors")
        self.errors = errors


def _required(root: RootPlan) -> bool:
    """Non-null root fields (lists, aggregates) null the whole `data` when they fail."""
    return (isinstance(root, ReadPlan) and not root.single) or isinstance(root, AggregateRoot)


def _operation(
    document: DocumentNode, name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if name is None:
        if len(operations) != 1:
            raise _RequestErrors(
                [
                    gql_errors.bad_request(
                        "the document has several operations: name one in operationName",
                        "operationName",
                    )
                ]
            )
        operation = operations[0]
    else:
        found = [o for o in operations if o.name is not None and o.name.value == name]
        if not found:
            raise _RequestErrors(
                [
                    gql_errors.bad_request(
                        f"no operation named '{name}' in the document", "operationName"
                    )
                ]
            )
        operation = found[0]
    if operation.operation == OperationType.SUBSCRIPTION:
        raise _RequestErrors([gql_errors.bad_request("subscriptions are not supported", "query")])
    return operation, fragments


def _only(
    document: DocumentNode, operation: OperationDefinitionNode, nodes: list[FieldNode]
) -> DocumentNode | None:
    """The operation reduced to its introspection fields (with the fragments), or None."""
    if not nodes:
        return None
    reduced = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(nodes)),
    )
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    return DocumentNode(definitions=(reduced, *fragments))
