"""Where the settings of a command come from: a file, or the embedded demo."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from config.loader import load_settings as load_file
from config.loader import parse_settings, parse_yaml
from config.settings import Settings
from gateway.demo import ensure_demo

DEFAULT_CONFIG = "fedgate.yaml"


def fedgate_home() -> Path:
    """Where fedgate keeps generated files (`$FEDGATE_HOME`, default `./.fedgate`)."""
    return Path(os.environ.get("FEDGATE_HOME") or ".fedgate").resolve()


def resolve_config_path(explicit: str | None) -> str | None:
    """`--config`, else `$FEDGATE_CONFIG`, else `./fedgate.yaml` if present, else None (demo)."""
    if explicit:
        return explicit
    if os.environ.get("FEDGATE_CONFIG"):
        return os.environ["FEDGATE_CONFIG"]
    return DEFAULT_CONFIG if Path(DEFAULT_CONFIG).exists() else None


def demo_settings(home: Path | None = None) -> Settings:
    """Generate the demo databases (once) and return the settings that serve them."""
    home = home or fedgate_home()
    ensure_demo(home / "demo")
    text = resources.files("config").joinpath("examples/demo.yaml").read_text(encoding="utf-8")
    virtual_file = str(home / "demo.yaml")  # relative paths in it resolve under home
    return parse_settings(parse_yaml(text, file=virtual_file), file=virtual_file)


def load_settings(explicit: str | None) -> tuple[Settings, bool]:
    """The settings and whether they are the demo's."""
    path = resolve_config_path(explicit)
    if path is None:
        return demo_settings(), True
    return load_file(path), False
