/* pmap_common.h — what the two pmap embedding programs share (README.md): the device count, the deterministic
   inputs of Samples/pmap.ax's step, spreads and halo_grads, reading axc's .npy outputs, and the
   device-order reduction their collectives tables use. */
#ifndef PMAP_COMMON_H
#define PMAP_COMMON_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_kernels.h"

#define DEVICES 4

/* The inputs: w f32[4] (shared); x f32[4,4], y f32[4] (step); xs f32[4,4] (spreads); xh f32[4,3] (halo_grads). */
typedef struct { float w[4], x[DEVICES][4], y[DEVICES], xs[DEVICES][4], xh[DEVICES][3]; } inputs_t;

static void make_inputs(inputs_t *in) {
    uint64_t s = 12345;
    float *all = (float *)in;
    size_t i, n = sizeof *in / sizeof(float);
    for (i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        all[i] = (float)((double)(s >> 40) / (double)(1 << 24) * 4.0 - 2.0);
    }
}

/* Reads the `count` little-endian f32 values at the end of a .npy file (axc run --out writes them). */
static int read_npy_tail(const char *path, float *a, size_t count) {
    long size;
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    if (size < (long)(count * sizeof(float)) + 10 || fseek(f, size - (long)(count * sizeof(float)), SEEK_SET) != 0) { fclose(f); return 1; }
    if (fread(a, sizeof(float), count, f) != count) { fclose(f); return 1; }
    fclose(f);
    return 0;
}

/* XLA's max and min (NaN-propagating, +0 above -0), as pmax and pmin compute them. */
static float max_f32(float a, float b) { if (a > b) return a; if (b > a) return b; if (a != a) return a; if (b != b) return b; return signbit(a) ? b : a; }
static float min_f32(float a, float b) { if (a < b) return a; if (b < a) return b; if (a != a) return a; if (b != b) return b; return signbit(a) ? a : b; }

/* out[i] = op over the devices' values srcs[d][i] in device order (f32 sums in double), as axc's own tables do. */
static void reduce_f32(int op, const float *const *srcs, int n, float *out, int64_t count) {
    int64_t i;
    int d;
    for (i = 0; i < count; i++) {
        double sum = srcs[0][i];
        float acc = srcs[0][i];
        for (d = 1; d < n; d++) {
            sum += srcs[d][i];
            acc = op == 1 ? max_f32(acc, srcs[d][i]) : min_f32(acc, srcs[d][i]);
        }
        out[i] = op == 0 ? (float)sum : acc;
    }
}

/* Compares `got` with axc run's output in DIR/NAME/out0.npy: equal within rtol 1e-5, atol 1e-6. */
static int check(const char *dir, const char *name, const float *got, size_t count) {
    char path[512];
    float want[64];
    size_t i, identical = 1, ok = 1;
    sprintf(path, "%s/ref_%s/out0.npy", dir, name);
    if (count > 64 || read_npy_tail(path, want, count)) { printf("FAIL %s: cannot read %s\n", name, path); return 1; }
    for (i = 0; i < count; i++) {
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0) identical = 0;
        if (!(fabs((double)got[i] - want[i]) <= 1e-6 + 1e-5 * fabs((double)want[i]))) ok = 0;
    }
    printf("%s %s: %lu values %s axc run's\n", ok ? "PASS" : "FAIL", name, (unsigned long)count, identical ? "identical to" : ok ? "close to" : "differ from");
    return !ok;
}
#endif
