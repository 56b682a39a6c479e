"""Makes Tests/PrivacyAccountingTests/Fixtures/pld_accounting.json with Google's dp_accounting.

Run from the repository root with a virtualenv that has dp-accounting (0.6.0 made the
committed file):

    python3 -m venv /work/venv-dp && /work/venv-dp/bin/pip install dp-accounting
    /work/venv-dp/bin/python benchmarks/privacy/make_pld_fixtures.py

Every number comes from `dp_accounting.pld.PLDAccountant` with its defaults (value
discretisation interval 1e-4, add-or-remove-one adjacency), composing
`SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(sigma)), steps)`, which is what
`PrivacyAccounting.PLDAccountant` reimplements:

- `epsilon`: epsilon for a grid of sampling rates, noise multipliers, steps and deltas, with
  the RDP accountant's epsilon beside it;
- `delta`: delta for a few target epsilons;
- `published`: TensorFlow Privacy's DP-SGD statement example (10,000 examples, batch 64, noise
  multiplier 2.0 with microbatching, so 1.0 per example, 5 epochs, delta 1e-6), whose PLD
  epsilon its test prints as 1.199.
"""

import importlib.metadata
import json
import math
import os

import dp_accounting
from dp_accounting import pld
from dp_accounting import rdp

GRID = [(rate, noise, steps) for rate in [0.001, 0.01, 0.1, 1.0] for noise in [0.8, 1.1, 2.0, 5.0]
        for steps in [1, 100, 1000]]
DELTAS = [1e-5, 1e-6]
DELTA_CASES = [(0.01, 1.0, 1000, eps) for eps in [0.5, 1.0, 3.0]]

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "Tests", "PrivacyAccountingTests", "Fixtures", "pld_accounting.json",
)


def event(rate, noise, steps):
    gaussian = dp_accounting.GaussianDpEvent(noise)
    sampled = gaussian if rate == 1.0 else dp_accounting.PoissonSampledDpEvent(rate, gaussian)
    return dp_accounting.SelfComposedDpEvent(sampled, steps)


def accountant(kind, rate, noise, steps):
    result = pld.PLDAccountant() if kind == "pld" else rdp.RdpAccountant()
    result.compose(event(rate, noise, steps))
    return result


def main():
    rows = []
    for rate, noise, steps in GRID:
        for delta in DELTAS:
            epsilon = accountant("pld", rate, noise, steps).get_epsilon(delta)
            rdp_epsilon = accountant("rdp", rate, noise, steps).get_epsilon(delta)
            if math.isfinite(epsilon) and epsilon < 100:
                rows.append({"samplingRate": rate, "noiseMultiplier": noise, "steps": steps, "delta": delta,
                             "epsilon": epsilon, "rdpEpsilon": rdp_epsilon})
    deltas = [{"samplingRate": rate, "noiseMultiplier": noise, "steps": steps, "epsilon": eps,
               "delta": accountant("pld", rate, noise, steps).get_delta(eps)}
              for rate, noise, steps, eps in DELTA_CASES]
    published = accountant("pld", 64 / 10_000, 1.0, math.ceil(5 / (64 / 10_000))).get_epsilon(1e-6)
    with open(OUT, "w") as handle:
        json.dump({"generator": "benchmarks/privacy/make_pld_fixtures.py",
                   "dpAccountingVersion": importlib.metadata.version("dp-accounting"),
                   "epsilon": rows, "delta": deltas,
                   "published": {"samplingRate": 0.0064, "noiseMultiplier": 1.0, "steps": 782, "delta": 1e-6,
                                 "epsilon": published}}, handle, indent=1)
        handle.write("\n")
    print(f"{len(rows)} epsilons, {len(deltas)} deltas; published {published:.6f}")


if __name__ == "__main__":
    main()
