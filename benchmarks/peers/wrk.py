"""One measurement with wrk: a Lua script sets method, headers and body, and prints the summary as JSON.

wrk's `done` hook sees the exact latency histogram, so p50/p99 come from wrk
itself (microseconds), not from parsing its human-readable report. Non-2xx/3xx
answers, socket errors and timeouts are counted and reported with the figures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MARK = "WRKJSON "
DONE = (
    "done = function(summary, latency, requests)\n"
    "  local e = summary.errors\n"
    '  io.write(string.format("' + MARK + '{\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,'
    '\\"p50_us\\":%d,\\"p90_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"non2xx\\":%d,'
    '\\"connect_errors\\":%d,\\"read_errors\\":%d,\\"write_errors\\":%d,\\"timeouts\\":%d}\\n",\n'
    "    summary.requests, summary.duration, summary.bytes, latency:percentile(50),\n"
    "    latency:percentile(90), latency:percentile(99), latency.max, e.status, e.connect,\n"
    "    e.read, e.write, e.timeout))\n"
    "end\n"
)


@dataclass
class WrkResult:
    requests: int
    duration_us: int
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int
    non2xx: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0


def available() -> str | None:
    return shutil.which("wrk")


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def write_script(
    folder: Path, name: str, method: str, headers: dict[str, str], body: bytes | None
) -> Path:
    lines = [f"wrk.method = {_lua_string(method)}"]
    for key, value in headers.items():
        lines.append(f"wrk.headers[ {_lua_string(key)} ] = {_lua_string(value)}")
    if body is not None:
        body_file = folder / f"{name}.body"
        body_file.write_bytes(body)
        lines.append(f"local f = io.open({_lua_string(str(body_file))}, 'rb')")
        lines.append("wrk.body = f:read('*a')")
        lines.append("f:close()")
    script = folder / f"{name}.lua"
    script.write_text("\n".join(lines) + "\n" + DONE)
    return script


def run(url: str, script: Path, *, duration: float, connections: int, threads: int) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    command += ["--timeout", "10s", "--latency", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            raw = json.loads(line[len(MARK) :])
            errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
            return WrkResult(
                requests=raw["requests"],
                duration_us=raw["duration_us"],
                p50_us=raw["p50_us"],
                p90_us=raw["p90_us"],
                p99_us=raw["p99_us"],
                max_us=raw["max_us"],
                non2xx=raw["non2xx"],
                errors=errors + raw["timeouts"],
            )
    raise RuntimeError(f"wrk gave no summary: {done.stderr.strip()[-300:]} {done.stdout[-300:]}")
