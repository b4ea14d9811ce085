"""The `auth` section: secure defaults, secrets only from the environment, strict values."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.loader import load_settings
from gateway.app import create_app

BASE = """
sources:
  - name: shop
    url: sqlite:///shop.sqlite
"""


def load(tmp_path: Path, auth: str, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "fedgate.yaml"
    path.write_text(BASE + auth, encoding="utf-8")
    return load_settings(path, environ=environ or {})


def error(tmp_path: Path, auth: str, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, auth, environ)
    return caught.value


def test_auth_is_on_and_guest_off_by_default(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert settings.auth.enabled is True
    assert settings.auth.guest.enabled is False
    assert settings.auth.key_expiry_days == 90


def test_the_pepper_must_come_from_the_environment(tmp_path: Path) -> None:
    written = error(tmp_path, "auth: {pepper: a-literal-pepper-in-the-file}\n")
    assert written.path == "auth.pepper"
    assert "environment" in str(written)
    assert "a-literal-pepper" not in str(written)
    short = error(tmp_path, "auth: {pepper: '${P}'}\n", {"P": "short"})
    assert "at least 16" in str(short)
    ok = load(tmp_path, "auth: {pepper: '${P}'}\n", {"P": "x" * 32})
    assert ok.auth.pepper == "x" * 32


@pytest.mark.parametrize(
    ("auth", "path", "words"),
    [
        ("auth: {store_url: 'mysql+pymysql://u@h/db'}\n", "auth.store_url", "sqlite:///"),
        ("auth: {store_url: 'sqlite://'}\n", "auth.store_url", "in-memory"),
        ("auth: {key_expiry_days: 400}\n", "auth.key_expiry_days", "must not exceed"),
        ("auth: {rotation_grace_hours: 169}\n", "auth.rotation_grace_hours", "between 0 and 168"),
        ("auth: {cache_seconds: 60}\n", "auth.cache_seconds", "between 0 and 10"),
        ("auth: {guest: {enabled: 'true'}}\n", "auth.guest.enabled", "true or false"),
        ("auth: {enabeld: false}\n", "auth.enabeld", "did you mean 'enabled'"),
    ],
)
def test_bad_auth_values_stop_the_start(tmp_path: Path, auth: str, path: str, words: str) -> None:
    found = error(tmp_path, auth)
    assert found.path == path
    assert words in str(found)


def test_a_relative_sqlite_store_resolves_next_to_the_config(tmp_path: Path) -> None:
    settings = load(tmp_path, "auth: {store_url: 'sqlite:///meta/store.sqlite'}\n")
    assert settings.auth.store_url == f"sqlite:///{tmp_path}/meta/store.sqlite"


def test_a_guest_scope_outside_the_grammar_stops_the_start(tmp_path: Path) -> None:
    settings = load(tmp_path, "auth: {guest: {enabled: true, scopes: ['shop:list']}}\n")
    with pytest.raises(ConfigError) as caught:
        create_app(settings, background_refresh=False)
    assert caught.value.path == "auth.guest.scopes"
