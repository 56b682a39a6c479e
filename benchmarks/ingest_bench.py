#!/usr/bin/env python3
"""Ingest benchmark (issue 3): `behave ingest` against `sqlite3`'s own `.import`.

Usage (from the repository root, after `swift build -c release --product behave`):

    python3 benchmarks/ingest_bench.py [--events 10000000] [--work DIR] [--behave PATH]

Simulates a CSV log with `behave simulate`, then loads it twice, each in its own process:
1. `behave ingest` into a fresh event store (parsing, validation, dictionary ids,
   de-duplication, reject accounting);
2. `sqlite3 -cmd '.import --csv --skip 1'` into an equivalent plain table with the same
   eight columns and no constraints (the floor: SQLite's own CSV loader, no checks).
Prints events/s and peak RSS (ru_maxrss of the child) for both, side by side. Standard
library only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

EQUIVALENT_TABLE = """
CREATE TABLE event (
    user_id TEXT NOT NULL, timestamp INTEGER NOT NULL, event_type TEXT NOT NULL, item_id TEXT,
    session_id TEXT, value REAL, duration REAL, category TEXT
);
"""


def run(argv: list[str], stdin_text: str | None = None) -> tuple[float, float, int]:
    """Runs a command; returns (seconds, peak RSS MiB, exit code)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if stdin_text is not None:
        assert process.stdin is not None
        process.stdin.write(stdin_text)
        process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and process.stderr is not None:
        sys.stderr.write(process.stderr.read()[-2000:])
    return seconds, usage.ru_maxrss / 1024.0, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--work", default=None, help="folder for the CSV and the databases (default: a temp dir)")
    parser.add_argument("--behave", default=".build/release/behave")
    args = parser.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="ingest-bench-")
    os.makedirs(work, exist_ok=True)
    csv_path = os.path.join(work, "events.csv")
    store_path = os.path.join(work, "behavior.db")
    plain_path = os.path.join(work, "plain.db")
    for path in (store_path, plain_path, store_path + "-wal", store_path + "-shm"):
        if os.path.exists(path):
            os.remove(path)

    print(f"simulating {args.events:,} events into {csv_path} ...", flush=True)
    seconds, _, code = run([args.behave, "simulate", "--events", str(args.events), "--seed", "1",
                            "--out", csv_path, "--ground-truth", os.path.join(work, "truth.json")])
    if code != 0:
        return code
    size_mib = os.path.getsize(csv_path) / 2**20
    print(f"  {size_mib:,.0f} MiB in {seconds:.1f} s", flush=True)

    load = os.getloadavg()
    print("behave ingest ...", flush=True)
    ours_s, ours_rss, code = run([args.behave, "ingest", csv_path, "--store", store_path])
    if code != 0:
        return code
    print("sqlite3 .import ...", flush=True)
    script = EQUIVALENT_TABLE + f".import --csv --skip 1 {csv_path} event\n"
    theirs_s, theirs_rss, code = run(["sqlite3", plain_path], stdin_text=script)
    if code != 0:
        return code

    print()
    print(f"{'loader':<16} {'seconds':>8} {'events/s':>12} {'peak RSS MiB':>13}")
    for name, secs, rss in (("behave ingest", ours_s, ours_rss), ("sqlite3 .import", theirs_s, theirs_rss)):
        print(f"{name:<16} {secs:>8.1f} {args.events / secs:>12,.0f} {rss:>13,.0f}")
    print(f"ratio={theirs_s / ours_s:.2f} (above 1: behave ingest is faster); "
          f"load average before: {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}; work folder {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
