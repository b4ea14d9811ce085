"""The query IR: what a request asks for, independent of REST, GraphQL and SQL dialects.

Surfaces parse requests into these values; the policy checks them; the
compiler turns them into SQLAlchemy Core per dialect. Names here are model
names (tables, columns, relationships), never SQL text; values are raw until
`values.coerce_*` types them against the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"]
OPS: tuple[str, ...] = ("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is")
Nulls = Literal["first", "last"]
Returning = Literal["representation", "minimal"]
Resolution = Literal["merge", "ignore"]


@dataclass(frozen=True, slots=True)
class Condition:
    """`column op value`; for `in` the value is a tuple, for `is` one of None/True/False."""

    column: str
    op: Op
    value: Any
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Junction:
    """`and`/`or` of several filters."""

    kind: Literal["and", "or"]
    items: tuple[Filter, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class RelationshipFilter:
    """Rows with (or, negated, without) a related row matching `filter` (EXISTS)."""

    relationship: str
    filter: Filter | None
    negate: bool = False


Filter = Condition | Junction | RelationshipFilter


@dataclass(frozen=True, slots=True)
class OrderItem:
    """A sort key: `column` of the table, or, with `path` (object relationships within the
    source, in order), of the one row those relationships reach (null when there is none)."""

    column: str
    descending: bool = False
    nulls: Nulls | None = None
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    """A selected column, optionally renamed in the output."""

    column: str
    alias: str | None = None

    @property
    def output_name(self) -> str:
        return self.alias or self.column


@dataclass(frozen=True, slots=True)
class Embed:
    """Rows reached through a relationship, selected with their own shape."""

    relationship: str
    select: Select
    alias: str | None = None

    @property
    def output_name(self) -> str:
        return self.alias or self.relationship


@dataclass(frozen=True, slots=True)
class TableRef:
    source: str
    table: str
    schema: str | None = None  # None: the source's default schema


@dataclass(frozen=True, slots=True)
class Select:
    """Read rows of one table. `fields` empty means every column."""

    target: TableRef
    fields: tuple[Field, ...] = ()
    embeds: tuple[Embed, ...] = ()
    filter: Filter | None = None
    order: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int = 0
    count: bool = False
    # Keep the first row (by `order`) of each distinct combination of these columns
    # (GraphQL's `distinct_on`); see gateway/query/distinct.py.
    distinct_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OnConflict:
    columns: tuple[str, ...]  # empty: the primary key
    resolution: Resolution = "merge"
    update: tuple[str, ...] | None = None  # merge these columns (None: every written column)


@dataclass(frozen=True, slots=True)
class Insert:
    """Insert rows in one transaction: all or none."""

    target: TableRef
    rows: tuple[dict[str, Any], ...]
    returning: tuple[Field, ...] = ()
    return_rows: bool = True
    on_conflict: OnConflict | None = None


@dataclass(frozen=True, slots=True)
class Update:
    target: TableRef
    values: dict[str, Any]
    filter: Filter | None
    returning: tuple[Field, ...] = ()
    return_rows: bool = True
    increments: dict[str, Any] = field(default_factory=dict)  # column += value (GraphQL `_inc`)


@dataclass(frozen=True, slots=True)
class Delete:
    target: TableRef
    filter: Filter | None
    returning: tuple[Field, ...] = ()
    return_rows: bool = True


Statement = Select | Insert | Update | Delete


@dataclass(frozen=True, slots=True)
class Result:
    """Rows as plain dicts (values already rendered for JSON), and the exact count if asked."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    affected: int = 0
