#!/usr/bin/env python3
"""Table classification: BehaviorKit's MLP against tuned gradient-boosted trees and PyTorch.

Usage (from the repository root, after `swift build -c release`):

    python3 benchmarks/classify_bench.py --data benchmarks/data/online_shoppers_intention.csv \
        --label Revenue [--seeds 1,2,3] [--parts quality,speed,scoring]

Parts:

* ``quality``  per seed: `behave train classify` (MLP 128-64 and logistic regression on
               a stratified 70/15/15 split), then `gbt_baseline.py` (scikit-learn
               HistGradientBoosting, 48 settings tuned on validation ROC-AUC) on the same rows
               (`split.json`); test ROC-AUC of all three.
* ``speed``    MLP training steps/s (17-128-64-1, batch 256, Adam, BCE): `behave-bench --case
               mlp` and `torch_bench.py --case mlp`, 1 and 2 threads.
* ``scoring``  `behave predict` on 1,000,000 rows (the table's rows repeated), wall time.

Standard library only (the GBT and PyTorch sides run in --python).
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


def quality(args, work: Path) -> dict:
    runs = []
    for seed in args.seeds:
        out = work / f"mlp-seed{seed}"
        record = run_child([args.behave, "train", "classify", "--data", args.data, "--label", args.label,
                            "--seed", str(seed), "--out", str(out)], 3600)
        if record.get("exit_code") != 0:
            raise SystemExit(f"behave train failed: {record.get('error')}\n{record.get('stderr_tail')}")
        metrics = json.loads((out / "metrics.json").read_text())
        gbt = run_child([args.python, str(HERE / "gbt_baseline.py"), "--data", args.data, "--split",
                         str(out / "split.json"), "--label", args.label], 3600)
        if not gbt.get("ok"):
            raise SystemExit(f"gbt_baseline.py failed: {gbt.get('error')}\n{gbt.get('stderr_tail')}")
        runs.append({"seed": seed, "mlp": metrics["test"]["model"]["rocAUC"],
                     "logistic": metrics["test"]["baseline"]["rocAUC"], "gbt": gbt["result"]["test_auc"],
                     "gbt_params": gbt["result"]["params"], "train_wall_s": record["wall_s"],
                     "peak_rss_mib": record["peak_rss_mib"]})
        print(f"  seed {seed}: MLP {runs[-1]['mlp']:.4f}, logistic {runs[-1]['logistic']:.4f}, "
              f"GBT {runs[-1]['gbt']:.4f}", file=sys.stderr, flush=True)
    return {"runs": runs, **{f"mean_{k}": statistics.mean(r[k] for r in runs) for k in ("mlp", "logistic", "gbt")}}


def speed(args) -> dict:
    result = {}
    for threads in (1, 2):
        ours = run_child([args.bench, "--case", "mlp", "--threads", str(threads)], 600)
        theirs = run_child([args.python, str(HERE / "torch_bench.py"), "--case", "mlp", "--threads", str(threads)], 600)
        if not ours.get("ok") or not theirs.get("ok"):
            raise SystemExit(f"mlp speed run failed: {ours.get('error')} / {theirs.get('error')}")
        result[f"threads{threads}"] = {"behaviorkit_steps_s": ours["result"]["value"],
                                       "pytorch_steps_s": theirs["result"]["value"],
                                       "ratio": ours["result"]["value"] / theirs["result"]["value"]}
    return result


def scoring(args, work: Path) -> dict:
    model = work / f"mlp-seed{args.seeds[0]}"
    lines = Path(args.data).read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], [line for line in lines[1:] if line.strip()]
    big = work / "million.csv"
    with big.open("w") as handle:
        handle.write(header + "\n")
        for k in range(1_000_000):
            handle.write(body[k % len(body)] + "\n")
    record = run_child([args.behave, "predict", str(model), "--data", str(big), "--out", str(work / "scored.csv")], 600)
    if record.get("exit_code") != 0:
        raise SystemExit(f"behave predict failed: {record.get('error')}\n{record.get('stderr_tail')}")
    return {"rows": 1_000_000, "wall_s": record["wall_s"], "peak_rss_mib": record["peak_rss_mib"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--behave", default=".build/release/behave")
    parser.add_argument("--bench", default=".build/release/behave-bench")
    parser.add_argument("--python", default=".venv/bin/python")
    parser.add_argument("--data", default="benchmarks/data/online_shoppers_intention.csv")
    parser.add_argument("--label", default="Revenue")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--parts", default="quality,speed,scoring")
    parser.add_argument("--json-out", default="benchmarks/classify_results.json")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="classify-bench-"))
    results: dict = {"data": args.data}
    parts = args.parts.split(",")
    if "quality" in parts:
        results["quality"] = quality(args, work)
    if "speed" in parts:
        results["speed"] = speed(args)
    if "scoring" in parts:
        if "quality" not in parts:
            raise SystemExit("--parts scoring needs quality (it scores with the first seed's model)")
        results["scoring"] = scoring(args, work)
    Path(args.json_out).write_text(json.dumps(results, indent=2, sort_keys=True))
    print("| measure | BehaviorKit | reference | bar |")
    print("|---|---|---|---|")
    if "quality" in results:
        q = results["quality"]
        n = len(q["runs"])
        print(f"| test ROC-AUC, MLP (mean of {n} seeds) | {q['mean_mlp']:.4f} | GBT {q['mean_gbt']:.4f} | >= GBT - 0.01 |")
        print(f"| test ROC-AUC, logistic regression | {q['mean_logistic']:.4f} | | |")
    if "speed" in results:
        for threads, s in results["speed"].items():
            print(f"| MLP training steps/s, {threads} | {s['behaviorkit_steps_s']:.0f} | PyTorch {s['pytorch_steps_s']:.0f} "
                  f"| ratio {s['ratio']:.2f} >= 1 |")
    if "scoring" in results:
        print(f"| batch scoring 1M rows (s) | {results['scoring']['wall_s']:.1f} | | < 10 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
