/* kernels.h — the axc kernels the embed demo calls, from three generated headers (see README.md).
 * linear.ax and mlp.ax both define `per_example_grads`; the mlp one is renamed to `mlp_per_example_grads`
 * here and, with the same -D options, when mlp_kernels.c is compiled (see the Makefile's embed-demo rule). */
#ifndef EMBED_KERNELS_H
#define EMBED_KERNELS_H

#include "linear_kernels.h" /* per_example_grads: axc compile Samples/linear.ax --fn per_example_grads */
#include "neuron_kernels.h" /* batched:           axc compile Samples/neuron.ax --fn batched */

#define per_example_grads mlp_per_example_grads
#define per_example_grads_scratch_bytes mlp_per_example_grads_scratch_bytes
#include "mlp_kernels.h"    /* mlp_per_example_grads: axc compile Samples/mlp.ax --fn per_example_grads */
#undef per_example_grads
#undef per_example_grads_scratch_bytes

#endif
