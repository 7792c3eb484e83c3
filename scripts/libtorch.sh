#!/usr/bin/env bash
# Provision libtorch for tch 0.24 (= libtorch 2.11.0) from PyPI's `torch` wheel, once per version,
# into a cache OUTSIDE the clone, then print the environment cargo needs (eval-able).
#
#   eval "$(bash scripts/libtorch.sh)"
#
# Cache: $KD_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/kdistill, folder torch-<version>-py<XY>
# (~4.7 GB), installed by scripts/pip_cache.sh.
set -euo pipefail
TORCH_VERSION=2.11.0
DIR=$(bash "$(dirname "${BASH_SOURCE[0]}")/pip_cache.sh" "torch-$TORCH_VERSION" "torch==$TORCH_VERSION")
TORCH=$DIR/torch
[ -f "$TORCH/lib/libtorch_cpu.so" ] || { echo "libtorch: $TORCH/lib/libtorch_cpu.so missing; delete $DIR and retry" >&2; exit 1; }
echo "export LIBTORCH='$TORCH'"
echo "export LIBTORCH_INCLUDE='$TORCH'"
echo "export LIBTORCH_LIB='$TORCH'"
echo "export LIBTORCH_CXX11_ABI=1"
echo "export KD_TORCH_SITE='$DIR'"
