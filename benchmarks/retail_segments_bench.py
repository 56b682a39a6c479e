#!/usr/bin/env python3
"""Segments that mean something: do segments built on a calibration period separate what
customers do after it?

Usage (from the repository root, after `swift build -c release --product behave`):

    python3 benchmarks/retail_segments_bench.py --behave .build/release/behave \
        [--events benchmarks/data/retail/online_retail_events.csv.gz] [--at 2011-09-09] [--seeds 1,2,3]

EVENTS: a purchase log as `behave ingest` reads it (user_id, timestamp, event_type, item_id,
value, category; gzip or not); by default the UCI Online Retail log in benchmarks/data/retail
(its README says where it came from and how it was converted). Steps:

1. `behave ingest`, then segments of the customers from the events before --at:
   `behave segment --method embedding|kmeans|gmm|rfm` (k chosen among 2-8), k-means on the
   sequence VAE's codes (`behave embed --model seq-vae`, `behave segment --vectors`), and two
   baselines computed here: the RFM score cells (recency, frequency and monetary quintiles,
   up to 125 cells) and k-means on the three RFM columns alone (`behave segment --data`).
2. Outcomes after --at: repurchase (any purchase) and log(1 + spend).
3. Per seed, a random half of the customers estimates each segment's repurchase rate and mean
   log spend; the other half is scored with them: repurchase ROC-AUC and spend R^2.

Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def roc_auc(scores: list[float], labels: list[int]) -> float:
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum = sum(r for r, y in zip(ranks, labels) if y == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def r_squared(predictions: list[float], values: list[float]) -> float:
    mean = statistics.mean(values)
    total = sum((v - mean) ** 2 for v in values)
    residual = sum((v - p) ** 2 for v, p in zip(values, predictions))
    return 1 - residual / total


def quintiles(values: dict) -> dict:
    order = sorted(values, key=lambda user: (values[user], user))
    return {user: min(5, rank * 5 // len(order) + 1) for rank, user in enumerate(order)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", required=True)
    parser.add_argument("--events", default=str(Path(__file__).resolve().parent / "data" / "retail"
                                                  / "online_retail_events.csv.gz"))
    parser.add_argument("--at", default="2011-09-09")
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    cut = datetime.fromisoformat(args.at).replace(tzinfo=timezone.utc)
    seeds = [int(s) for s in args.seeds.split(",")]

    before: dict[str, list] = {}
    after_spend: dict[str, float] = {}
    opener = gzip.open if args.events.endswith(".gz") else open
    with opener(args.events, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            when = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
            if when < cut:
                before.setdefault(row["user_id"], []).append((when, float(row["value"] or 0)))
            else:
                after_spend[row["user_id"]] = after_spend.get(row["user_id"], 0.0) + float(row["value"] or 0)
    customers = sorted(before)
    repurchase = {u: int(u in after_spend) for u in customers}
    spend = {u: math.log1p(after_spend.get(u, 0.0)) for u in customers}
    print(f"{len(customers)} customers before {args.at}; {sum(repurchase.values())} bought again after it", flush=True)

    segments: dict[str, dict[str, str]] = {}
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        store = work / "retail.db"
        run([args.behave, "ingest", args.events, "--store", str(store)])
        for method in ["embedding", "kmeans", "gmm", "rfm"]:
            out = work / f"{method}.csv"
            info = json.loads(run([args.behave, "segment", "--store", str(store), "--at", args.at, "--method", method,
                                   "--out", str(out), "--name", method, "--json"]))
            with open(out) as handle:
                segments[method] = {row["user"]: row["segment"] for row in csv.DictReader(handle)}
            report[method] = {"segments": len(info["segments"]), "silhouette": info.get("silhouette")}
        # The sequence VAE's codes of each customer's events before the cut, segmented by k-means.
        run([args.behave, "embed", "--store", str(store), "--at", args.at, "--model", "seq-vae", "--name", "seq",
             "--out", str(work / "seq")])
        out = work / "seq-vae.csv"
        info = json.loads(run([args.behave, "segment", "--store", str(store), "--at", args.at, "--vectors", "seq",
                               "--out", str(out), "--name", "seq-vae", "--json"]))
        with open(out) as handle:
            segments["seq-vae"] = {row["user"]: row["segment"] for row in csv.DictReader(handle)}
        report["seq-vae"] = {"segments": len(info["segments"]), "silhouette": info.get("silhouette")}
        # Baselines: RFM score cells, and k-means on the three RFM columns.
        last_day = max(when for events in before.values() for when, _ in events)
        recency = {u: (last_day - max(w for w, _ in before[u])).total_seconds() / 86400 for u in customers}
        frequency = {u: len({w for w, _ in before[u]}) for u in customers}
        monetary = {u: sum(v for _, v in before[u]) for u in customers}
        r, f, m = quintiles({u: -recency[u] for u in customers}), quintiles(frequency), quintiles(monetary)
        segments["rfm cells"] = {u: f"{r[u]}{f[u]}{m[u]}" for u in customers}
        report["rfm cells"] = {"segments": len(set(segments["rfm cells"].values())), "silhouette": None}
        table = work / "rfm.csv"
        with open(table, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["user", "recency_days", "orders", "spend"])
            for u in customers:
                writer.writerow([u, f"{recency[u]:.4f}", frequency[u], f"{monetary[u]:.2f}"])
        out = work / "rfm-kmeans.csv"
        info = json.loads(run([args.behave, "segment", "--data", str(table), "--id", "user", "--method", "kmeans",
                               "--out", str(out), "--json"]))
        with open(out) as handle:
            segments["kmeans on rfm"] = {row["user"]: row["segment"] for row in csv.DictReader(handle)}
        report["kmeans on rfm"] = {"segments": len(info["segments"]), "silhouette": info.get("silhouette")}

    print("\n| segments | count | silhouette | repurchase ROC-AUC | spend R^2 |")
    print("|---|---|---|---|---|")
    for name, labels in segments.items():
        aucs, r2s = [], []
        for seed in seeds:
            shuffled = [u for u in customers if u in labels]
            random.Random(seed).shuffle(shuffled)
            half = len(shuffled) // 2
            fit, test = shuffled[:half], shuffled[half:]
            rate, mean_spend = {}, {}
            for segment in set(labels[u] for u in fit):
                members = [u for u in fit if labels[u] == segment]
                rate[segment] = statistics.mean(repurchase[u] for u in members)
                mean_spend[segment] = statistics.mean(spend[u] for u in members)
            overall_rate = statistics.mean(repurchase[u] for u in fit)
            overall_spend = statistics.mean(spend[u] for u in fit)
            aucs.append(roc_auc([rate.get(labels[u], overall_rate) for u in test], [repurchase[u] for u in test]))
            r2s.append(r_squared([mean_spend.get(labels[u], overall_spend) for u in test], [spend[u] for u in test]))
        silhouette = report[name]["silhouette"]
        print(f"| {name} | {report[name]['segments']} | " + (f"{silhouette:.3f}" if silhouette is not None else "-")
              + f" | {statistics.mean(aucs):.4f} | {statistics.mean(r2s):.4f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
