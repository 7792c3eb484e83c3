#!/usr/bin/env python3
"""scikit-learn side of the tree benchmark (issue 5), called by `examples/bench_tree.rs`.

Reads the data the Rust side wrote as little-endian .npy files in --dir:
  x_train.npy (float32, n x d), y_train.npy (float32, n x K soft targets),
  x_test.npy (float32, m x d), labels_test.npy (int64, m)
fits sklearn.tree.DecisionTreeRegressor (criterion squared_error, multi-output) for each setting in
--settings (a JSON list of {"name", "max_depth" (null = unlimited), "min_samples_leaf"}), and writes
--out as JSON: {"sklearn_version", "numpy_version", "python", "results": [{"name", "fit_s", "fit_all_s",
"predict_s", "acc", "n_leaves", "depth"}]}. Each fit is repeated --fit-repeats times (fit_s is the
fastest, fit_all_s all of them; the last model is evaluated). Single-threaded, as scikit-learn's tree is.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import sklearn
from sklearn.tree import DecisionTreeRegressor


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--settings", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--predict-repeats", type=int, default=5)
    ap.add_argument("--fit-repeats", type=int, default=1)
    a = ap.parse_args()

    load = lambda name: np.load(os.path.join(a.dir, name))
    x_train = np.ascontiguousarray(load("x_train.npy"), dtype=np.float32)
    y_train = np.ascontiguousarray(load("y_train.npy"), dtype=np.float64)
    x_test = np.ascontiguousarray(load("x_test.npy"), dtype=np.float32)
    labels = load("labels_test.npy")
    if x_train.shape[0] != y_train.shape[0] or x_test.shape[0] != labels.shape[0]:
        print(f"bench_tree.py: inconsistent shapes {x_train.shape} {y_train.shape} {x_test.shape} {labels.shape}", file=sys.stderr)
        return 2

    results = []
    for s in json.loads(a.settings):
        fit_all = []
        for _ in range(max(1, a.fit_repeats)):
            model = DecisionTreeRegressor(max_depth=s["max_depth"], min_samples_leaf=s["min_samples_leaf"], random_state=0)
            t0 = time.perf_counter()
            model.fit(x_train, y_train)
            fit_all.append(time.perf_counter() - t0)
        fit_s = min(fit_all)
        best = float("inf")
        for _ in range(max(1, a.predict_repeats)):
            t0 = time.perf_counter()
            p = model.predict(x_test)
            best = min(best, time.perf_counter() - t0)
        acc = float(np.mean(np.argmax(p, axis=1) == labels))
        r = {"name": s["name"], "fit_s": fit_s, "fit_all_s": fit_all, "predict_s": best, "acc": acc,
             "n_leaves": int(model.get_n_leaves()), "depth": int(model.get_depth())}
        print(f"sklearn {s['name']}: fit {fit_s:.2f} s (fastest of {len(fit_all)}), acc {acc:.4f}, leaves {r['n_leaves']}, depth {r['depth']}",
              file=sys.stderr, flush=True)
        results.append(r)

    out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
           "python": platform.python_version(), "results": results}
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
