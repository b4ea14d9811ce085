"""Which tables of a source are served: include/exclude glob patterns."""

from __future__ import annotations

from fnmatch import fnmatchcase


def is_included(schema: str, name: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """True when `name` (or `schema.name`) matches an include pattern and no exclude pattern."""
    candidates = (name, f"{schema}.{name}")

    def matches(patterns: tuple[str, ...]) -> bool:
        return any(fnmatchcase(c, p) for p in patterns for c in candidates)

    if include and not matches(include):
        return False
    return not (exclude and matches(exclude))
