#!/bin/sh
# ns/element of the math tiles of REF (default main) and the work tree, built as the runtime and as standalone C under
# gcc and clang (bench/mathbench.c; docs/numerics.md). Usage: scripts/mathbench.sh [runs] [ref]; prints medians.
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
done | tee "$TMP/log"
python3 - "$TMP/log" <<'PY'
import re, statistics, sys
from collections import defaultdict
d, cur = defaultdict(list), None
for line in open(sys.argv[1]):
    m = re.match(r"== run \d+ (\S+)", line)
    if m:
        cur = m.group(1)
        continue
    p = line.split()
    if cur and len(p) >= 2 and p[0] != "tile":
        for t, v in zip(["f32", "f64"], p[1:]):
            d[(cur, p[0], t)].append(float(v))
cfgs = ["runtime", "gcc", "gcc-native", "clang-native"]
for t in ["f32", "f64"]:
    print(f"\n{t}: median ns/element, before -> after")
    print("| tile | " + " | ".join(cfgs) + " |\n|---|" + "---:|" * len(cfgs))
    for op in ["exp", "log", "log1p", "tanh", "logistic", "sin", "cos", "sincos"]:
        if not any(d.get((f"after-{c}", op, t)) for c in cfgs):
            continue
        med = lambda v: "%.2f" % statistics.median(v) if v else "–"
        print(f"| {op} | " + " | ".join(f"{med(d.get((f'before-{c}', op, t)))} → {med(d.get((f'after-{c}', op, t)))}" for c in cfgs) + " |")
PY
