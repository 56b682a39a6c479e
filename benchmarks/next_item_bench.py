#!/usr/bin/env python3
"""Next-item recommendation on MovieLens-100K: BehaviorKit against the issue's reference runs.

Usage (from the repository root, after `swift build -c release`):

    python3 benchmarks/next_item_bench.py --behave .build/release/behave \
        --bench .build/release/behave-bench --python .venv/bin/python \
        --data ../shared/data/ml-100k/ml-100k.inter [--seeds 1,2,3,4,5] [--parts speed,sampled,full,serving]

Parts (each training run is its own `behave train` process; peak RSS from wait4):

* ``speed``    SASRec epoch time in pmixer's setting (943 sequences, maxlen 200, hidden 50,
               2 blocks, batch 128, BCE with one negative), 2 threads, BehaviorKit
               (`behave train`, epoch times from training.log) and the PyTorch reference
               (`torch_sasrec_epoch.py`, same model and data) in the same run; median of
               epochs 2-6.
* ``sampled``  `behave train next-item` with no flags (the recommended preset: SASRec in
               pmixer's architecture, maxlen 200, hidden 50, 2 blocks, batch 128, trained with
               sampled softmax over the target and 20 negatives, at most 200 epochs, early
               stopping once validation NDCG@10 gains less than 1% in 10 validations), one run
               per seed; test NDCG@10 / HR@10 under both protocols.
* ``full``     Full-ranking protocol: SASRec with cross-entropy (RecBole-like sizes: maxlen 50,
               hidden 64, 2 heads, inner 256, dropout 0.5) with a 300 s training budget and
               until early stopping; GRU4Rec with its defaults; popularity.
* ``serving``  Top-10 over all items for one 200-item history through a trained model
               directory (`behave-bench --case next-item-serving`), 1 thread, p50 / p99.

Reference numbers (from the issue, measured on this machine type with 2 threads) are printed
beside ours.  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare import run_child  # noqa: E402

REFERENCE = {
    "pmixer_epoch_s": 3.6,
    "pmixer_sampled_ndcg10": 0.4527, "pmixer_sampled_hr10": 0.7487,
    "recbole_sasrec_full_ndcg10": 0.0447, "recbole_sasrec_full_hr10": 0.1007, "recbole_sasrec_train_s": 1012,
    "recbole_gru4rec_full_ndcg10": 0.0452, "recbole_gru4rec_full_hr10": 0.0976,
    "pmixer_serving_p50_ms": 1.33, "pmixer_serving_p99_ms": 2.24,
}
# The sampled part trains `behave train next-item` as a user would: no flags (the recommended preset).
SASREC_SAMPLED: list[str] = []
SASREC_CE = ["--loss", "ce", "--max-length", "50", "--hidden", "64", "--heads", "2", "--feed-forward-size", "256",
             "--dropout", "0.5", "--evaluate-every", "2", "--monitor", "full", "--sliding-windows",
             "--epochs", "1000", "--patience", "10", "--minimum-improvement", "0"]


def train(args, work: Path, name: str, flags: list[str], timeout: float = 7200) -> dict:
    """Runs `behave train`, returning metrics, the log's epoch times and peak RSS."""
    out = work / name
    argv = [args.behave, "train", "next-item", "--store", str(work / "ml.db"), "--out", str(out), "--threads", "2",
            *flags]
    print(f"  behave train {name}: {' '.join(flags)}", file=sys.stderr, flush=True)
    record = run_child(argv, timeout)
    if record.get("exit_code") != 0:
        raise SystemExit(f"behave train {name} failed: {record.get('error')}\n{record.get('stderr_tail')}")
    log = (out / "training.log").read_text().splitlines()
    times = [float(m.group(1)) for line in log if (m := re.match(r"epoch \d+ .* ([0-9.]+)s", line))]
    manifest = json.loads((out / "config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    return {"metrics": metrics, "epoch_end_seconds": times, "peak_rss_mib": record["peak_rss_mib"],
            "train_seconds": manifest["trainSeconds"], "best_epoch": manifest["bestEpoch"],
            "stop": manifest["stopReason"], "directory": str(out), "wall_s": record["wall_s"]}


def metric(run: dict, protocol: str, name: str) -> float:
    return run["metrics"]["test"][protocol][name]


def part_speed(args, work: Path, results: dict) -> None:
    ours = train(args, work, "speed", ["--preset", "paper", "--epochs", "6", "--evaluate-every", "1000",
                                      "--patience", "0", "--seed", "1"])
    ends = ours["epoch_end_seconds"]
    epochs = [b - a for a, b in zip(ends, ends[1:])]
    torch_run = run_child([args.python, str(HERE / "torch_sasrec_epoch.py"), "--data", args.data,
                           "--threads", "2", "--epochs", "6"], 3600)
    if not torch_run.get("ok"):
        raise SystemExit(f"torch_sasrec_epoch.py failed: {torch_run.get('error')}\n{torch_run.get('stderr_tail')}")
    theirs = torch_run["result"]["epoch_seconds"][1:]
    results["speed"] = {
        "behaviorkit_epoch_s": statistics.median(epochs), "behaviorkit_epochs_s": epochs,
        "pytorch_epoch_s": statistics.median(theirs), "pytorch_epochs_s": theirs,
        "pytorch_version": torch_run["result"]["version"], "behaviorkit_peak_rss_mib": ours["peak_rss_mib"],
        "pytorch_peak_rss_mib": torch_run["peak_rss_mib"],
    }


def part_sampled(args, work: Path, results: dict) -> None:
    runs = [train(args, work, f"sasrec-seed{seed}", ["--model", "sasrec", *SASREC_SAMPLED, "--seed", str(seed)])
            for seed in args.seeds]
    results["sampled"] = {
        "runs": runs,
        "mean_ndcg10": statistics.mean(metric(r, "sampled", "ndcg@10") for r in runs),
        "mean_hr10": statistics.mean(metric(r, "sampled", "hr@10") for r in runs),
        "mean_full_ndcg10": statistics.mean(metric(r, "full", "ndcg@10") for r in runs),
        "max_peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
    }


def part_full(args, work: Path, results: dict) -> None:
    results["full"] = {
        "sasrec_300s": train(args, work, "sasrec-ce-300s", ["--model", "sasrec", *SASREC_CE, "--time-budget", "300"]),
        "sasrec_converged": train(args, work, "sasrec-ce", ["--model", "sasrec", *SASREC_CE]),
        "gru4rec": train(args, work, "gru4rec", ["--model", "gru4rec", "--preset", "paper"]),
        "pop": train(args, work, "pop", ["--model", "pop"]),
    }


def part_serving(args, work: Path, results: dict) -> None:
    """Latency does not depend on the weights: a one-epoch SASRec in pmixer's setting serves."""
    model = work / "serving-model"
    if not model.exists():
        train(args, work, "serving-model", ["--model", "sasrec", "--epochs", "1"])
    record = run_child([args.bench, "--case", "next-item-serving", "--model", str(model), "--threads", "1"], 600)
    if not record.get("ok"):
        raise SystemExit(f"behave-bench next-item-serving failed: {record.get('error')}\n{record.get('stderr_tail')}")
    results["serving"] = {"p50_ms": record["result"]["p50_ms"], "p99_ms": record["result"]["p99_ms"],
                          "peak_rss_mib": record["peak_rss_mib"]}


def report(results: dict) -> None:
    rows = []
    ref = REFERENCE
    if "speed" in results:
        s = results["speed"]
        rows.append(("SASRec epoch, pmixer setting, 2 threads (s)", s["behaviorkit_epoch_s"],
                     f"PyTorch same run {s['pytorch_epoch_s']:.2f}; pmixer {ref['pmixer_epoch_s']}",
                     f"<= 3.6; ratio {s['pytorch_epoch_s'] / s['behaviorkit_epoch_s']:.2f}x"))
    if "sampled" in results:
        s = results["sampled"]
        n = len(s["runs"])
        rows.append((f"SASRec sampled test NDCG@10 (mean of {n} seeds)", s["mean_ndcg10"],
                     f"pmixer {ref['pmixer_sampled_ndcg10']}", ">= 0.45"))
        rows.append((f"SASRec sampled test HR@10 (mean of {n} seeds)", s["mean_hr10"],
                     f"pmixer {ref['pmixer_sampled_hr10']}", ">= 0.75"))
        rows.append((f"SASRec defaults, full test NDCG@10 (mean of {n} seeds)", s["mean_full_ndcg10"],
                     f"RecBole {ref['recbole_sasrec_full_ndcg10']}", ">= 0.05"))
        rows.append(("SASRec training peak RSS (MiB)", s["max_peak_rss_mib"], "", "< 1024"))
    if "full" in results:
        f = results["full"]
        budget = f["sasrec_300s"]
        rows.append((f"SASRec full test NDCG@10 after {budget['train_seconds']:.0f} s training",
                     metric(budget, "full", "ndcg@10"),
                     f"RecBole {ref['recbole_sasrec_full_ndcg10']} after {ref['recbole_sasrec_train_s']} s", ">= 0.0447"))
        conv = f["sasrec_converged"]
        rows.append((f"SASRec full test NDCG@10 converged ({conv['train_seconds']:.0f} s, epoch {conv['best_epoch']})",
                     metric(conv, "full", "ndcg@10"), "", "reported"))
        rows.append(("SASRec full test HR@10 converged", metric(conv, "full", "hr@10"),
                     f"RecBole {ref['recbole_sasrec_full_hr10']}", ""))
        gru = f["gru4rec"]
        rows.append((f"GRU4Rec full test NDCG@10 ({gru['train_seconds']:.0f} s, epoch {gru['best_epoch']})",
                     metric(gru, "full", "ndcg@10"), f"RecBole {ref['recbole_gru4rec_full_ndcg10']}", ">= 0.0452"))
        rows.append(("GRU4Rec full test HR@10", metric(gru, "full", "hr@10"),
                     f"RecBole {ref['recbole_gru4rec_full_hr10']}", ""))
        rows.append(("Popularity full test NDCG@10", metric(f["pop"], "full", "ndcg@10"), "", "models clearly above"))
        rows.append(("Training peak RSS, full-ranking runs (MiB)",
                     max(r["peak_rss_mib"] for r in f.values()), "", "< 1024"))
    if "serving" in results:
        s = results["serving"]
        rows.append(("Top-10, 200-item history, 1 thread, p50 (ms)", s["p50_ms"], f"pmixer {ref['pmixer_serving_p50_ms']}", ""))
        rows.append(("Top-10, 200-item history, 1 thread, p99 (ms)", s["p99_ms"], f"pmixer {ref['pmixer_serving_p99_ms']}", "< 2 (goal < 1)"))
    print("| measure | BehaviorKit | reference | bar |")
    print("|---|---|---|---|")
    for name, ours, reference, bar in rows:
        value = f"{ours:.4f}" if isinstance(ours, float) and ours < 10 else f"{ours:.1f}"
        print(f"| {name} | {value} | {reference} | {bar} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--behave", default=".build/release/behave")
    parser.add_argument("--bench", default=".build/release/behave-bench")
    parser.add_argument("--python", default=".venv/bin/python")
    parser.add_argument("--data", default="../shared/data/ml-100k/ml-100k.inter")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--parts", default="speed,full,serving,sampled")
    parser.add_argument("--work", help="Directory for the store and models (default: a temporary one).")
    parser.add_argument("--json-out", default="benchmarks/next_item_results.json")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    parts = [p for p in args.parts.split(",") if p]

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="next-item-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    ingest = run_child([args.behave, "ingest", args.data, "--store", str(work / "ml.db")], 600)
    if ingest.get("exit_code") != 0:
        raise SystemExit(f"behave ingest failed: {ingest.get('error')}\n{ingest.get('stderr_tail')}")
    results: dict = {"reference": REFERENCE, "work": str(work)}
    steps = {"speed": part_speed, "sampled": part_sampled, "full": part_full, "serving": part_serving}
    for part in parts:
        if part not in steps:
            raise SystemExit(f"unknown part '{part}' (one of: {', '.join(steps)})")
        print(f"{part}...", file=sys.stderr, flush=True)
        steps[part](args, work, results)
        Path(args.json_out).write_text(json.dumps(results, indent=2, sort_keys=True))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
