"""Pure rules of the authorization server: redirect URIs, insecure settings, scope coverage.

Redirect URIs are compared as plain strings (RFC 6749 §3.1.2.3, OIDC Core
§3.1.2.1): no normalisation, no prefix or pattern matching. Registration
refuses URIs with a fragment, userinfo, or a script scheme; a non-https URI on
a host other than loopback is accepted but flagged insecure, as is an access
token that never expires (lifetime 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from gateway.auth.scopes import ScopeSyntaxError, TableScope, parse_scope

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
ALL_RESOURCES = ("*:*", "sql")  # what "All" resource access means; `admin` is never implied
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
CLIENT_TYPES = ("confidential", "spa", "native")
GRANT_TYPES = ("authorization_code", "client_credentials", "password")
MAX_LIFETIME = 99_999_999
DEFAULT_LIFETIME = 7200
_REFUSED_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})


class PolicyError(ValueError):
    """A setting outside the rules; `parameter` names the offending field."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def check_redirect_uri(uri: str, client_type: str) -> None:
    """Refuse a redirect URI that can never be safe (the message says why)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or scheme in _REFUSED_SCHEMES:
        raise PolicyError(f"'{uri}' is not an absolute http(s) URI", "redirect_uris")
    if parts.fragment or "#" in uri:
        raise PolicyError(f"'{uri}' has a fragment (RFC 6749 §3.1.2)", "redirect_uris")
    if scheme in ("http", "https"):
        if not parts.hostname or "@" in parts.netloc or "\\" in uri:
            raise PolicyError(f"'{uri}' has no host or carries userinfo", "redirect_uris")
    elif client_type != "native" or "." not in scheme:
        raise PolicyError(
            f"'{uri}': only native clients may use a private-use scheme (reverse DNS, "
            "e.g. com.example.app:/cb; RFC 8252 §7.1)",
            "redirect_uris",
        )
    if any(c.isspace() or ord(c) < 0x21 for c in uri):
        raise PolicyError(f"'{uri}' contains whitespace or control characters", "redirect_uris")


def is_insecure_url(uri: str) -> bool:
    """http on a host other than loopback (credentials and codes travel in clear)."""
    parts = urlsplit(uri)
    return parts.scheme.lower() == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def insecure_reasons(
    redirect_uris: Iterable[str], identity_link_url: str | None, token_lifetime: int
) -> list[str]:
    reasons = [f"redirect URI {u} is not https" for u in redirect_uris if is_insecure_url(u)]
    if identity_link_url and is_insecure_url(identity_link_url):
        reasons.append(f"identity-link URL {identity_link_url} is not https")
    if token_lifetime == 0:
        reasons.append("access tokens never expire (lifetime 0)")
    return reasons


def check_lifetime(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise PolicyError("token_lifetime must be an integer number of seconds", "token_lifetime")
    if not 0 <= seconds <= MAX_LIFETIME:
        raise PolicyError(
            f"token_lifetime must be between 0 and {MAX_LIFETIME:,} (0: never expires), "
            f"got {seconds}",
            "token_lifetime",
        )
    return seconds


def covers(held: str, wanted: str) -> bool:
    """Whether holding scope `held` includes scope `wanted` (both valid scopes)."""
    if held == wanted:
        return True
    a, b = parse_scope(held), parse_scope(wanted)
    if not isinstance(a, TableScope) or not isinstance(b, TableScope):
        return False
    op_ok = a.op in ("*", b.op) or (a.op == "write" and b.op in ("insert", "update", "delete"))
    if not op_ok:
        return False
    if a.source == "*":
        return True
    if a.source != b.source:
        return False
    return a.table is None or a.table == b.table


def covered(wanted: str, held: Iterable[str]) -> bool:
    return any(covers(h, wanted) for h in held)


def parse_request_scope(text: str | None) -> tuple[str, ...]:
    """A space-delimited request scope (RFC 6749 §3.3) as a tuple; `ScopeSyntaxError` if bad."""
    if not text:
        return ()
    out: dict[str, None] = {}
    for part in text.split(" "):
        if not part:
            continue
        parse_scope(part)
        out[part] = None
    return tuple(out)


def is_valid_scope(text: str) -> bool:
    try:
        parse_scope(text)
    except ScopeSyntaxError:
        return False
    return True
