"""Source URLs: supported schemes, redaction of secrets, and file paths of embedded databases."""

from __future__ import annotations

import os
import re

from sqlalchemy.engine import make_url

from config.errors import ConfigError

# The SQLAlchemy URL schemes fedgate has a connector for. Bare `postgresql` is
# accepted because it is what people paste, but SQLAlchemy would pick psycopg2
# for it, which fedgate does not install: connectors treat it as
# `postgresql+psycopg` (psycopg 3), see `canonical_scheme`.
SUPPORTED_URL_SCHEMES = (
    "postgresql",
    "postgresql+psycopg",
    "mysql+pymysql",
    "mariadb+pymysql",
    "mssql+pymssql",
    "oracle+oracledb",
    "sqlite",
    "duckdb",
)

# Schemes whose "database" is a file path (or an in-memory database).
FILE_URL_SCHEMES = ("sqlite", "duckdb")

_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
# A username cannot hold these characters unencoded; a password can hold anything.
_USER_THEN_PASSWORD = re.compile(r"[^:/@?#]*:")
_SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd"})
_REDACTED = "***"


def url_scheme(url: str) -> str:
    """Return the lower-cased scheme of `url` (`postgresql+psycopg`), or raise ValueError."""
    match = _SCHEME.match(url)
    if match is None:
        # Never echo the URL: it may hold a password.
        raise ValueError("not a URL: expected scheme://...")
    return match["scheme"].lower()


def canonical_scheme(scheme: str) -> str:
    """Return the scheme a connector registry is keyed by (`postgresql` -> `postgresql+psycopg`)."""
    return "postgresql+psycopg" if scheme == "postgresql" else scheme


def redact_url(url: str) -> str:
    """Return `url` with its password (and any `password=` query value) replaced by `***`.

    The password may contain `@`, `:` or `/`, percent-encoded or not: it runs from
    the first `:` after the username to the last `@` of the URL. When that guess
    is wrong (an `@` inside the query string) more is hidden, never less. A
    string that is not a URL at all is replaced whole.
    """
    match = _SCHEME.match(url)
    if match is None:
        return _REDACTED
    head, rest = url[: match.end()], url[match.end() :]
    user = _USER_THEN_PASSWORD.match(rest)
    at = rest.rfind("@")
    if user is not None and at > user.end():
        rest = rest[: user.end()] + _REDACTED + rest[at:]
        at = user.end() + len(_REDACTED)
    question = rest.find("?", max(at, 0))
    if question != -1:
        rest = rest[: question + 1] + _redact_query(rest[question + 1 :])
    return head + rest


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        key, sep, _value = part.partition("=")
        parts.append(f"{key}={_REDACTED}" if sep and key.lower() in _SECRET_QUERY_KEYS else part)
    return "&".join(parts)


def validate_url(url: str, path: str | None = None, file: str | None = None) -> None:
    """Raise ConfigError unless `url` is a parseable URL with a supported scheme.

    The message never contains the URL itself, only its scheme: the rest may
    hold a password.
    """
    supported = ", ".join(f"{scheme}://" for scheme in SUPPORTED_URL_SCHEMES)
    try:
        scheme = url_scheme(url)
    except ValueError:
        raise ConfigError(
            f"expected a database URL such as postgresql+psycopg://user@host:5432/db "
            f"(supported: {supported})",
            file=file,
            path=path,
        ) from None
    if scheme not in SUPPORTED_URL_SCHEMES:
        raise ConfigError(
            f"unsupported URL scheme '{scheme}://'; supported: {supported}", file=file, path=path
        )
    try:
        parsed = make_url(url)
    except Exception:
        # SQLAlchemy's messages may quote parts of the URL (a bad port, for
        # instance), so none of its text is passed on.
        raise ConfigError(
            f"not a valid {scheme}:// URL (check the host, the port and the "
            f"percent-encoding of special characters in the user name and password)",
            file=file,
            path=path,
        ) from None
    if parsed.host is not None and "@" in parsed.host:
        raise ConfigError(
            "the URL has more than one '@': percent-encode '@' in the user name or "
            "password as %40 (and ':' as %3A, '/' as %2F)",
            file=file,
            path=path,
        )


def is_memory_database(url: str) -> bool:
    """Tell whether a sqlite:// or duckdb:// URL names an in-memory database."""
    database = _file_database(url)
    return database is not None and (database == "" or database.startswith(":memory:"))


def resolve_database_path(url: str, base_dir: str) -> str:
    """Make the file path of a sqlite:/// or duckdb:/// URL absolute, relative to `base_dir`.

    Other URLs, absolute paths, in-memory databases and `file:` URIs come back unchanged.
    """
    database = _file_database(url)
    if (
        database is None
        or database == ""
        or database.startswith((":memory:", "file:"))
        or os.path.isabs(database)
    ):
        return url
    scheme = url_scheme(url)
    query = url[url.index("?") :] if "?" in url else ""
    absolute = os.path.normpath(os.path.join(base_dir, database))
    return f"{scheme}:///{absolute}{query}"


def _file_database(url: str) -> str | None:
    """Return the raw database part of a file-scheme URL ("" for none), else None."""
    match = _SCHEME.match(url)
    if match is None or match["scheme"].lower() not in FILE_URL_SCHEMES:
        return None
    rest = url[match.end() :].split("?", 1)[0]
    if rest == "":
        return ""
    if not rest.startswith("/"):
        return None  # `sqlite://host/...` has no file path to resolve
    return rest[1:]
