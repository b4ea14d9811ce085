"""Frozen settings: what a validated configuration file turns into."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """One database the gateway serves.

    Args:
        url: SQLAlchemy URL; its password is a secret and never printed.
        schemas: schemas to introspect; empty means the source's default schema.
        include: glob patterns of table names to serve (empty: all).
        exclude: glob patterns of table names to hide; wins over include.
    """

    name: str
    url: str
    schemas: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    read_only: bool = False
    pool_size: int = 5
    statement_timeout_ms: int = 30_000
    max_page_size: int = 1_000
    connect_timeout_s: int = 10


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaCacheSettings:
    """How the unified model is kept fresh.

    Args:
        ttl_seconds: introspect each source again after this long (0: only on demand).
        snapshot_path: where the last good catalog is persisted, so a restart serves at once.
    """

    ttl_seconds: int = 300
    snapshot_path: str = ".fedgate/snapshot.json"


@dataclass(frozen=True, slots=True)
class FederationSettings:
    """The /sql surface: its engine and limits.

    Args:
        engine: `duckdb` (embedded, the default) or `trino` (hand queries to `trino_url`).
        temp_directory: where DuckDB spills; None: `duckdb-tmp` under the fedgate home.
        threads: DuckDB worker threads; None: one per core.
    """

    engine: str = "duckdb"
    row_cap: int = 100_000
    statement_timeout_ms: int = 30_000
    memory_limit: str = "1GB"
    max_temp_directory_size: str = "10GB"
    temp_directory: str | None = None
    threads: int | None = None
    trino_url: str | None = None
    trino_user: str = "fedgate"


@dataclass(frozen=True, slots=True)
class RelationshipSettings:
    """A relationship declared in the config, possibly across sources."""

    name: str
    source: str
    table: str
    columns: tuple[str, ...]
    target_source: str
    target_table: str
    target_columns: tuple[str, ...]
    kind: str = "object"  # "object" | "array"


@dataclass(frozen=True, slots=True)
class Settings:
    sources: tuple[SourceSettings, ...]
    server: ServerSettings = field(default_factory=ServerSettings)
    schema_cache: SchemaCacheSettings = field(default_factory=SchemaCacheSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    relationships: tuple[RelationshipSettings, ...] = ()
    file: str | None = None

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
