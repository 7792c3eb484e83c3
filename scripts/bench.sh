#!/usr/bin/env bash
# Tree benchmark (issue 5): our tree vs scikit-learn's DecisionTreeRegressor on MNIST soft targets, in one run.
#
#   bash scripts/bench.sh [extra args for examples/bench_tree.rs, e.g. --settings depth8]
#
# Installs scikit-learn (pinned) once into the project cache next to libtorch —
# ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/sklearn-<version>-py<XY> — with `pip install --target`
# (no venv needed), fetches MNIST if missing, then runs `cargo run --release --example bench_tree`, which
# writes reports/bench/tree_vs_sklearn.json.
set -euo pipefail
cd "$(dirname "$0")/.."
SKLEARN_VERSION=1.9.1
SK=$(bash scripts/pip_cache.sh "sklearn-$SKLEARN_VERSION" "scikit-learn==$SKLEARN_VERSION")
PY=${PYTHON:-python3}
if [ ! -f data/mnist/train-images-idx3-ubyte ] && [ ! -f data/mnist/train-images-idx3-ubyte.gz ]; then
  bash data/fetch_mnist.sh
fi
eval "$(bash scripts/libtorch.sh)"
export KD_SKLEARN_PYTHONPATH="$SK"
export KD_PYTHON="$PY"
exec cargo run --release --example bench_tree -- "$@"
