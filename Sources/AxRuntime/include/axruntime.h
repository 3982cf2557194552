/* axruntime.h — GENERATED from Sources/AxCore/Codegen/RuntimeTable.swift with axruntime.c (UPDATE_GOLDEN=1
   swift test --filter runtimeSource rewrites both). The optimized runtime that compiled kernels call: tile ops,
   GEMM and the element-wise math, which the interpreter calls too. The host registers each entry of
   ax_rt_symbols() with tcc_add_symbol; standalone C carries the same definitions as static functions. */
#ifndef AXRUNTIME_H
#define AXRUNTIME_H
#include <stdint.h>
#include <stddef.h>

/* A trivial function used to smoke-test symbol registration with libtcc. */
double ax_rt_version(void);

/* One runtime function: its C name and address. */
typedef struct { const char *name; void *fn; } ax_rt_symbol;

/* Every runtime function kernels may call, ending with {0, 0}. */
const ax_rt_symbol *ax_rt_symbols(void);

/* The runtime functions. */
void ax_parallel_for(int64_t, int64_t, void (*)(void *, int64_t, int64_t), void *);
void ax_gemm_f32(int64_t, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t, float *, int64_t, int64_t, int64_t);
void ax_vmatmul_f32(int64_t, int64_t, int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_gemm_f64(int64_t, int64_t, int64_t, int64_t, const double *, int64_t, int64_t, int64_t, const double *, int64_t, int64_t, int64_t, double *, int64_t, int64_t, int64_t);
void ax_vmatmul_f64(int64_t, int64_t, int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vadd_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vatan2_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vdiv_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_veq_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vge_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vgt_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vle_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vlt_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vmax_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vmin_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vmul_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vne_f32(int64_t, const float *, int64_t, const float *, int64_t, uint8_t *);
void ax_vpow_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vrem_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vsub_f32(int64_t, const float *, int64_t, const float *, int64_t, float *);
void ax_vselect_f32(int64_t, const uint8_t *, int64_t, const float *, int64_t, const float *, int64_t, float *);
double ax_vsum_f32(int64_t, const float *);
void ax_vrowsum_f32(int64_t, int64_t, const float *, float *);
void ax_vadd_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vatan2_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vdiv_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_veq_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vge_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vgt_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vle_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vlt_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vmax_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vmin_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vmul_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vne_f64(int64_t, const double *, int64_t, const double *, int64_t, uint8_t *);
void ax_vpow_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vrem_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vsub_f64(int64_t, const double *, int64_t, const double *, int64_t, double *);
void ax_vselect_f64(int64_t, const uint8_t *, int64_t, const double *, int64_t, const double *, int64_t, double *);
double ax_vsum_f64(int64_t, const double *);
void ax_vrowsum_f64(int64_t, int64_t, const double *, double *);
void ax_vneg_f32(int64_t, const float *, float *);
void ax_vabs_f32(int64_t, const float *, float *);
void ax_vsqrt_f32(int64_t, const float *, float *);
void ax_vsign_f32(int64_t, const float *, float *);
float ax_exp_f32(float);
void ax_vexp_f32(int64_t, const float *, float *);
float ax_logistic_f32(float);
void ax_vlogistic_f32(int64_t, const float *, float *);
float ax_tanh_f32(float);
void ax_vtanh_f32(int64_t, const float *, float *);
float ax_log_f32(float);
void ax_vlog_f32(int64_t, const float *, float *);
float ax_log1p_f32(float);
void ax_vlog1p_f32(int64_t, const float *, float *);
float ax_sin_f32(float);
void ax_vsin_f32(int64_t, const float *, float *);
float ax_cos_f32(float);
void ax_vcos_f32(int64_t, const float *, float *);
void ax_vsincos_f32(int64_t, const float *, float *, float *);
void ax_vneg_f64(int64_t, const double *, double *);
void ax_vabs_f64(int64_t, const double *, double *);
void ax_vsqrt_f64(int64_t, const double *, double *);
void ax_vsign_f64(int64_t, const double *, double *);
double ax_exp_f64(double);
void ax_vexp_f64(int64_t, const double *, double *);
double ax_logistic_f64(double);
void ax_vlogistic_f64(int64_t, const double *, double *);
double ax_tanh_f64(double);
void ax_vtanh_f64(int64_t, const double *, double *);
double ax_log_f64(double);
void ax_vlog_f64(int64_t, const double *, double *);
double ax_log1p_f64(double);
void ax_vlog1p_f64(int64_t, const double *, double *);
double ax_sin_f64(double);
void ax_vsin_f64(int64_t, const double *, double *);
double ax_cos_f64(double);
void ax_vcos_f64(int64_t, const double *, double *);
void ax_vsincos_f64(int64_t, const double *, double *, double *);
float ax_floor_f32(float);
void ax_vfloor_f32(int64_t, const float *, float *);
float ax_ceil_f32(float);
void ax_vceil_f32(int64_t, const float *, float *);
float ax_round_f32(float);
void ax_vround_f32(int64_t, const float *, float *);
float ax_tan_f32(float);
void ax_vtan_f32(int64_t, const float *, float *);
float ax_atan_f32(float);
void ax_vatan_f32(int64_t, const float *, float *);
float ax_asin_f32(float);
void ax_vasin_f32(int64_t, const float *, float *);
float ax_acos_f32(float);
void ax_vacos_f32(int64_t, const float *, float *);
float ax_sinh_f32(float);
void ax_vsinh_f32(int64_t, const float *, float *);
float ax_cosh_f32(float);
void ax_vcosh_f32(int64_t, const float *, float *);
float ax_atanh_f32(float);
void ax_vatanh_f32(int64_t, const float *, float *);
float ax_expm1_f32(float);
void ax_vexpm1_f32(int64_t, const float *, float *);
float ax_exp2_f32(float);
void ax_vexp2_f32(int64_t, const float *, float *);
float ax_erf_f32(float);
void ax_verf_f32(int64_t, const float *, float *);
float ax_erfc_f32(float);
void ax_verfc_f32(int64_t, const float *, float *);
double ax_floor_f64(double);
void ax_vfloor_f64(int64_t, const double *, double *);
double ax_ceil_f64(double);
void ax_vceil_f64(int64_t, const double *, double *);
double ax_round_f64(double);
void ax_vround_f64(int64_t, const double *, double *);
double ax_tan_f64(double);
void ax_vtan_f64(int64_t, const double *, double *);
double ax_atan_f64(double);
void ax_vatan_f64(int64_t, const double *, double *);
double ax_asin_f64(double);
void ax_vasin_f64(int64_t, const double *, double *);
double ax_acos_f64(double);
void ax_vacos_f64(int64_t, const double *, double *);
double ax_sinh_f64(double);
void ax_vsinh_f64(int64_t, const double *, double *);
double ax_cosh_f64(double);
void ax_vcosh_f64(int64_t, const double *, double *);
double ax_atanh_f64(double);
void ax_vatanh_f64(int64_t, const double *, double *);
double ax_expm1_f64(double);
void ax_vexpm1_f64(int64_t, const double *, double *);
double ax_exp2_f64(double);
void ax_vexp2_f64(int64_t, const double *, double *);
double ax_erf_f64(double);
void ax_verf_f64(int64_t, const double *, double *);
double ax_erfc_f64(double);
void ax_verfc_f64(int64_t, const double *, double *);

#endif
