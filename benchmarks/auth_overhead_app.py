"""Auth overhead inside one process: the whole app, auth on against auth off, no network.

The same REST read as `benchmarks.auth_overhead` (demo SQLite shop), sent as ASGI
calls straight to two apps built by `create_app` in this process: one with auth on
and a bootstrapped admin key (`Authorization: Bearer`), one with auth off. Each
request runs in its own task, as uvicorn runs them, and reads SQLite in a worker
thread as the server does. Without the HTTP server and the client, what remains is
the gateway's own work per request, so the difference between the two is auth's
share of it, with less noise than over sockets (no client, no kernel). As under
`fedgate serve`, each task starts from an empty context and the scope says so
(`OWN_CONTEXT`).

    .venv/bin/python -m benchmarks.auth_overhead_app [--rounds 30] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.auth_overhead import OFF, ON, PATH, prepare, report
from config.loader import load_settings
from gateway.app import create_app
from gateway.http_protocol import OWN_CONTEXT

App = Any  # an ASGI app


def request_scope(key: str | None) -> dict[str, Any]:
    path, _, query = PATH.partition("?")
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": headers,
        OWN_CONTEXT: True,
    }


class Caller:
    """Sends one GET to an app in a task of its own; refuses anything but a 200."""

    def __init__(self, app: App, scope: dict[str, Any]) -> None:
        self.app = app
        self.scope = scope
        self.status = 0

    async def one(self) -> None:
        await self._task()
        if self.status != 200:
            raise SystemExit(f"{PATH}: status {self.status}")

    async def ready(self, seconds: float = 30.0) -> None:
        """Wait for the first 200 (the catalog is introspected in the background)."""
        deadline = time.monotonic() + seconds
        while True:
            await self._task()
            if self.status == 200 or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.1)

    def _task(self) -> asyncio.Task[None]:
        request = self.app(dict(self.scope), self._receive, self._send)
        return asyncio.get_running_loop().create_task(request, context=contextvars.Context())

    async def _receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


async def started(app: App) -> asyncio.Task[None]:
    """Run the app's lifespan startup; the task is kept by the caller until the end."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    ready = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            ready.set()
        elif message["type"] == "lifespan.startup.failed":
            raise SystemExit(f"startup failed: {message.get('message')}")

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, messages.get, send))
    await ready.wait()
    return task


async def measure(on: Path, off: Path, key: str, args: argparse.Namespace) -> dict[str, Any]:
    callers = {
        ON: Caller(create_app(load_settings(str(on))), request_scope(key)),
        OFF: Caller(create_app(load_settings(str(off))), request_scope(None)),
    }
    lifespans = [await started(c.app) for c in callers.values()]  # kept until the end
    for caller in callers.values():  # introspected, planned, the key verified and cached
        await caller.ready()
        for _ in range(200):
            await caller.one()

    async def rate(name: str) -> float:
        begun = time.perf_counter()
        for _ in range(args.requests):
            await callers[name].one()
        return args.requests / (time.perf_counter() - begun)

    results: dict[str, list[float]] = {ON: [], OFF: []}
    for round_ in range(args.rounds):  # alternating which goes first, as `interleaved`
        for name in [ON, OFF] if round_ % 2 == 0 else [OFF, ON]:
            results[name].append(await rate(name))
    assert all(not task.done() for task in lifespans)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        on, off, key = prepare(Path(tmp))
        results = asyncio.run(measure(on, off, key, args))
    per_request = {name: 1e6 / statistics.median(values) for name, values in results.items()}
    print(f"\n{platform.python_version()}, {os.cpu_count()} CPUs, in-process GET {PATH}")
    report(f"whole app in-process: {args.rounds} rounds x {args.requests} requests", results)
    print(
        f"  per request: auth on {per_request[ON]:.1f} us, auth off {per_request[OFF]:.1f} us,"
        f" difference {per_request[ON] - per_request[OFF]:.1f} us"
    )


if __name__ == "__main__":
    main()
