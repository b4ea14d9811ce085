"""Signing keys' private halves sealed at rest with a key derived from the server pepper.

With `FEDGATE_PEPPER` set (the secret that already keys API-key digests), each
private JWK is stored as `sealed:v1:<nonce>:<ciphertext>` (base64url): AES-256-GCM
under a key derived from the pepper with HKDF-SHA256, the key id bound as
associated data so a sealed row cannot be moved to another kid. A copy of the
metadata store alone then yields no signing key. Without a pepper the JWK is
stored as is (documented); rows stored either way keep loading. Changing the
pepper makes sealed keys unreadable, as it makes every API key unusable: rotate
the signing keys (`fedgate clients rotate-signing-key`) after changing it.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config.errors import FedgateError

PREFIX = "sealed:v1:"
_INFO = b"fedgate oauth signing keys v1"


class UnsealError(FedgateError):
    """A sealed signing key that this process's pepper cannot open."""

    code = "signing_key_sealed"


def _key(pepper: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(pepper.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(text: str, kid: str, pepper: str | None) -> str:
    """`text` sealed for storage (unchanged without a pepper)."""
    if not pepper:
        return text
    nonce = os.urandom(12)
    sealed = AESGCM(_key(pepper)).encrypt(nonce, text.encode(), kid.encode())
    return f"{PREFIX}{_b64(nonce)}:{_b64(sealed)}"


def unseal(stored: str, kid: str, pepper: str | None) -> str:
    """The text `seal` stored (a row stored without a pepper is returned as is)."""
    if not stored.startswith(PREFIX):
        return stored
    if not pepper:
        raise UnsealError(
            f"signing key {kid} is sealed with a pepper and FEDGATE_PEPPER is not set: "
            "set it as when the key was made, or rotate the signing keys"
        )
    nonce, _, sealed = stored[len(PREFIX) :].partition(":")
    try:
        return AESGCM(_key(pepper)).decrypt(_unb64(nonce), _unb64(sealed), kid.encode()).decode()
    except (InvalidTag, ValueError):
        raise UnsealError(
            f"signing key {kid} does not open with this FEDGATE_PEPPER (changed?): "
            "rotate the signing keys"
        ) from None
