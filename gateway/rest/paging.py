"""Answers about the requested page that are not rows: `Content-Range`, and 416 for an
offset past the end."""

from __future__ import annotations

from starlette.responses import Response

from gateway.errors import problem

RANGE_NOT_SATISFIABLE = 416


def content_range(offset: int, count: int, total: int | None) -> str:
    """`first-last/total` (`*` for an empty page, or for a total not counted)."""
    shown = f"{offset}-{offset + count - 1}" if count else "*"
    return f"{shown}/{total if total is not None else '*'}"


def range_not_satisfiable(offset: int, total: int, parameter: str) -> Response:
    """416 with `Content-Range: */total`, as PostgREST answers (PGRST103) an offset past the
    last row when the total is known (`Prefer: count=exact`); an offset equal to the total
    is an empty page, not an error."""
    detail = f"An offset of {offset} was requested, but there are only {total} rows."
    return problem(
        RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        detail,
        errors=[{"parameter": parameter, "detail": "past the last row"}],
        headers={"Content-Range": f"*/{total}"},
        title="Range Not Satisfiable",
    )
