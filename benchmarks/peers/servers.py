"""The server processes a run starts: launch, readiness, CPU and memory, stop by PID.

Each server runs in its own session (Ctrl-C in the terminal reaches only the
harness, whose `finally` stops them), its output goes to a log file in the
run's work directory, and it is stopped by its own PID (and those of the
children it spawned), SIGTERM first, SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DATABASE_PROCESSES = frozenset({"postgres", "mariadbd", "mysqld"})


def database_cpu_seconds() -> float:
    """CPU time of the database servers on the machine: every PostgreSQL and MariaDB process,
    plus what the PostgreSQL postmaster has reaped from backends that already exited (a
    backend's time leaves with it when its connection closes)."""
    total = 0.0
    for proc in psutil.process_iter(["name", "ppid"]):
        if proc.info["name"] not in DATABASE_PROCESSES:
            continue
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            total += times.user + times.system
            if proc.info["name"] == "postgres" and _is_postmaster(proc.info["ppid"]):
                total += times.children_user + times.children_system
    return total


def _is_postmaster(ppid: int) -> bool:
    """A postgres process whose parent is not postgres (backends' parent is the postmaster)."""
    try:
        return psutil.Process(ppid).name() != "postgres"
    except psutil.NoSuchProcess:
        return True


@dataclass
class Server:
    """One started process and where it listens."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    headers: dict[str, str] = field(default_factory=dict)
    key_kind: str = "no credentials"  # what the benchmark authenticates with

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.tree():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total

    def peak_rss_bytes(self) -> int:
        """Sum of VmHWM (the kernel's high-water mark of resident memory) over the tree."""
        total = 0
        for proc in self.tree():
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
        return total

    def settle(self, idle_share: float = 0.1, timeout: float = 60.0) -> None:
        """Wait until the process tree is idle (below `idle_share` of a core for 0.3 s): a server
        still working off requests queued by the previous measurement must not slow the next."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.3)
            if self.cpu_seconds() - before < idle_share * 0.3:
                return

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process and its children by PID; SIGKILL whatever is left after `grace`."""
        procs = self.tree()
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(procs, timeout=grace)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
        if self.process.poll() is None:
            self.process.wait(timeout=5)


def launch(
    name: str,
    command: list[str],
    *,
    port: int,
    workdir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Server:
    log = workdir / f"{name}.log"
    out = log.open("wb")
    process = subprocess.Popen(
        command,
        cwd=cwd or workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()
    return Server(name=name, process=process, port=port, log=log)


def wait_ready(server: Server, probe: Callable[[httpx.Client], bool], timeout: float) -> None:
    """Poll `probe` until it says ready; raise with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            try:
                if probe(client):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log_tail()}")


class RssSampler:
    """Samples a server's resident memory every 100 ms while a measurement runs; keeps the peak."""

    def __init__(self, server: Server | None) -> None:
        self.server = server
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.server is not None and not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
