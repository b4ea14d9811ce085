"""The API-key format: typed prefix, ~190 bits of base62, a CRC32 checksum; digests only."""

from __future__ import annotations

import math
import re

import pytest

from gateway.auth.keys import (
    ALPHABET,
    BODY_LENGTH,
    display_prefix,
    generate_key,
    is_well_formed,
    key_digest,
)


def test_keys_have_the_scannable_shape_and_enough_entropy() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(r"fgk_[0-9A-Za-z]{38}", key)
        assert is_well_formed(key)
    assert BODY_LENGTH * math.log2(len(ALPHABET)) > 190


@pytest.mark.parametrize("position", [4, 10, 20, 35, 38, 41])
def test_one_mistyped_character_fails_the_checksum(position: int) -> None:
    key = generate_key()
    replacement = "A" if key[position] != "A" else "B"
    mistyped = key[:position] + replacement + key[position + 1 :]
    assert not is_well_formed(mistyped)


@pytest.mark.parametrize(
    "text",
    ["", "fgk_", "ghp_" + "a" * 38, "fgk_" + "a" * 37, "fgk_" + "a" * 39, "fgk_" + "-" * 38],
)
def test_malformed_keys_are_rejected_by_shape(text: str) -> None:
    assert not is_well_formed(text)


def test_digest_is_sha256_or_hmac_with_the_pepper() -> None:
    key = generate_key()
    plain = key_digest(key, None)
    peppered = key_digest(key, "a-pepper-of-32-characters-long!!")
    assert len(plain) == len(peppered) == 64
    assert plain != peppered
    assert key not in (plain, peppered)
    assert display_prefix(key) == key[:12]
