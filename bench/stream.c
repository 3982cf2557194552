/* stream.c — a STREAM-like copy and add to measure this machine's memory bandwidth in the same run
   as the benchmarks. Prints one JSON object: best-of-N GB/s for copy (2 arrays) and add (3 arrays). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)), *c = malloc(n * sizeof(float));
    if (!a || !b || !c) return 1;
    for (long i = 0; i < n; i++) { a[i] = (float)i; b[i] = 1.0f; c[i] = 0.0f; }
    double best_copy = 1e30, best_add = 1e30;
    for (int r = 0; r < 20; r++) {
        double t0 = now();
        memcpy(c, a, n * sizeof(float));
        double t1 = now();
        for (long i = 0; i < n; i++) c[i] = a[i] + b[i];
        double t2 = now();
        if (t1 - t0 < best_copy) best_copy = t1 - t0;
        if (t2 - t1 < best_add) best_add = t2 - t1;
    }
    double bytes = (double)n * sizeof(float);
    printf("{\"n\": %ld, \"copy_gbs\": %.2f, \"add_gbs\": %.2f, \"add_ms\": %.3f, \"check\": %g}\n",
           n, 2 * bytes / best_copy / 1e9, 3 * bytes / best_add / 1e9, best_add * 1e3, (double)c[n - 1]);
    free(a); free(b); free(c);
    return 0;
}
