"""JAX 0.10.2 references for the jax.numpy / jax.nn vocabulary: writes Tests/AxCoreTests/Data/vocab/ (vocab.ax, one entry
per case, its .npy inputs and JAX's outputs, manifest.json with `exact` or rtol/atol), which VocabularyTests reads.
Run: python3 scripts/gen_vocab_refs.py (CI does not need JAX: the data is committed)."""
# A case is `exact` when the name is JAX's own composition of exactly rounded operations (bit-for-bit expected);
# otherwise transcendental functions (XLA's vs libm's last bits) or reduction order allow rtol/atol.
import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_platform_name", "cpu")
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests/AxCoreTests/Data/vocab")
rng = np.random.default_rng(16)


def f(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def ints(*shape, lo=-9, hi=10):
    return rng.integers(lo, hi, size=shape).astype(np.int32)


def bools(*shape):
    return rng.integers(0, 2, size=shape).astype(bool)


# No subnormal inputs or results: XLA flushes them to zero, axc keeps them (docs/deviations.md).
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5, -2.5, 3e37, 1e-30, 7.0], np.float32)
TYPES = {"float32": "f32", "int32": "i32", "bool": "bool"}
CASES = []


def case(name, src, fn, inputs, exact=False, rtol=2e-6, atol=1e-6):
    """src: the .ax def(s) and bindings defining entry `name`; inputs: leaf name -> array, in parameter order.
    The entry is renamed `t_<name>` so that it does not shadow the builtin it tests."""
    src = src.replace(f"def {name}(", f"def t_{name}(")
    src = "\n".join(f"t_{line}" if line.startswith(f"{name} = ") else line for line in src.split("\n"))
    CASES.append(dict(name=f"t_{name}", src=src, fn=fn, inputs=inputs, exact=exact, rtol=rtol, atol=atol))


def unary(name, ax_expr, fn, x, exact=False, out=None, **kw):
    t = f"{TYPES[str(x.dtype)]}[{','.join(map(str, x.shape))}]"
    case(name, f"def {name}(x: {t}):\n    return {ax_expr}\n", fn, {"x": x}, exact, **kw)


x5 = f(5)
x34 = f(3, 4)
pos34 = f(3, 4, lo=0.05, hi=4.0)
# element-wise
unary("square", "jnp.square(x)", jnp.square, SPECIAL, exact=True)
unary("square_i32", "jnp.square(x)", jnp.square, ints(6), exact=True)
unary("reciprocal", "jnp.reciprocal(x)", jnp.reciprocal, SPECIAL, exact=True)
unary("reciprocal_i32", "reciprocal(x)", jnp.reciprocal, ints(6, lo=1, hi=9), exact=True)
unary("clip", "jnp.clip(x, -1.0, 0.75)", lambda x: jnp.clip(x, -1.0, 0.75), SPECIAL, exact=True)
unary("clip_min", "clip(x, min=0.0)", lambda x: jnp.clip(x, min=0.0), SPECIAL, exact=True)
unary("clip_max_i32", "clip(x, max=3)", lambda x: jnp.clip(x, max=3), ints(6), exact=True)
unary("power3", "jnp.power(x, 3)", lambda x: jnp.power(x, 3), x34, exact=True)
unary("power_neg2", "power(x, -2)", lambda x: jnp.power(x, -2), pos34, exact=True)
unary("power_float", "jnp.power(x, 1.5)", lambda x: jnp.power(x, 1.5), pos34)
case("power_arrays", "def power_arrays(x: f32[3,4], y: f32[3,4]):\n    return jnp.power(x, y)\n", jnp.power,
     {"x": pos34, "y": f(3, 4)})
unary("isnan", "jnp.isnan(x)", jnp.isnan, SPECIAL, exact=True)
unary("isinf", "jnp.isinf(x)", jnp.isinf, SPECIAL, exact=True)
unary("isfinite", "jnp.isfinite(x)", jnp.isfinite, SPECIAL, exact=True)
unary("isnan_i32", "isnan(x)", jnp.isnan, ints(4), exact=True)
unary("isfinite_i32", "isfinite(x)", jnp.isfinite, ints(4), exact=True)
case("logical", "def logical(a: bool[6], b: bool[6]):\n    return jnp.logical_and(a, b), jnp.logical_or(a, b), "
     "jnp.logical_not(a), jnp.logical_xor(a, b)\n",
     lambda a, b: (jnp.logical_and(a, b), jnp.logical_or(a, b), jnp.logical_not(a), jnp.logical_xor(a, b)),
     {"a": bools(6), "b": bools(6)}, exact=True)
case("logical_num", "def logical_num(a: f32[12], b: i32[12]):\n    return logical_and(a, b), logical_not(a), logical_or(b, False)\n",
     lambda a, b: (jnp.logical_and(a, b), jnp.logical_not(a), jnp.logical_or(b, False)),
     {"a": SPECIAL, "b": ints(12, lo=-1, hi=2)}, exact=True)
unary("log2", "jnp.log2(x)", jnp.log2, np.concatenate([pos34.ravel(), [1, 2, 8, 1024, 0, np.inf]]).astype(np.float32))
unary("log10", "jnp.log10(x)", jnp.log10, np.concatenate([pos34.ravel(), [1, 10, 1000, 0, np.inf]]).astype(np.float32))
special_act = np.concatenate([SPECIAL, x34.ravel(), [30.0, -30.0, 100.0, -100.0, 1e-3, -1e-3]]).astype(np.float32)
unary("softplus", "jax.nn.softplus(x)", jax.nn.softplus, special_act)
unary("log_sigmoid", "jax.nn.log_sigmoid(x)", jax.nn.log_sigmoid, special_act)
unary("silu", "jax.nn.silu(x)", jax.nn.silu, special_act)
unary("swish", "jax.nn.swish(x)", jax.nn.swish, x5)
unary("gelu", "jax.nn.gelu(x)", jax.nn.gelu, special_act)
unary("leaky_relu", "jax.nn.leaky_relu(x)", jax.nn.leaky_relu, SPECIAL, exact=True)
unary("leaky_relu_slope", "jax.nn.leaky_relu(x, negative_slope=0.2)", lambda x: jax.nn.leaky_relu(x, 0.2), SPECIAL, exact=True)
acts6 = np.concatenate([SPECIAL, [6.0, 5.5, -3.0, 3.0, 2.0, -4.0]]).astype(np.float32)
unary("relu6", "jax.nn.relu6(x)", jax.nn.relu6, acts6, exact=True)
unary("hard_tanh", "jax.nn.hard_tanh(x)", jax.nn.hard_tanh, acts6, exact=True)
unary("soft_sign", "jax.nn.soft_sign(x)", jax.nn.soft_sign, acts6, exact=True)
unary("hard_sigmoid", "jax.nn.hard_sigmoid(x)", jax.nn.hard_sigmoid, acts6, rtol=1.2e-7, atol=0)
unary("hard_silu", "jax.nn.hard_silu(x) + jax.nn.hard_swish(x)", lambda x: jax.nn.hard_silu(x) + jax.nn.hard_swish(x), acts6,
      rtol=2.4e-7, atol=0)
unary("nan_to_num", "jnp.nan_to_num(x)", jnp.nan_to_num, SPECIAL, exact=True)
unary("nan_to_num_args", "jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0)",
      lambda x: jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0), SPECIAL, exact=True)
case("axes_moves", "def axes_moves(x: f32[2,3,4], v: f32[3], w: f32[2,3]):\n    return jnp.swapaxes(x, 0, 2), jnp.moveaxis(x, 0, -1), "
     "jnp.moveaxis(x, (0, 1), (2, 0)), jnp.hstack((v, v)), jnp.hstack([w, w]), jnp.vstack((v, v)), jnp.vstack((w, v)), "
     "jnp.count_nonzero(w > 0.0), jnp.count_nonzero(w, axis=0)\n",
     lambda x, v, w: (jnp.swapaxes(x, 0, 2), jnp.moveaxis(x, 0, -1), jnp.moveaxis(x, (0, 1), (2, 0)), jnp.hstack((v, v)),
                      jnp.hstack([w, w]), jnp.vstack((v, v)), jnp.vstack((w, v)), jnp.count_nonzero(w > 0.0),
                      jnp.count_nonzero(w, axis=0)),
     {"x": f(2, 3, 4), "v": f(3), "w": np.where(bools(2, 3), f(2, 3), 0).astype(np.float32)}, exact=True)
case("array", "def array(x: f32[2], s: f32):\n    return jnp.array([1, 2, 3]), jnp.array([[1.5, 2], [3, 4]]), jnp.array([s, 2.0, s]), "
     "jnp.array((x, x)), jnp.asarray(x), jnp.array([1, 0], dtype=bool), jnp.asarray(3, dtype=jnp.float32), jnp.array([True, False])\n",
     lambda x, s: (jnp.array([1, 2, 3]), jnp.array([[1.5, 2], [3, 4]]), jnp.array([s, 2.0, s]), jnp.array((x, x)), jnp.asarray(x),
                   jnp.array([1, 0], dtype=bool), jnp.asarray(3, dtype=jnp.float32), jnp.array([True, False])),
     {"x": f(2), "s": np.array(0.75, np.float32)}, exact=True)
case("misc", "def misc(x: f32[3,4], w: f32[3,4], s: f32, k: i32[4]):\n    return jnp.deg2rad(x), jnp.rad2deg(x), jnp.radians(s), jnp.degrees(s), "
     "jnp.positive(k), jnp.atleast_1d(s), jnp.atleast_2d(k), jnp.atleast_2d(x), jnp.ptp(x), jnp.ptp(k), jnp.ptp(x, axis=1, keepdims=True), "
     "jnp.identity(3), jnp.identity(2, dtype=jnp.int32), jnp.average(x), jnp.average(x, axis=0), jnp.average(x, axis=1, weights=w)\n",
     lambda x, w, s, k: (jnp.deg2rad(x), jnp.rad2deg(x), jnp.radians(s), jnp.degrees(s), jnp.positive(k), jnp.atleast_1d(s),
                         jnp.atleast_2d(k), jnp.atleast_2d(x), jnp.ptp(x), jnp.ptp(k), jnp.ptp(x, axis=1, keepdims=True),
                         jnp.identity(3), jnp.identity(2, dtype=jnp.int32), jnp.average(x), jnp.average(x, axis=0),
                         jnp.average(x, axis=1, weights=w)),
     {"x": x34, "w": f(3, 4, lo=0.1, hi=1.0), "s": np.array(30.0, np.float32), "k": ints(4)}, rtol=2e-6)
case("logaddexp", "def logaddexp(x: f32[12], y: f32[12]):\n    return jnp.logaddexp(x, y)\n", jnp.logaddexp,
     {"x": SPECIAL, "y": np.roll(SPECIAL, 3)})
# integer // and %, and the conditional expression
iy = np.array([3, -3, 2, -2, 7, -7, 1, -1, 5, -5, 4, -4], np.int32)
ix = np.array([7, 7, -7, -7, 0, 5, -2147483648, -2147483648, 2147483647, -9, 8, -8], np.int32)
case("floordiv", "def floordiv(x: i32[12], y: i32[12]):\n    return x // y, x % y, x // 3, x % -3, 7 // y, -7 % y\n",
     lambda x, y: (x // y, x % y, x // 3, x % -3, 7 // y, -7 % y), {"x": ix, "y": iy}, exact=True)
case("floordiv_zero", "def floordiv_zero(x: i32[4], y: i32[4]):\n    return jnp.floor_divide(x, y), jnp.remainder(x, y), jnp.mod(x, y)\n",
     lambda x, y: (jnp.floor_divide(x, y), jnp.remainder(x, y), jnp.mod(x, y)),
     {"x": np.array([5, -5, 0, 7], np.int32), "y": np.array([0, 0, 0, 2], np.int32)}, exact=True)
case("ifexp", "def ifexp(x: f32[5], c: bool):\n    return (x * 2.0 if c else -x), (x if x.ndim == 1 else x.T), (1.0 if c else 0.5)\n",
     lambda x, c: (jnp.where(c, x * 2.0, -x), x, jnp.where(c, 1.0, 0.5).astype(np.float32)), {"x": x5, "c": np.array(False)},
     exact=True)
case("ifexp_tuple", "def ifexp_tuple(x: f32[5], c: bool):\n    a, b = (x, 2.0 * x) if c else (x + 1.0, x)\n    return a, b\n",
     lambda x, c: (jnp.where(c, x, x + 1.0), jnp.where(c, 2.0 * x, x)), {"x": x5, "c": np.array(True)}, exact=True)
case("ifexp_array", "def ifexp_array(x: f32[5]):\n    return x if x > 0.0 else 0.5 * x\n",
     lambda x: jnp.where(x > 0, x, 0.5 * x), {"x": x5}, exact=True)
# constants, prefixes, methods
case("constants", "def constants(x: f32[3]):\n    return x * jnp.pi + e, jnp.isinf(x + inf), jnp.isnan(x * nan), x[:, jnp.newaxis], "
     "x * np.pi - math.e, x.astype(np.int32), x * pi\n",
     lambda x: (x * jnp.pi + jnp.e, jnp.isinf(x + jnp.inf), jnp.isnan(x * jnp.nan), x[:, None], x * np.pi - np.e,
                x.astype(np.int32), x * np.pi), {"x": f(3)}, exact=True)
case("methods", "def methods(x: f32[3,4]):\n    return x.sum(axis=0), x.mean(), x.max(axis=1, keepdims=True), x.min(), "
     "x.reshape(2, 6), x.reshape((4, 3)), x.astype(jnp.int32), x.T, x.var(), x.std(axis=0), x.argmax(axis=1), "
     "x.any(), x.clip(0.0, 1.0), x.transpose(1, 0), x.ravel(), x.astype(bool)\n",
     lambda x: (x.sum(axis=0), x.mean(), x.max(axis=1, keepdims=True), x.min(), x.reshape(2, 6), x.reshape((4, 3)),
                x.astype(jnp.int32), x.T, x.var(), x.std(axis=0), x.argmax(axis=1), x.any(), x.clip(0.0, 1.0),
                x.transpose(1, 0), x.ravel(), x.astype(bool)), {"x": x34}, rtol=1e-5)
case("prefixes", "def prefixes(x: f32[3,4]):\n    return jax.numpy.sum(x), lax.max(x, 0.5), jax.lax.neg(x), jnp.float32(jnp.int32(x)), "
     "jax.scipy.special.logsumexp(x), jnp.maximum(x, 0.0), jax.nn.relu(x)\n",
     lambda x: (jnp.sum(x), jax.lax.max(x, 0.5), jax.lax.neg(x), jnp.float32(jnp.int32(x)),
                jax.scipy.special.logsumexp(x), jnp.maximum(x, 0.0), jax.nn.relu(x)), {"x": x34}, rtol=1e-5)
case("aliases", "def aliases(x: f32[3,4], y: f32[3,4]):\n    return jnp.add(x, y), jnp.subtract(x, 1), jnp.multiply(x, y), "
     "jnp.divide(x, y), jnp.true_divide(2, y), jnp.negative(x), jnp.absolute(x), jnp.amax(x, axis=0), jnp.amin(x), "
     "jnp.pow(jnp.abs(x), 2.5), jnp.equal(x, y), jnp.not_equal(x, x), jnp.less(x, y), jnp.less_equal(x, 0.5), "
     "jnp.greater(x, y), jnp.greater_equal(y, x), jnp.ravel(x)\n",
     lambda x, y: (jnp.add(x, y), jnp.subtract(x, 1), jnp.multiply(x, y), jnp.divide(x, y), jnp.true_divide(2, y),
                   jnp.negative(x), jnp.absolute(x), jnp.amax(x, axis=0), jnp.amin(x), jnp.pow(jnp.abs(x), 2.5),
                   jnp.equal(x, y), jnp.not_equal(x, x), jnp.less(x, y), jnp.less_equal(x, 0.5), jnp.greater(x, y),
                   jnp.greater_equal(y, x), jnp.ravel(x)), {"x": x34, "y": f(3, 4)}, rtol=2e-6)
# reductions
xr = f(4, 5)
mk = bools(3, 4)
mk[1, :] = False
case("masked", "def masked(x: f32[3,4], m: bool[3,4], k: i32[3,4], r: bool[4]):\n    return jnp.sum(x, where=m), jnp.sum(x, axis=1, where=m), "
     "jnp.mean(x, axis=1, where=m), jnp.mean(x, where=r), jnp.max(x, axis=1, where=m, initial=-5.0), jnp.min(x, initial=0.0), "
     "jnp.max(k, where=m, initial=-100), x.sum(axis=0, keepdims=True, where=m), jnp.amin(x, axis=0, where=m, initial=9.0), "
     "jnp.sum(k, where=k > 0)\n",
     lambda x, m, k, r: (jnp.sum(x, where=m), jnp.sum(x, axis=1, where=m), jnp.mean(x, axis=1, where=m), jnp.mean(x, where=r),
                         jnp.max(x, axis=1, where=m, initial=-5.0), jnp.min(x, initial=0.0), jnp.max(k, where=m, initial=-100),
                         x.sum(axis=0, keepdims=True, where=m), jnp.amin(x, axis=0, where=m, initial=9.0), jnp.sum(k, where=k > 0)),
     {"x": x34, "m": mk, "k": ints(3, 4), "r": np.array([True, False, True, True])}, rtol=2e-6)
case("var_std", "def var_std(x: f32[4,5]):\n    return jnp.var(x), jnp.var(x, axis=0), jnp.std(x, axis=1, keepdims=True), "
     "jnp.std(x, ddof=1), jnp.var(x, axis=(0, 1), ddof=2)\n",
     lambda x: (jnp.var(x), jnp.var(x, axis=0), jnp.std(x, axis=1, keepdims=True), jnp.std(x, ddof=1),
                jnp.var(x, axis=(0, 1), ddof=2)), {"x": xr}, rtol=1e-5)
case("var_sym", "def var_sym(x: f32[n,3]):\n    return jnp.var(x, axis=0), jnp.std(x, axis=0, ddof=1), jnp.var(x)\n",
     lambda x: (jnp.var(x, axis=0), jnp.std(x, axis=0, ddof=1), jnp.var(x)), {"x": f(6, 3)}, rtol=1e-5)
case("var_i32", "def var_i32(x: i32[6]):\n    return jnp.var(x), jnp.std(x)\n", lambda x: (jnp.var(x), jnp.std(x)),
     {"x": ints(6)}, rtol=1e-5)
amx = np.array([[1, 3, 3, 2], [np.nan, 1, np.nan, 5], [-0.0, 0.0, -1, -1], [np.inf, 2, np.inf, -np.inf]], np.float32)
case("argmax", "def argmax(x: f32[4,4]):\n    return jnp.argmax(x), jnp.argmax(x, axis=0), jnp.argmax(x, axis=1), "
     "jnp.argmin(x), jnp.argmin(x, axis=0), jnp.argmin(x, axis=-1, keepdims=True)\n",
     lambda x: (jnp.argmax(x), jnp.argmax(x, axis=0), jnp.argmax(x, axis=1), jnp.argmin(x), jnp.argmin(x, axis=0),
                jnp.argmin(x, axis=-1, keepdims=True)), {"x": amx}, exact=True)
case("argmax_i32", "def argmax_i32(x: i32[3,4], b: bool[5]):\n    return jnp.argmax(x, axis=1), jnp.argmin(x), jnp.argmax(b)\n",
     lambda x, b: (jnp.argmax(x, axis=1), jnp.argmin(x), jnp.argmax(b)), {"x": ints(3, 4, lo=0, hi=3), "b": bools(5)},
     exact=True)
case("argmax_sym", "def argmax_sym(x: f32[n,3]):\n    return jnp.argmax(x, axis=0), jnp.argmin(x, axis=1)\n",
     lambda x: (jnp.argmax(x, axis=0), jnp.argmin(x, axis=1)), {"x": f(7, 3)}, exact=True)
case("any_all", "def any_all(b: bool[3,4], x: f32[3,4], z: f32[0,2]):\n    return jnp.any(b), jnp.all(b, axis=0), "
     "jnp.any(x, axis=1, keepdims=True), jnp.all(x > -1.0), jnp.any(z, axis=0), jnp.all(z, axis=0)\n",
     lambda b, x, z: (jnp.any(b), jnp.all(b, axis=0), jnp.any(x, axis=1, keepdims=True), jnp.all(x > -1.0),
                      jnp.any(z, axis=0), jnp.all(z, axis=0)),
     {"b": bools(3, 4), "x": np.where(bools(3, 4), x34, 0).astype(np.float32), "z": np.zeros((0, 2), np.float32)}, exact=True)
case("norm", "def norm(v: f32[5], m: f32[3,4]):\n    return jnp.linalg.norm(v), jnp.linalg.norm(v, 1), jnp.linalg.norm(v, ord=inf), "
     "jnp.linalg.norm(v, -inf), jnp.linalg.norm(v, 0), jnp.linalg.norm(v, 3), jnp.linalg.norm(m), "
     "jnp.linalg.norm(m, 'fro'), jnp.linalg.norm(m, axis=1), jnp.linalg.norm(m, 1), jnp.linalg.norm(m, inf), "
     "jnp.linalg.norm(m, axis=0, keepdims=True), jnp.linalg.norm(m, -1)\n",
     lambda v, m: (jnp.linalg.norm(v), jnp.linalg.norm(v, 1), jnp.linalg.norm(v, ord=jnp.inf), jnp.linalg.norm(v, -jnp.inf),
                   jnp.linalg.norm(v, 0), jnp.linalg.norm(v, 3), jnp.linalg.norm(m), jnp.linalg.norm(m, "fro"),
                   jnp.linalg.norm(m, axis=1), jnp.linalg.norm(m, 1), jnp.linalg.norm(m, jnp.inf),
                   jnp.linalg.norm(m, axis=0, keepdims=True), jnp.linalg.norm(m, -1)),
     {"v": np.array([3, 0, -4, 1.5, 0.25], np.float32), "m": x34}, rtol=1e-5)
case("log_softmax", "def log_softmax(x: f32[3,4], y: f32[3]):\n    return jax.nn.log_softmax(x), jax.nn.log_softmax(x, axis=0), "
     "jax.nn.log_softmax(y)\n",
     lambda x, y: (jax.nn.log_softmax(x), jax.nn.log_softmax(x, axis=0), jax.nn.log_softmax(y)),
     {"x": x34, "y": np.array([1000.0, 1001.0, -np.inf], np.float32)}, rtol=1e-5)
# constructors and layout
case("likes", "def likes(x: f32[2,3], k: i32[n]):\n    return jnp.zeros_like(x), jnp.ones_like(k), jnp.full_like(x, 2.5), "
     "jnp.full_like(k, 7), jnp.zeros_like(x, dtype=jnp.int32), jnp.ones_like(x, dtype=bool), jnp.full_like(x, x[0])\n",
     lambda x, k: (jnp.zeros_like(x), jnp.ones_like(k), jnp.full_like(x, 2.5), jnp.full_like(k, 7),
                   jnp.zeros_like(x, dtype=jnp.int32), jnp.ones_like(x, dtype=bool), jnp.full_like(x, x[0])),
     {"x": f(2, 3), "k": ints(4)}, exact=True)
case("linspace", "def linspace(a: f32):\n    return jnp.linspace(0.0, 1.0, 5), jnp.linspace(-2, 3.5, 7, endpoint=False), "
     "jnp.linspace(1.0, 2.0), jnp.linspace(a, 10.0, 4), jnp.linspace(3.0, 4.0, 1), jnp.linspace(0.1, 0.7, 6)\n",
     lambda a: (jnp.linspace(0.0, 1.0, 5), jnp.linspace(-2, 3.5, 7, endpoint=False), jnp.linspace(1.0, 2.0),
                jnp.linspace(a, 10.0, 4), jnp.linspace(3.0, 4.0, 1), jnp.linspace(0.1, 0.7, 6)),
     {"a": np.array(-1.25, np.float32)}, rtol=2e-7, atol=0)
# linspace is not `exact`: jnp.linspace divides iota by num - 1, and XLA sometimes compiles that division as a product
# with the reciprocal (num=50 here) and sometimes not (num=7): the last bit of a few elements differs.
case("one_hot", "def one_hot(k: i32[5], m: i32[2,3]):\n    return jax.nn.one_hot(k, 4), jax.nn.one_hot(m, 3, axis=0), "
     "jax.nn.one_hot(k, 3, dtype=jnp.int32)\n",
     lambda k, m: (jax.nn.one_hot(k, 4), jax.nn.one_hot(m, 3, axis=0), jax.nn.one_hot(k, 3, dtype=jnp.int32)),
     {"k": np.array([0, 3, -1, 4, 2], np.int32), "m": ints(2, 3, lo=0, hi=3)}, exact=True)
case("dims", "def dims(x: f32[3,1,4]):\n    return jnp.expand_dims(x, 0), jnp.expand_dims(x, -1), jnp.expand_dims(x, (0, 2)), "
     "jnp.squeeze(x), jnp.squeeze(x, axis=1), jnp.squeeze(x[:1], (0, 1))\n",
     lambda x: (jnp.expand_dims(x, 0), jnp.expand_dims(x, -1), jnp.expand_dims(x, (0, 2)), jnp.squeeze(x),
                jnp.squeeze(x, axis=1), jnp.squeeze(x[:1], (0, 1))), {"x": f(3, 1, 4)}, exact=True)
case("tri", "def tri(x: f32[3,4], y: f32[2,3,3], s: f32[n,n]):\n    return jnp.tril(x), jnp.triu(x), jnp.tril(x, k=1), "
     "jnp.triu(x, -1), jnp.tril(y), jnp.triu(s, 1)\n",
     lambda x, y, s: (jnp.tril(x), jnp.triu(x), jnp.tril(x, k=1), jnp.triu(x, -1), jnp.tril(y), jnp.triu(s, 1)),
     {"x": x34, "y": f(2, 3, 3), "s": f(4, 4)}, exact=True)
case("tile_repeat", "def tile_repeat(x: f32[2,3], v: f32[3]):\n    return jnp.tile(v, 2), jnp.tile(x, (2, 1)), jnp.tile(v, (2, 2)), "
     "jnp.tile(x, (2, 1, 2)), jnp.repeat(v, 3), jnp.repeat(x, 2), jnp.repeat(x, 2, axis=1), jnp.repeat(x, 3, axis=0)\n",
     lambda x, v: (jnp.tile(v, 2), jnp.tile(x, (2, 1)), jnp.tile(v, (2, 2)), jnp.tile(x, (2, 1, 2)), jnp.repeat(v, 3),
                   jnp.repeat(x, 2), jnp.repeat(x, 2, axis=1), jnp.repeat(x, 3, axis=0)),
     {"x": f(2, 3), "v": f(3)}, exact=True)
case("diag", "def diag(v: f32[3], m: f32[3,4]):\n    return jnp.diag(v), jnp.diag(v, k=1), jnp.diag(v, -2), jnp.diag(m), "
     "jnp.diag(m, 1), jnp.diag(m, -1), jnp.diag(m, 5)\n",
     lambda v, m: (jnp.diag(v), jnp.diag(v, k=1), jnp.diag(v, -2), jnp.diag(m), jnp.diag(m, 1), jnp.diag(m, -1),
                   jnp.diag(m, 5)), {"v": f(3), "m": x34}, exact=True)
case("trace", "def trace(m: f32[3,4], t: f32[2,3,3], k: i32[3,3]):\n    return jnp.trace(m), jnp.trace(m, 1), jnp.trace(m, offset=-1), "
     "jnp.trace(t, axis1=1, axis2=2), jnp.trace(k)\n",
     lambda m, t, k: (jnp.trace(m), jnp.trace(m, 1), jnp.trace(m, offset=-1), jnp.trace(t, axis1=1, axis2=2), jnp.trace(k)),
     {"m": x34, "t": f(2, 3, 3), "k": ints(3, 3)}, rtol=1e-6)
case("products", "def products(a: f32[3,4], b: f32[4,2], v: f32[4], w: f32[4]):\n    return jnp.matmul(a, b), jnp.matmul(a, v), "
     "jnp.inner(v, w), jnp.inner(a, a), jnp.inner(a, 2.0), jnp.vdot(v, w), jnp.vdot(a, a)\n",
     lambda a, b, v, w: (jnp.matmul(a, b), jnp.matmul(a, v), jnp.inner(v, w), jnp.inner(a, a), jnp.inner(a, 2.0),
                         jnp.vdot(v, w), jnp.vdot(a, a)), {"a": x34, "b": f(4, 2), "v": f(4), "w": f(4)}, rtol=1e-5)
case("pad", "def pad(x: f32[2,3], k: i32[3]):\n    return jnp.pad(x, 1), jnp.pad(x, ((0, 1), (2, 0))), jnp.pad(k, (1, 2), constant_values=-7), "
     "jnp.pad(x, (1, 0), mode='constant', constant_values=0.5)\n",
     lambda x, k: (jnp.pad(x, 1), jnp.pad(x, ((0, 1), (2, 0))), jnp.pad(k, (1, 2), constant_values=-7),
                   jnp.pad(x, (1, 0), mode="constant", constant_values=0.5)), {"x": f(2, 3), "k": ints(3)}, exact=True)


# grad and vmap of compositions (their rules come from the primitives)
def gcase(name, body, fn, inputs, rtol=1e-5, atol=1e-6):
    """A scalar loss `body` of x: f32[k]; entries grad_<name> and vmap_<name> (over rows of a batch)."""
    x = inputs
    k = x.shape[-1]
    src = f"def loss_{name}(x: f32[{k}]) -> f32:\n    return {body}\n\ngrad_{name} = grad(loss_{name})\n"
    case(f"grad_{name}", src, jax.grad(fn), {"x": x[0]}, rtol=rtol, atol=atol)
    case(f"jvmap_{name}", f"jvmap_{name} = jit(vmap(grad(loss_{name})))\n", jax.vmap(jax.grad(fn)), {"x": x},
         rtol=rtol, atol=atol)


gx = np.stack([f(6), np.array([0.0, -0.0, 1.0, -3.0, 25.0, -25.0], np.float32), f(6)])
gcase("softplus", "sum(jax.nn.softplus(x))", lambda x: jnp.sum(jax.nn.softplus(x)), gx)
# gelu's gradient is 1 - tanh(...)**2, which amplifies the last-bit difference between XLA's tanh and libm's ~30 times
gcase("gelu", "sum(jax.nn.gelu(x) * x)", lambda x: jnp.sum(jax.nn.gelu(x) * x), gx, rtol=2e-4)
gcase("silu", "jnp.sum(jax.nn.silu(x))", lambda x: jnp.sum(jax.nn.silu(x)), gx)
gcase("log_sigmoid", "jnp.sum(jax.nn.log_sigmoid(x))", lambda x: jnp.sum(jax.nn.log_sigmoid(x)), gx)
gcase("leaky_relu", "jnp.sum(jax.nn.leaky_relu(x) ** 2)", lambda x: jnp.sum(jax.nn.leaky_relu(x) ** 2), gx[:, 2:])
gcase("var", "jnp.var(x) + jnp.std(x, ddof=1)", lambda x: jnp.var(x) + jnp.std(x, ddof=1), gx)
gcase("norm", "jnp.linalg.norm(x) + jnp.linalg.norm(x, 1)", lambda x: jnp.linalg.norm(x) + jnp.linalg.norm(x, 1), gx[:, 2:])
gcase("log_softmax", "jax.nn.log_softmax(x)[1] + jnp.log2(jnp.square(x[0]) + 1.0)",
      lambda x: jax.nn.log_softmax(x)[1] + jnp.log2(jnp.square(x[0]) + 1.0), gx)
gcase("relu6", "jnp.sum(jax.nn.relu6(x) * x) + jnp.sum(jax.nn.hard_tanh(x)) + jnp.sum(jax.nn.soft_sign(x))",
      lambda x: jnp.sum(jax.nn.relu6(x) * x) + jnp.sum(jax.nn.hard_tanh(x)) + jnp.sum(jax.nn.soft_sign(x)),
      np.stack([np.array([0.0, 6.0, -1.0, 1.0, 7.0, 3.0], np.float32), gx[1] * 0.3, gx[2]]))
gcase("clip", "jnp.sum(jnp.clip(x, -1.0, 1.0) * x)", lambda x: jnp.sum(jnp.clip(x, -1.0, 1.0) * x), gx)
gcase("layout", "jnp.sum(jnp.tril(jnp.outer(x, x)) * jnp.diag(x)) + jnp.trace(jnp.outer(x, x)) + jnp.sum(jnp.tile(x, 2) * jnp.repeat(x, 2))",
      lambda x: jnp.sum(jnp.tril(jnp.outer(x, x)) * jnp.diag(x)) + jnp.trace(jnp.outer(x, x)) + jnp.sum(jnp.tile(x, 2) * jnp.repeat(x, 2)), gx)
gcase("logaddexp", "jnp.sum(jnp.logaddexp(x, 2.0 * x))",
      lambda x: jnp.sum(jnp.logaddexp(x, 2.0 * x)), gx)


# Names that need the primitives added after this script was written (floor, rem, expm1, erfc): appended, so that
# the inputs above keep their seeds.
case("floordiv_float", "def floordiv_float(x: f32[12], y: f32[12]):\n    return x // y, x % y, x // 0.75, x % -1.5, jnp.floor_divide(2.5, y)\n",
     lambda x, y: (x // y, x % y, x // 0.75, x % -1.5, jnp.floor_divide(2.5, y)),
     {"x": f(12, lo=-5, hi=5), "y": np.array([1.5, -1.5, 0.5, 2.0, -0.75, 3.0, 1.0, -2.0, 0.25, 4.0, -3.0, 0.7], np.float32)})
unary("elu", "jax.nn.elu(x)", jax.nn.elu, special_act)
unary("gelu_exact", "jax.nn.gelu(x, approximate=False)", lambda x: jax.nn.gelu(x, approximate=False), special_act)


gcase("cumulative", "jnp.sum(jnp.cumsum(x) * x) + jnp.sum(jax.lax.cumlogsumexp(x) * x) + jnp.sum(jax.lax.cummax(x) * x) + jnp.prod(x)",
      lambda x: jnp.sum(jnp.cumsum(x) * x) + jnp.sum(jax.lax.cumlogsumexp(x) * x) + jnp.sum(jax.lax.cummax(x) * x) + jnp.prod(x),
      np.stack([f(6), f(6), f(6)]), rtol=2e-5)


# The rest of issue 16's names, each through its jnp / lax spelling in eager and jit (appended: the seeds above stay).
halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1e7 + 1, -3.7, 3.7, 0.25, -0.75], np.float32)
rounding_in = np.concatenate([SPECIAL, halves, x34.ravel()]).astype(np.float32)
unary("rounding", "jnp.floor(x), jnp.ceil(x), jnp.round(x), jnp.trunc(x)",
      lambda x: (jnp.floor(x), jnp.ceil(x), jnp.round(x), jnp.trunc(x)), rounding_in, exact=True)
# Not `exact`: jnp.round(x, d) divides by 10^d, which XLA on CPU compiles as a product with the reciprocal (axc
# divides): the last bit can differ (docs/deviations.md).
unary("round_decimals", "jnp.round(x, 1), jnp.round(x, 2), jnp.round(x, -1)",
      lambda x: (jnp.round(x, 1), jnp.round(x, 2), jnp.round(x, -1)), rounding_in, rtol=1.2e-7, atol=0)
unit = np.concatenate([f(12, lo=-0.95, hi=0.95), [0.0, -0.0, 0.5, -0.5]]).astype(np.float32)
unary("trig", "jnp.tan(x), jnp.arctan(x), jnp.arcsin(x), jnp.arccos(x), jnp.sinh(x), jnp.cosh(x), jnp.arctanh(x)",
      lambda x: (jnp.tan(x), jnp.arctan(x), jnp.arcsin(x), jnp.arccos(x), jnp.sinh(x), jnp.cosh(x), jnp.arctanh(x)), unit)
wide = np.concatenate([f(12, lo=-6, hi=6), [0.0, -0.0, 1e-6, -1e-6, 20.0, -20.0]]).astype(np.float32)
unary("exps", "jnp.expm1(x), jnp.exp2(x), jax.scipy.special.erf(x), jax.scipy.special.erfc(x), jax.lax.erf(x)",
      lambda x: (jnp.expm1(x), jnp.exp2(x), jax.scipy.special.erf(x), jax.scipy.special.erfc(x), jax.lax.erf(x)), wide)
case("arctan2", "def arctan2(y: f32[12], x: f32[12]):\n    return jnp.arctan2(y, x), jnp.arctan2(y, 1.0)\n",
     lambda y, x: (jnp.arctan2(y, x), jnp.arctan2(y, 1.0)), {"y": SPECIAL, "x": np.roll(f(12), 1)})
cum = f(3, 4)
cum[1, 1] = 0.0
cum[2, 0] = 0.0
cum[2, 3] = 0.0
case("cumulative_names", "def cumulative_names(x: f32[3,4], k: i32[5]):\n    return jnp.cumsum(x), jnp.cumsum(x, axis=1), "
     "jnp.cumprod(x), jnp.cumprod(x, axis=0), jnp.cumprod(k), jax.lax.cumprod(x, axis=1, reverse=True), "
     "logcumsumexp(x, axis=1), jax.lax.cumlogsumexp(x, axis=0, reverse=True), jax.lax.cumsum(k, reverse=True)\n",
     lambda x, k: (jnp.cumsum(x), jnp.cumsum(x, axis=1), jnp.cumprod(x), jnp.cumprod(x, axis=0), jnp.cumprod(k),
                   jax.lax.cumprod(x, axis=1, reverse=True), jax.lax.cumlogsumexp(x, axis=1),
                   jax.lax.cumlogsumexp(x, axis=0, reverse=True), jax.lax.cumsum(k, reverse=True)),
     {"x": cum, "k": ints(5, lo=-3, hi=4)}, rtol=2e-6)
case("flip", "def flip(x: f32[2,3,4], k: i32[5]):\n    return jnp.flip(x), jnp.flip(x, axis=0), jnp.flip(x, (0, 2)), jnp.flip(x, -1), "
     "jnp.flip(k)\n",
     lambda x, k: (jnp.flip(x), jnp.flip(x, axis=0), jnp.flip(x, (0, 2)), jnp.flip(x, -1), jnp.flip(k)),
     {"x": f(2, 3, 4), "k": ints(5)}, exact=True)
# In-range, negative (from the end) and out-of-range (JAX's fill: NaN, INT_MIN) indices.
case("take", "def take(x: f32[3,4], k: i32[3,4], i: i32[5], j: i32[3,2]):\n    return jnp.take(x, i), jnp.take(x, i, axis=0), "
     "jnp.take(x, j, axis=1), jnp.take(k, i, axis=1), jnp.take_along_axis(x, j, axis=1), jnp.take_along_axis(k, j, axis=1), "
     "jnp.take_along_axis(x, jnp.array([[0, 2, -1, 7]]), axis=0)\n",
     lambda x, k, i, j: (jnp.take(x, i), jnp.take(x, i, axis=0), jnp.take(x, j, axis=1), jnp.take(k, i, axis=1),
                         jnp.take_along_axis(x, j, axis=1), jnp.take_along_axis(k, j, axis=1),
                         jnp.take_along_axis(x, jnp.array([[0, 2, -1, 7]]), axis=0)),
     {"x": x34, "k": ints(3, 4), "i": np.array([0, 2, -1, 5, -3], np.int32), "j": np.array([[3, 0], [-2, 1], [4, 2]], np.int32)},
     exact=True)
# Gradients against JAX: cumprod with zeros in the lines (one zero, two zeros), the rounding and trigonometric names,
# and take / take_along_axis (repeated indices add their cotangents).
gz = np.stack([f(6), np.array([1.5, 0.0, -0.7, 1.2, 0.0, 0.9], np.float32), np.array([0.0, 1.1, -1.3, 0.8, 1.4, -0.6], np.float32)])
gcase("cumprod", "jnp.sum(jnp.cumprod(x) * x) + jnp.sum(jax.lax.cumprod(x, reverse=True) * jnp.sin(x))",
      lambda x: jnp.sum(jnp.cumprod(x) * x) + jnp.sum(jax.lax.cumprod(x, reverse=True) * jnp.sin(x)), gz)
gcase("elementwise", "jnp.sum(jnp.tan(x) + jnp.arctan(x) + jnp.arcsin(x * 0.5) + jnp.arccos(x * 0.4) + jnp.sinh(x) + jnp.cosh(x) "
      "+ jnp.arctanh(x * 0.3) + jnp.expm1(x) + jnp.exp2(x) + jax.scipy.special.erf(x) + jnp.arctan2(x, 2.0 - x) "
      "+ jnp.floor(x) * x + jnp.round(x) + jnp.trunc(x) + jnp.ceil(x))",
      lambda x: jnp.sum(jnp.tan(x) + jnp.arctan(x) + jnp.arcsin(x * 0.5) + jnp.arccos(x * 0.4) + jnp.sinh(x) + jnp.cosh(x)
                        + jnp.arctanh(x * 0.3) + jnp.expm1(x) + jnp.exp2(x) + jax.scipy.special.erf(x)
                        + jnp.arctan2(x, 2.0 - x) + jnp.floor(x) * x + jnp.round(x) + jnp.trunc(x) + jnp.ceil(x)),
      np.stack([f(6, lo=-1.4, hi=1.4) for _ in range(3)]))
gcase("take", "jnp.sum(jnp.take(x, jnp.array([0, 2, 2, -1])) * jnp.arange(4.0)) + jnp.sum(jnp.take_along_axis(jnp.outer(x, x), "
      "jnp.array([[1], [1], [0], [5], [2], [3]]), axis=1))",
      lambda x: jnp.sum(jnp.take(x, jnp.array([0, 2, 2, -1])) * jnp.arange(4.0))
      + jnp.sum(jnp.take_along_axis(jnp.outer(x, x), jnp.array([[1], [1], [0], [5], [2], [3]]), axis=1)), gx)
gcase("flip_prod", "jnp.sum(jnp.flip(x) * x) + jnp.prod(x) + jnp.sum(jnp.cumsum(x)[1:] ** 2)",
      lambda x: jnp.sum(jnp.flip(x) * x) + jnp.prod(x) + jnp.sum(jnp.cumsum(x)[1:] ** 2), gz)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    manifest, sources = [], []
    for c in CASES:
        name = c["name"]
        outs = c["fn"](*[jnp.asarray(x) for x in c["inputs"].values()])
        outs = [np.asarray(o) for o in (outs if isinstance(outs, tuple) else (outs,))]
        inputs = {}
        for leaf, x in c["inputs"].items():
            np.save(os.path.join(ROOT, f"{name}.{leaf}.npy"), x)
            inputs[leaf] = f"{name}.{leaf}.npy"
        for k, o in enumerate(outs):
            np.save(os.path.join(ROOT, f"{name}.out{k}.npy"), o)
        sources.append(c["src"])
        manifest.append({"name": name, "inputs": inputs, "outputs": [f"{name}.out{k}.npy" for k in range(len(outs))],
                         "exact": c["exact"], "rtol": c["rtol"], "atol": c["atol"]})
    with open(os.path.join(ROOT, "vocab.ax"), "w") as fh:
        fh.write("# Generated by scripts/gen_vocab_refs.py: one entry per case of Data/vocab/manifest.json.\n\n")
        fh.write("\n".join(sources))
    with open(os.path.join(ROOT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"wrote {len(manifest)} cases to {ROOT}")


if __name__ == "__main__":
    main()
