"""`fedgate serve --workers N`: several processes on one port, under uvicorn's supervisor.

The parent migrates the metadata store and bootstraps the admin (once, before any
worker starts), then hands the port to uvicorn's process manager, which spawns N
workers and restarts any that dies. Each worker loads the same settings again
(the config file named in its environment, with the listening address the parent
chose) and builds its own app: its own pools, schema cache, key cache and
rate-limit counters, as separate gateway instances sharing one metadata store do
(a revoked key is refused by every worker within `auth.cache_seconds`).
"""

from __future__ import annotations

import os
from dataclasses import replace

from starlette.applications import Starlette

from config.errors import ConfigError
from config.settings import ServerSettings, Settings
from config.validate import INT_RANGES
from gateway import heap
from gateway.app import create_app
from gateway.settings_source import load_settings

CONFIG_ENV = "FEDGATE_WORKER_CONFIG"
HOST_ENV = "FEDGATE_WORKER_HOST"
PORT_ENV = "FEDGATE_WORKER_PORT"


def check_workers(settings: Settings, workers: int, config_path: str | None) -> None:
    """Refuse what several processes cannot share, before any starts."""
    low, high = INT_RANGES[(ServerSettings, "workers")]
    if not low <= workers <= high:
        raise ConfigError(f"must be between {low} and {high}, got {workers}", path="--workers")
    if workers == 1:
        return
    if config_path is None:
        raise ConfigError(
            "--workers above 1 needs a config file: the embedded demo's DuckDB file is "
            "locked by one process",
            path="server.workers",
        )
    for source in settings.sources:
        if source.url.startswith("duckdb"):
            raise ConfigError(
                f"--workers above 1: source '{source.name}' is a DuckDB file, which one "
                "process locks; serve it with one worker",
                path="server.workers",
            )


def worker_environment(config_path: str, host: str, port: int) -> dict[str, str]:
    """What a worker needs to load the parent's settings (no secrets: a path and an address)."""
    return {CONFIG_ENV: os.path.abspath(config_path), HOST_ENV: host, PORT_ENV: str(port)}


def app_from_environment() -> Starlette:
    """The uvicorn factory each worker calls."""
    settings, _ = load_settings(os.environ[CONFIG_ENV])
    server = replace(settings.server, host=os.environ[HOST_ENV], port=int(os.environ[PORT_ENV]))
    app = create_app(replace(settings, server=server))
    app.state.runtime.cache.subscribe(heap.settle)  # after each new catalog: see gateway/heap.py
    return app
