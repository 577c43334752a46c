#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang and runs each for SECONDS.
#   [FUZZ_INFLATE=auto|isal|zlib] fuzz/run.sh [SECONDS] [TARGET...]
#   (default 60 s, every target, ISA-L inflate where libisal-dev is installed)
# Seeds are copied from the sample corpus ($FLOWREAD_CORPUS, default
# ../shared/corpus) into a temporary folder, never into the repository.
# Crashing inputs are saved in build-fuzz/crashes/; copy the ones worth
# keeping to tests/regress/<plugin>-<n>.bin.
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
# FUZZ_INFLATE: the inflater of the flowtools and gzip plugins (meson's
# -Dinflate: auto = ISA-L where installed, isal, zlib); one build dir each.
inflate=${FUZZ_INFLATE:-auto}
case $inflate in
  auto) build=${FUZZ_BUILD_DIR:-$top/build-fuzz} ;;
  isal|zlib) build=${FUZZ_BUILD_DIR:-$top/build-fuzz-$inflate} ;;
  *) echo "fuzz/run.sh: FUZZ_INFLATE must be auto, isal or zlib" >&2; exit 2 ;;
esac
corpus=${FLOWREAD_CORPUS:-$top/../shared/corpus}
targets=${*:-probe flowtools flowd text gzip nfdump filter}

if ! grep -q "subdir('fuzz')" "$top/meson.build"; then
  echo "fuzz/run.sh: meson.build lacks: if get_option('fuzzing') subdir('fuzz') endif" >&2
  exit 2
fi

if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" "$top" -Dfuzzing=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dinflate="$inflate" \
    -Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized
fi
meson compile -C "$build"

work=$(mktemp -d "${TMPDIR:-/tmp}/flowread-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$build/crashes"

# Seeds: corpus files of the target's kind, at most 128 KiB each (bigger
# ones slow every mutation down and add nothing a cut copy lacks).
# $1 target, $2 file name pattern, then corpus folders.
seed() {
  dir=$work/seeds-$1
  pattern=$2
  shift 2
  mkdir -p "$dir"
  for d in "$@"; do
    find "$corpus/$d" -maxdepth 1 -type f -size -128k -name "$pattern" \
      -exec cp {} "$dir/" \; 2>/dev/null || true
  done
  echo "$dir"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in $targets; do
  case $t in
    probe)     seeds=$(seed probe '*' flow-tools flowd gzip text nfdump) ;;
    flowtools) seeds=$(seed flowtools '*' flow-tools) ;;
    flowd)     seeds=$(seed flowd '*' flowd) ;;
    text)      seeds=$(seed text '*.csv' text flow-tools/expected flowd/expected) ;;
    gzip)      seeds=$(seed gzip '*' gzip) ;;
    nfdump)    seeds=$(seed nfdump '*.nfcapd' nfcapd nfdump) ;;
    filter)    # one seed file per line of the corpus's filters.txt
               seeds=$work/seeds-filter
               mkdir -p "$seeds"
               i=0
               while IFS= read -r line; do
                 i=$((i + 1))
                 printf '%s' "$line" > "$seeds/filter-$i"
               done < "$corpus/filters/filters.txt" ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  mkdir -p "$work/new-$t"
  echo "=== fuzz-$t for ${seconds}s (seeds: $(ls "$seeds" | wc -l))"
  if ! "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -max_len=131072 \
       -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/crashes/$t-" "$work/new-$t" "$seeds"; then
    echo "=== fuzz-$t FAILED: see $build/crashes/" >&2
    status=1
  fi
done
exit $status
