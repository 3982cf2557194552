"""make bench: the same workloads in JAX and in axc, on this machine, in one run; prints one table.

For each workload: JAX first call (trace + XLA compile + run) and steady state (median), axc first call
(source → result: parse, transforms, fusion, C emission, tcc, first run) and steady state (median), the
ratios, and peak memory of both. Also the machine's memory bandwidth (bench/stream.c). Writes
bench/out/results.json. The standalone C of `axc compile` is timed under gcc and clang too (bench/standalone.py).
Usage: python3 bench/run.py [--axc PATH] [--only SUBSTRING] [--no-jax]"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from workloads import WORKLOADS  # noqa: E402
from standalone import standalone_build, standalone_run  # noqa: E402


def run_json(cmd, timeout=900):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def stream():
    exe = os.path.join(HERE, "out", "stream")
    subprocess.run(["cc", "-O3", "-march=native", "-pthread", os.path.join(HERE, "stream.c"), "-o", exe], check=True)
    return run_json([exe, "10000000"])


FIRST_CALLS = 3


def median_or_none(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def steady_of_rounds(results):
    """The first of `results` (one process each) without an error, its median_ms now the median of all their medians
    (listed in median_ms_rounds); the first error when every one failed."""
    ok = [r for r in results if "error" not in r]
    if not ok:
        return results[0]
    out = dict(ok[0], median_ms_rounds=[r["median_ms"] for r in ok])
    out["median_ms"] = median_or_none(out["median_ms_rounds"])
    return out


def fmt_ms(x):
    return "—" if x is None else (f"{x:.3g}" if x < 100 else f"{x:.0f}")


BATCH = 512


def axc_devices(axc, ax_file, entry, sizes, procs=None, extra=()):
    """axc bench in mode devices: in-process, or over `procs` MPI processes (one device each)."""
    cmd = [axc, "bench", ax_file, "--fn", entry, *[f"--size={k}={v}" for k, v in sizes.items()], "--json", "--runs", "10",
           *extra]
    if procs is None:
        return run_json(cmd + ["--modes", "devices"])
    mpirun = shutil.which("mpirun")
    if not mpirun:
        return {"error": ["no mpirun (make deps-mpi installs Open MPI)"]}
    return run_json([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(procs), *cmd, "--distributed", "mpi"])


def devices_section(axc):
    """pmap's scaling: the data-parallel step and the all-reduce, printed as two tables; returns the raw results."""
    def ms(r):
        return r.get("modes", {}).get("devices", {}).get("median_ms")

    def share(r):
        return r.get("devices", {}).get("collectives_share")

    out = {"step": [], "allreduce": []}
    print(f"\ndata-parallel step (bench/data_parallel.ax: MLP mean gradient of {BATCH} examples, pmean over devices)")
    hdr = f"{'how':32} {'devices':>7} {'median ms':>10} {'speedup':>8} {'efficiency':>10} {'collectives':>11}"
    print(hdr)
    print("-" * len(hdr))
    for how, procs, extra in [("threads", None, ()), ("MPI ordered", True, ()),
                              ("MPI allreduce", True, ("--mpi-reduce", "allreduce"))]:
        base = None
        for p in (1, 2, 4):
            r = axc_devices(axc, "bench/data_parallel.ax", "data_parallel_grad", {"n": p, "m": BATCH // p},
                            procs=p if procs else None, extra=extra)
            t = ms(r)
            base = t if p == 1 else base
            out["step"].append({"how": how, "devices": p, "result": r})
            sp = base / t if base and t else None
            print(f"{how:32} {p:7d} {fmt_ms(t):>10} {(f'{sp:.2f}x' if sp else '-'):>8} "
                  f"{(f'{100 * sp / p:.0f}%' if sp else '-'):>10} {(f'{100 * share(r):.0f}%' if share(r) is not None else '-'):>11}"
                  + (f"  ({r['error']})" if "error" in r else ""), flush=True)
    print("\nall-reduce (bench/collectives.ax: psum of k f32 per device): per-device kernel median")
    hdr = f"{'how':32} {'devices':>7} {'k':>9} {'median ms':>10} {'GB/s per device':>16}"
    print(hdr)
    print("-" * len(hdr))
    for how, procs in [("threads", None), ("MPI ordered", True)]:
        for p in (2, 4):
            for k in (1, 1 << 20):
                r = axc_devices(axc, "bench/collectives.ax", "all_reduce", {"k": k, "n": p}, procs=p if procs else None)
                per = r.get("devices", {}).get("per_device_ms")
                t = sorted(per)[len(per) // 2] if per else None
                out["allreduce"].append({"how": how, "devices": p, "k": k, "result": r})
                bw = f"{4 * k / (t / 1e3) / 1e9:.2f}" if t and k > 1 else "-"
                print(f"{how:32} {p:7d} {k:9d} {fmt_ms(t):>10} {bw:>16}" + (f"  ({r['error']})" if "error" in r else ""), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--axc", default=os.path.join(ROOT, ".build/release/axc"))
    ap.add_argument("--only", default="")
    ap.add_argument("--only-devices", action="store_true", help="only pmap's scaling section")
    ap.add_argument("--no-jax", action="store_true", help="axc's columns only")
    a = ap.parse_args()
    if a.only_devices:
        os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
        with open(os.path.join(HERE, "out", "devices.json"), "w") as f:
            json.dump(devices_section(a.axc), f, indent=1)
        return
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    bw = stream()
    print(f"memory bandwidth (STREAM-like, gcc -O3): one thread: copy {bw.get('copy_gbs')} GB/s, add {bw.get('add_gbs')} GB/s "
          f"(add 1e7 f32 in {bw.get('add_ms')} ms); two threads: copy {bw.get('copy2_gbs')} GB/s, add {bw.get('add2_gbs')} GB/s "
          f"({bw.get('add2_ms')} ms)", flush=True)
    rows = []
    for name, sample, entry, sizes, runs in WORKLOADS:
        if a.only and a.only not in name:
            continue
        print(f"  running {name} ...", file=sys.stderr, flush=True)
        jx = {"error": ["--no-jax"]} if a.no_jax else run_json([sys.executable, os.path.join(HERE, "jax_bench.py"), name])
        size_args = [f"--size={k}={v}" for k, v in sizes.items()]
        axc_cmd = [a.axc, "bench", sample, "--fn", entry, *size_args, "--json", "--modes", "jit"]
        # Tier 1 (jit) and tier 2 (jit2, the system C compiler, compiled afresh: compile_ms.cc is its latency).
        ax = run_json(axc_cmd[:-1] + ["jit,jit2", "--no-cache", "--runs", str(runs)])

        def axc_first(r):
            return None if "error" in r else r["compile_ms"]["total"] + r["modes"]["jit"]["first_ms"]

        # A first call is one sample of a noisy quantity (page faults of fresh memory on a shared VM): both
        # sides take the median of FIRST_CALLS fresh processes (JAX only one when its first call exceeds 10 s).
        # The same processes give axc's steady state, interleaved with as many of each standalone driver: on a shared
        # machine one process per column samples a different moment's load (docs/performance.md).
        exes = standalone_build(a.axc, sample, entry, sizes, re.sub(r"\W+", "_", name).strip("_"))
        ax_rounds, sa_rounds = [ax], {k: [standalone_run(e, runs)] for k, e in exes.items()}
        for _ in range(FIRST_CALLS - 1):
            ax_rounds.append(run_json(axc_cmd[:-1] + ["jit,jit2", "--runs", str(runs)]))
            for k, e in exes.items():
                sa_rounds[k].append(standalone_run(e, runs))
        ax_firsts = [axc_first(r) for r in ax_rounds]
        for m in ax.get("modes", {}):
            ax["modes"][m] = steady_of_rounds([r["modes"][m] for r in ax_rounds if m in r.get("modes", {})])
        sa = {k: steady_of_rounds(rs) for k, rs in sa_rounds.items()}
        jx_firsts = [jx.get("first_ms")]
        if jx.get("first_ms") and jx["first_ms"] < 10_000:
            jx_firsts += [run_json([sys.executable, os.path.join(HERE, "jax_bench.py"), name, "--first-only"]).get("first_ms")
                          for _ in range(FIRST_CALLS - 1)]
        jx["first_ms_runs"] = jx_firsts
        jx["first_ms"] = median_or_none(jx_firsts)
        rows.append({"workload": name, "jax": jx, "axc": ax, "axc_first_ms": median_or_none(ax_firsts),
                     "axc_first_ms_runs": ax_firsts, "standalone": sa})
    print()
    hdr = (f"{'workload':28} {'JAX first':>10} {'axc first':>10} {'ratio':>7} {'JAX steady':>11} {'axc steady':>11} {'ratio':>7} "
           f"{'tier 2':>9} {'ratio':>7} {'cc ms':>7} {'gcc':>9} {'clang':>9} {'JAX MB':>8} {'axc MB':>8}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        jx, ax = r["jax"], r["axc"]
        jf, js = jx.get("first_ms"), jx.get("median_ms")
        af = r["axc_first_ms"]
        as_ = ax.get("modes", {}).get("jit", {}).get("median_ms")
        rf = f"{jf / af:.0f}×" if jf and af else "—"
        rs = f"{js / as_:.2f}×" if js and as_ else "—"
        jm = jx.get("peak_rss_bytes", 0) / 1e6
        am = ax.get("modes", {}).get("jit", {}).get("peak_rss_bytes", 0) / 1e6
        t2 = ax.get("modes", {}).get("jit2", {}).get("median_ms")
        r2 = f"{js / t2:.2f}×" if js and t2 else "—"
        cc = ax.get("compile_ms", {}).get("cc")
        sa = r["standalone"]
        print(f"{r['workload']:28} {fmt_ms(jf):>10} {fmt_ms(af):>10} {rf:>7} {fmt_ms(js):>11} {fmt_ms(as_):>11} {rs:>7} "
              f"{fmt_ms(t2):>9} {r2:>7} {fmt_ms(cc):>7} {fmt_ms(sa['gcc'].get('median_ms')):>9} "
              f"{fmt_ms(sa['clang'].get('median_ms')):>9} {jm:8.0f} {am:8.0f}")
        for side, res in [("jax", jx), ("axc", ax), ("gcc", sa["gcc"]), ("clang", sa["clang"])]:
            if "error" in res and not (side == "jax" and a.no_jax):
                print(f"    {side} failed: {res['error']}")
    for r in rows:
        jit = r["axc"].get("modes", {}).get("jit", {})
        if r["workload"].startswith("add") and jit.get("gb_per_s") and bw.get("add_gbs"):
            print(f"\n{r['workload']}: axc moves {jit['gb_per_s']:.1f} GB/s, {100 * jit['gb_per_s'] / bw['add_gbs']:.0f}% of the "
                  f"one-thread STREAM-like add ({bw['add_gbs']} GB/s)"
                  + (f", {100 * jit['gb_per_s'] / bw['add2_gbs']:.0f}% of the two-thread one ({bw['add2_gbs']} GB/s)"
                     if bw.get("add2_gbs") else ""))
    print("\ntimes in ms (first: one call from nothing, source to result, median of %d fresh processes; steady: median "
          "after warm-up; axc steady is tier 1 (libtcc), tier 2 the system C compiler's code, cc its compile time; gcc and clang: the "
          "standalone C of axc compile under -O3 -march=native, loops split between cores by the driver's pool); "
          "ratio = JAX / axc (higher is better for axc)" % FIRST_CALLS)
    devices = devices_section(a.axc) if not a.only else None
    with open(os.path.join(HERE, "out", "results.json"), "w") as f:
        json.dump({"bandwidth": bw, "rows": rows, "devices": devices}, f, indent=1)


if __name__ == "__main__":
    main()
