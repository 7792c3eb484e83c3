#!/usr/bin/env bash
# The tabular distiller at scale (issue 17): `distill tree` end to end against pandas.read_parquet + one
# scikit-learn DecisionTreeRegressor fit, in one run, on a generated 1 M-row × 40-feature, 5-class table.
#
#   bash scripts/bench_tabular.sh [--rows 1000000] [--max-leaves 256]
#   bash scripts/bench_tabular.sh --rows 10000000 --no-sklearn     # the 10 M-row memory check
#
# Installs scikit-learn, pandas and pyarrow (pinned) once into the project cache next to libtorch —
# ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/tabular-bench-<pins>-py<XY> — with
# `pip install --target`, builds the `distill` binary, and writes reports/bench/tabular_<rows>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PINS_KEY=1   # bump when the pins change
SK=$(bash scripts/pip_cache.sh "tabular-bench-$PINS_KEY" "scikit-learn==1.9.1" "pandas==3.1.1" "pyarrow==26.0.1")
PY=${PYTHON:-python3}
eval "$(bash scripts/libtorch.sh)"
cargo build --release --bin distill >&2
KD_BENCH_COMMAND="bash scripts/bench_tabular.sh${*:+ $*}" PYTHONPATH="$SK${PYTHONPATH:+:$PYTHONPATH}" exec $PY scripts/bench_tabular.py --distill target/release/distill "$@"
