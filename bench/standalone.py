"""The standalone-C columns of make bench: a workload's `axc compile` output built with the system gcc and clang
(-O3 -march=native, nothing else) and timed by a C driver generated from its header, with the harness semantics of
`axc bench` (one first call, one warm-up, then the median of the timed runs). The driver splits loops between cores
with axc's thread pool through the file's AXC_PARALLEL_FOR hook (docs/c-interface.md), as axc does in-process;
AXC_BENCH_THREADS=1 runs them whole."""
import json
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CTYPES = {"f32": "float", "f64": "double", "i32": "int32_t", "bool": "uint8_t"}

# The driver's AXC_PARALLEL_FOR: axc's own thread pool (the runtime's ax_parallel_for, Sources/AxRuntime/axruntime.c,
# linked in), or each loop whole when AXC_BENCH_THREADS=1.
POOL = r"""
static int serial;
void bench_parallel_for(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t), void *ctx) {
    if (serial) { if (n > 0) body(ctx, 0, n); } else ax_parallel_for(n, grain, body, ctx);
}
"""


def parse_header(h):
    """The entry's prototype, its size parameters and its input and output leaves (C name, dtype, dims) from the header
    `axc compile` writes (one entry)."""
    proto = next(l for l in h.splitlines() if l.startswith("int ") and l.endswith(");"))
    name = proto[4:proto.index("(")]
    sizes, inputs, outputs = [], [], []
    for m in re.finditer(r"^ \*   (\w+): (size variable `([^`]+)`|input `[^`]+`: (\w+)\[([^\]]*)\]|output \d+: (\w+)\[([^\]]*)\])",
                         h, re.M):
        cname = m.group(1)
        dims = lambda s: [d.strip() for d in s.split(",") if d.strip()]
        if m.group(3):
            sizes.append((cname, m.group(3)))
        elif m.group(4):
            inputs.append((cname, m.group(4), dims(m.group(5))))
        else:
            outputs.append((cname, m.group(6), dims(m.group(7))))
    return name, sizes, inputs, outputs


def driver_source(header_name, h, sizes):
    """A C program calling the entry of header `h` at `sizes` (size name -> value): inputs standard normal (i32 in
    [0, 10), bool 0/1), one first call, one warm-up, then argv[1] timed runs; prints one JSON line."""
    name, size_params, inputs, outputs = parse_header(h)

    def count(dims):
        return "*".join(["(int64_t)1"] + [d if d.isdigit() else f"(int64_t){sizes[d]}" for d in dims])

    s = ["#define _POSIX_C_SOURCE 200809L", "#include <math.h>", "#include <pthread.h>", "#include <stdint.h>",
         "#include <stdio.h>", "#include <stdlib.h>", "#include <time.h>", "#include <unistd.h>",
         f'#include "{header_name}"', '#include "axruntime.h"', POOL,
         "static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }",
         "static uint64_t rng = 0x9e3779b97f4a7c15u;",
         "static double uniform(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return ((rng >> 11) + 0.5) / 9007199254740992.0; }",
         "static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }",
         "static void *alloc(int64_t bytes) { void *p = 0; if (posix_memalign(&p, 64, bytes > 0 ? (size_t)bytes : 64)) { fprintf(stderr, \"out of memory\\n\"); exit(1); } return p; }",
         "static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }",
         "int main(int argc, char **argv) {",
         "    int runs = argc > 1 ? atoi(argv[1]) : 10, r;",
         "    int64_t i;",
         "    double t0, first, *times;",
         "    void *scratch;",
         "    serial = getenv(\"AXC_BENCH_THREADS\") && atoi(getenv(\"AXC_BENCH_THREADS\")) == 1;"]
    for c, dt, dims in inputs:
        t = CTYPES[dt]
        fill = {"f32": "(float)normal()", "f64": "normal()", "i32": "(int32_t)(uniform() * 10)", "bool": "(uint8_t)(uniform() < 0.5)"}[dt]
        s.append(f"    {t} *{c} = ({t} *)alloc({count(dims)} * (int64_t)sizeof({t}));")
        s.append(f"    for (i = 0; i < {count(dims)}; i++) {c}[i] = {fill};")
    for c, dt, dims in outputs:
        t = CTYPES[dt]
        s.append(f"    {t} *{c} = ({t} *)alloc({count(dims)} * (int64_t)sizeof({t}));")
    size_args = [f"(int64_t){sizes[u]}" for _, u in size_params]
    args = ", ".join(size_args + [c for c, _, _ in inputs] + [c for c, _, _ in outputs] + ["scratch"])
    s += [f"    scratch = alloc((int64_t){name}_scratch_bytes({', '.join(size_args)}));",
          "    times = (double *)alloc(runs * (int64_t)sizeof(double));",
          "    t0 = now_ms();",
          f"    if ({name}({args}) != 0) {{ fprintf(stderr, \"the kernel rejected its sizes\\n\"); return 1; }}",
          "    first = now_ms() - t0;",
          f"    {name}({args});",
          f"    for (r = 0; r < runs; r++) {{ t0 = now_ms(); {name}({args}); times[r] = now_ms() - t0; }}",
          "    qsort(times, runs, sizeof(double), cmp);",
          "    printf(\"{\\\"first_ms\\\": %.6g, \\\"median_ms\\\": %.6g, \\\"min_ms\\\": %.6g, \\\"threads\\\": %d}\\n\", first,",
          "           runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2, times[0], serial ? 1 : (int)sysconf(_SC_NPROCESSORS_ONLN));",
          "    return 0;", "}"]
    return "\n".join(s) + "\n"


def compilers():
    """The C compilers of the columns: gcc and clang as found on PATH (None when missing)."""
    return {"gcc": shutil.which("gcc"), "clang": shutil.which("clang")}


def standalone_build(axc, sample, entry, sizes, slug):
    """{compiler: the path of the driver built with the workload's standalone C, or {"error": ...}}."""
    d = os.path.join(HERE, "out", "standalone")
    os.makedirs(d, exist_ok=True)
    c, h = os.path.join(d, slug + ".c"), os.path.join(d, slug + ".h")
    p = subprocess.run([axc, "compile", sample, "--fn", entry, "-o", c], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        return {k: {"error": p.stderr.strip().splitlines()[-1:]} for k in compilers()}
    main = os.path.join(d, slug + "_main.c")
    with open(h) as f, open(main, "w") as out:
        out.write(driver_source(slug + ".h", f.read(), sizes))
    exes = {}
    for name, cc in compilers().items():
        if not cc:
            exes[name] = {"error": [f"{name} is not installed"]}
            continue
        exe = os.path.join(d, f"{slug}_{name}")
        rt = os.path.join(ROOT, "Sources", "AxRuntime")
        b = subprocess.run([cc, "-O3", "-march=native", "-DAXC_PARALLEL_FOR=bench_parallel_for", "-I", d, "-I", os.path.join(rt, "include"),
                            c, main, os.path.join(rt, "axruntime.c"), "-o", exe, "-lm", "-lpthread"], capture_output=True, text=True)
        exes[name] = exe if b.returncode == 0 else {"error": (b.stderr.strip().splitlines() or ["build failed"])[-1:]}
    return exes


def standalone_run(exe, runs):
    """One process of a driver from standalone_build (or its error): axc-bench-like JSON or {"error": ...}."""
    if not isinstance(exe, str):
        return exe
    r = subprocess.run([exe, str(runs)], capture_output=True, text=True, timeout=900)
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {"error": r.stderr.strip().splitlines()[-1:]}
