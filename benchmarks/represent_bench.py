#!/usr/bin/env python3
"""Segments and anomalies on simulated logs whose truth is known.

Usage (from the repository root, after `swift build -c release --product behave`):

    python3 benchmarks/represent_bench.py --behave .build/release/behave [--seeds 1,2,3] [--users 5000] \
        [--distinct-segments]

Per seed: `behave simulate` (USERS users, 30 days, the default planted bots, fraud, account
takeovers and click farms; with --distinct-segments, segments planted to be told apart),
`behave ingest`, then

* segments: `behave segment --method kmeans|gmm|embedding [--k 5]`, `--method rfm`, and
  k-means on the sequence VAE's codes (`behave embed --model seq-vae`, then `behave segment
  --vectors`, "seq-vae"); the adjusted Rand index of the segments against the planted ones,
  over the regular users (those with a planted segment and no anomalous role);
* anomalies: `behave anomalies --store --model iforest|dif|ae|vae|rate`; per planted kind (bot,
  fraud, takeover, farm) the recall at the score that flags 1% of the normal users;
* sessions: `behave anomalies --store --level session --model iforest|rate`; the recall of the
  planted fraud bursts and takeover sessions at the score that flags 1% of normal users'
  sessions.

Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SEGMENT_METHODS = [("kmeans", None), ("kmeans", 5), ("gmm", None), ("gmm", 5), ("embedding", None),
                   ("embedding", 5), ("rfm", None), ("seq-vae", None), ("seq-vae", 5)]
ANOMALY_METHODS = ["iforest", "dif", "ae", "vae", "rate"]
KINDS = ["bot", "fraud", "takeover", "farm"]


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def adjusted_rand_index(a: list, b: list) -> float:
    from math import comb
    pairs = {}
    for x, y in zip(a, b):
        pairs[(x, y)] = pairs.get((x, y), 0) + 1
    rows, cols = {}, {}
    for (x, y), n in pairs.items():
        rows[x] = rows.get(x, 0) + n
        cols[y] = cols.get(y, 0) + n
    index = sum(comb(n, 2) for n in pairs.values())
    row_sum = sum(comb(n, 2) for n in rows.values())
    col_sum = sum(comb(n, 2) for n in cols.values())
    expected = row_sum * col_sum / comb(len(a), 2)
    maximum = (row_sum + col_sum) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def kind_of(user: dict) -> str:
    if user.get("is_bot"):
        return "bot"
    if user.get("is_fraud"):
        return "fraud"
    if user.get("takeover_timestamp") is not None:
        return "takeover"
    if user.get("farm") is not None:
        return "farm"
    return "normal"


def one_seed(args, seed: int, work: Path) -> dict:
    events = work / f"shop-{seed}.csv"
    store = work / f"shop-{seed}.db"
    run([args.behave, "simulate", "--users", str(args.users), "--days", "30", "--seed", str(seed), "--out",
         str(events)] + (["--distinct-segments"] if args.distinct_segments else []))
    truth = json.loads((work / f"shop-{seed}.truth.json").read_text())
    run([args.behave, "ingest", str(events), "--store", str(store)])
    users = {u["id"]: u for u in truth["users"]}
    result = {"seed": seed, "segments": {}, "anomalies": {}}
    if any(method == "seq-vae" for method, _ in SEGMENT_METHODS):
        run([args.behave, "embed", "--store", str(store), "--model", "seq-vae", "--seed", str(seed), "--name", "seq",
             "--out", str(work / f"seq-{seed}")])
    for method, k in SEGMENT_METHODS:
        out = work / "segments.csv"
        command = [args.behave, "segment", "--store", str(store), "--seed", str(seed), "--out", str(out), "--json"]
        command += ["--vectors", "seq"] if method == "seq-vae" else ["--method", method]
        if k:
            command += ["--k", str(k)]
        report = json.loads(run(command))
        with open(out) as handle:
            found = {row["user"]: row["segment"] for row in csv.DictReader(handle)}
        regular = [u for u in found if kind_of(users[u]) == "normal" and users[u].get("segment") is not None]
        ari = adjusted_rand_index([found[u] for u in regular], [users[u]["segment"] for u in regular])
        name = f"{method}" + (f" k={k}" if k else " (k chosen)")
        result["segments"][name] = {"ari": ari, "segments": len(report["segments"]),
                                    "silhouette": report.get("silhouette"), "stability": report.get("stability")}
        print(f"seed {seed} segments {name}: ARI {ari:.3f}, {len(report['segments'])} segments", flush=True)
    for method in ANOMALY_METHODS:
        out = work / "anomalies.csv"
        run([args.behave, "anomalies", "--store", str(store), "--model", method, "--seed", str(seed), "--out",
             str(out), "--json"])
        with open(out) as handle:
            scores = {row["user"]: float(row["anomaly_score"]) for row in csv.DictReader(handle)}
        normal = sorted(scores[u] for u in scores if kind_of(users[u]) == "normal")
        cut = normal[min(len(normal) - 1, int(0.99 * len(normal)))]
        recalls = {}
        for kind in KINDS:
            members = [u for u in scores if kind_of(users[u]) == kind]
            recalls[kind] = sum(scores[u] > cut for u in members) / len(members) if members else None
        result["anomalies"][method] = recalls
        print(f"seed {seed} anomalies {method}: " + ", ".join(
            f"{kind} {value:.2f}" for kind, value in recalls.items() if value is not None), flush=True)
    for method in ["iforest", "rate"]:
        out = work / "sessions.csv"
        run([args.behave, "anomalies", "--store", str(store), "--level", "session", "--model", method, "--seed",
             str(seed), "--out", str(out), "--json"])
        with open(out) as handle:
            scores = {(row["user"], row["session"]): float(row["anomaly_score"]) for row in csv.DictReader(handle)}
        planted = {}
        for user in users.values():
            for session in user.get("fraud_sessions", []):
                planted[(user["id"], session)] = "fraud"
            for session in user.get("takeover_sessions", []):
                planted[(user["id"], session)] = "takeover"
        normal = sorted(score for key, score in scores.items()
                        if key not in planted and kind_of(users[key[0]]) == "normal")
        cut = normal[min(len(normal) - 1, int(0.99 * len(normal)))]
        recalls = {}
        for kind in ["fraud", "takeover"]:
            members = [key for key, value in planted.items() if value == kind and key in scores]
            recalls[kind] = sum(scores[key] > cut for key in members) / len(members) if members else None
        result["sessions"] = result.get("sessions", {})
        result["sessions"][method] = recalls
        print(f"seed {seed} session anomalies {method}: " + ", ".join(
            f"{kind} sessions {value:.2f}" for kind, value in recalls.items() if value is not None), flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--distinct-segments", action="store_true",
                        help="Simulate with --distinct-segments (segments behaviour can tell apart)")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        runs = [one_seed(args, seed, Path(directory)) for seed in seeds]
    print("\nPlanted segments, adjusted Rand index over regular users (mean of seeds)")
    for name in runs[0]["segments"]:
        values = [r["segments"][name]["ari"] for r in runs]
        print(f"| {name} | {statistics.mean(values):.3f} | " + " / ".join(f"{v:.3f}" for v in values) + " |")
    print("\nRecall at 1% false positives among normal users (mean of seeds)")
    print("| method | " + " | ".join(KINDS) + " |")
    for method in ANOMALY_METHODS:
        cells = []
        for kind in KINDS:
            values = [r["anomalies"][method][kind] for r in runs if r["anomalies"][method][kind] is not None]
            cells.append(f"{statistics.mean(values):.2f}" if values else "-")
        print(f"| {method} | " + " | ".join(cells) + " |")
    print("\nSession recall at 1% false positives among normal users' sessions (mean of seeds)")
    for method in ["iforest", "rate"]:
        cells = []
        for kind in ["fraud", "takeover"]:
            values = [r["sessions"][method][kind] for r in runs if r["sessions"][method][kind] is not None]
            cells.append(f"{kind} {statistics.mean(values):.2f}" if values else f"{kind} -")
        print(f"| {method} | " + " | ".join(cells) + " |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    sys.exit(main())
