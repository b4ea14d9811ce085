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
        graphql_prefix: prefix of this source's GraphQL names; None: `{name}_`; `""`: none,
            so the tables' own names are the root fields, as in Hasura's default source.
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
    graphql_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    workers: int = 1  # processes serving one port (gateway/workers.py)


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
class FederationCacheSettings:
    """The cache of rows /sql statements read from the sources (off by default).

    Args:
        ttl_seconds: how long a fragment's rows are served from the cache (0: off).
        max_bytes: the most the cached rows may take (estimated), least recently used
            dropped first.
        exclude_sources: sources whose rows are never cached (always read fresh).
    """

    ttl_seconds: int = 0
    max_bytes: int = 256 * 1024 * 1024
    exclude_sources: tuple[str, ...] = ()


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
    cache: FederationCacheSettings = field(default_factory=FederationCacheSettings)


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
class GuestSettings:
    """Anonymous access: off by default; when on, a request without a credential gets `scopes`."""

    enabled: bool = False
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """In-process token buckets (each gateway process counts on its own).

    Args:
        requests_per_second: sustained requests per API key (per client IP for guests); 0: off.
        burst: requests a key may send at once above the sustained rate.
        failed_auth_per_minute: failed authentications per client IP before 429; 0: off.
        failed_auth_burst: failures an IP may have at once.
    """

    requests_per_second: int = 100
    burst: int = 200
    failed_auth_per_minute: int = 10
    failed_auth_burst: int = 20


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """The OAuth 2.0 / OpenID Connect authorization server (see docs/oauth.md).

    Args:
        issuer: the issuer URL, exactly as clients see it; None: `server.public_url`,
            else `http://{server.host}:{server.port}`.
        code_seconds: lifetime of an authorization code (at most 10 minutes).
        refresh_token_days: absolute lifetime of a refresh-token family.
        password_grant: allow the `password` grant at all (still only for first-party
            clients that list it); off by default (RFC 9700 §2.4).
        signing_key_overlap_hours: how long a rotated-out signing key stays in the JWKS.
    """

    enabled: bool = True
    issuer: str | None = None
    code_seconds: int = 60
    refresh_token_days: int = 30
    password_grant: bool = False
    signing_key_overlap_hours: int = 168


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Who may call the gateway: the metadata store, API keys, guest access, limits.

    Args:
        enabled: check credentials and scopes on every request (secure by default);
            false serves every table to everyone (tests, trusted networks).
        store_url: the metadata store (users, roles, keys, audit); None: `meta.sqlite`
            next to the schema snapshot (under `.fedgate/`).
        pepper: HMAC key for API-key digests; only from the environment (`${FEDGATE_PEPPER}`);
            None: `$FEDGATE_PEPPER` if set, else plain SHA-256.
        cache_seconds: how long one process trusts a looked-up key and a user's roles;
            a revocation reaches every other process within this time.
    """

    enabled: bool = True
    store_url: str | None = None
    pepper: str | None = None
    key_expiry_days: int = 90
    key_max_expiry_days: int = 365
    rotation_grace_hours: int = 24
    cache_seconds: int = 2
    guest: GuestSettings = field(default_factory=GuestSettings)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)


@dataclass(frozen=True, slots=True)
class GraphQLSettings:
    """Limits of one GraphQL operation, checked before planning (introspection not counted).

    Args:
        max_depth: levels of nested selections.
        max_aliases: aliased fields.
        max_nodes: field nodes, with fragments expanded where they are spread.
    """

    max_depth: int = 12
    max_aliases: int = 50
    max_nodes: int = 2_000


@dataclass(frozen=True, slots=True)
class Settings:
    sources: tuple[SourceSettings, ...]
    server: ServerSettings = field(default_factory=ServerSettings)
    schema_cache: SchemaCacheSettings = field(default_factory=SchemaCacheSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    relationships: tuple[RelationshipSettings, ...] = ()
    auth: AuthSettings = field(default_factory=AuthSettings)
    graphql: GraphQLSettings = field(default_factory=GraphQLSettings)
    file: str | None = None

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
