#!/usr/bin/env python3
"""Utility of private recommenders and private user embeddings, against their non-private runs.

What it measures
----------------
* ``next-item``: ``behave train next-item`` (SASRec, the recommended preset) on each store,
  without a budget and with ``--dp-epsilon E`` for every E. The private run's metrics are
  those of its held-out users (20% of the users, not protected); the non-private run's are
  every user's. Both are leave-one-out test metrics under the full protocol (the target among
  all items): NDCG@10 and HR@10, and the seconds the run took.
* ``embed`` (stores simulated with ``--distinct-segments``, whose ``.truth.json`` sits beside
  the ``.db``): ``behave embed --model M`` (``--embed-models``, default vae) with and without
  a budget, then ``behave segment --vectors ... --k 5`` on the codes, and the adjusted Rand
  index of those segments against the planted ones over regular users (what
  represent_bench.py reports as "embedding k=5" and "seq-vae k=5").

Only the standard library is needed; ``--behave`` is a release build of the CLI. Stores are
given (``--store``, repeatable), simulated (``--simulate 1,2,3``: ``behave simulate --users
5000 --days 30 --distinct-segments --seed S``) or MovieLens-100K's (``--ml-100k DIR``, the
RecBole atomic files), all ingested into ``--work``.

    python3 benchmarks/privacy/private_models_bench.py --behave .build/release/behave \\
        --simulate 1,2,3 --ml-100k ../shared/data/ml-100k --epsilons 8,3,1 --threads 1

Prints one line per run on stderr and a markdown table per task on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def run(command: list[str]) -> tuple[str, float]:
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return done.stdout, time.monotonic() - start


def adjusted_rand_index(a: list, b: list) -> float:
    def pairs(n: int) -> float:
        return n * (n - 1) / 2

    joint = Counter(zip(a, b))
    index = sum(pairs(n) for n in joint.values())
    left = sum(pairs(n) for n in Counter(a).values())
    right = sum(pairs(n) for n in Counter(b).values())
    expected = left * right / pairs(len(a))
    maximum = (left + right) / 2
    return (index - expected) / (maximum - expected) if maximum != expected else 1.0


def is_regular(user: dict) -> bool:
    """Not a planted bot, fraudster, taken-over account or click-farm account."""
    return not (user.get("is_bot") or user.get("is_fraud") or user.get("takeover_timestamp") is not None
                or user.get("farm") is not None)


def next_item(args, store: Path, epsilon: float | None, work: Path) -> dict:
    command = [args.behave, "train", "next-item", "--store", str(store), "--out", str(work / "model"), "--json",
               "--threads", str(args.threads)]
    if epsilon is not None:
        command += ["--dp-epsilon", str(epsilon), "--dp-noise-seed", str(args.noise_seed)]
    output, seconds = run(command)
    metrics = json.loads(output)["test"]["full"]
    return {"ndcg@10": metrics["ndcg@10"], "hr@10": metrics["hr@10"], "seconds": seconds}


def embed_ari(args, store: Path, model: str, epsilon: float | None, work: Path) -> float | None:
    truth_path = store.with_suffix(".truth.json")
    if not truth_path.exists():
        return None
    truth = {user["id"]: user for user in json.loads(truth_path.read_text())["users"]}
    name = "private" if epsilon is not None else "plain"
    command = [args.behave, "embed", "--store", str(store), "--model", model, "--name", name,
               "--out", str(work / name), "--json", "--threads", str(args.threads)]
    if epsilon is not None:
        command += ["--dp-epsilon", str(epsilon), "--dp-noise-seed", str(args.noise_seed)]
    run(command)
    segments = work / "segments.csv"
    run([args.behave, "segment", "--store", str(store), "--vectors", name, "--k", "5", "--out", str(segments),
         "--json", "--threads", str(args.threads)])
    with open(segments) as handle:
        found = {row["user"]: row["segment"] for row in csv.DictReader(handle)}
    regular = [u for u in found if is_regular(truth[u]) and truth[u].get("segment") is not None]
    return adjusted_rand_index([found[u] for u in regular], [truth[u]["segment"] for u in regular])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", default=".build/release/behave")
    parser.add_argument("--store", action="append", default=[], help="an event store (repeatable)")
    parser.add_argument("--simulate", default="", help="simulate and ingest shops of these seeds, like 1,2,3")
    parser.add_argument("--ml-100k", help="ingest MovieLens-100K from this directory (ml-100k.inter)")
    parser.add_argument("--work", default="private-models-work", help="where simulated and ingested stores go")
    parser.add_argument("--epsilons", default="8,3,1", help="budgets to train with, besides no budget ('' for none)")
    parser.add_argument("--no-plain", action="store_true", help="skip the runs without a budget")
    parser.add_argument("--noise-seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", default="next-item,embed")
    parser.add_argument("--embed-models", default="vae", help="embed --model values, comma-separated")
    args = parser.parse_args()
    epsilons = ([] if args.no_plain else [None]) + [float(e) for e in args.epsilons.split(",") if e]
    tasks = args.tasks.split(",")
    work_root = Path(args.work)
    work_root.mkdir(parents=True, exist_ok=True)
    stores = list(args.store)
    for seed in [s for s in args.simulate.split(",") if s]:
        events, store = work_root / f"shop-{seed}.csv", work_root / f"shop-{seed}.db"
        if not store.exists():
            run([args.behave, "simulate", "--users", "5000", "--days", "30", "--seed", seed, "--distinct-segments",
                 "--out", str(events)])
            run([args.behave, "ingest", str(events), "--store", str(store)])
        stores.append(str(store))
    if args.ml_100k:
        store = work_root / "ml-100k.db"
        if not store.exists():
            run([args.behave, "ingest", str(Path(args.ml_100k) / "ml-100k.inter"), "--store", str(store)])
        stores.append(str(store))
    if not stores:
        sys.exit("give --store, --simulate or --ml-100k")
    rows: dict[str, list] = {"next-item": [], "embed": []}
    for store in map(Path, stores):
        for epsilon in epsilons:
            label = "none" if epsilon is None else f"{epsilon:g}"
            with tempfile.TemporaryDirectory() as directory:
                work = Path(directory)
                if "next-item" in tasks:
                    result = next_item(args, store, epsilon, work)
                    rows["next-item"].append((store.name, label, result))
                    print(f"{store.name} next-item ε {label}: {result}", file=sys.stderr, flush=True)
                for model in args.embed_models.split(",") if "embed" in tasks else []:
                    ari = embed_ari(args, store, model, epsilon, work)
                    if ari is not None:
                        rows["embed"].append((store.name, model, label, ari))
                        print(f"{store.name} embed {model} ε {label}: ARI {ari:.3f}", file=sys.stderr, flush=True)
    if rows["next-item"]:
        print("| store | ε | test NDCG@10 (full) | test HR@10 (full) | seconds |")
        print("|---|---|---|---|---|")
        for store, label, result in rows["next-item"]:
            print(f"| {store} | {label} | {result['ndcg@10']:.4f} | {result['hr@10']:.4f} | {result['seconds']:.0f} |")
    if rows["embed"]:
        print("\n| store | model | ε | ARI of the codes' segments (k 5) |")
        print("|---|---|---|---|")
        for store, model, label, ari in rows["embed"]:
            print(f"| {store} | {model} | {label} | {ari:.3f} |")


if __name__ == "__main__":
    main()
