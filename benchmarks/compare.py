#!/usr/bin/env python3
"""Run the BehaviorKit and PyTorch benchmarks side by side and compare them.

Usage (from the repository root):

    python3 benchmarks/compare.py [--swift-bin .build/release/behave-bench]
                                  [--python .venv/bin/python]
                                  [--cases mlp,lstm,...] [--threads 1,2]
                                  [--json-out results.json] [--markdown]

For every case and thread count, the Swift binary and then
``benchmarks/torch_bench.py`` are each run in their own subprocess with
``--case CASE --threads N``.  Each must print one JSON line on stdout
(see torch_bench.py for the format).  Before each run the 1/5/15-minute load
averages are recorded (and again after it, in the JSON output, as a hint of
contention during the run); after it the child's peak resident set size is taken from
``os.wait4``'s rusage (``ru_maxrss``, KiB on Linux).

A failing or missing implementation is reported (with the tail of its stderr)
and marked failed; the other side still runs.

Summary ``ratio`` > 1 means BehaviorKit is faster: for steps/s it is bk / pt,
for millisecond latencies it is pt / bk.

Note: PyTorch's peak RSS includes the cost of importing torch itself; the
script measures that baseline once (``import torch``) and reports it.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

CASES = ["mlp", "lstm", "sasrec", "vae", "mlp-latency", "sasrec-latency"]
HERE = Path(__file__).resolve().parent
TORCH_BENCH = HERE / "torch_bench.py"


def run_child(argv: list[str], timeout: float) -> dict:
    """Run argv, returning exit status, stdout, stderr, peak RSS and wall time."""
    record: dict = {"argv": argv, "loadavg_before": list(os.getloadavg())}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        try:
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                               (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        except OSError as exc:
            record.update(ok=False, error=f"cannot start: {exc}", stderr_tail="")
            return record
        timed_out = False
        while True:
            wpid, status, usage = os.wait4(pid, os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() - start > timeout:
                os.kill(pid, signal.SIGKILL)
                timed_out = True
                wpid, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.05)
        record["wall_s"] = round(time.monotonic() - start, 3)
        record["loadavg_after"] = list(os.getloadavg())
        record["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")

    code = os.waitstatus_to_exitcode(status)
    record["exit_code"] = code
    record["stderr_tail"] = "\n".join(stderr.strip().splitlines()[-15:])
    if timed_out:
        record.update(ok=False, error=f"timed out after {timeout:.0f}s")
        return record
    if code != 0:
        record.update(ok=False, error=f"exit code {code}")
        return record
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    try:
        record["result"] = json.loads(lines[-1])
        record["ok"] = True
    except (IndexError, json.JSONDecodeError) as exc:
        record.update(ok=False, error=f"no JSON result on stdout ({exc})")
    return record


def ratio(bk: dict | None, pt: dict | None) -> float | None:
    """> 1 means BehaviorKit is faster."""
    if not bk or not pt or not bk.get("value") or not pt.get("value"):
        return None
    if pt["unit"] == "ms":
        return pt["value"] / bk["value"]
    return bk["value"] / pt["value"]


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "FAILED"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def summary_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    header = ["case", "threads", "behaviorkit", "pytorch", "unit", "ratio",
              "bk p99", "pt p99", "bk RSS MiB", "pt RSS MiB", "load bk", "load pt"]
    table = []
    for row in rows:
        bk, pt = row["behaviorkit"], row["pytorch"]
        bk_res = bk.get("result") if bk.get("ok") else None
        pt_res = pt.get("result") if pt.get("ok") else None
        unit = (pt_res or bk_res or {}).get("unit", "?")
        r = row["ratio"]
        table.append([
            row["case"], str(row["threads"]),
            fmt(bk_res and bk_res.get("value")), fmt(pt_res and pt_res.get("value")),
            unit, f"ratio={r:.2f}" if r is not None else "ratio=n/a",
            fmt(bk_res and bk_res.get("p99_ms")) if unit == "ms" else "",
            fmt(pt_res and pt_res.get("p99_ms")) if unit == "ms" else "",
            fmt(bk.get("peak_rss_mib")) if bk.get("ok") else "-",
            fmt(pt.get("peak_rss_mib")) if pt.get("ok") else "-",
            "/".join(f"{x:.2f}" for x in bk["loadavg_before"]),
            "/".join(f"{x:.2f}" for x in pt["loadavg_before"]),
        ])
    return header, table


def print_text_table(header: list[str], table: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *table]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def print_markdown_table(header: list[str], table: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in table:
        print("| " + " | ".join(c.replace("ratio=", "") for c in r) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description="Compare BehaviorKit with PyTorch.")
    parser.add_argument("--swift-bin", default=".build/release/behave-bench")
    parser.add_argument("--python", default=".venv/bin/python")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="comma-separated subset of: " + ", ".join(CASES))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--json-out", help="write all results as JSON here")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = parser.parse_args()

    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    threads = [int(t) for t in args.threads.split(",") if t]
    swift = os.path.abspath(args.swift_bin)
    python = os.path.abspath(args.python)

    baseline = run_child([python, "-c", "import torch; torch.ones(1)"], args.timeout)
    torch_import_rss = baseline.get("peak_rss_mib") if baseline.get("exit_code") == 0 else None

    rows = []
    for case in cases:
        for n in threads:
            flags = ["--case", case, "--threads", str(n)]
            row = {"case": case, "threads": n}
            for impl, argv in (("behaviorkit", [swift, *flags]),
                               ("pytorch", [python, str(TORCH_BENCH), *flags])):
                print(f"[{impl}] {case} threads={n} ...", file=sys.stderr, flush=True)
                rec = run_child(argv, args.timeout)
                if rec["ok"]:
                    res = rec["result"]
                    print(f"    {res.get('value')} {res.get('unit')}  "
                          f"(peak RSS {rec['peak_rss_mib']} MiB, {rec['wall_s']} s)",
                          file=sys.stderr, flush=True)
                else:
                    print(f"    FAILED: {rec['error']}", file=sys.stderr)
                    if rec.get("stderr_tail"):
                        print("    " + rec["stderr_tail"].replace("\n", "\n    "),
                              file=sys.stderr)
                row[impl] = rec
            row["ratio"] = ratio(row["behaviorkit"].get("result"), row["pytorch"].get("result"))
            rows.append(row)

    header, table = summary_rows(rows)
    print()
    print_text_table(header, table)
    print(f"\nratio > 1: BehaviorKit faster.  load = 1/5/15-min load average before the run."
          f"\nPyTorch `import torch` alone: peak RSS {fmt(torch_import_rss)} MiB.")
    if args.markdown:
        print()
        print_markdown_table(header, table)

    if args.json_out:
        doc = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "cpu_count": os.cpu_count(),
               "torch_import_peak_rss_mib": torch_import_rss,
               "rows": rows}
        Path(args.json_out).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.json_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
