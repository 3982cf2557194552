/* kernels.h — the axc kernels the embed demo calls, from three generated headers (see README.md).
 * linear.ax and mlp.ax both define `per_example_grads`; the mlp one is compiled with `--prefix mlp_`. */
#ifndef EMBED_KERNELS_H
#define EMBED_KERNELS_H

#include "linear_kernels.h" /* per_example_grads:     axc compile Samples/linear.ax --fn per_example_grads */
#include "neuron_kernels.h" /* batched:               axc compile Samples/neuron.ax --fn batched */
#include "mlp_kernels.h"    /* mlp_per_example_grads: axc compile Samples/mlp.ax --fn per_example_grads --prefix mlp_ */

#endif
