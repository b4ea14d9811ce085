"""The MySQL/MariaDB bulk route: connectorx -> Arrow, each column conformed to the catalog.

connectorx reads every DECIMAL as `decimal128(38, 10)` (DuckDB then overflows on sums of
many rows) and strings as `large_string`: each column is cast to the Arrow type of its
catalog column before DuckDB sees it. connectorx takes no bind parameters: the SQL comes
with values escaped by PyMySQL (`sqlgen.render_escaped`), as PyMySQL itself sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connectors.base import Connector
from connectors.errors import SourceUnavailableError, classify_reason
from gateway.federation.cancel import CancelToken
from gateway.federation.coltypes import fragment_arrow_type
from schema_cache.model import Column

if TYPE_CHECKING:  # imported when a fragment is fetched (the planner only needs the dialects)
    import pyarrow as pa

CONNECTORX_DIALECTS = ("mysql", "mariadb")


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
    except Exception as exc:  # connectorx raises plain RuntimeError with the server's text
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
