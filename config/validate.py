"""Build the frozen settings from interpolated data; errors name the key path and what was expected.

The conversion is generic over the settings dataclasses (their fields and type
hints); the checks that span fields (unique source names, relationships naming
configured sources) follow it.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from config.errors import ConfigError
from config.interpolate import child_path
from config.settings import (
    AuthSettings,
    FederationCacheSettings,
    FederationSettings,
    GraphQLSettings,
    OAuthSettings,
    RateLimitSettings,
    RelationshipSettings,
    SchemaCacheSettings,
    ServerSettings,
    Settings,
    SourceSettings,
)
from config.urls import is_memory_database, url_scheme, validate_url

T = TypeVar("T")

# Source and relationship names become URL path segments and GraphQL names.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
RELATIONSHIP_KINDS = ("object", "array")

# Fields the loader fills in; they are not keys of the file.
INTERNAL_FIELDS: frozenset[tuple[type, str]] = frozenset({(Settings, "file")})

# Inclusive bounds of every integer setting (a test checks none is missing).
INT_RANGES: Mapping[tuple[type, str], tuple[int, int]] = {
    (ServerSettings, "port"): (1, 65_535),
    (ServerSettings, "workers"): (1, 64),
    (SourceSettings, "pool_size"): (1, 1_000),
    (SourceSettings, "statement_timeout_ms"): (1, 86_400_000),
    (SourceSettings, "max_page_size"): (1, 1_000_000),
    (SourceSettings, "connect_timeout_s"): (1, 3_600),
    (SchemaCacheSettings, "ttl_seconds"): (0, 604_800),
    (GraphQLSettings, "max_depth"): (1, 100),
    (GraphQLSettings, "max_aliases"): (0, 100_000),
    (GraphQLSettings, "max_nodes"): (1, 1_000_000),
    (FederationSettings, "row_cap"): (1, 10_000_000),
    (FederationSettings, "statement_timeout_ms"): (1, 86_400_000),
    (FederationSettings, "threads"): (1, 1_024),
    (FederationCacheSettings, "ttl_seconds"): (0, 604_800),
    (FederationCacheSettings, "max_bytes"): (1_048_576, 2**40),
    (AuthSettings, "key_expiry_days"): (1, 3_650),
    (AuthSettings, "key_max_expiry_days"): (1, 3_650),
    (AuthSettings, "rotation_grace_hours"): (0, 168),
    (AuthSettings, "cache_seconds"): (0, 10),
    (RateLimitSettings, "requests_per_second"): (0, 1_000_000),
    (RateLimitSettings, "burst"): (1, 10_000_000),
    (RateLimitSettings, "failed_auth_per_minute"): (0, 1_000_000),
    (RateLimitSettings, "failed_auth_burst"): (1, 1_000_000),
    (OAuthSettings, "code_seconds"): (1, 600),
    (OAuthSettings, "refresh_token_days"): (1, 365),
    (OAuthSettings, "signing_key_overlap_hours"): (1, 8_760),
}
# Schemes the metadata store (users, keys, audit log) runs on.
STORE_URL_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
MIN_PEPPER_LENGTH = 16

_DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class _Context:
    file: str | None
    variables: Mapping[str, tuple[str, ...]]

    def error(self, message: str, path: str) -> ConfigError:
        return ConfigError(message, file=self.file, path=path or None)

    def quote(self, text: str, path: str) -> str:
        """Quote a string for an error, unless it came from the environment or holds a URL."""
        if path in self.variables:
            names = ", ".join(f"${{{name}}}" for name in self.variables[path])
            return f"the value of {names} (not shown)"
        if "://" in text:
            try:
                return f"'{url_scheme(text)}://...' (not shown)"
            except ValueError:
                return "a URL (not shown)"
        return repr(text if len(text) <= 60 else text[:57] + "...")

    def show(self, value: object, path: str) -> str:
        """Describe a value of the wrong type or range for an error."""
        if isinstance(value, str):
            quoted = self.quote(value, path)
            return quoted if path in self.variables else f"string {quoted}"
        if value is None:
            return "null"
        if isinstance(value, bool):
            return f"boolean {str(value).lower()}"
        if isinstance(value, int):
            return f"integer {value}"
        if isinstance(value, float):
            return f"number {value!r}"
        if isinstance(value, list):
            return "a list"
        if isinstance(value, Mapping):
            return "a mapping"
        return f"a {type(value).__name__}"


def build_settings(
    data: object, *, file: str | None = None, variables: Mapping[str, tuple[str, ...]] | None = None
) -> Settings:
    """Validate interpolated data into Settings, or raise ConfigError.

    Args:
        data: the parsed (and interpolated) YAML document.
        file: the configuration file, for errors.
        variables: key paths of values built from environment variables (see `interpolate`).
    """
    context = _Context(file, variables or {})
    if data is None:
        raise context.error("the configuration is empty; expected a mapping with 'sources'", "")
    settings = build_dataclass(Settings, data, "", context)
    _check_server(settings.server, context)
    _check_sources(settings.sources, context)
    _check_relationships(settings, context)
    _check_federation(settings.federation, context)
    for index, name in enumerate(settings.federation.cache.exclude_sources):
        path = child_path("federation.cache.exclude_sources", index)
        _check_source_reference(name, [s.name for s in settings.sources], path, context)
    _check_auth(settings.auth, context)
    return settings


def build_dataclass(cls: type[T], data: object, path: str, context: _Context) -> T:
    """Convert a mapping into the settings dataclass `cls`, recursively."""
    if not isinstance(data, Mapping):
        raise context.error(f"expected a mapping of keys, got {context.show(data, path)}", path)
    keys = [f for f in fields(cls) if (cls, f.name) not in INTERNAL_FIELDS]  # type: ignore[arg-type]
    names = [f.name for f in keys]
    for key in data:
        if not isinstance(key, str):
            raise context.error(f"keys must be strings, got {context.show(key, path)}", path)
        if key not in names:
            raise _unknown_key(key, names, path, context)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in keys:
        if f.name in data:
            owner = (cls, f.name)
            values[f.name] = _convert(
                hints[f.name], data[f.name], child_path(path, f.name), owner, context
            )
        elif f.default is MISSING and f.default_factory is MISSING:
            required = ", ".join(
                k.name for k in keys if k.default is MISSING and k.default_factory is MISSING
            )
            raise context.error(f"missing required key '{f.name}' (required: {required})", path)
    return cls(**values)


def _unknown_key(key: str, names: list[str], path: str, context: _Context) -> ConfigError:
    close = difflib.get_close_matches(key, names, n=1)
    suggestion = f" (did you mean '{close[0]}'?)" if close else ""
    message = f"unknown key {{}}{suggestion}; valid keys: {', '.join(names)}"
    if "://" in key or len(key) > 60:
        # A mis-indented URL can end up as a key: don't put it in the path either.
        return context.error(message.format(context.quote(key, "")), path)
    return context.error(message.format(repr(key)), child_path(path, key))


def _convert(
    hint: Any, value: object, path: str, owner: tuple[type, str], context: _Context
) -> Any:
    expected = _expected(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        if value is None:
            return None
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    if hint is str and isinstance(value, str):
        return str(value)
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int:
        number = _as_int(value, path, context)
        if number is not None:
            return _check_range(number, owner, path, context)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        (item_hint, _ellipsis) = typing.get_args(hint)
        return tuple(
            _convert(item_hint, item, child_path(path, index), owner, context)
            for index, item in enumerate(value)
        )
    if is_dataclass(hint) and isinstance(hint, type):
        return build_dataclass(hint, value, path, context)
    if hint in (str, bool, int) or typing.get_origin(hint) is tuple:
        raise context.error(f"expected {expected}, got {context.show(value, path)}", path)
    raise TypeError(f"settings type {hint!r} is not supported")


def _as_int(value: object, path: str, context: _Context) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # A variable's value is always a string; `port: ${PORT}` must still work.
    if isinstance(value, str) and path in context.variables and _DIGITS.fullmatch(value):
        return int(value)
    return None


def _check_range(number: int, owner: tuple[type, str], path: str, context: _Context) -> int:
    low, high = INT_RANGES.get(owner, (0, 2**63 - 1))
    if not low <= number <= high:
        shown = context.quote("", path) if path in context.variables else str(number)
        raise context.error(f"must be between {low:_} and {high:_}, got {shown}", path)
    return number


def _expected(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = next(arg for arg in args if arg is not type(None))
        return f"{_expected(inner)} or null"
    if origin is tuple:
        return "a list of mappings" if is_dataclass(args[0]) else "a list of strings"
    names = {str: "a string", int: "an integer", bool: "true or false"}
    return names.get(hint, "a mapping")


def _check_server(server: ServerSettings, context: _Context) -> None:
    if not server.host:
        raise context.error("must not be empty", "server.host")
    url = server.public_url
    if url is not None and not url.startswith(("http://", "https://")):
        shown = context.quote(url, "server.public_url")
        raise context.error(
            f"expected an http:// or https:// URL, got {shown}", "server.public_url"
        )


def _check_auth(auth: AuthSettings, context: _Context) -> None:
    _check_issuer(auth.oauth.issuer, context)
    if auth.key_expiry_days > auth.key_max_expiry_days:
        raise context.error(
            f"must not exceed auth.key_max_expiry_days ({auth.key_max_expiry_days}), "
            f"got {auth.key_expiry_days}",
            "auth.key_expiry_days",
        )
    if auth.pepper is not None:
        if "auth.pepper" not in context.variables:
            raise context.error(
                "a secret: take it from the environment (pepper: ${FEDGATE_PEPPER}), "
                "never write it in the file",
                "auth.pepper",
            )
        if len(auth.pepper) < MIN_PEPPER_LENGTH:
            raise context.error(
                f"must be at least {MIN_PEPPER_LENGTH} characters long "
                "(e.g. the output of `openssl rand -base64 32`)",
                "auth.pepper",
            )
    if auth.store_url is not None:
        path = "auth.store_url"
        validate_url(auth.store_url, path, context.file)
        scheme = url_scheme(auth.store_url)
        if scheme not in STORE_URL_SCHEMES:
            raise context.error(
                f"the metadata store runs on sqlite:/// or postgresql+psycopg://, not {scheme}://",
                path,
            )
        if is_memory_database(auth.store_url):
            raise context.error(
                "an in-memory database would lose every key at restart; name a file", path
            )


def _check_issuer(issuer: str | None, context: _Context) -> None:
    """An issuer is compared as a plain string by every client: no query, fragment or userinfo."""
    if issuer is None:
        return
    path = "auth.oauth.issuer"
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = context.quote(issuer, path)
        raise context.error(f"expected an https:// URL, got {shown}", path)
    if parts.query or parts.fragment or "@" in parts.netloc or issuer.endswith("/"):
        raise context.error(
            "an issuer has no query, fragment, userinfo or trailing slash (RFC 8414 §2)", path
        )


FEDERATION_ENGINES = ("duckdb", "trino")
_MEMORY_SIZE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,3})? ?([KMGT]i?B|B)", re.IGNORECASE)


def _check_federation(federation: FederationSettings, context: _Context) -> None:
    if federation.engine not in FEDERATION_ENGINES:
        shown = context.quote(federation.engine, "federation.engine")
        raise context.error(f"expected 'duckdb' or 'trino', got {shown}", "federation.engine")
    for key in ("memory_limit", "max_temp_directory_size"):
        value = getattr(federation, key)
        if not _MEMORY_SIZE.fullmatch(value):
            path = f"federation.{key}"
            shown = context.quote(value, path)
            raise context.error(f"expected a size such as '512MB' or '4GB', got {shown}", path)
    url = federation.trino_url
    if url is not None and not url.startswith(("http://", "https://")):
        shown = context.quote(url, "federation.trino_url")
        raise context.error(
            f"expected an http:// or https:// URL, got {shown}", "federation.trino_url"
        )
    if federation.engine == "trino" and url is None:
        raise context.error("engine 'trino' needs federation.trino_url", "federation.trino_url")


def _check_sources(sources: tuple[SourceSettings, ...], context: _Context) -> None:
    if not sources:
        raise context.error("at least one source is required", "sources")
    first_index: dict[str, int] = {}
    for index, source in enumerate(sources):
        path = child_path("sources", index)
        name_path = child_path(path, "name")
        _check_name(source.name, "source name", name_path, context)
        if source.name in first_index:
            raise context.error(
                f"duplicate source name {context.quote(source.name, name_path)}, "
                f"first defined at sources[{first_index[source.name]}]",
                name_path,
            )
        first_index[source.name] = index
        validate_url(source.url, child_path(path, "url"), context.file)
    _check_graphql_prefixes(sources, context)


# A GraphQL name's start (or empty); `__` starts GraphQL's own names.
GRAPHQL_PREFIX = re.compile(r"(?!__)[A-Za-z_][A-Za-z0-9_]{0,62}|")


def graphql_prefix(source: SourceSettings) -> str:
    """The prefix of a source's GraphQL names: `graphql_prefix`, or `{name}_`."""
    return f"{source.name}_" if source.graphql_prefix is None else source.graphql_prefix


def _check_graphql_prefixes(sources: tuple[SourceSettings, ...], context: _Context) -> None:
    """Each prefix is a GraphQL name start, and no two sources share one (ignoring case)."""
    first_index: dict[str, int] = {}
    for index, source in enumerate(sources):
        path = child_path(child_path("sources", index), "graphql_prefix")
        if source.graphql_prefix is not None and not GRAPHQL_PREFIX.fullmatch(
            source.graphql_prefix
        ):
            shown = context.quote(source.graphql_prefix, path)
            raise context.error(
                f"expected \"\" or letters, digits and '_', not starting with a digit "
                f"or '__', at most 63 characters; got {shown}",
                path,
            )
        prefix = graphql_prefix(source).lower()
        if prefix in first_index:
            other = first_index[prefix]
            raise context.error(
                f"GraphQL prefix {graphql_prefix(source)!r} is also the prefix of "
                f"sources[{other}] ({sources[other].name}): their names would collide",
                path,
            )
        first_index[prefix] = index


def _check_relationships(settings: Settings, context: _Context) -> None:
    sources = [source.name for source in settings.sources]
    first_index: dict[tuple[str, str, str], int] = {}
    for index, relationship in enumerate(settings.relationships):
        path = child_path("relationships", index)
        _check_name(relationship.name, "relationship name", child_path(path, "name"), context)
        for field_name in ("source", "target_source"):
            reference = getattr(relationship, field_name)
            _check_source_reference(reference, sources, child_path(path, field_name), context)
        for field_name in ("table", "target_table"):
            if not getattr(relationship, field_name):
                raise context.error("must not be empty", child_path(path, field_name))
        _check_columns(relationship, path, context)
        if relationship.kind not in RELATIONSHIP_KINDS:
            kind_path = child_path(path, "kind")
            shown = context.quote(relationship.kind, kind_path)
            raise context.error(f"expected 'object' or 'array', got {shown}", kind_path)
        key = (relationship.source, relationship.table, relationship.name)
        if key in first_index:
            raise context.error(
                f"duplicate relationship on {relationship.source}.{relationship.table}, "
                f"first defined at relationships[{first_index[key]}]",
                child_path(path, "name"),
            )
        first_index[key] = index


def _check_columns(relationship: RelationshipSettings, path: str, context: _Context) -> None:
    columns, targets = relationship.columns, relationship.target_columns
    if not columns:
        raise context.error("must list at least one column", child_path(path, "columns"))
    if len(columns) != len(targets):
        raise context.error(
            f"must list as many columns as 'columns' ({len(columns)}), got {len(targets)}",
            child_path(path, "target_columns"),
        )


def _check_name(name: str, what: str, path: str, context: _Context) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise context.error(
            f"invalid {what} {context.quote(name, path)}: use letters, digits and underscores, "
            "not starting with a digit, at most 63 characters "
            "(names become URL path segments and GraphQL names)",
            path,
        )


def _check_source_reference(name: str, sources: list[str], path: str, context: _Context) -> None:
    if name in sources:
        return
    close = difflib.get_close_matches(name, sources, n=1)
    suggestion = f" (did you mean '{close[0]}'?)" if close else ""
    raise context.error(
        f"unknown source {context.quote(name, path)}{suggestion}; "
        f"configured sources: {', '.join(sources)}",
        path,
    )
