"""Drift checks side by side: BehaviorKit's profile comparison against Evidently's DataDriftPreset.

Both sides get 1,000 numeric features of five shapes (normal, exponential, log-normal, Poisson
0.3 and 5; seeded, each side drawing its own values) with 100,000 reference and 100,000 current
rows, and report:

- the time of one drift report over every feature (ours: against the stored profile; Evidently:
  against the reference rows, which it needs at hand);
- false alarms with no change (drifted features of 1,000);
- how often a mean shift of 0.1 reference standard deviations in one feature is caught, per shape.

Run from the repository root after `swift build -c release --product behave-bench`:

    python benchmarks/drift_bench.py [--features 1000] [--rows 100000] [--trials 20]

Evidently is optional (`pip install evidently`); without it only our side runs.
"""

import argparse
import json
import subprocess
import sys
import time

import numpy as np

SHAPES = ["normal", "exponential", "log-normal", "poisson-0.3", "poisson-5"]


def draw(rng, shape, count):
    if shape == 0:
        return rng.normal(size=count)
    if shape == 1:
        return rng.exponential(size=count)
    if shape == 2:
        return rng.lognormal(size=count)
    if shape == 3:
        return rng.poisson(0.3, size=count).astype(float)
    return rng.poisson(5, size=count).astype(float)


def ours(features, rows):
    line = subprocess.run(
        [".build/release/behave-bench", "--case", "drift"], check=True, capture_output=True, text=True
    ).stdout.strip().splitlines()[-1]
    result = json.loads(line)
    if result["features"] != features or result["rows"] != rows:
        print(f"note: behave-bench ran {result['features']} features x {result['rows']} rows", file=sys.stderr)
    return result


def evidently_side(features, rows, trials):
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    rng = np.random.default_rng(15)

    def frame(count, shift_column=None, shift=0.0):
        columns = {}
        for index in range(count):
            values = draw(rng, index % 5, rows)
            if index == shift_column:
                values = values + shift
            columns[f"f{index}"] = values
        return pd.DataFrame(columns)

    def drifted(snapshot):
        for metric in snapshot.dict()["metrics"]:
            if metric["metric_name"].startswith("DriftedColumnsCount"):
                return int(metric["value"]["count"])
        raise RuntimeError("no DriftedColumnsCount in Evidently's report")

    reference, current = frame(features), frame(features)
    started = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    seconds = time.perf_counter() - started
    false_alarms = drifted(snapshot)
    caught = {}
    for shape in range(5 if trials > 0 else 0):
        column = reference[[f"f{shape}"]]
        deviation = float(column.iloc[:, 0].std(ddof=0))
        hits = 0
        for _ in range(trials):
            shifted = pd.DataFrame({f"f{shape}": draw(rng, shape, rows) + 0.1 * deviation})
            hits += drifted(Report([DataDriftPreset()]).run(current_data=shifted, reference_data=column))
        caught[SHAPES[shape]] = hits / trials
    return {"seconds": seconds, "false_alarms": false_alarms, "shift_caught": caught}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument(
        "--trials", type=int, default=20, help="Evidently's trials per shape (ours runs 40); 0 times the report only"
    )
    args = parser.parse_args()

    mine = ours(args.features, args.rows)
    print(f"BehaviorKit: {mine['features']} features x {mine['rows']} rows")
    print(f"  profile built in {np.median(mine['profile_seconds']):.2f} s ({mine['profile_bytes'] / 1e6:.2f} MB)")
    print(f"  report in {mine['value']:.2f} s (median of {len(mine['runs'])})")
    print(f"  false alarms with no change: {mine['false_alarms']} of {mine['features']}")
    print("  0.1-sd shift caught: " + ", ".join(f"{k} {v:.0%}" for k, v in mine["shift_caught"].items()))
    try:
        import evidently  # noqa: F401
    except ImportError:
        print("Evidently is not installed (pip install evidently): side-by-side skipped")
        return
    theirs = evidently_side(args.features, args.rows, args.trials)
    print(f"Evidently {evidently.__version__} DataDriftPreset, same sizes")
    print(f"  report in {theirs['seconds']:.2f} s")
    print(f"  false alarms with no change: {theirs['false_alarms']} of {args.features}")
    if theirs["shift_caught"]:
        print("  0.1-sd shift caught: " + ", ".join(f"{k} {v:.0%}" for k, v in theirs["shift_caught"].items()))
    print(f"Report time ratio (Evidently / BehaviorKit): {theirs['seconds'] / mine['value']:.1f}x")
    print(json.dumps({"behaviorkit": mine, "evidently": theirs}))


if __name__ == "__main__":
    main()
