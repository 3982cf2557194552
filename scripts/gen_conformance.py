"""Generates JAX reference outputs for every entry of the samples (Tests/AxCoreTests/Data/conformance/).

For each case: seeded random inputs (one .npy per input leaf, named like axc's leaves: params.0, x, ...),
the same computation written in JAX, and its outputs (out0.npy, out1.npy, ... in depth-first order).
manifest.json lists the cases. CI does not need JAX: the data is committed.
Run: python3 scripts/gen_conformance.py"""
import json
import os
import shutil

# pmap needs as many devices as the mapped size: the host platform is split into 8 (before jax is imported).
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_platform_name", "cpu")
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests/AxCoreTests/Data/conformance")


def predict(params, x):
    w, b = params
    return w * x + b


def squared_error(params, x, y):
    return (predict(params, x) - y) ** 2


def mean_squared_error(params, xs, ys):
    preds = jax.vmap(predict, in_axes=(None, 0))(params, xs)
    return jnp.mean((preds - ys) ** 2)


def neuron(x, W, b):
    return jnp.sum(jnp.tanh(x @ W + b))


def neuron_manual(X, W, b):
    return jnp.sum(jnp.tanh(jnp.einsum("ni,ij->nj", X, W) + b), axis=1)


def mlp(params, x):
    (W1, b1), (W2, b2) = params
    h = jnp.tanh(x @ W1 + b1)
    return h @ W2 + b2


def cross_entropy(params, x, y):
    logits = mlp(params, x)
    return jax.nn.logsumexp(logits) - jnp.sum(logits * y)


def mean_loss(params, xs, ys):
    return jnp.mean(jax.vmap(cross_entropy, in_axes=(None, 0, 0))(params, xs, ys))


def f_ho(x):
    return jnp.sin(x) * x ** 3


def outer_sum(x, y):
    return jnp.sum(jnp.outer(x, y))


# language.ax: the forms of docs/language.md (a data-dependent `if` is a select, as jnp.where).
def views(x, i):
    return x[:, 0], x.T, x[-1, -2], x[1:3, -2:], x[i]


def piecewise(x):
    return jnp.where(x > 1.0, x * x, jnp.where(x > -1.0, jnp.sin(x), -x))


def horner(coeffs, x):
    acc = coeffs[0]
    for i in range(3):
        acc = acc * x + coeffs[i + 1]
    return acc


def build_f32(x):
    m = jnp.eye(3) * x + jnp.full((3, 3), 0.5)
    s = jnp.stack([x, 2 * x], axis=0)
    c = jnp.concatenate((x, jnp.arange(3, dtype=jnp.float32)), axis=-1)
    return m, s, c


def build(x):
    # JAX without x64 has no f64 arrays: the f64 output (a constant) comes from NumPy.
    return (*jax.jit(build_f32)(x), np.ones(3, dtype=np.float64) + np.arange(3, dtype=np.float64))


build.no_jit = True


def layer(x, W, b):
    return jax.nn.relu(x @ W + b)


def head(x, W, b):
    h = layer(b=b, x=x, W=W)
    return jax.nn.softmax(h, axis=-1), jax.nn.logsumexp(h, axis=0) + jnp.sum(h, axis=-1, keepdims=True)


def affine(a, p):
    s, v = p
    return a * s + v


def cell(x):
    return jnp.sum(x * x, axis=0)


def pair(x, y):
    return x * jnp.sin(y) + y ** 3


def loopy(x):
    acc = x
    for i in range(3):
        acc = jnp.where(acc > 1.0, acc * 0.5 + x, acc * x + 1.0)
    return acc


def kinks(x):
    return jnp.sum(jax.nn.relu(x)) + jnp.maximum(x[0], x[0]) + jnp.max(x) + jnp.min(x) + jnp.sum(jnp.abs(x))


# numerics.ax: NaN through relu/maximum/minimum, sigmoid's underflow, means over an empty batch.
def clamp(x, lo, hi):
    return jax.nn.relu(x), jnp.minimum(jnp.maximum(x, lo), hi)


def log_sigmoid(x):
    return jnp.log(jax.nn.sigmoid(x))


def scaled_mean(w, xs):
    return jnp.mean(w * xs)


def loss_tanh(w, x):
    return jnp.sum(jnp.tanh(x * w)) ** 2


def mean_loss_tanh(w, xs):
    return jnp.mean(jax.vmap(loss_tanh, in_axes=(None, 0))(w, xs))


def column_means(w, xs):
    return jnp.sum(jnp.mean(w * xs, axis=0))


def loss(w, x, y):
    return (jnp.sum(w * x) - y) ** 2


def mean_loss_lin(w, xs, ys):
    return jnp.mean(jax.vmap(loss, in_axes=(None, 0, 0))(w, xs, ys))


# pmap.ax: collectives across the device axis.
from jax import lax  # noqa: E402


def p_normalize(x):
    return x / lax.psum(x, "devices")


def p_centered(x):
    return x - lax.pmean(x, "devices")


def p_spread(x):
    return lax.pmax(x, "devices") - lax.pmin(x, "devices") + lax.axis_index("devices").astype(jnp.float32)


def p_loss(w, x, y):
    return (jnp.sum(w * x) - y) ** 2


def p_train_step(w, x, y):
    return w - 0.1 * lax.pmean(jax.grad(p_loss)(w, x, y), "devices")


def p_total_loss(w, x, y):
    return lax.psum(p_loss(w, x, y), "devices")


def p_per_device(xs):
    return jax.vmap(lambda x: x / lax.psum(x, ("devices", "examples")), axis_name="examples")(xs)


def p_ring_shift(x):
    return lax.ppermute(x, "devices", perm=((0, 1), (1, 2), (2, 3), (3, 0)))


def p_halo_energy(x):
    return jnp.sum(lax.all_gather(x, "devices") ** 2) + jnp.sum(p_ring_shift(x) * x)


def p_loss8(w, x, y):
    return (jnp.sum(w * x) - y) ** 2


def p_sharded_step(w, x, y):
    block = lax.psum_scatter(jax.grad(p_loss8)(w, x, y), "devices", tiled=True)
    return w - 0.1 * lax.all_gather(block, "devices", tiled=True) / lax.psum(1.0, "devices")


def p_tiled_energy(x):
    return (jnp.sum(lax.all_gather(x, "devices", axis=1, tiled=True) ** 2)
            + jnp.sum(lax.psum_scatter(x, "devices", tiled=True) * x[0]))


def g_picks(x, i, j):
    return jnp.take(x, i, axis=0), jnp.take(x, i, axis=1), jnp.take_along_axis(x, j, axis=1), jnp.take(x, i)


def g_energy(x, i, j):
    a, b, c, d = g_picks(x, i, j)
    return jnp.sum(a * a) + jnp.sum(b * 2.0) + jnp.sum(c ** 3) + jnp.sum(d)


def g_xent(logits, label):
    return -jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(logits), label, axis=0))


def idx(*shape, lo=-5, hi=6):
    return rng.integers(lo, hi, size=shape).astype(np.int32)


def no_jit(f):
    """pmap compiles by itself: called as it is, not under jax.jit."""
    f.no_jit = True
    return f


# jacobians.ax: a two-link arm; forward mode, Jacobians, Hessians and stop_gradient.
def arm(q, lengths):
    l1, l2 = lengths
    a = q[0]
    b = q[0] + q[1]
    return jnp.stack([l1 * jnp.cos(a) + l2 * jnp.cos(b), l1 * jnp.sin(a) + l2 * jnp.sin(b)])


def energy(q, lengths):
    tip = arm(q, lengths)
    return 9.81 * tip[1] + 0.5 * jnp.sum(q * q)


def tip_speed(q, lengths, v):
    tip, tip_dot = jax.jvp(arm, (q, lengths), (v, (np.float32(0), np.float32(0))))
    return jnp.sum(tip_dot * tip_dot)


def weights(q):
    return jax.nn.softmax(q * 3.0)


def held(q):
    return jnp.sum(jnp.sin(q) * jax.lax.stop_gradient(jnp.cos(q)))


def manipulability(q, lengths):
    J = jax.jacfwd(arm)(q, lengths)
    return J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]


def arm_by_lengths(lengths, q):
    return arm(q, lengths)


def chain_energy(q):
    return jnp.sum(0.5 * q * q - jnp.cos(q)) + jax.nn.logsumexp(q)


def chain_forces(q):
    return jnp.tanh(q) * jnp.sum(q)


def jvp_entry(f, k):
    """axc's jvp(f): the k primals, then the k tangents, as arguments."""
    return lambda *a: jax.jvp(f, a[:k], a[k:])


rng = np.random.default_rng(0)


def normal(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def lin_params():
    return (normal(), normal())


def mlp_params():
    return ((normal(784, 128, scale=0.05), normal(128, scale=0.1)), (normal(128, 10, scale=0.1), normal(10, scale=0.1)))


def onehot(n):
    y = np.zeros((n, 10), np.float32)
    y[np.arange(n), rng.integers(0, 10, n)] = 1
    return y


N = 7
# NaN, infinities, signed zeros and values around the clamp bounds; logits where sigmoid underflows in f32
# (below -88.72 exp(-x) overflows and JAX's sigmoid is 0; between -88.72 and -87.34 XLA flushes the subnormal
# result to zero where axc keeps it, see docs/deviations.md, so those logits are left out).
EDGES = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, -1.0, 1.0, -1.5, 2.0, 3.0, 1e-30, -1e-30], np.float32)
SIGMOID_EDGES = np.array([-np.inf, -1e4, -150.0, -104.0, -103.0, -100.0, -88.73, -88.72284, -87.33, -87.0, -80.0, -30.0, -16.68377,
                          -1e-3, -0.0, 0.0, 1e-3, 5.0, 16.0, 17.0, 88.0, 103.0, np.inf, np.nan], np.float32)

# loops.ax, rnn.ax, ode.ax: jax.lax's loops.
def l_add_row(total, x):
    total = total + x
    return total, total


def l_cumulative_rows(xs):
    return jax.lax.scan(l_add_row, jnp.zeros(3, jnp.float32), xs)


def l_reverse_rows(xs):
    return jax.lax.scan(l_add_row, jnp.zeros(3, jnp.float32), xs, reverse=True)


def l_oscillate(state, _):
    x, v = state
    v = v - 0.1 * x - 0.05 * v
    x = x + 0.1 * v
    return (x, v), x


def l_trajectory(x0, v0):
    return jax.lax.scan(l_oscillate, (x0, v0), None, length=50)


def l_power_step(i, acc):
    return acc * 0.9 + jnp.sin(acc) * 0.1 + i.astype(jnp.float32) * 0.01


def l_iterate(x):
    return jax.lax.fori_loop(0, 20, l_power_step, x)


def l_iterate_loss(x):
    return jnp.sum(l_iterate(x) ** 2)


def l_not_converged(s):
    a, x, k = s
    return jnp.logical_and(jnp.abs(x * x - a) > 1e-5 * a, k < 50)


def l_newton_step(s):
    a, x, k = s
    return a, 0.5 * (x + a / x), k + 1


def l_newton_sqrt(a):
    _, x, steps = jax.lax.while_loop(l_not_converged, l_newton_step, (a, a, jnp.int32(0)))
    return x, steps


def l_feature(x):
    return jnp.tanh(x) * x.sum()


def l_weighted_total(w, xs):
    totals, rows = jax.lax.scan(l_add_row, jnp.zeros(3, jnp.float32), xs * w)
    return jnp.sum(rows * rows) + jnp.sum(totals)


def r_cell(state, x):
    params, h = state
    Wh, Wx, b = params
    h = jnp.tanh(h @ Wh + x @ Wx + b)
    return (params, h), h


def r_run(params, xs):
    (_, h), hs = jax.lax.scan(r_cell, (params, jnp.zeros(16, jnp.float32)), xs)
    return h, hs


def r_loss(params, xs, y):
    h, hs = r_run(params, xs)
    return jnp.mean((h - y) ** 2) + 0.01 * jnp.mean(hs ** 2)


def r_mean_loss(params, xs, ys):
    return jnp.mean(jax.vmap(r_loss, in_axes=(None, 0, 0))(params, xs, ys))


def o_field(y, damping):
    return jnp.stack([y[1], -jnp.sin(y[0]) - damping * y[1]])


def o_rk4(state, dt):
    y, damping = state
    k1 = o_field(y, damping)
    k2 = o_field(y + 0.5 * dt * k1, damping)
    k3 = o_field(y + 0.5 * dt * k2, damping)
    k4 = o_field(y + dt * k3, damping)
    y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return (y, damping), y[0]


def o_integrate(y0, damping, dts):
    (y, _), thetas = jax.lax.scan(o_rk4, (y0, damping), dts)
    return y, thetas


def o_final_loss(y0, damping, dts):
    y, _ = o_integrate(y0, damping, dts)
    return y[0] ** 2 + 0.5 * y[1] ** 2


def positive(*shape):
    return rng.uniform(0.5, 10.0, size=shape).astype(np.float32)


CASES = [
    # sample, entry, function, args (pytree of numpy arrays), parameter names
    ("linear.ax", "predict", predict, (lin_params(), normal()), ["params", "x"]),
    ("linear.ax", "squared_error", squared_error, (lin_params(), normal(), normal()), ["params", "x", "y"]),
    ("linear.ax", "mean_squared_error", mean_squared_error, (lin_params(), normal(N), normal(N)), ["params", "xs", "ys"]),
    ("linear.ax", "per_example_grads", jax.vmap(jax.grad(squared_error), in_axes=(None, 0, 0)), (lin_params(), normal(N), normal(N)), ["params", "x", "y"]),
    ("linear.ax", "mean_grad", jax.grad(mean_squared_error), (lin_params(), normal(N), normal(N)), ["params", "xs", "ys"]),
    ("linear.ax", "batched_predict", jax.vmap(predict, in_axes=(None, 0)), (lin_params(), normal(N)), ["params", "x"]),
    ("seed001.ax", "jitted_batched_predict", jax.vmap(predict, in_axes=(None, 0)), (lin_params(), normal(N)), ["params", "x"]),
    ("seed001.ax", "grad_loss_single", jax.grad(squared_error), (lin_params(), normal(), normal()), ["params", "x", "y_true"]),
    ("seed001.ax", "grad_loss_batch", jax.vmap(jax.grad(squared_error), in_axes=(None, 0, 0)), (lin_params(), normal(N), normal(N)), ["params", "x", "y_true"]),
    ("seed001.ax", "jit_vmap_grad_loss", jax.vmap(jax.grad(squared_error), in_axes=(None, 0, 0)), (lin_params(), normal(N), normal(N)), ["params", "x", "y_true"]),
    ("seed001.ax", "grad_mean_loss", jax.grad(mean_squared_error), (lin_params(), normal(N), normal(N)), ["params", "batch_x", "batch_y_true"]),
    ("seed001.ax", "loss_and_grad", jax.value_and_grad(mean_squared_error), (lin_params(), normal(N), normal(N)), ["params", "batch_x", "batch_y_true"]),
    ("neuron.ax", "neuron", neuron, (normal(5), normal(5, 3), normal(3)), ["x", "W", "b"]),
    ("neuron.ax", "neuron_manual", neuron_manual, (normal(N, 5), normal(5, 3), normal(3)), ["X", "W", "b"]),
    ("neuron.ax", "batched", jax.vmap(neuron, in_axes=(0, None, None)), (normal(N, 5), normal(5, 3), normal(3)), ["x", "W", "b"]),
    ("add.ax", "manual_vectorized_add", jnp.add, (normal(N), normal(N)), ["x_batch", "y_batch"]),
    ("add.ax", "vmapped_add", jax.vmap(jnp.add), (normal(N), normal(N)), ["x", "y"]),
    ("add.ax", "jit_vmapped_add", jax.vmap(jnp.add), (normal(N), normal(N)), ["x", "y"]),
    ("add.ax", "jit_manual_add", jnp.add, (normal(N), normal(N)), ["x_batch", "y_batch"]),
    ("mlp.ax", "mlp", mlp, (mlp_params(), normal(784)), ["params", "x"]),
    ("mlp.ax", "cross_entropy", cross_entropy, (mlp_params(), normal(784), onehot(1)[0]), ["params", "x", "y"]),
    ("mlp.ax", "mean_loss", mean_loss, (mlp_params(), normal(3, 784), onehot(3)), ["params", "xs", "ys"]),
    ("mlp.ax", "per_example_grads", jax.vmap(jax.grad(cross_entropy), in_axes=(None, 0, 0)), (mlp_params(), normal(2, 784), onehot(2)), ["params", "x", "y"]),
    ("mlp.ax", "mean_grad", jax.grad(mean_loss), (mlp_params(), normal(3, 784), onehot(3)), ["params", "xs", "ys"]),
    ("mlp.ax", "predict", jax.vmap(mlp, in_axes=(None, 0)), (mlp_params(), normal(3, 784)), ["params", "x"]),
    ("higher_order.ax", "f", f_ho, (normal(),), ["x"]),
    ("higher_order.ax", "df", jax.grad(f_ho), (normal(),), ["x"]),
    ("higher_order.ax", "d2f", jax.grad(jax.grad(f_ho)), (normal(),), ["x"]),
    ("higher_order.ax", "d3f", jax.grad(jax.grad(jax.grad(f_ho))), (normal(),), ["x"]),
    ("higher_order.ax", "batched_d2f", jax.vmap(jax.grad(jax.grad(f_ho))), (normal(N),), ["x"]),
    ("higher_order.ax", "value_and_slope", jax.vmap(jax.value_and_grad(f_ho)), (normal(N),), ["x"]),
    ("outer.ax", "outer_sum", outer_sum, (normal(512), normal(512)), ["x", "y"]),
    ("outer.ax", "batched_outer_sum", jax.vmap(outer_sum), (normal(3, 512), normal(3, 512)), ["x", "y"]),    # language.ax: appended last so that the random draws of the cases above stay the same.
    ("language.ax", "views", views, (normal(3, 4), np.int32(-2)), ["x", "i"]),
    ("language.ax", "piecewise", piecewise, (normal(),), ["x"]),
    ("language.ax", "horner", horner, (normal(4), normal()), ["coeffs", "x"]),
    ("language.ax", "build", build, (normal(3),), ["x"]),
    ("language.ax", "layer", layer, (normal(4), normal(4, 3), normal(3)), ["x", "W", "b"]),
    ("language.ax", "head", head, (normal(4), normal(4, 3), normal(3)), ["x", "W", "b"]),
    ("language.ax", "by_tuple_axes", jax.vmap(affine, in_axes=(0, (None, 0))), (normal(N, 3), (normal(), normal(N, 3))), ["a", "p"]),
    ("language.ax", "by_negative_axes", jax.vmap(affine, in_axes=(-1, (None, -1)), out_axes=1), (normal(3, N), (normal(), normal(3, N))), ["a", "p"]),
    ("language.ax", "by_axis_size", jax.vmap(affine, in_axes=(None, None), axis_size=2), (normal(3), (normal(), normal(3))), ["a", "p"]),
    ("language.ax", "nested_vmap", jax.vmap(jax.vmap(cell), in_axes=1), (normal(2, 5, 4, 3),), ["x"]),
    ("language.ax", "batched_piecewise", jax.vmap(piecewise), (np.array([-2.5, -1, -0.5, 0, 0.75, 1, 1.5, 3], np.float32),), ["x"]),
    ("language.ax", "batched_loopy_slope", jax.vmap(jax.grad(loopy)), (normal(N) * 1.5,), ["x"]),
    ("language.ax", "grad_both", jax.grad(pair, argnums=(0, 1)), (normal(), normal()), ["x", "y"]),
    ("language.ax", "value_and_grad_swapped", jax.value_and_grad(pair, argnums=(1, 0)), (normal(), normal()), ["x", "y"]),
    ("language.ax", "third", jax.grad(jax.grad(jax.grad(loopy))), (normal(),), ["x"]),
    ("language.ax", "batched_value_and_grad", jax.vmap(jax.value_and_grad(pair)), (normal(N), normal(N)), ["x", "y"]),
    ("language.ax", "grad_through_vmap", jax.grad(mean_loss_lin), (normal(3), normal(N, 3), normal(N)), ["w", "xs", "ys"]),
    ("language.ax", "per_example", jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)), (normal(3), normal(N, 3), normal(N)), ["w", "x", "y"]),
    # Kinks: relu and abs at 0, maximum(x, x), ties of max and of min.
    ("language.ax", "kink_grad", jax.grad(kinks), (np.array([0, 2, 2, 0], np.float32),), ["x"]),
    # numerics.ax (appended last, as language.ax). A fifth element names cases of the same entry.
    ("numerics.ax", "jit_clamp", clamp, (EDGES, np.float32(-1.5), np.float32(np.nan)), ["x", "lo", "hi"]),
    ("numerics.ax", "jit_clamp", clamp, (EDGES, np.float32(np.nan), np.float32(2.0)), ["x", "lo", "hi"], "_nan_lo"),
    ("numerics.ax", "jit_clamp", clamp, (EDGES, np.float32(-0.0), np.float32(0.0)), ["x", "lo", "hi"], "_zeros"),
    ("numerics.ax", "jit_log_sigmoid", log_sigmoid, (SIGMOID_EDGES,), ["x"]),
    ("numerics.ax", "grad_scaled_mean", jax.grad(scaled_mean), (normal(), normal(0)), ["w", "xs"], "_empty"),
    ("numerics.ax", "grad_scaled_mean", jax.grad(scaled_mean), (normal(), normal(N)), ["w", "xs"]),
    ("numerics.ax", "grad_mean_loss", jax.grad(mean_loss_tanh), (normal(3), normal(0, 3)), ["w", "xs"], "_empty"),
    ("numerics.ax", "grad_mean_loss", jax.grad(mean_loss_tanh), (normal(3), normal(N, 3)), ["w", "xs"]),
    ("numerics.ax", "grad_column_means", jax.grad(column_means), (normal(), normal(0, 3)), ["w", "xs"], "_empty"),
    ("numerics.ax", "grads_per_w", jax.vmap(jax.grad(scaled_mean), in_axes=(0, None)), (normal(4), normal(0)), ["w", "xs"], "_empty"),
    # jacobians.ax (appended last, as language.ax).
    ("jacobians.ax", "tip_velocity", jvp_entry(arm, 2), (normal(2), lin_params(), normal(2), lin_params()), ["q", "lengths", "q_dot", "lengths_dot"]),
    ("jacobians.ax", "jit_tip_velocity", jvp_entry(arm, 2), (normal(2), lin_params(), normal(2), lin_params()), ["q", "lengths", "q_dot", "lengths_dot"]),
    ("jacobians.ax", "jacobian_fwd", jax.jacfwd(arm), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "jacobian_rev", jax.jacrev(arm), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "jacobian_both", jax.jacfwd(arm, argnums=(0, 1)), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "jacobian_lengths", jax.jacrev(arm, argnums=1), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "stiffness", jax.hessian(energy), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "jit_stiffness", jax.hessian(energy), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "length_hessian", jax.hessian(energy, argnums=1), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "mixed_hessian", jax.jacfwd(jax.jacrev(energy, argnums=(0, 1)), argnums=(0, 1)), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "batched_jacobians", jax.vmap(jax.jacrev(arm), in_axes=(0, None)), (normal(N, 2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "batched_length_sensitivity", jax.vmap(jax.jacrev(arm, argnums=1), in_axes=(0, None)), (normal(N, 2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "batched_hvp", jax.vmap(jvp_entry(jax.grad(energy), 2), in_axes=(None, None, 0, None)),
     (normal(2), lin_params(), normal(N, 2), lin_params()), ["q", "lengths", "q_dot", "lengths_dot"]),
    ("jacobians.ax", "grad_tip_speed", jax.grad(tip_speed), (normal(2), lin_params(), normal(2)), ["q", "lengths", "v"]),
    ("jacobians.ax", "jit_grad_tip_speed", jax.grad(tip_speed, argnums=(0, 2)), (normal(2), lin_params(), normal(2)), ["q", "lengths", "v"]),
    ("jacobians.ax", "weights_jacobian", jax.jacfwd(weights), (normal(2),), ["q"]),
    ("jacobians.ax", "held_grad", jax.grad(held), (normal(2),), ["q"]),
    ("jacobians.ax", "held_jacobian", jax.jacfwd(held), (normal(2),), ["q"]),
    ("jacobians.ax", "held_hessian", jax.hessian(held), (normal(2),), ["q"]),
    ("jacobians.ax", "held_jvp", jvp_entry(held, 1), (normal(2), normal(2)), ["q", "q_dot"]),
    ("jacobians.ax", "grad_manipulability", jax.grad(manipulability), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "arm_curvature", jax.jacrev(jax.jacrev(arm)), (normal(2), lin_params()), ["q", "lengths"]),
    ("jacobians.ax", "second_order_velocity", jvp_entry(jvp_entry(arm, 2), 4),
     (normal(2), lin_params(), normal(2), lin_params(), normal(2), lin_params(), normal(2), lin_params()),
     ["q", "lengths", "q_dot", "lengths_dot", "q_dot_dot", "lengths_dot_dot", "q_dot_dot_dot", "lengths_dot_dot_dot"]),
    ("jacobians.ax", "chain_hessian", jax.hessian(chain_energy), (normal(5),), ["q"]),
    ("jacobians.ax", "chain_hessians", jax.vmap(jax.hessian(chain_energy)), (normal(3, 4),), ["q"]),
    ("jacobians.ax", "chain_jacobian_fwd", jax.jacfwd(chain_forces), (normal(4),), ["q"]),
    ("jacobians.ax", "chain_jacobian_rev", jax.jacrev(chain_forces), (normal(4),), ["q"]),
    ("jacobians.ax", "batched_chain_jacobian", jax.jacfwd(jax.vmap(chain_energy)), (normal(3, 4),), ["q"]),
    ("jacobians.ax", "value_and_grad_tip_speed", jax.value_and_grad(tip_speed, argnums=(0, 2)), (normal(2), lin_params(), normal(2)), ["q", "lengths", "v"]),
    ("jacobians.ax", "pose_jacobians", jax.vmap(jax.jacrev(arm_by_lengths, argnums=1), in_axes=(None, 0)), (lin_params(), normal(N, 2)), ["lengths", "q"]),
    ("jacobians.ax", "hessian_of_negative_argnums", jax.hessian(energy, argnums=-2), (normal(2), lin_params()), ["q", "lengths"]),
    # pmap.ax (4 devices; appended last).
    ("pmap.ax", "squares", no_jit(jax.pmap(lambda x: x * x)), (normal(4, 4),), ["x"]),
    ("pmap.ax", "normalized", no_jit(jax.pmap(p_normalize, axis_name="devices")), (normal(4, 4),), ["x"]),
    ("pmap.ax", "jit_centered", no_jit(jax.pmap(p_centered, axis_name="devices")), (normal(4, 4),), ["x"]),
    ("pmap.ax", "spreads", no_jit(jax.pmap(p_spread, axis_name="devices")), (normal(4, 4),), ["x"]),
    ("pmap.ax", "step", no_jit(jax.pmap(p_train_step, axis_name="devices", in_axes=(None, 0, 0))),
     (normal(4), normal(4, 4), normal(4)), ["w", "x", "y"]),
    ("pmap.ax", "step_once", jax.vmap(p_train_step, axis_name="devices", in_axes=(None, 0, 0), out_axes=None),
     (normal(4), normal(4, 4), normal(4)), ["w", "x", "y"]),
    ("pmap.ax", "grads_of_total", no_jit(jax.pmap(jax.grad(p_total_loss), axis_name="devices", in_axes=(None, 0, 0))),
     (normal(4), normal(4, 4), normal(4)), ["w", "x", "y"]),
    ("pmap.ax", "nested", no_jit(jax.pmap(p_per_device, axis_name="devices")), (normal(2, 3, 4),), ["xs"]),
    ("pmap.ax", "shares", no_jit(jax.pmap(lambda x: x / jnp.sum(lax.all_gather(x, "devices"), axis=0), axis_name="devices")),
     (normal(4, 3),), ["x"]),
    ("pmap.ax", "ring", no_jit(jax.pmap(p_ring_shift, axis_name="devices")), (normal(4, 3),), ["x"]),
    ("pmap.ax", "halo_grads", no_jit(jax.pmap(jax.grad(p_halo_energy), axis_name="devices")), (normal(4, 3),), ["x"]),
    ("pmap.ax", "scattered", no_jit(jax.pmap(lambda x: lax.psum_scatter(x, "devices"), axis_name="devices")),
     (normal(4, 4, 3),), ["x"]),
    # gather.ax (appended last).
    ("gather.ax", "jit_picks", g_picks, (normal(4, 3), idx(5), idx(4, 2, lo=-3, hi=4)), ["x", "i", "j"]),
    ("gather.ax", "grad_picks", jax.grad(g_energy), (normal(4, 3), idx(5), idx(4, 2, lo=-3, hi=4)), ["x", "i", "j"]),
    ("gather.ax", "per_example_xent_grads", jax.vmap(jax.grad(g_xent)), (normal(N, 3), idx(N, 1, lo=0, hi=3)), ["logits", "label"]),
    ("gather.ax", "batched_arrays", jax.vmap(g_picks, in_axes=(0, None, None)), (normal(N, 4, 3), idx(5), idx(4, 2, lo=-3, hi=4)), ["x", "i", "j"]),
    ("gather.ax", "batched_indices", jax.vmap(g_picks, in_axes=(None, 0, 0)), (normal(4, 3), idx(N, 5), idx(N, 4, 2, lo=-3, hi=4)), ["x", "i", "j"]),
    ("gather.ax", "batched_both", jax.vmap(g_picks), (normal(N, 4, 3), idx(N, 5), idx(N, 4, 2, lo=-3, hi=4)), ["x", "i", "j"]),
    # loops.ax, rnn.ax, ode.ax (appended last, so the earlier cases keep their inputs).
    ("loops.ax", "cumulative_rows", l_cumulative_rows, (normal(7, 3),), ["xs"]),
    ("loops.ax", "reverse_rows", l_reverse_rows, (normal(7, 3),), ["xs"]),
    ("loops.ax", "trajectory", l_trajectory, (np.float32(1.3), np.float32(-0.2)), ["x0", "v0"]),
    ("loops.ax", "iterate", l_iterate, (normal(4),), ["x"]),
    ("loops.ax", "iterate_grad", jax.grad(l_iterate_loss), (normal(4),), ["x"]),
    ("loops.ax", "iterate_jvp", lambda x, t: jax.jvp(l_iterate_loss, (x,), (t,)), (normal(4), normal(4)), ["x", "x_dot"]),
    ("loops.ax", "newton_sqrt", l_newton_sqrt, (np.float32(7.5),), ["a"]),
    ("loops.ax", "batched_sqrt", jax.vmap(l_newton_sqrt), (positive(9),), ["a"]),
    ("loops.ax", "features", lambda xs: jax.lax.map(l_feature, xs), (normal(10, 8),), ["xs"]),
    ("loops.ax", "features_chunked", lambda xs: jax.lax.map(l_feature, xs, batch_size=4), (normal(10, 8),), ["xs"]),
    ("loops.ax", "total_grad", jax.grad(l_weighted_total), (normal(3), normal(6, 3)), ["w", "xs"]),
    ("loops.ax", "total_grad_xs", jax.grad(l_weighted_total, argnums=1), (normal(3), normal(6, 3)), ["w", "xs"]),
    ("loops.ax", "per_example_total_grads", jax.vmap(jax.grad(l_weighted_total), in_axes=(None, 0)),
     (normal(3), normal(5, 6, 3)), ["w", "xs"]),
    ("loops.ax", "total_jvp", lambda w, xs, wd, xsd: jax.jvp(l_weighted_total, (w, xs), (wd, xsd)),
     (normal(3), normal(6, 3), normal(3), normal(6, 3)), ["w", "xs", "w_dot", "xs_dot"]),
    ("rnn.ax", "per_example_grads", jax.vmap(jax.grad(r_loss), in_axes=(None, 0, 0)),
     ((normal(16, 16, scale=0.3), normal(8, 16, scale=0.3), normal(16, scale=0.1)), normal(4, 12, 8), normal(4, 16)),
     ["params", "xs", "y"]),
    ("rnn.ax", "input_grads", jax.vmap(jax.grad(r_loss, argnums=1), in_axes=(None, 0, 0)),
     ((normal(16, 16, scale=0.3), normal(8, 16, scale=0.3), normal(16, scale=0.1)), normal(4, 12, 8), normal(4, 16)),
     ["params", "xs", "y"]),
    ("rnn.ax", "train_grad", jax.value_and_grad(r_mean_loss),
     ((normal(16, 16, scale=0.3), normal(8, 16, scale=0.3), normal(16, scale=0.1)), normal(5, 9, 8), normal(5, 16)),
     ["params", "xs", "ys"]),
    ("ode.ax", "integrate", o_integrate, (normal(2), np.float32(0.3), np.full(40, 0.05, np.float32)), ["y0", "damping", "dts"]),
    ("ode.ax", "loss_grads", jax.grad(o_final_loss, argnums=(0, 1)),
     (normal(2), np.float32(0.3), np.full(40, 0.05, np.float32)), ["y0", "damping", "dts"]),
    ("ode.ax", "loss_jvp", lambda y, d, t, yd, dd, td: jax.jvp(o_final_loss, (y, d, t), (yd, dd, td)),
     (normal(2), np.float32(0.3), np.full(40, 0.05, np.float32), normal(2), np.float32(1.0), normal(40, scale=0.01)),
     ["y0", "damping", "dts", "y0_dot", "damping_dot", "dts_dot"]),
    ("ode.ax", "batched_grads", jax.vmap(jax.grad(o_final_loss, argnums=(0, 1)), in_axes=(0, None, None)),
     (normal(6, 2), np.float32(0.3), np.full(40, 0.05, np.float32)), ["y0", "damping", "dts"]),
    # pmap.ax, tiled collectives (appended last).
    ("pmap.ax", "sharded", no_jit(jax.pmap(p_sharded_step, axis_name="devices", in_axes=(None, 0, 0))),
     (normal(8), normal(4, 8), normal(4)), ["w", "x", "y"]),
    ("pmap.ax", "gathered_columns", no_jit(jax.pmap(lambda x: lax.all_gather(x, "devices", axis=1, tiled=True), axis_name="devices")),
     (normal(4, 2, 3),), ["x"]),
    ("pmap.ax", "tiled_grads", no_jit(jax.pmap(jax.grad(p_tiled_energy), axis_name="devices")), (normal(4, 4, 3),), ["x"]),
    ("pmap.ax", "tiled_named", jax.vmap(jax.grad(p_tiled_energy), axis_name="devices"), (normal(4, 4, 3),), ["x"]),
]


def l_rnn_cell(state, x):
    W, h = state
    h = jnp.tanh(h @ W + x)
    return (W, h), jnp.sum(h * h)


def l_rnn_loss(W, xs):
    (_, h), ys = jax.lax.scan(l_rnn_cell, (W, jnp.zeros(3, jnp.float32)), xs)
    return jnp.sum(h) + jnp.sum(ys)


CASES += [
    # appended last, so the earlier cases keep their inputs
    ("loops.ax", "rnn_hessian", jax.hessian(l_rnn_loss), (0.5 * normal(3, 3), 0.5 * normal(6, 3)), ["W", "xs"]),
]


def leaves_with_names(name, tree):
    if isinstance(tree, (tuple, list)):
        out = []
        for i, t in enumerate(tree):
            out += leaves_with_names(f"{name}.{i}", t)
        return out
    return [(name, tree)]


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    manifest = []
    for sample, entry, fn, args, names, *tag in CASES:
        case = f"{sample[:-3]}__{entry}{''.join(tag)}"
        d = os.path.join(ROOT, case)
        os.makedirs(d)
        inputs = {}
        for pname, a in zip(names, args):
            for leaf, arr in leaves_with_names(pname, a):
                np.save(os.path.join(d, f"in_{leaf}.npy"), np.asarray(arr))
                inputs[leaf] = f"in_{leaf}.npy"
        outs = jax.tree_util.tree_leaves(fn(*args) if getattr(fn, "no_jit", False) else jax.jit(fn)(*args))
        files = []
        for i, o in enumerate(outs):
            np.save(os.path.join(d, f"out{i}.npy"), np.asarray(o))
            files.append(f"out{i}.npy")
        manifest.append({"case": case, "sample": sample, "entry": entry, "inputs": inputs, "outputs": files})
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump({"jax": jax.__version__, "rtol": 1e-5, "atol": 1e-6, "cases": manifest}, f, indent=1)
    print(f"wrote {len(manifest)} cases to {ROOT}")


if __name__ == "__main__":
    main()
