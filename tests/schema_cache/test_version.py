"""The version hash changes exactly when the served model does."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.types import TypeFamily
from schema_cache.model import Column, ForeignKey, Relationship, Table
from schema_cache.serialize import version_of


def _table(**changes: object) -> Table:
    columns = (
        Column("id", TypeFamily.INTEGER, "integer", nullable=False),
        Column("status", TypeFamily.ENUM, "mood", True, enum_values=("ok", "sad"), comment="how"),
    )
    base = Table(
        schema="public",
        name="orders",
        kind="table",
        columns=columns,
        primary_key=("id",),
        foreign_keys=(ForeignKey("fk_c", ("id",), "public", "customers", ("id",)),),
        relationships=(
            Relationship(
                "customer", "object", ("id",), "s", "public", "customers", ("id",), "fk_c"
            ),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_equal_model_built_again_has_the_same_version() -> None:
    assert version_of((_table(),), "public") == version_of((_table(),), "public")


@pytest.mark.parametrize(
    "changes",
    [
        {"comment": "now commented"},
        {"kind": "view"},
        {"primary_key": ()},
        {"foreign_keys": ()},
        {"relationships": ()},
        {"columns": (Column("id", TypeFamily.INTEGER, "integer", nullable=True),)},
        {
            "columns": (
                Column("id", TypeFamily.INTEGER, "integer", nullable=False),
                Column("status", TypeFamily.ENUM, "mood", True, enum_values=("ok",), comment="how"),
            )
        },
        {
            "columns": (
                Column("id", TypeFamily.BIGINT, "integer", nullable=False),
                Column(
                    "status",
                    TypeFamily.ENUM,
                    "mood",
                    True,
                    enum_values=("ok", "sad"),
                    comment="how",
                ),
            )
        },
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_change_of_the_model_changes_the_version(changes: dict[str, object]) -> None:
    assert version_of((_table(**changes),), "public") != version_of((_table(),), "public")


def test_the_default_schema_is_part_of_the_version() -> None:
    assert version_of((_table(),), "public") != version_of((_table(),), "other")
