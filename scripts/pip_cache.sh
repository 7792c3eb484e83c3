#!/usr/bin/env bash
# Install pinned PyPI packages once into a folder of the project cache, outside the clone, and print the
# folder (for PYTHONPATH, or libtorch's location):
#
#   dir=$(bash scripts/pip_cache.sh NAME 'pkg==1.2' ['other==3.4' …])
#
# The folder is ${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}/NAME-py<XY> (NAME should carry the
# pins' version, so that new pins get a new folder). `pip install --target` needs no venv (Debian's
# python3 may lack python3-venv) and is not blocked by PEP 668's externally-managed marker. The install
# goes to NAME-py<XY>.partial and is renamed when complete, so an interrupted one is redone, never used.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: pip_cache.sh NAME PACKAGE==VERSION..." >&2; exit 2; }
name=$1; shift
PY=${PYTHON:-python3}
CACHE=${KD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdistill}
PYV=$($PY -c 'import sys;print(f"{sys.version_info[0]}{sys.version_info[1]}")')
DIR=$CACHE/$name-py$PYV
if [ ! -f "$DIR/.complete" ]; then
  echo "$name: installing $* from PyPI into $DIR (one time)" >&2
  rm -rf "$DIR.partial"
  mkdir -p "$CACHE"
  $PY -m pip install --quiet --disable-pip-version-check --no-input --target "$DIR.partial" "$@" >&2
  rm -rf "$DIR" && mv "$DIR.partial" "$DIR"
  touch "$DIR/.complete"
fi
echo "$DIR"
