/* ulp-error histograms of the runtime's f32/f64 exp log log1p tanh logistic sin cos against glibc in double / long
   double over log-spaced, strided-bit-pattern and special inputs, scalar vs tile bits (docs/numerics.md). Usage:
   `ulp_sweep [OP|f32|f64]`, or `ulp_sweep OP LO HI` for every f32 in [LO, HI] and [-HI, -LO]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef AX_RUNTIME_C
#define AX_RUNTIME_C "../Sources/AxRuntime/axruntime.c"
#endif
#include AX_RUNTIME_C

typedef void (*tile32)(int64_t, const float *, float *);
typedef float (*scal32)(float);
typedef void (*tile64)(int64_t, const double *, double *);
typedef double (*scal64)(double);

static long double ref(const char *op, long double x) {
    if (!strcmp(op, "exp")) return expl(x);
    if (!strcmp(op, "log")) return logl(x);
    if (!strcmp(op, "log1p")) return log1pl(x);
    if (!strcmp(op, "tanh")) return tanhl(x);
    /* as JAX's 1 / (1 + exp(-x)): 0 where exp(-x) overflows in f64 */
    if (!strcmp(op, "logistic")) return x <= -709.782712893384L ? 0.0L : 1.0L / (1.0L + expl(-x));
    if (!strcmp(op, "sin")) return sinl(x);
    return cosl(x);
}
/* f32 references come from glibc's double functions (logistic: long double), as the brief asks. */
static double ref32(const char *op, float a) {
    double x = a;
    if (!strcmp(op, "exp")) return exp(x);
    if (!strcmp(op, "log")) return log(x);
    if (!strcmp(op, "log1p")) return log1p(x);
    if (!strcmp(op, "tanh")) return tanh(x);
    if (!strcmp(op, "logistic")) return a <= -0x1.62e43p+6f ? 0.0 : (double)(1.0L / (1.0L + expl(-(long double)x)));
    if (!strcmp(op, "sin")) return sin(x);
    return cos(x);
}

/* The error of `got` in units of the last place of the f32 (or f64) nearest `want`; 1e9 for a wrong special. */
static double ulps(long double got, long double want, int mant, int emin) {
    if (isnan(want)) return isnan(got) ? 0 : 1e9;
    if (isnan(got)) return 1e9;
    /* beyond the largest finite value plus half an ulp, the correctly rounded result is inf */
    if (fabsl(want) >= ldexpl(2.0L - ldexpl(1.0L, -mant - 1), -emin + 1)) want = want > 0 ? INFINITY : -INFINITY;
    if (isinf(want) || isinf(got)) return got == want ? 0 : 1e9;
    if (got == want) return 0;
    int e;
    frexpl(want == 0 ? ldexpl(1, emin) : want, &e);
    if (e - 1 < emin) e = emin + 1;
    return (double)(fabsl(got - want) / ldexpl(1.0L, e - 1 - mant));
}

#define NB 6
static const double edges[NB] = {0.5, 1, 1.5, 2, 3, 1e300};
typedef struct { double max; long double at; long hist[NB + 1]; long n, mism; uint64_t steps; } stats;

static void add(stats *s, double u, long double x) {
    int b = 0;
    if (u > s->max) { s->max = u; s->at = x; }
    while (b < NB && u > edges[b]) b++;
    s->hist[b]++; s->n++;
}
static void print(const char *op, const char *t, stats *s) {
    printf("%-8s %s  n=%ld  max %.3f ulp at %.9Lg  max %llu from correctly rounded  scalar!=tile %ld |", op, t, s->n,
           s->max, s->at, (unsigned long long)s->steps, s->mism);
    printf(" <=0.5 %ld | <=1 %ld | <=1.5 %ld | <=2 %ld | <=3 %ld | >3 %ld\n",
           s->hist[0], s->hist[1], s->hist[2], s->hist[3], s->hist[4], s->hist[5] + s->hist[6]);
}

/* The number of f32 (f64) steps between got and want rounded to f32 (f64); huge for a wrong special value. */
static int64_t key32(float x) { int32_t b; memcpy(&b, &x, 4); return b < 0 ? (int64_t)INT32_MIN - b : b; }
static uint64_t steps32(float got, double want) {
    float w = (float)want;
    if (isnan(w) || isnan(got)) return isnan(w) && isnan(got) ? 0 : UINT64_MAX;
    return (uint64_t)llabs(key32(got) - key32(w));
}
static uint64_t steps64(double got, long double want) {
    double w = (double)want;
    int64_t a, b;
    if (isnan(w) || isnan(got)) return isnan(w) && isnan(got) ? 0 : UINT64_MAX;
    memcpy(&a, &got, 8); memcpy(&b, &w, 8);
    a = a < 0 ? INT64_MIN - a : a; b = b < 0 ? INT64_MIN - b : b;
    return a > b ? (uint64_t)(a - b) : (uint64_t)(b - a);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

/* The f32 inputs: specials, 2M log-spaced magnitudes (1e-45 .. 3.4e38, both signs), every 257th bit pattern,
   and 1M uniform in [-10, 10]. */
static float *inputs32(long *count) {
    static const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 1.17549435e-38f, 3.40282347e38f,
                               -3.40282347e38f, 1, -1, 0.5f, 88.72283f, 88.72284f, 89, -88.72284f, -88.72283f, -103.9f, -104, -150,
                               0.625f, -0.625f, 10, -10, 9.01f, 131072, -131072, 131072.02f, 1e5f, 3.1415927f, 1.5707964f, -1, -0.999999f};
    long n = 0, cap = 2000000 + (1L << 32) / 257 + 1000000 + 64;
    float *x = malloc(cap * sizeof(float));
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) x[n++] = sp[i];
    for (long i = 0; i < 2000000; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0, m = pow(10.0, -45.0 + u * 83.53);
        x[n++] = (float)(i & 1 ? -m : m);
    }
    for (uint64_t b = 0; b < (1ULL << 32); b += 257) { uint32_t w = (uint32_t)b; float f; memcpy(&f, &w, 4); x[n++] = f; }
    for (long i = 0; i < 1000000; i++) x[n++] = (float)((double)(next() >> 11) / 9007199254740992.0 * 20 - 10);
    *count = n;
    return x;
}
static double *inputs64(long *count) {
    static const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                -1.7976931348623157e308, 1, -1, 709.78, 709.79, -745.1, -745.2, -708.4, 1e22, -1e22, -0.999999999,
                                0x1.62e42fefa39efp+9, -0x1.62e42fefa39efp+9, 0x1.62e42fefa39fp+9, -0x1.62e42fefa39fp+9,
                                -745.1332191019411, -745.1332191019412, 0x0.fffffffffffffp-1022, -0x1.fffffffffffffp-1, 0.625,
                                0x1.3ffffffffffffp-1, 19.1, 22, 1048576, -1048576, 1048576.0000000002, 0x1p-54, -0x1p-54};
    long n = 0, cap = 4000000 + 3 * 350000 + 64;
    double *x = malloc(cap * sizeof(double));
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) x[n++] = sp[i];
    for (long i = 0; i < 2000000; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0, m = pow(10.0, -323.0 + u * 631.2);
        x[n++] = i & 1 ? -m : m;
    }
    for (long i = 0; i < 1000000; i++) x[n++] = (double)(next() >> 11) / 9007199254740992.0 * 1500 - 750;
    for (long i = 0; i < 1000000; i++) x[n++] = (double)(next() >> 11) / 9007199254740992.0 * 20 - 10;
    /* the doubles nearest multiples k pi/2 (k < 2^20 2/pi, about every second k) and their neighbours, which sin and
       cos must reduce without cancellation */
    for (long k = 1; k < 667544 && n + 3 <= cap; k += 1 + (long)(next() % 2)) {
        double v = (double)(k * 1.5707963267948966192313216916397514L);
        x[n++] = v; x[n++] = nextafter(v, 0); x[n++] = -nextafter(v, 1e300);
    }
    *count = n;
    return x;
}

/* Every f32 in [lo, hi] and [-hi, -lo] through op's tile: `ulp_sweep OP LO HI`. */
static int exhaustive(const char *op, tile32 t, scal32 sc, float lo, float hi) {
    enum { B = 1 << 16 };
    static float x[B], o[B];
    stats s = {0};
    for (int sign = 0; sign < 2; sign++) {
        uint32_t b, end;
        memcpy(&b, &lo, 4); memcpy(&end, &hi, 4);
        while (b <= end) {
            int n = 0;
            for (; n < B && b <= end; n++, b++) { memcpy(&x[n], &b, 4); if (sign) x[n] = -x[n]; }
            t(n, x, o);
            for (int i = 0; i < n; i++) {
                double w = ref32(op, x[i]);
                uint64_t d = steps32(o[i], w);
                float v = sc(x[i]);
                if (memcmp(&v, &o[i], 4)) s.mism++;
                add(&s, ulps(o[i], w, 23, -126), x[i]);
                if (d > s.steps) s.steps = d;
            }
        }
    }
    print(op, "f32", &s);
    return 0;
}

int main(int argc, char **argv) {
    const char *ops[] = {"exp", "log", "log1p", "tanh", "logistic", "sin", "cos"};
    tile32 t32[] = {ax_vexp_f32, ax_vlog_f32, ax_vlog1p_f32, ax_vtanh_f32, ax_vlogistic_f32, ax_vsin_f32, ax_vcos_f32};
    scal32 s32[] = {ax_exp_f32, ax_log_f32, ax_log1p_f32, ax_tanh_f32, ax_logistic_f32, ax_sin_f32, ax_cos_f32};
    tile64 t64[] = {ax_vexp_f64, ax_vlog_f64, ax_vlog1p_f64, ax_vtanh_f64, ax_vlogistic_f64, ax_vsin_f64, ax_vcos_f64};
    scal64 s64[] = {ax_exp_f64, ax_log_f64, ax_log1p_f64, ax_tanh_f64, ax_logistic_f64, ax_sin_f64, ax_cos_f64};
    const char *only = argc > 1 ? argv[1] : "";
    if (argc == 4) {
        for (int f = 0; f < 7; f++) if (!strcmp(only, ops[f])) return exhaustive(ops[f], t32[f], s32[f], strtof(argv[2], 0), strtof(argv[3], 0));
        return 1;
    }
    long n32, n64;
    float *x32 = inputs32(&n32), *o32 = malloc(n32 * sizeof(float));
    double *x64 = inputs64(&n64), *o64 = malloc(n64 * sizeof(double));
    for (int f = 0; f < 7; f++) {
        if (*only && strcmp(only, ops[f]) && strcmp(only, "f32") && strcmp(only, "f64")) continue;
        if (strcmp(only, "f64")) {
            stats s = {0};
            t32[f](n32, x32, o32);
            for (long i = 0; i < n32; i++) {
                float v = s32[f](x32[i]);
                if (memcmp(&v, &o32[i], 4)) s.mism++;
                double w = ref32(ops[f], x32[i]);
                uint64_t d = steps32(o32[i], w);
                add(&s, ulps(o32[i], w, 23, -126), x32[i]);
                if (d > s.steps) s.steps = d;
                /* JAX edges: sin(-0) = -0, log1p(-0) = -0, tanh(-0) = -0 */
                if (x32[i] == 0 && strcmp(ops[f], "cos") && strcmp(ops[f], "exp") && strcmp(ops[f], "logistic") && strcmp(ops[f], "log")
                    && signbit(o32[i]) != signbit(x32[i])) s.hist[NB]++, s.max = 1e9;
            }
            print(ops[f], "f32", &s);
        }
        if (strcmp(only, "f32")) {
            stats s = {0};
            t64[f](n64, x64, o64);
            for (long i = 0; i < n64; i++) {
                double v = s64[f](x64[i]);
                if (memcmp(&v, &o64[i], 8)) s.mism++;
                long double w = ref(ops[f], x64[i]);
                uint64_t d = steps64(o64[i], w);
                add(&s, ulps(o64[i], w, 52, -1022), x64[i]);
                if (d > s.steps) s.steps = d;
            }
            print(ops[f], "f64", &s);
        }
        fflush(stdout);
    }
    return 0;
}
