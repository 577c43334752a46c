#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libflowread must export exactly the functions declared in its installed
# headers (design.md section 1): compares `nm -D --defined-only` of the
# built library with include/flowread/*.h. Usage: check-exports.sh
# [LIBFLOWREAD.so] (default: build/core/libflowread.so). Also the meson test
# 'exports' (suite core).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lib="${1:-$here/build/core/libflowread.so}"
exec python3 "$here/core/gen-symbols.py" --check "$lib" "$here"/include/flowread/*.h
