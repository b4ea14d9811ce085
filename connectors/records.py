"""Plain records that connectors return from introspection.

They carry what the database said, already mapped to type families, and no
derived knowledge (relationships, names for the APIs, version hashes): the
schema cache builds the unified model from them with pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from connectors.types import TypeFamily


@dataclass(frozen=True, slots=True)
class ColumnRecord:
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


@dataclass(frozen=True, slots=True)
class ForeignKeyRecord:
    name: str | None
    columns: tuple[str, ...]
    referred_schema: str
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueRecord:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndexRecord:
    name: str | None
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True, slots=True)
class CheckRecord:
    name: str | None
    expression: str


@dataclass(frozen=True, slots=True)
class TableRecord:
    schema: str
    name: str
    kind: str  # "table" | "view"
    columns: tuple[ColumnRecord, ...]
    primary_key: tuple[str, ...] = ()
    primary_key_name: str | None = None
    foreign_keys: tuple[ForeignKeyRecord, ...] = ()
    unique_constraints: tuple[UniqueRecord, ...] = ()
    indexes: tuple[IndexRecord, ...] = ()
    checks: tuple[CheckRecord, ...] = ()
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Everything introspected from one source, with the cost of getting it."""

    dialect: str
    server_version: str
    default_schema: str
    tables: tuple[TableRecord, ...]
    round_trips: int = 0
    warnings: tuple[str, ...] = field(default=())

    def with_cost(self, *, round_trips: int, warnings: tuple[str, ...]) -> SourceRecord:
        return replace(self, round_trips=round_trips, warnings=self.warnings + warnings)
