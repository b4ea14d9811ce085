"""Client registration: what the admin API and the CLI accept, validated into a `ClientSpec`.

Errors name the offending field (`AdminInputError` with `errors[].parameter`).
Unsafe redirect URIs are refused; insecure but tolerable settings (http on a
non-loopback host, lifetime 0) are accepted and flagged by `Client.insecure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.auth.errors import AdminInputError
from gateway.auth.oauth import policy
from gateway.auth.scopes import ScopeSyntaxError, parse_scopes


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """A validated client registration (from the admin API or the CLI)."""

    name: str
    client_type: str = "confidential"
    contact_email: str | None = None
    redirect_uris: tuple[str, ...] = ()
    identity_link_url: str | None = None
    grant_types: tuple[str, ...] = ()
    first_party: bool = False
    resource_access: str = "custom"
    scopes: tuple[str, ...] = ()
    token_lifetime: int = policy.DEFAULT_LIFETIME
    refresh_enabled: bool = False


def build_spec(body: dict[str, Any]) -> ClientSpec:
    """Validate a registration; `AdminInputError` names the offending field."""
    try:
        return _build_spec(body)
    except policy.PolicyError as exc:
        raise AdminInputError(
            str(exc), errors=[{"parameter": exc.parameter, "detail": str(exc)}]
        ) from None


def _build_spec(body: dict[str, Any]) -> ClientSpec:
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 120 or not name.isprintable():
        raise policy.PolicyError("name: 1 to 120 printable characters", "name")
    client_type = body.get("client_type", "confidential")
    if client_type not in policy.CLIENT_TYPES:
        raise policy.PolicyError(
            f"client_type is one of {', '.join(policy.CLIENT_TYPES)}", "client_type"
        )
    email = body.get("contact_email")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 200):
        raise policy.PolicyError("contact_email must be an e-mail address", "contact_email")
    uris = _strings(body.get("redirect_uris", []), "redirect_uris")
    for uri in uris:
        policy.check_redirect_uri(uri, client_type)
    link = body.get("identity_link_url")
    if link is not None and (
        not isinstance(link, str) or not link.startswith(("https://", "http://"))
    ):
        raise policy.PolicyError("identity_link_url must be an http(s) URL", "identity_link_url")
    default_grants = ["authorization_code"]
    if client_type == "confidential":
        default_grants.insert(0, "client_credentials")
    grants = _strings(body.get("grant_types", default_grants), "grant_types")
    for grant in grants:
        if grant not in policy.GRANT_TYPES:
            raise policy.PolicyError(
                f"grant '{grant}' is not offered; choose from {', '.join(policy.GRANT_TYPES)} "
                "(refresh tokens: refresh_enabled)",
                "grant_types",
            )
    first_party = _flag(body, "first_party")
    if client_type != "confidential" and {"client_credentials", "password"} & set(grants):
        raise policy.PolicyError(
            "client_credentials and password need a confidential client (one with a secret)",
            "grant_types",
        )
    if "password" in grants and not first_party:
        raise policy.PolicyError(
            "the password grant is only for first-party clients (RFC 9700 §2.4)", "grant_types"
        )
    if "authorization_code" in grants and not uris:
        raise policy.PolicyError(
            "authorization_code needs at least one redirect URI", "redirect_uris"
        )
    access = body.get("resource_access", "custom")
    if access not in ("all", "custom"):
        raise policy.PolicyError("resource_access is 'all' or 'custom'", "resource_access")
    raw = body.get("scopes", [])
    texts = [raw] if isinstance(raw, str) else _strings(raw, "scopes")
    try:
        scopes = parse_scopes(texts)  # admins may type them comma-separated
    except ScopeSyntaxError as exc:
        raise policy.PolicyError(str(exc), "scopes") from None
    if access == "custom" and not scopes:
        raise policy.PolicyError("custom resource access needs at least one scope", "scopes")
    if access == "all":
        scopes = ()
    lifetime = policy.check_lifetime(body.get("token_lifetime", policy.DEFAULT_LIFETIME))
    refresh = _flag(body, "refresh_enabled")
    return ClientSpec(
        name=name,
        client_type=client_type,
        contact_email=email,
        redirect_uris=uris,
        identity_link_url=link,
        grant_types=tuple(dict.fromkeys(grants)),
        first_party=first_party,
        resource_access=access,
        scopes=scopes,
        token_lifetime=lifetime,
        refresh_enabled=refresh,
    )


def _strings(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise policy.PolicyError(f"{name} must be a list of strings", name)
    return tuple(value)


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise policy.PolicyError(f"{name} must be true or false", name)
    return value
