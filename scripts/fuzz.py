#!/usr/bin/env python3
# fuzz.py — a bounded fuzzer of axc's front end and runner: random bytes, token soups and sample mutations
# thrown at `axc check`, `axc ir` and `axc run`; crashes, hangs and internal errors are saved as regressions.
"""Usage: scripts/fuzz.py AXC [--seconds S] [--seed N] [--out DIR] [--samples DIR]

Every generated program is run through `axc check`, `axc ir --fn NAME` and `axc run --fn NAME [--size n=3]`
(NAME is an entry found in the text, or a made-up one), each with a 5 s timeout. A finding is a run that
was killed by a signal, exited with a code other than 0 or 1, timed out, or printed an internal error.
Each finding is saved under DIR (default Tests/AxCoreTests/Data/regressions/) as `fuzz-<kind>-<hash>.ax`,
unless an input with the same hash is already there. The last line is `fuzz: N passed, N failed`.
"""
import argparse
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 5.0

KEYWORDS = ["def", "return", "if", "elif", "else", "for", "in", "and", "or", "not", "True", "False", "None", "pass"]
BUILTINS = ["exp", "log", "log1p", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "maximum",
            "minimum", "where", "f32", "f64", "i32", "bool", "sum", "mean", "max", "min", "logsumexp", "softmax",
            "dot", "einsum", "outer", "transpose", "reshape", "broadcast_to", "concatenate", "stack", "zeros",
            "ones", "full", "arange", "eye", "range", "jit", "vmap", "grad", "value_and_grad", "axis", "keepdims",
            "in_axes", "out_axes", "axis_size", "argnums", "dtype"]
OPS = ["+", "-", "*", "/", "**", "@", "<", "<=", ">", ">=", "==", "!=", "=", "(", ")", "[", "]", ",", ":", ".",
       "->", ".T", "\n", "\n    ", "\n        ", "    "]
NUMBERS = ["0", "1", "2", "-1", "3", "0.5", "1e308", "1e-320", "1e400", "99999999999999999999999", "100000000000",
           "-100000000000", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "2147483648",
           "0x10", "1_000", ".5", "5.", "1e", "nan", "inf"]
NAMES = ["x", "y", "n", "m", "w", "b", "params", "f", "g", "xs", "ys", "i", "k"]
SHAPES = ["f32[100000000000]", "f32[100000000000, 100000000000]", "f32[0]", "f32[-1]", "f32[n, n, n, n, n, n, n, n]",
          "f32[9223372036854775807]", "f64[n]", "i32[3]", "bool[n]", "f32[]", "f32[n,]", "f32[1e3]", "f32[n, 0]",
          "(f32, (f32, (f32, f32)))", "f32[4294967296, 4294967296]", "f32[n+1]"]
BIG_CALLS = ["zeros((100000, 100000, 100000))", "ones((100000000000,))", "arange(100000000000)",
             "eye(10000000)", "full((1 << 40,), 1.0)", "reshape(x, (-1, -1))", "zeros((-5,))",
             "broadcast_to(x, (100000000, 100000000))", "arange(-3)", "eye(0)", "sum(x, axis=100)"]


def entry_names(text):
    """Entry names (defs and top-level bindings) found in `text` by a rough scan."""
    names = re.findall(r"^def\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M)
    names += re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", text, re.M)
    return names


def random_bytes(rng):
    n = rng.choice([0, 1, 8, 64, 512, 4096])
    pool = rng.choice([range(256), range(9, 127), b"\t\n ()[]:,=#\"'\\\x00\xff\xc3"])
    return bytes(rng.choice(list(pool)) for _ in range(n))


def token_soup(rng):
    vocab = KEYWORDS + BUILTINS + OPS + NUMBERS + NAMES + SHAPES
    toks = [rng.choice(vocab) for _ in range(rng.randint(1, 200))]
    head = rng.choice(["", "def f(x: f32) -> f32:\n    return ", "def f(x: f32[n]) -> f32[n]:\n    "])
    return (head + " ".join(toks) + "\n").encode()


def deep_nesting(rng):
    depth = rng.choice([50, 200, 1000, 5000, 100000])
    kind = rng.randrange(6)
    if kind == 0:
        body = "(" * depth + "x" + ")" * depth
    elif kind == 1:
        body = "-" * depth + "x"
    elif kind == 2:
        body = "exp(" * depth + "x" + ")" * depth
    elif kind == 3:
        body = "x" + " + x" * depth
    elif kind == 4:
        body = "[" * depth + "x" + "]" * depth
    else:
        body = "x" + "[0]" * depth
    prog = "def f(x: f32) -> f32:\n    return " + body + "\n"
    if rng.random() < 0.3:
        prog += "g = " + "jit(" * depth + "f" + ")" * depth + "\n"
    if rng.random() < 0.3:
        prog = "def f(x: f32) -> f32:\n" + "".join("    " * (i + 1) + "if x > 0:\n" for i in range(min(depth, 2000))) \
            + "    " * (min(depth, 2000) + 1) + "return x\n"
    return prog.encode()


TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+\.\d*(?:e-?\d+)?|\d+|\*\*|->|<=|>=|==|!=|\S")


def mutate(rng, text):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(10)
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        if op == 0:  # delete a line
            del lines[i]
        elif op == 1:  # duplicate a line
            lines.insert(i, lines[i])
        elif op == 2:  # swap two tokens in a line
            toks = TOKEN_RE.findall(lines[i])
            if len(toks) >= 2:
                a, b = rng.sample(range(len(toks)), 2)
                toks[a], toks[b] = toks[b], toks[a]
                indent = re.match(r"\s*", lines[i]).group(0)
                lines[i] = indent + " ".join(toks)
        elif op == 3:  # numeric literal to a huge / negative / zero value
            nums = list(re.finditer(r"\b\d+(\.\d+)?\b", lines[i]))
            if nums:
                m = rng.choice(nums)
                lines[i] = lines[i][:m.start()] + rng.choice(NUMBERS) + lines[i][m.end():]
        elif op == 4:  # shape annotation change
            shapes = list(re.finditer(r"\b(f32|f64|i32|bool)(\[[^\]]*\])?", lines[i]))
            if shapes:
                m = rng.choice(shapes)
                lines[i] = lines[i][:m.start()] + rng.choice(SHAPES) + lines[i][m.end():]
        elif op == 5:  # replace an expression by an absurd constructor
            if "return" in lines[i]:
                lines[i] = re.sub(r"return .*", "return " + rng.choice(BIG_CALLS), lines[i])
            else:
                lines.insert(i, "    z = " + rng.choice(BIG_CALLS))
        elif op == 6:  # replace a token by a vocabulary word
            toks = list(TOKEN_RE.finditer(lines[i]))
            if toks:
                m = rng.choice(toks)
                word = rng.choice(KEYWORDS + BUILTINS + OPS + NAMES + NUMBERS)
                lines[i] = lines[i][:m.start()] + word + lines[i][m.end():]
        elif op == 7:  # indentation damage
            lines[i] = rng.choice(["", " ", "\t", "        ", "  "]) + lines[i].lstrip()
        elif op == 9:  # a transform of an existing def with an absurd axis_size / axes
            defs = re.findall(r"^def\s+([A-Za-z_][A-Za-z0-9_]*)", "\n".join(lines), re.M)
            if defs:
                lines.append("fz = %s(vmap(%s, in_axes=%s, axis_size=%s%s))" % (
                    rng.choice(["jit", "grad", "value_and_grad"]), rng.choice(defs), rng.choice(["None", "0", "-1", "5"]),
                    rng.choice(["0", "1", "100000", "100000000000", "-3"]), rng.choice(["", ", out_axes=None", ", out_axes=-1"])))
        else:  # truncate the file at a random byte
            joined = "\n".join(lines)
            cut = rng.randrange(len(joined) + 1)
            lines = joined[:cut].split("\n")
    return "\n".join(lines).encode()


def classify(cmd, data, axc, workdir):
    """Runs one command on `data`; returns None when fine, else (kind, detail)."""
    path = os.path.join(workdir, "input.ax")
    with open(path, "wb") as f:
        f.write(data)
    argv = [axc] + [path if a == "{file}" else a for a in cmd]
    for attempt in range(20):
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIMEOUT, cwd=workdir)
            break
        except subprocess.TimeoutExpired:
            return ("hang", "timeout after %gs: %s" % (TIMEOUT, " ".join(argv[1:])))
        except OSError as e:  # the binary is being rebuilt (ETXTBSY) or briefly missing: wait for it
            if attempt == 19:
                raise
            print("fuzz: cannot start %s (%s); retrying" % (axc, e.strerror), flush=True)
            time.sleep(1)
    err = r.stderr.decode(errors="replace")
    if r.returncode < 0:
        return ("crash", "signal %d: %s\n%s" % (-r.returncode, " ".join(argv[1:]), err[-2000:]))
    if r.returncode == 3 or "internal error" in err:
        return ("internal", "exit %d: %s\n%s" % (r.returncode, " ".join(argv[1:]), err[-2000:]))
    if r.returncode not in (0, 1):
        return ("exit%d" % r.returncode, "exit %d: %s\n%s" % (r.returncode, " ".join(argv[1:]), err[-2000:]))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("axc")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 300)))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", int(time.time()))))
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/AxCoreTests/Data/regressions"))
    ap.add_argument("--samples", default=os.path.join(ROOT, "Samples"))
    args = ap.parse_args()
    args.axc = os.path.abspath(args.axc)  # commands run in a scratch directory
    if not os.access(args.axc, os.X_OK):
        print("fuzz: %s is not an executable; build axc first" % args.axc, file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    samples = [open(os.path.join(args.samples, f)).read() for f in sorted(os.listdir(args.samples)) if f.endswith(".ax")]
    os.makedirs(args.out, exist_ok=True)
    print("fuzz: seed %d, %gs, %s" % (args.seed, args.seconds, args.axc), flush=True)
    passed = failed = 0
    findings = []
    start = last = time.time()
    with tempfile.TemporaryDirectory(prefix="axc-fuzz-") as work:
        while time.time() - start < args.seconds:
            r = rng.random()
            if r < 0.1:
                gen, data = "bytes", random_bytes(rng)
            elif r < 0.3:
                gen, data = "soup", token_soup(rng)
            elif r < 0.4:
                gen, data = "nest", deep_nesting(rng)
            else:
                gen, data = "mut", mutate(rng, rng.choice(samples))
            text = data.decode(errors="replace")
            names = entry_names(text) or ["f"]
            fn = rng.choice(names)
            cmds = [["check", "{file}"], ["ir", "{file}", "--fn", fn,
                                          "--stage", rng.choice(["parsed", "transformed", "optimized"])],
                    ["run", "{file}", "--fn", fn, "--mode", rng.choice(["jit", "eager"])]
                    # --size for a size variable the entry lacks is an error: give n only when it may have one
                    + (["--size", "n=3"] if re.search(rb"\bn\b|vmap", data) else [])]
            for cmd in cmds:
                if time.time() - start >= args.seconds:
                    break
                bad = classify(cmd, data, args.axc, work)
                if bad is None:
                    passed += 1
                    continue
                failed += 1
                kind, detail = bad
                digest = hashlib.sha1(data + " ".join(cmd[0:1]).encode()).hexdigest()[:10]
                name = "fuzz-%s-%s-%s.ax" % (cmd[0], kind, digest)
                dest = os.path.join(args.out, name)
                if not os.path.exists(dest):
                    with open(dest, "wb") as f:
                        f.write(data)
                findings.append((name, detail))
                print("fuzz: FINDING %s (%s)\n  %s" % (name, gen, detail.replace("\n", "\n  ")[:1500]), flush=True)
            if time.time() - last >= 10:
                last = time.time()
                print("fuzz: %3.0fs  %d runs, %d findings" % (last - start, passed + failed, failed), flush=True)
    for name, _ in findings:
        print("fuzz: saved %s" % name)
    print("fuzz: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
