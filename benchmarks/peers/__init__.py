"""Side-by-side benchmark: fedgate against PostGraphile 5 and Directus 12 on the same TPC-H data.

    .venv/bin/python -m benchmarks.peers run [--duration 10] [--rounds 3] [--keep]
    .venv/bin/python -m benchmarks.peers install     # only install Node 22 and the peers
    .venv/bin/python -m benchmarks.peers clean       # drop leftover fgbench_* databases

Modules: dataset (TPC-H into PostgreSQL/MariaDB), install (npm into a cache),
servers (processes by PID), systems (how each gateway is started), workloads
(requests and row equality), wrk (the load generator), run (orchestration),
report (JSON, BENCHMARKS.md section, chart).
"""
