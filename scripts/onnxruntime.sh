#!/usr/bin/env bash
# Provision onnx and onnxruntime (pinned) for the ONNX export test, once, into the project cache beside
# libtorch — ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/onnx-<pins>-py<XY> — with
# `pip install --target` (no venv), and print `export KD_ONNX_PYTHONPATH=…` for `eval`.
set -euo pipefail
PINS="onnx==1.23.2 onnxruntime==1.32.0"
PINS_KEY=1   # bump when PINS change
PY=${PYTHON:-python3}
CACHE=${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}
PYV=$($PY -c 'import sys;print(f"{sys.version_info[0]}{sys.version_info[1]}")')
OX=$CACHE/onnx-$PINS_KEY-py$PYV
if [ ! -f "$OX/.complete" ]; then
  echo "onnxruntime.sh: installing $PINS into $OX (one time)" >&2
  rm -rf "$OX.partial"
  mkdir -p "$CACHE"
  # shellcheck disable=SC2086
  $PY -m pip install --quiet --disable-pip-version-check --no-input --target "$OX.partial" $PINS >&2
  rm -rf "$OX" && mv "$OX.partial" "$OX"
  touch "$OX/.complete"
fi
echo "export KD_ONNX_PYTHONPATH='$OX'"
