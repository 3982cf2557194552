"""Generates jax.numpy reference results for the array operations and builtins (Tests/AxCoreTests/Data/builtins/).

Each case has deterministic small inputs (`<case>.in<k>.npy`), its input types as axc writes them (`f32[n,4]`:
a size variable is bound by the input's shape), and JAX's output (`<case>.out.npy`). f64 cases run with x64
enabled. OpsTests (suite `OpsTests`) builds the same computation with `Ops` and compares with the reference
interpreter. CI does not need JAX: the data is committed.
Run: python3 scripts/gen_builtin_refs.py"""
import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_platform_name", "cpu")
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests/AxCoreTests/Data/builtins")
rng = np.random.default_rng(0)


def f(*shape, lo=-2.0, hi=2.0, dtype="f32"):
    x = rng.uniform(lo, hi, size=shape)
    return x.astype(np.float32 if dtype == "f32" else np.float64)


def ints(*shape, lo=-5, hi=6):
    return rng.integers(lo, hi, size=shape).astype(np.int32)


def bools(*shape):
    return rng.integers(0, 2, size=shape).astype(bool)


def i32(k):
    return np.array(k, dtype=np.int32)


def with_zero(x):
    x = x.copy()
    x.flat[1] = 0
    return x


CASES = []


def case(name, inputs, fn, types=None, x64=False):
    """inputs: arrays; types: axc types of the inputs (default: from the arrays)."""
    CASES.append((name, inputs, fn, types, x64))


x23, y3, x234 = f(2, 3), f(3), f(2, 3, 4)
p23 = f(2, 3, lo=0.1, hi=3.0)
# element-wise
for op in ["exp", "sin", "cos", "tanh", "abs"]:
    case(op, [x23], getattr(jnp, op))
for op in ["log", "log1p", "sqrt"]:
    case(op, [p23], getattr(jnp, op))
case("sigmoid", [x23], jax.nn.sigmoid)
case("relu", [with_zero(x23)], jax.nn.relu)
case("sign", [with_zero(x23)], jnp.sign)
case("sign_i32", [ints(5)], jnp.sign)
case("abs_i32", [ints(5)], jnp.abs)
case("exp_i32", [ints(4, lo=-3, hi=3)], jnp.exp)
case("exp_f64", [f(2, 3, dtype="f64")], jnp.exp, x64=True)
case("log_f64", [f(4, lo=0.1, hi=5, dtype="f64")], jnp.log, x64=True)
case("tanh_f64", [f(4, dtype="f64")], jnp.tanh, x64=True)
case("sigmoid_f64", [f(4, dtype="f64")], jax.nn.sigmoid, x64=True)
case("maximum_bcast", [x23, y3], jnp.maximum)
case("minimum_scalar", [x23, f()], jnp.minimum)
case("maximum_lit", [x23], lambda x: jnp.maximum(x, 0.5))
case("where", [bools(2, 3), x23, y3], jnp.where)
case("where_lit", [x23], lambda x: jnp.where(x > 0, x, 0.0))
case("where_scalar_cond", [np.array(True), x23, y3], jnp.where)
# casts
case("cast_f32_i32", [f(6, lo=-3, hi=3)], lambda x: x.astype(jnp.int32))
case("cast_i32_f32", [ints(5)], lambda x: x.astype(jnp.float32))
case("cast_f32_f64", [x23], lambda x: x.astype(jnp.float64), x64=True)
case("cast_f64_f32", [f(3, dtype="f64")], lambda x: x.astype(jnp.float32), x64=True)
case("cast_f32_bool", [with_zero(x23)], lambda x: x.astype(bool))
case("cast_bool_f32", [bools(4)], lambda x: x.astype(jnp.float32))
# operators
x31, y4 = f(3, 1), f(4)
case("add_bcast", [x23, y3], lambda x, y: x + y)
case("sub_bcast_size1", [x31, y4], lambda x, y: x - y)
case("mul_bcast_both", [x31, f(1, 4)], lambda x, y: x * y)
case("mul_lit", [x23], lambda x: 2 * x)
case("rsub_lit", [x23], lambda x: 1 - x)
case("div_lit", [x23], lambda x: x / 3)
case("rdiv_lit", [p23], lambda x: 1.5 / x)
case("div_i32", [ints(5), ints(5, lo=1, hi=4)], lambda x, y: x / y)
case("div_i32_lit", [ints(5)], lambda x: x / 2)
case("pow_int", [x23], lambda x: x ** 2)
case("pow_int3", [x23], lambda x: x ** 3)
case("pow_neg", [p23], lambda x: x ** -2)
case("pow_float_lit", [p23], lambda x: x ** 0.5)
case("pow_arrays", [p23, x23], lambda x, y: x ** y)
case("rpow_lit", [x23], lambda x: 2.0 ** x)
case("lt", [x23, y3], lambda x, y: x < y)
case("ge_lit", [x23], lambda x: x >= 0.5)
case("eq_i32", [ints(6, lo=0, hi=3), ints(6, lo=0, hi=3)], lambda x, y: x == y)
case("ne_lit", [ints(6, lo=0, hi=3)], lambda x: x != 1)
case("and", [bools(6), bools(6)], jnp.logical_and)
case("or", [bools(6), bools(6)], jnp.logical_or)
case("not", [bools(6)], jnp.logical_not)
case("neg", [x23], jnp.negative)
case("i32_arith", [ints(5)], lambda x: x * 3 + 1)
case("i32_times_float_lit", [ints(5)], lambda x: x * 0.5)
case("i32_pow", [ints(5)], lambda x: x ** 2)
case("add_f64_lit", [f(3, dtype="f64")], lambda x: x + 0.1, x64=True)
case("scalar_var_bcast", [f(), x23], lambda s, x: s * x)
# matmul / dot / outer
case("matmul_1d_1d", [f(4), f(4)], jnp.matmul)
case("matmul_2d_1d", [f(3, 4), f(4)], jnp.matmul)
case("matmul_1d_2d", [f(4), f(4, 5)], jnp.matmul)
case("matmul_2d_2d", [f(3, 4), f(4, 5)], jnp.matmul)
case("matmul_3d_3d", [f(2, 3, 4), f(2, 4, 5)], jnp.matmul)
case("matmul_3d_2d", [f(2, 3, 4), f(4, 5)], jnp.matmul)
case("matmul_2d_3d", [f(3, 4), f(2, 4, 5)], jnp.matmul)
case("matmul_bcast1", [f(1, 3, 4), f(2, 4, 5)], jnp.matmul)
case("matmul_3d_1d", [f(2, 3, 4), f(4)], jnp.matmul)
case("matmul_sym", [f(5, 4), f(4, 3)], jnp.matmul, types=["f32[n,4]", "f32[4,3]"])
case("matmul_f64", [f(3, 4, dtype="f64"), f(4, 2, dtype="f64")], jnp.matmul, x64=True)
case("dot_2d_2d", [f(3, 4), f(4, 5)], jnp.dot)
case("dot_1d_1d", [f(4), f(4)], jnp.dot)
case("dot_scalar", [f(), f(3)], jnp.dot)
case("dot_3d_2d", [f(2, 3, 4), f(4, 5)], jnp.dot)
case("outer", [f(3), f(4)], jnp.outer)
case("outer_2d", [f(2, 2), f(3)], jnp.outer)
# einsum
for i, (spec, shapes) in enumerate([
    ("ni,ij->nj", [(5, 4), (4, 3)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ij->j", [(3, 4)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij,jk", [(2, 3), (3, 4)]), ("ijk,ik->ij", [(2, 3, 4), (2, 4)]),
    ("ij,ij->i", [(3, 4), (3, 4)]), ("ij,kj->ik", [(3, 4), (2, 4)]), ("ij,jk->ki", [(3, 4), (4, 2)]),
    ("ij,k->i", [(3, 4), (2,)]),
]):
    case(f"einsum{i}", [f(*s) for s in shapes], lambda *xs, spec=spec: jnp.einsum(spec, *xs))
case("einsum_sym", [f(6, 4), f(4, 3)], lambda x, w: jnp.einsum("ni,ij->nj", x, w), types=["f32[n,4]", "f32[4,3]"])
# reductions
case("sum_all", [x234], jnp.sum)
case("sum_axis0", [x234], lambda x: jnp.sum(x, axis=0))
case("sum_axis_neg", [x234], lambda x: jnp.sum(x, axis=-1))
case("sum_axes02", [x234], lambda x: jnp.sum(x, axis=(0, 2)))
case("sum_keepdims", [x234], lambda x: jnp.sum(x, axis=1, keepdims=True))
case("sum_i32", [ints(2, 3)], lambda x: jnp.sum(x, axis=0))
case("sum_bool", [bools(2, 3)], lambda x: jnp.sum(x))
case("mean_all", [x234], jnp.mean)
case("mean_axis1_keepdims", [x234], lambda x: jnp.mean(x, axis=1, keepdims=True))
case("mean_i32", [ints(2, 3)], lambda x: jnp.mean(x, axis=1))
case("mean_sym", [f(7, 3)], lambda x: jnp.mean(x, axis=0), types=["f32[n,3]"])
case("mean_sym_all", [f(7, 3)], jnp.mean, types=["f32[n,3]"])
case("mean_sym_keepdims", [f(5, 3)], lambda x: jnp.mean(x, axis=(0, 1), keepdims=True), types=["f32[n,3]"])
case("mean_f64", [f(3, 4, dtype="f64")], lambda x: jnp.mean(x, axis=0), x64=True)
case("max_axis0", [x234], lambda x: jnp.max(x, axis=0))
case("min_axes", [x234], lambda x: jnp.min(x, axis=(0, 1)))
case("max_keepdims", [x23], lambda x: jnp.max(x, axis=-1, keepdims=True))
xinf = f(3, 4)
xinf[1, :] = -np.inf
xinf[2, 0] = 50.0
case("logsumexp_all", [x234], jax.nn.logsumexp)
case("logsumexp_axis1", [xinf], lambda x: jax.nn.logsumexp(x, axis=1))
case("logsumexp_keepdims", [x234], lambda x: jax.nn.logsumexp(x, axis=(0, 2), keepdims=True))
case("logsumexp_f64", [f(3, 4, dtype="f64")], lambda x: jax.nn.logsumexp(x, axis=0), x64=True)
case("softmax", [x234], jax.nn.softmax)
case("softmax_axis0", [x23], lambda x: jax.nn.softmax(x, axis=0))
case("softmax_axes", [x234], lambda x: jax.nn.softmax(x, axis=(0, 1)))
case("softmax_large", [np.array([1000.0, 1001.0, 999.0], np.float32)], jax.nn.softmax)
# layout
case("transpose", [x234], jnp.transpose)
case("transpose_axes", [x234], lambda x: jnp.transpose(x, (1, 0, 2)))
case("transpose_neg", [x234], lambda x: jnp.transpose(x, (-1, 0, 1)))
case("T", [x23], lambda x: x.T)
case("reshape", [f(2, 6)], lambda x: jnp.reshape(x, (3, 4)))
case("reshape_flat", [f(2, 6)], lambda x: jnp.reshape(x, -1))
case("reshape_infer", [f(2, 6)], lambda x: jnp.reshape(x, (4, -1)))
case("reshape_sym", [f(3, 4)], lambda x: jnp.reshape(x, (-1, 2, 2)), types=["f32[n,4]"])
case("broadcast_to", [y3], lambda x: jnp.broadcast_to(x, (2, 3)))
case("broadcast_to_size1", [x31], lambda x: jnp.broadcast_to(x, (2, 3, 4)))
case("concatenate0", [x23, f(1, 3)], lambda a, b: jnp.concatenate((a, b)))
case("concatenate_neg", [x23, f(2, 2)], lambda a, b: jnp.concatenate((a, b), axis=-1))
case("stack0", [y3, f(3)], lambda a, b: jnp.stack((a, b)))
case("stack1", [x23, f(2, 3)], lambda a, b: jnp.stack((a, b), axis=1))
case("stack_neg", [y3, f(3), f(3)], lambda a, b, c: jnp.stack((a, b, c), axis=-1))
# constructors (no inputs)
case("zeros", [], lambda: jnp.zeros(3))
case("ones", [], lambda: jnp.ones((2, 3)))
case("zeros_i32", [], lambda: jnp.zeros((2, 2), dtype=jnp.int32))
case("full", [], lambda: jnp.full((2, 2), 7.0))
case("full_i32", [], lambda: jnp.full(3, 2, dtype=jnp.int32))
case("full_var", [f()], lambda v: jnp.full((2, 3), v))
case("arange", [], lambda: jnp.arange(5))
case("arange_step", [], lambda: jnp.arange(2, 10, 3))
case("arange_f32", [], lambda: jnp.arange(5, dtype=jnp.float32))
case("eye", [], lambda: jnp.eye(3))
case("eye_k", [], lambda: jnp.eye(3, 4, k=1))
# indexing
x45 = f(4, 5)
case("index_int", [x45], lambda x: x[1])
case("index_neg", [x45], lambda x: x[-1])
case("index_slice", [x45], lambda x: x[1:3])
case("index_step", [x45], lambda x: x[::2])
case("index_col", [x45], lambda x: x[:, 0])
case("index_col_neg", [x45], lambda x: x[:, -1])
case("index_both", [x45], lambda x: x[1, 2])
case("index_tail", [x45], lambda x: x[:, 1:])
case("index_clamped", [x45], lambda x: x[-10:10, 3:1])
case("index_3d", [x234], lambda x: x[0, :, 1:3])
case("index_newaxis", [y3], lambda x: x[None, :])
for k in [1, -1, 7, -9]:
    case(f"dyn_index{k}".replace("-", "m"), [x45[:3], i32(k)], jax.jit(lambda x, i: x[i]))
case("dyn_index_col", [x45, i32(2)], jax.jit(lambda x, i: x[:, i]))
case("dyn_index_bool", [bools(4), i32(2)], jax.jit(lambda x, i: x[i]))
case("dyn_index_sym", [f(6), i32(-2)], jax.jit(lambda x, i: x[i]), types=["f32[n]", "i32[]"])
case("index_sym_neg", [f(6)], lambda x: x[-1], types=["f32[n]"])
case("index_sym_pos", [f(6)], lambda x: x[2], types=["f32[n]"])
def select_tree(c, a0, a1, b0, b1):
    return jnp.where(c, a0, b0), jnp.where(c, a1, b1)


case("select_tree", [np.array(False), x23, y3, f(2, 3), f(3)], select_tree)
case("select_tree_true", [np.array(True), x23, y3, f(2, 3), f(3)], select_tree)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    manifest = []
    for name, inputs, fn, types, x64 in CASES:
        if x64:
            with jax.enable_x64(True):
                outs = fn(*[jnp.asarray(x) for x in inputs])
        else:
            outs = fn(*[jnp.asarray(x) for x in inputs])
        outs = [np.asarray(o) for o in (outs if isinstance(outs, tuple) else (outs,))]
        files = []
        for k, x in enumerate(inputs):
            np.save(os.path.join(ROOT, f"{name}.in{k}.npy"), x)
            files.append(f"{name}.in{k}.npy")
        dt = {"float32": "f32", "float64": "f64", "int32": "i32", "bool": "bool"}
        for k, o in enumerate(outs):
            np.save(os.path.join(ROOT, f"{name}.out{k}.npy"), o)
        tys = types or [f"{dt[str(x.dtype)]}[{','.join(map(str, x.shape))}]" for x in inputs]
        manifest.append({"name": name, "inputs": files, "types": tys,
                         "outputs": [f"{name}.out{k}.npy" for k in range(len(outs))]})
    with open(os.path.join(ROOT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"wrote {len(manifest)} cases to {ROOT}")


if __name__ == "__main__":
    main()
