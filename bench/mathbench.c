/* ns/element of the runtime's math tiles (ax_v<op>_f32/f64) on 4096-element tiles of typical inputs, median of
   repeats; includes the runtime's C as standalone code does, so the compiler building this file builds the tiles
   (docs/numerics.md). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef AX_RUNTIME_C
#define AX_RUNTIME_C "../Sources/AxRuntime/axruntime.c"
#endif
#include AX_RUNTIME_C

#define N 4096
/* the thread's CPU time, not the wall clock: on a shared machine, time spent descheduled is not counted */
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

/* Median over 21 runs of the ns/element of `reps` calls on N elements. */
#define TIME(call) do { \
    double t[21]; \
    for (int r = 0; r < 21; r++) { double t0 = now(); for (int k = 0; k < reps; k++) { call; } t[r] = (now() - t0) / reps / N * 1e9; } \
    qsort(t, 21, sizeof t[0], cmp); printf(" %7.3f", t[10]); } while (0)

int main(void) {
    static float a32[N], o32[N], p32[N];
    static double a64[N], o64[N], p64[N];
    const int reps = 400;
    uint64_t s = 12345;
    const char *ops[] = {"exp", "log", "log1p", "tanh", "logistic", "sin", "cos"};
    void (*t32[])(int64_t, const float *, float *) = {ax_vexp_f32, ax_vlog_f32, ax_vlog1p_f32, ax_vtanh_f32, ax_vlogistic_f32, ax_vsin_f32, ax_vcos_f32};
    void (*t64[])(int64_t, const double *, double *) = {ax_vexp_f64, ax_vlog_f64, ax_vlog1p_f64, ax_vtanh_f64, ax_vlogistic_f64, ax_vsin_f64, ax_vcos_f64};
    printf("%-10s %7s %7s\n", "tile", "f32", "f64");
    for (int f = 0; f < 7; f++) {
        /* inputs in [-8, 8] (log, log1p: in (0, 16]) */
        for (int i = 0; i < N; i++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            double u = (double)(s >> 11) / 9007199254740992.0;
            a32[i] = (float)(f == 1 || f == 2 ? 16 * u + 1e-3 : 16 * u - 8); a64[i] = a32[i];
        }
        printf("%-10s", ops[f]);
        TIME(t32[f](N, a32, o32));
        TIME(t64[f](N, a64, o64));
        printf("\n");
    }
#ifdef AX_HAVE_SINCOS
    printf("%-10s", "sincos");
    TIME(ax_vsincos_f32(N, a32, o32, p32));
    TIME(ax_vsincos_f64(N, a64, o64, p64));
    printf("\n");
#endif
    (void)p32; (void)p64;
    return 0;
}
