#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/flowd/run.sh: throughput of the native flowd reader.
#
#   bench/flowd/run.sh [BUILD_DIR]      (default: build)
#
# Makes a 1,000,000-flow flowd log with flowgen.py (cached in
# bench/data/flowd/, gitignored) and a 5,000,000-flow one by concatenating
# five copies (concatenated flowd logs are valid logs). For each size it
# runs, from the page cache, median of 5 (wall seconds, plus user+sys CPU):
#   cat FILE > /dev/null
#   flowread -c FILE
#   flowread -o csv FILE > /dev/null
#   fl-bench-iter -F flowd FILE      (library only, no output formatting)
# and prints the ratios (targets: -c <= 3x cat, csv <= 2x -c) and the peak
# RSS of each flowread run (should not grow from 1M to 5M).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
flowread=$build/tools/flowread/flowread
iter=$build/bench/fl-bench-iter
flowgen=${FLOWGEN:-$top/../shared/tools/flowgen.py}
data=${FLOWD_BENCH_DATA:-$top/bench/data/flowd}
runs=5

[ -x "$flowread" ] || { echo "no $flowread: build first" >&2; exit 2; }
export FLOWREAD_PLUGIN_PATH="$build/plugins/flowd"

mkdir -p "$data"
f1=$data/flows-1m.flowd
f5=$data/flows-5m.flowd
if [ ! -s "$f1" ]; then
  echo "generating $f1 (takes a minute or two) ..." >&2
  python3 "$flowgen" --format flowd --flows 1000000 "$f1.tmp"
  mv "$f1.tmp" "$f1"
fi
if [ ! -s "$f5" ]; then
  cat "$f1" "$f1" "$f1" "$f1" "$f1" > "$f5.tmp"
  mv "$f5.tmp" "$f5"
fi

# run LABEL CMD...: median wall time of $runs runs (stdout to /dev/null),
# median CPU time and the largest peak RSS. Sets $med.
run () {
  label=$1; shift
  "$@" > /dev/null 2>&1 || true        # warm the page cache
  tf=$(mktemp)
  i=0
  while [ $i -lt $runs ]; do
    /usr/bin/time -f "%e %U %S %M" -a -o "$tf" "$@" > /dev/null 2>/dev/null || {
      rc=$?
      [ $rc -eq 0 ] || [ $rc -eq 3 ] || echo "  warning: $label exited $rc" >&2
    }
    i=$((i + 1))
  done
  mid=$(( (runs + 1) / 2 ))
  wall=$(grep -v '^Command' "$tf" | awk '{ print $1 }' | sort -n | sed -n "${mid}p")
  cpu=$(grep -v '^Command' "$tf" | awk '{ printf "%.3f\n", $2 + $3 }' | sort -n | sed -n "${mid}p")
  rss=$(grep -v '^Command' "$tf" | awk '{ print $4 }' | sort -n | tail -n 1)
  set -- "$wall" "$cpu" "$rss"
  rm -f "$tf"
  med=$1
  printf '  %-22s %7.3f s wall  %7.3f s cpu  %8d KB peak RSS\n' "$label" "$1" "$2" "$3"
}

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

for f in "$f1" "$f5"; do
  n=$("$flowread" -c "$f" 2>/dev/null || true)
  echo "== $(basename "$f"): $(stat -c %s "$f") bytes, flowread -c says: ${n:-?}"
  run cat cat "$f";                        t_cat=$med
  run "flowread -c" "$flowread" -c "$f";   t_c=$med
  run "flowread -o csv" "$flowread" -o csv "$f"; t_csv=$med
  if [ -x "$iter" ]; then
    run "fl-bench-iter" "$iter" -F flowd "$f"
  fi
  echo "  -c / cat = $(ratio "$t_c" "$t_cat") (target <= 3x);" \
       "csv / -c = $(ratio "$t_csv" "$t_c") (target <= 2x);" \
       "flowd-reader ~4.8 s / -c = $(ratio 4.8 "$t_c")"
done
