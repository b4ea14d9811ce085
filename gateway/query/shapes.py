"""Request shapes: a Select whose filter values are replaced by bound-parameter slots.

Two requests that differ only in those values have one shape, so the statement
built for the first serves the others: a repeated shape only types its values
and binds them (see `prepared.py`). Comparison and `in` values become slots;
`like`/`ilike` patterns (rewritten per dialect before binding), `is` operands,
nulls (`= NULL` is not `IS NULL`), limit and offset stay in the shape, and are
bound parameters or model-checked keywords as before, never SQL text.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from gateway.query.ir import Condition, Filter, Junction, Select
from schema_cache.model import Column

SLOTTED = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "in"})


@dataclass(frozen=True, slots=True)
class Slot:
    """The place of the `index`th value of a request, bound as `__v{index}`."""

    index: int

    @property
    def name(self) -> str:
        return f"__v{self.index}"


@dataclass(frozen=True, slots=True)
class SlotUse:
    """How a slot's value is typed: against `column` of the model, errors naming `parameter`."""

    index: int
    model: Column
    column: str
    parameter: str | None


# The slots a statement being built binds (set by `prepared.StatementCache` while building).
_building: ContextVar[dict[int, SlotUse] | None] = ContextVar("fedgate_slots", default=None)


def shape_of(select: Select) -> tuple[Select, tuple[Any, ...]]:
    """`select` with its slotted values replaced, and those values in slot order."""
    values: list[Any] = []
    return _select(select, values), tuple(values)


def slot_parameter(
    slot: Slot, model: Column, core: sa.ColumnElement[Any], parameter: str | None
) -> sa.BindParameter[Any]:
    """The bound parameter standing for `slot`, recorded so its value is typed per request."""
    uses = _building.get()
    if uses is None:
        raise RuntimeError("a slotted value outside a statement being prepared")
    uses[slot.index] = SlotUse(slot.index, model, model.name, parameter)
    return sa.bindparam(slot.name, type_=core.type)


def start_building() -> tuple[dict[int, SlotUse], Any]:
    uses: dict[int, SlotUse] = {}
    return uses, _building.set(uses)


def stop_building(token: Any) -> None:
    _building.reset(token)


def _select(select: Select, values: list[Any]) -> Select:
    filter_ = _filter(select.filter, values) if select.filter is not None else None
    embeds = tuple(replace(e, select=_select(e.select, values)) for e in select.embeds)
    if filter_ is select.filter and all(
        a.select is b.select for a, b in zip(embeds, select.embeds, strict=True)
    ):
        return select
    return replace(select, filter=filter_, embeds=embeds)


def _filter(node: Filter, values: list[Any]) -> Filter:
    if isinstance(node, Condition):
        if node.op not in SLOTTED or node.value is None:
            return node
        if node.op == "in":
            if not isinstance(node.value, (tuple, list)) or any(v is None for v in node.value):
                return node
            slots = []
            for value in node.value:
                slots.append(Slot(len(values)))
                values.append(value)
            return replace(node, value=tuple(slots))
        slot = Slot(len(values))
        values.append(node.value)
        return replace(node, value=slot)
    if isinstance(node, Junction):
        return replace(node, items=tuple(_filter(item, values) for item in node.items))
    if node.filter is None:
        return node
    return replace(node, filter=_filter(node.filter, values))
