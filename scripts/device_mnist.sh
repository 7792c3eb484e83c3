#!/usr/bin/env bash
# The MNIST `--full` run on a GPU machine that has python3 + torch 2.11 but no Rust toolchain.
#
#   bash scripts/device_mnist.sh pack   # here: build the example, pack binary + gzipped MNIST into .device/
#   bash scripts/device_mnist.sh run    # there: run the packed binary on CUDA, reports + log into $OUT
#
# `pack` builds `--release --example mnist` (libtorch via scripts/libtorch.sh), copies the binary and the
# four MNIST IDX files, gzip-compressed, into the git-ignored folder .device/ (fetching MNIST first when
# data/mnist/ is missing) and checks that the whole folder stays under 64 MiB (what a device call carries).
#
# `run` points the dynamic loader at the libtorch of the machine's own python3 (torch/lib, through
# LD_LIBRARY_PATH; the binary's baked-in RUNPATH names this build machine's cache, which does not exist
# there, and LD_LIBRARY_PATH is searched before RUNPATH anyway), checks with ldd that every library
# resolves, then runs
#   .device/mnist-bin --full --device cuda --data-dir .device/mnist --no-fetch --cache-dir $KD_MNIST_CACHE --out …
# under `timeout` (KD_MNIST_TIMEOUT seconds, default 570, inside the device tool's 600 s limit), so that
# whatever happens the log and the reports are copied into $OUT: run.log, metrics.json, README.md and
# mnist_report.tar.gz (all PNGs; the tool brings back at most 8 files). Teachers are cached in
# KD_MNIST_CACHE (default /tmp/kd_mnist_cache, outside .device/, which each call's carry replaces): a
# re-run on a machine that is still warm reuses them.
#
# Settings (environment): KD_MNIST_MODE=full|quick (default full), KD_MNIST_DEVICE=cuda|cpu|auto (default
# cuda), KD_MNIST_TIMEOUT (seconds), KD_MNIST_CACHE (folder), OUT (default /tmp/kd_device_out). Extra arguments after `run` go to
# the binary. A dry run of the script on a CPU machine:
#   KD_MNIST_MODE=quick KD_MNIST_DEVICE=cpu OUT=/tmp/dry bash scripts/device_mnist.sh run
#
# Device tool call (the command it sends, `.device` carried):
#   run(command="bash scripts/device_mnist.sh run", carry=[".device"], timeout_s=600)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK=$ROOT/.device
LIMIT_MIB=64
STEMS=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

die() { echo "device_mnist: $*" >&2; exit 1; }

pack() {
  cd "$ROOT"
  eval "$(bash scripts/libtorch.sh)"
  cargo build --release --example mnist
  local data=$ROOT/data/mnist
  local stem have=1
  for stem in "${STEMS[@]}"; do
    [ -f "$data/$stem" ] || [ -f "$data/$stem.gz" ] || have=0
  done
  if [ "$have" = 0 ]; then
    bash data/fetch_mnist.sh || die "MNIST is missing from $data and could not be fetched"
  fi
  rm -rf "$PACK/mnist" "$PACK/mnist.partial"
  mkdir -p "$PACK/mnist.partial"
  for stem in "${STEMS[@]}"; do
    if [ -f "$data/$stem" ]; then
      gzip -9 -n -c "$data/$stem" > "$PACK/mnist.partial/$stem.gz"
    else
      cp "$data/$stem.gz" "$PACK/mnist.partial/$stem.gz"
    fi
  done
  mv "$PACK/mnist.partial" "$PACK/mnist"
  cp target/release/examples/mnist "$PACK/mnist-bin.tmp"
  mv "$PACK/mnist-bin.tmp" "$PACK/mnist-bin"
  chmod +x "$PACK/mnist-bin"
  rm -rf "$PACK/out"   # reports of an earlier local dry run are not carried
  echo "RUNPATH and needed libraries of the packed binary:"
  readelf -d "$PACK/mnist-bin" | grep -E 'RUNPATH|RPATH|NEEDED' || true
  local bytes
  bytes=$(du -sb "$PACK" | cut -f1)
  awk -v b="$bytes" -v l="$LIMIT_MIB" 'BEGIN { printf ".device/ holds %d bytes (%.1f MiB; limit %d MiB):\n", b, b / 1048576, l }'
  (cd "$PACK" && du -ab . | sort -k2)
  [ "$bytes" -le $((LIMIT_MIB * 1048576)) ] || die ".device/ is over $LIMIT_MIB MiB"
  echo 'packed. On the GPU machine: run(command="bash scripts/device_mnist.sh run", carry=[".device"])'
}

run() {
  cd "$ROOT"
  [ -x "$PACK/mnist-bin" ] || die "no packed binary at $PACK/mnist-bin: run 'bash scripts/device_mnist.sh pack' on the build machine and carry .device"
  local out=${OUT:-/tmp/kd_device_out}
  local mode=${KD_MNIST_MODE:-full} device=${KD_MNIST_DEVICE:-cuda} limit=${KD_MNIST_TIMEOUT:-570}
  local cache=${KD_MNIST_CACHE:-/tmp/kd_mnist_cache}
  case "$mode" in full|quick) ;; *) die "KD_MNIST_MODE must be full or quick, not '$mode'" ;; esac
  mkdir -p "$out"
  local log=$out/run.log
  : > "$log"
  exec > >(tee -a "$log") 2>&1
  echo "== $(date -u +%FT%TZ) device_mnist run: mode=$mode device=$device timeout=${limit}s cache=$cache"
  local torch_dir
  torch_dir=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))') \
    || die "python3 cannot import torch (its libtorch is what the binary runs on)"
  python3 -c 'import torch;print("python3 torch", torch.__version__, "| CUDA available:", torch.cuda.is_available())' || true
  export LD_LIBRARY_PATH=$torch_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  if ldd "$PACK/mnist-bin" | grep -q 'not found'; then
    ldd "$PACK/mnist-bin"
    die "some libraries of the packed binary do not resolve (the 'not found' lines above)"
  fi
  ldd "$PACK/mnist-bin" | grep -E 'libtorch|libc10|libcudart' || true
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  fi
  export KD_NO_PROGRESS=1
  local reports=$PACK/out/mnist
  rm -rf "$reports"
  set +e
  local start=$SECONDS
  timeout "$limit" "$PACK/mnist-bin" "--$mode" --device "$device" --data-dir "$PACK/mnist" --no-fetch \
    --cache-dir "$cache" --out "$reports" "$@"
  local rc=$?
  set -e
  if [ "$rc" = 124 ]; then
    echo "== stopped by timeout after ${limit}s (teachers finished so far are cached in $cache)"
  fi
  echo "== exit status $rc after $((SECONDS - start)) s"
  for f in metrics.json README.md; do
    if [ -f "$reports/$f" ]; then cp "$reports/$f" "$out/$f"; fi
  done
  if [ -d "$reports" ]; then
    tar -C "$PACK/out" -czf "$out/mnist_report.tar.gz" mnist
  fi
  echo "== results in $out:" && ls -l "$out"
  return "$rc"
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash scripts/device_mnist.sh pack|run [extra mnist args]   (details at the top of this script)" >&2; exit 2 ;;
esac
