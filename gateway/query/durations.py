"""Intervals in ISO 8601, one spelling for every surface (REST, GraphQL, /sql).

An interval has three parts, each with its own sign, as PostgreSQL (and DuckDB, and Arrow's
month_day_nano) keep them: months, days and time ('1 mon' is not '30 days', '1 day' not
'24 hours'). A plain timedelta (another driver's interval) is one span: its sign applies to
all of it.

- every non-zero part negative: one leading minus, `-PT1H30M`, `-P1Y2M3DT0.5S`;
- mixed signs: each negative part carries its own minus, as PostgreSQL's
  `intervalstyle = iso_8601` spells it: `P1DT-1H-30M`, `P-1M2D`;
- months as years and months (`P1Y2M`; a PostgreSQL year is 12 months), hours past 24
  kept as hours (`PT25H`), zero as `PT0S`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def interval_parts(value: Any) -> tuple[int, int, int] | None:
    """(months, days, microseconds) of a PostgreSQL interval as read
    (`connectors.postgresql_interval.Interval`, its `parts`) or of a timedelta (one span:
    every part with its sign); None for anything else."""
    parts = getattr(value, "parts", None)
    if parts is not None:
        return tuple(parts)
    if not isinstance(value, timedelta):
        return None
    span = abs(value)
    sign = -1 if value < timedelta(0) else 1
    return 0, sign * span.days, sign * (span.seconds * 1_000_000 + span.microseconds)


def iso_duration(months: int, days: int, nanos: int) -> str:
    """The ISO 8601 spelling of an interval of these parts (see the module's rules)."""
    parts = (months, days, nanos)
    if not any(parts):
        return "PT0S"
    prefix = ""
    if all(p <= 0 for p in parts):
        prefix, months, days, nanos = "-", -months, -days, -nanos
    years, rest = _split(months, 12)
    text = _unit(years, "Y") + _unit(rest, "M") + _unit(days, "D")
    hours, left = _split(nanos, 3_600_000_000_000)
    minutes, left = _split(left, 60_000_000_000)
    clock = _unit(hours, "H") + _unit(minutes, "M")
    if left:
        sign = "-" if left < 0 else ""
        whole, fraction = divmod(abs(left), 1_000_000_000)
        clock += sign + f"{whole}.{fraction:09d}".rstrip("0").rstrip(".") + "S"
    return prefix + "P" + text + ("T" + clock if clock else "")


def _split(value: int, unit: int) -> tuple[int, int]:
    """(whole units, rest), both with the sign of `value`."""
    whole, rest = divmod(abs(value), unit)
    return (-whole, -rest) if value < 0 else (whole, rest)


def _unit(value: int, letter: str) -> str:
    return f"{value}{letter}" if value else ""
