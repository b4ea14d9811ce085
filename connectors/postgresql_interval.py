"""PostgreSQL intervals read with their three parts kept (months, days, microseconds).

psycopg reads an interval as a timedelta: a month becomes 30 days, a year 365, and '1 day
-1 hour' the same value as '23 hours'. The loader here returns an `Interval`: the same
timedelta, carrying the parts the server sent, which every surface renders
(gateway/query/durations.py) and /sql's Arrow columns hold (month_day_nano).
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache
from typing import Any

import psycopg
from psycopg import DataError
from psycopg.adapt import AdaptersMap, Buffer
from psycopg.types.datetime import IntervalLoader

# intervalstyle 'postgres', the server's default: "-1 years -2 mons 3 days -01:02:03.5"
_POSTGRES_STYLE = re.compile(
    rb"""
    (?: ([-+]?\d+) \s+ years? \s* )?
    (?: ([-+]?\d+) \s+ mons? \s* )?
    (?: ([-+]?\d+) \s+ days? \s* )?
    (?: ([-+])? (\d+) : (\d+) : (\d+) (?: \. (\d+) )? )?
    $""",
    re.VERBOSE,
)


class Interval(timedelta):
    """A PostgreSQL interval: a timedelta equal to psycopg's own (a year 365 days, a month
    30), its three parts kept in `parts` (`gateway.query.durations` renders them)."""

    __slots__ = ("parts",)
    parts: tuple[int, int, int]
    """(months, days, microseconds)."""

    @classmethod
    def of(cls, months: int, days: int, micros: int) -> Interval:
        years, rest = divmod(abs(months), 12)
        sign = -1 if months < 0 else 1
        interval = cls(days=sign * (365 * years + 30 * rest) + days, microseconds=micros)
        interval.parts = (months, days, micros)
        return interval

    def __reduce__(self) -> tuple[Any, ...]:  # a copy or pickle keeps the parts
        return (Interval.of, self.parts)


class PartsIntervalLoader(IntervalLoader):
    """psycopg's text interval loader, returning an `Interval` (other intervalstyles: as
    psycopg does)."""

    def load(self, data: Buffer) -> Any:
        match = _POSTGRES_STYLE.match(bytes(data))
        if match is None:
            return super().load(data)
        years, months, days, sign, hours, minutes, seconds, fraction = match.groups()
        total_months = 12 * int(years or 0) + int(months or 0)
        micros = (int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)
        micros = micros * 1_000_000 + int((fraction or b"0").ljust(6, b"0")[:6])
        try:
            return Interval.of(total_months, int(days or 0), -micros if sign == b"-" else micros)
        except OverflowError as exc:
            text = bytes(data).decode("utf8", "replace")
            raise DataError(f"can't parse interval {text!r}: {exc}") from None


@cache
def interval_context() -> AdaptersMap:
    """psycopg's global adapters with `PartsIntervalLoader`: the `context` a connection is
    made with (psycopg copies it into each connection's own map)."""
    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_loader("interval", PartsIntervalLoader)
    return adapters
