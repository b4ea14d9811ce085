"""The DuckDB-source route: the fragment runs on the connector's own DuckDB connection and
its result comes back as Arrow.

Not ATTACHed to the gateway's DuckDB: one process may not open a DuckDB file twice with
different lock modes, and the REST and GraphQL surfaces already hold it through the
connector (same file, same configuration: DuckDB shares one database instance).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from connectors.base import Connector
from connectors.errors import SourceUnavailableError, classify_reason
from gateway.federation.cancel import CancelToken
from gateway.federation.cx_fetch import conform
from schema_cache.model import Column


def fetch_duckdb_native(
    connector: Connector,
    sql: str,
    params: list[Any],
    columns: Sequence[Column],
    token: CancelToken,
) -> pa.Table:
    """Run the fragment (DuckDB SQL with `$n` parameters) on the source; Arrow out."""
    import duckdb  # the DuckDB source's connector has it loaded already

    with connector.connect() as conn:
        native: Any = conn.connection.driver_connection  # duckdb_engine's wrapper: delegates
        token.on_cancel(native.interrupt)
        token.check()
        try:
            table = native.execute(sql, params).to_arrow_table()
        except duckdb.InterruptException:
            token.check()
            raise
        except duckdb.IOException as exc:
            raise SourceUnavailableError(connector.name, classify_reason(exc)) from exc
    assert isinstance(table, pa.Table)
    return conform(table, columns)
