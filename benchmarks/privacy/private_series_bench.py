#!/usr/bin/env python3
"""Forecasts from private activity series, against forecasts from the exact series.

What it measures
----------------
For each store and metric: the exact daily series over the store's whole span
(``behave series --from FIRST --at END``), whose last ``--horizon`` days are the truth. The
training part ends ``--horizon`` days earlier. A forecast (``behave forecast --data ...
--model auto``: the lowest backtest MASE among auto-ARIMA, ETS, seasonal naive and naive) is
fitted to the exact training part and to private releases of it (``behave series --metrics M
--dp-epsilon E --dp-noise-seed N``, one metric per release, for every ε and noise seed), and
each is scored against the exact truth: sMAPE (percent) and MASE (over the exact training
part's seasonal-naive error, period 7, for both). The privately chosen bound and the noise's
standard deviation are read from the printed statement.

``--variant NAME=FLAGS`` (repeatable) adds runs at ``--variant-epsilon`` (default 3) with
extra flags, such as ``q0.5=--dp-bound-quantile 0.5`` or ``k60=--dp-max-periods 60``: how
the defaults were chosen.

Stores: simulated (``--simulate 1,2,3``: ``behave simulate --users 3000 --days 365 --growth
0.5 --campaign-day 220 --campaign-days 3 --campaign-lift 2 --seed S``, as
benchmarks/forecast_bench.py's simulated series) and MovieLens-100K (``--ml-100k DIR``: its
ratings as events; 943 users over 215 days). Only the standard library is needed.

    python3 benchmarks/privacy/private_series_bench.py --behave .build/release/behave \\
        --simulate 1,2,3 --ml-100k ../shared/data/ml-100k --metrics dau,events,revenue

Prints one line per run on stderr and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from private_models_bench import run as run_timed  # noqa: E402

SEASON = 7


def run(command: list[str]) -> str:
    """The command's standard output (it must succeed)."""
    return run_timed(command)[0]


def read_column(path: Path, column: str) -> tuple[list[str], list[float]]:
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return [row["date"] for row in rows], [float(row[column]) for row in rows]


def write_column(path: Path, column: str, dates: list[str], values: list[float]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", column])
        writer.writerows(zip(dates, values))


def forecast(args, data: Path, column: str, work: Path) -> list[float]:
    out = work / "forecast.csv"
    run([args.behave, "forecast", "--data", str(data), "--date", "date", "--value", column,
         "--horizon", str(args.horizon), "--out", str(out)])
    return read_column(out, "forecast")[1]


def smape(actual: list[float], predicted: list[float]) -> float:
    terms = [2 * abs(p - a) / (abs(p) + abs(a)) if abs(p) + abs(a) > 0 else 0.0 for a, p in zip(actual, predicted)]
    return 100 * sum(terms) / len(terms)


def mase(actual: list[float], predicted: list[float], train: list[float]) -> float:
    scale = sum(abs(train[i] - train[i - SEASON]) for i in range(SEASON, len(train))) / (len(train) - SEASON)
    return sum(abs(p - a) for a, p in zip(actual, predicted)) / len(actual) / scale


def statement_numbers(text: str, column: str) -> tuple[str, str]:
    """The bounds (value per period, and periods per user) and the noise's standard deviation
    the statement gives for `column`."""
    bound = re.search(rf"adding at most .*?\b{re.escape(column)} ([0-9.e+]+)( \(chosen\))?", text)
    periods = re.search(r"counted in at most (\d+)( \(chosen\))? of the (\d+)", text)
    noise = re.search(rf"standard deviation .*?\b{re.escape(column)} ([0-9.e+]+)", text)
    chosen = " (chosen)" if bound and bound.group(2) else ""
    value = bound.group(1) + chosen if bound else "?"
    if periods:
        value += f", {periods.group(1)} of {periods.group(3)} periods" + (" (chosen)" if periods.group(2) else "")
    return value, (noise.group(1) if noise else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", required=True)
    parser.add_argument("--simulate", default="", help="simulator seeds, comma separated")
    parser.add_argument("--ml-100k", help="ingest MovieLens-100K from this directory (ml-100k.inter)")
    parser.add_argument("--metrics", default="dau,events,revenue")
    parser.add_argument("--epsilons", default="8,3,1")
    parser.add_argument("--noise-seeds", default="1,2")
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--variant", action="append", default=[], help="NAME=FLAGS, run at --variant-epsilon")
    parser.add_argument("--variant-epsilon", type=float, default=3)
    parser.add_argument("--work", help="keep stores here (default: a temporary directory)")
    args = parser.parse_args()

    work_root = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="private-series-"))
    work_root.mkdir(parents=True, exist_ok=True)
    stores: list[tuple[str, Path]] = []
    for seed in [s for s in args.simulate.split(",") if s]:
        store = work_root / f"shop-{seed}.db"
        if not store.exists():
            events = work_root / f"shop-{seed}.csv"
            run([args.behave, "simulate", "--users", "3000", "--days", "365", "--growth", "0.5", "--campaign-day",
                 "220", "--campaign-days", "3", "--campaign-lift", "2", "--seed", seed, "--out", str(events)])
            run([args.behave, "ingest", str(events), "--store", str(store)])
            events.unlink()
        stores.append((f"shop {seed}", store))
    if args.ml_100k:
        store = work_root / "ml-100k.db"
        if not store.exists():
            run([args.behave, "ingest", str(Path(args.ml_100k) / "ml-100k.inter"), "--store", str(store)])
        stores.append(("ML-100K", store))
    if not stores:
        sys.exit("give --simulate or --ml-100k")

    metrics = args.metrics.split(",")
    settings: list[tuple[str, float | None, list[str]]] = [("exact", None, [])]
    settings += [(f"ε {e}", float(e), []) for e in args.epsilons.split(",")]
    for variant in args.variant:
        name, _, flags = variant.partition("=")
        settings.append((f"ε {args.variant_epsilon:g} {name}", args.variant_epsilon, flags.split()))

    rows = []
    for label, store in stores:
        work = work_root / label.replace(" ", "-")
        work.mkdir(exist_ok=True)
        exact = work / "exact.csv"
        run([args.behave, "series", "--store", str(store), "--metrics", ",".join(metrics), "--out", str(exact)])
        dates, _ = read_column(exact, metrics[0])
        first = dates[0]
        end = (dt.date.fromisoformat(dates[-1]) + dt.timedelta(days=1)).isoformat()
        cut = (dt.date.fromisoformat(end) - dt.timedelta(days=args.horizon)).isoformat()
        for metric in metrics:
            _, values = read_column(exact, metric)
            train, truth = values[: -args.horizon], values[-args.horizon:]
            if min(train) == max(train):
                print(f"{label} {metric}: the same value every day, nothing to forecast; left out", file=sys.stderr)
                continue
            for name, epsilon, flags in settings:
                seeds = [None] if epsilon is None else args.noise_seeds.split(",")
                for seed in seeds:
                    data = work / "train.csv"
                    bound, noise = "", ""
                    if epsilon is None:
                        write_column(data, metric, dates[: -args.horizon], train)
                    else:
                        printed = run([args.behave, "series", "--store", str(store), "--metrics", metric, "--from",
                                       first, "--at", cut, "--dp-epsilon", f"{epsilon:g}", "--dp-noise-seed", seed,
                                       "--out", str(data)] + flags)
                        bound, noise = statement_numbers(printed, metric)
                    predicted = forecast(args, data, metric, work)
                    row = {"store": label, "metric": metric, "setting": name, "seed": seed or "",
                           "smape": smape(truth, predicted), "mase": mase(truth, predicted, train),
                           "bound": bound, "noise": noise, "level": sum(train[-28:]) / 28}
                    rows.append(row)
                    print(f"{label} {metric} {name} seed {seed or '-'}: sMAPE {row['smape']:.2f}, "
                          f"MASE {row['mase']:.3f}, bound {bound}, noise {noise}", file=sys.stderr, flush=True)

    print("| store | metric | mean of the last 28 training days | setting | sMAPE % (per noise seed) | MASE | bound | noise sd |")
    print("|---|---|---|---|---|---|---|---|")
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["store"], row["metric"], row["setting"]), []).append(row)
    for (label, metric, name), group in groups.items():
        smapes = " / ".join(f"{r['smape']:.2f}" for r in group)
        mases = " / ".join(f"{r['mase']:.3f}" for r in group)
        bounds = " / ".join(sorted({r["bound"] for r in group})) or "-"
        noises = " / ".join(r["noise"] for r in group) if group[0]["noise"] else "-"
        print(f"| {label} | {metric} | {group[0]['level']:.1f} | {name} | {smapes} | {mases} | {bounds} | {noises} |")


if __name__ == "__main__":
    main()
