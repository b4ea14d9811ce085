"""REST reads PostgreSQL answers as one JSON text, handed to the response untouched.

A JSON response of whole rows (no alias, no JSON-typed column: `json_read.passthrough`)
is the text PostgreSQL builds, byte for byte what parsing it and writing it again
would give; the list form also reads the number of rows (`Content-Range`) from the
same statement. The read runs through the pooled driver connection on the loop
(`json_read.run_json_read`). Everything else (CSV, NDJSON, `Prefer: count`,
aliases, other databases) takes the executor's path.
"""

from __future__ import annotations

from gateway.query.access import current_access
from gateway.query.context import QueryContext
from gateway.query.ir import Select
from gateway.query.json_read import (
    JsonRead,
    plan_json_read,
    run_counted_json_read,
    run_json_read,
)
from gateway.query.offload import on_loop, run_reads
from gateway.query.uses import table_uses
from schema_cache.model import Catalog


async def list_text(ctx: QueryContext, select: Select, catalog: Catalog) -> tuple[str, int] | None:
    """The rows as a JSON array's text and how many there are, or None for another path."""
    read = _plan(ctx, select, catalog, counted=True)
    if read is None:
        return None
    return await run_reads(_on_loop(ctx, read), run_counted_json_read, read)


async def one_text(ctx: QueryContext, select: Select, catalog: Catalog) -> str | None:
    """A by-key read's row as a JSON object's text (`""` for no row), or None for another
    path."""
    read = _plan(ctx, select, catalog, counted=False)
    if read is None or not read.compact:
        return None
    text = await run_reads(_on_loop(ctx, read), run_json_read, read)
    return text[1:-1]  # `[{...}]` or `[]`: at most one row


def _plan(ctx: QueryContext, select: Select, catalog: Catalog, *, counted: bool) -> JsonRead | None:
    uses = tuple(table_uses(select, catalog))
    current_access().require(uses)  # every table, before values are typed against them
    return plan_json_read(ctx, select, catalog, uses=uses, counted=counted)


def _on_loop(ctx: QueryContext, read: JsonRead) -> bool:
    return on_loop(ctx.connectors[name] for name in {use.source for use in read.uses})
