#!/usr/bin/env bash
# Export benchmark (issue 18): a 65 536-leaf MNIST tree as ONNX, C, Python and SQL; file sizes,
# prediction time per row and agreement with the Rust tree, in reports/bench/export_65536.json.
#
#   bash scripts/bench_export.sh
#
# Provisions libtorch, MNIST and onnxruntime (cached, as the test command does), then runs
# `cargo run --release --example bench_export`.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/libtorch.sh)"
if [ -f data/fetch_mnist.sh ]; then bash data/fetch_mnist.sh; fi
eval "$(bash scripts/onnxruntime.sh)"
PYTHONPATH="$KD_ONNX_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}" exec cargo run --release --example bench_export
