#!/usr/bin/env python3
"""What differential privacy costs in quality: test ROC-AUC of private against non-private training.

Usage (from the repository root, after `swift build -c release --product behave`):

    python3 benchmarks/privacy/dp_utility_bench.py --behave .build/release/behave \
        [--users 20000] [--seeds 1,2,3] [--epsilons 8,3,1] \
        [--table benchmarks/data/online_shoppers_intention.csv --label Revenue]

Two tasks, each trained without a budget and then with `--dp-epsilon E` (δ 1e-5, every other
setting at its default, the noise seeded by the run's seed so the numbers reproduce):

* ``purchase``  `behave simulate --users N --seed S`, ingested, then `behave train purchase
                --window 7d` (MLP on the per-user feature table; the privacy unit is a user).
* ``table``     `behave train classify` on a public table (the UCI Online Shoppers
                Purchasing Intention table by default; the unit is a row, one session).

For each run it prints the test ROC-AUC of the model, its loss against the non-private model
of the same seed in points (100 x the AUC difference) and the wall time; the issue's targets
are losses of at most 1.5 / 3 / 6 points at ε 8 / 3 / 1. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from compare import run_child  # noqa: E402

TARGETS = {8.0: 1.5, 3.0: 3.0, 1.0: 6.0}


def train(argv: list[str], out: Path) -> dict:
    record = run_child(argv + ["--out", str(out), "--json"], 7200)
    if record.get("exit_code") != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {record.get('error')}\n{record.get('stderr_tail')}")
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    privacy = config.get("privacy")
    return {"auc": metrics["test"]["model"]["rocAUC"], "baseline_auc": metrics["test"]["baseline"]["rocAUC"],
            "wall_s": record["wall_s"], "epsilon": privacy["epsilon"] if privacy else None,
            "noise_multiplier": privacy["noiseMultiplier"] if privacy else None,
            "steps": privacy["steps"] if privacy else None}


def runs_for(task: str, base: list[str], seed: int, epsilons: list[float], work: Path) -> list[dict]:
    rows = []
    plain = train(base + ["--seed", str(seed)], work / f"{task}-{seed}-plain")
    rows.append({"task": task, "seed": seed, "budget": None, **plain, "loss_points": 0.0})
    print(f"  {task} seed {seed} non-private: {plain['auc']:.4f}", file=sys.stderr, flush=True)
    for epsilon in epsilons:
        private = train(base + ["--seed", str(seed), "--dp-epsilon", str(epsilon), "--dp-noise-seed", str(seed)],
                        work / f"{task}-{seed}-eps{epsilon:g}")
        loss = 100 * (plain["auc"] - private["auc"])
        rows.append({"task": task, "seed": seed, "budget": epsilon, **private, "loss_points": loss})
        print(f"  {task} seed {seed} ε {epsilon:g}: {private['auc']:.4f} (loss {loss:.2f} points)",
              file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", required=True)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epsilons", default="8,3,1")
    parser.add_argument("--table", default=str(HERE.parent / "data" / "online_shoppers_intention.csv"))
    parser.add_argument("--label", default="Revenue")
    parser.add_argument("--tasks", default="purchase,table")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    epsilons = [float(e) for e in args.epsilons.split(",")]
    tasks = args.tasks.split(",")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for seed in seeds:
            if "purchase" in tasks:
                log, store = work / f"shop-{seed}.csv", work / f"shop-{seed}.db"
                for argv in ([args.behave, "simulate", "--users", str(args.users), "--seed", str(seed),
                              "--out", str(log)],
                             [args.behave, "ingest", str(log), "--store", str(store)]):
                    record = run_child(argv, 3600)
                    if record.get("exit_code") != 0:
                        raise SystemExit(f"{' '.join(argv)} failed: {record.get('stderr_tail')}")
                rows += runs_for("purchase", [args.behave, "train", "purchase", "--store", str(store),
                                              "--window", "7d"], seed, epsilons, work)
            if "table" in tasks:
                rows += runs_for("table", [args.behave, "train", "classify", "--data", args.table,
                                           "--label", args.label], seed, epsilons, work)
    print("| task | ε | seeds | test ROC-AUC (mean) | loss, points (mean; worst) | target | σ | steps | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for task in tasks:
        for budget in [None] + epsilons:
            group = [r for r in rows if r["task"] == task and r["budget"] == budget]
            if not group:
                continue
            auc = statistics.mean(r["auc"] for r in group)
            losses = [r["loss_points"] for r in group]
            target = TARGETS.get(budget, "") if budget else ""
            sigma = f"{statistics.mean(r['noise_multiplier'] for r in group):.2f}" if budget else ""
            steps = f"{statistics.mean(r['steps'] for r in group):.0f}" if budget else ""
            print(f"| {task} | {'none' if budget is None else f'{budget:g}'} | {len(group)} | {auc:.4f} | "
                  f"{statistics.mean(losses):.2f}; {max(losses):.2f} | {target} | {sigma} | {steps} | "
                  f"{statistics.mean(r['wall_s'] for r in group):.1f} |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
