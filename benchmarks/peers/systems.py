"""Starting each system under test against the benchmark databases.

fedgate: `fedgate serve` (one uvicorn worker; uvicorn picks uvloop and httptools,
both installed with fedgate) on a generated fedgate.yaml. PostGraphile 5: the
Amber preset, no authentication (as it is usually run). Directus 12: bootstrapped
into its own copy of the data, then given through its API a one-to-many alias
field (customer.orders) and a read-only user (plus create on the insert table)
whose static token the benchmark uses, the fair counterpart of an API key.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from benchmarks.peers import install
from benchmarks.peers.dataset import INSERT_TABLE, TABLES
from benchmarks.peers.servers import Server, free_port, launch, wait_ready

POOL_SIZE = 10  # database connections per system


def _fedgate_knows_auth() -> bool:
    """Whether this checkout's fedgate has the `auth` config section (it is being built)."""
    import config.settings

    return hasattr(config.settings, "RateLimitSettings")


def start_fedgate(pg_dbname: str, workdir: Path, checkout: Path | None = None) -> Server:
    """`fedgate serve` on `pg_dbname` (as source `tpch`), from this checkout or `checkout`."""
    port = free_port()
    config = workdir / "fedgate.yaml"
    text = (
        "sources:\n"
        "  - name: tpch\n"
        f"    url: postgresql+psycopg://postgres@127.0.0.1:5432/{pg_dbname}\n"
        f"    pool_size: {POOL_SIZE}\n"
        "    max_page_size: 1000\n"
        "schema_cache:\n"
        f"  snapshot_path: {workdir / 'fedgate-snapshot.json'}\n"
    )
    if _fedgate_knows_auth():
        # Auth stays on (the benchmark sends an API key); the per-key rate limit is off,
        # as Directus's rate limiter is.
        text += "auth:\n  rate_limits:\n    requests_per_second: 0\n"
    config.write_text(text)
    command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)]
    command += ["--port", str(port), "--log-level", "warning"]
    env = None if checkout is None else {**os.environ, "PYTHONPATH": str(checkout)}
    cwd = Path.cwd() if checkout is None else checkout
    server = launch("fedgate", command, port=port, workdir=workdir, env=env, cwd=cwd)
    try:
        wait_ready(server, lambda c: c.get("/readyz").status_code == 200, timeout=90)
        _ensure_fedgate_key(server, config)
    except BaseException:
        server.stop()
        raise
    return server


KEY_PATTERN = re.compile(r"fgk_[0-9A-Za-z]{38}")
BENCH_SCOPES = ["tpch:read", f"tpch.{INSERT_TABLE}:insert", "sql"]


def _ensure_fedgate_key(server: Server, config: Path) -> None:
    """If fedgate asks for credentials, use an API key: a narrow one made with `fedgate keys
    create` when the CLI has it, else the admin key the first start printed (once) to its log."""
    status = httpx.get(f"{server.base_url}/rest/tpch/region?limit=1", timeout=10).status_code
    if status not in (401, 403):
        return
    admin_key = next(iter(KEY_PATTERN.findall(server.log.read_text(errors="replace"))), None)
    command = [sys.executable, "-m", "gateway.cli", "keys", "--config", str(config), "create"]
    command += ["--owner", "admin", "--name", "bench"]
    for scope in BENCH_SCOPES:
        command += ["--scope", scope]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    found = KEY_PATTERN.findall(done.stdout + done.stderr) if done.returncode == 0 else []
    key = found[0] if found else admin_key
    if key is None:
        raise RuntimeError(
            "fedgate requires credentials and no API key could be made: "
            + (done.stderr or done.stdout)[-300:]
        )
    server.headers["Authorization"] = f"Bearer {key}"
    server.key_kind = f"API key ({' '.join(BENCH_SCOPES)})" if found else "admin API key"


def start_postgraphile(pg_dbname: str, workdir: Path) -> Server:
    port = free_port()
    home = install.package_dir(install.POSTGRAPHILE)
    # The config must sit beside node_modules so that its imports resolve.
    config = home / f"graphile.{workdir.name}.config.mjs"
    config.write_text(
        'import { PostGraphileAmberPreset } from "postgraphile/presets/amber";\n'
        'import { makePgService } from "postgraphile/adaptors/pg";\n'
        "export default {\n"
        "  extends: [PostGraphileAmberPreset],\n"
        # Filter and order by any column (as fedgate and Directus do), not only indexed ones.
        '  disablePlugins: ["PgIndexBehaviorsPlugin"],\n'
        "  pgServices: [makePgService({\n"
        f'    connectionString: "postgres://postgres@127.0.0.1:5432/{pg_dbname}",\n'
        f'    schemas: ["public"], poolConfig: {{ max: {POOL_SIZE} }},\n'
        "  })],\n"
        f'  grafserv: {{ host: "127.0.0.1", port: {port}, graphiql: false }},\n'
        "  grafast: { explain: false },\n"
        "};\n"
    )
    env = install.node_env()
    env["NODE_ENV"] = "production"
    cli = home / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    command = [str(install.node_binary()), str(cli), "-C", str(config)]
    server = launch("postgraphile", command, port=port, workdir=workdir, env=env, cwd=home)
    try:
        wait_ready(
            server,
            lambda c: c.post("/graphql", json={"query": "{__typename}"}).status_code == 200,
            timeout=120,
        )
    except BaseException:
        server.stop()
        raise
    finally:
        config.unlink(missing_ok=True)  # read at start; keep the cache folder clean
    return server


def _directus_env(pg_dbname: str, port: int, workdir: Path, admin_token: str) -> Path:
    env_file = workdir / "directus.env"
    values = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DB_CLIENT": "pg",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "5432",
        "DB_DATABASE": pg_dbname,
        "DB_USER": "postgres",
        "DB_PASSWORD": "",
        "DB_POOL__MIN": "0",
        "DB_POOL__MAX": str(POOL_SIZE),
        "KEY": secrets.token_hex(16),
        "SECRET": secrets.token_hex(32),
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": secrets.token_hex(12),
        "ADMIN_TOKEN": admin_token,
        "TELEMETRY": "false",
        "CACHE_ENABLED": "false",
        "RATE_LIMITER_ENABLED": "false",
        "PRESSURE_LIMITER_ENABLED": "false",
        "AI_ENABLED": "false",
        "WEBSOCKETS_ENABLED": "false",
        "LOG_LEVEL": "warn",
        "LOG_STYLE": "raw",
        "EXTENSIONS_PATH": str(workdir / "directus-extensions"),
        "STORAGE_LOCATIONS": "local",
        "STORAGE_LOCAL_ROOT": str(workdir / "directus-uploads"),
        "MARKETPLACE_TRUST": "sandbox",
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    (workdir / "directus-extensions").mkdir(exist_ok=True)
    (workdir / "directus-uploads").mkdir(exist_ok=True)
    return env_file


def start_directus(pg_dbname: str, workdir: Path) -> Server:
    port = free_port()
    admin_token = secrets.token_urlsafe(24)
    env = install.node_env()
    env["CONFIG_PATH"] = str(_directus_env(pg_dbname, port, workdir, admin_token))
    env["NODE_ENV"] = "production"
    cli = install.package_dir(install.DIRECTUS) / "node_modules" / "directus" / "cli.js"
    node = str(install.node_binary())
    with (workdir / "directus-bootstrap.log").open("wb") as out:
        done = subprocess.run(
            [node, str(cli), "bootstrap"], cwd=workdir, env=env, stdout=out, stderr=out, check=False
        )
    if done.returncode != 0:
        tail = (workdir / "directus-bootstrap.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"directus bootstrap failed:\n{tail}")
    server = launch("directus", [node, str(cli), "start"], port=port, workdir=workdir, env=env)
    try:
        wait_ready(server, lambda c: c.get("/server/ping").status_code == 200, timeout=180)
        server.headers["Authorization"] = f"Bearer {_configure_directus(server, admin_token)}"
    except BaseException:
        server.stop()
        raise
    server.key_kind = "read-only user's static token (+ create on bench_insert)"
    return server


def _configure_directus(server: Server, admin_token: str) -> str:
    """Alias field customer.orders, a read-only policy and user; returns that user's token."""
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    ) as admin:

        def call(method: str, path: str, body: object) -> dict[str, object]:
            response = admin.request(method, path, json=body)
            if response.status_code >= 400:
                raise RuntimeError(
                    f"directus {method} {path}: {response.status_code} {response.text[:500]}"
                )
            return response.json() if response.content else {}

        call(
            "POST",
            "/fields/customer",
            {
                "field": "orders",
                "type": "alias",
                "meta": {"special": ["o2m"], "interface": "list-o2m"},
            },
        )
        call("PATCH", "/relations/orders/o_custkey", {"meta": {"one_field": "orders"}})
        policy = call(
            "POST",
            "/policies",
            {"name": "bench read-only", "app_access": False, "admin_access": False},
        )
        policy_id = policy["data"]["id"]  # type: ignore[index]
        grants = [(table, "read") for table in TABLES] + [
            (INSERT_TABLE, "read"),
            (INSERT_TABLE, "create"),
        ]
        call(
            "POST",
            "/permissions",
            [
                {
                    "policy": policy_id,
                    "collection": c,
                    "action": a,
                    "fields": ["*"],
                    "permissions": {},
                }
                for c, a in grants
            ],
        )
        token = secrets.token_urlsafe(24)
        call(
            "POST",
            "/users",
            {
                "email": "bench@example.com",
                "password": secrets.token_hex(12),
                "token": token,
                "policies": [{"policy": policy_id}],
            },
        )
    check = httpx.get(
        f"{server.base_url}/items/region?limit=1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if check.status_code != 200:
        raise RuntimeError(
            f"directus read-only token refused: {check.status_code} {check.text[:300]}"
        )
    return token


def versions() -> dict[str, str | None]:
    return {
        "node": install.node_version(),
        "postgraphile": install.installed_version(install.POSTGRAPHILE),
        "directus": install.installed_version(install.DIRECTUS),
    }


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
