#!/usr/bin/env python3
"""Cost of one DP-SGD training step: BehaviorKit versus Opacus (PyTorch).

What it measures
----------------
Training throughput (steps/s, higher is better) of one optimiser step on a fixed,
synthetic batch, with and without differential privacy, for two networks:

* ``mlp``   Linear(17,128)-ReLU-Linear(128,64)-ReLU-Linear(64,1), BCE-with-logits,
            batch 256, inputs N(0,1), labels Bernoulli(0.5).
* ``lstm``  LSTM(32,128) -> LSTM(128,64) over 50 steps, batch 128, last step ->
            Linear(64,1), BCE-with-logits.

The private step is DP-SGD as both libraries implement it: per-example gradients,
each clipped to L2 norm 1 (factor ``min(1, 1 / (norm + 1e-6))``), summed, Gaussian
noise with standard deviation ``noise_multiplier * max_grad_norm = 1`` added to every
parameter, divided by the batch size, then Adam(lr=1e-3).

Four implementations per network and thread count, each in its own process:

* BehaviorKit non-private  ``behave-bench --case mlp|lstm --threads N``
* BehaviorKit DP           ``behave-bench --case mlp-dp|lstm-dp --threads N``
                           (benchmarks/Swift/PrivacyCase.swift)
* PyTorch non-private      ``benchmarks/torch_bench.py --case mlp|lstm`` (plain
                           ``nn.Linear`` / ``nn.LSTM``, exactly compare.py's baseline)
* Opacus DP                this file, ``--worker mlp-dp|lstm-dp``: the same model wrapped
                           in ``opacus.GradSampleModule`` with ``opacus.optimizers.DPOptimizer``
                           (noise_multiplier=1, max_grad_norm=1, expected_batch_size=B);
                           a step is ``zero_grad / forward / backward / step`` on the fixed
                           batch (no data loader, no Poisson sampling, no accountant, so only
                           the step is timed, like BehaviorKit's case).  ``nn.LSTM`` has no
                           Opacus per-sample-gradient support, so the DP LSTM uses two
                           ``opacus.layers.DPLSTM`` modules (batch_first=True) instead.

Additionally (informational, not in the main table) ``--worker lstm-dplstm`` times the
DPLSTM network *without* DP, to separate the cost of DPLSTM's unfused, Python-level
LSTM from the cost of per-example gradients + clipping + noise.

Timing protocol is torch_bench.py's (and the Swift ``Timing.training``): warm-up steps,
then 5 timed runs, value = median steps/s.  mlp: 20 warm-up, runs of 100 steps;
lstm: 2 warm-up, runs of 5 steps.

How to run (from the repository root, with the PyTorch+Opacus virtualenv's Python;
the driver itself only needs the standard library):

    /work/venv-torch/bin/python benchmarks/privacy/dp_cost_bench.py \\
        [--swift-bin .build/release/behave-bench] [--python /work/venv-torch/bin/python] \\
        [--networks mlp,lstm] [--threads 1,2] [--json-out dp_cost.json] \\
        [--omp-wait-policy PASSIVE]

Prints progress on stderr and a markdown table on stdout.  "slowdown" is non-private
steps/s divided by DP steps/s (how many times slower the private step is); the last
column is BehaviorKit DP steps/s / Opacus DP steps/s (> 1 = BehaviorKit faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent          # benchmarks/privacy
BENCH = HERE.parent                             # benchmarks
REPO = BENCH.parent
TORCH_BENCH = BENCH / "torch_bench.py"
sys.path.insert(0, str(BENCH))                  # for compare.run_child / torch_bench

NETWORKS = ["mlp", "lstm"]
NOISE_MULTIPLIER = 1.0
MAX_GRAD_NORM = 1.0
LR = 1e-3


# ---------------------------------------------------------------------------
# Worker side (runs inside the torch virtualenv, one case per process)
# ---------------------------------------------------------------------------


def worker(case: str, threads: int) -> int:
    """Time one PyTorch/Opacus case and print one JSON line (torch_bench.py's format)."""
    import torch
    import torch.nn as nn
    import opacus
    from opacus import GradSampleModule
    from opacus.layers import DPLSTM
    from opacus.optimizers import DPOptimizer

    # Same process setup as torch_bench.py; must precede any parallel work.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)

    # Reuse the reference models and the exact timing loop of torch_bench.py.
    import torch_bench as tb

    class DPLSTMClassifier(tb.LSTMClassifier):
        """torch_bench's LSTMClassifier with both nn.LSTMs swapped for opacus DPLSTM."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm1 = DPLSTM(32, 128, batch_first=True)
            self.lstm2 = DPLSTM(128, 64, batch_first=True)

    bce = nn.BCEWithLogitsLoss()  # mean reduction, matched by loss_reduction="mean" below

    if case.startswith("mlp"):
        model, batch = tb.make_mlp(), 256
        x = torch.randn(batch, 17)
        y = torch.randint(0, 2, (batch,)).float()          # Bernoulli(0.5)
        steps_per_run, warmup = 100, 20
    else:
        model, batch = DPLSTMClassifier(), 128
        x = torch.randn(batch, 50, 32)
        y = torch.randint(0, 2, (batch,)).float()
        steps_per_run, warmup = 5, 2

    if case.endswith("-dp"):
        # Per-sample gradients via Opacus' hooks; "mean" tells it the loss is a batch mean,
        # so it rescales per-sample gradients by B before clipping.
        model = GradSampleModule(model, batch_first=True, loss_reduction="mean")
        # DPOptimizer clips each per-sample gradient to max_grad_norm, sums, adds
        # N(0, (noise_multiplier * max_grad_norm)^2) noise and divides by expected_batch_size,
        # then lets Adam take the step.
        optimizer = DPOptimizer(
            torch.optim.Adam(model.parameters(), lr=LR),
            noise_multiplier=NOISE_MULTIPLIER,
            max_grad_norm=MAX_GRAD_NORM,
            expected_batch_size=batch,
            loss_reduction="mean",
        )
    else:  # lstm-dplstm: DPLSTM network, ordinary Adam (informational)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()

    def step() -> None:
        optimizer.zero_grad()            # DPOptimizer also clears the stored grad samples
        loss = bce(model(x).reshape(-1), y)
        loss.backward()
        optimizer.step()

    runs = tb.time_training(step, steps_per_run=steps_per_run, warmup=warmup)
    print(json.dumps({
        "impl": "opacus", "case": case, "threads": threads, "unit": "steps/s",
        "value": statistics.median(runs), "runs": runs,
        "version": f"torch {torch.__version__}, opacus {opacus.__version__}",
    }), flush=True)
    return 0


# ---------------------------------------------------------------------------
# Driver side (standard library only)
# ---------------------------------------------------------------------------


def torch_env(threads: int, wait_policy: str | None = None) -> dict:
    """Environment for a PyTorch child: pin OpenMP/MKL/OpenBLAS pools to `threads`.

    `wait_policy` (ACTIVE / PASSIVE) sets OMP_WAIT_POLICY.  On small VMs (2 vCPUs) the
    default spin-waiting of PyTorch's OpenMP workers can make 2-thread runs erratic
    (observed: single runs between ~12 and ~1,500 steps/s for the mlp case); PASSIVE
    makes idle workers sleep instead of spin.  It has no effect with 1 thread.
    """
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    return env


def run(argv: list[str], env: dict, timeout: float) -> dict:
    """Run one child via compare.py's run_child (records load, RSS, wall time, JSON)."""
    import compare
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)           # run_child passes os.environ to posix_spawn
    try:
        rec = compare.run_child(argv, timeout)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    tag = " ".join(Path(a).name if i < 2 else a for i, a in enumerate(argv))
    if rec.get("ok"):
        res = rec["result"]
        print(f"    {tag}: {res['value']:.4g} {res['unit']} ({rec['wall_s']} s)",
              file=sys.stderr, flush=True)
    else:
        print(f"    {tag}: FAILED {rec.get('error')}\n      "
              + rec.get("stderr_tail", "").replace("\n", "\n      "), file=sys.stderr, flush=True)
    return rec


def value(rec: dict) -> float | None:
    return rec["result"]["value"] if rec.get("ok") else None


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def fmt(x: float | None, suffix: str = "") -> str:
    if x is None:
        return "FAILED"
    return (f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}") + suffix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swift-bin", default=str(REPO / ".build/release/behave-bench"))
    parser.add_argument("--python", default=sys.executable,
                        help="Python with torch + opacus (default: this interpreter)")
    parser.add_argument("--networks", default="mlp,lstm")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per child")
    parser.add_argument("--json-out", help="write all raw results as JSON here")
    parser.add_argument("--no-dplstm-baseline", action="store_true",
                        help="skip the informational non-private DPLSTM run")
    parser.add_argument("--omp-wait-policy", choices=["ACTIVE", "PASSIVE"],
                        help="set OMP_WAIT_POLICY for the PyTorch children (default: leave unset)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one torch case
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]

    if args.worker:
        return worker(args.worker, threads[0])

    networks = [n for n in args.networks.split(",") if n]
    if set(networks) - set(NETWORKS):
        parser.error(f"networks must be among {NETWORKS}")
    swift, python, me = os.path.abspath(args.swift_bin), os.path.abspath(args.python), str(Path(__file__).resolve())

    rows = []
    for net in networks:
        for n in threads:
            print(f"[{net}] threads={n}", file=sys.stderr, flush=True)
            flags = ["--threads", str(n)]
            row = {"network": net, "threads": n}
            # Swift: behave-bench sets its own engine thread count from --threads.
            row["bk_nonprivate"] = run([swift, "--case", net, *flags], dict(os.environ), args.timeout)
            row["bk_dp"] = run([swift, "--case", f"{net}-dp", *flags], dict(os.environ), args.timeout)
            # PyTorch: plain non-private reference, then Opacus DP.
            row["pt_nonprivate"] = run([python, str(TORCH_BENCH), "--case", net, *flags],
                                       torch_env(n, args.omp_wait_policy), args.timeout)
            row["opacus_dp"] = run([python, me, "--worker", f"{net}-dp", *flags],
                                   torch_env(n, args.omp_wait_policy), args.timeout)
            if net == "lstm" and not args.no_dplstm_baseline:
                row["pt_dplstm_nonprivate"] = run([python, me, "--worker", "lstm-dplstm", *flags],
                                                  torch_env(n, args.omp_wait_policy), args.timeout)
            bk_np, bk_dp = value(row["bk_nonprivate"]), value(row["bk_dp"])
            pt_np, op_dp = value(row["pt_nonprivate"]), value(row["opacus_dp"])
            row["summary"] = {
                "bk_nonprivate": bk_np, "bk_dp": bk_dp, "bk_slowdown": div(bk_np, bk_dp),
                "pt_nonprivate": pt_np, "opacus_dp": op_dp, "opacus_slowdown": div(pt_np, op_dp),
                "ratio_bk_dp_over_opacus_dp": div(bk_dp, op_dp),
                "ratio_bk_over_pt_nonprivate": div(bk_np, pt_np),
            }
            if "pt_dplstm_nonprivate" in row:
                row["summary"]["pt_dplstm_nonprivate"] = value(row["pt_dplstm_nonprivate"])
            rows.append(row)

    # ---- markdown table -------------------------------------------------------------
    header = ["network", "threads", "BK non-private", "BK DP", "BK slowdown",
              "Opacus non-private (plain torch)", "Opacus DP", "Opacus slowdown",
              "BK DP / Opacus DP"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    for row in rows:
        s = row["summary"]
        print("| " + " | ".join([
            row["network"], str(row["threads"]), fmt(s["bk_nonprivate"]), fmt(s["bk_dp"]),
            fmt(s["bk_slowdown"], "x"), fmt(s["pt_nonprivate"]), fmt(s["opacus_dp"]),
            fmt(s["opacus_slowdown"], "x"), fmt(s["ratio_bk_dp_over_opacus_dp"]),
        ]) + " |")
    print("\nValues are steps/s (median of 5 timed runs after warm-up). Slowdown = "
          "non-private / DP. Last column > 1: BehaviorKit's DP step is faster.")
    for row in rows:
        s = row["summary"]
        extra = f"BK/PyTorch non-private ratio {fmt(s['ratio_bk_over_pt_nonprivate'])}"
        if "pt_dplstm_nonprivate" in s:
            extra += (f"; DPLSTM without DP {fmt(s['pt_dplstm_nonprivate'])} steps/s "
                      f"(Opacus DP vs. that: {fmt(div(s['pt_dplstm_nonprivate'], s['opacus_dp']), 'x')} slower)")
        print(f"- {row['network']}, {row['threads']} thread(s): {extra}.")
    versions = {k: row[k]["result"].get("version") for row in rows[:1]
                for k in ("bk_dp", "pt_nonprivate", "opacus_dp") if row[k].get("ok")}
    print(f"- PyTorch children: OMP/MKL/OPENBLAS_NUM_THREADS = threads, "
          f"OMP_WAIT_POLICY={args.omp_wait_policy or 'unset (library default)'}.")
    print("- Versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()) + ".")

    if args.json_out:
        doc = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpu_count": os.cpu_count(),
               "noise_multiplier": NOISE_MULTIPLIER, "max_grad_norm": MAX_GRAD_NORM, "lr": LR,
               "argv": sys.argv, "omp_wait_policy": args.omp_wait_policy, "versions": versions, "rows": rows}
        Path(args.json_out).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
