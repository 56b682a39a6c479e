#!/usr/bin/env python3
"""PyTorch reference for one SASRec training epoch in the pmixer/SASRec.pytorch setting.

The same model as ``torch_bench.SASRec`` (pmixer's architecture: hidden 50, 2 blocks, 1 head,
dropout 0.2, maxlen 200) trained as pmixer trains it: every user with at least 3 ratings
contributes one sequence (all items but the last two, left-padded or cut to the last 201),
each real position predicts the next item against one negative drawn from items the user
never rated, BCE with logits, Adam(lr 0.001, betas 0.9/0.98), batch 128, Xavier-normal
initialisation of every matrix.  One epoch is one pass over the 943 ml-100k sequences.

Usage:
    python benchmarks/torch_sasrec_epoch.py --data ../shared/data/ml-100k/ml-100k.inter \
        --threads 2 --epochs 6

Prints one JSON line: {"impl": "pytorch", "epoch_seconds": [...], ...}.  Negative sampling
is timed as part of each step, as it is in BehaviorKit's trainer.

With --evaluate, the trained model is also scored under BehaviorKit's sampled protocol (test
item of each user with at least 3 items, history = all items before it, the target against
100 distinct items the user never touched, ties counted against the target) and the JSON gets
test HR@10 and NDCG@10: a quality reference for the same architecture and training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_bench import SASRec  # noqa: E402


def read_sequences(path: str) -> tuple[list[list[int]], int]:
    """Per user, item ids (1-based, dense in first-seen order) by time, ties in file order."""
    rows: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        names = [h.split(":")[0] for h in header]
        user_col, item_col, time_col = names.index("user_id"), names.index("item_id"), names.index("timestamp")
        for line_number, line in enumerate(handle):
            fields = line.rstrip("\n").split("\t")
            rows[fields[user_col]].append((float(fields[time_col]), line_number, fields[item_col]))
    item_ids: dict[str, int] = {}
    sequences = []
    for user in rows:
        events = sorted(rows[user])
        sequences.append([item_ids.setdefault(item, len(item_ids) + 1) for _, _, item in events])
    return sequences, len(item_ids)


def evaluate(model, sequences, n_items: int, maxlen: int, rng) -> dict:
    """Test HR@10 / NDCG@10 with 100 sampled never-touched negatives (ties against the target)."""
    model.eval()
    hits = 0.0
    ndcg = 0.0
    users = 0
    with torch.no_grad():
        for items in sequences:
            if len(items) < 3:
                continue
            history, target = items[:-1][-maxlen:], items[-1]
            touched = set(items)
            negatives: list[int] = []
            chosen: set[int] = set()
            while len(negatives) < 100:
                t = int(rng.integers(1, n_items + 1))
                if t not in touched and t not in chosen:
                    chosen.add(t)
                    negatives.append(t)
            seq = torch.zeros(1, maxlen, dtype=torch.long)
            seq[0, maxlen - len(history):] = torch.tensor(history)
            last = model.features(seq)[:, -1, :]
            candidates = torch.tensor([target] + negatives)
            scores = (model.item_emb(candidates) @ last[0]).numpy()
            rank = 1 + int((scores[1:] >= scores[0]).sum())
            users += 1
            if rank <= 10:
                hits += 1
                ndcg += 1 / np.log2(rank + 1)
    return {"test_hr10": hits / users, "test_ndcg10": ndcg / users, "evaluated_users": users}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--maxlen", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=50)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--evaluate", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    sequences, n_items = read_sequences(args.data)
    train = [s[:-2] for s in sequences if len(s) >= 3 and len(s[:-2]) >= 2]
    span = args.maxlen + 1
    padded = np.zeros((len(train), span), dtype=np.int64)
    for row, items in enumerate(train):
        kept = items[-span:]
        padded[row, span - len(kept):] = kept
    rated = [np.array(sorted(set(items))) for items in train]

    model = SASRec(n_items=n_items, d=args.hidden, maxlen=args.maxlen, n_blocks=2, n_heads=1, dropout=0.2)
    for _, parameter in model.named_parameters():
        if parameter.dim() >= 2:
            nn.init.xavier_normal_(parameter.data)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.98))
    bce = nn.BCEWithLogitsLoss()
    model.train()

    epoch_seconds = []
    losses = []
    for _ in range(args.epochs):
        order = rng.permutation(len(train))
        start = time.perf_counter()
        total = 0.0
        for first in range(0, len(order), args.batch):
            rows = order[first:first + args.batch]
            batch = torch.from_numpy(padded[rows])
            seqs, pos = batch[:, :-1], batch[:, 1:]
            negatives = rng.integers(1, n_items + 1, size=pos.shape)
            for i, row in enumerate(rows):  # redraw negatives the user rated
                bad = np.isin(negatives[i], rated[row])
                while bad.any():
                    negatives[i, bad] = rng.integers(1, n_items + 1, size=int(bad.sum()))
                    bad = np.isin(negatives[i], rated[row])
            valid = pos != 0
            neg = torch.from_numpy(negatives).masked_fill(~valid, 0)
            optimizer.zero_grad()
            h = model.features(seqs)
            pos_logits = (h * model.item_emb(pos)).sum(-1)[valid]
            neg_logits = (h * model.item_emb(neg)).sum(-1)[valid]
            loss = bce(pos_logits, torch.ones_like(pos_logits)) + bce(neg_logits, torch.zeros_like(neg_logits))
            loss.backward()
            optimizer.step()
            total += loss.item()
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(total)
    result = {"impl": "pytorch", "version": torch.__version__, "threads": args.threads,
              "sequences": len(train), "epoch_seconds": epoch_seconds, "losses": losses}
    if args.evaluate:
        result.update(evaluate(model, sequences, n_items, args.maxlen, rng))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
