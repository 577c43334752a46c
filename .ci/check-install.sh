#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check-install.sh [BUILD_DIR]: installs flowread into a temporary tree and
# checks it the way a user of the installed package meets it: pkg-config
# flowread-1, the public headers, the library, the CLI and its plugins. It
# builds examples/host and examples/plugin-template against that tree (and
# only that tree), runs the template's test, installs the template plugin
# into the installed pluginsdir and checks that the installed `flowread`
# lists it and reads its sample. Exits non-zero, saying what failed, on the
# first failure.
#
# Two ways to stage the install:
#
#  - no argument (what .ci/run does): configure a fresh build of this source
#    tree with --prefix=$TMP/prefix and `meson install` it without --destdir.
#    Everything is then where it says it is: the .pc file's prefix, the
#    pluginsdir variable and the plugin folder compiled into libflowread all
#    name the temporary tree, so the installed flowread must find the
#    installed plugins (template included) with no --plugin-dir at all. This
#    is the honest check of the install layout.
#
#  - BUILD_DIR (an existing, configured build, e.g. build-embed): stage it
#    with `meson install --destdir $TMP/stage`, as a packager does. The files
#    land under $TMP/stage$prefix but still *say* $prefix: the .pc file has
#    prefix=/usr/local and the library's compiled-in plugin folder is
#    /usr/local/lib/.../flowread-1/plugins, where nothing (or some other
#    flowread) is installed. So we use a copy of the .pc with its prefix line
#    pointed at the staged tree (every other path in it is ${prefix}-based),
#    and we run the staged flowread with --plugin-dir=<staged pluginsdir>,
#    which is searched before the compiled-in folder. This checks the
#    artefacts of BUILD_DIR, but not the compiled-in default plugin folder.
#
# Installed with a prefix, the programs must run as a user runs them: with
# no LD_LIBRARY_PATH at all (the build gives them an rpath to the installed
# libdir when the prefix is not / or /usr, see meson.build). We check that
# the installed libflowread is the one that gets loaded, that flowread
# reads a corpus file right, and that plugins from the pluginsdir load.
# Staged with --destdir, the rpath names the final location, where nothing
# is installed yet: there LD_LIBRARY_PATH points at the staged libdir.
#
# CLEAN_CLONE=1 (no BUILD_DIR): build from a `git clone` of this tree's
# HEAD instead of the working tree, as a user who just cloned it would.
#
# Set KEEP_TMP=1 to keep the temporary tree for a look after a failure.
set -euo pipefail

# Plugins that are group- or world-writable are refused by the loader; do
# not let a lax umask fail the check.
umask 022

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${1:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/flowread-check-install.XXXXXX")
CURRENT="setup"
REPORTED=0
cleanup () {
  local rc=$?
  # set -e stopped us on a command that failed without fail(): say where.
  if [ "$rc" != 0 ] && [ "$REPORTED" = 0 ]; then
    echo "check-install: FAILED ($CURRENT): a command failed (exit $rc)" >&2
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "check-install: temporary tree kept in $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT

fail () {
  REPORTED=1
  echo "check-install: FAILED ($CURRENT): $*" >&2
  exit 1
}
step () {
  CURRENT=$*
  printf -- '--- %s\n' "$*"
}
# run LOG CMD...: runs CMD with output to LOG; shows LOG on failure.
run () {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$* (log: $log)"
  fi
}

# A plugin folder or pkg-config path from the caller's environment (e.g.
# `meson devenv`) would let the check pass against the wrong files.
unset FLOWREAD_PLUGIN_PATH
export PKG_CONFIG_PATH=
unset LD_LIBRARY_PATH

for tool in meson ninja pkg-config cmp; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done

# ------------------------------------------------------------------ install
if [ -z "$BUILD_DIR" ]; then
  if [ "${CLEAN_CLONE:-0}" = 1 ]; then
    step "clean clone of $SRC"
    run "$TMP/clone.log" git clone -q "$SRC" "$TMP/src"
    # the corpus lies beside the source tree; the clone is elsewhere
    export FLOWREAD_CORPUS=${FLOWREAD_CORPUS:-$SRC/../shared/corpus}
    SRC=$TMP/src
  fi
  step "build and install into $TMP/prefix"
  run "$TMP/setup.log" meson setup "$TMP/build" "$SRC" --prefix="$TMP/prefix" \
    -Dtests=false --buildtype=debugoptimized
  run "$TMP/compile.log" meson compile -C "$TMP/build"
  run "$TMP/install.log" meson install -C "$TMP/build"
  PREFIX=$TMP/prefix
  STAGED=no
else
  step "stage $BUILD_DIR with --destdir $TMP/stage"
  [ -f "$BUILD_DIR/build.ninja" ] || fail "$BUILD_DIR is not a configured meson build folder"
  run "$TMP/install.log" meson install -C "$BUILD_DIR" --destdir "$TMP/stage"
  STAGED=yes
fi

step "pkg-config file"
if [ "$STAGED" = no ]; then
  PC=$(find "$PREFIX" -name flowread-1.pc -path '*/pkgconfig/*' | head -n 1)
  [ -n "$PC" ] || fail "flowread-1.pc not installed under $PREFIX"
  PKG_CONFIG_PATH=$(dirname "$PC")
else
  PC=$(find "$TMP/stage" -name flowread-1.pc -path '*/pkgconfig/*' | head -n 1)
  [ -n "$PC" ] || fail "flowread-1.pc not installed under $TMP/stage"
  REAL_PREFIX=$(sed -n 's/^prefix=//p' "$PC")
  [ -n "$REAL_PREFIX" ] || fail "no prefix= line in $PC"
  PREFIX=$TMP/stage$REAL_PREFIX
  mkdir -p "$TMP/pkgconfig"
  sed "s|^prefix=.*|prefix=$PREFIX|" "$PC" >"$TMP/pkgconfig/flowread-1.pc"
  grep -q '^[a-z]*dir=/' "$TMP/pkgconfig/flowread-1.pc" \
    && fail "$PC has a path that is not \${prefix}-relative; cannot relocate it"
  PKG_CONFIG_PATH=$TMP/pkgconfig
fi
export PKG_CONFIG_PATH
pkg-config --exists --print-errors flowread-1 || fail "pkg-config cannot use flowread-1.pc"
LIBDIR=$(pkg-config --variable=libdir flowread-1)
INCLUDEDIR=$(pkg-config --variable=includedir flowread-1)
PLUGINSDIR=$(pkg-config --variable=pluginsdir flowread-1)
ABI=$(pkg-config --variable=plugin_abi_major flowread-1)
echo "libdir=$LIBDIR"
echo "pluginsdir=$PLUGINSDIR"
[ "$ABI" = 1 ] || fail "plugin_abi_major is '$ABI', want 1"
case $PLUGINSDIR in "$PREFIX"/*) ;; *) fail "pluginsdir $PLUGINSDIR is outside $PREFIX" ;; esac
[ -d "$PLUGINSDIR" ] || fail "pluginsdir $PLUGINSDIR does not exist"

step "installed files"
for h in flowread.h flowread-plugin.h flowread-version.h; do
  [ -f "$INCLUDEDIR/flowread-1/flowread/$h" ] || fail "header $h not installed"
done
for h in fl-csv.h fl-exec.h fl-writer.h fl-private.h; do
  if find "$PREFIX" -name "$h" | grep -q .; then
    fail "internal header $h was installed"
  fi
done
BIN=$PREFIX/bin/flowread
[ -x "$BIN" ] || fail "$BIN not installed"
ls "$LIBDIR"/libflowread.so.1 >/dev/null || fail "libflowread.so.1 not in $LIBDIR"
ls "$PLUGINSDIR"/fl-*.so >/dev/null 2>&1 || fail "no plugin installed in $PLUGINSDIR"

if [ "$STAGED" = yes ]; then
  export LD_LIBRARY_PATH=$LIBDIR
fi
if command -v ldd >/dev/null; then
  LOADED=$(ldd "$BIN" | sed -n 's/.*libflowread\.so\.1 => \([^ ]*\).*/\1/p')
  [ "$(readlink -f "$LOADED")" = "$(readlink -f "$LIBDIR/libflowread.so.1")" ] \
    || fail "$BIN loads libflowread from '$LOADED', not $LIBDIR"
fi

# The installed flowread with the installed plugins (see the top comment).
if [ "$STAGED" = no ]; then
  FLOWREAD=("$BIN")
else
  FLOWREAD=("$BIN" --plugin-dir="$PLUGINSDIR")
fi

step "installed flowread --version / --list-plugins"
run "$TMP/version.log" "$BIN" --version
if [ "$STAGED" = no ]; then
  for f in "$BIN" "$PLUGINSDIR"/fl-*.so; do
    readelf -d "$f" | grep -q "R\(UN\)\?PATH.*\[$LIBDIR\]" \
      || fail "$f has no rpath to $LIBDIR (readelf -d)"
  done
fi
"${FLOWREAD[@]}" --list-plugins >"$TMP/plugins.txt" || fail "--list-plugins failed"
cat "$TMP/plugins.txt"
if grep -q ' refused ' "$TMP/plugins.txt"; then
  fail "a plugin of the fresh install was refused (see above)"
fi
for p in text gzip flowtools flowd; do
  grep -q "^$p .* $PLUGINSDIR/" "$TMP/plugins.txt" \
    || fail "plugin $p not loaded from $PLUGINSDIR"
done

CORPUS=${FLOWREAD_CORPUS:-$SRC/../shared/corpus}
if [ -f "$CORPUS/MANIFEST.tsv" ]; then
  step "installed flowread reads corpus files"
  for f in flow-tools/big-v5-z9.ft gzip/mixed-v9.flowd.gz; do
    want=$CORPUS/$(awk -F'\t' -v f="$f" '$1 == f { print $5 }' "$CORPUS/MANIFEST.tsv")
    "${FLOWREAD[@]}" -o json "$CORPUS/$f" >"$TMP/read.jsonl" 2>"$TMP/read.err" \
      || { cat "$TMP/read.err" >&2; fail "flowread -o json $f failed"; }
    cmp -s "$TMP/read.jsonl" "$want" || fail "flowread -o json $f differs from $want"
  done
fi

# ------------------------------------------------------------------ template
TEMPLATE=$SRC/examples/plugin-template
step "plugin template: build against the installed tree"
run "$TMP/tpl-setup.log" meson setup "$TMP/tpl" "$TEMPLATE"
grep -q "flowread-1 found: YES" "$TMP/tpl-setup.log" || fail "template did not find flowread-1"
run "$TMP/tpl-compile.log" meson compile -C "$TMP/tpl"
# Only the installed headers may be used: no -I into the source tree.
if grep -q -- "-I$SRC/\(include\|core\)" "$TMP/tpl/compile_commands.json"; then
  fail "the template was compiled with the source tree's headers"
fi

step "plugin template: its test"
run "$TMP/tpl-test.log" meson test -C "$TMP/tpl" --print-errorlogs
grep -E "^[0-9]+/[0-9]+ " "$TMP/tpl-test.log" || true

step "plugin template: install into the pluginsdir of flowread-1.pc"
run "$TMP/tpl-install.log" meson install -C "$TMP/tpl"
[ -f "$PLUGINSDIR/fl-flowlines.so" ] || fail "fl-flowlines.so not installed in $PLUGINSDIR"

step "plugin template: -Dpluginsdir for a non-root install"
run "$TMP/tpl2-setup.log" meson setup "$TMP/tpl2" "$TEMPLATE" -Dpluginsdir="$TMP/user-plugins"
run "$TMP/tpl2-install.log" meson install -C "$TMP/tpl2"
[ -f "$TMP/user-plugins/fl-flowlines.so" ] || fail "-Dpluginsdir was not honoured"
"$BIN" --plugin-dir="$TMP/user-plugins" --list-plugins >"$TMP/user-plugins.txt" \
  || fail "--list-plugins with the user folder failed"
grep -q "^flowlines .* $TMP/user-plugins/fl-flowlines.so" "$TMP/user-plugins.txt" \
  || fail "flowlines not loaded from --plugin-dir=$TMP/user-plugins"

step "installed flowread lists and reads the template plugin"
"${FLOWREAD[@]}" --list-plugins >"$TMP/plugins2.txt" || fail "--list-plugins failed"
grep "^flowlines " "$TMP/plugins2.txt" || fail "flowlines not listed"
grep -q "^flowlines .* format .* $PLUGINSDIR/fl-flowlines.so" "$TMP/plugins2.txt" \
  || fail "flowlines not loaded from $PLUGINSDIR"
set +e
"${FLOWREAD[@]}" -o json "$TEMPLATE/sample.flowlines" >"$TMP/sample.jsonl" 2>"$TMP/sample.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$TMP/sample.err" >&2; fail "flowread -o json sample.flowlines: exit $rc"; }
cmp "$TMP/sample.jsonl" "$TEMPLATE/sample.jsonl" \
  || { diff "$TEMPLATE/sample.jsonl" "$TMP/sample.jsonl" >&2 || true
       fail "flowread -o json sample.flowlines differs from sample.jsonl"; }
printf '#flowlines 1\n1 2 10.0.0.1 10.0.0.2 70000 2 6 3 4\n' >"$TMP/bad.flowlines"
set +e
"${FLOWREAD[@]}" -o json "$TMP/bad.flowlines" >/dev/null 2>"$TMP/bad.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "a corrupt flowlines file gave exit $rc, want 1"
grep -q "flowlines: byte 35: line 2: bad srcport" "$TMP/bad.err" \
  || { cat "$TMP/bad.err" >&2; fail "unexpected error message for a corrupt flowlines file"; }

# ------------------------------------------------------------------ host
step "host example: build against the installed tree"
run "$TMP/host-setup.log" meson setup "$TMP/host" "$SRC/examples/host"
run "$TMP/host-compile.log" meson compile -C "$TMP/host"
HOST=$TMP/host/top-talkers
if [ "$STAGED" = no ]; then HOSTARGS=(); else HOSTARGS=(--plugin-dir="$PLUGINSDIR"); fi

step "host example: two formats, a missing file, exit status"
# The same flows as CSV, read back by the text plugin: 192.0.2.85 sent
# 4875 + 52011 bytes in the sample, twice over.
"${FLOWREAD[@]}" -o csv "$TEMPLATE/sample.flowlines" >"$TMP/sample.csv" \
  || fail "flowread -o csv sample.flowlines"
set +e
"$HOST" "${HOSTARGS[@]}" -n 2 "$TEMPLATE/sample.flowlines" "$TMP/missing" \
  "$TMP/sample.csv" >"$TMP/host.out" 2>"$TMP/host.err"
rc=$?
set -e
cat "$TMP/host.out" "$TMP/host.err"
[ "$rc" = 1 ] || fail "top-talkers exit $rc with a missing file, want 1"
grep -q "$TMP/missing" "$TMP/host.err" || fail "top-talkers did not name the missing file"
[ "$(sed -n 2p "$TMP/host.out" | awk '{print $1, $2, $3}')" = "192.0.2.85 113772 4" ] \
  || fail "top-talkers: wrong first line"
[ "$(sed -n 3p "$TMP/host.out" | awk '{print $1, $2, $3}')" = "192.0.2.10 18200 2" ] \
  || fail "top-talkers: wrong second line"
[ "$(wc -l <"$TMP/host.out")" = 3 ] || fail "top-talkers -n 2 printed more than 2 rows"

head -c 100 "$TEMPLATE/sample.flowlines" >"$TMP/cut.flowlines"
set +e
"$HOST" "${HOSTARGS[@]}" "$TMP/cut.flowlines" >/dev/null 2>"$TMP/cut.err"
rc=$?
set -e
[ "$rc" = 3 ] || { cat "$TMP/cut.err" >&2; fail "top-talkers exit $rc on a truncated file, want 3"; }

# Against the corpus, when it is there: the sums over every 'ok' row must
# equal those computed from the expected JSON lines.
if [ -f "$CORPUS/MANIFEST.tsv" ] && command -v python3 >/dev/null; then
  step "host example: the corpus's ok rows against their expected output"
  awk -F'\t' 'NR > 1 && $4 == "ok" { print $1 "\t" $5 }' "$CORPUS/MANIFEST.tsv" >"$TMP/ok-rows.tsv"
  cut -f1 "$TMP/ok-rows.tsv" | sed "s|^|$CORPUS/|" >"$TMP/ok-files.txt"
  mapfile -t OKFILES <"$TMP/ok-files.txt"
  "$HOST" "${HOSTARGS[@]}" -n 1000000000 "${OKFILES[@]}" >"$TMP/corpus.out" 2>"$TMP/corpus.err" \
    || { tail -n 20 "$TMP/corpus.err" >&2; fail "top-talkers failed on an 'ok' corpus file"; }
  python3 - "$CORPUS" "$TMP/ok-rows.tsv" "$TMP/corpus.out" <<'EOF' || fail "top-talkers sums differ from the corpus's expected output"
import json, sys
corpus, rows, out = sys.argv[1:4]
want = {}
for line in open(rows):
    _, expected = line.rstrip("\n").split("\t")
    for rec in open(f"{corpus}/{expected}"):
        f = json.loads(rec)
        if "srcaddr" in f and "dOctets" in f:
            b, n = want.get(f["srcaddr"], (0, 0))
            want[f["srcaddr"]] = (b + f["dOctets"], n + 1)
got = {}
for line in list(open(out))[1:]:
    a, b, n = line.split()
    got[a] = (int(b), int(n))
if got != want:
    bad = sorted(set(got.items()) ^ set(want.items()))[:10]
    print(f"{len(got)} addresses, want {len(want)}; first differences: {bad}")
    sys.exit(1)
print(f"{len(got)} source addresses agree")
EOF
else
  echo "(no corpus at $CORPUS: corpus comparison not run)"
fi

CURRENT="done"
echo "check-install: OK"
