"""RFC 9068 JWT access tokens: minted here, checked strictly by the resource server.

Minting: header `{alg: ES256, typ: at+jwt, kid}`; claims iss, sub (the user id,
or the client id for client_credentials), aud (the gateway), exp, iat, jti,
client_id, scope. A lifetime of 0 ("never expires") still carries `exp`, set
to the end of year 9999, since RFC 9068 §2.2 makes `exp` required.

Checking (RFC 9068 §4, RFC 8725): the header is read before any key is touched
and must have exactly `alg: ES256`, `typ: at+jwt`, a kid of our JWKS and none
of `jwk`, `jku`, `x5u`, `x5c`, `crit`; then the signature with that one key;
then iss and aud (exact strings), exp, iat not in the future, jti present.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError

from gateway.auth.oauth.signing import ALG, ID_ALG, KeyRing

ACCESS_TYP = ("at+jwt", "application/at+jwt")
NEVER = 253_402_300_799  # 9999-12-31T23:59:59Z: "never expires" with a required exp
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
LEEWAY = 30.0


class TokenRejectedError(ValueError):
    """The token is not one of ours or no longer valid; the message is for the audit log only."""


@dataclass(frozen=True, slots=True)
class Minted:
    token: str
    jti: str
    issued_at: int
    expires_at: int | None  # None: lifetime 0


def mint_access_token(
    ring: KeyRing,
    *,
    issuer: str,
    audience: str,
    client_id: str,
    subject: str,
    scope: str,
    lifetime: int,
    now: float,
) -> Minted:
    key = ring.signing_key()
    jti = uuid.uuid4().hex
    iat = int(now)
    exp = iat + lifetime if lifetime > 0 else NEVER
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "exp": exp,
        "iat": iat,
        "jti": jti,
        "client_id": client_id,
        "scope": scope,
    }
    header = {"alg": ALG, "typ": "at+jwt", "kid": key.kid}
    token = jwt.encode(header, claims, key, algorithms=[ALG])
    return Minted(token, jti, iat, exp if lifetime > 0 else None)


def mint_id_token(ring: KeyRing, claims: dict[str, Any]) -> str:
    """An OIDC ID token, RS256 (the algorithm relying parties assume by default)."""
    key = ring.signing_key(ID_ALG)
    header = {"alg": ID_ALG, "typ": "JWT", "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ID_ALG])


def looks_like_jwt(value: str) -> bool:
    """Three base64url segments: the OAuth path, never the API-key path."""
    parts = value.split(".")
    return len(parts) == 3 and all(parts[:2])


def read_header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[0]
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise TokenRejectedError("unreadable header") from None
    if not isinstance(header, dict):
        raise TokenRejectedError("header is not an object")
    return header


def verify_access_token(
    ring: KeyRing, token: str, *, issuer: str, audience: str, now: float
) -> dict[str, Any]:
    """The claims of a valid access token; `TokenRejectedError` otherwise (blocking: key reads)."""
    header = read_header(token)
    if header.get("alg") != ALG:
        raise TokenRejectedError(f"alg {header.get('alg')!r} refused")
    if header.get("typ") not in ACCESS_TYP:
        raise TokenRejectedError(f"typ {header.get('typ')!r} is not at+jwt")
    if FORBIDDEN_HEADERS & header.keys():
        raise TokenRejectedError("header carries key material or crit")
    kid = header.get("kid")
    key = ring.verify_key(kid) if isinstance(kid, str) and len(kid) <= 64 else None
    if key is None:
        raise TokenRejectedError("unknown kid")
    try:
        claims = jwt.decode(token, key, algorithms=[ALG]).claims
    except (JoseError, ValueError) as exc:
        raise TokenRejectedError(f"signature: {type(exc).__name__}") from None
    if claims.get("iss") != issuer:
        raise TokenRejectedError("wrong issuer")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise TokenRejectedError("wrong audience")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or exp <= now - LEEWAY:
        raise TokenRejectedError("expired")
    if not isinstance(iat, int) or iat > now + LEEWAY:
        raise TokenRejectedError("issued in the future")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int) or nbf > now + LEEWAY):
        raise TokenRejectedError("not yet valid")
    for name in ("jti", "sub", "client_id"):
        if not isinstance(claims.get(name), str):
            raise TokenRejectedError(f"{name} missing")
    return dict(claims)
