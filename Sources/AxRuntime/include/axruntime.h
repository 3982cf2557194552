/* axruntime.h — the optimized runtime that compiled kernels call (registered with tcc_add_symbol).
   Built with -O3 by SwiftPM; every function here has a portable C twin in the emitted standalone C. */
#ifndef AXRUNTIME_H
#define AXRUNTIME_H
#include <stdint.h>
#include <stddef.h>

/* A trivial function used to smoke-test symbol registration with libtcc. */
double ax_rt_version(void);

/* C[i*scm + j*scn] = sum_p A[i*sam + p*sak] * B[p*sbk + j*sbn] for i < m, j < n (C overwritten). */
void ax_gemm_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t sam, int64_t sak,
                 const float *b, int64_t sbk, int64_t sbn, float *c, int64_t scm, int64_t scn);
void ax_gemm_f64(int64_t m, int64_t n, int64_t k, const double *a, int64_t sam, int64_t sak,
                 const double *b, int64_t sbk, int64_t sbn, double *c, int64_t scm, int64_t scn);

#endif
