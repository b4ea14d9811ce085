"""The run's results as JSON, a Markdown section for BENCHMARKS.md, and a PNG chart.

The Markdown section sits between two marker comments in BENCHMARKS.md, so a
new run replaces only its own section and leaves the others' text alone.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from benchmarks.peers.workloads import PAIRS, SYSTEMS, WORKLOADS

BEGIN = "<!-- peers:begin (written by python -m benchmarks.peers run) -->"
END = "<!-- peers:end -->"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.node()}: {os.cpu_count()} cores ({cpu}){mem}, Linux {platform.release()}"


def write_json(path: Path, meta: dict[str, Any], result: dict[str, Any]) -> None:
    path.write_text(json.dumps({"meta": meta, **result}, indent=2, sort_keys=True) + "\n")


def _fmt_cell(cell: dict[str, Any] | None) -> list[str]:
    if cell is None:
        return ["—"] * 6
    if "status" in cell:
        return [cell["status"], "", "", "", "", ""]
    flag = " ⚠" if cell.get("non2xx") or cell.get("errors") else ""
    return [
        f"{cell['rps']:.0f}{flag}",
        f"{cell['p50_ms']:.1f}",
        f"{cell['p99_ms']:.1f}",
        f"{cell['cpu_pct']:.0f}% ({cell['cpu_ms_per_req']:.2f} ms/req)",
        f"{cell['db_ms_per_req']:.2f}" if "db_ms_per_req" in cell else "",
        f"{cell['rss_mb']:.0f}",
    ]


def markdown(meta: dict[str, Any], result: dict[str, Any]) -> str:
    cells = result["cells"]
    out = [BEGIN, "", "## Peers: fedgate beside PostGraphile and Directus", ""]
    out.append(
        f"Run {meta['date']} on {meta['machine']}. Versions: {meta['versions_line']}. "
        f"Command: `{meta['command']}`."
    )
    out.append("")
    out.append(meta["method"])
    out.append("")
    for note in meta.get("notes", []):
        out.append(f"- {note}")
    if meta.get("notes"):
        out.append("")
    out.append("### Throughput and latency (medians over rounds)")
    out.append("")
    out.append(
        "| workload | system | req/s | p50 ms | p99 ms | CPU (of one core) "
        "| database CPU ms/req | peak RSS MB |"
    )
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for workload, title in WORKLOADS.items():
        for system in SYSTEMS:
            cell = cells.get(f"{workload}|{system}")
            if cell is None:
                continue
            out.append(f"| ({workload}) {title} | {system} | " + " | ".join(_fmt_cell(cell)) + " |")
    out.append("")
    out.append("### Ratios fedgate / peer (requests per second; p99 ratio below 1 is better)")
    out.append("")
    out.append("| workload | pair | req/s ratio | p99 ratio |")
    out.append("|---|---|---:|---:|")
    for workload, title in WORKLOADS.items():
        for ours, peer in PAIRS:
            a, b = cells.get(f"{workload}|{ours}"), cells.get(f"{workload}|{peer}")
            if not a or not b:
                continue
            if "rps" in a and "rps" in b and b["rps"]:
                out.append(
                    f"| ({workload}) {title} | {ours} / {peer} | {a['rps'] / b['rps']:.2f}x | "
                    f"{a['p99_ms'] / b['p99_ms']:.2f} |"
                )
            else:
                why = a.get("status") or b.get("status") or "n/a"
                out.append(f"| ({workload}) {title} | {ours} / {peer} | {why} | |")
    out.append("")
    floor = result.get("floor", {})
    if floor:
        out.append(
            "### Latency floor: one connection at a time (wrk -c1), against the same SQL run "
            "sequentially through psycopg"
        )
        out.append("")
        out.append("| workload | path | p50 ms | p99 ms | p50 above psycopg |")
        out.append("|---|---|---:|---:|---:|")
        for workload in ("a", "e"):
            base = floor.get(f"{workload}|psycopg")
            for path in (
                "fedgate REST",
                "fedgate GraphQL",
                "PostGraphile",
                "Directus REST",
                "psycopg",
            ):
                row = floor.get(f"{workload}|{path}")
                if row is None:
                    continue
                extra = (
                    f"{row['p50_ms'] - base['p50_ms']:+.2f} ms"
                    if base and path != "psycopg"
                    else ""
                )
                out.append(
                    f"| ({workload}) {WORKLOADS[workload]} | {path} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {extra} |"
                )
        out.append("")
    peaks = result.get("peak_rss_mb", {})
    if peaks:
        out.append(
            "Peak resident memory over the whole run (kernel VmHWM, process tree): "
            + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(peaks.items()))
            + "."
        )
        out.append("")
    out.append(
        "Chart: `benchmarks/peers/results.png`; raw figures: `benchmarks/peers/results.json`."
    )
    out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def splice(path: Path, section: str) -> None:
    """Replace the peers section of BENCHMARKS.md (or append it), leaving the rest untouched."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def chart(path: Path, meta: dict[str, Any], result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = result["cells"]
    workloads = list(WORKLOADS)
    colors = {
        "fedgate REST": "#1f6feb",
        "fedgate GraphQL": "#58a6ff",
        "fedgate /sql": "#0b3d91",
        "PostGraphile": "#d29922",
        "Directus REST": "#8957e5",
        "Directus GraphQL": "#c297ff",
    }
    fig, (ax_rps, ax_p99) = plt.subplots(2, 1, figsize=(12, 8.5), sharex=True)
    width = 0.8 / len(SYSTEMS)
    for i, system in enumerate(SYSTEMS):
        xs, rps, p99 = [], [], []
        for j, workload in enumerate(workloads):
            cell = cells.get(f"{workload}|{system}")
            if cell and "rps" in cell:
                xs.append(j + (i - len(SYSTEMS) / 2 + 0.5) * width)
                rps.append(cell["rps"])
                p99.append(cell["p99_ms"])
        if xs:
            ax_rps.bar(xs, rps, width, label=system, color=colors[system])
            ax_p99.bar(xs, p99, width, label=system, color=colors[system])
    ax_rps.set_ylabel("requests/s (higher is better)")
    ax_p99.set_ylabel("p99 latency, ms (log; lower is better)")
    ax_p99.set_yscale("log")
    ax_p99.set_xticks(range(len(workloads)))
    insert_c = meta.get("options", {}).get("insert_connections")
    labels = [f"({w}) {WORKLOADS[w]}" for w in workloads]
    if insert_c and "g" in workloads:
        labels[workloads.index("g")] += f" (wrk -c{insert_c})"
    ax_p99.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax_rps.legend(ncol=3, fontsize=8)
    ax_rps.set_title(
        f"fedgate vs PostGraphile {meta['versions'].get('postgraphile') or 'n/a'} and Directus "
        f"{meta['versions'].get('directus') or 'n/a'} — TPC-H SF {meta['scale']}, "
        f"wrk -c{meta['connections']}, {meta['date']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
