"""The MySQL/MariaDB bulk route: connectorx -> Arrow, each column conformed to the catalog.

connectorx reads every DECIMAL as `decimal128(38, 10)` (DuckDB then overflows on sums of
many rows) and strings as `large_string`: each column is cast to the Arrow type of its
catalog column before DuckDB sees it. connectorx takes no bind parameters: the SQL comes
with values escaped by PyMySQL (`sqlgen.render_escaped`), as PyMySQL itself sends them.

A column connectorx cannot read exactly (`is_exact_on_connectorx`) sends its fragment
through the driver route: a TIME beyond a day (connectorx panics on '838:59:59', and
cannot hold a negative one as a time of day), a decimal wider than its decimal128(38, 10).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connectors.base import Connector
from connectors.errors import SourceUnavailableError, classify_reason
from connectors.types import TypeFamily
from gateway.federation.cancel import CancelToken
from gateway.federation.coltypes import fragment_arrow_type
from schema_cache.model import Column

if TYPE_CHECKING:  # imported when a fragment is fetched (the planner only needs the dialects)
    import pyarrow as pa

CONNECTORX_DIALECTS = ("mysql", "mariadb")
CONNECTORX_DECIMAL = (38, 10)
"""connectorx's Arrow type for every DECIMAL: decimal128(38, 10)."""
_NOT_TRANSLATED = (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)


def is_exact_on_connectorx(column: Column) -> bool:
    """False for a column connectorx reads wrongly or not at all: MySQL's TIME (an interval,
    -838:59:59 to 838:59:59, read as a time of day: a panic beyond a day), a decimal with
    more than 10 digits after the point or 28 before it."""
    if column.family is TypeFamily.TIME:
        return False
    if column.family is not TypeFamily.DECIMAL:
        return True
    precision, scale = CONNECTORX_DECIMAL
    if column.precision is None:
        return False
    column_scale = max(0, column.scale or 0)
    return column_scale <= scale and column.precision - column_scale <= precision - scale


def connectorx_url(url: str) -> str:
    """The connectorx connection string of a `mysql+pymysql://` / `mariadb+pymysql://` URL."""
    parsed = sa.make_url(url)
    return parsed.set(drivername="mysql", query={}).render_as_string(hide_password=False)


def fetch_connectorx(
    connector: Connector, sql: str, columns: Sequence[Column], token: CancelToken
) -> pa.Table:
    """Run `sql` (values already escaped) and return it with the catalog's column types.

    connectorx cannot be interrupted: a cancelled statement finishes its fetch, then the
    token stops the rest of the work.
    """
    import connectorx
    import pyarrow as pa

    token.check()
    try:
        table = connectorx.read_sql(
            connectorx_url(connector.settings.url), sql, return_type="arrow"
        )
    except _NOT_TRANSLATED:
        raise
    except BaseException as exc:
        # connectorx raises plain RuntimeError with the server's text, and a Rust panic as
        # pyo3's PanicException, a BaseException: never let one leave as such
        token.check()
        raise SourceUnavailableError(connector.name, classify_reason(exc)) from exc
    token.check()
    assert isinstance(table, pa.Table)
    return conform(table, columns)


def conform(table: pa.Table, columns: Sequence[Column]) -> pa.Table:
    """Cast each column to the Arrow type of its catalog column (names from the catalog)."""
    import pyarrow as pa

    arrays = []
    for array, column in zip(table.columns, columns, strict=True):
        target = fragment_arrow_type(column)
        if array.type == target:
            arrays.append(array)
            continue
        try:
            arrays.append(array.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            arrays.append(array)  # DuckDB converts it when the residual query needs it
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])
