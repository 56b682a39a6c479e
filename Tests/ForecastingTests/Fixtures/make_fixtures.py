"""Makes arima_fixtures.json: seeded series and the fits statsmodels gives them.

Run with the repository's Python environment (statsmodels 0.15, numpy 2):

    /work/venv/bin/python Tests/ForecastingTests/Fixtures/make_fixtures.py

Every ARIMA case differences the series in numpy first (and its regressors, if any, passed
as `exog`) and fits the stationary model with
`statsmodels.tsa.arima.model.ARIMA` (exact Gaussian likelihood from the stationary state
covariance, Jones-transformed AR/MA parameters, the constant as the mean of the differenced
series), which is the model `Forecasting.ARIMA` fits. A drift is that mean divided by 1 (d = 1)
or by the period (D = 1). The optimiser is run to tight tolerances so that its optimum, not
its stopping rule, is what the Swift test compares with.

KPSS cases use `statsmodels.tsa.stattools.kpss(x, regression="c", nlags=l)` with l the short
rule floor(4 (n/100)^(1/4)) that tseries::kpss.test and ndiffs use.
"""

import json
import math
import os
import warnings

import numpy as np
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.stattools import kpss


def simulate(seed, n, ar=(), ma=(), sar=(), sma=(), period=1, burn=200):
    """A zero-mean ARMA series (seasonal polynomials multiplied out), unit-variance noise."""
    rng = np.random.RandomState(seed)
    phi = np.zeros(len(ar) + period * len(sar))
    phi[: len(ar)] += ar
    for j, big in enumerate(sar):
        phi[(j + 1) * period - 1] += big
        for i, small in enumerate(ar):
            phi[(j + 1) * period + i] -= small * big
    theta = np.zeros(len(ma) + period * len(sma))
    theta[: len(ma)] += ma
    for j, big in enumerate(sma):
        theta[(j + 1) * period - 1] += big
        for i, small in enumerate(ma):
            theta[(j + 1) * period + i] += small * big
    total = n + burn
    e = rng.randn(total)
    x = np.zeros(total)
    for t in range(total):
        value = e[t]
        for i, a in enumerate(phi):
            if t - i - 1 >= 0:
                value += a * x[t - i - 1]
        for j, b in enumerate(theta):
            if t - j - 1 >= 0:
                value += b * e[t - j - 1]
        x[t] = value
    return x[burn:]


def difference(y, d, seasonal_d, period):
    w = np.asarray(y, dtype=float)
    for _ in range(d):
        w = w[1:] - w[:-1]
    for _ in range(seasonal_d):
        w = w[period:] - w[:-period]
    return w


def fit_case(name, y, order, seasonal=(0, 0, 0), period=1, constant=False, regressors=None, levels=False):
    """regressors: {name: values over y's periods}, differenced like y and given as `exog`
    (a regression with ARMA errors on the differenced data). levels: fit the undifferenced
    series with the differencing in statsmodels' state (a diffuse start), as R's `arima` and
    ours do when values are missing."""
    p, d, q = order
    big_p, big_d, big_q = seasonal
    w = np.asarray(y, dtype=float) if levels else difference(y, d, big_d, period)
    regressors = regressors or {}
    exog = None
    if regressors:
        exog = np.column_stack([difference(values, d, big_d, period) for values in regressors.values()])
    model = ARIMA(
        w,
        exog=exog,
        order=(p, d if levels else 0, q),
        seasonal_order=(big_p, big_d if levels else 0, big_q, period) if period > 1 else (0, 0, 0, 0),
        trend="c" if constant else "n",
        enforce_stationarity=True,
        enforce_invertibility=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(method_kwargs=dict(maxiter=5000, pgtol=1e-12, factr=10))
        if regressors:
            # L-BFGS stops early along the valley a regressor nearly collinear with the constant
            # leaves (a price around its level); Nelder-Mead from there reaches the optimum.
            result = model.fit(start_params=result.params,
                               method_kwargs=dict(method="nm", maxiter=50000, xtol=1e-10, ftol=1e-14))
    names = list(model.param_names)
    params = dict(zip(names, result.params))
    coefficients = {}
    for i in range(p):
        coefficients[f"ar{i + 1}"] = params[f"ar.L{i + 1}"]
    for i in range(q):
        coefficients[f"ma{i + 1}"] = params[f"ma.L{i + 1}"]
    for i in range(big_p):
        coefficients[f"sar{i + 1}"] = params[f"ar.S.L{(i + 1) * period}"]
    for i in range(big_q):
        coefficients[f"sma{i + 1}"] = params[f"ma.S.L{(i + 1) * period}"]
    if constant:
        if d + big_d == 0:
            coefficients["intercept"] = params["const"]
        else:
            coefficients["drift"] = params["const"] / (1 if d == 1 else period)
    for j, regressor in enumerate(regressors):
        coefficients[regressor] = params[f"x{j + 1}"]
    case = {
        "name": name,
        "series": [None if math.isnan(v) else float(v) for v in y],
        "order": [p, d, q, big_p, big_d, big_q, period],
        "constant": constant,
        "coefficients": coefficients,
        "sigma2": float(params["sigma2"]),
        "loglik": float(result.llf),
    }
    if regressors:
        case["regressors"] = {"names": list(regressors), "columns": [[float(v) for v in values]
                                                                     for values in regressors.values()]}
    return case


def kpss_case(name, x):
    lags = int(math.floor(4 * (len(x) / 100) ** 0.25))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        statistic, p_value, used, _ = kpss(x, regression="c", nlags=lags)
    return {"name": name, "series": [float(v) for v in x], "lags": used, "statistic": float(statistic),
            "pValue": float(p_value)}


def main():
    cases = []
    cases.append(fit_case("ar1-intercept", 10 + simulate(11, 200, ar=[0.6]), (1, 0, 0), constant=True))
    cases.append(fit_case("arma11", simulate(12, 250, ar=[0.5], ma=[0.4]), (1, 0, 1)))
    drift = np.cumsum(0.5 + simulate(13, 200, ma=[-0.3]))
    cases.append(fit_case("arima011-drift", drift, (0, 1, 1), constant=True))
    seasonal = np.zeros(160)
    base = simulate(14, 160, ar=[0.5], sma=[-0.6], period=4)
    for t in range(160):
        seasonal[t] = base[t] + (seasonal[t - 4] if t >= 4 else 0.0)
    cases.append(fit_case("sarima100-011-4", seasonal, (1, 0, 0), (0, 1, 1), period=4))
    airline = simulate(15, 144, ma=[-0.4], sma=[-0.6], period=12)
    airline = np.cumsum(airline)
    for t in range(12, 144):
        airline[t] += airline[t - 12]
    cases.append(fit_case("airline-12", 100 + airline, (0, 1, 1), (0, 1, 1), period=12))
    missing = 5 + simulate(16, 220, ar=[0.5, 0.3])
    missing[[7, 30, 31, 32, 90, 150, 151, 200]] = np.nan
    cases.append(fit_case("ar2-missing", missing, (2, 0, 0), constant=True))
    cases.append(fit_case("ma2-intercept", 3 + simulate(17, 150, ma=[0.5, -0.3]), (0, 0, 2), constant=True))
    cases.append(fit_case("sar1-intercept-4", 2 + simulate(18, 160, ar=[0.3], sar=[0.5], period=4), (1, 0, 0),
                          (1, 0, 0), period=4, constant=True))
    rng = np.random.RandomState(19)
    promotion = (rng.rand(200) < 0.15).astype(float)
    price = 5 + np.cumsum(rng.randn(200) * 0.1)
    cases.append(fit_case("ar1-intercept-regressors", 10 + 2 * promotion - 0.8 * price + simulate(19, 200, ar=[0.6]),
                          (1, 0, 0), constant=True, regressors={"promotion": promotion, "price": price}))
    level = np.cumsum(rng.randn(180))
    shift = (np.arange(180) >= 90).astype(float)
    cases.append(fit_case("arima011-regressor", level + 3 * shift + simulate(20, 180, ma=[0.4]), (0, 1, 1),
                          regressors={"shift": shift}))
    days = np.arange(210)
    holiday = np.isin(days, [17, 45, 46, 100, 150, 190]).astype(float)
    weekly = np.zeros(210)
    base = simulate(24, 210, ar=[0.4], sma=[-0.5], period=7)
    for t in range(210):
        weekly[t] = base[t] + (weekly[t - 7] if t >= 7 else 0.0)
    gappy = seasonal.copy()
    gappy[[10, 11, 40, 77, 78, 79, 120, 155]] = np.nan
    cases.append(fit_case("sarima100-011-4-missing", gappy, (1, 0, 0), (0, 1, 1), period=4, levels=True))
    cases.append(fit_case("sarima100-011-7-holiday", 50 + weekly - 4 * holiday, (1, 0, 0), (0, 1, 1), period=7,
                          regressors={"holiday": holiday}))
    tests = [
        kpss_case("random-walk", np.cumsum(np.random.RandomState(21).randn(120))),
        kpss_case("ar1", simulate(22, 150, ar=[0.5])),
        kpss_case("ar085-interpolated", simulate(30, 100, ar=[0.85])),
        kpss_case("trend", 0.05 * np.arange(80) + np.random.RandomState(23).randn(80)),
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "arima_fixtures.json")
    with open(path, "w") as f:
        json.dump({"fits": cases, "kpss": tests}, f, indent=1)
        f.write("\n")
    for case in cases:
        print(case["name"], case["coefficients"], case["sigma2"], case["loglik"])
    for case in tests:
        print(case["name"], case["lags"], case["statistic"], case["pValue"])


if __name__ == "__main__":
    main()
