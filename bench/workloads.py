"""The benchmark workloads of `make bench`, shared by the JAX side and the axc side.

Each workload names the .ax sample and entry axc runs, the sizes, and how to build the same
computation in JAX (a function and its inputs)."""

WORKLOADS = [
    # name, sample, entry, sizes, runs (calls under 1 ms take hundreds: a median of 20 such calls moved 2.5x between
    # processes on the shared 2-vCPU machine, docs/performance.md)
    ("add 1e7", "Samples/add.ax", "jit_vmapped_add", {"n": 10_000_000}, 20),
    ("predict 1e6", "Samples/linear.ax", "jitted_batched_predict", {"n": 1_000_000}, 200),
    ("per-example grads 1e5", "Samples/linear.ax", "per_example_grads", {"n": 100_000}, 1000),
    ("per-example grads 1e6", "Samples/linear.ax", "per_example_grads", {"n": 1_000_000}, 200),
    ("mean grad 1e6", "Samples/linear.ax", "mean_grad", {"n": 1_000_000}, 200),
    ("neuron 1e6", "Samples/neuron.ax", "batched", {"n": 1_000_000}, 10),
    ("mlp per-example grads 1024", "Samples/mlp.ax", "per_example_grads", {"n": 1024}, 5),
    ("grad of grad 1e6", "Samples/higher_order.ax", "batched_d2f", {"n": 1_000_000}, 20),
    ("outer-sum vmap 1e5", "Samples/outer.ax", "batched_outer_sum", {"n": 100_000}, 3),
    # sum(outer) factors into sum * sum; behind a tanh the 512x512 intermediate must really be streamed.
    ("tanh-outer-sum vmap 1e3", "Samples/outer.ax", "batched_tanh_outer_sum", {"n": 1_000}, 3),
    # An RNN over 64 steps (scan), per-example gradients of 256 sequences: a loop that stays a loop.
    ("rnn per-example grads 256x64", "Samples/rnn.ax", "per_example_grads", {"n": 256, "t": 64}, 10),
]


def jax_workload(name, n):
    """Returns (function, args) computing workload `name` in JAX with batch size n."""
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    k1, k2, k3, k4 = jax.random.split(key, 4)

    def predict(params, x):
        w, b = params
        return w * x + b

    def squared_error(params, x, y):
        return (predict(params, x) - y) ** 2

    def mean_squared_error(params, xs, ys):
        preds = jax.vmap(predict, in_axes=(None, 0))(params, xs)
        return jnp.mean((preds - ys) ** 2)

    params = (jnp.float32(2.0), jnp.float32(1.0))
    xs = jax.random.normal(k1, (n,), jnp.float32)
    ys = jax.random.normal(k2, (n,), jnp.float32)
    if name.startswith("add"):
        return jax.jit(jax.vmap(lambda x, y: x + y)), (xs, ys)
    if name.startswith("predict"):
        return jax.jit(jax.vmap(predict, in_axes=(None, 0))), (params, xs)
    if name.startswith("per-example grads"):
        return jax.jit(jax.vmap(jax.grad(squared_error), in_axes=(None, 0, 0))), (params, xs, ys)
    if name.startswith("mean grad"):
        return jax.jit(jax.grad(mean_squared_error)), (params, xs, ys)
    if name.startswith("neuron"):
        def neuron(x, W, b):
            return jnp.sum(jnp.tanh(x @ W + b))
        X = jax.random.normal(k1, (n, 5), jnp.float32)
        W = jax.random.normal(k2, (5, 3), jnp.float32)
        b = jax.random.normal(k3, (3,), jnp.float32)
        return jax.jit(jax.vmap(neuron, in_axes=(0, None, None))), (X, W, b)
    if name.startswith("mlp"):
        def mlp(p, x):
            (W1, b1), (W2, b2) = p
            h = jnp.tanh(x @ W1 + b1)
            return h @ W2 + b2

        def cross_entropy(p, x, y):
            logits = mlp(p, x)
            return jax.nn.logsumexp(logits) - jnp.sum(logits * y)
        p = ((jax.random.normal(k1, (784, 128), jnp.float32) * 0.05, jnp.zeros(128, jnp.float32)),
             (jax.random.normal(k2, (128, 10), jnp.float32) * 0.05, jnp.zeros(10, jnp.float32)))
        X = jax.random.normal(k3, (n, 784), jnp.float32)
        Y = jax.nn.one_hot(jax.random.randint(k4, (n,), 0, 10), 10, dtype=jnp.float32)
        return jax.jit(jax.vmap(jax.grad(cross_entropy), in_axes=(None, 0, 0))), (p, X, Y)
    if name.startswith("grad of grad"):
        f = lambda x: jnp.sin(x) * x ** 3
        return jax.jit(jax.vmap(jax.grad(jax.grad(f)))), (xs,)
    if name.startswith("tanh-outer-sum"):
        X = jax.random.normal(k1, (n, 512), jnp.float32)
        Y = jax.random.normal(k2, (n, 512), jnp.float32)
        return jax.jit(jax.vmap(lambda x, y: jnp.sum(jnp.tanh(jnp.outer(x, y))))), (X, Y)
    if name.startswith("outer-sum"):
        X = jax.random.normal(k1, (n, 512), jnp.float32)
        Y = jax.random.normal(k2, (n, 512), jnp.float32)
        return jax.jit(jax.vmap(lambda x, y: jnp.sum(jnp.outer(x, y)))), (X, Y)
    if name.startswith("rnn"):
        def cell(state, x):
            params, h = state
            Wh, Wx, b = params
            h = jnp.tanh(h @ Wh + x @ Wx + b)
            return (params, h), h

        def loss(params, xs, y):
            (_, h), hs = jax.lax.scan(cell, (params, jnp.zeros(16, jnp.float32)), xs)
            return jnp.mean((h - y) ** 2) + 0.01 * jnp.mean(hs ** 2)
        p = (jax.random.normal(k1, (16, 16), jnp.float32) * 0.3, jax.random.normal(k2, (8, 16), jnp.float32) * 0.3,
             jnp.zeros(16, jnp.float32))
        X = jax.random.normal(k3, (n, 64, 8), jnp.float32)
        Y = jax.random.normal(k4, (n, 16), jnp.float32)
        return jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))), (p, X, Y)
    raise ValueError(name)
