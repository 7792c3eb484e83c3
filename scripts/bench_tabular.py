#!/usr/bin/env python3
"""The tabular distiller at scale against scikit-learn, in one run (issue 17).

  python3 scripts/bench_tabular.py --distill target/release/distill [--rows 1000000] [--out reports/bench/tabular_1m.json]

1. Writes (once, cached in --data-dir, keyed by rows and seed) a Parquet table of `--rows` training rows
   × 40 features with a 5-class label, the teacher's probabilities for them in a second Parquet file,
   and 100 000 test rows with their probabilities. The teacher is a fixed random 2-layer network, the
   labels are sampled from its probabilities (seed 0).
2. scikit-learn side, in a child process: `pandas.read_parquet` of the training table and probabilities,
   then one `DecisionTreeRegressor(max_leaf_nodes=256)` fit on the probabilities; fidelity (agreement
   with the teacher's argmax) on the test rows; the child's peak RSS.
3. kdistill side: `distill tree --data … --teacher-probs … --test … --test-teacher-probs … --max-leaves 256`
   end to end (read, soft and hard trees, metrics, outputs written), wall time and peak RSS of the process.

Prints the ratios and writes them as JSON. Timings are wall clock on whatever machine runs it: compare
the two sides of one run only.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

ROWS_TEST = 100_000
FEATURES = 40
CLASSES = 5
HIDDEN = 32


def make_data(d: str, rows: int, seed: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 1 / np.sqrt(FEATURES), (FEATURES, HIDDEN)).astype(np.float32)
    w2 = rng.normal(0, 2.0, (HIDDEN, CLASSES)).astype(np.float32)

    def teacher(x):
        z = np.tanh(x @ w1) @ w2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    names = [f"x{j}" for j in range(FEATURES)]
    classes = [f"c{k}" for k in range(CLASSES)]
    for split, n in (("train", rows), ("test", ROWS_TEST)):
        x = rng.normal(0, 1, (n, FEATURES)).astype(np.float32)
        p = teacher(x)
        u = rng.random((n, 1))
        label = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), CLASSES - 1)
        df = pd.DataFrame(x, columns=names)
        df["label"] = np.array(classes)[label]
        df.to_parquet(os.path.join(d, f"{split}.parquet"), index=False)
        pd.DataFrame(p.astype(np.float64), columns=classes).to_parquet(os.path.join(d, f"{split}_probs.parquet"), index=False)
    open(os.path.join(d, ".complete"), "w").close()


def sklearn_side(d: str, max_leaves: int) -> None:
    """Run in a child process: prints one JSON line."""
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.tree import DecisionTreeRegressor

    t0 = time.perf_counter()
    train = pd.read_parquet(os.path.join(d, "train.parquet"))
    probs = pd.read_parquet(os.path.join(d, "train_probs.parquet"))
    x = train.drop(columns=["label"]).to_numpy(dtype=np.float32)
    y = probs.to_numpy()
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = DecisionTreeRegressor(max_leaf_nodes=max_leaves, random_state=0).fit(x, y)
    t_fit = time.perf_counter() - t1
    total = time.perf_counter() - t0
    test = pd.read_parquet(os.path.join(d, "test.parquet"))
    tp = pd.read_parquet(os.path.join(d, "test_probs.parquet")).to_numpy()
    pred = model.predict(test.drop(columns=["label"]).to_numpy(dtype=np.float32))
    fidelity = float(np.mean(pred.argmax(axis=1) == tp.argmax(axis=1)))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"read_s": t_read, "fit_s": t_fit, "read_and_fit_s": total, "fidelity": fidelity, "peak_rss_mb": rss_mb,
                      "leaves": int(model.get_n_leaves()), "sklearn_version": sklearn.__version__, "pandas_version": pd.__version__}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distill", required=True, help="path of the distill binary")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--max-leaves", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None, help="where the generated tables are cached")
    ap.add_argument("--out", default=None, help="JSON report (default reports/bench/tabular_<rows>.json)")
    ap.add_argument("--no-sklearn", action="store_true", help="kdistill side only (the 10 M-row memory check)")
    ap.add_argument("--sklearn-child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.sklearn_child:
        sklearn_side(a.sklearn_child, a.max_leaves)
        return 0

    cache = os.environ.get("KD_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kdistill")
    d = a.data_dir or os.path.join(cache, f"tabular-bench-data-{a.rows}-s{a.seed}")
    if not os.path.exists(os.path.join(d, ".complete")):
        os.makedirs(d, exist_ok=True)
        print(f"bench_tabular: writing {a.rows} rows into {d} (one time)", file=sys.stderr)
        make_data(d, a.rows, a.seed)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        cmd = [a.distill, "tree", "--data", os.path.join(d, "train.parquet"), "--target", "label",
               "--teacher-probs", os.path.join(d, "train_probs.parquet"), "--test", os.path.join(d, "test.parquet"),
               "--test-teacher-probs", os.path.join(d, "test_probs.parquet"), "--max-leaves", str(a.max_leaves), "--out", out]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            return 1
        # distill is the first child this process waits for, so the children's peak is its own.
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with open(os.path.join(out, "metrics.json")) as f:
            m = json.load(f)
    ours = {"end_to_end_s": wall, "fidelity": m["soft"]["fidelity"], "peak_rss_mb": rss_mb, "leaves": m["soft"]["leaves"],
            "fit_s": m["train"]["fit_seconds"]}
    print(f"distill tree (read, soft + hard trees, metrics, outputs): {wall:.1f} s, fidelity {ours['fidelity']:.4f}, peak RSS {rss_mb:.0f} MB")
    f32_mb = a.rows * FEATURES * 4 / 2**20
    if a.no_sklearn:
        report = {"rows": a.rows, "features": FEATURES, "classes": CLASSES, "max_leaves": a.max_leaves, "distill": ours,
                  "f32_data_mb": f32_mb, "rss_over_f32_data": rss_mb / f32_mb,
                  "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                              "mem_total_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30},
                  "command": os.environ.get("KD_BENCH_COMMAND") or " ".join(["python3", "scripts/bench_tabular.py"] + sys.argv[1:])}
        print(f"peak RSS {report['rss_over_f32_data']:.2f}× the f32 data ({f32_mb:.0f} MB)")
        return write(report, a)
    sk = subprocess.run([sys.executable, __file__, "--distill", a.distill, "--max-leaves", str(a.max_leaves), "--sklearn-child", d],
                        check=True, capture_output=True, text=True)
    sk = json.loads(sk.stdout.strip().splitlines()[-1])
    print(f"scikit-learn: read {sk['read_s']:.1f} s + fit {sk['fit_s']:.1f} s = {sk['read_and_fit_s']:.1f} s, fidelity {sk['fidelity']:.4f}, peak RSS {sk['peak_rss_mb']:.0f} MB")

    report = {
        "rows": a.rows, "features": FEATURES, "classes": CLASSES, "max_leaves": a.max_leaves,
        "sklearn": sk, "distill": ours,
        "speedup_end_to_end": sk["read_and_fit_s"] / wall,
        "fidelity_gap_points": 100 * (ours["fidelity"] - sk["fidelity"]),
        "rss_ratio_vs_sklearn": rss_mb / sk["peak_rss_mb"],
        "rss_over_f32_data": rss_mb / f32_mb,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "command": os.environ.get("KD_BENCH_COMMAND") or " ".join(["python3", "scripts/bench_tabular.py"] + sys.argv[1:]),
    }
    print(f"speedup {report['speedup_end_to_end']:.1f}× end to end; fidelity {report['fidelity_gap_points']:+.2f} points; "
          f"peak RSS {report['rss_ratio_vs_sklearn']:.2f}× scikit-learn's, {report['rss_over_f32_data']:.2f}× the f32 data")
    return write(report, a)


def write(report: dict, a) -> int:
    path = a.out or os.path.join("reports", "bench", f"tabular_{a.rows}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
