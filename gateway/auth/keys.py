"""API-key format (GitHub style): `fgk_` + 32 base62 characters + a 6-character CRC32 checksum.

32 base62 characters carry ~190 bits from `secrets`. The checksum lets the
gateway (and secret scanners) reject a mistyped or made-up key without a
lookup; the regex `fgk_[0-9A-Za-z]{38}` finds leaked keys. Only a digest is
stored: HMAC-SHA256 with the server's pepper, or SHA-256 without one (a fast
hash is right for high-entropy input).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

PREFIX = "fgk_"
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_PATTERN = re.compile(rf"{PREFIX}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}")
DISPLAY_LENGTH = len(PREFIX) + 8
KEY_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


def generate_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{PREFIX}{body}{checksum(PREFIX + body)}"


def is_well_formed(key: str) -> bool:
    """Shape and checksum only: no lookup. False for anything not minted by `generate_key`."""
    if not KEY_PATTERN.fullmatch(key):
        return False
    head, tail = key[:-CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(checksum(head), tail)


def display_prefix(key: str) -> str:
    """What lists and the audit log show of a key: `fgk_` and 8 characters."""
    return key[:DISPLAY_LENGTH]


def key_digest(key: str | bytes, pepper: str | None) -> str:
    """The stored digest of a key (str, or its ASCII bytes as they came in a header)."""
    data = key if isinstance(key, bytes) else key.encode("ascii")
    if pepper:
        return hmac.digest(pepper.encode("utf-8"), data, "sha256").hex()  # one-shot, in C
    return hashlib.sha256(data).hexdigest()


def ready_key(key: str) -> bytes:
    """`key` as the `Authorization` header value clients send it: `Bearer <key>` bytes."""
    return f"Bearer {key}".encode("utf-8", "replace")


def same_digest(first: str, second: str) -> bool:
    return hmac.compare_digest(first.encode("ascii"), second.encode("ascii"))
