"""Opaque OAuth values: client secrets, refresh tokens, codes, sessions (hashed at rest).

Each is a typed prefix + 32 base62 characters from `secrets` (~190 bits, above
RFC 6749 §10.10's 160) + a 6-character CRC32 checksum, like API keys: a
mistyped or made-up value is refused without a lookup, and leaked values are
recognisable (`fg[csra]_[0-9A-Za-z]{38}`). Only `digest()` is stored.
"""

from __future__ import annotations

import re
import secrets

from gateway.auth.keys import ALPHABET, BODY_LENGTH, CHECKSUM_LENGTH, checksum, key_digest

CLIENT_SECRET = "fgc_"
REFRESH_TOKEN = "fgr_"
CODE = "fga_"
SESSION = "fgs_"
CLIENT_ID = "fgi_"
LEAK_PATTERN = re.compile(r"fg[csra]_[0-9A-Za-z]{38}")


def mint(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{prefix}{body}{checksum(prefix + body)}"


def new_client_id() -> str:
    """A public identifier (no checksum: it is not a secret)."""
    return CLIENT_ID + "".join(secrets.choice(ALPHABET) for _ in range(20))


def is_well_formed(value: str, prefix: str) -> bool:
    """Shape and checksum of a value minted with `prefix`; no lookup."""
    if len(value) != len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH or not value.startswith(prefix):
        return False
    if not value[len(prefix) :].isascii() or not value[len(prefix) :].isalnum():
        return False
    head, tail = value[:-CHECKSUM_LENGTH], value[-CHECKSUM_LENGTH:]
    return secrets.compare_digest(checksum(head), tail)


def digest(value: str, pepper: str | None) -> str:
    return key_digest(value, pepper)


def display(value: str) -> str:
    """What lists and the audit log show: the prefix and 8 characters."""
    return value[:12]
