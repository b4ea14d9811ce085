"""The connector contract every dialect module implements."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import sqltypes

from config.errors import FedgateError
from config.settings import SourceSettings
from connectors.errors import wrap_driver_error
from connectors.records import SourceRecord
from connectors.typemap import TypeInfo, build_type_info

UpsertForm = Literal["on_conflict", "on_duplicate_key", "merge"]
Progress = Callable[[int, int], None]
"""Called as progress(done, total) while introspecting."""


@dataclass(frozen=True, slots=True)
class Ping:
    dialect: str
    server_version: str
    latency_ms: float


class Connector:
    """One database: its engine, capabilities, type mapping and introspection.

    Subclasses set the class attributes and override the hooks they need; the
    registry picks a subclass by the URL scheme of the source.
    """

    dialect: ClassVar[str]
    url_schemes: ClassVar[tuple[str, ...]]
    supports_returning: ClassVar[bool] = False
    upsert_form: ClassVar[UpsertForm | None] = None
    supports_ilike: ClassVar[bool] = False
    supports_json_agg: ClassVar[bool] = False
    supports_schemas: ClassVar[bool] = True
    supports_identity: ClassVar[bool] = False
    supports_comments: ClassVar[bool] = False
    embedded: ClassVar[bool] = False

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = sa.create_engine(self.settings.url, **self.engine_options())
            self.install_session_hooks(engine)
            self._engine = engine
        return self._engine

    def engine_options(self) -> dict[str, Any]:
        """Pool and driver options; dialects add their connect and statement timeouts."""
        # No pre-ping: it costs a round trip per request. A dropped connection fails its
        # statement once (503), is invalidated by SQLAlchemy, and the pool reconnects.
        return {
            "pool_size": self.settings.pool_size,
            "max_overflow": 0,
            "pool_recycle": 1800,
            "pool_timeout": self.settings.connect_timeout_s,
        }

    def install_session_hooks(self, engine: Engine) -> None:
        """Set per-connection session options (e.g. statement timeouts)."""

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection; driver errors leave as fedgate errors."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except FedgateError:  # raised by the caller's block (e.g. a 422): not a driver error
            raise
        except Exception as exc:
            raise wrap_driver_error(exc, self.name) from exc

    def ping(self) -> Ping:
        started = time.perf_counter()
        with self.connect() as conn:
            version = self.fetch_server_version(conn)
        return Ping(self.dialect, version, (time.perf_counter() - started) * 1000)

    def fetch_server_version(self, conn: Connection) -> str:
        info = conn.dialect.server_version_info or ()
        return ".".join(str(part) for part in info) or "unknown"

    def type_info(self, type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
        """Map a reflected type to its family; dialects override for their quirks."""
        return build_type_info(type_, dialect)

    def reflect(self, progress: Progress | None = None) -> SourceRecord:
        """Introspect the configured schemas in a bounded number of round trips."""
        with (
            self.connect() as conn,
            count_round_trips(conn) as counter,
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            try:
                record = self.reflect_source(conn, progress)
            except Exception as exc:
                raise wrap_driver_error(exc, self.name) from exc
        notes = tuple(sorted({str(w.message) for w in caught}))
        return record.with_cost(round_trips=counter.count, warnings=notes)

    def reflect_source(self, conn: Connection, progress: Progress | None) -> SourceRecord:
        from connectors.reflection import reflect_with_inspector

        return reflect_with_inspector(self, conn, progress)

    def schemas_to_reflect(self, conn: Connection) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.settings.schemas)) or (self.default_schema(conn),)

    def default_schema(self, conn: Connection) -> str:
        return conn.dialect.default_schema_name or "main"


class RoundTripCounter:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def count_round_trips(conn: Connection) -> Iterator[RoundTripCounter]:
    """Count the statements sent on `conn` while the block runs."""
    counter = RoundTripCounter()

    def before(*_args: object, **_kwargs: object) -> None:
        counter.count += 1

    event.listen(conn, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(conn, "before_cursor_execute", before)
