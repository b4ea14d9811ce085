"""Plain-JSON form of the model: snapshots on disk, `/catalog`, and version hashes."""

from __future__ import annotations

import dataclasses
import hashlib
from enum import Enum
from typing import Any

import orjson

from connectors.types import TypeFamily
from schema_cache.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    Relationship,
    Source,
    Table,
    UniqueConstraint,
)


def to_plain(value: Any) -> Any:
    """Dataclasses to dicts (private `_` fields left out), tuples to lists, enums to values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, (tuple, list)):
        return [to_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def source_to_dict(source: Source) -> dict[str, Any]:
    plain: dict[str, Any] = to_plain(source)
    return plain


def column_from_dict(data: dict[str, Any]) -> Column:
    item = data.get("item_family")
    fields = {**data, "family": TypeFamily(data["family"])}
    fields["enum_values"] = tuple(data.get("enum_values") or ())
    fields["item_family"] = TypeFamily(item) if item else None
    return Column(**fields)


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def table_from_dict(data: dict[str, Any]) -> Table:
    return Table(
        schema=data["schema"],
        name=data["name"],
        kind=data["kind"],
        comment=data.get("comment"),
        columns=tuple(column_from_dict(c) for c in data["columns"]),
        primary_key=tuple(data["primary_key"]),
        foreign_keys=tuple(ForeignKey(**_tuples(f)) for f in data["foreign_keys"]),
        unique_constraints=tuple(
            UniqueConstraint(**_tuples(u)) for u in data["unique_constraints"]
        ),
        indexes=tuple(Index(**_tuples(i)) for i in data["indexes"]),
        checks=tuple(Check(**c) for c in data["checks"]),
        relationships=tuple(Relationship(**_tuples(r)) for r in data["relationships"]),
    )


def source_from_dict(data: dict[str, Any]) -> Source:
    return Source(
        name=data["name"],
        dialect=data["dialect"],
        server_version=data["server_version"],
        default_schema=data["default_schema"],
        version=data["version"],
        tables=tuple(table_from_dict(t) for t in data["tables"]),
    )


def version_of(tables: tuple[Table, ...], default_schema: str) -> str:
    """A short hash that changes exactly when the served model changes."""
    # orjson writes the dataclasses itself (public fields in definition order, enums as
    # values), some 15x faster than `to_plain` on a 2,000-table model.
    payload = orjson.dumps({"default_schema": default_schema, "tables": tables})
    return hashlib.sha256(payload).hexdigest()[:16]
