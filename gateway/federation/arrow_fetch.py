"""The generic route's Arrow form: rows read through SQLAlchemy (`driver_fetch`) -> Arrow
batches, each column conformed to the catalog's declared type (decimal precision and scale
kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import closing
from typing import Any

import pyarrow as pa

from connectors.base import Connector
from gateway.federation.cancel import CancelToken
from gateway.federation.coltypes import arrow_type
from gateway.federation.driver_fetch import iter_row_batches
from gateway.federation.driver_values import converter
from schema_cache.model import Column


def fetch_arrow(
    connector: Connector,
    sql: str,
    binds: dict[str, Any],
    columns: Sequence[Column | None],
    names: Sequence[str],
    *,
    max_rows: int | None,
    batch_rows: int,
    token: CancelToken,
    stream_results: bool = True,
) -> pa.Table:
    """Run `sql` on the source and read at most `max_rows` rows as one Arrow table.

    Args:
        columns: the catalog column behind each result column (None: infer from values).
        stream_results: see `driver_fetch.iter_row_batches`.
    """
    reader = iter_row_batches(
        connector,
        sql,
        binds,
        max_rows=max_rows,
        batch_rows=batch_rows,
        token=token,
        stream_results=stream_results,
    )
    with closing(reader):
        return arrow_table(reader, columns, names)


def arrow_table(
    row_batches: Iterable[Sequence[Sequence[Any]]],
    columns: Sequence[Column | None],
    names: Sequence[str],
) -> pa.Table:
    """One Arrow table of the rows, batch by batch (an empty one typed from `columns`)."""
    batches = [rows_to_batch(rows, columns, names) for rows in row_batches]
    if not batches:
        schema = pa.schema([(n, _empty_type(c)) for n, c in zip(names, columns, strict=True)])
        return schema.empty_table()
    return pa.Table.from_batches(_unify(batches))


def rows_to_batch(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column | None], names: Sequence[str]
) -> pa.RecordBatch:
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column is None:
            arrays.append(pa.array(values, from_pandas=False))
            continue
        convert = converter(column)
        converted = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(converted, arrow_type(column)))
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


def _empty_type(column: Column | None) -> pa.DataType:
    return arrow_type(column) if column is not None else pa.null()


def _unify(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """Batches whose inferred types differ (all-null first batch, wider decimals later)
    are cast to one schema."""
    schemas = {b.schema for b in batches}
    if len(schemas) == 1:
        return batches
    schema = pa.unify_schemas(list(schemas), promote_options="permissive")
    return [b.cast(schema) for b in batches]
