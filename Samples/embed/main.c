/* main.c — calls kernels emitted by `axc compile` from plain C99 and checks them against values computed
 * here with loops and hand-derived gradients (double precision). Prints PASS/FAIL per check; exit 1 on any FAIL. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernels.h"

static int failures = 0;

/* Reports a check: PASS or FAIL with a message. */
static void report(int ok, const char *what, const char *detail) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, detail[0] ? ": " : "", detail);
    if (!ok) failures++;
}

/* Checks got[i] against want[i] for i < count with |got - want| <= atol + rtol * |want|. */
static void check_close(const char *what, const float *got, const double *want, size_t count,
                        double rtol, double atol) {
    size_t i, bad = 0, worst = 0;
    double worst_err = 0.0;
    char detail[160];
    for (i = 0; i < count; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!(err <= atol + rtol * fabs(want[i]))) bad++;
        if (!(err <= worst_err)) { worst_err = err; worst = i; }
    }
    sprintf(detail, "%lu values, max abs error %.3g at [%lu] (got %.9g, want %.9g)%s",
            (unsigned long)count, worst_err, (unsigned long)worst, count ? got[worst] : 0.0,
            count ? want[worst] : 0.0, bad ? ", out of tolerance" : "");
    report(bad == 0, what, detail);
}

/* A deterministic generator (64-bit LCG): uniform floats in [-scale, scale). */
static uint64_t rng_state = 42;
static float uniform(float scale) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return scale * (float)((double)(rng_state >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
}
static void fill(float *a, size_t count, float scale) {
    size_t i;
    for (i = 0; i < count; i++) a[i] = uniform(scale);
}

/* linear.ax per_example_grads: d/d(w, b) of (w*x + b - y)^2 for each example. */
static void demo_linear(void) {
    enum { N = 1003 };
    static float x[N], y[N], dw[N], db[N];
    static double want_dw[N], want_db[N];
    const float w = 0.75f, b = -0.5f;
    int i, rc;
    fill(x, N, 2.0f);
    fill(y, N, 1.0f);
    report(per_example_grads_scratch_bytes(N) == 0, "linear per_example_grads needs no scratch", "");
    rc = per_example_grads(N, &w, &b, x, y, dw, db, NULL);
    report(rc == 0, "linear per_example_grads returns 0", "");
    for (i = 0; i < N; i++) {
        double r = (double)w * x[i] + b - y[i];
        want_dw[i] = 2.0 * r * x[i];
        want_db[i] = 2.0 * r;
    }
    check_close("linear per_example_grads dw = 2(wx+b-y)x", dw, want_dw, N, 1e-5, 1e-6);
    check_close("linear per_example_grads db = 2(wx+b-y)", db, want_db, N, 1e-5, 1e-6);
}

/* neuron.ax batched: sum(tanh(x @ W + b)) for each row of x, with scratch from batched_scratch_bytes. */
static void demo_neuron(void) {
    enum { N = 17 };
    float x[N * 5], W[5 * 3], bias[3], out[N];
    double want[N];
    size_t bytes = batched_scratch_bytes(N);
    void *scratch = bytes ? malloc(bytes) : NULL;
    char detail[96];
    int i, j, k, rc;
    fill(x, N * 5, 1.0f);
    fill(W, 5 * 3, 1.0f);
    fill(bias, 3, 0.5f);
    sprintf(detail, "batched_scratch_bytes(%d) = %lu", N, (unsigned long)bytes);
    report(bytes == 0 || scratch != NULL, "neuron scratch allocated", detail);
    if (bytes && !scratch) return;
    rc = batched(N, x, W, bias, out, scratch);
    report(rc == 0, "neuron batched returns 0", "");
    for (i = 0; i < N; i++) {
        double s = 0.0;
        for (j = 0; j < 3; j++) {
            double z = bias[j];
            for (k = 0; k < 5; k++) z += (double)x[i * 5 + k] * W[k * 3 + j];
            s += tanh(z);
        }
        want[i] = s;
    }
    check_close("neuron batched = sum(tanh(x@W+b))", out, want, N, 1e-5, 1e-6);

    /* Invalid sizes: a negative n is refused with a nonzero code, before anything is read or written. */
    rc = batched(-1, x, W, bias, out, scratch);
    sprintf(detail, "batched(-1, ...) returned %d", rc);
    report(rc != 0, "neuron batched rejects a negative size", detail);
    sprintf(detail, "batched_scratch_bytes(-1) = %lu", (unsigned long)batched_scratch_bytes(-1));
    report(batched_scratch_bytes(-1) == 0, "neuron scratch_bytes of a negative size is 0", detail);
    rc = batched(0, x, W, bias, out, NULL);
    report(rc == 0, "neuron batched accepts an empty batch", "");
    free(scratch);
}

/* mlp.ax per_example_grads: gradient of logsumexp(logits) - sum(logits * y) with respect to
 * ((W1, b1), (W2, b2)) for each example, logits = tanh(x @ W1 + b1) @ W2 + b2; backpropagated by hand. */
static void demo_mlp(void) {
    enum { N = 3, D = 784, H = 128, C = 10 };
    float *W1 = malloc(sizeof(float) * D * H), b1[H], W2[H * C], b2[C];
    float *x = malloc(sizeof(float) * N * D), y[N * C];
    float *gW1 = malloc(sizeof(float) * N * D * H), gb1[N * H], gW2[N * H * C], gb2[N * C];
    double *wW1 = malloc(sizeof(double) * N * D * H), wb1[N * H], wW2[N * H * C], wb2[N * C];
    size_t bytes = mlp_per_example_grads_scratch_bytes(N);
    void *scratch = bytes ? malloc(bytes) : NULL;
    int n, i, j, k, rc;
    if (!W1 || !x || !gW1 || !wW1 || (bytes && !scratch)) {
        report(0, "mlp allocation", "out of memory");
        return;
    }
    fill(W1, (size_t)D * H, 0.05f);
    fill(b1, H, 0.1f);
    fill(W2, H * C, 0.2f);
    fill(b2, C, 0.1f);
    fill(x, (size_t)N * D, 1.0f);
    for (n = 0; n < N; n++)
        for (k = 0; k < C; k++) y[n * C + k] = (k == (3 * n + 1) % C) ? 1.0f : 0.0f; /* one-hot labels */
    rc = mlp_per_example_grads(N, W1, b1, W2, b2, x, y, gW1, gb1, gW2, gb2, scratch);
    report(rc == 0, "mlp per_example_grads returns 0", "");
    for (n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * D;
        double h[H], logits[C], dlogits[C], dpre[H], m = -HUGE_VAL, z = 0.0;
        for (j = 0; j < H; j++) {
            double a = b1[j];
            for (i = 0; i < D; i++) a += (double)xn[i] * W1[(size_t)i * H + j];
            h[j] = tanh(a);
        }
        for (k = 0; k < C; k++) {
            double a = b2[k];
            for (j = 0; j < H; j++) a += h[j] * W2[j * C + k];
            logits[k] = a;
            if (a > m) m = a;
        }
        for (k = 0; k < C; k++) z += exp(logits[k] - m);
        for (k = 0; k < C; k++) dlogits[k] = exp(logits[k] - m) / z - y[n * C + k]; /* softmax - y */
        for (j = 0; j < H; j++) {
            double dh = 0.0;
            for (k = 0; k < C; k++) {
                wW2[(n * H + j) * C + k] = h[j] * dlogits[k];
                dh += W2[j * C + k] * dlogits[k];
            }
            dpre[j] = dh * (1.0 - h[j] * h[j]);
            wb1[n * H + j] = dpre[j];
        }
        for (k = 0; k < C; k++) wb2[n * C + k] = dlogits[k];
        for (i = 0; i < D; i++)
            for (j = 0; j < H; j++) wW1[((size_t)n * D + i) * H + j] = xn[i] * dpre[j];
    }
    check_close("mlp per_example_grads dW1", gW1, wW1, (size_t)N * D * H, 1e-4, 1e-6);
    check_close("mlp per_example_grads db1", gb1, wb1, N * H, 1e-4, 1e-6);
    check_close("mlp per_example_grads dW2", gW2, wW2, N * H * C, 1e-4, 1e-6);
    check_close("mlp per_example_grads db2", gb2, wb2, N * C, 1e-4, 1e-6);
    free(W1); free(x); free(gW1); free(wW1); free(scratch);
}

int main(void) {
    demo_linear();
    demo_neuron();
    demo_mlp();
    printf("%s: %d check%s failed\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
