/* axruntime.c — vectorizable loops compiled with -O3; the kernels libtcc compiles call these.
   Each definition below is also emitted verbatim (as a static function) into standalone C: keep it
   identical to Sources/AxCore/Codegen/RuntimeTable.swift (CodegenTests checks). */
#include "axruntime.h"

double ax_rt_version(void) { return 1.0; }

void ax_gemm_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t sam, int64_t sak,
                 const float *b, int64_t sbk, int64_t sbn, float *c, int64_t scm, int64_t scn) {
    int64_t i, j, p;
    if (sbn == 1 && scn == 1 && n > 1) {
        double acc[256];
        int64_t j0, nb;
        for (i = 0; i < m; i++) {
            for (j0 = 0; j0 < n; j0 += 256) {
                nb = n - j0 < 256 ? n - j0 : 256;
                for (j = 0; j < nb; j++) acc[j] = 0;
                for (p = 0; p < k; p++) {
                    const double av = a[i * sam + p * sak];
                    const float *bp = b + p * sbk + j0;
                    for (j = 0; j < nb; j++) acc[j] += av * bp[j];
                }
                for (j = 0; j < nb; j++) c[i * scm + j0 + j] = (float)acc[j];
            }
        }
        return;
    }
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            const float *ap = a + i * sam, *bp = b + j * sbn;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            p = 0;
            if (sak == 1 && sbk == 1) {
                for (; p + 4 <= k; p += 4) {
                    s0 += (double)ap[p] * bp[p]; s1 += (double)ap[p + 1] * bp[p + 1];
                    s2 += (double)ap[p + 2] * bp[p + 2]; s3 += (double)ap[p + 3] * bp[p + 3];
                }
            }
            for (; p < k; p++) s0 += (double)ap[p * sak] * bp[p * sbk];
            c[i * scm + j * scn] = (float)((s0 + s1) + (s2 + s3));
        }
    }
}

void ax_gemm_f64(int64_t m, int64_t n, int64_t k, const double *a, int64_t sam, int64_t sak,
                 const double *b, int64_t sbk, int64_t sbn, double *c, int64_t scm, int64_t scn) {
    int64_t i, j, p;
    if (sbn == 1 && scn == 1 && n > 1) {
        double acc[256];
        int64_t j0, nb;
        for (i = 0; i < m; i++) {
            for (j0 = 0; j0 < n; j0 += 256) {
                nb = n - j0 < 256 ? n - j0 : 256;
                for (j = 0; j < nb; j++) acc[j] = 0;
                for (p = 0; p < k; p++) {
                    const double av = a[i * sam + p * sak];
                    const double *bp = b + p * sbk + j0;
                    for (j = 0; j < nb; j++) acc[j] += av * bp[j];
                }
                for (j = 0; j < nb; j++) c[i * scm + j0 + j] = (double)acc[j];
            }
        }
        return;
    }
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            const double *ap = a + i * sam, *bp = b + j * sbn;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            p = 0;
            if (sak == 1 && sbk == 1) {
                for (; p + 4 <= k; p += 4) {
                    s0 += (double)ap[p] * bp[p]; s1 += (double)ap[p + 1] * bp[p + 1];
                    s2 += (double)ap[p + 2] * bp[p + 2]; s3 += (double)ap[p + 3] * bp[p + 3];
                }
            }
            for (; p < k; p++) s0 += (double)ap[p * sak] * bp[p * sbk];
            c[i * scm + j * scn] = (double)((s0 + s1) + (s2 + s3));
        }
    }
}
