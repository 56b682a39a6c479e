#!/usr/bin/env python3
"""A tuned gradient-boosted-trees baseline on the exact split BehaviorKit used.

Reads a CSV/TSV table and a `split.json` written by `behave train classify` (file lines
of the train, validation and test rows), fits scikit-learn's HistGradientBoostingClassifier
for every setting of a small grid on the training rows, keeps the setting with the best
validation ROC-AUC, and prints one JSON line with its test ROC-AUC.

Text columns become categorical features (the trees split on them natively); everything else
is read as numbers. Needs numpy and scikit-learn.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--positive", default=None)
    args = parser.parse_args()

    with open(args.data, newline="", encoding="utf-8-sig") as handle:
        sample = handle.readline()
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ("\t" if "\t" in sample else ",")
        rows = list(csv.reader(handle, delimiter=delimiter))
    header = rows[0]
    # Rows BehaviorKit rejected (wrong column count) are in no part of the split.
    by_line = {line: row for line, row in enumerate(rows[1:], start=2) if len(row) == len(header)}
    body = list(by_line.values())
    label_index = header.index(args.label)
    columns = [i for i in range(len(header)) if i != label_index]

    def numeric(values: list[str]) -> bool:
        try:
            [float(v) for v in values if v != ""]
            return True
        except ValueError:
            return False

    features = []
    categorical = []
    for i in columns:
        values = [row[i] for row in body]
        if numeric(values):
            features.append(np.array([float(v) if v != "" else np.nan for v in values]))
            categorical.append(False)
        else:
            codes = {v: k for k, v in enumerate(sorted(set(values)))}
            features.append(np.array([codes[v] for v in values], dtype=float))
            categorical.append(True)
    x_all = np.stack(features, axis=1)
    positive = args.positive or next(v for v in ("TRUE", "True", "true", "yes", "1") if v in {r[label_index] for r in body})
    y_all = np.array([1 if row[label_index] == positive else 0 for row in body])
    index_of_line = {line: k for k, line in enumerate(by_line)}

    split = json.load(open(args.split))
    parts = {name: np.array([index_of_line[line] for line in lines]) for name, lines in split.items()}
    x = {name: x_all[idx] for name, idx in parts.items()}
    y = {name: y_all[idx] for name, idx in parts.items()}

    grid = {
        "learning_rate": [0.03, 0.1],
        "max_leaf_nodes": [15, 31, 63],
        "min_samples_leaf": [20, 50],
        "l2_regularization": [0.0, 1.0],
        "max_iter": [100, 300],
    }
    best = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        model = HistGradientBoostingClassifier(categorical_features=categorical, random_state=0, **params)
        model.fit(x["train"], y["train"])
        auc = roc_auc_score(y["validation"], model.predict_proba(x["validation"])[:, 1])
        if best is None or auc > best[0]:
            best = (auc, params, model)
    validation_auc, params, model = best
    test_auc = roc_auc_score(y["test"], model.predict_proba(x["test"])[:, 1])
    print(json.dumps({"impl": "sklearn-hgb", "validation_auc": validation_auc, "test_auc": test_auc,
                      "params": params, "settings_tried": len(list(itertools.product(*grid.values())))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
