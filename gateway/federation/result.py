"""A statement's result: an Arrow table (or, for a pushdown answered in JSON, CSV or NDJSON,
rows already rendered), the family of each column, and what ran."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.types import TypeFamily
from gateway.federation.coltypes import family_of_arrow, family_of_duckdb
from schema_cache.model import Column

if TYPE_CHECKING:
    import pyarrow as pa

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    name: str
    family: TypeFamily
    scale: int | None = None

    @classmethod
    def from_duckdb(cls, name: str, type_name: str) -> ResultColumn:
        match = _DECIMAL.match(type_name)
        return cls(name, family_of_duckdb(type_name), int(match.group(2)) if match else None)

    @classmethod
    def from_arrow(
        cls,
        name: str,
        type_: pa.DataType,
        column: Column | None,
        durations: TypeFamily = TypeFamily.INTERVAL,
    ) -> ResultColumn:
        """Args:
        durations: the family of a computed duration (`driver_values.timedelta_family`)."""
        import pyarrow as pa

        scale = type_.scale if pa.types.is_decimal(type_) else None
        if column is not None:
            return cls(name, column.family, scale)
        if pa.types.is_duration(type_):
            return cls(name, durations)
        return cls(name, family_of_arrow(type_), scale)


@dataclass(frozen=True, slots=True)
class Result:
    """At most `row_cap` rows; `truncated` when the statement had more."""

    table: pa.Table
    columns: tuple[ResultColumn, ...]
    truncated: bool
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True, slots=True)
class RenderedResult:
    """A pushdown's rows rendered for JSON, CSV and NDJSON (`output.rendered_rows`' form),
    read without Arrow (`rows_json`)."""

    columns: tuple[ResultColumn, ...]
    rows: list[list[Any]]
    truncated: bool
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(self.rows)


def capped(
    table: pa.Table, columns: tuple[ResultColumn, ...], cap: int, trace: dict[str, Any]
) -> Result:
    truncated = table.num_rows > cap
    return Result(table.slice(0, cap) if truncated else table, columns, truncated, trace)
