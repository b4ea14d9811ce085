"""Content negotiation shared by the surfaces: the `Accept` header against what one serves."""

from __future__ import annotations

from gateway.query.errors import QueryError

JSON = "application/json"


class NotAcceptableError(QueryError):
    code = "not_acceptable"


def negotiate(accept: str | None, supported: tuple[str, ...]) -> str:
    """The first of `supported` the client accepts (JSON for */*, application/* or none)."""
    if not accept:
        return JSON
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", ""):
            return JSON
        if media in supported:
            return media
    raise NotAcceptableError(
        f"none of the accepted types is served; use one of {', '.join(supported)}",
        errors=[{"parameter": "Accept", "detail": accept[:100]}],
    )
