#!/bin/sh
# ns/element of the runtime's math tiles before (REF, default main) and after (the work tree), built as the runtime
# (clang, SwiftPM's flags, target clones) and as standalone C under gcc and clang (bench/mathbench.c; docs/numerics.md).
# Usage: scripts/mathbench.sh [runs] [ref]. Prints each run; quote medians, and run it on a quiet machine.
set -e
RUNS=${1:-5}
REF=${2:-main}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/before/include" "$TMP/after/include"
git -C "$ROOT" show "$REF:Sources/AxRuntime/axruntime.c" > "$TMP/before/axruntime.c"
git -C "$ROOT" show "$REF:Sources/AxRuntime/include/axruntime.h" > "$TMP/before/include/axruntime.h"
cp "$ROOT/Sources/AxRuntime/axruntime.c" "$TMP/after/"
cp "$ROOT/Sources/AxRuntime/include/axruntime.h" "$TMP/after/include/"
CLANG=$(command -v clang || true)
GCC=$(command -v gcc || true)
for which in before after; do
    set --
    extra=""
    [ "$which" = after ] && extra="-DAX_HAVE_SINCOS"
    if [ -n "$CLANG" ]; then
        # as SwiftPM builds AxRuntime: the x86-64-v3 clone runs on AVX2 machines
        "$CLANG" -O3 -fno-math-errno -ffp-contract=off $extra -I"$TMP/$which/include" -DAX_RUNTIME_C="\"$TMP/$which/axruntime.c\"" \
            "$ROOT/bench/mathbench.c" -o "$TMP/$which-runtime" -lm -lpthread
        "$CLANG" -O3 -march=native -DAX_NO_CLONES $extra -I"$TMP/$which/include" -DAX_RUNTIME_C="\"$TMP/$which/axruntime.c\"" \
            "$ROOT/bench/mathbench.c" -o "$TMP/$which-clang-native" -lm -lpthread
    fi
    if [ -n "$GCC" ]; then
        "$GCC" -O3 -DAX_NO_CLONES $extra -I"$TMP/$which/include" -DAX_RUNTIME_C="\"$TMP/$which/axruntime.c\"" \
            "$ROOT/bench/mathbench.c" -o "$TMP/$which-gcc" -lm -lpthread
        "$GCC" -O3 -march=native -DAX_NO_CLONES $extra -I"$TMP/$which/include" -DAX_RUNTIME_C="\"$TMP/$which/axruntime.c\"" \
            "$ROOT/bench/mathbench.c" -o "$TMP/$which-gcc-native" -lm -lpthread
    fi
done
for r in $(seq "$RUNS"); do
    for b in "$TMP"/before-* "$TMP"/after-*; do
        [ -x "$b" ] || continue
        echo "== run $r $(basename "$b")"
        "$b"
    done
done
