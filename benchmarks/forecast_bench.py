#!/usr/bin/env python3
"""Forecasting: BehaviorKit's forecasters against statsforecast's on the same rolling-origin
folds of public daily series and a simulated store's daily activity, and auto-ARIMA / ARIMA
fitting speed against statsforecast and statsmodels.

Usage (from the repository root; a Python with statsforecast, pandas and numpy):

    python benchmarks/forecast_bench.py [--behave .build/release/behave] [--bench .build/release/behave-bench] \
        [--parts accuracy,speed] [--horizon 28] [--folds 4] [--json-out FILE]

Parts: ``accuracy`` (below), ``orders`` (the ARIMA orders both auto-ARIMAs choose on the
public series and the first ORDER_SERIES speed series, default 20), ``parity`` (on each public
and the simulated series, the order our auto-ARIMA picks on the whole series, then fitted by
`behave forecast --model arima --order ...` and by statsmodels' ARIMA on the same folds:
MASE side by side, target within 1%; with both log-likelihoods per fold, statsmodels'
likelihood at our estimates, and statsmodels refitted from our estimates), ``holidays`` (auto-ARIMA on the Peyton Manning series with
and without Prophet's playoff and Super Bowl dates as `--holidays`, same folds) and ``speed``: SPEED_SERIES (default 1,000) seeded daily series
of 730 days (weekly pattern, trend, AR(1) noise), automatic ARIMA (season 7) over all of them
on one thread, one run each, `behave-bench --case auto-arima` against statsforecast's
AutoARIMA (`n_jobs=1`, after a warm-up series); then ARIMA(1,1,1)(0,1,1)[7] fitted to the
first 100 of them (at most), `behave-bench --case arima-fit` against statsmodels' SARIMAX.

Series: the three public daily series of benchmarks/data/forecast (see its README), and,
with --behave, a simulated shop's daily active users over a year with a weekly pattern, 50%
yearly growth and a 3-day campaign doubling activity on day 220, before the first fold
(`behave simulate --days 365 --growth 0.5 --campaign-day 220`, `behave ingest`, `behave series`). Folds: the last `folds` windows of `horizon` days, each model
refitted on everything before its window. Missing days stay missing for BehaviorKit;
statsforecast cannot take them, so they are filled by linear interpolation for it (only in
the training part; a missing day inside a test window is left out of the error).

Metrics per series, mean over folds: MASE (the mean absolute error over the in-sample
seasonal-naive MAE of each fold's training part, period 7), sMAPE, and the coverage of 80%
intervals. BehaviorKit: `behave forecast --model arima|ets|holt-winters|snaive|naive|lstm|mlp
--backtest FOLDS --json` (the same folds and metrics; lstm and mlp with their default seed). statsforecast: AutoARIMA (season 7),
AutoETS (season 7), Holt-Winters (additive), SeasonalNaive (7), Naive.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "forecast"
PUBLIC = {
    "wikipedia-peyton-manning": "wikipedia_peyton_manning_log_views.csv",
    "wikipedia-r-language": "wikipedia_r_language_log_views.csv",
    "pedestrians": "pedestrians_daily.csv",
}
SEASON = 7
HOLIDAYS = DATA / "peyton_manning_playoffs.csv"
# An order as `behave forecast` prints it: p, d, q, then P, D, Q, s when seasonal, then the constant.
ORDER = re.compile(r"ARIMA\((\d+),(\d+),(\d+)\)(?:\((\d+),(\d+),(\d+)\)\[(\d+)\])?( with constant)?")


def load_public(name: str) -> pd.Series:
    frame = pd.read_csv(DATA / PUBLIC[name], parse_dates=["ds"]).sort_values("ds")
    series = frame.set_index("ds")["y"].astype(float)
    return series.reindex(pd.date_range(series.index.min(), series.index.max(), freq="D"))


def simulated(behave: str, work: Path) -> pd.Series:
    events, store, out = work / "shop.csv", work / "shop.db", work / "series.csv"
    subprocess.run([behave, "simulate", "--users", "3000", "--days", "365", "--seed", "7", "--growth", "0.5",
                    "--campaign-day", "220", "--campaign-days", "3", "--campaign-lift", "2", "--out", str(events)],
                   check=True, capture_output=True)
    subprocess.run([behave, "ingest", str(events), "--store", str(store)], check=True, capture_output=True)
    subprocess.run([behave, "series", "--store", str(store), "--metrics", "dau", "--out", str(out)], check=True,
                   capture_output=True)
    frame = pd.read_csv(out, parse_dates=["date"])
    return frame.set_index("date")["dau"].astype(float)


def mase_scale(train: np.ndarray) -> float:
    diffs = np.abs(train[SEASON:] - train[:-SEASON])
    return float(np.nanmean(diffs))


def score(actual: np.ndarray, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray, scale: float) -> dict:
    keep = ~np.isnan(actual)
    a, m = actual[keep], mean[keep]
    return {
        "mase": float(np.mean(np.abs(a - m)) / scale),
        "smape": float(np.mean(2 * np.abs(a - m) / (np.abs(a) + np.abs(m) + 1e-12)) * 100),
        "coverage": float(np.mean((a >= lower[keep]) & (a <= upper[keep]))),
    }


def statsforecast_folds(series: pd.Series, horizon: int, folds: int) -> dict:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, HoltWinters, Naive, SeasonalNaive

    models = {"AutoARIMA": AutoARIMA(season_length=SEASON), "AutoETS": AutoETS(season_length=SEASON),
              "HoltWinters": HoltWinters(season_length=SEASON, error_type="A"),
              "SeasonalNaive": SeasonalNaive(season_length=SEASON), "Naive": Naive()}
    values = series.to_numpy()
    results = {name: [] for name in models}
    for fold in range(folds):
        end = len(values) - (folds - fold) * horizon
        train, test = series.iloc[:end].interpolate(limit_direction="both"), values[end:end + horizon]
        frame = pd.DataFrame({"unique_id": "s", "ds": train.index, "y": train.to_numpy()})
        forecaster = StatsForecast(models=list(models.values()), freq="D", n_jobs=1)
        predicted = forecaster.forecast(df=frame, h=horizon, level=[80])
        scale = mase_scale(values[:end])
        for name in models:
            column = type(models[name]).__name__ if name != "HoltWinters" else "HoltWinters"
            alias = [c for c in predicted.columns if c == column or c == name][0]
            results[name].append(score(test, predicted[alias].to_numpy(), predicted[f"{alias}-lo-80"].to_numpy(),
                                       predicted[f"{alias}-hi-80"].to_numpy(), scale))
    return {name: {metric: float(np.mean([f[metric] for f in runs])) for metric in runs[0]}
            for name, runs in results.items()}


def speed_series(count: int = 1000, length: int = 730) -> np.ndarray:
    rng = np.random.default_rng(13)
    days = np.arange(length)
    out = np.empty((length, count))
    for column in range(count):
        weekly = rng.normal(0, 1, 7)
        noise = np.zeros(length)
        phi = rng.uniform(0.2, 0.8)
        shocks = rng.normal(0, 0.5, length)
        for t in range(1, length):
            noise[t] = phi * noise[t - 1] + shocks[t]
        out[:, column] = 50 + rng.uniform(-0.02, 0.02) * days + weekly[days % 7] + noise
    return out


def speed(args, work: Path) -> dict:
    import time
    import warnings

    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    values = speed_series(count=args.speed_series)
    path = work / "series.csv"
    np.savetxt(path, values, delimiter=",", header=",".join(f"s{i}" for i in range(values.shape[1])), comments="",
               fmt="%.6f")

    def bench(case: str) -> float:
        out = subprocess.run([args.bench, "--case", case, "--data", str(path), "--threads", "1"], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])["value"]

    ours_auto = bench("auto-arima")
    frame = pd.DataFrame({
        "unique_id": np.repeat(np.arange(values.shape[1]), values.shape[0]),
        "ds": np.tile(pd.date_range("2020-01-01", periods=values.shape[0], freq="D"), values.shape[1]),
        "y": values.T.reshape(-1)})
    StatsForecast(models=[AutoARIMA(season_length=SEASON)], freq="D", n_jobs=1).fit(frame.iloc[:730])  # warm-up
    start = time.perf_counter()
    StatsForecast(models=[AutoARIMA(season_length=SEASON)], freq="D", n_jobs=1).fit(frame)
    theirs_auto = time.perf_counter() - start
    print(f"\nauto-ARIMA of {values.shape[1]:,} daily series x 730, one thread: behave {ours_auto:.1f} s, statsforecast "
          f"{theirs_auto:.1f} s: ratio {theirs_auto / ours_auto:.2f}x (target >= 1)")

    # The first 100 series again, for the fixed-order fit (the bench reads every column of its file).
    fitted = min(100, values.shape[1])
    np.savetxt(path, values[:, :fitted], delimiter=",", header=",".join(f"s{i}" for i in range(fitted)),
               comments="", fmt="%.6f")
    ours_fit = bench("arima-fit")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in range(fitted):
            SARIMAX(values[:, column], order=(1, 1, 1), seasonal_order=(0, 1, 1, 7)).fit(disp=False)
    theirs_fit = time.perf_counter() - start
    print(f"ARIMA(1,1,1)(0,1,1)[7] on {fitted} series x 730: behave {ours_fit:.2f} s, statsmodels SARIMAX "
          f"{theirs_fit:.2f} s: ratio {theirs_fit / ours_fit:.1f}x (target >= 10)")
    return {"auto_arima": {"behave": ours_auto, "statsforecast": theirs_auto},
            "arima_fit": {"behave": ours_fit, "statsmodels": theirs_fit}}


def statsforecast_order(values: np.ndarray) -> str:
    """statsforecast's AutoARIMA order, written as `behave forecast` prints it."""
    from statsforecast.models import AutoARIMA

    model = AutoARIMA(season_length=SEASON).fit(values).model_
    p, q, seasonal_p, seasonal_q, period, d, seasonal_d = model["arma"]
    text = f"ARIMA({p},{d},{q})" + (f"({seasonal_p},{seasonal_d},{seasonal_q})[{period}]" if period > 1 else "")
    coefficients = model["coef"]
    return text + (" with constant" if "intercept" in coefficients or "drift" in coefficients else "")


def differencing(order: str) -> tuple:
    """(d, D) of an order written `ARIMA(p,d,q)(P,D,Q)[s]`."""
    match = ORDER.match(order)
    return (match.group(2), match.group(5) or "0") if match else (None, None)


def orders(args, work: Path) -> dict:
    """The orders both auto-ARIMAs choose on the same data: the public series (missing days
    interpolated for both) and the first ORDER_SERIES speed series."""
    cases = {name: load_public(name).interpolate(limit_direction="both").to_numpy() for name in PUBLIC}
    speed_values = speed_series(count=args.order_series)
    cases.update({f"speed-{i}": speed_values[:, i] for i in range(args.order_series)})
    rows = {}
    agree = {"order": 0, "differencing": 0}
    print("\n| series | behave | statsforecast |\n|---|---|---|")
    for name, values in cases.items():
        path = work / "orders.csv"
        pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=len(values), freq="D").strftime("%Y-%m-%d"),
                      "y": values}).to_csv(path, index=False)
        out = subprocess.run([args.behave, "forecast", "--data", str(path), "--date", "ds", "--value", "y",
                              "--model", "arima", "--horizon", "1", "--out", str(work / "order-forecast.csv"),
                              "--json"], check=True, capture_output=True, text=True)
        ours = json.loads(out.stdout)["arimaOrder"]
        theirs = statsforecast_order(values)
        agree["order"] += ours == theirs
        agree["differencing"] += differencing(ours) == differencing(theirs)
        rows[name] = {"behave": ours, "statsforecast": theirs}
        print(f"| {name} | {ours} | {theirs} |", flush=True)
    print(f"\nSame order (and constant) on {agree['order']} of {len(cases)} series; same d and D on "
          f"{agree['differencing']}.")
    return {"series": rows, "agree": agree, "count": len(cases)}


def statsmodels_parameters(model, ours: dict, sigma2: float) -> np.ndarray:
    """Our coefficients (R's names, as `behave forecast --json` reports them) in the order of
    statsmodels' `param_names` for the same model."""
    values = []
    for name in model.param_names:
        if name in ("const", "x1", "drift"):
            values.append(ours.get("intercept", ours.get("drift", 0.0)))
        elif name == "sigma2":
            values.append(sigma2)
        else:
            kind, lag = name.rsplit(".L", 1)
            prefix = {"ar": "ar", "ma": "ma", "ar.S": "sar", "ma.S": "sma"}[kind]
            values.append(ours[prefix + str(int(lag) // SEASON if ".S" in kind else int(lag))])
    return np.array(values)


def parity_folds(args, series: pd.Series, order: str, work: Path) -> dict:
    """Per fold: our ARIMA with `order` (`behave forecast --model arima --order ...` on the
    training part) and statsmodels' ARIMA with the same order, missing values left missing in
    both; the MASE of each, both log-likelihoods, statsmodels' log-likelihood at our
    estimates (the two likelihood functions compared at one point), and statsmodels refitted
    from our estimates, keeping whichever of its two fits has the higher likelihood (which
    separates the model from where each optimiser happens to stop)."""
    import warnings

    from statsmodels.tsa.arima.model import ARIMA

    match = ORDER.match(order)
    p, d, q = (int(match.group(i)) for i in (1, 2, 3))
    seasonal = (int(match.group(4)), int(match.group(5)), int(match.group(6)), int(match.group(7))) \
        if match.group(4) else (0, 0, 0, 0)
    trend = ("c" if d + seasonal[1] == 0 else "t") if match.group(8) else "n"
    flags = ["--order", ",".join(g for g in match.groups()[:6] if g is not None)] + \
        (["--constant"] if match.group(8) else [])
    values = series.to_numpy()
    folds = []
    for fold in range(args.folds):
        end = len(values) - args.horizon * (args.folds - fold)
        train, actual = values[:end], values[end:end + args.horizon]
        scale = mase_scale(train)
        csv = work / "parity-train.csv"
        pd.DataFrame({"date": series.index[:end].strftime("%Y-%m-%d"), "y": train}).to_csv(csv, index=False)
        report = json.loads(subprocess.run(
            [args.behave, "forecast", "--data", str(csv), "--date", "date", "--value", "y", "--model", "arima",
             "--horizon", str(args.horizon), "--out", str(work / "parity.csv"), "--json"] + flags,
            check=True, capture_output=True, text=True).stdout)
        rows = report["forecast"]
        ours = score(actual, *(np.array([r[k] for r in rows]) for k in ("forecast", "lower", "upper")), scale)
        coefficients = {c["name"]: c["value"] for c in report["arima"]["coefficients"]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ARIMA(train, order=(p, d, q), seasonal_order=seasonal, trend=trend)
            start = statsmodels_parameters(model, coefficients, report["arima"]["sigma2"])
            default = model.fit()
            restarted = model.fit(start_params=start)
            at_ours = float(model.loglike(start))
        best = restarted if restarted.llf > default.llf else default

        def scored(fitted):
            forecast = fitted.get_forecast(args.horizon)
            lower, upper = np.asarray(forecast.conf_int(alpha=0.2)).T
            return score(actual, np.asarray(forecast.predicted_mean), lower, upper, scale)

        folds.append({"behave": ours["mase"], "statsmodels": scored(default)["mase"],
                      "statsmodels_best": scored(best)["mase"], "loglik_behave": report["arima"]["logLikelihood"],
                      "loglik_statsmodels": float(default.llf), "loglik_statsmodels_at_behave": at_ours,
                      "loglik_statsmodels_best": float(best.llf)})
    mean = {key: float(np.mean([f[key] for f in folds])) for key in ("behave", "statsmodels", "statsmodels_best")}
    return {**mean, "folds": folds}


def parity(args, work: Path) -> dict:
    """Our ARIMA and statsmodels' with the same order (our auto-ARIMA's on the whole series) on
    the same folds."""
    sources = {name: (DATA / PUBLIC[name], "ds", "y") for name in PUBLIC}
    series = {name: load_public(name) for name in PUBLIC}
    series["simulated-dau"] = simulated(args.behave, work)
    sources["simulated-dau"] = (work / "series.csv", "date", "dau")
    rows = {}
    print("\n| series | order | behave MASE | statsmodels MASE | ratio | log-lik. behave - statsmodels, per fold "
          "| largest gap of the two likelihoods at our estimates | statsmodels, best of its fit and one from ours: "
          "MASE | ratio |\n|---|---|---|---|---|---|---|---|---|")
    for name, values in series.items():
        path, date, value = sources[name]
        order = json.loads(subprocess.run(
            [args.behave, "forecast", "--data", str(path), "--date", date, "--value", value, "--model", "arima",
             "--out", str(work / "parity.csv"), "--json", "--horizon", "1"],
            check=True, capture_output=True, text=True).stdout)["arimaOrder"]
        result = parity_folds(args, values, order, work)
        rows[name] = {"order": order, **result}
        gaps = ", ".join(f"{f['loglik_behave'] - f['loglik_statsmodels']:+.2f}" for f in result["folds"])
        agreement = max(abs(f["loglik_behave"] - f["loglik_statsmodels_at_behave"]) for f in result["folds"])
        print(f"| {name} | {order} | {result['behave']:.4f} | {result['statsmodels']:.4f} | "
              f"{result['behave'] / result['statsmodels']:.4f} | {gaps} | {agreement:.1e} | "
              f"{result['statsmodels_best']:.4f} | {result['behave'] / result['statsmodels_best']:.4f} |", flush=True)
    return rows


def holidays(args, work: Path) -> dict:
    """Auto-ARIMA on the Peyton Manning series with and without the playoff days as holidays."""
    rows = {}
    common = [args.behave, "forecast", "--data", str(DATA / PUBLIC["wikipedia-peyton-manning"]), "--date", "ds",
              "--value", "y", "--model", "arima", "--horizon", str(args.horizon), "--backtest", str(args.folds),
              "--out", str(work / "holidays.csv"), "--json"]
    print("\n| Peyton Manning, auto-ARIMA | order on the whole series | MASE | sMAPE | 80% coverage |\n|---|---|---|---|---|")
    for label, extra in (("without holidays", []), ("with --holidays", ["--holidays", str(HOLIDAYS)])):
        report = json.loads(subprocess.run(common + extra, check=True, capture_output=True, text=True).stdout)
        overall = report["backtest"]["models"][0]["overall"]
        regression = {c["name"]: c["value"] for c in report.get("regression") or []}
        rows[label] = {"order": report["arimaOrder"], "regression": regression, **overall}
        effects = ", ".join(f"{k} {v:+.3f}" for k, v in regression.items())
        print(f"| {label} | {report['arimaOrder']}{' (' + effects + ')' if effects else ''} | {overall['mase']:.3f} | "
              f"{overall['smape']:.2f} | {overall['coverage']:.2f} |", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave")
    parser.add_argument("--bench")
    parser.add_argument("--parts", default="accuracy")
    parser.add_argument("--speed-series", type=int, default=1000)
    parser.add_argument("--order-series", type=int, default=20)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    parts = args.parts.split(",")
    report = {}
    if "speed" in parts:
        if not args.bench:
            parser.error("--parts speed needs --bench .build/release/behave-bench")
        with tempfile.TemporaryDirectory() as directory:
            report["speed"] = speed(args, Path(directory))
    for part, run in (("orders", orders), ("holidays", holidays), ("parity", parity)):
        if part in parts:
            if not args.behave:
                parser.error(f"--parts {part} needs --behave .build/release/behave")
            with tempfile.TemporaryDirectory() as directory:
                report[part] = run(args, Path(directory))
    if "accuracy" in parts:
        report["accuracy"] = accuracy(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))


OURS = ["arima", "ets", "holt-winters", "snaive", "naive", "lstm", "mlp"]


def behave_folds(args, path: Path, date: str, value: str, work: Path) -> dict:
    """`behave forecast --backtest` of each of OURS on the same folds: overall MASE, sMAPE, coverage."""
    results = {}
    for model in OURS:
        out = subprocess.run([args.behave, "forecast", "--data", str(path), "--date", date, "--value", value,
                              "--model", model, "--horizon", str(args.horizon), "--backtest", str(args.folds),
                              "--out", str(work / "forecast.csv"), "--json"], check=True, capture_output=True,
                             text=True)
        scores = json.loads(out.stdout)["backtest"]["models"][0]["overall"]
        results[model] = {"mase": scores["mase"], "smape": scores["smape"], "coverage": scores["coverage"]}
    return results


def accuracy(args) -> dict:
    report = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        sources = {name: (DATA / PUBLIC[name], "ds", "y") for name in PUBLIC}
        series = {name: load_public(name) for name in PUBLIC}
        if args.behave:
            series["simulated-dau"] = simulated(args.behave, work)
            sources["simulated-dau"] = (work / "series.csv", "date", "dau")
        for name, values in series.items():
            report[name] = {"statsforecast": statsforecast_folds(values, args.horizon, args.folds)}
            if args.behave:
                report[name]["behave"] = behave_folds(args, *sources[name], work)
            print(f"\n{name}: {len(values)} days, {int(values.isna().sum())} missing")
            print("| model | MASE | sMAPE | 80% coverage |\n|---|---|---|---|")
            for side in ("behave", "statsforecast"):
                for model, metrics in report[name].get(side, {}).items():
                    print(f"| {side} {model} | {metrics['mase']:.3f} | {metrics['smape']:.2f} | "
                          f"{metrics['coverage']:.2f} |", flush=True)
    return report


if __name__ == "__main__":
    sys.exit(main())
