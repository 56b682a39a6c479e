#!/usr/bin/env python3
"""`behave train next-item` with no flags on a larger public sequence data set than ml-100k.

The data is the SASRec paper's Amazon Video Games file, `data/Video.txt` of
github.com/kang205/SASRec (31,013 users, 23,715 items, 287,107 interactions; one `user item`
pair per line in time order). It is not committed here; get it with

    git clone https://github.com/kang205/SASRec && cp SASRec/data/Video.txt .

Usage (from the repository root, after `swift build -c release`):

    python3 benchmarks/video_bench.py --behave .build/release/behave --data Video.txt [--seeds 1] [--threads 2]

Each seed is one `behave train next-item` run with defaults only (the recommended preset: the
history length fitted to the data, sampled softmax over 20 negatives, early stopping once
validation NDCG@10 gains less than 1% in 10 validations). Printed: the fitted length, epochs
run, the stop reason, training seconds and seconds to the kept epoch, and test HR@10 and
NDCG@10 under both protocols, beside the reference runs the issue reports on this machine
type (the original SASRec implementation after 40 epochs, and BehaviorKit's earlier default
after 200 epochs with `--max-length 50`). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare import run_child  # noqa: E402

REFERENCE = {
    "original_sasrec_40_epochs": {"sampled_hr10": 0.706, "sampled_ndcg10": 0.493},
    "earlier_default_200_epochs": {"sampled_hr10": 0.693, "sampled_ndcg10": 0.495, "minutes": 64},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--behave", required=True)
    parser.add_argument("--data", required=True, help="Video.txt from kang205/SASRec")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--threads", default="2")
    parser.add_argument("--work", help="folder for the store and models (default: a temporary one)")
    args = parser.parse_args()
    if not Path(args.data).exists():
        raise SystemExit(f"{args.data} is missing; see the instructions at the top of this script")
    work = Path(args.work or tempfile.mkdtemp(prefix="video-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    store = work / "video.db"
    if not store.exists():
        ingest = run_child([args.behave, "ingest", args.data, "--format", "user-item", "--store", str(store)], 600)
        if ingest.get("exit_code") != 0:
            raise SystemExit(f"behave ingest failed: {ingest.get('stderr_tail')}")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        out = work / f"sasrec-seed{seed}"
        record = run_child([args.behave, "train", "next-item", "--store", str(store), "--out", str(out),
                            "--seed", str(seed), "--threads", args.threads], 6 * 3600)
        if record.get("exit_code") != 0:
            raise SystemExit(f"behave train next-item failed: {record.get('stderr_tail')}")
        config = json.loads((out / "config.json").read_text())
        metrics = json.loads((out / "metrics.json").read_text())["test"]
        log = (out / "training.log").read_text().splitlines()
        kept = config["bestEpoch"]
        seconds_to_best = next((float(line.split()[4].rstrip("s")) for line in log
                                if line.startswith(f"epoch {kept} ")), float("nan"))
        rows.append({
            "seed": seed, "max_length": config["config"]["max-length"], "epochs": sum(1 for line in log if line.startswith("epoch ")),
            "kept_epoch": kept, "stop": config["stopReason"], "train_s": config["trainSeconds"],
            "seconds_to_best": seconds_to_best, "peak_rss_mib": record["peak_rss_mib"],
            "sampled_hr10": metrics["sampled"]["hr@10"], "sampled_ndcg10": metrics["sampled"]["ndcg@10"],
            "full_hr10": metrics["full"]["hr@10"], "full_ndcg10": metrics["full"]["ndcg@10"],
        })
    print("| seed | length | epochs | kept | stop | train s | s to kept | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['max_length']} | {r['epochs']} | {r['kept_epoch']} | {r['stop']} | {r['train_s']:.0f} | "
              f"{r['seconds_to_best']:.0f} | {r['sampled_hr10']:.4f} | {r['sampled_ndcg10']:.4f} | {r['full_hr10']:.4f} | "
              f"{r['full_ndcg10']:.4f} | {r['peak_rss_mib']:.0f} |")
    print(f"reference (from the issue): {json.dumps(REFERENCE)}")
    (work / "video_results.json").write_text(json.dumps({"runs": rows, "reference": REFERENCE}, indent=2))


if __name__ == "__main__":
    main()
