#!/usr/bin/env bash
# Provision libtorch for tch 0.24 (= libtorch 2.11.0) from PyPI's `torch` wheel, once per version,
# into a cache OUTSIDE the clone, then print the environment cargo needs (eval-able).
#
#   eval "$(bash scripts/libtorch.sh)"
#
# Cache: $KD_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/kdistill. Keyed by torch and python version.
# `pip install --target` needs no venv (Debian's python3 may lack python3-venv) and is not blocked by
# PEP 668's externally-managed marker.
set -euo pipefail
TORCH_VERSION=2.11.0
PY=${PYTHON:-python3}
CACHE=${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}
PYV=$($PY -c 'import sys;print(f"{sys.version_info[0]}{sys.version_info[1]}")')
DIR=$CACHE/torch-$TORCH_VERSION-py$PYV
if [ ! -f "$DIR/.complete" ]; then
  echo "libtorch: installing torch==$TORCH_VERSION from PyPI into $DIR (one time, ~4.7 GB)" >&2
  rm -rf "$DIR.partial"
  mkdir -p "$CACHE"
  $PY -m pip install --quiet --disable-pip-version-check --no-input --target "$DIR.partial" \
      "torch==$TORCH_VERSION" >&2
  rm -rf "$DIR" && mv "$DIR.partial" "$DIR"
  touch "$DIR/.complete"
fi
TORCH=$DIR/torch
[ -f "$TORCH/lib/libtorch_cpu.so" ] || { echo "libtorch: $TORCH/lib/libtorch_cpu.so missing; delete $DIR and retry" >&2; exit 1; }
echo "export LIBTORCH='$TORCH'"
echo "export LIBTORCH_INCLUDE='$TORCH'"
echo "export LIBTORCH_LIB='$TORCH'"
echo "export LIBTORCH_CXX11_ABI=1"
echo "export KD_TORCH_SITE='$DIR'"
