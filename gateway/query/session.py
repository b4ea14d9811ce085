"""One connection per source for the duration of a request; driver errors leave wrapped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from connectors.base import Connector
from connectors.errors import wrap_execution_error
from gateway.query.offload import reading_on_loop
from gateway.query.prepared import Prepared

AUTOCOMMIT_READS = ("postgresql", "mysql", "mariadb")


class Session:
    def __init__(self) -> None:
        self._stack = ExitStack()
        self._connections: dict[str, Connection] = {}
        self.statements = 0

    def connection(self, connector: Connector) -> Connection:
        conn = self._connections.get(connector.name)
        if conn is None and reading_on_loop():  # gateway/query/offload.py
            engine = connector.loop_engine()  # in autocommit already
            if engine is not None:
                conn = self._connections[connector.name] = self._stack.enter_context(
                    connector.connect(engine)
                )
        if conn is None:
            conn = self._stack.enter_context(connector.connect())
            if connector.dialect in AUTOCOMMIT_READS:
                # Reads need no transaction: skipping BEGIN and the ROLLBACK when the
                # connection goes back to the pool saves two round trips per request. Under
                # READ COMMITTED each statement sees fresh data either way.
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            self._connections[connector.name] = conn
        return conn

    def adopt(self, connector: Connector, conn: Connection) -> None:
        """Read `connector` through `conn` (a write's connection, inside its transaction)."""
        self._connections[connector.name] = conn

    def fetch(self, connector: Connector, statement: sa.Executable) -> Sequence[Row[Any]]:
        self.statements += 1
        try:
            return self.connection(connector).execute(statement).all()
        except sa.exc.SQLAlchemyError as exc:
            raise wrap_execution_error(exc, connector.name, connector.dialect) from exc

    def fetch_prepared(
        self, connector: Connector, prepared: Prepared, params: dict[str, Any]
    ) -> Sequence[Row[Any]]:
        """Rows of a statement prepared per request shape, with this request's values."""
        self.statements += 1
        try:
            return prepared.run(self.connection(connector), params)
        except sa.exc.SQLAlchemyError as exc:
            raise wrap_execution_error(exc, connector.name, connector.dialect) from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()


@contextmanager
def read_session() -> Iterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()
