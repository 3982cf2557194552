/* axruntime.c — GENERATED from Sources/AxCore/Codegen/RuntimeTable.swift (UPDATE_GOLDEN=1 swift test --filter
   runtimeSource rewrites it). Compiled with -O3; the kernels libtcc compiles call these functions, and standalone
   C carries the same definitions as static functions. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "axruntime.h"

/* Each exported function is compiled twice, for AVX2+FMA and for baseline x86-64, and picked when loaded
   (-ffp-contract=off keeps both clones' results identical to the portable twins'); the f32 and f64 math also
   for AVX-512 (x86-64-v4: its selects and conversions made the f32 tiles 25-45% faster, the f64 ones 10-30%,
   docs/numerics.md).
   -DAX_NO_CLONES turns this off, for sanitizers whose runtimes start after ifunc resolvers run. */
#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__)) && !defined(AX_NO_CLONES)
#define AX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define AX_MATH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AX_CLONES
#define AX_MATH_CLONES
#endif

double ax_rt_version(void) { return 1.0; }

static pthread_mutex_t ax_pool_mu = PTHREAD_MUTEX_INITIALIZER, ax_pool_busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ax_pool_go = PTHREAD_COND_INITIALIZER, ax_pool_done = PTHREAD_COND_INITIALIZER;
static pthread_once_t ax_pool_once = PTHREAD_ONCE_INIT;
static int ax_pool_workers = 0, ax_pool_parts = 1, ax_pool_finished = 0;
static int64_t ax_pool_generation = 0, ax_pool_n = 0, ax_pool_grain = 1;
static void (*ax_pool_body)(void *, int64_t, int64_t) = 0;
static void *ax_pool_ctx = 0;

/* Part `k` of the current loop: the k-th of ax_pool_parts runs of whole grains. */
static void ax_pool_run(int k) {
    int64_t grains = (ax_pool_n + ax_pool_grain - 1) / ax_pool_grain;
    int64_t lo = grains * k / ax_pool_parts * ax_pool_grain, hi = grains * (k + 1) / ax_pool_parts * ax_pool_grain;
    if (hi > ax_pool_n) hi = ax_pool_n;
    if (lo < hi) ax_pool_body(ax_pool_ctx, lo, hi);
}

static void *ax_pool_worker(void *arg) {
    int k = (int)(intptr_t)arg;
    int64_t seen = 0;
    pthread_mutex_lock(&ax_pool_mu);
    for (;;) {
        while (ax_pool_generation == seen) pthread_cond_wait(&ax_pool_go, &ax_pool_mu);
        seen = ax_pool_generation;
        pthread_mutex_unlock(&ax_pool_mu);
        ax_pool_run(k);
        pthread_mutex_lock(&ax_pool_mu);
        if (++ax_pool_finished == ax_pool_workers) pthread_cond_signal(&ax_pool_done);
    }
    return 0;
}

/* A forked child has none of the workers: it runs every loop itself. */
static void ax_pool_forked(void) {
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    ax_pool_workers = 0;
    ax_pool_mu = fresh;
    ax_pool_busy = fresh;
}

/* Threads in all, the caller's included: AXC_THREADS when set (1 to 64: results never depend on it, which the
   tests check by varying it), else one per core, at most 8. */
static void ax_pool_start(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN), asked = getenv("AXC_THREADS") ? atol(getenv("AXC_THREADS")) : 0;
    long threads = asked > 0 ? (asked > 64 ? 64 : asked) : (cores > 8 ? 8 : cores);
    int k, want = (int)threads - 1;
    pthread_atfork(0, 0, ax_pool_forked);
    for (k = 0; k < want; k++) {
        pthread_t t;
        if (pthread_create(&t, 0, ax_pool_worker, (void *)(intptr_t)(k + 1)) != 0) break;
        pthread_detach(t);
        ax_pool_workers++;
    }
}

/* Loops of fewer than two grains, nested calls and calls while another thread's loop runs are not split. */
void ax_parallel_for(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t), void *ctx) {
    if (n <= 0) return;
    if (grain <= 0 || n < 2 * grain) { body(ctx, 0, n); return; }
    pthread_once(&ax_pool_once, ax_pool_start);
    if (ax_pool_workers == 0 || pthread_mutex_trylock(&ax_pool_busy) != 0) { body(ctx, 0, n); return; }
    pthread_mutex_lock(&ax_pool_mu);
    ax_pool_body = body; ax_pool_ctx = ctx; ax_pool_n = n; ax_pool_grain = grain;
    ax_pool_parts = ax_pool_workers + 1; ax_pool_finished = 0; ax_pool_generation++;
    pthread_cond_broadcast(&ax_pool_go);
    pthread_mutex_unlock(&ax_pool_mu);
    ax_pool_run(0);
    pthread_mutex_lock(&ax_pool_mu);
    while (ax_pool_finished < ax_pool_workers) pthread_cond_wait(&ax_pool_done, &ax_pool_mu);
    pthread_mutex_unlock(&ax_pool_mu);
    pthread_mutex_unlock(&ax_pool_busy);
}

struct ax_gemm_args_f32 {
    int64_t m, n, k, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn;
    const float *a, *b;
    float *c;
};
AX_CLONES static void ax_gemm_rows_f32(void *ctx, int64_t lo0, int64_t hi0) {
    const struct ax_gemm_args_f32 *g = (const struct ax_gemm_args_f32 *)ctx;
    const int64_t m = g->m, n = g->n, k = g->k, sam = g->sam, sak = g->sak, sbk = g->sbk, sbn = g->sbn, scm = g->scm, scn = g->scn;
    int64_t i, j, p, s = lo0;
    while (s < hi0) {
        /* Rows [lo, hi) of product e. */
        const int64_t e = s / m, lo = s - e * m, hi = hi0 - e * m < m ? hi0 - e * m : m;
        const float *a = g->a + e * g->sab, *b = g->b + e * g->sbb;
        float *c = g->c + e * g->scb;
        s += hi - lo;
        if (k <= 1) {
            /* An outer product (k = 1): fma(a, b, 0) is a * b + 0 (one rounding; -0 becomes +0). k = 0: zeros. */
            for (i = lo; i < hi; i++) {
                const float av = k ? a[i * sam] : (float)0;
                float *cp = c + i * scm;
                if (scn == 1 && sbn == 1 && k) { for (j = 0; j < n; j++) cp[j] = av * b[j] + (float)0; }
                else { for (j = 0; j < n; j++) cp[j * scn] = k ? av * b[j * sbn] + (float)0 : (float)0; }
            }
            continue;
        }
        if (n < 8 && k <= 32) {
            /* Few output columns (n x 5 @ 5 x 3): 64 rows at a time, transposed, so the inner loops run along rows
               and vectorize. From 8 columns the microkernel below (a vector of columns per row) is faster: the
               RNN's 256 x 16 @ (16 x 16)^T per step: 12 to 2 us a call. */
            float bt[32 * 16], at[32 * 64], ct[16 * 64];
            int64_t i0, ib, q;
            for (p = 0; p < k; p++) for (j = 0; j < n; j++) bt[p * n + j] = b[p * sbk + j * sbn];
            for (i0 = lo; i0 < hi; i0 += 64) {
                ib = hi - i0 < 64 ? hi - i0 : 64;
                for (p = 0; p < k; p++) for (q = 0; q < ib; q++) at[p * 64 + q] = a[(i0 + q) * sam + p * sak];
                for (j = 0; j < n; j++) {
                    float *cj = ct + j * 64;
                    for (q = 0; q < ib; q++) cj[q] = 0;
                    for (p = 0; p < k; p++) {
                        const float bv = bt[p * n + j], *ap = at + p * 64;
                        for (q = 0; q < ib; q++) cj[q] = fmaf(ap[q], bv, cj[q]);
                    }
                }
                for (q = 0; q < ib; q++) for (j = 0; j < n; j++) c[(i0 + q) * scm + j * scn] = ct[j * 64 + q];
            }
            continue;
        }
        {
            /* The microkernel: 6 rows by 16 columns of accumulators in registers, over panels of 256 steps of k
               (b packed, zero-padded past column n). Rows past the block's end repeat its last row and are not stored.
               Between panels the sums wait in c, as the same f32 values. */
            float bp[256 * 16], acc[6][16];
            int64_t j0, p0, i0, nc, kc, nrow, r, q;
            for (j0 = 0; j0 < n; j0 += 16) {
                nc = n - j0 < 16 ? n - j0 : 16;
                for (p0 = 0; p0 < k; p0 += 256) {
                    kc = k - p0 < 256 ? k - p0 : 256;
                    for (p = 0; p < kc; p++) for (q = 0; q < 16; q++) bp[p * 16 + q] = q < nc ? b[(p0 + p) * sbk + (j0 + q) * sbn] : (float)0;
                    for (i0 = lo; i0 < hi; i0 += 6) {
                        const float *ar[6];
                        nrow = hi - i0 < 6 ? hi - i0 : 6;
                        for (r = 0; r < 6; r++) ar[r] = a + (i0 + (r < nrow ? r : nrow - 1)) * sam + p0 * sak;
                        for (r = 0; r < 6; r++) for (q = 0; q < 16; q++) acc[r][q] = 0;
                        if (p0 > 0) for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) acc[r][q] = c[(i0 + r) * scm + (j0 + q) * scn];
                        for (p = 0; p < kc; p++) {
                            const float *bq = bp + p * 16;
                            for (r = 0; r < 6; r++) {
                                const float av = ar[r][p * sak];
                                for (q = 0; q < 16; q++) acc[r][q] = fmaf(av, bq[q], acc[r][q]);
                            }
                        }
                        for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) c[(i0 + r) * scm + (j0 + q) * scn] = acc[r][q];
                    }
                }
            }
        }
    }
}

AX_CLONES void ax_gemm_f32(int64_t nb, int64_t m, int64_t n, int64_t k, const float *a, int64_t sab, int64_t sam, int64_t sak,
                 const float *b, int64_t sbb, int64_t sbk, int64_t sbn, float *c, int64_t scb, int64_t scm, int64_t scn) {
    struct ax_gemm_args_f32 g;
    int64_t work = (n > 0 ? n : 1) * (k > 0 ? k : 1);
    g.m = m; g.n = n; g.k = k; g.sab = sab; g.sam = sam; g.sak = sak; g.sbb = sbb; g.sbk = sbk; g.sbn = sbn;
    g.scb = scb; g.scm = scm; g.scn = scn; g.a = a; g.b = b; g.c = c;
    /* Rows in grains of about 2^18 multiply-adds, at least 64 rows. */
    ax_parallel_for(nb * m, work >= 4096 ? 64 : 262144 / work / 64 * 64 + 64, ax_gemm_rows_f32, &g);
}

AX_CLONES void ax_vmatmul_f32(int64_t n, int64_t k, int64_t cols, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    float bp[32 * 16];
    int64_t rows = n / cols, q, p, j, r, nr;
    (void)sa; (void)sb;
    if (cols <= 8) {
        for (p = 0; p < k; p++) for (j = 0; j < 8; j++) bp[p * 8 + j] = j < cols ? b[p * cols + j] : (float)0;
        for (q = 0; q < rows; q += 8) {
            const float *ar[8];
            float acc[8][8];
            nr = rows - q < 8 ? rows - q : 8;
            for (r = 0; r < 8; r++) ar[r] = a + (q + (r < nr ? r : nr - 1)) * k;
            for (r = 0; r < 8; r++) for (j = 0; j < 8; j++) acc[r][j] = 0;
            for (p = 0; p < k; p++) for (r = 0; r < 8; r++) {
                const float av = ar[r][p];
                for (j = 0; j < 8; j++) acc[r][j] = fmaf(av, bp[p * 8 + j], acc[r][j]);
            }
            for (r = 0; r < nr; r++) {
                float *orow = o + (q + r) * cols;
                if ((q + r) * cols + 8 <= n) for (j = 0; j < 8; j++) orow[j] = acc[r][j];
                else for (j = 0; j < cols; j++) orow[j] = acc[r][j];
            }
        }
    } else {
        for (p = 0; p < k; p++) for (j = 0; j < 16; j++) bp[p * 16 + j] = j < cols ? b[p * cols + j] : (float)0;
        for (q = 0; q < rows; q += 4) {
            const float *ar[4];
            float acc[4][16];
            nr = rows - q < 4 ? rows - q : 4;
            for (r = 0; r < 4; r++) ar[r] = a + (q + (r < nr ? r : nr - 1)) * k;
            for (r = 0; r < 4; r++) for (j = 0; j < 16; j++) acc[r][j] = 0;
            for (p = 0; p < k; p++) for (r = 0; r < 4; r++) {
                const float av = ar[r][p];
                for (j = 0; j < 16; j++) acc[r][j] = fmaf(av, bp[p * 16 + j], acc[r][j]);
            }
            for (r = 0; r < nr; r++) {
                float *orow = o + (q + r) * cols;
                if ((q + r) * cols + 16 <= n) for (j = 0; j < 16; j++) orow[j] = acc[r][j];
                else for (j = 0; j < cols; j++) orow[j] = acc[r][j];
            }
        }
    }
}

struct ax_gemm_args_f64 {
    int64_t m, n, k, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn;
    const double *a, *b;
    double *c;
};
AX_CLONES static void ax_gemm_rows_f64(void *ctx, int64_t lo0, int64_t hi0) {
    const struct ax_gemm_args_f64 *g = (const struct ax_gemm_args_f64 *)ctx;
    const int64_t m = g->m, n = g->n, k = g->k, sam = g->sam, sak = g->sak, sbk = g->sbk, sbn = g->sbn, scm = g->scm, scn = g->scn;
    int64_t i, j, p, s = lo0;
    while (s < hi0) {
        /* Rows [lo, hi) of product e. */
        const int64_t e = s / m, lo = s - e * m, hi = hi0 - e * m < m ? hi0 - e * m : m;
        const double *a = g->a + e * g->sab, *b = g->b + e * g->sbb;
        double *c = g->c + e * g->scb;
        s += hi - lo;
        if (k <= 1) {
            /* An outer product (k = 1): fma(a, b, 0) is a * b + 0 (one rounding; -0 becomes +0). k = 0: zeros. */
            for (i = lo; i < hi; i++) {
                const double av = k ? a[i * sam] : (double)0;
                double *cp = c + i * scm;
                if (scn == 1 && sbn == 1 && k) { for (j = 0; j < n; j++) cp[j] = av * b[j] + (double)0; }
                else { for (j = 0; j < n; j++) cp[j * scn] = k ? av * b[j * sbn] + (double)0 : (double)0; }
            }
            continue;
        }
        if (n < 8 && k <= 32) {
            /* Few output columns (n x 5 @ 5 x 3): 64 rows at a time, transposed, so the inner loops run along rows
               and vectorize. From 8 columns the microkernel below (a vector of columns per row) is faster: the
               RNN's 256 x 16 @ (16 x 16)^T per step: 12 to 2 us a call. */
            double bt[32 * 16], at[32 * 64], ct[16 * 64];
            int64_t i0, ib, q;
            for (p = 0; p < k; p++) for (j = 0; j < n; j++) bt[p * n + j] = b[p * sbk + j * sbn];
            for (i0 = lo; i0 < hi; i0 += 64) {
                ib = hi - i0 < 64 ? hi - i0 : 64;
                for (p = 0; p < k; p++) for (q = 0; q < ib; q++) at[p * 64 + q] = a[(i0 + q) * sam + p * sak];
                for (j = 0; j < n; j++) {
                    double *cj = ct + j * 64;
                    for (q = 0; q < ib; q++) cj[q] = 0;
                    for (p = 0; p < k; p++) {
                        const double bv = bt[p * n + j], *ap = at + p * 64;
                        for (q = 0; q < ib; q++) cj[q] = fma(ap[q], bv, cj[q]);
                    }
                }
                for (q = 0; q < ib; q++) for (j = 0; j < n; j++) c[(i0 + q) * scm + j * scn] = ct[j * 64 + q];
            }
            continue;
        }
        {
            /* The microkernel: 6 rows by 8 columns of accumulators in registers, over panels of 256 steps of k
               (b packed, zero-padded past column n). Rows past the block's end repeat its last row and are not stored.
               Between panels the sums wait in c, as the same f64 values. */
            double bp[256 * 8], acc[6][8];
            int64_t j0, p0, i0, nc, kc, nrow, r, q;
            for (j0 = 0; j0 < n; j0 += 8) {
                nc = n - j0 < 8 ? n - j0 : 8;
                for (p0 = 0; p0 < k; p0 += 256) {
                    kc = k - p0 < 256 ? k - p0 : 256;
                    for (p = 0; p < kc; p++) for (q = 0; q < 8; q++) bp[p * 8 + q] = q < nc ? b[(p0 + p) * sbk + (j0 + q) * sbn] : (double)0;
                    for (i0 = lo; i0 < hi; i0 += 6) {
                        const double *ar[6];
                        nrow = hi - i0 < 6 ? hi - i0 : 6;
                        for (r = 0; r < 6; r++) ar[r] = a + (i0 + (r < nrow ? r : nrow - 1)) * sam + p0 * sak;
                        for (r = 0; r < 6; r++) for (q = 0; q < 8; q++) acc[r][q] = 0;
                        if (p0 > 0) for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) acc[r][q] = c[(i0 + r) * scm + (j0 + q) * scn];
                        for (p = 0; p < kc; p++) {
                            const double *bq = bp + p * 8;
                            for (r = 0; r < 6; r++) {
                                const double av = ar[r][p * sak];
                                for (q = 0; q < 8; q++) acc[r][q] = fma(av, bq[q], acc[r][q]);
                            }
                        }
                        for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) c[(i0 + r) * scm + (j0 + q) * scn] = acc[r][q];
                    }
                }
            }
        }
    }
}

AX_CLONES void ax_gemm_f64(int64_t nb, int64_t m, int64_t n, int64_t k, const double *a, int64_t sab, int64_t sam, int64_t sak,
                 const double *b, int64_t sbb, int64_t sbk, int64_t sbn, double *c, int64_t scb, int64_t scm, int64_t scn) {
    struct ax_gemm_args_f64 g;
    int64_t work = (n > 0 ? n : 1) * (k > 0 ? k : 1);
    g.m = m; g.n = n; g.k = k; g.sab = sab; g.sam = sam; g.sak = sak; g.sbb = sbb; g.sbk = sbk; g.sbn = sbn;
    g.scb = scb; g.scm = scm; g.scn = scn; g.a = a; g.b = b; g.c = c;
    /* Rows in grains of about 2^18 multiply-adds, at least 64 rows. */
    ax_parallel_for(nb * m, work >= 4096 ? 64 : 262144 / work / 64 * 64 + 64, ax_gemm_rows_f64, &g);
}

AX_CLONES void ax_vmatmul_f64(int64_t n, int64_t k, int64_t cols, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    double bp[32 * 16];
    int64_t rows = n / cols, q, p, j, r, nr;
    (void)sa; (void)sb;
    if (cols <= 8) {
        for (p = 0; p < k; p++) for (j = 0; j < 8; j++) bp[p * 8 + j] = j < cols ? b[p * cols + j] : (double)0;
        for (q = 0; q < rows; q += 4) {
            const double *ar[4];
            double acc[4][8];
            nr = rows - q < 4 ? rows - q : 4;
            for (r = 0; r < 4; r++) ar[r] = a + (q + (r < nr ? r : nr - 1)) * k;
            for (r = 0; r < 4; r++) for (j = 0; j < 8; j++) acc[r][j] = 0;
            for (p = 0; p < k; p++) for (r = 0; r < 4; r++) {
                const double av = ar[r][p];
                for (j = 0; j < 8; j++) acc[r][j] = fma(av, bp[p * 8 + j], acc[r][j]);
            }
            for (r = 0; r < nr; r++) {
                double *orow = o + (q + r) * cols;
                if ((q + r) * cols + 8 <= n) for (j = 0; j < 8; j++) orow[j] = acc[r][j];
                else for (j = 0; j < cols; j++) orow[j] = acc[r][j];
            }
        }
    } else {
        for (p = 0; p < k; p++) for (j = 0; j < 16; j++) bp[p * 16 + j] = j < cols ? b[p * cols + j] : (double)0;
        for (q = 0; q < rows; q += 2) {
            const double *ar[2];
            double acc[2][16];
            nr = rows - q < 2 ? rows - q : 2;
            for (r = 0; r < 2; r++) ar[r] = a + (q + (r < nr ? r : nr - 1)) * k;
            for (r = 0; r < 2; r++) for (j = 0; j < 16; j++) acc[r][j] = 0;
            for (p = 0; p < k; p++) for (r = 0; r < 2; r++) {
                const double av = ar[r][p];
                for (j = 0; j < 16; j++) acc[r][j] = fma(av, bp[p * 16 + j], acc[r][j]);
            }
            for (r = 0; r < nr; r++) {
                double *orow = o + (q + r) * cols;
                if ((q + r) * cols + 16 <= n) for (j = 0; j < 16; j++) orow[j] = acc[r][j];
                else for (j = 0; j < cols; j++) orow[j] = acc[r][j];
            }
        }
    }
}

static inline uint32_t ax_f32_bits(float x) { union { float f; uint32_t i; } u; u.f = x; return u.i; }
static inline float ax_f32_from_bits(uint32_t i) { union { float f; uint32_t i; } u; u.i = i; return u.f; }
static inline float ax_sel_f32(int c, float x, float y) {
    uint32_t m = 0u - (uint32_t)(c != 0);
    return ax_f32_from_bits((ax_f32_bits(x) & m) | (ax_f32_bits(y) & ~m));
}

static inline float ax_expf_parts(float x, float *l, float *s) {
    float t = x * 1.44269504f + 12582912.0f, k = t - 12582912.0f;
    int32_t ki = (int32_t)(ax_f32_bits(t) - 0x4b400000u), k1 = ki >> 1, k2 = ki - k1;
    float r = (x - k * 0.693359375f) - k * -2.12194440e-4f, z = r * r, p = 1.991281461e-04f, u, y, s1;
    p = p * r + 1.393718412e-03f; p = p * r + 8.333277889e-03f; p = p * r + 4.166643322e-02f;
    p = p * r + 1.666666716e-01f; p = p * r + 0.5f;
    u = r + z * p;
    y = 1.0f + u;
    s1 = ax_f32_from_bits((uint32_t)(k1 + 127) << 23);
    *l = (u - (y - 1.0f)) * s1;
    *s = ax_f32_from_bits((uint32_t)(k2 + 127) << 23);
    return y * s1;
}
static inline float ax_expf_core(float x) { float l, s, h = ax_expf_parts(x, &l, &s); return h * s; }

static inline float ax_logf_core(float u, float e0, float c) {
    uint32_t ix = ax_f32_bits(u) + (0x3f800000u - 0x3f3504f3u);
    float e = (float)((int32_t)(ix >> 23) - 127) + e0;
    float f = ax_f32_from_bits((ix & 0x007fffffu) + 0x3f3504f3u) - 1.0f, z = f * f, p = 7.330559194e-02f, y;
    p = p * f - 1.165944710e-01f; p = p * f + 1.163508296e-01f; p = p * f - 1.239677742e-01f;
    p = p * f + 1.425112635e-01f; p = p * f - 1.666914821e-01f; p = p * f + 2.000068873e-01f;
    p = p * f - 2.499998063e-01f; p = p * f + 3.333333135e-01f;
    y = f * (z * p) + (e * -2.12194440e-4f + c);
    y = y - 0.5f * z;
    return e * 0.693359375f + (f + y);
}

static inline void ax_sincos_f32_core(float a, float *sp, float *cp) {
    float x = ax_sel_f32(fabsf(a) <= 131072.0f, a, 0.0f), t = x * 0.636619772f + 12582912.0f, k = t - 12582912.0f;
    uint32_t q = ax_f32_bits(t), sn = (q & 2u) << 30, cn = ((q + 1u) & 2u) << 30;
    double kd = (double)k, rd = ((double)x - kd * 1.5707963267923333e+00) - kd * 2.5633441515945189e-12;
    float rh = (float)rd, rl = (float)(rd - (double)rh), z = rh * rh, hz = 0.5f * z, w = 1.0f - hz, s, c;
    float ps = 2.723857961e-06f, pc = 2.453864545e-05f;
    int odd = (int)(q & 1u);
    ps = ps * z - 1.983999828e-04f; ps = ps * z + 8.333331905e-03f; ps = ps * z - 1.666666716e-01f;
    s = rh + (rh * (z * ps) + rl * (1.0f - hz));
    pc = pc * z - 1.388825942e-03f; pc = pc * z + 4.166666418e-02f;
    c = w + (((1.0f - w) - hz) + (z * (z * pc) - rh * rl));
    *sp = ax_f32_from_bits(ax_f32_bits(ax_sel_f32(odd, c, s)) ^ sn);
    *cp = ax_f32_from_bits(ax_f32_bits(ax_sel_f32(odd, s, c)) ^ cn);
}

static inline uint64_t ax_f64_bits(double x) { union { double f; uint64_t i; } u; u.f = x; return u.i; }
static inline double ax_f64_from_bits(uint64_t i) { union { double f; uint64_t i; } u; u.i = i; return u.f; }
static inline double ax_sel_f64(uint64_t m, double x, double y) {
    return ax_f64_from_bits((ax_f64_bits(x) & m) | (ax_f64_bits(y) & ~m));
}
static inline uint64_t ax_lt_f64(double x, double y) { return 0u - (ax_f64_bits(x - y) >> 63); }
static inline uint64_t ax_absgt_f64(double x, double c) {
    return 0u - (((ax_f64_bits(x) & 0x7fffffffffffffffu) + (0x7fffffffffffffffu - ax_f64_bits(c))) >> 63);
}
static inline uint64_t ax_neg_f64(double x) { return 0u - (ax_f64_bits(x) >> 63); }

static inline double ax_exp_f64_parts(double x, double *l, double *s) {
    double t = x * 1.4426950408889634 + 6755399441055744.0, k = t - 6755399441055744.0;
    uint64_t ku = ax_f64_bits(t) - 0x4338000000000000u + 2048u, k1 = ku >> 1;
    double hi = x - k * 6.93147180369123816490e-01, lo = k * 1.90821492927058770002e-10, r = hi - lo, rc = (hi - r) - lo;
    double z = r * r, z2 = z * z, a, u, h, s1;
    double p = ((0.5 + 1.666666666666667e-01 * r) + (4.166666666666667e-02 + 8.333333333326136e-03 * r) * z)
        + ((1.388888888888375e-03 + 1.9841269874815834e-04 * r) + (2.480158732554432e-05 + 2.7557255406285044e-06 * r) * z
        + ((2.7557273647451087e-07 + 2.5105214474751413e-08 * r) + 2.0914685161418067e-09 * z) * z2) * z2;
    a = 1.0 + r;
    u = (r - (a - 1.0)) + (rc + z * p);
    h = a + u;
    s1 = ax_f64_from_bits((k1 - 1u) << 52);
    *l = (u - (h - a)) * s1;
    *s = ax_f64_from_bits((ku - k1 - 1u) << 52);
    return h * s1;
}

static inline double ax_log_f64_core(double u, double e0, double c) {
    uint64_t ix = ax_f64_bits(u) + (0x3ff0000000000000u - 0x3fe6a09e667f3bcdu);
    double e = ax_f64_from_bits(0x4330000000000000u | (ix >> 52)) - (4503599627370496.0 + 1023.0) + e0;
    double f = ax_f64_from_bits((ix & 0x000fffffffffffffu) + 0x3fe6a09e667f3bcdu) - 1.0;
    double s = f / (2.0 + f), z = s * s, w = z * z, hfsq = 0.5 * f * f;
    double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    return e * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + (t2 + t1)) + (e * 1.90821492927058770002e-10 + c))) - f);
}

static inline void ax_sincos_f64_core(double a, double *sp, double *cp) {
    double x = ax_sel_f64(~ax_absgt_f64(a, 1048576.0), a, 0.0), t = x * 6.36619772367581382433e-01 + 6755399441055744.0;
    double k = t - 6755399441055744.0;
    uint64_t q = ax_f64_bits(t), sn = (q & 2u) << 62, cn = ((q + 1u) & 2u) << 62, odd = 0u - (q & 1u);
    double r0 = x - k * 1.57079632673412561417e+00, w2 = k * 6.07710050630396597660e-11, w3 = k * 2.02226624871116645580e-21;
    double r1 = r0 - w2, b1 = r1 - r0, e1 = (r0 - (r1 - b1)) - (w2 + b1);
    double r2 = r1 - w3, b2 = r2 - r1, e2 = (r1 - (r2 - b2)) - (w3 + b2);
    double tl = (e1 + e2) - k * 8.47842766036889956997e-32, y = r2 + tl, yl = tl - (y - r2);
    double z = y * y, v = z * y, hz = 0.5 * z, w = 1.0 - hz, ps, pc, s, c;
    ps = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06
         + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
    s = y - ((z * (0.5 * yl - v * ps) - yl) - v * -1.66666666666666324348e-01);
    pc = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
         + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    c = w + (((1.0 - w) - hz) + (z * pc - y * yl));
    *sp = ax_f64_from_bits(ax_f64_bits(ax_sel_f64(odd, c, s)) ^ sn);
    *cp = ax_f64_from_bits(ax_f64_bits(ax_sel_f64(odd, s, c)) ^ cn);
}

AX_CLONES void ax_vadd_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] + b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x + b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] + y); }
    else { const float v = (a[0] + b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vatan2_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = atan2f(a[i], b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = atan2f(x, b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = atan2f(a[i], y); }
    else { const float v = atan2f(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vdiv_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] / b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x / b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] / y); }
    else { const float v = (a[0] / b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_veq_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] == b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x == b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] == y); }
    else { const uint8_t v = (a[0] == b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vge_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] >= b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x >= b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] >= y); }
    else { const uint8_t v = (a[0] >= b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vgt_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] > b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x > b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] > y); }
    else { const uint8_t v = (a[0] > b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vle_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] <= b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x <= b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] <= y); }
    else { const uint8_t v = (a[0] <= b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vlt_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] < b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x < b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] < y); }
    else { const uint8_t v = (a[0] < b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmax_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = ((a[i] > b[i] || a[i] != a[i]) ? a[i] : ((a[i] < b[i] || b[i] != b[i]) ? b[i] : (a[i] == 0 ? a[i] + b[i] : a[i]))); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = ((x > b[i] || x != x) ? x : ((x < b[i] || b[i] != b[i]) ? b[i] : (x == 0 ? x + b[i] : x))); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = ((a[i] > y || a[i] != a[i]) ? a[i] : ((a[i] < y || y != y) ? y : (a[i] == 0 ? a[i] + y : a[i]))); }
    else { const float v = ((a[0] > b[0] || a[0] != a[0]) ? a[0] : ((a[0] < b[0] || b[0] != b[0]) ? b[0] : (a[0] == 0 ? a[0] + b[0] : a[0]))); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmin_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = ((a[i] < b[i] || a[i] != a[i]) ? a[i] : ((a[i] > b[i] || b[i] != b[i]) ? b[i] : (a[i] == 0 ? -(-a[i] - b[i]) : a[i]))); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = ((x < b[i] || x != x) ? x : ((x > b[i] || b[i] != b[i]) ? b[i] : (x == 0 ? -(-x - b[i]) : x))); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = ((a[i] < y || a[i] != a[i]) ? a[i] : ((a[i] > y || y != y) ? y : (a[i] == 0 ? -(-a[i] - y) : a[i]))); }
    else { const float v = ((a[0] < b[0] || a[0] != a[0]) ? a[0] : ((a[0] > b[0] || b[0] != b[0]) ? b[0] : (a[0] == 0 ? -(-a[0] - b[0]) : a[0]))); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmul_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] * b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x * b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] * y); }
    else { const float v = (a[0] * b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vne_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] != b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x != b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] != y); }
    else { const uint8_t v = (a[0] != b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vpow_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = powf(a[i], b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = powf(x, b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = powf(a[i], y); }
    else { const float v = powf(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vrem_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = fmodf(a[i], b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = fmodf(x, b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = fmodf(a[i], y); }
    else { const float v = fmodf(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vsub_f32(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb, float *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] - b[i]); }
    else if (sb) { const float x = a[0]; for (i = 0; i < n; i++) o[i] = (x - b[i]); }
    else if (sa) { const float y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] - y); }
    else { const float v = (a[0] - b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vselect_f32(int64_t n, const uint8_t *p, int64_t sp, const float *f, int64_t sf, const float *t, int64_t st, float *o) {
    int64_t i;
    if (sp && sf && st) { for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : f[i]; }
    else if (sp && sf) { const float y = t[0]; for (i = 0; i < n; i++) o[i] = p[i] ? y : f[i]; }
    else if (sp && st) { const float x = f[0]; for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : x; }
    else { for (i = 0; i < n; i++) o[i] = p[i * sp] ? t[i * st] : f[i * sf]; }
}

AX_CLONES double ax_vsum_f32(int64_t n, const float *a) {
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0, j;
    for (; i + 8 <= n; i += 8) for (j = 0; j < 8; j++) s[j] += a[i + j];
    for (; i < n; i++) s[0] += a[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

AX_CLONES void ax_vrowsum_f32(int64_t rows, int64_t r, const float *a, float *o) {
    int64_t i, j;
    switch (r) {
    case 2: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 2; j++) s += a[i * 2 + j]; o[i] = (float)s; } return;
    case 3: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 3; j++) s += a[i * 3 + j]; o[i] = (float)s; } return;
    case 4: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 4; j++) s += a[i * 4 + j]; o[i] = (float)s; } return;
    case 5: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 5; j++) s += a[i * 5 + j]; o[i] = (float)s; } return;
    case 6: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 6; j++) s += a[i * 6 + j]; o[i] = (float)s; } return;
    case 7: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 7; j++) s += a[i * 7 + j]; o[i] = (float)s; } return;
    case 8: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 8; j++) s += a[i * 8 + j]; o[i] = (float)s; } return;
    default: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < r; j++) s += a[i * r + j]; o[i] = (float)s; }
    }
}

AX_CLONES void ax_vadd_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] + b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x + b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] + y); }
    else { const double v = (a[0] + b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vatan2_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = atan2(a[i], b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = atan2(x, b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = atan2(a[i], y); }
    else { const double v = atan2(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vdiv_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] / b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x / b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] / y); }
    else { const double v = (a[0] / b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_veq_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] == b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x == b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] == y); }
    else { const uint8_t v = (a[0] == b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vge_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] >= b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x >= b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] >= y); }
    else { const uint8_t v = (a[0] >= b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vgt_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] > b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x > b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] > y); }
    else { const uint8_t v = (a[0] > b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vle_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] <= b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x <= b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] <= y); }
    else { const uint8_t v = (a[0] <= b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vlt_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] < b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x < b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] < y); }
    else { const uint8_t v = (a[0] < b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmax_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = ((a[i] > b[i] || a[i] != a[i]) ? a[i] : ((a[i] < b[i] || b[i] != b[i]) ? b[i] : (a[i] == 0 ? a[i] + b[i] : a[i]))); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = ((x > b[i] || x != x) ? x : ((x < b[i] || b[i] != b[i]) ? b[i] : (x == 0 ? x + b[i] : x))); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = ((a[i] > y || a[i] != a[i]) ? a[i] : ((a[i] < y || y != y) ? y : (a[i] == 0 ? a[i] + y : a[i]))); }
    else { const double v = ((a[0] > b[0] || a[0] != a[0]) ? a[0] : ((a[0] < b[0] || b[0] != b[0]) ? b[0] : (a[0] == 0 ? a[0] + b[0] : a[0]))); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmin_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = ((a[i] < b[i] || a[i] != a[i]) ? a[i] : ((a[i] > b[i] || b[i] != b[i]) ? b[i] : (a[i] == 0 ? -(-a[i] - b[i]) : a[i]))); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = ((x < b[i] || x != x) ? x : ((x > b[i] || b[i] != b[i]) ? b[i] : (x == 0 ? -(-x - b[i]) : x))); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = ((a[i] < y || a[i] != a[i]) ? a[i] : ((a[i] > y || y != y) ? y : (a[i] == 0 ? -(-a[i] - y) : a[i]))); }
    else { const double v = ((a[0] < b[0] || a[0] != a[0]) ? a[0] : ((a[0] > b[0] || b[0] != b[0]) ? b[0] : (a[0] == 0 ? -(-a[0] - b[0]) : a[0]))); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vmul_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] * b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x * b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] * y); }
    else { const double v = (a[0] * b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vne_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, uint8_t *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] != b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x != b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] != y); }
    else { const uint8_t v = (a[0] != b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vpow_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = pow(a[i], b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = pow(x, b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = pow(a[i], y); }
    else { const double v = pow(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vrem_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = fmod(a[i], b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = fmod(x, b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = fmod(a[i], y); }
    else { const double v = fmod(a[0], b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vsub_f64(int64_t n, const double *a, int64_t sa, const double *b, int64_t sb, double *o) {
    int64_t i;
    if (sa && sb) { for (i = 0; i < n; i++) o[i] = (a[i] - b[i]); }
    else if (sb) { const double x = a[0]; for (i = 0; i < n; i++) o[i] = (x - b[i]); }
    else if (sa) { const double y = b[0]; for (i = 0; i < n; i++) o[i] = (a[i] - y); }
    else { const double v = (a[0] - b[0]); for (i = 0; i < n; i++) o[i] = v; }
}

AX_CLONES void ax_vselect_f64(int64_t n, const uint8_t *p, int64_t sp, const double *f, int64_t sf, const double *t, int64_t st, double *o) {
    int64_t i;
    if (sp && sf && st) { for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : f[i]; }
    else if (sp && sf) { const double y = t[0]; for (i = 0; i < n; i++) o[i] = p[i] ? y : f[i]; }
    else if (sp && st) { const double x = f[0]; for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : x; }
    else { for (i = 0; i < n; i++) o[i] = p[i * sp] ? t[i * st] : f[i * sf]; }
}

AX_CLONES double ax_vsum_f64(int64_t n, const double *a) {
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0, j;
    for (; i + 8 <= n; i += 8) for (j = 0; j < 8; j++) s[j] += a[i + j];
    for (; i < n; i++) s[0] += a[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

AX_CLONES void ax_vrowsum_f64(int64_t rows, int64_t r, const double *a, double *o) {
    int64_t i, j;
    switch (r) {
    case 2: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 2; j++) s += a[i * 2 + j]; o[i] = (double)s; } return;
    case 3: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 3; j++) s += a[i * 3 + j]; o[i] = (double)s; } return;
    case 4: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 4; j++) s += a[i * 4 + j]; o[i] = (double)s; } return;
    case 5: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 5; j++) s += a[i * 5 + j]; o[i] = (double)s; } return;
    case 6: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 6; j++) s += a[i * 6 + j]; o[i] = (double)s; } return;
    case 7: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 7; j++) s += a[i * 7 + j]; o[i] = (double)s; } return;
    case 8: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < 8; j++) s += a[i * 8 + j]; o[i] = (double)s; } return;
    default: for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < r; j++) s += a[i * r + j]; o[i] = (double)s; }
    }
}

AX_CLONES void ax_vneg_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = -a[i]; }
}

AX_CLONES void ax_vabs_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = fabsf(a[i]); }
}

AX_CLONES void ax_vsqrt_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = sqrtf(a[i]); }
}

AX_CLONES void ax_vsign_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = a[i] > 0 ? (float)1 : (a[i] < 0 ? (float)-1 : a[i]); }
}

static inline float ax_exp_f32_body(float a) {
    int nan = a != a, lo = a < -104.0f, hi = a > 89.0f;
    float y = ax_expf_core(ax_sel_f32(lo, -104.0f, ax_sel_f32(hi | nan, 89.0f, a)));
    return ax_sel_f32(nan, a, y);
}

AX_MATH_CLONES float ax_exp_f32(float a) {
    return ax_exp_f32_body(a);
}

AX_MATH_CLONES void ax_vexp_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_exp_f32_body(a[i]);
}

static inline float ax_logistic_f32_body(float a) {
    int nan = a != a, neg = a < 0, under = a <= -0x1.62e43p+6f;
    float m = -fabsf(a), l, sc, h = ax_expf_parts(ax_sel_f32(m < -104.0f, -104.0f, m), &l, &sc);
    float eh = h * sc, el = l * sc, d = 1.0f + eh, dl = ((1.0f - d) + eh) + el, y = 1.0f / d, q = eh / d;
    float yp = y - (y * dl) * y, yn = q + (el - q * dl) * y;
    return ax_sel_f32(nan, a, ax_sel_f32(under, 0.0f, ax_sel_f32(neg, yn, yp)));
}

AX_MATH_CLONES float ax_logistic_f32(float a) {
    return ax_logistic_f32_body(a);
}

AX_MATH_CLONES void ax_vlogistic_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_logistic_f32_body(a[i]);
}

static inline float ax_tanh_f32_body(float a) {
    float ax = fabsf(a), z = a * a, p = 2.299006330e-03f, e, q;
    int nan = a != a, zero = a == 0, small = ax < 0.625f, neg = a < 0;
    p = p * z - 8.350077085e-03f; p = p * z + 2.177102305e-02f; p = p * z - 5.395955592e-02f;
    p = p * z + 1.333330572e-01f; p = p * z - 3.333333433e-01f;
    e = ax_expf_core(ax_sel_f32(ax < 10.0f, 2.0f * ax, 20.0f));
    q = 1.0f - 2.0f / (1.0f + e);
    return ax_sel_f32(nan | zero, a, ax_sel_f32(small, a + a * (z * p), ax_sel_f32(neg, -q, q)));
}

AX_MATH_CLONES float ax_tanh_f32(float a) {
    return ax_tanh_f32_body(a);
}

AX_MATH_CLONES void ax_vtanh_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_tanh_f32_body(a[i]);
}

static inline float ax_log_f32_body(float a) {
    int ok = (a > 0) & (a <= 3.40282347e38f), sub = a < 1.17549435e-38f, zero = a == 0, pos = a > 0;
    float u = ax_sel_f32(ok, ax_sel_f32(sub, a * 8388608.0f, a), 1.0f);
    float y = ax_logf_core(u, ax_sel_f32(sub, -23.0f, 0.0f), 0.0f);
    return ax_sel_f32(ok, y, ax_sel_f32(zero, -HUGE_VALF, ax_sel_f32(pos, a, NAN)));
}

AX_MATH_CLONES float ax_log_f32(float a) {
    return ax_log_f32_body(a);
}

AX_MATH_CLONES void ax_vlog_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_log_f32_body(a[i]);
}

static inline float ax_log1p_f32_body(float a) {
    int ok = (a > -1.0f) & (a <= 3.40282347e38f), m1 = a == -1.0f, pos = a > 0, zero = a == 0;
    float x = ax_sel_f32(ok, a, 0.0f), u = 1.0f + x;
    float c = ax_sel_f32(u >= 2.0f, 1.0f - (u - x), x - (u - 1.0f)) / u;
    float y = ax_logf_core(u, 0.0f, c);
    return ax_sel_f32(ok & !zero, y, ax_sel_f32(zero, a, ax_sel_f32(m1, -HUGE_VALF, ax_sel_f32(pos, a, NAN))));
}

AX_MATH_CLONES float ax_log1p_f32(float a) {
    return ax_log1p_f32_body(a);
}

AX_MATH_CLONES void ax_vlog1p_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_log1p_f32_body(a[i]);
}

static inline float ax_sin_f32_body(float a) {
    float s, c;
    ax_sincos_f32_core(a, &s, &c);
    return ax_sel_f32(a == 0, a, s);
}

AX_MATH_CLONES float ax_sin_f32(float a) {
    return !(fabsf(a) <= 131072.0f) ? (float)sin((double)a) : ax_sin_f32_body(a);
}

AX_MATH_CLONES void ax_vsin_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    int redo = 0;
    for (i = 0; i < n; i++) { o[i] = ax_sin_f32_body(a[i]); redo |= !(fabsf(a[i]) <= 131072.0f); }
    if (redo) for (i = 0; i < n; i++) if (!(fabsf(a[i]) <= 131072.0f)) o[i] = (float)sin((double)a[i]);
}

static inline float ax_cos_f32_body(float a) {
    float s, c;
    ax_sincos_f32_core(a, &s, &c);
    return c;
}

AX_MATH_CLONES float ax_cos_f32(float a) {
    return !(fabsf(a) <= 131072.0f) ? (float)cos((double)a) : ax_cos_f32_body(a);
}

AX_MATH_CLONES void ax_vcos_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    int redo = 0;
    for (i = 0; i < n; i++) { o[i] = ax_cos_f32_body(a[i]); redo |= !(fabsf(a[i]) <= 131072.0f); }
    if (redo) for (i = 0; i < n; i++) if (!(fabsf(a[i]) <= 131072.0f)) o[i] = (float)cos((double)a[i]);
}

AX_MATH_CLONES void ax_vsincos_f32(int64_t n, const float *a, float *s, float *c) {
    int64_t i;
    int redo = 0;
    for (i = 0; i < n; i++) { ax_sincos_f32_core(a[i], s + i, c + i); s[i] = ax_sel_f32(a[i] == 0, a[i], s[i]); redo |= !(fabsf(a[i]) <= 131072.0f); }
    if (redo) for (i = 0; i < n; i++) if (!(fabsf(a[i]) <= 131072.0f)) { s[i] = (float)sin((double)a[i]); c[i] = (float)cos((double)a[i]); }
}

AX_CLONES void ax_vneg_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = -a[i]; }
}

AX_CLONES void ax_vabs_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = fabs(a[i]); }
}

AX_CLONES void ax_vsqrt_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = sqrt(a[i]); }
}

AX_CLONES void ax_vsign_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) { o[i] = a[i] > 0 ? (double)1 : (a[i] < 0 ? (double)-1 : a[i]); }
}

static inline double ax_exp_f64_body(double a) {
    uint64_t nan = ax_absgt_f64(a, INFINITY), lo = ax_lt_f64(a, -746.0), hi = ax_lt_f64(710.0, a);
    double l, s, h = ax_exp_f64_parts(ax_sel_f64(lo, -746.0, ax_sel_f64(hi | nan, 710.0, a)), &l, &s);
    return ax_sel_f64(nan, a, h * s);
}

AX_MATH_CLONES double ax_exp_f64(double a) {
    return ax_exp_f64_body(a);
}

AX_MATH_CLONES void ax_vexp_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_exp_f64_body(a[i]);
}

static inline double ax_logistic_f64_body(double a) {
    uint64_t nan = ax_absgt_f64(a, INFINITY), neg = ax_neg_f64(a), under = ax_lt_f64(a, -0x1.62e42fefa39efp+9);
    double m = -fabs(a), l, sc, h = ax_exp_f64_parts(ax_sel_f64(ax_lt_f64(m, -746.0), -746.0, m), &l, &sc);
    double eh = h * sc, el = l * sc, d = 1.0 + eh, dl = ((1.0 - d) + eh) + el, y = 1.0 / d, q = eh / d;
    double yp = y - (y * dl) * y, yn = q + (el - q * dl) * y;
    return ax_sel_f64(nan, a, ax_sel_f64(under, 0.0, ax_sel_f64(neg, yn, yp)));
}

AX_MATH_CLONES double ax_logistic_f64(double a) {
    return ax_logistic_f64_body(a);
}

AX_MATH_CLONES void ax_vlogistic_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_logistic_f64_body(a[i]);
}

static inline double ax_tanh_f64_body(double a) {
    double ax = fabs(a), z = a * a, p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3;
    double r = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
    double l, sc, h = ax_exp_f64_parts(ax_sel_f64(ax_lt_f64(ax, 22.0), 2.0 * ax, 44.0), &l, &sc);
    double eh = h * sc, el = l * sc, d = 1.0 + eh, dl = (1.0 - (d - eh)) + el, q = 2.0 / d;
    double u = 1.0 - q, y = u + (((1.0 - u) - q) + 0.5 * q * q * dl);
    uint64_t keep = ax_absgt_f64(a, INFINITY) | ~ax_absgt_f64(a, 0.0), small = ax_lt_f64(ax, 0.625);
    return ax_sel_f64(keep, a, ax_sel_f64(small, a + a * (z * (p / r)), ax_sel_f64(ax_neg_f64(a), -y, y)));
}

AX_MATH_CLONES double ax_tanh_f64(double a) {
    return ax_tanh_f64_body(a);
}

AX_MATH_CLONES void ax_vtanh_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_tanh_f64_body(a[i]);
}

static inline double ax_log_f64_body(double a) {
    uint64_t neg = ax_neg_f64(a), zero = ~ax_absgt_f64(a, 0.0), ok = ~(neg | zero | ax_absgt_f64(a, 1.7976931348623157e308));
    uint64_t sub = ~ax_absgt_f64(a, 0x0.fffffffffffffp-1022);
    double u = ax_sel_f64(ok, ax_sel_f64(sub, a * 18014398509481984.0, a), 1.0);
    double y = ax_log_f64_core(u, ax_sel_f64(sub, -54.0, 0.0), 0.0);
    return ax_sel_f64(ok, y, ax_sel_f64(zero, -HUGE_VAL, ax_sel_f64(neg, NAN, a)));
}

AX_MATH_CLONES double ax_log_f64(double a) {
    return ax_log_f64_body(a);
}

AX_MATH_CLONES void ax_vlog_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_log_f64_body(a[i]);
}

static inline double ax_log1p_f64_body(double a) {
    uint64_t neg = ax_neg_f64(a), zero = ~ax_absgt_f64(a, 0.0), le1 = neg & ax_absgt_f64(a, 0x1.fffffffffffffp-1);
    uint64_t m1 = le1 & ~ax_absgt_f64(a, 1.0), ok = ~(le1 | zero | ax_absgt_f64(a, 1.7976931348623157e308));
    double x = ax_sel_f64(ok, a, 0.0), u = 1.0 + x;
    double c = ax_sel_f64(ax_lt_f64(u, 2.0), x - (u - 1.0), 1.0 - (u - x)) / u;
    double y = ax_log_f64_core(u, 0.0, c);
    return ax_sel_f64(ok, y, ax_sel_f64(zero | ~le1, a, ax_sel_f64(m1, -HUGE_VAL, NAN)));
}

AX_MATH_CLONES double ax_log1p_f64(double a) {
    return ax_log1p_f64_body(a);
}

AX_MATH_CLONES void ax_vlog1p_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_log1p_f64_body(a[i]);
}

static inline double ax_sin_f64_body(double a) {
    double s, c;
    ax_sincos_f64_core(a, &s, &c);
    return ax_sel_f64(~ax_absgt_f64(a, 0.0), a, s);
}

AX_MATH_CLONES double ax_sin_f64(double a) {
    return ax_absgt_f64(a, 1048576.0) ? sin(a) : ax_sin_f64_body(a);
}

AX_MATH_CLONES void ax_vsin_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    uint64_t redo = 0;
    for (i = 0; i < n; i++) { o[i] = ax_sin_f64_body(a[i]); redo |= ax_absgt_f64(a[i], 1048576.0); }
    if (redo) for (i = 0; i < n; i++) if (ax_absgt_f64(a[i], 1048576.0)) o[i] = sin(a[i]);
}

static inline double ax_cos_f64_body(double a) {
    double s, c;
    ax_sincos_f64_core(a, &s, &c);
    return c;
}

AX_MATH_CLONES double ax_cos_f64(double a) {
    return ax_absgt_f64(a, 1048576.0) ? cos(a) : ax_cos_f64_body(a);
}

AX_MATH_CLONES void ax_vcos_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    uint64_t redo = 0;
    for (i = 0; i < n; i++) { o[i] = ax_cos_f64_body(a[i]); redo |= ax_absgt_f64(a[i], 1048576.0); }
    if (redo) for (i = 0; i < n; i++) if (ax_absgt_f64(a[i], 1048576.0)) o[i] = cos(a[i]);
}

AX_MATH_CLONES void ax_vsincos_f64(int64_t n, const double *a, double *s, double *c) {
    int64_t i;
    uint64_t redo = 0;
    for (i = 0; i < n; i++) { ax_sincos_f64_core(a[i], s + i, c + i); s[i] = ax_sel_f64(~ax_absgt_f64(a[i], 0.0), a[i], s[i]); redo |= ax_absgt_f64(a[i], 1048576.0); }
    if (redo) for (i = 0; i < n; i++) if (ax_absgt_f64(a[i], 1048576.0)) { s[i] = sin(a[i]); c[i] = cos(a[i]); }
}

static inline float ax_floor_f32_body(float a) {
    return floorf(a);
}

AX_CLONES float ax_floor_f32(float a) {
    return ax_floor_f32_body(a);
}

AX_CLONES void ax_vfloor_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_floor_f32_body(a[i]);
}

static inline float ax_ceil_f32_body(float a) {
    return ceilf(a);
}

AX_CLONES float ax_ceil_f32(float a) {
    return ax_ceil_f32_body(a);
}

AX_CLONES void ax_vceil_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_ceil_f32_body(a[i]);
}

static inline float ax_round_f32_body(float a) {
    return nearbyintf(a);
}

AX_CLONES float ax_round_f32(float a) {
    return ax_round_f32_body(a);
}

AX_CLONES void ax_vround_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_round_f32_body(a[i]);
}

static inline float ax_tan_f32_body(float a) {
    return (float)tan((double)a);
}

AX_CLONES float ax_tan_f32(float a) {
    return ax_tan_f32_body(a);
}

AX_CLONES void ax_vtan_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_tan_f32_body(a[i]);
}

static inline float ax_atan_f32_body(float a) {
    return (float)atan((double)a);
}

AX_CLONES float ax_atan_f32(float a) {
    return ax_atan_f32_body(a);
}

AX_CLONES void ax_vatan_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_atan_f32_body(a[i]);
}

static inline float ax_asin_f32_body(float a) {
    return (float)asin((double)a);
}

AX_CLONES float ax_asin_f32(float a) {
    return ax_asin_f32_body(a);
}

AX_CLONES void ax_vasin_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_asin_f32_body(a[i]);
}

static inline float ax_acos_f32_body(float a) {
    return (float)acos((double)a);
}

AX_CLONES float ax_acos_f32(float a) {
    return ax_acos_f32_body(a);
}

AX_CLONES void ax_vacos_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_acos_f32_body(a[i]);
}

static inline float ax_sinh_f32_body(float a) {
    return (float)sinh((double)a);
}

AX_CLONES float ax_sinh_f32(float a) {
    return ax_sinh_f32_body(a);
}

AX_CLONES void ax_vsinh_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_sinh_f32_body(a[i]);
}

static inline float ax_cosh_f32_body(float a) {
    return (float)cosh((double)a);
}

AX_CLONES float ax_cosh_f32(float a) {
    return ax_cosh_f32_body(a);
}

AX_CLONES void ax_vcosh_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_cosh_f32_body(a[i]);
}

static inline float ax_atanh_f32_body(float a) {
    return (float)atanh((double)a);
}

AX_CLONES float ax_atanh_f32(float a) {
    return ax_atanh_f32_body(a);
}

AX_CLONES void ax_vatanh_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_atanh_f32_body(a[i]);
}

static inline float ax_expm1_f32_body(float a) {
    return (float)expm1((double)a);
}

AX_CLONES float ax_expm1_f32(float a) {
    return ax_expm1_f32_body(a);
}

AX_CLONES void ax_vexpm1_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_expm1_f32_body(a[i]);
}

static inline float ax_exp2_f32_body(float a) {
    return (float)exp2((double)a);
}

AX_CLONES float ax_exp2_f32(float a) {
    return ax_exp2_f32_body(a);
}

AX_CLONES void ax_vexp2_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_exp2_f32_body(a[i]);
}

static inline float ax_erf_f32_body(float a) {
    return (float)erf((double)a);
}

AX_CLONES float ax_erf_f32(float a) {
    return ax_erf_f32_body(a);
}

AX_CLONES void ax_verf_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_erf_f32_body(a[i]);
}

static inline float ax_erfc_f32_body(float a) {
    return (float)erfc((double)a);
}

AX_CLONES float ax_erfc_f32(float a) {
    return ax_erfc_f32_body(a);
}

AX_CLONES void ax_verfc_f32(int64_t n, const float *a, float *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_erfc_f32_body(a[i]);
}

static inline double ax_floor_f64_body(double a) {
    return floor(a);
}

AX_CLONES double ax_floor_f64(double a) {
    return ax_floor_f64_body(a);
}

AX_CLONES void ax_vfloor_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_floor_f64_body(a[i]);
}

static inline double ax_ceil_f64_body(double a) {
    return ceil(a);
}

AX_CLONES double ax_ceil_f64(double a) {
    return ax_ceil_f64_body(a);
}

AX_CLONES void ax_vceil_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_ceil_f64_body(a[i]);
}

static inline double ax_round_f64_body(double a) {
    return nearbyint(a);
}

AX_CLONES double ax_round_f64(double a) {
    return ax_round_f64_body(a);
}

AX_CLONES void ax_vround_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_round_f64_body(a[i]);
}

static inline double ax_tan_f64_body(double a) {
    return tan(a);
}

AX_CLONES double ax_tan_f64(double a) {
    return ax_tan_f64_body(a);
}

AX_CLONES void ax_vtan_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_tan_f64_body(a[i]);
}

static inline double ax_atan_f64_body(double a) {
    return atan(a);
}

AX_CLONES double ax_atan_f64(double a) {
    return ax_atan_f64_body(a);
}

AX_CLONES void ax_vatan_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_atan_f64_body(a[i]);
}

static inline double ax_asin_f64_body(double a) {
    return asin(a);
}

AX_CLONES double ax_asin_f64(double a) {
    return ax_asin_f64_body(a);
}

AX_CLONES void ax_vasin_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_asin_f64_body(a[i]);
}

static inline double ax_acos_f64_body(double a) {
    return acos(a);
}

AX_CLONES double ax_acos_f64(double a) {
    return ax_acos_f64_body(a);
}

AX_CLONES void ax_vacos_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_acos_f64_body(a[i]);
}

static inline double ax_sinh_f64_body(double a) {
    return sinh(a);
}

AX_CLONES double ax_sinh_f64(double a) {
    return ax_sinh_f64_body(a);
}

AX_CLONES void ax_vsinh_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_sinh_f64_body(a[i]);
}

static inline double ax_cosh_f64_body(double a) {
    return cosh(a);
}

AX_CLONES double ax_cosh_f64(double a) {
    return ax_cosh_f64_body(a);
}

AX_CLONES void ax_vcosh_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_cosh_f64_body(a[i]);
}

static inline double ax_atanh_f64_body(double a) {
    return atanh(a);
}

AX_CLONES double ax_atanh_f64(double a) {
    return ax_atanh_f64_body(a);
}

AX_CLONES void ax_vatanh_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_atanh_f64_body(a[i]);
}

static inline double ax_expm1_f64_body(double a) {
    return expm1(a);
}

AX_CLONES double ax_expm1_f64(double a) {
    return ax_expm1_f64_body(a);
}

AX_CLONES void ax_vexpm1_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_expm1_f64_body(a[i]);
}

static inline double ax_exp2_f64_body(double a) {
    return exp2(a);
}

AX_CLONES double ax_exp2_f64(double a) {
    return ax_exp2_f64_body(a);
}

AX_CLONES void ax_vexp2_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_exp2_f64_body(a[i]);
}

static inline double ax_erf_f64_body(double a) {
    return erf(a);
}

AX_CLONES double ax_erf_f64(double a) {
    return ax_erf_f64_body(a);
}

AX_CLONES void ax_verf_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_erf_f64_body(a[i]);
}

static inline double ax_erfc_f64_body(double a) {
    return erfc(a);
}

AX_CLONES double ax_erfc_f64(double a) {
    return ax_erfc_f64_body(a);
}

AX_CLONES void ax_verfc_f64(int64_t n, const double *a, double *o) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = ax_erfc_f64_body(a[i]);
}

static const ax_rt_symbol ax_rt_table[] = {
    {"ax_parallel_for", (void *)ax_parallel_for},
    {"ax_gemm_f32", (void *)ax_gemm_f32},
    {"ax_vmatmul_f32", (void *)ax_vmatmul_f32},
    {"ax_gemm_f64", (void *)ax_gemm_f64},
    {"ax_vmatmul_f64", (void *)ax_vmatmul_f64},
    {"ax_vadd_f32", (void *)ax_vadd_f32},
    {"ax_vatan2_f32", (void *)ax_vatan2_f32},
    {"ax_vdiv_f32", (void *)ax_vdiv_f32},
    {"ax_veq_f32", (void *)ax_veq_f32},
    {"ax_vge_f32", (void *)ax_vge_f32},
    {"ax_vgt_f32", (void *)ax_vgt_f32},
    {"ax_vle_f32", (void *)ax_vle_f32},
    {"ax_vlt_f32", (void *)ax_vlt_f32},
    {"ax_vmax_f32", (void *)ax_vmax_f32},
    {"ax_vmin_f32", (void *)ax_vmin_f32},
    {"ax_vmul_f32", (void *)ax_vmul_f32},
    {"ax_vne_f32", (void *)ax_vne_f32},
    {"ax_vpow_f32", (void *)ax_vpow_f32},
    {"ax_vrem_f32", (void *)ax_vrem_f32},
    {"ax_vsub_f32", (void *)ax_vsub_f32},
    {"ax_vselect_f32", (void *)ax_vselect_f32},
    {"ax_vsum_f32", (void *)ax_vsum_f32},
    {"ax_vrowsum_f32", (void *)ax_vrowsum_f32},
    {"ax_vadd_f64", (void *)ax_vadd_f64},
    {"ax_vatan2_f64", (void *)ax_vatan2_f64},
    {"ax_vdiv_f64", (void *)ax_vdiv_f64},
    {"ax_veq_f64", (void *)ax_veq_f64},
    {"ax_vge_f64", (void *)ax_vge_f64},
    {"ax_vgt_f64", (void *)ax_vgt_f64},
    {"ax_vle_f64", (void *)ax_vle_f64},
    {"ax_vlt_f64", (void *)ax_vlt_f64},
    {"ax_vmax_f64", (void *)ax_vmax_f64},
    {"ax_vmin_f64", (void *)ax_vmin_f64},
    {"ax_vmul_f64", (void *)ax_vmul_f64},
    {"ax_vne_f64", (void *)ax_vne_f64},
    {"ax_vpow_f64", (void *)ax_vpow_f64},
    {"ax_vrem_f64", (void *)ax_vrem_f64},
    {"ax_vsub_f64", (void *)ax_vsub_f64},
    {"ax_vselect_f64", (void *)ax_vselect_f64},
    {"ax_vsum_f64", (void *)ax_vsum_f64},
    {"ax_vrowsum_f64", (void *)ax_vrowsum_f64},
    {"ax_vneg_f32", (void *)ax_vneg_f32},
    {"ax_vabs_f32", (void *)ax_vabs_f32},
    {"ax_vsqrt_f32", (void *)ax_vsqrt_f32},
    {"ax_vsign_f32", (void *)ax_vsign_f32},
    {"ax_exp_f32", (void *)ax_exp_f32},
    {"ax_vexp_f32", (void *)ax_vexp_f32},
    {"ax_logistic_f32", (void *)ax_logistic_f32},
    {"ax_vlogistic_f32", (void *)ax_vlogistic_f32},
    {"ax_tanh_f32", (void *)ax_tanh_f32},
    {"ax_vtanh_f32", (void *)ax_vtanh_f32},
    {"ax_log_f32", (void *)ax_log_f32},
    {"ax_vlog_f32", (void *)ax_vlog_f32},
    {"ax_log1p_f32", (void *)ax_log1p_f32},
    {"ax_vlog1p_f32", (void *)ax_vlog1p_f32},
    {"ax_sin_f32", (void *)ax_sin_f32},
    {"ax_vsin_f32", (void *)ax_vsin_f32},
    {"ax_cos_f32", (void *)ax_cos_f32},
    {"ax_vcos_f32", (void *)ax_vcos_f32},
    {"ax_vsincos_f32", (void *)ax_vsincos_f32},
    {"ax_vneg_f64", (void *)ax_vneg_f64},
    {"ax_vabs_f64", (void *)ax_vabs_f64},
    {"ax_vsqrt_f64", (void *)ax_vsqrt_f64},
    {"ax_vsign_f64", (void *)ax_vsign_f64},
    {"ax_exp_f64", (void *)ax_exp_f64},
    {"ax_vexp_f64", (void *)ax_vexp_f64},
    {"ax_logistic_f64", (void *)ax_logistic_f64},
    {"ax_vlogistic_f64", (void *)ax_vlogistic_f64},
    {"ax_tanh_f64", (void *)ax_tanh_f64},
    {"ax_vtanh_f64", (void *)ax_vtanh_f64},
    {"ax_log_f64", (void *)ax_log_f64},
    {"ax_vlog_f64", (void *)ax_vlog_f64},
    {"ax_log1p_f64", (void *)ax_log1p_f64},
    {"ax_vlog1p_f64", (void *)ax_vlog1p_f64},
    {"ax_sin_f64", (void *)ax_sin_f64},
    {"ax_vsin_f64", (void *)ax_vsin_f64},
    {"ax_cos_f64", (void *)ax_cos_f64},
    {"ax_vcos_f64", (void *)ax_vcos_f64},
    {"ax_vsincos_f64", (void *)ax_vsincos_f64},
    {"ax_floor_f32", (void *)ax_floor_f32},
    {"ax_vfloor_f32", (void *)ax_vfloor_f32},
    {"ax_ceil_f32", (void *)ax_ceil_f32},
    {"ax_vceil_f32", (void *)ax_vceil_f32},
    {"ax_round_f32", (void *)ax_round_f32},
    {"ax_vround_f32", (void *)ax_vround_f32},
    {"ax_tan_f32", (void *)ax_tan_f32},
    {"ax_vtan_f32", (void *)ax_vtan_f32},
    {"ax_atan_f32", (void *)ax_atan_f32},
    {"ax_vatan_f32", (void *)ax_vatan_f32},
    {"ax_asin_f32", (void *)ax_asin_f32},
    {"ax_vasin_f32", (void *)ax_vasin_f32},
    {"ax_acos_f32", (void *)ax_acos_f32},
    {"ax_vacos_f32", (void *)ax_vacos_f32},
    {"ax_sinh_f32", (void *)ax_sinh_f32},
    {"ax_vsinh_f32", (void *)ax_vsinh_f32},
    {"ax_cosh_f32", (void *)ax_cosh_f32},
    {"ax_vcosh_f32", (void *)ax_vcosh_f32},
    {"ax_atanh_f32", (void *)ax_atanh_f32},
    {"ax_vatanh_f32", (void *)ax_vatanh_f32},
    {"ax_expm1_f32", (void *)ax_expm1_f32},
    {"ax_vexpm1_f32", (void *)ax_vexpm1_f32},
    {"ax_exp2_f32", (void *)ax_exp2_f32},
    {"ax_vexp2_f32", (void *)ax_vexp2_f32},
    {"ax_erf_f32", (void *)ax_erf_f32},
    {"ax_verf_f32", (void *)ax_verf_f32},
    {"ax_erfc_f32", (void *)ax_erfc_f32},
    {"ax_verfc_f32", (void *)ax_verfc_f32},
    {"ax_floor_f64", (void *)ax_floor_f64},
    {"ax_vfloor_f64", (void *)ax_vfloor_f64},
    {"ax_ceil_f64", (void *)ax_ceil_f64},
    {"ax_vceil_f64", (void *)ax_vceil_f64},
    {"ax_round_f64", (void *)ax_round_f64},
    {"ax_vround_f64", (void *)ax_vround_f64},
    {"ax_tan_f64", (void *)ax_tan_f64},
    {"ax_vtan_f64", (void *)ax_vtan_f64},
    {"ax_atan_f64", (void *)ax_atan_f64},
    {"ax_vatan_f64", (void *)ax_vatan_f64},
    {"ax_asin_f64", (void *)ax_asin_f64},
    {"ax_vasin_f64", (void *)ax_vasin_f64},
    {"ax_acos_f64", (void *)ax_acos_f64},
    {"ax_vacos_f64", (void *)ax_vacos_f64},
    {"ax_sinh_f64", (void *)ax_sinh_f64},
    {"ax_vsinh_f64", (void *)ax_vsinh_f64},
    {"ax_cosh_f64", (void *)ax_cosh_f64},
    {"ax_vcosh_f64", (void *)ax_vcosh_f64},
    {"ax_atanh_f64", (void *)ax_atanh_f64},
    {"ax_vatanh_f64", (void *)ax_vatanh_f64},
    {"ax_expm1_f64", (void *)ax_expm1_f64},
    {"ax_vexpm1_f64", (void *)ax_vexpm1_f64},
    {"ax_exp2_f64", (void *)ax_exp2_f64},
    {"ax_vexp2_f64", (void *)ax_vexp2_f64},
    {"ax_erf_f64", (void *)ax_erf_f64},
    {"ax_verf_f64", (void *)ax_verf_f64},
    {"ax_erfc_f64", (void *)ax_erfc_f64},
    {"ax_verfc_f64", (void *)ax_verfc_f64},
    {0, 0}
};

const ax_rt_symbol *ax_rt_symbols(void) { return ax_rt_table; }
