"""Times one workload in JAX on CPU: first call (trace + compile + run) and steady state.

Usage: python3 bench/jax_bench.py "add 1e7" [--first-only]  → one JSON object on stdout.
Run once per process so that the first call really is the first and peak memory is the workload's own."""
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from workloads import WORKLOADS, jax_workload  # noqa: E402


def main():
    name = sys.argv[1]
    (_, _, _, sizes, runs), = [w for w in WORKLOADS if w[0] == name]
    if "--first-only" in sys.argv:
        runs = 0
    import jax
    fn, args = jax_workload(name, sizes["n"])
    jax.block_until_ready(args)
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first_ms = (time.perf_counter() - t0) * 1e3
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append((time.perf_counter() - t0) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"workload": name, "first_ms": first_ms, "median_ms": statistics.median(times) if times else None,
                      "min_ms": min(times) if times else None, "peak_rss_bytes": rss, "jax": jax.__version__}))


if __name__ == "__main__":
    main()
