"""OAuth access token against API key: the same REST read through one gateway, two credentials.

Generates the demo shop (SQLite), starts one `fedgate serve` with auth on (rate
limits off), registers and activates a client_credentials integration through
the admin API, and then, in many short rounds alternating which goes first, a
sequential keep-alive client sends the same GET with the admin API key and with
the integration's JWT access token (ES256 signature checked on every request,
the jti record cached for `cache_seconds`). Prints the medians and the ratio
token/key.

    .venv/bin/python -m benchmarks.oauth_overhead [--rounds 40] [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import tempfile
from pathlib import Path

import httpx

from benchmarks.auth_overhead import PATH, throughput
from benchmarks.rest_latency import free_port, start_fedgate
from config.loader import load_settings
from gateway.auth.bootstrap import bootstrap_admin
from gateway.auth.service import AuthService
from gateway.demo import ensure_demo

CONFIG = """\
schema_cache: {{snapshot_path: {snapshot}, ttl_seconds: 0}}
sources:
  - {{name: shop, url: "sqlite:///{database}"}}
auth:
  store_url: "sqlite:///{store}"
  rate_limits: {{requests_per_second: 0, failed_auth_per_minute: 0}}
  oauth: {{issuer: "http://127.0.0.1:{port}"}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ensure_demo(folder / "demo")
        port = free_port()
        config = folder / "gateway.yaml"
        config.write_text(
            CONFIG.format(
                snapshot=folder / "snapshot.json",
                database=folder / "demo" / "shop.sqlite",
                store=folder / "meta.sqlite",
                port=port,
            ),
            encoding="utf-8",
        )
        created = bootstrap_admin(AuthService(load_settings(str(config))))
        assert created is not None
        process = start_fedgate(config, port)
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": f"Bearer {created.key}"}
        try:
            with httpx.Client(timeout=10) as client:
                spec = {
                    "name": "bench",
                    "grant_types": ["client_credentials"],
                    "scopes": ["shop:read"],
                }
                made = client.post(f"{base}/admin/api/clients", json=spec, headers=admin).json()
                activated = client.post(
                    f"{base}/admin/api/clients/{made['client_id']}/activate", headers=admin
                ).json()
                headers = {
                    "API key": admin,
                    "OAuth access token": {"Authorization": f"Bearer {activated['access_token']}"},
                }
                results: dict[str, list[float]] = {name: [] for name in headers}
                for name in headers:  # warm up both
                    throughput(client, base + PATH, headers[name], 200)
                for round_ in range(args.rounds):
                    order = list(headers) if round_ % 2 == 0 else list(reversed(headers))
                    for name in order:
                        results[name].append(
                            throughput(client, base + PATH, headers[name], args.requests)
                        )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    medians = {name: statistics.median(values) for name, values in results.items()}
    ratios = [t / k for t, k in zip(results["OAuth access token"], results["API key"], strict=True)]
    print(f"\n{platform.python_version()}, {os.cpu_count()} CPUs, GET {PATH}")
    print(f"{args.rounds} rounds x {args.requests} sequential keep-alive requests per credential")
    for name, value in medians.items():
        print(f"  {name:<20} median {value:8.0f} req/s")
    print(f"  ratio of medians     {medians['OAuth access token'] / medians['API key']:.3f}")
    print(f"  median of per-round ratios {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
