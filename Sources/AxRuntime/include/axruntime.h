/* axruntime.h — the optimized runtime that compiled kernels call. Its functions (tile ops, GEMM, vector math) are
   generated from Sources/AxCore/Codegen/RuntimeTable.swift into axruntime.c; the host registers each entry of
   ax_rt_symbols() with tcc_add_symbol, and standalone C carries the same definitions as static functions. */
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

#endif
