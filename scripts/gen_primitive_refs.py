#!/usr/bin/env python3
# Generates JAX reference data for every primitive of the IR (jax.lax on CPU), plus `.npy` reader fixtures
# and NumPy print fixtures, into Tests/AxCoreTests/Data/{primitives,npy}. Run from the repository root:
#   JAX_PLATFORMS=cpu python3 scripts/gen_primitive_refs.py
import json
import os
import shutil

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

jax.config.update("jax_enable_x64", True)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "AxCoreTests", "Data")
PRIM_DIR = os.path.join(ROOT, "primitives")
NPY_DIR = os.path.join(ROOT, "npy")

NP = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "bool": np.bool_}
TRANSCENDENTAL = {"exp", "log", "log1p", "sin", "cos", "tanh", "logistic", "pow"}

cases = []
for d in (PRIM_DIR, NPY_DIR):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


def save(name, arr):
    path = os.path.join(PRIM_DIR, name)
    np.save(path, np.asarray(arr))
    return name


def add_case(name, prim, params, inputs, out, ulp=0, atol=0.0):
    """One case. Note: XLA on CPU flushes subnormals to zero; inputs avoid subnormals and the Swift test
    accepts a subnormal result where JAX gives 0 (the interpreter keeps IEEE gradual underflow)."""
    files = [save(f"{name}.in{i}.npy", x) for i, x in enumerate(inputs)]
    out = np.asarray(out)
    dt = out.dtype
    rtol = 1e-6 if dt == np.float32 else (1e-13 if dt == np.float64 else 0.0)
    case = {"name": name, "prim": prim, "params": params, "inputs": files,
            "output": save(f"{name}.out.npy", out), "rtol": rtol, "atol": float(atol)}
    if ulp:
        case["ulp"] = ulp
    cases.append(case)


def rng(seed):
    return np.random.RandomState(seed)


def floats(dtype, seed, n=24, scale=3.0, specials=True):
    """Random values plus edge values: zeros, negatives, ties, NaN/inf."""
    x = rng(seed).uniform(-scale, scale, size=n)
    extra = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0] + ([np.nan, np.inf, -np.inf] if specials else [])
    return np.array(list(x) + extra, dtype=dtype)


def ints(seed, n=24, lo=-20, hi=20):
    x = rng(seed).randint(lo, hi, size=n)
    extra = [0, 1, -1, 2**31 - 1, -2**31, 7, -7]
    return np.array(list(x) + extra, dtype=np.int32)


def bools(seed, n=16):
    return rng(seed).randint(0, 2, size=n).astype(np.bool_)


# ---------------------------------------------------------------- unary

UNARY = {
    "neg": lax.neg, "exp": lax.exp, "log": lax.log, "log1p": lax.log1p, "sqrt": lax.sqrt, "abs": lax.abs,
    "sin": lax.sin, "cos": lax.cos, "tanh": lax.tanh, "logistic": lax.logistic, "sign": lax.sign,
    "not": lax.bitwise_not,
}
UNARY_EDGES = {
    "exp": [88.0, 88.7, 89.0, -87.0, -103.0, -104.0, 700.0, -745.0, 1e-8],
    "log": [1e-37, 1e300, 3.0e38, 1.0 + 1e-7],
    "log1p": [-1.0, -0.999, 1e-8, -1e-8, 1e30],
    "sqrt": [1e-37, 4.0, 1e30, 2.0],
    "sin": [100.0, -1000.0, 1e5, 3.14159265],
    "cos": [100.0, -1000.0, 1e5, 1.57079633],
    "tanh": [9.0, -9.0, 10.0, 20.0, -20.0, 1e-5, 0.1, 500.0],
    "logistic": [-20.0, 20.0, -88.0, 88.0, -100.0, 100.0, 1e-5, 30.0, -30.0],
}

for op, f in UNARY.items():
    dtypes = ["bool", "i32"] if op == "not" else (["f32", "f64", "i32"] if op in ("neg", "abs", "sign") else ["f32", "f64"])
    for dt in dtypes:
        seed = len(cases) + 1
        if dt == "bool":
            x = bools(seed)
        elif dt == "i32":
            x = ints(seed)
        else:
            scale = 100.0 if op in ("exp", "tanh", "logistic") else 10.0
            x = floats(NP[dt], seed, scale=scale)
            if op in ("log", "sqrt"):
                x = np.concatenate([np.abs(x), x[:4]])
            x = np.concatenate([x, np.array(UNARY_EDGES.get(op, []), dtype=NP[dt])])
        x = x.reshape(-1)
        out = np.asarray(f(x))
        ulp = 2 if (op in TRANSCENDENTAL and dt == "f32") else (4 if op in TRANSCENDENTAL else 0)
        add_case(f"{op}_{dt}", op, {}, [x], out, ulp=ulp)

# ---------------------------------------------------------------- binary

BINARY = {
    "add": lax.add, "sub": lax.sub, "mul": lax.mul, "div": lax.div, "pow": lax.pow, "max": lax.max, "min": lax.min,
    "lt": lax.lt, "le": lax.le, "gt": lax.gt, "ge": lax.ge, "eq": lax.eq, "ne": lax.ne,
    "and": lax.bitwise_and, "or": lax.bitwise_or,
}


def binary_inputs(op, dt, seed):
    if dt == "bool":
        a = np.array([False, False, True, True] * 2, dtype=np.bool_)
        b = np.array([False, True, False, True] * 2, dtype=np.bool_)
        return a, b
    if dt == "i32":
        a, b = ints(seed), ints(seed + 100)
        # ties, zeros (division by zero), INT_MIN / -1, wraparound
        a = np.concatenate([a, np.array([5, 5, 0, -2**31, 2**31 - 1, -7, 7, 123456, 0], np.int32)])
        b = np.concatenate([b, np.array([5, 0, 0, -1, 1, 2, -2, 54321, -3], np.int32)])
        return a, b
    a, b = floats(NP[dt], seed), floats(NP[dt], seed + 100)
    sp = np.array([np.nan, 1.0, np.nan, 0.0, -0.0, 0.0, 3.0, -2.0, 0.0, 2.0, -8.0, np.inf, 1.5, 1e30, 1e-30],
                  dtype=NP[dt])
    sq = np.array([1.0, np.nan, np.nan, -0.0, 0.0, 0.0, 3.0, 3.0, 0.0, 0.5, 1 / 3, -np.inf, 2.0, 1e30, 1e30],
                  dtype=NP[dt])
    a, b = np.concatenate([a, sp]), np.concatenate([b, sq])
    if op == "pow":
        a = np.concatenate([np.abs(a), a[-15:], np.array([-2.0, -2.0, 0.0, 0.0, 1.0], NP[dt])])
        b = np.concatenate([b, b[-15:], np.array([3.0, 0.5, 0.0, -1.0, np.nan], NP[dt])])
    return a, b


for op, f in BINARY.items():
    if op in ("and", "or"):
        dtypes = ["bool", "i32"]
    elif op in ("lt", "le", "gt", "ge", "eq", "ne"):
        dtypes = ["f32", "f64", "i32", "bool"]
    elif op == "pow":
        dtypes = ["f32", "f64"]
    else:
        dtypes = ["f32", "f64", "i32"]
    for dt in dtypes:
        a, b = binary_inputs(op, dt, len(cases) + 1)
        out = np.asarray(f(a, b))
        ulp = 2 if (op in TRANSCENDENTAL and dt == "f32") else (4 if op in TRANSCENDENTAL else 0)
        add_case(f"{op}_{dt}", op, {}, [a, b], out, ulp=ulp)

# A scalar (literal) operand broadcasts, on either side.
for op in ["add", "sub", "div", "max", "lt"]:
    x = floats(np.float32, 7, n=6)
    s = np.float32(1.5)
    add_case(f"{op}_f32_scalar_rhs", op, {}, [x, np.array(s)], np.asarray(BINARY[op](x, np.full_like(x, s))))
    add_case(f"{op}_f32_scalar_lhs", op, {}, [np.array(s), x], np.asarray(BINARY[op](np.full_like(x, s), x)))

# ---------------------------------------------------------------- integer_pow

for dt in ["f32", "f64", "i32"]:
    for y in ([2, 3, 0, 5, 1] + ([-1, -2, -3] if dt != "i32" else [])):
        x = floats(NP[dt], 40 + y, scale=4.0) if dt != "i32" else np.concatenate(
            [ints(40 + y), np.array([46341, -46341, 1000, 3], np.int32)])
        out = np.asarray(lax.integer_pow(x, y))
        add_case(f"integer_pow_{dt}_y{y}".replace("-", "m"), "integer_pow", {"y": y}, [x], out)

# ---------------------------------------------------------------- convert_element_type

CONVERT_SRC = {
    "f32": np.array([0.0, -0.0, 1.5, -1.5, 2.7, -2.7, 0.49999997, 3e9, -3e9, 2147483520.0, -2147483648.0,
                     np.nan, np.inf, -np.inf, 1e-37, 16777217.0, 1e38], np.float32),
    "f64": np.array([0.0, -0.0, 1.5, -1.5, 2.7, -2.7, 2147483647.9, 2147483648.0, -2147483648.9, 1e300, -1e300,
                     np.nan, np.inf, -np.inf, 1e-300, 0.1, 3.4028235677973366e38, 1.0000000596046448], np.float64),
    "i32": np.array([0, 1, -1, 2**31 - 1, -2**31, 16777217, -16777217, 123456789, 2], np.int32),
    "bool": np.array([True, False, True, True, False], np.bool_),
}
for src, x in CONVERT_SRC.items():
    for dst in ["f32", "f64", "i32", "bool"]:
        out = np.asarray(lax.convert_element_type(x, NP[dst]))
        add_case(f"convert_{src}_to_{dst}", "convert_element_type", {"new_dtype": dst}, [x], out)

# ---------------------------------------------------------------- select_n

for dt in ["f32", "f64", "i32", "bool"]:
    r = rng(60)
    p = bools(61, n=12).reshape(3, 4)
    mk = {"f32": lambda s: floats(np.float32, s, n=3)[:12], "f64": lambda s: floats(np.float64, s, n=3)[:12],
          "i32": lambda s: ints(s, n=5)[:12], "bool": lambda s: bools(s, n=12)}[dt]
    f, t = mk(62).reshape(3, 4), mk(63).reshape(3, 4)
    add_case(f"select_n_{dt}", "select_n", {}, [p, f, t], np.asarray(lax.select_n(p, f, t)))
add_case("select_n_scalar_pred", "select_n", {}, [np.array(True), floats(np.float32, 64, n=3), floats(np.float32, 65, n=3)],
         np.asarray(floats(np.float32, 65, n=3)))
fx = floats(np.float32, 66, n=3)
pp = bools(67, n=12)
add_case("select_n_scalar_branch", "select_n", {}, [pp, fx[:12], np.array(np.float32(-1.0))],
         np.asarray(lax.select_n(pp, fx[:12], np.full(12, -1.0, np.float32))))

# ---------------------------------------------------------------- reductions

def sum_atol(op, x, axes):
    """XLA sums f32 in f32, the interpreter in f64: allow n*eps*sum|x| for f32 sums."""
    if op != "reduce_sum" or x.dtype != np.float32 or not axes:
        return 0.0
    n = int(np.prod([x.shape[a] for a in axes]))
    return 2 * n * 2.0**-24 * float(np.abs(x.astype(np.float64)).sum())


RED = {"reduce_sum": lax.reduce_sum, "reduce_max": lax.reduce_max, "reduce_min": lax.reduce_min}
for op, f in RED.items():
    for dt in ["f32", "f64", "i32"]:
        base = (rng(70).uniform(-5, 5, size=(3, 4, 5)) if dt != "i32" else rng(70).randint(-50, 50, size=(3, 4, 5)))
        x = base.astype(NP[dt])
        if dt != "i32" and op != "reduce_sum":
            x[1, 2, 3] = np.nan  # NaN propagates through max/min
            x[0, 0, :] = 1.25     # ties
        for axes in [(0,), (1,), (2,), (0, 2), (0, 1, 2), (), (1, 2)]:
            out = np.asarray(f(x, axes))
            add_case(f"{op}_{dt}_axes{''.join(map(str, axes)) or 'none'}", op, {"axes": list(axes)}, [x], out,
                     atol=sum_atol(op, x, axes))
        empty = np.zeros((2, 0, 3), NP[dt])
        add_case(f"{op}_{dt}_empty", op, {"axes": [1]}, [empty], np.asarray(f(empty, (1,))))
    # 1-D vector in f32 with a bigger size (accumulation order matters a little).
    v = rng(71).uniform(-1, 1, size=1000).astype(np.float32)
    add_case(f"{op}_f32_vector", op, {"axes": [0]}, [v], np.asarray(f(v, (0,))), atol=sum_atol(op, v, (0,)))

# ---------------------------------------------------------------- structural

x234 = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.5) - 3
for dt in ["f32", "f64", "i32", "bool"]:
    x = x234.astype(NP[dt]) if dt != "bool" else (np.arange(24).reshape(2, 3, 4) % 3 == 0)
    v = x[0, 0, :]
    s = x[0, 1, 2]
    add_case(f"broadcast_in_dim_{dt}_vec", "broadcast_in_dim", {"shape": [3, 4], "broadcast_dimensions": [1]},
             [v], np.asarray(lax.broadcast_in_dim(v, (3, 4), (1,))))
    add_case(f"broadcast_in_dim_{dt}_scalar", "broadcast_in_dim", {"shape": [2, 3], "broadcast_dimensions": []},
             [np.array(s)], np.asarray(lax.broadcast_in_dim(s, (2, 3), ())))
    add_case(f"reshape_{dt}", "reshape", {"new_sizes": [4, 6]}, [x], np.asarray(lax.reshape(x, (4, 6))))
    add_case(f"transpose_{dt}", "transpose", {"permutation": [2, 0, 1]}, [x], np.asarray(lax.transpose(x, (2, 0, 1))))
    add_case(f"slice_{dt}", "slice", {"start_indices": [0, 1, 1], "limit_indices": [2, 3, 4], "strides": [1, 1, 2]},
             [x], np.asarray(lax.slice(x, (0, 1, 1), (2, 3, 4), (1, 1, 2))))
    pv = np.array(x.reshape(-1)[5])
    add_case(f"pad_{dt}", "pad", {"padding_config": [[1, 0, 0], [0, 2, 1], [-1, 1, 2]]}, [x, pv],
             np.asarray(lax.pad(x, pv, ((1, 0, 0), (0, 2, 1), (-1, 1, 2)))))
    y = x[:, :2, :]
    add_case(f"concatenate_{dt}", "concatenate", {"dimension": 1}, [x, y, x[:, :1, :]],
             np.asarray(lax.concatenate([x, y, x[:, :1, :]], 1)))

x = x234
add_case("broadcast_in_dim_f32_expand", "broadcast_in_dim", {"shape": [2, 5, 3, 4], "broadcast_dimensions": [0, 2, 3]},
         [x], np.asarray(lax.broadcast_in_dim(x, (2, 5, 3, 4), (0, 2, 3))))
x13 = x[:, :1, :]
add_case("broadcast_in_dim_f32_size1", "broadcast_in_dim", {"shape": [2, 3, 4], "broadcast_dimensions": [0, 1, 2]},
         [x13], np.asarray(lax.broadcast_in_dim(x13, (2, 3, 4), (0, 1, 2))))
add_case("reshape_f32_to_scalar", "reshape", {"new_sizes": []}, [x[:1, :1, :1]], np.asarray(lax.reshape(x[:1, :1, :1], ())))
add_case("reshape_f32_flat", "reshape", {"new_sizes": [24]}, [x], np.asarray(lax.reshape(x, (24,))))
for perm in [(0, 1, 2), (1, 0, 2), (2, 1, 0), (1, 2, 0)]:
    add_case(f"transpose_f32_{''.join(map(str, perm))}", "transpose", {"permutation": list(perm)}, [x],
             np.asarray(lax.transpose(x, perm)))
for i, (st, li, sd) in enumerate([((0, 0, 0), (2, 3, 4), (1, 1, 1)), ((1, 0, 3), (2, 3, 4), (1, 2, 1)),
                                  ((0, 0, 0), (2, 3, 4), (2, 2, 3)), ((0, 2, 1), (2, 2, 3), (1, 1, 1))]):
    add_case(f"slice_f32_{i}", "slice", {"start_indices": list(st), "limit_indices": list(li), "strides": list(sd)}, [x],
             np.asarray(lax.slice(x, st, li, sd)))
v = np.arange(1, 6, dtype=np.float32)
for i, cfg in enumerate([[(2, 3, 0)], [(0, 0, 2)], [(-2, -1, 0)], [(-3, 1, 1)], [(1, -4, 3)], [(-12, 1, 2)]]):
    add_case(f"pad_f32_1d_{i}", "pad", {"padding_config": [list(c) for c in cfg]}, [v, np.array(np.float32(-9))],
             np.asarray(lax.pad(v, np.float32(-9), cfg)))
add_case("pad_f32_2d_negative", "pad", {"padding_config": [[-1, 1, 1], [2, -2, 0]]}, [x[0], np.array(np.float32(7))],
         np.asarray(lax.pad(x[0], np.float32(7), [(-1, 1, 1), (2, -2, 0)])))
add_case("concatenate_f32_axis0", "concatenate", {"dimension": 0}, [x, x[:1]], np.asarray(lax.concatenate([x, x[:1]], 0)))
add_case("concatenate_f32_axis2", "concatenate", {"dimension": 2}, [x, x[:, :, :0], x[:, :, 1:]],
         np.asarray(lax.concatenate([x, x[:, :, :0], x[:, :, 1:]], 2)))

# ---------------------------------------------------------------- dot_general


def dot_case(name, a, b, lc, rc, lb=(), rb=()):
    dims = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    out = np.asarray(lax.dot_general(a, b, dims, precision=lax.Precision.HIGHEST))
    # XLA accumulates f32 in f32 (in its own order), the interpreter in f64: allow k*eps*sum|a*b|.
    atol = 0.0
    if a.dtype == np.float32:
        k = int(np.prod([a.shape[i] for i in lc])) if lc else 1
        mag = np.asarray(lax.dot_general(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64), dims))
        atol = 2 * k * 2.0**-24 * (float(mag.max()) if mag.size else 0.0)
    add_case(name, "dot_general", {"lhs_contract": list(lc), "rhs_contract": list(rc), "lhs_batch": list(lb),
                                   "rhs_batch": list(rb)}, [a, b], out, atol=atol)


for dt in ["f32", "f64", "i32"]:
    r = rng(80)

    def m(*shape):
        return (r.uniform(-2, 2, size=shape) if dt != "i32" else r.randint(-9, 9, size=shape)).astype(NP[dt])
    dot_case(f"dot_general_{dt}_matvec", m(4, 5), m(5), [1], [0])
    dot_case(f"dot_general_{dt}_vecmat", m(5), m(5, 3), [0], [0])
    dot_case(f"dot_general_{dt}_matmul", m(4, 5), m(5, 3), [1], [0])
    dot_case(f"dot_general_{dt}_matmul_tt", m(5, 4), m(3, 5), [0], [1])
    dot_case(f"dot_general_{dt}_batch", m(2, 4, 5), m(2, 5, 3), [2], [1], [0], [0])
    dot_case(f"dot_general_{dt}_batch_mid", m(4, 2, 5), m(5, 3, 2), [2], [0], [1], [2])
    dot_case(f"dot_general_{dt}_two_contract", m(3, 4, 5), m(5, 2, 4), [1, 2], [2, 0])
    dot_case(f"dot_general_{dt}_outer", m(3), m(4), [], [])
    dot_case(f"dot_general_{dt}_inner", m(6), m(6), [0], [0])
dot_case("dot_general_f32_empty_contract", np.zeros((3, 0), np.float32), np.zeros((0, 2), np.float32), [1], [0])
big = rng(81).uniform(-1, 1, size=(8, 64)).astype(np.float32)
dot_case("dot_general_f32_long", big, rng(82).uniform(-1, 1, size=(64, 8)).astype(np.float32), [1], [0])

# ---------------------------------------------------------------- iota

for dt in ["f32", "f64", "i32"]:
    add_case(f"iota_{dt}_1d", "iota", {"dtype": dt, "shape": [7], "dimension": 0}, [],
             np.asarray(lax.iota(NP[dt], 7)))
    add_case(f"iota_{dt}_2d", "iota", {"dtype": dt, "shape": [3, 4], "dimension": 1}, [],
             np.asarray(lax.broadcasted_iota(NP[dt], (3, 4), 1)))
add_case("iota_i32_3d", "iota", {"dtype": "i32", "shape": [2, 3, 2], "dimension": 1}, [],
         np.asarray(lax.broadcasted_iota(np.int32, (2, 3, 2), 1)))


# ---------------------------------------------------------------- rounding, trigonometric and special functions
# (after every other case, so that the seeds of the cases above do not move)

MATH_UNARY = {
    "floor": (lax.floor, 10.0), "ceil": (lax.ceil, 10.0), "round": (lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), 4.0),
    "tan": (lax.tan, 3.0), "atan": (lax.atan, 20.0), "asin": (lax.asin, 1.0), "acos": (lax.acos, 1.0),
    "sinh": (lax.sinh, 10.0), "cosh": (lax.cosh, 10.0), "atanh": (lax.atanh, 1.0), "expm1": (lax.expm1, 10.0),
    "exp2": (lax.exp2, 20.0), "erf": (lax.erf, 4.0),
}
MATH_UNARY_LATER = {"erfc": (lax.erfc, 4.0)}  # after the rest: their seeds stay
# (XLA's f32 sinh and cosh lose accuracy near their overflow, where axc stays within 2 ulp: edges stop at 20.)
MATH_EDGES = {
    "round": [0.5, 1.5, 2.5, -0.5, -2.5, 1e7 + 0.5],
    "floor": [-0.5, 1e20], "ceil": [-0.5, 1e20],
    "expm1": [1e-8, -1e-8, 88.0, -100.0], "sinh": [1e-6, 20.0], "cosh": [20.0], "erf": [1e-6, -6.0],
    "atanh": [0.999, -0.5], "asin": [0.9999], "acos": [-0.9999],
}
for op, (f, scale) in MATH_UNARY.items():
    for dt in ["f32", "f64"]:
        seed = len(cases) + 1
        x = floats(NP[dt], seed, scale=scale)
        x = np.concatenate([x, np.array(MATH_EDGES.get(op, []), dtype=NP[dt])])
        exact = op in ("floor", "ceil", "round")
        add_case(f"{op}_{dt}", op, {}, [x], np.asarray(f(x)), ulp=0 if exact else (2 if dt == "f32" else 4))

for op, f in {"atan2": lax.atan2, "rem": lax.rem}.items():
    for dt in (["f32", "f64"] if op == "atan2" else ["f32", "f64", "i32"]):
        seed = len(cases) + 1
        if dt == "i32":
            a = ints(seed)
            b = np.array(list(rng(seed + 1).randint(-7, 7, size=len(a) - 3)) + [0, -1, 3], dtype=np.int32)
            b = np.where(b == 0, 3, b).astype(np.int32)  # XLA's x % 0 is checked in the Swift tests
        else:
            a = floats(NP[dt], seed, scale=10.0)
            b = floats(NP[dt], seed + 1, scale=4.0)
        add_case(f"{op}_{dt}", op, {}, [a, b], np.asarray(f(a, b)), ulp=(2 if dt == "f32" else 4) if op == "atan2" else 0)


# ---------------------------------------------------------------- rev and the cumulative operations

for dt in ["f32", "i32", "bool"]:
    x = (floats(NP[dt], len(cases) + 1, n=24, specials=False) if dt == "f32" else ints(len(cases) + 1, n=17) if dt == "i32"
         else bools(len(cases) + 1, n=24)).reshape(-1)[:24].reshape(2, 3, 4)
    for dims in [(0,), (2,), (0, 2), ()]:
        add_case(f"rev_{dt}_{'_'.join(map(str, dims)) or 'none'}", "rev", {"dimensions": list(dims)}, [x], np.asarray(lax.rev(x, dims)))

CUMULATIVE = {"cumsum": lax.cumsum, "cumprod": lax.cumprod, "cummax": lax.cummax, "cummin": lax.cummin,
              "cumlogsumexp": lax.cumlogsumexp}
for op, f in CUMULATIVE.items():
    for dt in (["f32", "f64"] if op == "cumlogsumexp" else ["f32", "f64", "i32"]):
        seed = len(cases) + 1
        if dt == "i32":
            x = rng(seed).randint(-3, 4, size=(3, 5)).astype(np.int32)
        else:
            x = rng(seed).uniform(-2, 2, size=(3, 5)).astype(NP[dt])
            if op in ("cummax", "cummin"):
                x[1, 2] = np.nan
        for axis in [0, 1]:
            for reverse in [False, True]:
                out = np.asarray(f(x, axis=axis, reverse=reverse))
                add_case(f"{op}_{dt}_a{axis}{'_rev' if reverse else ''}", op, {"axis": axis, "reverse": reverse}, [x], out,
                         ulp=(4 if dt == "f32" else 8) if op in ("cumsum", "cumprod", "cumlogsumexp") and dt != "i32" else 0)


for dt in ["f32", "f64", "i32"]:
    x = (rng(len(cases) + 1).randint(-3, 4, size=(3, 4, 2)).astype(np.int32) if dt == "i32"
         else rng(len(cases) + 1).uniform(-1.5, 1.5, size=(3, 4, 2)).astype(NP[dt]))
    if dt != "i32":
        x[1, 2, 0] = 0.0
    for axes in [(0,), (1,), (0, 2), (0, 1, 2)]:
        add_case(f"reduce_prod_{dt}_{'_'.join(map(str, axes))}", "reduce_prod", {"axes": list(axes)}, [x],
                 np.asarray(lax.reduce_prod_p.bind(x, axes=axes)), ulp=0 if dt == "i32" else 4)

for op, (f, scale) in MATH_UNARY_LATER.items():
    for dt in ["f32", "f64"]:
        x = np.concatenate([floats(NP[dt], len(cases) + 1, scale=scale), np.array([1e-6, -6.0, 9.0], dtype=NP[dt])])
        add_case(f"{op}_{dt}", op, {}, [x], np.asarray(f(x)), ulp=2 if dt == "f32" else 4)


# ---------------------------------------------------------------- .npy fixtures and print fixtures

def npy_fixtures():
    """Files written by numpy, including version 2.0/3.0 headers and unsupported variants."""
    def put(name, arr, version=None):
        with open(os.path.join(NPY_DIR, name), "wb") as f:
            if version is None:
                np.save(f, arr)
            else:
                np.lib.format.write_array(f, arr, version=version)

    r = rng(90)
    put("f32_2x3.npy", r.uniform(-1, 1, size=(2, 3)).astype(np.float32))
    put("f64_scalar.npy", np.array(2.5))
    put("i32_3.npy", np.array([1, -2, 2**31 - 1], np.int32))
    put("bool_2x2.npy", np.array([[True, False], [False, True]]))
    put("f32_empty.npy", np.zeros((0, 4), np.float32))
    a2, a3 = r.uniform(-1, 1, size=(3,)), r.uniform(-1, 1, size=(2, 2)).astype(np.float32)
    put("f64_v2.npy", a2, version=(2, 0))
    put("f64_v2_as_v1.npy", a2)
    put("f32_v3.npy", a3, version=(3, 0))
    put("f32_v3_as_v1.npy", a3)
    put("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    put("i64.npy", np.arange(3, dtype=np.int64))
    put("f32_big_endian.npy", np.arange(3, dtype=">f4"))


def print_fixtures():
    """`str(array)` for a range of arrays, to check formatTensor against numpy."""
    arrays = {
        "f32_simple": np.array([1.0, 2.0, 3.0], np.float32),
        "f32_frac": np.array([0.1, 1.2345679, -2.5], np.float32),
        "f32_matrix": np.arange(6, dtype=np.float32).reshape(2, 3) / 3,
        "f32_3d": np.arange(12, dtype=np.float32).reshape(2, 3, 2) - 5,
        "f32_scalar": np.array(2.5, np.float32),
        "f32_scalar_int": np.array(3.0, np.float32),
        "f32_scalar_small": np.array(1e-5, np.float32),
        "f32_scalar_big": np.array(1e20, np.float32),
        "f64_scalar": np.array(0.1 + 0.2),
        "f64_third": np.array([1 / 3, 2 / 3, 1.0]),
        "f64_scalar_third": np.array(1 / 3),
        "f64_exp": np.array([1e-5, 1.0, 123456.0]),
        "f64_big": np.array([1e9, 2.5e10]),
        "f64_specials": np.array([np.nan, -np.inf, 1.5, np.inf]),
        "f64_specials_exp": np.array([np.nan, -np.inf, 1e-7]),
        "f32_neg_zero": np.array([-0.0, 0.0, 1.0], np.float32),
        "f32_all_nan": np.array([np.nan, np.nan], np.float32),
        "f32_long": np.arange(2000, dtype=np.float32) * np.float32(0.25),
        "f32_wrap": np.arange(40, dtype=np.float32) * np.float32(1.5),
        "f32_long_2d": (np.arange(3000, dtype=np.float32).reshape(30, 100)) / 7,
        "f64_rand": rng(91).uniform(-1, 1, size=(3, 4)),
        "f32_rand": rng(92).normal(size=(4, 3)).astype(np.float32),
        "i32_vec": np.array([1, -20, 300], np.int32),
        "i32_matrix": np.arange(-4, 8, dtype=np.int32).reshape(3, 4),
        "i32_scalar": np.array(-7, np.int32),
        "i32_long": np.arange(1500, dtype=np.int32),
        "bool_vec": np.array([True, False, True]),
        "bool_scalar": np.array(False),
        "bool_matrix": np.array([[True, False], [False, False]]),
        "f32_empty": np.zeros((0,), np.float32),
        "f32_empty_2d": np.zeros((2, 0), np.float32),
        "f64_large_mixed": np.array([1e8, 1.0]),
        "f32_precision": np.array([1.0000001, 100.123456, 0.000123], np.float32),
        "f64_precision": np.array([1.0000000001, 0.123456789123]),
        "f64_negative_exp": np.array([-1e-10, 3e20, 1.0]),
        "f32_normal_1d": rng(93).normal(size=30).astype(np.float32),
        "f64_normal_2d": rng(94).normal(size=(5, 7)) * 100,
        "f32_exp_mixed": np.array([1e-3, 5e5, -2.0, 0.0, -0.0], np.float32),
        "f64_scalar_1e16": np.array(1e16),
        "f64_scalar_1em4": np.array(1e-4),
        "f64_scalar_big": np.array(123456789.0),
        "f32_scalar_2p24": np.array(16777216.0, np.float32),
        "f32_scalar_neg": np.array(-0.1, np.float32),
        "f32_scalar_1e6": np.array(1e6, np.float32),
        "f32_scalar_below_1e6": np.array(999999.9, np.float32),
        "f32_scalar_1em4": np.array(1e-4, np.float32),
        "f64_scalar_nan": np.array(np.nan),
        "f64_scalar_neg_inf": np.array(-np.inf),
        "f64_scalar_tiny": np.array(5e-324),
        "i32_wide": np.array([2**31 - 1, -2**31, 0] * 10, np.int32),
        "f32_3d_long": np.arange(2000, dtype=np.float32).reshape(10, 10, 20),
        "bool_long": np.arange(1200) % 3 == 0,
        "f32_4d": np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2),
        "f64_col": np.arange(4.0).reshape(4, 1),
        "f32_inf_only": np.array([np.inf, -np.inf], np.float32),
        "f32_round_up": np.array([0.999999999, 9.99999999, 0.123456789], np.float64).astype(np.float32),
        "f64_round_frac": np.array([0.123456789123, 9.999999999, 1.5]),
        "f64_int_like_big": np.array([12345678.0, 1.0]),
    }
    out = []
    for name, a in arrays.items():
        fn = f"print_{name}.npy"
        np.save(os.path.join(NPY_DIR, fn), a)
        out.append({"file": fn, "str": str(a)})
    with open(os.path.join(NPY_DIR, "print_cases.json"), "w") as f:
        json.dump(out, f, indent=1)


def main():
    # The primitive cases were written while the module ran; the manifest lists them.
    with open(os.path.join(PRIM_DIR, "manifest.json"), "w") as f:
        json.dump({"jax_version": jax.__version__, "cases": cases}, f, indent=1)
    npy_fixtures()
    print_fixtures()


if __name__ == "__main__":
    main()
