"""Makes Tests/PrivacyAccountingTests/Fixtures/rdp_accounting.json with Google's dp_accounting.

Run from the repository root with a virtualenv that has dp-accounting (0.6.0 made the
committed file):

    python3 -m venv /work/venv-dp && /work/venv-dp/bin/pip install dp-accounting
    /work/venv-dp/bin/python benchmarks/privacy/make_accounting_fixtures.py

Every number comes from `dp_accounting.rdp.RdpAccountant` with its default orders, composing
`SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(sigma)), steps)` (or a plain
`GaussianDpEvent`), which is what `PrivacyAccounting.RDPAccountant` reimplements:

- `epsilon`: epsilon and the optimal order for the grid of sampling rates, noise multipliers,
  steps and deltas (`get_epsilon_and_optimal_order`).
- `rdp`: the RDP curve of one step at every default order, for each (rate, noise) pair.
- `delta`: delta and the optimal order for a few target epsilons (`get_delta_and_optimal_order`).
- `calibration`: the noise multiplier `dp_accounting.calibrate_dp_mechanism` finds for a target
  epsilon (tolerance 1e-9 in noise), with the epsilon it gives.
- `published`: TensorFlow Privacy's DP-SGD statement example (10,000 examples, batch 64, noise
  multiplier 2.0, 5 epochs, delta 1e-6, "with microbatching"), recomputed the way
  tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_lib.py does it: microbatching
  halves the noise multiplier (sensitivity doubles), Poisson steps are ceil(epochs / q) and the
  once-per-epoch bound composes ceil(epochs) full-batch Gaussians. Its test
  (compute_dp_sgd_privacy_test.py) prints 1.616 and 13.376; the PLD figures (1.199 and 12.595
  printed there) are recorded for reference only.
"""

import importlib.metadata
import json
import math
import os

import dp_accounting
from dp_accounting import pld
from dp_accounting import rdp

RATES = [0.001, 0.0064, 0.01, 0.1, 0.5, 1.0]
NOISES = [0.5, 0.8, 1.1, 2.0, 5.0]
STEPS = [1, 100, 1000, 10000]
DELTAS = [1e-5, 1e-6]
DELTA_EPSILONS = [1.0, 3.0, 8.0]
DELTA_STEPS = 1000
# (sampling rate, steps, delta) for each calibration; every one is tried at epsilon 1, 3 and 8.
CALIBRATIONS = [(0.01, 1000, 1e-5), (0.0064, 782, 1e-6), (0.1, 100, 1e-5), (1.0, 10, 1e-6)]
CALIBRATION_EPSILONS = [1.0, 3.0, 8.0]
CALIBRATION_TOLERANCE = 1e-9

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "Tests", "PrivacyAccountingTests", "Fixtures", "rdp_accounting.json",
)


def poisson_event(rate, noise, steps):
    gaussian = dp_accounting.GaussianDpEvent(noise)
    return dp_accounting.SelfComposedDpEvent(dp_accounting.PoissonSampledDpEvent(rate, gaussian), steps)


def rdp_accountant(event):
    accountant = rdp.RdpAccountant()
    accountant.compose(event)
    return accountant


def finite(x):
    """JSON has no infinity; an infinite value is written as null."""
    x = float(x)
    return x if math.isfinite(x) else None


def main():
    epsilon_rows = []
    rdp_rows = []
    delta_rows = []
    for rate in RATES:
        for noise in NOISES:
            one_step = rdp_accountant(poisson_event(rate, noise, 1))
            rdp_rows.append({"samplingRate": rate, "noiseMultiplier": noise,
                             "rdp": [finite(r) for r in one_step.rdp]})
            for steps in STEPS:
                accountant = rdp_accountant(poisson_event(rate, noise, steps))
                for delta in DELTAS:
                    eps, order = accountant.get_epsilon_and_optimal_order(delta)
                    epsilon_rows.append({"samplingRate": rate, "noiseMultiplier": noise, "steps": steps,
                                         "delta": delta, "epsilon": finite(eps), "order": float(order)})
            accountant = rdp_accountant(poisson_event(rate, noise, DELTA_STEPS))
            for eps in DELTA_EPSILONS:
                delta, order = accountant.get_delta_and_optimal_order(eps)
                delta_rows.append({"samplingRate": rate, "noiseMultiplier": noise, "steps": DELTA_STEPS,
                                   "epsilon": eps, "delta": float(delta), "order": float(order)})

    calibration_rows = []
    for rate, steps, delta in CALIBRATIONS:
        for target in CALIBRATION_EPSILONS:
            noise = dp_accounting.calibrate_dp_mechanism(
                rdp.RdpAccountant,
                lambda sigma, rate=rate, steps=steps: poisson_event(rate, sigma, steps),
                target, delta, tol=CALIBRATION_TOLERANCE)
            reached = rdp_accountant(poisson_event(rate, noise, steps)).get_epsilon(delta)
            calibration_rows.append({"samplingRate": rate, "steps": steps, "delta": delta,
                                     "targetEpsilon": target, "noiseMultiplier": float(noise),
                                     "epsilon": float(reached)})

    # TF Privacy's statement example; see the module docstring for where each step comes from.
    examples, batch, epochs, stated_noise, delta = 10000, 64, 5.0, 2.0, 1e-6
    rate = batch / examples
    noise = stated_noise / 2  # used_microbatching=True (the default) doubles the sensitivity
    poisson_steps = int(math.ceil(epochs / rate))
    shuffled_epochs = int(math.ceil(epochs))
    poisson = rdp_accountant(poisson_event(rate, noise, poisson_steps))
    eps_poisson, order_poisson = poisson.get_epsilon_and_optimal_order(delta)
    once_per_epoch = rdp_accountant(
        dp_accounting.SelfComposedDpEvent(dp_accounting.GaussianDpEvent(noise), shuffled_epochs))
    eps_epoch, order_epoch = once_per_epoch.get_epsilon_and_optimal_order(delta)
    without_halving = rdp_accountant(poisson_event(rate, stated_noise, poisson_steps)).get_epsilon(delta)
    pld_poisson = pld.PLDAccountant()
    pld_poisson.compose(poisson_event(rate, noise, poisson_steps))
    published = {
        "source": "tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_lib.py "
                  "(_compute_dp_sgd_example_privacy) and compute_dp_sgd_privacy_test.py "
                  "(test_dp_sgd_privacy_statement_no_user_dp_with_rdp)",
        "numberOfExamples": examples, "batchSize": batch, "epochs": epochs,
        "statedNoiseMultiplier": stated_noise, "noiseMultiplier": noise, "samplingRate": rate,
        "delta": delta, "steps": poisson_steps, "stepsRule": "ceil(epochs / samplingRate)",
        "epsilon": float(eps_poisson), "order": float(order_poisson), "printedEpsilon": 1.616,
        "epsilonStatedNoiseWithoutHalving": float(without_halving),
        "oncePerEpoch": {"epochs": shuffled_epochs, "epsilon": float(eps_epoch), "order": float(order_epoch),
                         "printedEpsilon": 13.376},
        "pldEpsilon": float(pld_poisson.get_epsilon(delta)), "pldPrintedEpsilon": 1.199,
    }

    fixtures = {
        "generator": "benchmarks/privacy/make_accounting_fixtures.py",
        "dpAccountingVersion": importlib.metadata.version("dp-accounting"),
        "orders": [float(a) for a in rdp.rdp_privacy_accountant.DEFAULT_RDP_ORDERS],
        "epsilon": epsilon_rows,
        "rdp": rdp_rows,
        "delta": delta_rows,
        "calibration": calibration_rows,
        "published": published,
    }
    with open(OUT, "w") as f:
        json.dump(fixtures, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(epsilon_rows)} epsilon rows, {len(rdp_rows)} RDP curves, {len(delta_rows)} delta rows, "
          f"{len(calibration_rows)} calibrations; published epsilon {eps_poisson:.6f} at {poisson_steps} steps")


if __name__ == "__main__":
    main()
