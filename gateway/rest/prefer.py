"""The `Prefer` request header (RFC 7240) as PostgREST clients send it."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.query.errors import MalformedRequestError


@dataclass(frozen=True, slots=True)
class Preferences:
    return_: str = "minimal"  # representation | minimal | headers-only
    count: str | None = None  # exact (planned/estimated are answered exactly too)
    resolution: str | None = None  # merge-duplicates | ignore-duplicates
    missing: str | None = None
    applied: tuple[str, ...] = ()


_ALLOWED = {
    "return": ("representation", "minimal", "headers-only"),
    "count": ("exact", "planned", "estimated"),
    "resolution": ("merge-duplicates", "ignore-duplicates"),
    "missing": ("default", "null"),
}


def parse_prefer(values: list[str]) -> Preferences:
    found: dict[str, str] = {}
    applied = []
    for header in values:
        for part in header.split(","):
            token = part.strip()
            if not token:
                continue
            name, _, value = token.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name in _ALLOWED:
                if value not in _ALLOWED[name]:
                    raise MalformedRequestError(
                        f"Prefer: {name}={value[:40]} is not one of {', '.join(_ALLOWED[name])}",
                        errors=[{"parameter": "Prefer", "detail": f"unknown {name} value"}],
                    )
                found[name] = value
                applied.append(f"{name}={value}")
    return Preferences(
        return_=found.get("return", "minimal"),
        count=found.get("count"),
        resolution=found.get("resolution"),
        missing=found.get("missing"),
        applied=tuple(applied),
    )
