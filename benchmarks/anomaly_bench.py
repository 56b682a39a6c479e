#!/usr/bin/env python3
"""Anomaly detection: BehaviorKit's isolation forest, autoencoder and VAE against
scikit-learn's IsolationForest, on public outlier tables and at scale.

Usage (from the repository root, after `swift build -c release` of `behave` and
`behave-bench`; run with a Python that has numpy and scikit-learn):

    python benchmarks/anomaly_bench.py --behave .build/release/behave [--bench .build/release/behave-bench] [--seeds 1,2,3] \
        [--datasets cardio,thyroid,...] [--methods iforest,ae,vae] [--parts quality,speed] \
        [--behave-args "--latent-size 4"] [--json-out FILE]

Parts:

* ``quality``  The ADBench protocol (Han et al., NeurIPS 2022) on six ODDS tables
               (benchmarks/data/odds, see its README): at most 10,000 rows (stratified
               sample), a stratified 70/30 split, min-max scaling fitted on the train part,
               detectors fitted on the train part without labels, test ROC-AUC and PR-AUC
               (average precision); seeds 1-3. Ours: `behave anomalies --fit train.csv --data
               test.csv --model iforest|ae|vae --seed S --threads 1`; theirs:
               `IsolationForest(random_state=S)` on the same rows.
* ``speed``    Isolation forest fit + score of 1,000,000 x 32 standard normal rows in memory,
               one thread each, median of three: `behave-bench --case iforest` against
               scikit-learn (`n_jobs=1`); then `behave anomalies` on the same rows as a CSV,
               end to end; then k-means (k 8, one k-means++ seeding, 20 Lloyd iterations,
               tol 0) on the same rows, `behave-bench --case kmeans` against scikit-learn's
               `KMeans(algorithm="lloyd")` limited to one thread.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "odds"
DATASETS = ["cardio", "thyroid", "satellite", "shuttle", "pendigits", "mammography"]
METHODS = ["iforest", "dif", "ae", "vae"]


def load(name: str):
    with gzip.open(DATA / f"{name}.csv.gz", "rt") as handle:
        header = handle.readline().strip().split(",")
        values = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    assert header[-1] == "label", name
    return values[:, :-1], values[:, -1].astype(int)


def write_csv(path: Path, x, y):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"f{i}" for i in range(x.shape[1])] + ["label"])
        for row, label in zip(x, y):
            writer.writerow([f"{v:.9g}" for v in row] + [int(label)])


def behave_scores(args, train: Path, test: Path, method: str, seed: int, out: Path) -> tuple[list, float]:
    start = time.perf_counter()
    subprocess.run([args.behave, "anomalies", "--fit", str(train), "--data", str(test), "--model", method,
                    "--seed", str(seed), "--threads", "1", "--kind", "label=ignored", "--out", str(out)]
                   + args.behave_args.split(), check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    with open(out) as handle:
        scores = [float(row["anomaly_score"]) for row in csv.DictReader(handle)]
    return scores, seconds


def quality(args, work: Path) -> dict:
    results = {}
    for name in args.datasets:
        x_all, y_all = load(name)
        runs = []
        for seed in args.seeds:
            x, y = x_all, y_all
            if len(y) > 10_000:
                x, _, y, _ = train_test_split(x, y, train_size=10_000, stratify=y, random_state=seed)
            x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
            scaler = MinMaxScaler().fit(x_train)
            x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
            train, test = work / f"{name}-{seed}-train.csv", work / f"{name}-{seed}-test.csv"
            write_csv(train, x_train, y_train)
            write_csv(test, x_test, y_test)
            run = {"seed": seed}
            forest = IsolationForest(random_state=seed).fit(x_train)
            s = -forest.score_samples(x_test)
            run["sklearn-iforest"] = {"roc": roc_auc_score(y_test, s), "pr": average_precision_score(y_test, s)}
            for method in args.methods:
                scores, seconds = behave_scores(args, train, test, method, seed, work / "scored.csv")
                run[method] = {"roc": roc_auc_score(y_test, scores), "pr": average_precision_score(y_test, scores),
                               "seconds": seconds}
            runs.append(run)
            print(f"{name} seed {seed}: " + "  ".join(
                f"{key} {value['roc']:.4f}/{value['pr']:.4f}" for key, value in run.items() if key != "seed"),
                flush=True)
        results[name] = runs
    return results


def summarize(results: dict, methods: list) -> dict:
    columns = ["sklearn-iforest"] + methods
    table = {}
    for name, runs in results.items():
        table[name] = {c: {m: statistics.mean(r[c][m] for r in runs) for m in ("roc", "pr")} for c in columns}
    overall = {c: {m: statistics.mean(table[n][c][m] for n in table) for m in ("roc", "pr")} for c in columns}
    print("\nTest ROC-AUC / PR-AUC, mean of seeds (ADBench protocol)")
    print("| data set | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in table:
        print(f"| {name} | " + " | ".join(f"{table[name][c]['roc']:.4f} / {table[name][c]['pr']:.4f}" for c in columns)
              + " |")
    print("| **mean** | " + " | ".join(f"{overall[c]['roc']:.4f} / {overall[c]['pr']:.4f}" for c in columns) + " |")
    deep = max((m for m in methods if m != "iforest"), key=lambda m: overall[m]["roc"], default=None)
    if "iforest" in methods:
        gap = overall["iforest"]["roc"] - overall["sklearn-iforest"]["roc"]
        print(f"our iforest - scikit-learn iforest, mean ROC-AUC: {gap:+.4f} (target: within 0.01)")
        if deep:
            margin = overall[deep]["roc"] - overall["iforest"]["roc"]
            print(f"best deep detector ({deep}) - our iforest, mean ROC-AUC: {margin:+.4f} (target: >= 0)")
    return {"per_dataset": table, "overall": overall}


def speed(args, work: Path) -> dict:
    bench = subprocess.run([args.bench, "--case", "iforest", "--threads", "1"], check=True, capture_output=True,
                           text=True)
    ours = json.loads(bench.stdout.strip().splitlines()[-1])["value"]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1_000_000, 32)).astype(np.float32)
    runs = []
    for run in range(3):
        start = time.perf_counter()
        forest = IsolationForest(random_state=run + 1, n_jobs=1).fit(x)
        forest.score_samples(x)
        runs.append(time.perf_counter() - start)
    theirs = statistics.median(runs)
    print(f"\nisolation forest fit + score, 1,000,000 x 32 in memory, one thread, median of 3: behave {ours:.2f} s, "
          f"scikit-learn {theirs:.2f} s: ratio {theirs / ours:.2f}x (target >= 1)")
    path = work / "million.csv"
    with open(path, "w") as handle:
        handle.write(",".join(f"f{i}" for i in range(32)) + "\n")
        np.savetxt(handle, x, delimiter=",", fmt="%.6g")
    start = time.perf_counter()
    subprocess.run([args.behave, "anomalies", "--data", str(path), "--model", "iforest", "--threads", "1",
                    "--out", str(work / "million-scored.csv")], check=True, capture_output=True)
    command = time.perf_counter() - start
    print(f"`behave anomalies` on the same rows as a 1,000,000-row CSV (read, fit, score, write): {command:.1f} s")
    result = {"behave_seconds": ours, "sklearn_seconds": theirs, "ratio": theirs / ours, "command_seconds": command}
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    bench = subprocess.run([args.bench, "--case", "kmeans", "--threads", "1"], check=True, capture_output=True,
                           text=True)
    ours = json.loads(bench.stdout.strip().splitlines()[-1])["value"]
    runs = []
    with threadpool_limits(limits=1):
        for run in range(3):
            start = time.perf_counter()
            KMeans(n_clusters=8, n_init=1, max_iter=20, tol=0, algorithm="lloyd", random_state=run + 1).fit(x)
            runs.append(time.perf_counter() - start)
    theirs = statistics.median(runs)
    print(f"k-means, k 8, one seeding, 20 Lloyd iterations, 1,000,000 x 32, one thread, median of 3: behave "
          f"{ours:.2f} s, scikit-learn {theirs:.2f} s: ratio {theirs / ours:.2f}x (target >= 1)")
    result["kmeans"] = {"behave_seconds": ours, "sklearn_seconds": theirs, "ratio": theirs / ours}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", required=True)
    parser.add_argument("--bench", default=".build/release/behave-bench")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--parts", default="quality,speed")
    parser.add_argument("--behave-args", default="", help="Extra flags for `behave anomalies` (settings to compare).")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.datasets = args.datasets.split(",")
    args.methods = args.methods.split(",")
    parts = args.parts.split(",")
    report = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        if "quality" in parts:
            report["quality"] = quality(args, work)
            report["summary"] = summarize(report["quality"], args.methods)
        if "speed" in parts:
            report["speed"] = speed(args, work)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    sys.exit(main())
