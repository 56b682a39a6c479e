#!/usr/bin/env python3
"""PyTorch reference side of the BehaviorKit benchmarks.

Usage:

    .venv/bin/python benchmarks/torch_bench.py --case CASE --threads N

Prints exactly one JSON line on stdout (anything else goes to stderr):

    {"impl": "pytorch", "case": CASE, "threads": N, "unit": "steps/s" | "ms",
     "value": ..., "runs": [...], "p50_ms": ..., "p99_ms": ..., "version": "..."}

``p50_ms``/``p99_ms`` are present for latency cases only.

Cases (CPU, float32, fixed seed; all synthetic data is created before timing):

* ``mlp``       17 -> 128 -> 64 -> 1 MLP (ReLU), BCEWithLogits, Adam(lr=1e-3),
                batch 256.  A run is 100 training steps; value = median steps/s
                over 5 runs, after 20 warm-up steps.
* ``lstm``      LSTM(32, 128) -> LSTM(128, 64) (two modules, batch_first), last
                time step -> Linear(64, 1), BCEWithLogits, Adam; input [128, 50, 32].
                A run is 5 steps; 5 runs after 2 warm-up steps.
* ``sasrec``    SASRec (pmixer/SASRec.pytorch architecture, see ``SASRec`` below),
                1700 items, d=64, maxlen 200, 2 blocks, 1 head, dropout 0.2,
                batch 128, Adam(lr=1e-3).  A run is 3 steps; 5 runs after 2 warm-up.
* ``mlp-latency``     eval + inference_mode, one [1, 17] example -> sigmoid.
                      2,000 individually timed calls after 200 warm-up calls.
* ``sasrec-latency``  eval + inference_mode, one [1, 200] sequence, last hidden
                      state scored against all 1,700 item embeddings, top-10.
                      500 individually timed calls after 50 warm-up calls.

Throughput cases: ``runs`` holds the steps/s of each of the 5 runs and ``value``
is their median.  Latency cases: one block of individually timed calls;
``value`` = ``p50_ms`` (median) and ``p99_ms`` is the nearest-rank 99th
percentile; ``runs`` holds the single block's p50.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn

SEED = 0
TIMED_RUNS = 5

# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


def make_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(17, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 1),
    )


class LSTMClassifier(nn.Module):
    """Two stacked, separate LSTM modules; the last step feeds a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTM(32, 128, batch_first=True)
        self.lstm2 = nn.LSTM(128, 64, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm1(x)
        y, _ = self.lstm2(y)
        return self.head(y[:, -1, :]).squeeze(-1)


class PointWiseFeedForward(nn.Module):
    """x + dropout(W2 relu(dropout(W1 x))) -- pmixer's Conv1d(k=1) pair as Linear."""

    def __init__(self, d: int, dropout: float) -> None:
        super().__init__()
        self.fc1 = nn.Linear(d, d)
        self.fc2 = nn.Linear(d, d)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dropout2(self.fc2(torch.relu(self.dropout1(self.fc1(x)))))


class SASRec(nn.Module):
    """Self-attentive sequential recommender, after pmixer/SASRec.pytorch.

    Per block:  q = LN(x); x = q + MHA(q, x, x, causal); x = LN(x); x = FFN(x);
    x *= timeline mask (padding positions, item id 0, are zeroed).  The input
    embedding is item_emb * sqrt(d) + pos_emb, dropout, timeline mask.  A final
    LayerNorm follows the blocks.  LayerNorms use eps=1e-8 as in the original.
    """

    def __init__(self, n_items: int = 1700, d: int = 64, maxlen: int = 200,
                 n_blocks: int = 2, n_heads: int = 1, dropout: float = 0.2) -> None:
        super().__init__()
        self.d = d
        self.item_emb = nn.Embedding(n_items + 1, d, padding_idx=0)
        self.pos_emb = nn.Embedding(maxlen, d)
        self.emb_dropout = nn.Dropout(dropout)
        self.attn_norms = nn.ModuleList(nn.LayerNorm(d, eps=1e-8) for _ in range(n_blocks))
        self.attns = nn.ModuleList(
            nn.MultiheadAttention(d, n_heads, dropout=dropout, batch_first=True)
            for _ in range(n_blocks))
        self.ffn_norms = nn.ModuleList(nn.LayerNorm(d, eps=1e-8) for _ in range(n_blocks))
        self.ffns = nn.ModuleList(PointWiseFeedForward(d, dropout) for _ in range(n_blocks))
        self.last_norm = nn.LayerNorm(d, eps=1e-8)
        causal = torch.triu(torch.ones(maxlen, maxlen, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal", causal, persistent=False)  # True = masked
        self.register_buffer("positions", torch.arange(maxlen), persistent=False)

    def features(self, seqs: torch.Tensor) -> torch.Tensor:
        length = seqs.shape[1]
        keep = (seqs != 0).unsqueeze(-1)  # timeline mask, True = real item
        x = self.item_emb(seqs) * math.sqrt(self.d) + self.pos_emb(self.positions[:length])
        x = self.emb_dropout(x) * keep
        mask = self.causal[:length, :length]
        for norm1, attn, norm2, ffn in zip(self.attn_norms, self.attns, self.ffn_norms, self.ffns):
            q = norm1(x)
            a, _ = attn(q, x, x, attn_mask=mask, need_weights=False)
            x = norm2(q + a)
            x = ffn(x) * keep
        return self.last_norm(x)


# ---------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------


def time_training(step, steps_per_run: int, warmup: int) -> list[float]:
    """Return steps/s for each of TIMED_RUNS runs of `steps_per_run` steps."""
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        for _ in range(steps_per_run):
            step()
        rates.append(steps_per_run / (time.perf_counter() - start))
    return rates


def time_calls(call, calls: int, warmup: int) -> list[float]:
    """Return the wall time of each individual call, in milliseconds."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def nearest_rank(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def make_trainer(model: nn.Module, loss_fn, lr: float = 1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()

    return step


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


def case_mlp() -> list[float]:
    model = make_mlp()
    x = torch.randn(256, 17)
    y = torch.randint(0, 2, (256,)).float()
    bce = nn.BCEWithLogitsLoss()
    step = make_trainer(model, lambda: bce(model(x).squeeze(-1), y))
    return time_training(step, steps_per_run=100, warmup=20)


def case_lstm() -> list[float]:
    model = LSTMClassifier()
    x = torch.randn(128, 50, 32)
    y = torch.randint(0, 2, (128,)).float()
    bce = nn.BCEWithLogitsLoss()
    step = make_trainer(model, lambda: bce(model(x), y))
    return time_training(step, steps_per_run=5, warmup=2)


def random_sequences(batch: int, length: int, n_items: int, min_len: int = 10) -> torch.Tensor:
    """[batch, length + 1] item ids in 1..n_items with random left padding (0)."""
    seqs = torch.randint(1, n_items + 1, (batch, length + 1))
    lengths = torch.randint(min_len, length + 2, (batch,))
    pad = torch.arange(length + 1).unsqueeze(0) < (length + 1 - lengths).unsqueeze(1)
    return seqs.masked_fill(pad, 0)


def case_sasrec() -> list[float]:
    n_items, length = 1700, 200
    model = SASRec(n_items=n_items, maxlen=length)
    full = random_sequences(128, length, n_items)
    seqs, pos = full[:, :-1], full[:, 1:]
    valid = pos != 0
    neg = torch.randint(1, n_items + 1, pos.shape).masked_fill(~valid, 0)
    bce = nn.BCEWithLogitsLoss()
    ones = torch.ones(int(valid.sum()))
    zeros = torch.zeros_like(ones)

    def loss() -> torch.Tensor:
        h = model.features(seqs)
        pos_logits = (h * model.item_emb(pos)).sum(-1)
        neg_logits = (h * model.item_emb(neg)).sum(-1)
        return bce(pos_logits[valid], ones) + bce(neg_logits[valid], zeros)

    step = make_trainer(model, loss)
    return time_training(step, steps_per_run=3, warmup=2)


def case_mlp_latency() -> list[float]:
    model = make_mlp().eval()
    x = torch.randn(1, 17)

    def call() -> None:
        with torch.inference_mode():
            torch.sigmoid(model(x))

    return time_calls(call, calls=2000, warmup=200)


def case_sasrec_latency() -> list[float]:
    n_items, length = 1700, 200
    model = SASRec(n_items=n_items, maxlen=length).eval()
    seq = random_sequences(1, length, n_items, min_len=50)[:, 1:]

    def call() -> None:
        with torch.inference_mode():
            h = model.features(seq)[:, -1, :]                # [1, d]
            scores = h @ model.item_emb.weight[1:].T           # [1, n_items], items 1..n
            torch.topk(scores, 10, dim=-1)

    return time_calls(call, calls=500, warmup=50)


class VAE(nn.Module):
    """BehaviorKit's AutoencoderNetwork (kind vae): 32 -> 64 -> 32 -> code 2 x 10, decoder mirrored."""

    def __init__(self, features: int = 32, latent: int = 10) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.code = nn.Linear(32, 2 * latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(),
                                     nn.Linear(64, features))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        mean, log_variance = self.code(self.encoder(x)).split(self.latent, dim=1)
        z = mean + (0.5 * log_variance).exp() * torch.randn_like(mean)
        reconstruction = 0.5 * (x - self.decoder(z)).pow(2).sum(dim=1)
        kl = 0.5 * (log_variance.exp() + mean.pow(2) - 1 - log_variance).sum(dim=1)
        return (reconstruction + kl).mean()


def case_vae() -> list[float]:
    model = VAE()
    x = torch.randn(128, 32)
    step = make_trainer(model, lambda: model.loss(x))
    return time_training(step, steps_per_run=100, warmup=20)


THROUGHPUT = {"mlp": case_mlp, "lstm": case_lstm, "sasrec": case_sasrec, "vae": case_vae}
LATENCY = {"mlp-latency": case_mlp_latency, "sasrec-latency": case_sasrec_latency}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", required=True, choices=[*THROUGHPUT, *LATENCY])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    # Must happen before any parallel work is started.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float32)

    result = {"impl": "pytorch", "case": args.case, "threads": args.threads}
    if args.case in THROUGHPUT:
        runs = THROUGHPUT[args.case]()
        result.update(unit="steps/s", value=statistics.median(runs), runs=runs)
    else:
        times = sorted(LATENCY[args.case]())
        p50 = statistics.median(times)
        result.update(unit="ms", value=p50, runs=[p50], p50_ms=p50,
                      p99_ms=nearest_rank(times, 0.99))
    result["version"] = torch.__version__
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
