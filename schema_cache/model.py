"""The unified model: immutable values that every surface reads.

A `Catalog` is replaced whole on refresh, never mutated, so a reader holding
one always sees a complete and consistent model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from connectors.types import TypeFamily

RelationshipKind = Literal["object", "array"]
SourceStatus = Literal["ok", "unavailable", "pending"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    family: TypeFamily
    native_type: str
    nullable: bool
    default: str | None = None
    autoincrement: bool = False
    identity: bool = False
    generated: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    comment: str | None = None
    enum_values: tuple[str, ...] = ()
    item_family: TypeFamily | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.autoincrement or self.generated


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    target_schema: str
    target_table: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Index:
    name: str | None
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True, slots=True)
class Check:
    name: str | None
    expression: str


@dataclass(frozen=True, slots=True)
class Relationship:
    """A way to walk from one table to another: `object` yields one row, `array` many."""

    name: str
    kind: RelationshipKind
    columns: tuple[str, ...]
    target_source: str
    target_schema: str
    target_table: str
    target_columns: tuple[str, ...]
    origin: str  # the foreign key's name, or "config"


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    kind: Literal["table", "view"]
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    checks: tuple[Check, ...] = ()
    comment: str | None = None
    relationships: tuple[Relationship, ...] = ()
    _columns: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)
    _relationships: dict[str, Relationship] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_columns", {c.name: c for c in self.columns})
        named: dict[str, Relationship] = {}
        for rel in self.relationships:
            named.setdefault(rel.name, rel)  # the first of a name wins, as a scan would
        object.__setattr__(self, "_relationships", named)

    def get_column(self, name: str) -> Column | None:
        return self._columns.get(name)

    def get_relationship(self, name: str) -> Relationship | None:
        return self._relationships.get(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True)
class Source:
    """One source's model; `version` changes exactly when the model does."""

    name: str
    dialect: str
    server_version: str
    default_schema: str
    version: str
    tables: tuple[Table, ...]
    _tables: dict[tuple[str, str], Table] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", {(t.schema, t.name): t for t in self.tables})

    def get_table(self, name: str, schema: str | None = None) -> Table | None:
        return self._tables.get((schema or self.default_schema, name))

    def path_name(self, table: Table) -> str:
        """The table's REST path segment: `name`, or `schema.name` outside the default schema."""
        if table.schema == self.default_schema:
            return table.name
        return f"{table.schema}.{table.name}"


@dataclass(frozen=True, slots=True)
class SourceState:
    """How the last introspection of a source went."""

    name: str
    status: SourceStatus
    reason: str | None = None
    checked_at: float | None = None
    introspected_at: float | None = None
    round_trips: int = 0
    duration_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every source's model and state; replaced whole on refresh."""

    sources: tuple[Source, ...] = ()
    states: tuple[SourceState, ...] = ()
    _sources: dict[str, Source] = field(default_factory=dict, repr=False, compare=False)
    _states: dict[str, SourceState] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sources", {s.name: s for s in self.sources})
        object.__setattr__(self, "_states", {s.name: s for s in self.states})

    def get_source(self, name: str) -> Source | None:
        return self._sources.get(name)

    def get_state(self, name: str) -> SourceState | None:
        return self._states.get(name)

    @property
    def is_ready(self) -> bool:
        """True once there is a model to serve (from introspection or a snapshot)."""
        return bool(self.sources)
