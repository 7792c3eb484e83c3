#!/usr/bin/env bash
# Provision onnx and onnxruntime (pinned) for the ONNX export test, once, into the project cache beside
# libtorch — ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/onnx-<pins>-py<XY> — with
# `pip install --target` (no venv), and print `export KD_ONNX_PYTHONPATH=…` for `eval`.
set -euo pipefail
PINS_KEY=1   # bump when the pins change
OX=$(bash "$(dirname "${BASH_SOURCE[0]}")/pip_cache.sh" "onnx-$PINS_KEY" "onnx==1.23.2" "onnxruntime==1.32.0")
echo "export KD_ONNX_PYTHONPATH='$OX'"
