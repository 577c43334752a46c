#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh [--quick] [--runs N] [--sizes 100k,1M,5M] [--only SUBSTR] BUILD_DIR
# Builds BUILD_DIR (use -Dbuildtype=release), makes or reuses the inputs, runs
# the benchmark and prints a markdown report on stdout. See bench/README.md.
set -eu
here=$(dirname "$0")
build=
for a in "$@"; do build=$a; done
if [ -z "$build" ] || [ ! -d "$build" ]; then
  echo "usage: $0 [--quick] [--runs N] [--sizes LIST] [--only SUBSTR] BUILD_DIR" >&2
  exit 2
fi
meson compile -C "$build" >&2
exec python3 "$here/run.py" "$@"
