#!/usr/bin/env python3
# gen_diagnostics.py — writes docs/diagnostics.md: every error axc reports, each with a small example whose
# rendered message is captured by running the real tool (nothing in the catalogue is typed by hand).
"""Usage: scripts/gen_diagnostics.py AXC [--out docs/diagnostics.md] [--check]

Runs every example below with AXC in a scratch directory and writes the catalogue. With --check, compares
the generated text with the existing file instead and exits 1 when they differ (the catalogue is stale).
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def npy(descr, shape, values=None, raw_tail=b"", header=None, version=1):
    """The bytes of a .npy file (C order). `values` are packed by `descr`; `header` overrides the dict text."""
    if header is None:
        shp = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shp)
    pre = 10 if version == 1 else 12
    pad = 64 - (pre + len(header) + 1) % 64
    h = (header + " " * (pad % 64) + "\n").encode("latin-1")
    out = b"\x93NUMPY" + bytes([version, 0]) + (struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))) + h
    fmt = {"<f4": "f", "<f8": "d", "<i4": "i", "|b1": "?", "<i8": "q", ">f4": "f", "<c8": "f"}[descr]
    endian = ">" if descr.startswith(">") else "<"
    for v in values or []:
        out += struct.pack(endian + fmt, v)
    return out + raw_tail


LINEAR = """\
def mse(w: f32, xs: f32[n], ys: f32[n]) -> f32:
    return mean((w * xs - ys) ** 2)

g = jit(mse)
"""

# (section, title, files {name: text or bytes}, argv after 'axc', note shown above the command or None)
EXAMPLES = []


def ex(section, title, source=None, argv=None, files=None, note=None):
    fs = dict(files or {})
    if source is not None:
        fs["bad.ax"] = source
    argv = argv or ["check", "bad.ax"]
    if fs.get("bad.ax") == LINEAR:  # the shared example file, shown once at the top
        fs["mse.ax"] = fs.pop("bad.ax")
        argv = ["mse.ax" if a == "bad.ax" else a for a in argv]
    EXAMPLES.append((section, title, fs, argv, note))


S = "Command line (exit 2)"
ex(S, "unknown option or subcommand", None, ["run", "bad.ax", "--fn", "g", "--bogus"], {"bad.ax": LINEAR})
ex(S, "`--size` is not NAME=N", None, ["run", "bad.ax", "--fn", "g", "--size", "n=abc"], {"bad.ax": LINEAR})
ex(S, "`--arg` is not NAME=VALUE", None, ["run", "bad.ax", "--fn", "g", "--arg", "xs"], {"bad.ax": LINEAR})
ex(S, "`--stage` is unknown", None, ["ir", "bad.ax", "--fn", "g", "--stage", "lowered"], {"bad.ax": LINEAR})
ex(S, "`--mode` is unknown", None, ["run", "bad.ax", "--fn", "g", "--mode", "fast"], {"bad.ax": LINEAR})
ex(S, "`--runs` out of range", None, ["bench", "bad.ax", "--fn", "g", "--runs", "0"], {"bad.ax": LINEAR})
ex(S, "`--modes` names an unknown mode", None, ["bench", "bad.ax", "--fn", "g", "--modes", "jit,gpu"], {"bad.ax": LINEAR})
ex(S, "`--prefix` is not a C identifier prefix", None, ["compile", "bad.ax", "--prefix", "9x-"], {"bad.ax": LINEAR})
ex(S, "a required option is missing", None, ["run", "bad.ax"], {"bad.ax": LINEAR})

S = "Files and entries"
ex(S, "the .ax file cannot be read", None, ["check", "missing.ax"], {})
ex(S, "no entry of that name", LINEAR, ["run", "bad.ax", "--fn", "h"])
ex(S, "an output cannot be written", LINEAR, ["compile", "bad.ax", "-o", "no/such/dir/g.c"])

S = "Lexical errors"
ex(S, "a tab in indentation", "def f(x: f32) -> f32:\n\treturn x\n")
ex(S, "a character that starts no token", "def f(x: f32) -> f32:\n    return x $ 2\n")
ex(S, "a non-ASCII character", "def f(x: f32) -> f32:\n    return x × 2\n")
ex(S, "a stray backslash", "def f(x: f32) -> f32:\n    return x \\ 2\n")
ex(S, "inconsistent dedent", "def f(x: f32) -> f32:\n        y = x\n    return y\n")
ex(S, "a bracket never closed", "def f(x: f32) -> f32:\n    return exp(x\n")
ex(S, "an unmatched closing bracket", "def f(x: f32) -> f32:\n    return x)\n")
ex(S, "mismatched brackets", "def f(x: f32[3]) -> f32:\n    return sum(x[0)]\n")
ex(S, "an invalid number", "def f(x: f32) -> f32:\n    return x * 1e\n")
ex(S, "a float literal that overflows", "def f(x: f32) -> f32:\n    return x * 1e400\n")
ex(S, "an integer literal that is too large", "def f(x: f32) -> f32:\n    return x * 99999999999\n")
ex(S, "leading zeros", "def f(x: f32) -> f32:\n    return x * 007\n")
ex(S, "an unterminated string", "def f(x: f32[3], W: f32[3, 2]) -> f32[2]:\n    return einsum(\"i,ij->j, x, W)\n")

S = "Syntax errors"
ex(S, "something other than def or a binding at top level", "return 1\n")
ex(S, "an unexpected indent", "def f(x: f32) -> f32:\n    y = x\n        return y\n")
ex(S, "a name defined twice", "def f(x: f32) -> f32:\n    return x\n\ndef f(x: f32) -> f32:\n    return 2 * x\n")
ex(S, "a keyword as a function name", "def for(x: f32) -> f32:\n    return x\n")
ex(S, "a keyword as a parameter name", "def f(in: f32) -> f32:\n    return in\n")
ex(S, "a parameter without a type", "def f(x) -> f32:\n    return x\n")
ex(S, "a default value", "def f(x: f32 = 1.0) -> f32:\n    return x\n")
ex(S, "`*args`", "def f(*xs: f32) -> f32:\n    return xs\n")
ex(S, "a duplicate parameter", "def f(x: f32, x: f32) -> f32:\n    return x\n")
ex(S, "a bad parameter list", "def f(x: f32 y: f32) -> f32:\n    return x\n")
ex(S, "`=` instead of `:` after the signature", "def f(x: f32) -> f32 = x\n")
ex(S, "an unknown dtype", "def f(x: float32) -> f32:\n    return x\n")
ex(S, "an uppercase size variable", "def f(x: f32[N]) -> f32:\n    return sum(x)\n")
ex(S, "a negative dimension", "def f(x: f32[-1]) -> f32:\n    return sum(x)\n")
ex(S, "a dimension that is neither an integer nor a name", "def f(x: f32[1.5]) -> f32:\n    return sum(x)\n")
ex(S, "a bad separator in a shape", "def f(x: f32[2; 3]) -> f32:\n    return sum(x)\n")
ex(S, "an empty shape", "def f(x: f32[]) -> f32:\n    return x\n")
ex(S, "a bad tuple type", "def f(p: (f32 f32)) -> f32:\n    return p[0]\n")
ex(S, "something that is not a type", "def f(x: 3) -> f32:\n    return x\n")
ex(S, "a missing block", "def f(x: f32) -> f32:\nreturn x\n")
ex(S, "a compound statement on the same line", "def f(x: f32) -> f32: if x > 0: return x\n")
ex(S, "a nested def", "def f(x: f32) -> f32:\n    def g(y: f32) -> f32:\n        return y\n    return g(x)\n")
ex(S, "`else` without `if`", "def f(x: f32) -> f32:\n    else:\n        return x\n")
ex(S, "`return` without a value", "def f(x: f32) -> f32:\n    return\n")
ex(S, "an unsupported statement", "def f(x: f32) -> f32:\n    while x > 0:\n        x = x - 1\n    return x\n")
ex(S, "augmented assignment", "def f(x: f32) -> f32:\n    x += 1\n    return x\n")
ex(S, "an expression statement", "def f(x: f32) -> f32:\n    x + 1\n    return x\n")
ex(S, "assignment to an element", "def f(x: f32[3]) -> f32[3]:\n    x[0] = 1\n    return x\n")
ex(S, "assignment to an attribute", "def f(x: f32[3]) -> f32[3]:\n    x.T = x\n    return x\n")
ex(S, "assignment to a call", "def f(x: f32) -> f32:\n    exp(x) = 1\n    return x\n")
ex(S, "assignment to a literal", "def f(x: f32) -> f32:\n    1 = x\n    return x\n")
ex(S, "assignment to an expression", "def f(x: f32) -> f32:\n    x + 1 = x\n    return x\n")
ex(S, "assignment to an empty tuple", "def f(x: f32) -> f32:\n    () = x\n    return x\n")
ex(S, "chained assignment", "def f(x: f32) -> f32:\n    a = b = x\n    return a\n")
ex(S, "a semicolon", "def f(x: f32) -> f32:\n    y = x; return y\n")
ex(S, "junk at the end of a line", "def f(x: f32) -> f32:\n    return x x\n")
ex(S, "`=` in a condition", "def f(x: f32) -> f32:\n    if x = 0:\n        return x\n    return x\n")
ex(S, "a for loop without a variable", "def f(x: f32) -> f32:\n    for (i) in range(3):\n        x = x + 1\n    return x\n")
ex(S, "a for loop over several variables", "def f(x: f32) -> f32:\n    for i, j in range(3):\n        x = x + 1\n    return x\n")
ex(S, "a for loop without `in`", "def f(x: f32) -> f32:\n    for i range(3):\n        x = x + 1\n    return x\n")
ex(S, "a for loop over something other than range", "def f(x: f32[3]) -> f32:\n    for i in x:\n        x = x + 1\n    return sum(x)\n")
ex(S, "range with several arguments", "def f(x: f32) -> f32:\n    for i in range(0, 3):\n        x = x + 1\n    return x\n")
ex(S, "`not` where it needs parentheses", "def f(x: bool, y: bool) -> bool:\n    return x == not y\n")
ex(S, "an unsupported operator", "def f(x: i32) -> i32:\n    return x & 2\n")
ex(S, "`~`", "def f(x: bool) -> bool:\n    return ~x\n")
ex(S, "a chained comparison", "def f(x: f32) -> bool:\n    return 0 < x < 1\n")
ex(S, "a conditional expression without else", "def f(x: f32) -> f32:\n    return x if x > 0\n")
ex(S, "a repeated keyword argument", "def f(x: f32[3]) -> f32:\n    return sum(x, axis=0, axis=0)\n")
ex(S, "argument unpacking", "def f(x: f32[3]) -> f32:\n    return sum(*x)\n")
ex(S, "a positional argument after a keyword argument", "def f(x: f32[3]) -> f32:\n    return sum(axis=0, x)\n")
ex(S, "a bad argument list", "def f(x: f32[3]) -> f32:\n    return sum(x axis=0)\n")
ex(S, "a bad index list", "def f(x: f32[3, 3]) -> f32:\n    return x[0 1]\n")
ex(S, "an empty index", "def f(x: f32[3]) -> f32:\n    return x[]\n")
ex(S, "a missing attribute name", "def f(x: f32[3, 3]) -> f32[3, 3]:\n    return x.(1)\n")
ex(S, "lambda", "g = lambda x: x\n")
ex(S, "a dict or set literal", "def f(x: f32) -> f32:\n    return {x}\n")
ex(S, "an unexpected closing bracket", "def f(x: f32) -> f32:\n    return (x, ])\n")
ex(S, "a keyword where an expression belongs", "def f(x: f32) -> f32:\n    return def\n")
ex(S, "an operator where an expression belongs", "def f(x: f32) -> f32:\n    return * x\n")
ex(S, "a missing expression", "def f(x: f32) -> f32:\n    y = \n    return x\n")
ex(S, "a bad tuple", "def f(x: f32) -> f32:\n    return (x x)\n")

S = "Names, definitions and calls"
ex(S, "an undefined name", "def f(x: f32) -> f32:\n    return y\n")
ex(S, "an undefined function", "def f(x: f32) -> f32:\n    return g(x)\n")
ex(S, "a misspelled builtin", "def f(x: f32[3]) -> f32[3]:\n    return jax.nn.sofmax(x)\n")
ex(S, "a jax.numpy name that needs a new primitive", "def f(x: f32[3]) -> f32[3]:\n    return jnp.cbrt(x)\n")
ex(S, "max of two arrays", "def f(x: f32[3], y: f32[3]) -> f32[3]:\n    return max(x, y)\n")
ex(S, "a misspelled method", "def f(x: f32[3]) -> f32:\n    return x.summ()\n")
ex(S, "a misspelled attribute", "def f(x: f32[3]) -> f32:\n    return x.shap\n")
ex(S, "a sort that needs a new primitive", "def f(x: f32[3]) -> f32[3]:\n    return jnp.sort(x)\n")
ex(S, "a matrix norm that needs an SVD", "def f(x: f32[3, 3]) -> f32:\n    return jnp.linalg.norm(x, 2)\n")
ex(S, "a vector norm with a matrix ord", "def f(x: f32[3]) -> f32:\n    return jnp.linalg.norm(x, 'nuc')\n")
ex(S, "repeat with array repeats", "def f(x: f32[3], k: i32[3]) -> f32:\n    return sum(jnp.repeat(x, k))\n")
ex(S, "tile of a size-variable axis", "def f(x: f32[n]) -> f32:\n    return sum(jnp.tile(x, 2))\n")
ex(S, "squeeze of an axis that is not 1", "def f(x: f32[3]) -> f32:\n    return jnp.squeeze(x, 0)\n")
ex(S, "tril of a vector", "def f(x: f32[3]) -> f32[3]:\n    return jnp.tril(x)\n")
ex(S, "diag of a 3-D array", "def f(x: f32[2, 2, 2]) -> f32:\n    return sum(jnp.diag(x))\n")
ex(S, "argmax of an empty axis", "def f(x: f32[0]) -> i32:\n    return jnp.argmax(x)\n")
ex(S, "linspace with an integer dtype", "def f(x: f32) -> i32[4]:\n    return jnp.linspace(0, 3, 4, dtype=i32)\n")
ex(S, "linspace with array bounds", "def f(x: f32[3]) -> f32:\n    return sum(jnp.linspace(x, 1.0, 3))\n")
ex(S, "one_hot with a negative class count", "def f(k: i32[3]) -> f32:\n    return sum(jax.nn.one_hot(k, -1))\n")
ex(S, "pad with the wrong number of pairs", "def f(x: f32[3]) -> f32:\n    return sum(jnp.pad(x, ((1, 2), (3, 4))))\n")
ex(S, "pad in a mode other than constant", "def f(x: f32[3]) -> f32:\n    return sum(jnp.pad(x, 1, mode='edge'))\n")
ex(S, "a NumPy function", "def f(x: f32[3]) -> f32:\n    return np.sum(x)\n")
ex(S, "a prefixed constant called", "def f(x: f32[3]) -> f32:\n    return jnp.pi(x)\n")
ex(S, "astype without a dtype", "def f(x: f32[3]) -> f32[3]:\n    return x.astype()\n")
ex(S, "integer division by zero of literals", "def f(x: f32[3]) -> i32:\n    return 7 // 0\n")
ex(S, "jnp.array of mixed dtypes", "def f(x: f32, k: i32) -> f32[2]:\n    return jnp.array([x, k])\n")
ex(S, "moveaxis with repeated axes", "def f(x: f32[2, 3]) -> f32[3, 2]:\n    return jnp.moveaxis(x, (0, 0), (1, 0))\n")
ex(S, "a builtin used as a value", "def f(x: f32) -> f32:\n    g = exp\n    return x\n")
ex(S, "calling something that is not a function", "def f(x: f32) -> f32:\n    return x(2)\n")
ex(S, "a name bound in only one branch", "def f(x: f32, c: bool) -> f32:\n    if c:\n        y = x\n    return y\n")
ex(S, "a duplicate definition (binding and def)", "def f(x: f32) -> f32:\n    return x\n\nf = jit(f)\n")
ex(S, "a top-level binding that is not a function", "g = 3\n")
ex(S, "a binding defined in terms of itself", "g = jit(g)\n")
ex(S, "recursion", "def f(x: f32) -> f32:\n    return g(x)\n\ndef g(x: f32) -> f32:\n    return f(x)\n")
ex(S, "too many arguments", "def g(a: f32) -> f32:\n    return a\n\ndef f(x: f32) -> f32:\n    return g(x, x)\n")
ex(S, "too few arguments", "def g(a: f32, b: f32) -> f32:\n    return a\n\ndef f(x: f32) -> f32:\n    return g(x)\n")
ex(S, "a missing argument with keywords", "def g(a: f32, b: f32) -> f32:\n    return a\n\ndef f(x: f32) -> f32:\n    return g(b=x)\n")
ex(S, "an unknown keyword argument", "def g(a: f32) -> f32:\n    return a\n\ndef f(x: f32) -> f32:\n    return g(b=x)\n")
ex(S, "an argument given twice", "def g(a: f32) -> f32:\n    return a\n\ndef f(x: f32) -> f32:\n    return g(x, a=x)\n")
ex(S, "an argument of the wrong type", "def g(a: f32[3]) -> f32:\n    return sum(a)\n\ndef f(x: f32[4]) -> f32:\n    return g(x)\n")
ex(S, "an argument of the wrong structure", "def g(p: (f32, f32)) -> f32:\n    return p[0]\n\ndef f(x: f32) -> f32:\n    return g(x)\n")
ex(S, "a size variable bound to two sizes", "def g(a: f32[n], b: f32[n]) -> f32:\n    return sum(a * b)\n\ndef f(x: f32[3], y: f32[4]) -> f32:\n    return g(x, y)\n")
ex(S, "a function that does not end with return", "def f(x: f32) -> f32:\n    y = x\n")
ex(S, "a return type that does not match the annotation", "def f(x: f32[3]) -> f32:\n    return x\n")
ex(S, "a function that returns a function", "def g(x: f32) -> f32:\n    return x\n\ndef f(x: f32):\n    return g\n")
ex(S, "a parameter type that is too large", "def f(x: f32[100000000000]) -> f32:\n    return sum(x)\n")

S = "Types and operators"
ex(S, "mixing f32 and f64", "def f(x: f32, y: f64) -> f64:\n    return x + y\n")
ex(S, "shapes that do not broadcast", "def f(x: f32[3], y: f32[4]) -> f32[3]:\n    return x + y\n")
ex(S, "arithmetic on bool", "def f(x: bool, y: bool) -> bool:\n    return x + y\n")
ex(S, "`and` on numbers", "def f(x: f32, y: f32) -> bool:\n    return x and y\n")
ex(S, "`**` on integers with a non-literal exponent", "def f(x: i32, y: i32) -> i32:\n    return x ** y\n")
ex(S, "an integer to a negative power", "def f(x: i32) -> i32:\n    return x ** -1\n")
ex(S, "an integer constant divided by zero", "def f(x: f32) -> f32:\n    return x * (1 / 0)\n")
ex(S, "a constant expression that overflows", "def f(x: i32) -> i32:\n    return x + 2000000000 * 2000000000\n")
ex(S, "an operator on a tuple", "def f(p: (f32, f32)) -> f32:\n    return p + 1\n")
ex(S, "unary minus on bool", "def f(x: bool) -> bool:\n    return -x\n")
ex(S, "`not` on a number", "def f(x: f32) -> bool:\n    return not x\n")
ex(S, "matmul of scalars", "def f(x: f32, y: f32) -> f32:\n    return x @ y\n")
ex(S, "matmul with mismatched contracting sizes", "def f(x: f32[3, 4], y: f32[5, 2]) -> f32[3, 2]:\n    return x @ y\n")
ex(S, "matmul with batch dimensions that do not broadcast", "def f(x: f32[2, 3, 4], y: f32[5, 4, 2]) -> f32:\n    return sum(x @ y)\n")
ex(S, "matmul of f32 and f64", "def f(x: f32[3], y: f64[3]) -> f64:\n    return x @ y\n")
ex(S, "matmul of bool", "def f(x: bool[3], y: bool[3]) -> bool:\n    return x @ y\n")
ex(S, "indexing a scalar", "def f(x: f32) -> f32:\n    return x[0]\n")
ex(S, "too many indices", "def f(x: f32[3]) -> f32:\n    return x[0, 0]\n")
ex(S, "an index out of bounds", "def f(x: f32[3]) -> f32:\n    return x[3]\n")
ex(S, "an index that is not an integer", "def f(x: f32[3], i: f32) -> f32:\n    return x[i]\n")
ex(S, "a slice bound that is not a literal", "def f(x: f32[3], i: i32) -> f32[2]:\n    return x[i:2]\n")
ex(S, "a zero slice step", "def f(x: f32[3]) -> f32[3]:\n    return x[::0]\n")
ex(S, "a negative slice step", "def f(x: f32[3]) -> f32[3]:\n    return x[::-1]\n")
ex(S, "slicing an axis of variable size", "def f(x: f32[n]) -> f32:\n    return sum(x[1:])\n")
ex(S, "several indices into a tuple", "def f(p: (f32, f32)) -> f32:\n    return p[0, 1]\n")
ex(S, "a tuple index that is not a literal", "def f(p: (f32, f32), i: i32) -> f32:\n    return p[i]\n")
ex(S, "a tuple index out of range", "def f(p: (f32, f32)) -> f32:\n    return p[2]\n")
ex(S, "an unknown attribute", "def f(x: f32[3]) -> f32[3]:\n    return x.H\n")
ex(S, "`.shape` of a variable size as a shape", "def f(x: f32[n]) -> f32[n]:\n    return zeros(x.shape) + x\n")
ex(S, "an attribute of a tuple", "def f(p: (f32, f32)) -> f32:\n    return p.T\n")
ex(S, "unpacking into the wrong number of names", "def f(p: (f32, f32, f32)) -> f32:\n    a, b = p\n    return a\n")

S = "Loops"
ex(S, "a carry whose type changes", "def step(c: f32, x: f32):\n    return (c, c), x\n\ndef f(xs: f32[4]):\n    return scan(step, 0.0, xs)\n")
ex(S, "scanned arrays of different lengths", "def step(c: f32, x: (f32, f32)):\n    return c, x[0]\n\ndef f(xs: f32[3], ys: f32[4]):\n    return scan(step, 0.0, (xs, ys))\n")
ex(S, "scan without xs or length", "def step(c: f32, x: ()):\n    return c, c\n\ndef f(c: f32):\n    return scan(step, c, None)\n")
ex(S, "a loop body that is not a function", "def f(x: f32[3]):\n    return fori_loop(0, 3, x, x)\n")
ex(S, "a while condition that is not a bool scalar", "def cond(c: f32) -> f32:\n    return c\n\ndef body(c: f32) -> f32:\n    return c + 1.0\n\ndef f(x: f32):\n    return while_loop(cond, body, x)\n")
ex(S, "grad of while_loop", "def cond(c: f32) -> bool:\n    return c < 10.0\n\ndef body(c: f32) -> f32:\n    return c * 2.0\n\ndef f(x: f32):\n    return while_loop(cond, body, x)\n\ng = grad(f)\n")
ex(S, "a loop variable's type changing in a for over a size variable", "def f(xs: f32[n, 3]):\n    acc = 0.0\n    for i in range(xs.shape[0]):\n        acc = acc + xs[i]\n    return acc\n")

S = "Parallel map and collectives"
ex(S, "a collective outside any map of its axis name", "def f(x: f32[3]) -> f32[3]:\n    return psum(x, 'i')\n\ng = jit(f)\n", ["run", "bad.ax", "--fn", "g"])
ex(S, "tiled psum_scatter without a constant mapped size", "def f(x: f32[8]):\n    return psum_scatter(x, 'i', tiled=True)\n\ng = pmap(f, axis_name='i')\n")
ex(S, "tiled psum_scatter of a dimension that is not a multiple of the mapped size", "def f(x: f32[6]):\n    return psum_scatter(x, 'i', tiled=True)\n\ng = pmap(f, axis_name='i', axis_size=4)\n")
ex(S, "tiled all_gather of a dimension of variable size", "def f(x: f32[m]):\n    return all_gather(x, 'i', tiled=True)\n\ng = pmap(f, axis_name='i', axis_size=2)\n")

S = "Builtins"
ex(S, "too many arguments", "def f(x: f32) -> f32:\n    return exp(x, x)\n")
ex(S, "an unknown keyword argument", "def f(x: f32[3]) -> f32:\n    return sum(x, axes=0)\n")
ex(S, "an argument given twice", "def f(x: f32[3]) -> f32:\n    return sum(x, x=x)\n")
ex(S, "a missing argument", "def f(x: f32[3]) -> f32[3]:\n    return maximum(x)\n")
ex(S, "a tuple where an array is expected", "def f(p: (f32, f32)) -> f32:\n    return exp(p)\n")
ex(S, "a numeric function of bool", "def f(x: bool[3]) -> bool:\n    return sum(x)\n")
ex(S, "an axis out of bounds", "def f(x: f32[3]) -> f32:\n    return sum(x, axis=1)\n")
ex(S, "an axis that is not an integer", "def f(x: f32[3]) -> f32:\n    return sum(x, axis=0.5)\n")
ex(S, "axes that are not integers", "def f(x: f32[3, 2]) -> f32:\n    return sum(x, axis=(0, 0.5))\n")
ex(S, "a repeated axis", "def f(x: f32[3, 2]) -> f32:\n    return sum(x, axis=(0, 0))\n")
ex(S, "keepdims that is not a bool", "def f(x: f32[3]) -> f32[1]:\n    return sum(x, axis=0, keepdims=x)\n")
ex(S, "a negative dimension in a shape", "def f(x: f32) -> f32:\n    return sum(zeros((3, -2))) + x\n")
ex(S, "an unknown dtype", "def f(x: f32) -> f32:\n    return sum(zeros((3,), dtype=3)) + x\n")
ex(S, "where of shapes that do not broadcast", "def f(c: bool[3], x: f32[4], y: f32[4]) -> f32[4]:\n    return where(c, x, y)\n")
ex(S, "where of branches of different structure", "def f(c: bool, x: f32, p: (f32, f32)) -> f32:\n    return where(c, x, p)\n")
ex(S, "dot with mismatched sizes", "def f(x: f32[3], y: f32[4]) -> f32:\n    return dot(x, y)\n")
ex(S, "outer of a matrix", "def f(x: f32[n, 2], y: f32[4]) -> f32:\n    return sum(outer(x, y))\n")
ex(S, "transpose axes that are not a permutation", "def f(x: f32[3, 2]) -> f32[2, 3]:\n    return transpose(x, (0, 0))\n")
ex(S, "reshape to a bad shape", "def f(x: f32[6]) -> f32:\n    return sum(reshape(x, (-1, -1)))\n")
ex(S, "reshape to a different size", "def f(x: f32[6]) -> f32:\n    return sum(reshape(x, (4, 2)))\n")
ex(S, "broadcast_to an incompatible shape", "def f(x: f32[3]) -> f32:\n    return sum(broadcast_to(x, (2, 4)))\n")
ex(S, "concatenate of something that is not a tuple of arrays", "def f(x: f32[3]) -> f32:\n    return sum(concatenate(x))\n")
ex(S, "concatenate of scalars", "def f(x: f32, y: f32) -> f32:\n    return sum(concatenate((x, y)))\n")
ex(S, "concatenate of mismatched shapes", "def f(x: f32[3, 2], y: f32[3, 4]) -> f32:\n    return sum(concatenate((x, y), axis=0))\n")
ex(S, "concatenate of different dtypes", "def f(x: f32[3], y: f64[3]) -> f32:\n    return sum(concatenate((x, y)))\n")
ex(S, "concatenate along an axis of variable size", "def f(x: f32[n], y: f32[3]) -> f32:\n    return sum(concatenate((x, y)))\n")
ex(S, "stack of different shapes", "def f(x: f32[3], y: f32[4]) -> f32:\n    return sum(stack((x, y)))\n")
ex(S, "stack with a non-integer axis", "def f(x: f32[3], y: f32[3]) -> f32:\n    return sum(stack((x, y), axis=x))\n")
ex(S, "full with a fill value of the wrong shape", "def f(x: f32[2]) -> f32:\n    return sum(full((3,), x))\n")
ex(S, "arange of a non-literal", "def f(x: f32) -> f32:\n    return sum(arange(x))\n")
ex(S, "arange with a zero step", "def f(x: f32) -> f32:\n    return sum(arange(0, 5, 0)) + x\n")
ex(S, "eye of a non-literal", "def f(x: f32) -> f32:\n    return sum(eye(x))\n")
ex(S, "eye of a negative size", "def f(x: f32) -> f32:\n    return sum(eye(-3)) + x\n")
ex(S, "an array that is too large", "def f(x: f32) -> f32:\n    return sum(zeros((100000, 100000))) + x\n")
ex(S, "arange of None", "def f(x: f32) -> f32:\n    return sum(arange(None)) + x\n")
ex(S, "eye of None", "def f(x: f32) -> f32:\n    return sum(eye(None)) + x\n")
ex(S, "arange that is too long", "def f(x: f32) -> f32:\n    return sum(arange(0.0, 1e300)) + x\n")
ex(S, "reshape to sizes whose product overflows",
   "def f(x: f32[4]) -> f32:\n    return sum(reshape(x, (1000000000, 1000000000, 1000000000, -1)))\n")
ex(S, "a parameter whose fixed dimensions are too large", "def f(x: f32[n, 100000, 100000]) -> f32:\n    return sum(x)\n")

S = "einsum"
ex(S, "no subscripts string", "def f(x: f32[3]) -> f32:\n    return einsum(x)\n")
ex(S, "an unexpected keyword", "def f(x: f32[3]) -> f32:\n    return einsum(\"i->\", x, optimize=True)\n")
ex(S, "an operand that is not an array", "def f(p: (f32, f32)) -> f32:\n    return einsum(\"i->\", p)\n")
ex(S, "no operands", "def f(x: f32[3]) -> f32:\n    return einsum(\"i->\") + sum(x)\n")
ex(S, "ellipsis", "def f(x: f32[3]) -> f32:\n    return einsum(\"...i->\", x)\n")
ex(S, "two arrows", "def f(x: f32[3]) -> f32:\n    return einsum(\"i->->\", x)\n")
ex(S, "the wrong number of operands", "def f(x: f32[3]) -> f32:\n    return einsum(\"i,i->\", x)\n")
ex(S, "an invalid character", "def f(x: f32[3]) -> f32:\n    return einsum(\"i1->\", x)\n")
ex(S, "a rank mismatch", "def f(x: f32[3]) -> f32:\n    return einsum(\"ij->\", x)\n")
ex(S, "a repeated letter in an operand", "def f(x: f32[3, 3]) -> f32:\n    return einsum(\"ii->\", x)\n")
ex(S, "operands of different dtypes", "def f(x: f32[3], y: f64[3]) -> f32:\n    return einsum(\"i,i->\", x, y)\n")
ex(S, "bool operands", "def f(x: bool[3]) -> bool:\n    return einsum(\"i->\", x)\n")
ex(S, "a letter with two sizes", "def f(x: f32[3], y: f32[4]) -> f32:\n    return einsum(\"i,i->\", x, y)\n")
ex(S, "an output letter not in the inputs", "def f(x: f32[3]) -> f32[3]:\n    return einsum(\"i->j\", x)\n")
ex(S, "a repeated output letter", "def f(x: f32[3]) -> f32[3, 3]:\n    return einsum(\"i->ii\", x)\n")

S = "Control flow"
ex(S, "`return` not last", "def f(x: f32) -> f32:\n    return x\n    y = x\n")
ex(S, "an `if` condition that is not a bool scalar", "def f(x: f32) -> f32:\n    if x:\n        return x\n    return -x\n")
ex(S, "an `if` condition that is an array", "def f(x: f32[3]) -> f32[3]:\n    if x > 0:\n        return x\n    return -x\n")
ex(S, "returning from only some branches of a data-dependent `if`", "def f(x: f32) -> f32:\n    if x > 0:\n        return x\n    else:\n        y = x\n    return y\n")
ex(S, "a name with different types in the branches", "def f(x: f32, v: f32[3]) -> f32:\n    if x > 0:\n        y = v\n    else:\n        y = x\n    return sum(y)\n")
ex(S, "a function that differs between branches", "def g(x: f32) -> f32:\n    return x\n\ndef k(x: f32) -> f32:\n    return -x\n\ndef f(x: f32) -> f32:\n    if x > 0:\n        h = g\n    else:\n        h = k\n    return h(x)\n")
ex(S, "a loop count that is not a compile-time integer", "def f(x: f32) -> f32:\n    for i in range(x):\n        x = x + 1\n    return x\n")
ex(S, "a loop that is too long to unroll", "def f(x: f32) -> f32:\n    for i in range(1000000):\n        x = x + 1\n    return x\n")
ex(S, "`return` in a loop", "def f(x: f32) -> f32:\n    for i in range(3):\n        return x\n    return x\n")

S = "Transforms"
ex(S, "vmap: mapped inputs of different sizes",
   "def f(x: f32, y: f32) -> f32:\n    return x * y\n\ndef h(xs: f32[3], ys: f32[4]) -> f32[3]:\n    return vmap(f)(xs, ys)\n")
ex(S, "vmap: in_axes of the wrong length", "def f(x: f32, y: f32) -> f32:\n    return x * y\n\ng = vmap(f, in_axes=(0, 0, None))\n")
ex(S, "vmap: in_axes that does not match a tuple parameter",
   "def f(p: (f32, f32), x: f32) -> f32:\n    return p[0] * x\n\ng = vmap(f, in_axes=((0, 0, 0), 0))\n")
ex(S, "vmap: an axis out of range", "def f(x: f32[3]) -> f32:\n    return sum(x)\n\ng = vmap(f, in_axes=2)\n")
ex(S, "vmap: nothing mapped", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, in_axes=None)\n")
ex(S, "vmap: a bad in_axes value", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, in_axes=0.5)\n")
ex(S, "vmap: a negative axis_size", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, in_axes=None, axis_size=-2)\n")
ex(S, "vmap: out_axes that does not match the output", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, out_axes=(0, 0))\n")
ex(S, "vmap: out_axes out of range", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, out_axes=1)\n")
ex(S, "vmap: a mapped output with out_axes=None", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, out_axes=None)\n")
ex(S, "vmap: a primitive whose batched result is too large (names the primitive and the line)",
   "def f(x: f32[100000]) -> f32[100000]:\n    return x * 2\n\ng = vmap(f, axis_size=100000)\n")
ex(S, "vmap: a not-mapped output broadcast to a size that is too large",
   "def f(x: f32[100000]) -> f32[100000]:\n    return x * 2\n\ng = vmap(f, in_axes=None, axis_size=100000)\n")
ex(S, "vmap: mapped size variables that differ",
   "def f(a: f32, b: f32) -> f32:\n    return a * b\n\ndef h(a: f32[n], b: f32[m]) -> f32[n]:\n    return vmap(f)(a, b)\n")
ex(S, "grad of a non-scalar function", "def f(x: f32[3]) -> f32[3]:\n    return x * 2\n\ng = grad(f)\n")
ex(S, "grad of a tuple output", "def f(x: f32) -> (f32, f32):\n    return x, x\n\ng = grad(f)\n")
ex(S, "grad of an integer function", "def f(x: i32) -> i32:\n    return x * 2\n\ng = grad(f)\n")
ex(S, "grad with respect to an integer input", "def f(x: f32, k: i32) -> f32:\n    return x * f32(k)\n\ng = grad(f, argnums=1)\n")
ex(S, "grad: argnums out of range", "def f(x: f32) -> f32:\n    return x\n\ng = grad(f, argnums=1)\n")
ex(S, "grad: a repeated argnum", "def f(x: f32, y: f32) -> f32:\n    return x * y\n\ng = grad(f, argnums=(0, 0))\n")
ex(S, "grad: argnums that is not an integer", "def f(x: f32) -> f32:\n    return x\n\ng = grad(f, argnums=0.5)\n")
ex(S, "a transform of a non-function", "g = jit(3)\n")
ex(S, "a transform with no arguments", "g = jit()\n")
ex(S, "a transform of a builtin", "g = vmap(exp)\n")
ex(S, "an unknown transform keyword", "def f(x: f32) -> f32:\n    return x\n\ng = grad(f, has_aux=True)\n")
ex(S, "a transform keyword given twice", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, 0, in_axes=0)\n")
ex(S, "too many transform arguments", "def f(x: f32) -> f32:\n    return x\n\ng = jit(f, 0)\n")
ex(S, "a bad axis_size", "def f(x: f32) -> f32:\n    return x\n\ng = vmap(f, in_axes=None, axis_size=2.5)\n")
ex(S, "transforms nested too deeply", "def f(x: f32) -> f32:\n    return x\n\ng = " + "jit(" * 101 + "f" + ")" * 101 + "\n")

S = "Limits"
ex(S, "an expression nested too deeply", "def f(x: f32) -> f32:\n    return " + "(" * 101 + "x" + ")" * 101 + "\n")
ex(S, "an expression too tall", "def f(x: f32) -> f32:\n    return x" + " + x" * 201 + "\n")
ex(S, "blocks nested too deeply",
   "def f(x: f32) -> f32:\n" + "".join("    " * (i + 1) + "if x > 0:\n" for i in range(101)) + "    " * 102 + "x = x\n    return x\n")
ex(S, "a type nested too deeply", "def f(x: " + "(" * 101 + "f32" + ",)" * 101 + ") -> f32:\n    return 1.0\n")
ex(S, "calls nested too deeply",
   "".join("def f%d(x: f32) -> f32:\n    return f%d(x)\n\n" % (i, i + 1) for i in range(201)) + "def f201(x: f32) -> f32:\n    return x\n")
ex(S, "bindings that refer to each other too deeply",
   "def f(x: f32) -> f32:\n    return x\n\n" + "".join("g%d = g%d\n" % (i + 1, i) for i in reversed(range(201))) + "g0 = jit(f)\n")
ex(S, "a program that is too large",
   "def f(x: f32) -> f32:\n    for i in range(1000):\n        for j in range(1000):\n            x = x * 2 + 1\n    return x\n")

S = "Run-time inputs (`axc run`, `axc bench`)"
F64 = npy("<f8", (3,), [1, 2, 3])
ex(S, "a .npy of the wrong dtype with --strict-dtypes", LINEAR,
   ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy", "--strict-dtypes"], {"xs.npy": F64},
   "`xs.npy` holds a float64 array of shape (3,); without `--strict-dtypes` it would be rounded to f32.")
ex(S, "a .npy of another kind", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<i8", (3,), [1, 2, 3])}, "`xs.npy` holds int64 values for an f32 parameter.")
ex(S, "an int64 value outside i32's range", "def f(k: i32[n]) -> i32:\n    return sum(k)\n",
   ["run", "bad.ax", "--fn", "f", "--arg", "k=k.npy"], {"k.npy": npy("<i8", (3,), [1, 3000000000, 3])},
   "`k.npy` holds int64 values; the second does not fit in i32.")
ex(S, "a .npy of the wrong rank", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3, 2), [1] * 6)}, "`xs.npy` holds a float32 array of shape (3, 2).")
ex(S, "a .npy of the wrong fixed size", "def f(x: f32[3]) -> f32:\n    return sum(x)\n",
   ["run", "bad.ax", "--fn", "f", "--arg", "x=x.npy"], {"x.npy": npy("<f4", (4,), [1] * 4)},
   "`x.npy` holds a float32 array of shape (4,).")
ex(S, "two .npy files that disagree on a size variable", LINEAR,
   ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy", "--arg", "ys=ys.npy"],
   {"xs.npy": npy("<f4", (3,), [1] * 3), "ys.npy": npy("<f4", (4,), [1] * 4)},
   "`xs.npy` holds 3 float32 values, `ys.npy` holds 4.")
ex(S, "a .npy that disagrees with --size", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy", "--size", "n=5"],
   {"xs.npy": npy("<f4", (3,), [1] * 3)}, "`xs.npy` holds 3 float32 values.")
ex(S, "a size variable that nothing fixes", LINEAR, ["run", "bad.ax", "--fn", "g"])
ex(S, "a negative size", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=-1"])
ex(S, "a size out of range", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=99999999999"])
ex(S, "a size that does not fit in 64 bits", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=99999999999999999999"])
ex(S, "sizes whose product is too large", "def f(x: f32[a, b]) -> f32:\n    return sum(x)\n",
   ["run", "bad.ax", "--fn", "f", "--size", "a=100000", "--size", "b=100000"])
ex(S, "a parameter too large to make random", "def f(x: f32[100000, 100000]) -> f32:\n    return sum(x)\n",
   ["run", "bad.ax", "--fn", "f"])
ex(S, "an unknown argument name", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=3", "--arg", "x=1"])
KB = "def f(k: i32, b: bool, x: f32[n]) -> f32[n]:\n    return where(b, x * f32(k), x)\n"
ex(S, "a number an i32 cannot hold", KB, ["run", "bad.ax", "--fn", "f", "--size", "n=3", "--arg", "k=3.5"])
ex(S, "a number that is not a bool", KB, ["run", "bad.ax", "--fn", "f", "--size", "n=3", "--arg", "b=nan"])
ex(S, "a number beyond the range of f32", KB, ["run", "bad.ax", "--fn", "f", "--size", "n=3", "--arg", "x=1e300"])
ex(S, "an argument given twice", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=3", "--arg", "w=1", "--arg", "w=2"])
ex(S, "a size given twice", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=3", "--size", "n=4"])
ex(S, "a size variable the entry does not have", LINEAR, ["run", "bad.ax", "--fn", "g", "--size", "n=3", "--size", "m=3"])
ex(S, "a missing .npy file", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=nothere.npy"])
ex(S, "a directory instead of a .npy file", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=dir.npy"],
   {"dir.npy/.keep": b""})
ex(S, "not a .npy file", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"], {"xs.npy": b"1,2,3\n"},
   "`xs.npy` is a text file.")
ex(S, "a truncated header", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3])[:40]}, "`xs.npy` is cut off inside its header.")
ex(S, "an unsupported .npy version", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": b"\x93NUMPY\x04\x00" + npy("<f4", (3,), [1, 2, 3])[8:]}, "`xs.npy` claims format version 4.0.")
ex(S, "a header that is not a dict", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], header="['descr', '<f4']")}, "the header of `xs.npy` is a list.")
ex(S, "a header without 'descr'", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], header="{'fortran_order': False, 'shape': (3,), }")})
ex(S, "a header without 'fortran_order'", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], header="{'descr': '<f4', 'shape': (3,), }")})
ex(S, "a header without 'shape'", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], header="{'descr': '<f4', 'fortran_order': False, }")})
ex(S, "a version 3.0 header that is not UTF-8", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], version=3)[:12] + b"\xff" + npy("<f4", (3,), [1, 2, 3], version=3)[13:]})
ex(S, "a Fortran-order array", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], header="{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }")})
ex(S, "an unsupported dtype", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<c8", (3,), [1, 2, 3, 0, 0, 0])}, "`xs.npy` holds complex64 values.")
ex(S, "a converted dtype with --strict-dtypes", LINEAR,
   ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy", "--strict-dtypes"],
   {"xs.npy": npy("<i8", (3,), [1, 2, 3])}, "`xs.npy` holds int64 values.")
ex(S, "a negative dimension", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }")})
ex(S, "a shape whose size overflows", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")})
ex(S, "truncated data", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3])[:-3]}, "`xs.npy` lost its last 3 bytes.")
ex(S, "extra bytes after the data", LINEAR, ["run", "bad.ax", "--fn", "g", "--arg", "xs=xs.npy"],
   {"xs.npy": npy("<f4", (3,), [1, 2, 3], raw_tail=b"\0\0")})

S = "Running and benchmarking"
ex(S, "an eager array that is too large", "def f(x: f32[n]) -> f32:\n    return sum(softmax(outer(x, x), axis=0))\n",
   ["run", "bad.ax", "--fn", "f", "--mode", "eager", "--size", "n=100000"])
ex(S, "a jit array that is too large (jit refuses what eager refuses, before allocating)",
   "def f(x: f32[n]) -> f32:\n    return sum(softmax(outer(x, x), axis=0))\n\ng = jit(f)\n",
   ["run", "bad.ax", "--fn", "g", "--size", "n=100000"])
ex(S, "a jit output that is too large", "def f(x: f32[n]) -> f32[n, n]:\n    return outer(x, x)\n\ng = jit(f)\n",
   ["run", "bad.ax", "--fn", "g", "--size", "n=50000"])
ex(S, "bench at its default size (n=100000) of an entry too large for it",
   "def f(x: f32[n]) -> f32:\n    return sum(softmax(outer(x, x), axis=0))\n\ng = jit(f)\n",
   ["bench", "bad.ax", "--fn", "g"])
ex(S, "`--modes loop` for an entry that is not a vmap", LINEAR,
   ["bench", "bad.ax", "--fn", "g", "--size", "n=10", "--runs", "1", "--modes", "loop"])


def run_example(axc, files, argv):
    with tempfile.TemporaryDirectory(prefix="axc-diag-") as d:
        for name, content in files.items():
            path = os.path.join(d, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
        r = subprocess.run([axc] + argv, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return r.returncode, r.stderr.decode(errors="replace"), r.stdout.decode(errors="replace")


def render(axc):
    out = [HEADER % LINEAR]
    sections = []
    for s, *_ in EXAMPLES:
        if s not in sections:
            sections.append(s)
    out.append("## Contents\n\n" + "".join("- [%s](#%s)\n" % (s, anchor(s)) for s in sections) + "\n")
    problems = []
    for s in sections:
        out.append("## %s\n\n" % s)
        for sec, title, files, argv, note in EXAMPLES:
            if sec != s:
                continue
            rc, err, _ = run_example(axc, files, argv)
            if rc not in (1, 2) or not err.strip():
                problems.append("%s / %s: exit %d\n%s" % (s, title, rc, err))
            out.append("### %s\n\n" % title)
            src = files.get("bad.ax")
            if isinstance(src, str) and len(src) <= 1200:
                out.append("```python\n# bad.ax\n%s```\n\n" % src)
            elif isinstance(src, str):
                out.append("`bad.ax` is %d lines long (generated by `scripts/gen_diagnostics.py`).\n\n" % src.count("\n"))
            if note:
                out.append(note + "\n\n")
            out.append("```console\n$ axc %s\n%s```\n\nExit code %d.\n\n" % (" ".join(argv), err, rc))
    out.append(FOOTER)
    return "".join(out), problems


def anchor(s):
    a = "".join(c for c in s.lower() if c.isalnum() or c in " -").replace(" ", "-")
    return a


HEADER = """\
# Diagnostics

Every error `axc` reports, with a small example and the message exactly as the tool prints it.
This file is generated: `python3 scripts/gen_diagnostics.py .build/debug/axc` runs each example with the
real binary and rewrites it; `--check` reports when it is stale. The golden tests in
`Tests/AxCoreTests/DiagnosticsTests.swift` hold the most important messages and check that every `axc check`
example below still renders as shown.

**Format.** An error in a program is `FILE:LINE:COL: error: message`, then the source line and a caret
under the column (`~` marks the rest of the range); notes, when there are any, follow as `note:` lines.
Errors that have no place in the source (bad inputs, missing files) are `FILE: error: message`.

**Exit codes.** 0 success; 1 a bad program or bad input (everything in this catalogue except the first
section); 2 bad usage of the command line; 3 an internal error — a bug in `axc`, never the program's fault
(see the end of this page).

Most examples are a file `bad.ax`, shown with them. The command-line and run-time examples use this
`mse.ax`:

```python
# mse.ax
%s```

"""

FOOTER = """\
## Internal errors (exit 3)

An internal error is printed as `axc: internal error: ...` and exits with code 3. It means `axc` itself is
wrong (a transform produced an ill-typed program, a shape rule disagreed with the IR verifier, libtcc
rejected generated C): please report it with the `.ax` file and the command line. The fuzzer
(`make fuzz`, `scripts/fuzz.py`) counts any of them as a finding, and every input that ever produced one is
kept under `Tests/AxCoreTests/Data/regressions/` and replayed by `RobustnessTests`.

## Checks with no example

A few checks guard the IR rather than the source language: the interpreter's and the primitives' own
dtype and shape checks (`select_n predicate must be bool`, `dot_general: dtypes ...`, `slice: bad start or
stride ...`, `pad: ...`, `concatenate: ... must be constant`, `iota: dimension ... out of range`,
`vmap: cannot broadcast ... to the batched shape`), the kernel's size checks (`kernel 'NAME' rejected the
sizes ... (code C)`, `per-example kernel rejected its sizes`, `size variable 'n' is negative`) and the
interpreter's input checks (`input 'x' must be f32[n], got ...`). The elaborator rejects every program that
would reach them first, and `axc run` validates inputs before calling a kernel, so no example here
triggers them; they are reported as ordinary errors (exit 1) if an embedding program calls the library
with bad inputs. The emitted C checks its sizes in the same way: a kernel returns a nonzero code for a
negative size or a size whose arrays would overflow (`docs/c-interface.md`).
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("axc")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/diagnostics.md"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    axc = os.path.abspath(args.axc)
    text, problems = render(axc)
    for p in problems:
        print("gen_diagnostics: example did not fail as expected: " + p, file=sys.stderr)
    if args.check:
        old = open(args.out).read() if os.path.exists(args.out) else ""
        if old != text:
            print("gen_diagnostics: %s is stale; rerun without --check" % args.out, file=sys.stderr)
            return 1
        return 1 if problems else 0
    with open(args.out, "w") as f:
        f.write(text)
    print("gen_diagnostics: wrote %s (%d examples)" % (args.out, len(EXAMPLES)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
