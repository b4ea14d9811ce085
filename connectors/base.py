"""The connector contract every dialect module implements."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
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
    # The asyncio driver (SQLAlchemy driver name) that serves reads on the event loop,
    # without a worker thread per request; None: reads run in a worker thread.
    loop_driver: ClassVar[str | None] = None

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._loop_engine: AsyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

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

    def _create_loop_engine(self, url: sa.URL) -> AsyncEngine:
        driver = f"{url.get_backend_name()}+{self.loop_driver}"
        options = self.engine_options()
        # Reads only, in autocommit: a connection going back to the pool has no transaction
        # to roll back, so the pool does not try (a lock and a status check per request).
        engine = create_async_engine(
            url.set(drivername=driver),
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            **options,
        )
        self.install_session_hooks(engine.sync_engine)
        return engine

    def engines(self) -> list[Engine]:
        """Every engine that sends this source's statements (the loop engine's synchronous
        face included, once the app started): listen on these to see each statement."""
        engine = self.engine
        return [engine] + ([self._loop_engine.sync_engine] if self._loop_engine else [])

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

    def bind_loop(self) -> None:
        """Serve reads on the running loop from now on (the app's lifespan calls this, on
        the loop that serves every request; the loop engine is made here, so no worker
        thread ever touches the asyncio driver). Other loops keep the worker thread."""
        if self.loop_driver is not None:
            if self._loop_engine is None:
                self._loop_engine = self._create_loop_engine(sa.make_url(self.settings.url))
            self._loop = asyncio.get_running_loop()

    def serves_on_loop(self) -> bool:
        """Whether reads can run on the running event loop (see `loop_engine`)."""
        return self._loop is not None and self._loop is asyncio.get_running_loop()

    def loop_engine(self) -> Engine | None:
        """The synchronous face of this source's async engine, for reads inside SQLAlchemy's
        `greenlet_spawn` on the bound loop: its I/O awaits on the loop instead of blocking a
        thread. Its own pool (`pool_size` more connections), in autocommit (reads only).
        None on any other loop or without an asyncio driver."""
        if self._loop_engine is None or not self.serves_on_loop():
            return None
        return self._loop_engine.sync_engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        # Connections of the loop engine can only be closed on their loop (`dispose_loop`).
        self._loop_engine, self._loop = None, None

    async def dispose_loop(self) -> None:
        """Close the loop engine's connections on the bound loop, and unbind it."""
        engine = self._loop_engine
        if engine is not None and self._loop is asyncio.get_running_loop():
            await engine.dispose()
        self._loop = None

    @contextmanager
    def connect(self, engine: Engine | None = None) -> Iterator[Connection]:
        """A pooled connection (of `engine`, default this source's engine); driver errors
        leave as fedgate errors."""
        try:
            with (engine or self.engine).connect() as conn:
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
