#!/usr/bin/env python3
"""Purchase prediction on simulated logs: sequence models against the MLP on aggregates and
logistic regression.

Usage (from the repository root, after `swift build -c release --product behave`):

    python3 benchmarks/outcome_bench.py [--seeds 1,2,3] [--models mlp,lstm,gru,cnn]

Steps: `behave simulate` (20,000 users over 60 days, simulation seed 5, no taken-over accounts or
click farms: the log the recorded numbers were measured on, before issue 12 planted those),
`behave ingest` into a fresh store, then for every training seed and model `behave train purchase --window 7d`
(cut-off: the last event minus 7 days; inputs only from before it). Every run also trains the
logistic-regression baseline on the feature table, so each row has its own baseline number.

What makes this a fair test: the simulator plants purchase intent as shopping missions (a few
days of category-focused sessions whose carted items are bought at a later checkout; newcomers
often arrive on one), so whether a user is mid-mission at the cut-off is written in the order
and timing of their last events, which per-user totals blur.

The stated margins (means over the seeds, test ROC-AUC): every sequence model named in
--sequence-bar beats the MLP by at least 0.01, and the MLP beats logistic regression by at
least 0.005. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare import run_child  # noqa: E402

SEQUENCE_MARGIN = 0.01
MLP_MARGIN = 0.005


def checked(record: dict, what: str) -> dict:
    if record.get("exit_code") != 0:
        raise SystemExit(f"{what} failed: {record.get('error')}\n{record.get('stderr_tail')}")
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--behave", default=".build/release/behave")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--simulation-seed", type=int, default=5)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--models", default="mlp,lstm,gru,cnn")
    parser.add_argument("--sequence-bar", default="lstm,gru", help="sequence models held to the margin over the MLP")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", default="benchmarks/outcome_results.json")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    models = [m for m in args.models.split(",") if m]
    work = Path(tempfile.mkdtemp(prefix="outcome-bench-"))
    events, store = work / "shop.csv", work / "shop.db"
    checked(run_child([args.behave, "simulate", "--users", str(args.users), "--days", str(args.days), "--seed",
                       str(args.simulation_seed), "--takeover-fraction", "0", "--farm-fraction", "0",
                       "--out", str(events)], 600), "behave simulate")
    checked(run_child([args.behave, "ingest", str(events), "--store", str(store)], 600), "behave ingest")

    runs = []
    for seed in seeds:
        for model in models:
            out = work / f"{model}-seed{seed}"
            record = checked(run_child([args.behave, "train", "purchase", "--window", "7d", "--model", model,
                                        "--store", str(store), "--seed", str(seed), "--threads", str(args.threads),
                                        "--out", str(out)], 3600), f"behave train --model {model}")
            metrics = json.loads((out / "metrics.json").read_text())
            config = json.loads((out / "config.json").read_text())
            runs.append({"seed": seed, "model": model, "test_auc": metrics["test"]["model"]["rocAUC"],
                         "baseline_test_auc": metrics["test"]["baseline"]["rocAUC"],
                         "test_pr_auc": metrics["test"]["model"]["prAUC"], "best_epoch": config["bestEpoch"],
                         "wall_s": record["wall_s"], "peak_rss_mib": record["peak_rss_mib"]})
            print(f"  seed {seed} {model}: test ROC-AUC {runs[-1]['test_auc']:.4f} "
                  f"(logistic {runs[-1]['baseline_test_auc']:.4f}), {record['wall_s']:.0f} s", file=sys.stderr, flush=True)

    mean = {m: statistics.mean(r["test_auc"] for r in runs if r["model"] == m) for m in models}
    mean["logistic"] = statistics.mean(r["baseline_test_auc"] for r in runs)
    checks = []
    if "mlp" in mean:
        checks.append((f"MLP - logistic >= {MLP_MARGIN}", mean["mlp"] - mean["logistic"], MLP_MARGIN))
        for model in args.sequence_bar.split(","):
            if model in mean:
                checks.append((f"{model} - MLP >= {SEQUENCE_MARGIN}", mean[model] - mean["mlp"], SEQUENCE_MARGIN))
    results = {"users": args.users, "days": args.days, "simulation_seed": args.simulation_seed, "runs": runs,
               "mean_test_auc": mean, "checks": [{"bar": b, "margin": v, "met": v >= t} for b, v, t in checks]}
    Path(args.json_out).write_text(json.dumps(results, indent=2, sort_keys=True))

    print(f"| model | test ROC-AUC (mean of {len(seeds)} seeds) | per seed |")
    print("|---|---|---|")
    for model in models + ["logistic"]:
        key = "baseline_test_auc" if model == "logistic" else "test_auc"
        per_seed = [r[key] for r in runs if model == "logistic" and r["model"] == models[0] or r["model"] == model]
        print(f"| {model} | {mean[model]:.4f} | {', '.join(f'{v:.4f}' for v in per_seed)} |")
    for bar, value, threshold in checks:
        print(f"{bar}: {value:+.4f} ({'met' if value >= threshold else 'MISSED'})")
    return 0 if all(v >= t for _, v, t in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
