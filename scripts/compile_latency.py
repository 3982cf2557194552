#!/usr/bin/env python3
# Compile latency: for every jit entry of every sample, and for generated programs of growing length (the scaling
# table), times source -> runnable kernel stage by stage with `axc bench --json --runs 1 --modes jit` (fresh
# processes, median per stage) and writes docs/compile-latency.md. Usage: scripts/compile_latency.py [--runs 5]
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGES = ["parse", "transform", "fuse", "emit", "tcc", "total"]


def axc_binary():
    """The release axc if built, else the debug one, and which it is."""
    for kind in ["release", "debug"]:
        path = os.path.join(ROOT, ".build", kind, "axc")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path, kind
    sys.exit("no axc binary: run `swift build --product axc` (or with -c release) first")


def jit_entries(axc, sample):
    """Names of the sample's jit entries, from `axc check`."""
    out = subprocess.run([axc, "check", sample], capture_output=True, text=True, check=True).stdout
    return [line.split(" ")[0] for line in out.splitlines() if " [jit]:" in line]


def size_vars(axc, path, fn):
    """The size variables of entry `fn`, from its signature in `axc check` (`x: f32[n,5]`)."""
    out = subprocess.run([axc, "check", path], capture_output=True, text=True, check=True).stdout
    sig = next(line for line in out.splitlines() if line.split(" ")[0].rstrip(":") == fn)
    sig = sig.split(": ", 1)[1]  # past `NAME [jit]: `
    return sorted(set(re.findall(r"(?<=[\[,])([a-z][a-z0-9_]*)(?=[\],])", sig)))


def compile_ms(axc, sample, fn, sizes=("n=8",)):
    """One fresh `axc bench` process: its compile_ms object (the kernel runs once at n=8).
    Give only sizes the entry has: `--size` for a size variable it does not have is an error."""
    cmd = [axc, "bench", sample, "--fn", fn, "--json", "--runs", "1", "--modes", "jit"]
    for s in sizes:
        cmd += ["--size", s]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["compile_ms"]


def loop_program(step, steps, transform, params="x: f32[k]", result="f32[k]", init=""):
    """A def whose body repeats `step` `steps` times in a `for` loop (unrolled at elaboration), and entry `j`."""
    return (f"def f({params}) -> {result}:\n{init}    for i in range({steps}):\n        {step}\n    return x\n\n"
            f"j = {transform}\n")


def straight_line_program(lines):
    """A def of `lines` statements, each reading the one before and the one three before, and entry `j`."""
    body = "".join(f"    y{i} = tanh(y{i - 1}) * 0.5 + y{max(0, i - 3)} * 0.25\n" for i in range(1, lines))
    return f"def f(x: f32[k]) -> f32[k]:\n    y0 = x\n{body}    return y{lines - 1}\n\nj = jit(f)\n"


# The scaling table: (family, what grows, its values, program builder). Each family must grow linearly.
SCALING = [
    ("chain, single use: `x = x * 0.999 + 0.001`, jit(vmap(f))", "steps", [100, 1000, 10000],
     lambda k: loop_program("x = x * 0.999 + 0.001", k, "jit(vmap(f))")),
    ("chain, multiple use: `x = x + 0.01 * tanh(x) * x`, jit(vmap(f))", "steps", [100, 1000, 10000],
     lambda k: loop_program("x = x + 0.01 * tanh(x) * x", k, "jit(vmap(f))")),
    ("Newton `x = 0.5 * (x + a / x)`, jit(vmap(grad(f)))", "steps", [10, 30, 100],
     lambda k: loop_program("x = 0.5 * (x + a / x)", k, "jit(vmap(grad(f)))", params="a: f32", result="f32",
                            init="    x = a\n")),
    ("straight-line program, jit(f)", "lines", [200, 2000],
     straight_line_program),
]


def fori_program(steps):
    """Newton's iteration for sqrt(a) as a fori_loop of `steps` iterations (a loop that stays a loop), and entry `j`."""
    return ("def newton(i: i32, x: f32) -> f32:\n    return 0.5 * (x + 2.0 / x)\n\n"
            f"def f(a: f32) -> f32:\n    return fori_loop(0, {steps}, newton, a) * a\n\nj = jit(vmap(grad(f)))\n")


# Loops: compile time must not depend on the trip count (docs/language.md "Loops").
LOOPS = [
    ("Newton as `fori_loop(0, K, newton, a)`, jit(vmap(grad(f)))", "iterations", [10, 1000, 1000000], fori_program),
]


def scaling_rows(axc, runs, families=None):
    """Median compile stages of every SCALING program, written to a temporary file."""
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for family, unit, values, build in (families or SCALING):
            for k in values:
                path = os.path.join(d, "scaling.ax")
                with open(path, "w") as f:
                    f.write(build(k))
                sizes = [f"{v}=8" for v in size_vars(axc, path, "j")]
                ms = [compile_ms(axc, path, "j", sizes=sizes) for _ in range(runs)]
                medians = {s: statistics.median(r[s] for r in ms) for s in STAGES}
                rows.append((family, f"{k} {unit}", k, medians))
                print(f"{family} {k}: total={medians['total']:.1f}", file=sys.stderr)
    return rows


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "compile-latency.md"))
    args = ap.parse_args()
    axc, kind = axc_binary()
    samples = sorted(f for f in os.listdir(os.path.join(ROOT, "Samples")) if f.endswith(".ax"))
    rows = []
    for name in samples:
        sample = os.path.join(ROOT, "Samples", name)
        for fn in jit_entries(axc, sample):
            sizes = [f"{v}=8" for v in size_vars(axc, sample, fn)]
            runs = [compile_ms(axc, sample, fn, sizes=sizes) for _ in range(args.runs)]
            medians = {s: statistics.median(r[s] for r in runs) for s in STAGES}
            rows.append((name, fn, medians))
            print(f"{name} {fn}: " + " ".join(f"{s}={medians[s]:.2f}" for s in STAGES), file=sys.stderr)

    scaling = scaling_rows(axc, max(1, min(args.runs, 3)))
    loops = scaling_rows(axc, max(1, min(args.runs, 3)), LOOPS)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Compile latency: source to runnable kernel",
        "",
        "Generated by `scripts/compile_latency.py`; do not edit by hand.",
        "",
        f"Time from `.ax` source to a kernel ready to call, per stage, as `axc bench FILE --fn NAME --json --runs 1 "
        f"--modes jit --size n=8` reports it in `compile_ms`, for every `jit` entry of every sample. Each entry is "
        f"measured in {args.runs} fresh processes (so nothing is cached between them) and each column is the median "
        f"over those runs, in milliseconds (so `total` is the median of the totals, not the sum of the medians).",
        "",
        "Stages: **parse** (source to AST), **transform** (elaboration of the entry, vmap/grad, simplification), "
        "**fuse** (loop fusion into kernel groups), **emit** (C text), **tcc** (in-process compilation and "
        "relocation by libtcc).",
        "",
        f"Binary: `.build/{kind}/axc` ({kind} build).",
        "",
        "| sample | entry | " + " | ".join(STAGES) + " |",
        "|---|---|" + "---:|" * len(STAGES),
    ]
    for name, fn, m in rows:
        lines.append(f"| {name} | {fn} | " + " | ".join(f"{m[s]:.2f}" for s in STAGES) + " |")
    lines += [
        "",
        "## Scaling: compile time against program length",
        "",
        "Generated programs of growing length (`for` loops are unrolled at elaboration, so a 10,000-step loop is a "
        "20,000-equation program). Compile time must grow linearly with the program: the last column, total "
        "milliseconds per step or line, should stay flat within each family. Median of "
        f"{max(1, min(args.runs, 3))} fresh processes, sizes n=8, k=8.",
        "",
        "| program | length | " + " | ".join(STAGES) + " | total per step |",
        "|---|---:|" + "---:|" * (len(STAGES) + 1),
    ]
    for family, length, k, m in scaling:
        lines.append(f"| {family} | {length} | " + " | ".join(f"{m[s]:.1f}" for s in STAGES)
                     + f" | {m['total'] / k:.3f} |")
    lines += [
        "",
        "## Loops: compile time against the trip count",
        "",
        "A `scan`, `fori_loop` or `while_loop` stays a loop in the IR and in the C (docs/language.md \"Loops\"): its body "
        "is compiled once, so compile time does not depend on the number of iterations (the same program with a "
        "constant trip count 10 or 1,000,000; with a size variable one kernel serves every length).",
        "",
        "| program | trip count | " + " | ".join(STAGES) + " |",
        "|---|---:|" + "---:|" * len(STAGES),
    ]
    for family, length, k, m in loops:
        lines.append(f"| {family} | {length} | " + " | ".join(f"{m[s]:.1f}" for s in STAGES) + " |")
    lines += [
        "",
        f"Measured on {datetime.date.today().isoformat()} on {platform.system()} {platform.machine()}, "
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, 1-minute load average {load:.1f} at the end of the "
        f"measurement (the machine was shared with other jobs, so single runs vary).",
        "",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
