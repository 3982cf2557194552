// The jax.numpy / jax.nn vocabulary that is an exact composition of existing primitives (docs/language.md,
// "More builtins"): each is lowered the way JAX defines it, so vmap, grad and C lowering come from its primitives.
// Also: the name prefixes (`jnp.`, `jax.nn.`...), constants, methods (`x.sum()`), `//` and `%`, "did you mean".

import Foundation

extension Ops {
    /// Signatures of the builtins of this file (merged into `Ops.signatures`).
    static let vocabularySignatures: [String: String] = {
        var s: [String: String] = [:]
        for f in ["square", "reciprocal", "isnan", "isinf", "isfinite", "logical_not", "log2", "log10", "softplus",
                  "silu", "swish", "log_sigmoid", "negative", "absolute", "ravel", "relu6", "hard_tanh", "soft_sign",
                  "hard_sigmoid", "hard_silu", "hard_swish"] { s[f] = "\(f)(x)" }
        s["nan_to_num"] = "nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None)"
        s["swapaxes"] = "swapaxes(a, axis1, axis2)"; s["moveaxis"] = "moveaxis(a, source, destination)"
        s["hstack"] = "hstack(tup)"; s["vstack"] = "vstack(tup)"
        s["count_nonzero"] = "count_nonzero(a, axis=None, keepdims=False)"
        s["array"] = "array(object, dtype=None)"; s["asarray"] = "asarray(a, dtype=None)"
        for f in ["deg2rad", "rad2deg", "degrees", "radians", "atleast_1d", "atleast_2d", "positive"] { s[f] = "\(f)(x)" }
        s["ptp"] = "ptp(a, axis=None, keepdims=False)"
        s["identity"] = "identity(n, dtype=None)"
        s["average"] = "average(a, axis=None, weights=None, keepdims=False)"
        for f in ["power", "pow", "logical_and", "logical_or", "logical_xor", "floor_divide", "remainder", "mod",
                  "add", "subtract", "multiply", "divide", "true_divide", "logaddexp",
                  "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"] { s[f] = "\(f)(x1, x2)" }
        s["clip"] = "clip(x, min=None, max=None)"
        s["gelu"] = "gelu(x, approximate=True)"
        s["leaky_relu"] = "leaky_relu(x, negative_slope=0.01)"
        s["elu"] = "elu(x, alpha=1.0)"
        for f in ["var", "std"] { s[f] = "\(f)(a, axis=None, ddof=0, keepdims=False)" }
        for f in ["argmax", "argmin"] { s[f] = "\(f)(a, axis=None, keepdims=False)" }
        for f in ["any", "all"] { s[f] = "\(f)(a, axis=None, keepdims=False)" }
        for f in ["amax", "amin"] { s[f] = "\(f)(a, axis=None, keepdims=False, initial=None, where=None)" }
        s["norm"] = "norm(x, ord=None, axis=None, keepdims=False)"
        s["log_softmax"] = "log_softmax(x, axis=-1)"
        s["zeros_like"] = "zeros_like(a, dtype=None)"; s["ones_like"] = "ones_like(a, dtype=None)"
        s["full_like"] = "full_like(a, fill_value, dtype=None)"
        s["linspace"] = "linspace(start, stop, num=50, endpoint=True, dtype=None)"
        s["one_hot"] = "one_hot(x, num_classes, dtype=f32, axis=-1)"
        s["expand_dims"] = "expand_dims(a, axis)"
        s["squeeze"] = "squeeze(a, axis=None)"
        s["tril"] = "tril(m, k=0)"; s["triu"] = "triu(m, k=0)"
        s["tile"] = "tile(A, reps)"
        s["repeat"] = "repeat(a, repeats, axis=None)"
        s["diag"] = "diag(v, k=0)"
        s["trace"] = "trace(a, offset=0, axis1=0, axis2=1)"
        s["matmul"] = "matmul(a, b)"; s["inner"] = "inner(a, b)"; s["vdot"] = "vdot(a, b)"
        s["pad"] = "pad(array, pad_width, mode=\"constant\", constant_values=0)"
        return s
    }()

    /// Names JAX code puts before a builtin; `jnp.sum(x)` is `sum(x)` (docs/language.md).
    static let namePrefixes: Set<String> = ["jnp", "jax.numpy", "jax.nn", "jax.lax", "lax", "jax", "jax.scipy.special",
                                            "jnp.linalg", "jax.numpy.linalg"]

    /// Prefixes accepted before constants and dtype names only (`np.pi`, `math.inf`, `np.float32`): NumPy's and
    /// math's functions do not run on traced arrays in JAX either.
    static let constantPrefixes: Set<String> = ["np", "numpy", "math"]

    /// `lax.max` is element-wise (jax.lax's names); under the `lax.` prefixes these names mean these builtins.
    static let laxNames: [String: String] = ["max": "maximum", "min": "minimum", "logistic": "sigmoid", "neg": "negative",
                                             "sub": "subtract", "mul": "multiply", "ne": "not_equal", "eq": "equal",
                                             "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"]

    /// Constants: Python floats (weakly typed), and `newaxis` (None).
    static let constants: [String: Value] = [
        "inf": .array(.lit(.infinity, .f32), weak: true), "nan": .array(.lit(.nan, .f32), weak: true),
        "pi": .array(.lit(Double.pi, .f32), weak: true), "e": .array(.lit(M_E, .f32), weak: true),
        "newaxis": .none,
    ]

    /// NumPy's dtype names (`jnp.float32`), usable as `dtype=` values, in `x.astype(...)` and as casts.
    static let dtypeAliases: [String: DType] = ["float32": .f32, "float64": .f64, "int32": .i32, "bool_": .bool]

    /// jax.numpy / jax.nn names that need a primitive axc does not have yet, with what they need.
    static let unsupportedNames: [String: String] = {
        var u: [String: String] = [:]
        // (floor, ceil, round, trunc, tan, arctan, arctan2, arcsin, arccos, sinh, cosh, arctanh, expm1, exp2, erf,
        // erfc, fmod, flip and the cumulative ops are builtins: MathBuiltins.swift.)
        for f in ["rint", "fix", "arcsinh", "arccosh", "erf_inv", "erfinv", "cbrt", "lgamma", "digamma",
                  "logaddexp2", "sinc", "hypot", "copysign", "nextafter"] {
            u[f] = "it needs a new element-wise primitive"
        }
        for f in ["celu", "selu"] { u[f] = "it is not written yet" }
        for f in ["median", "sort", "argsort", "cumulative_sum", "cumulative_prod", "nanmax", "nanmin", "nansum", "nanmean"] {
            u[f] = "it needs a new reduction or scan primitive"
        }
        for f in ["rot90", "roll"] { u[f] = "it is not written yet" }
        for f in ["diagonal", "searchsorted", "unique", "nonzero", "argwhere"] {
            u[f] = "it needs a gather primitive"
        }
        return u
    }()

    /// The methods of arrays and the builtin each calls with the array first.
    static let methods: [String: String] = [
        "sum": "sum", "prod": "prod", "mean": "mean", "max": "max", "min": "min", "var": "var", "std": "std", "argmax": "argmax",
        "argmin": "argmin", "any": "any", "all": "all", "clip": "clip", "squeeze": "squeeze", "dot": "dot",
        "transpose": "transpose", "reshape": "reshape", "ravel": "ravel", "flatten": "ravel", "trace": "trace",
        "repeat": "repeat", "astype": "astype",
    ]

    // MARK: - Dispatch

    /// The builtins of this file; nil if `name` is not one of them.
    func callVocabulary(_ name: String, _ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Value? {
        func arg(_ p: String) -> (Value, SourceRange) { a[p] ?? (.none, r) }
        switch name {
        case "square":
            let x = try numeric(arg("x"), name)
            return .array(try emit(.integerPow(2), [x]), weak: false)
        case "reciprocal":
            return .array(try emit(.integerPow(-1), [try floatArray(arg("x"), name)]), weak: false)
        case "power", "pow": return try binary("**", arg("x1").0, arg("x2").0, at: r)
        case "add": return try binary("+", arg("x1").0, arg("x2").0, at: r)
        case "subtract": return try binary("-", arg("x1").0, arg("x2").0, at: r)
        case "multiply": return try binary("*", arg("x1").0, arg("x2").0, at: r)
        case "divide", "true_divide": return try binary("/", arg("x1").0, arg("x2").0, at: r)
        case "floor_divide": return try binary("//", arg("x1").0, arg("x2").0, at: r)
        case "remainder", "mod": return try binary("%", arg("x1").0, arg("x2").0, at: r)
        case "equal", "not_equal", "less", "less_equal", "greater", "greater_equal":
            let sym = ["equal": "==", "not_equal": "!=", "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">="][name]!
            return try binary(sym, arg("x1").0, arg("x2").0, at: r)
        case "negative": return try unary("-", arg("x").0, at: r)
        case "absolute": return try callBuiltin("abs", args: [arg("x")], kwargs: [], at: r)
        case "amax", "amin":
            let kw = ["axis", "keepdims", "initial", "where"].compactMap { k in a[k].map { (k, $0.0, $0.1) } }
            return try callBuiltin(name == "amax" ? "max" : "min", args: [arg("a")], kwargs: kw, at: r)
        case "ravel": return .array(try ravel(try arrayArg(arg("x"), name), r), weak: false)
        case "clip":
            var x = arg("x")
            for (bound, op) in [("min", BinaryOp.max), ("max", BinaryOp.min)] {
                guard let bv = a[bound], !isNone(bv.0) else { continue }
                let xa = try arrayAtom(x.0, name, x.1), ba = try arrayAtom(bv.0, name, bv.1)
                x = (try elementwise(op, name, ba, xa, at: r), x.1)   // maximum(min, x), then minimum(max, x), as jnp.clip
            }
            return materialize(x.0, dtype: nil)
        case "isnan", "isinf", "isfinite":
            let x = try arrayArg(arg("x"), name)
            guard x.type.dtype.isFloat else { return try filled(.lit(name == "isfinite" ? 1 : 0, .bool), x.type.shape) }
            switch name {
            case "isnan": return .array(try emit(.binary(.ne), [x, x]), weak: false)
            case "isinf": return .array(try emit(.binary(.eq), [try emit(.unary(.abs), [x]), .lit(.infinity, x.type.dtype)]), weak: false)
            default: return .array(try emit(.binary(.lt), [try emit(.unary(.abs), [x]), .lit(.infinity, x.type.dtype)]), weak: false)
            }
        case "logical_and", "logical_or", "logical_xor":
            let x = try toBool(arg("x1"), name), y = try toBool(arg("x2"), name)
            let op: BinaryOp = name == "logical_and" ? .and : name == "logical_or" ? .or : .ne
            return try elementwise(op, name, x, y, at: r)
        case "logical_not":
            let (x, weak) = try toBool(arg("x"), name)
            if case .lit(let v, _) = x { return .array(.lit(v == 0 ? 1 : 0, .bool), weak: weak) }
            return .array(try emit(.unary(.not), [x]), weak: false)
        case "log2", "log10":
            let x = try floatArray(arg("x"), name)
            let t = x.type.dtype
            let l = try emit(.unary(.log), [x])
            // jnp.log2 divides by log(2); jnp.log10 multiplies by 1/log(10) rounded to the dtype.
            if name == "log2" { return .array(try emit(.binary(.div), [l, .lit(rounded(Foundation.log(2.0), t), t)]), weak: false) }
            return .array(try emit(.binary(.mul), [l, .lit(rounded(0.4342944819032518, t), t)]), weak: false)
        case "logaddexp":
            let xa = try arrayAtom(arg("x1").0, name, arg("x1").1), ya = try arrayAtom(arg("x2").0, name, arg("x2").1)
            var t = try promote(name, xa, ya, at: r)
            if !t.isFloat { t = .f32 }
            let x = try materializeAtom(xa, t), y = try materializeAtom(ya, t)
            guard let shape = Ops.broadcastShapes(x.type.shape, y.type.shape) else {
                throw Diagnostic("logaddexp: cannot broadcast \(x.type) and \(y.type)", at: r)
            }
            return .array(try logaddexp(try broadcast(x, to: shape), try broadcast(y, to: shape)), weak: false)
        case "softplus":
            let x = try floatArray(arg("x"), name)
            return .array(try logaddexp(x, .lit(0, x.type.dtype)), weak: false)
        case "log_sigmoid":
            let x = try floatArray(arg("x"), name)
            let sp = try logaddexp(try emit(.unary(.neg), [x]), .lit(0, x.type.dtype))
            return .array(try emit(.unary(.neg), [sp]), weak: false)
        case "silu", "swish":
            let x = try floatArray(arg("x"), name)
            return .array(try emit(.binary(.mul), [x, try emit(.unary(.logistic), [x])]), weak: false)
        case "elu":
            // where(x > 0, x, alpha * expm1(where(x > 0, 0, x))), as jax.nn.elu (the inner where keeps expm1 finite).
            let x = try floatArray(arg("x"), name), t = x.type.dtype
            let alphaV = a["alpha"] ?? (.array(.lit(1, .f32), weak: true), r)
            guard case .array(.lit(let alpha, _), _) = alphaV.0 else { throw Diagnostic("elu: alpha must be a number", at: alphaV.1) }
            let positive = try emit(.binary(.gt), [x, .lit(0, t)])
            let safe = try emit(.select, [positive, x, .lit(0, t)])
            let negative = try emit(.binary(.mul), [.lit(rounded(alpha, t), t), try emit(.unary(.expm1), [safe])])
            return .array(try emit(.select, [positive, negative, x]), weak: false)
        case "leaky_relu":
            let xv = arg("x")
            let x = try arrayAtom(materialize(xv.0, dtype: nil), name, xv.1).atom
            let slope = a["negative_slope"] ?? (.array(.lit(0.01, .f32), weak: true), r)
            let neg = try elementwise(.mul, name, try arrayAtom(slope.0, name, slope.1), (x, false), at: r)
            let c = try emit(.binary(.ge), [x, .lit(0, x.type.dtype)])
            return try whereCall((.array(c, weak: false), r), (.array(x, weak: false), r), (neg, r), at: r)
        case "gelu":
            let x = try floatArray(arg("x"), name)
            let t = x.type.dtype
            func lit(_ v: Double) -> Atom { .lit(rounded(v, t), t) }
            if let ap = a["approximate"], try boolArg(ap, "approximate") == false {
                // 0.5 * x * erfc(-x / sqrt(2)), as jax.nn.gelu(approximate=False)
                let e = try emit(.unary(.erfc), [try emit(.binary(.mul), [try emit(.unary(.neg), [x]), lit(0.5.squareRoot())])])
                return .array(try emit(.binary(.mul), [try emit(.binary(.mul), [lit(0.5), x]), e]), weak: false)
            }
            // 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3))) * x, as jax.nn.gelu(approximate=True)
            let x3 = try emit(.integerPow(3), [x])
            let inner = try emit(.binary(.add), [x, try emit(.binary(.mul), [lit(0.044715), x3])])
            let th = try emit(.unary(.tanh), [try emit(.binary(.mul), [lit((2 / Double.pi).squareRoot()), inner])])
            let cdf = try emit(.binary(.mul), [lit(0.5), try emit(.binary(.add), [lit(1), th])])
            return .array(try emit(.binary(.mul), [x, cdf]), weak: false)
        case "var", "std":
            let x0 = try arrayArg(arg("a"), name)
            let x = x0.type.dtype.isFloat ? x0 : try cast(x0, .f32)
            let axes = try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            let ddof = try numberArg(a["ddof"], "ddof") ?? 0
            return .array(try variance(x, axes, ddof: ddof, keepdims: keep, std: name == "std"), weak: false)
        case "argmax", "argmin":
            return .array(try argExtreme(name, arg("a"), arg("axis"), keepdims: try boolArg(arg("keepdims"), "keepdims") ?? false, at: r), weak: false)
        case "any", "all":
            let (b, _) = try toBool(arg("a"), name)
            let x = b.isLiteral ? try broadcast(b, to: []) : b
            let axes = try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            if x.isLiteral { return .array(x, weak: false) }
            let i = try cast(x, .i32)
            var out = try emit(.binary(.gt), [try reduce(name == "any" ? "max" : "min", i, axes), .lit(0, .i32)])
            if keep { out = try expandDims(out, at: axes) }
            return .array(out, weak: false)
        case "norm": return .array(try norm(a, at: r), weak: false)
        case "log_softmax":
            let x = try floatArray(arg("x"), name)
            let axisV = a["axis"] ?? (.array(.lit(-1, .i32), weak: true), r)
            return .array(try logSoftmax(x, try axesArg(axisV, rank: x.type.rank, of: x.type)), weak: false)
        case "zeros_like", "ones_like", "full_like":
            let x = try arrayArg(arg("a"), name)
            let t = try dtypeArg(a["dtype"]) ?? x.type.dtype
            let fill: (Value, SourceRange) = name == "full_like" ? arg("fill_value")
                : (.array(.lit(name == "ones_like" ? 1 : 0, .i32), weak: true), r)
            var v = try arrayAtom(materialize(fill.0, dtype: t), name, fill.1).atom
            v = try cast(v, t)
            if v.isLiteral { return try filled(v, x.type.shape) }
            guard Ops.broadcastShapes(v.type.shape, x.type.shape) == x.type.shape else {
                throw Diagnostic("full_like: cannot broadcast fill value \(v.type) to shape \(shapeText(x.type.shape))", at: fill.1)
            }
            return .array(try broadcast(v, to: x.type.shape), weak: false)
        case "linspace": return try linspace(a, at: r)
        case "one_hot": return .array(try oneHot(a, at: r), weak: false)
        case "expand_dims":
            let x = try arrayArg(arg("a"), name)
            let k = try intList(arg("axis"), "axis")
            let axes = try k.map { try normAxis($0, x.type.rank + k.count, x.type, arg("axis").1) }
            guard Set(axes).count == axes.count else { throw Diagnostic("repeated axis in \(k)", at: arg("axis").1) }
            return .array(try expandDims(x, at: axes.sorted()), weak: false)
        case "squeeze":
            let x = try arrayArg(arg("a"), name)
            guard let axV = a["axis"], !isNone(axV.0) else {
                return .array(try squeeze(x, x.type.shape.indices.filter { x.type.shape[$0] == .const(1) }), weak: false)
            }
            let axes = try axesArg(axV, rank: x.type.rank, of: x.type)
            for ax in axes where x.type.shape[ax] != .const(1) {
                throw Diagnostic("squeeze: axis \(ax) of \(x.type) has size \(x.type.shape[ax]), not 1", at: axV.1)
            }
            return .array(try squeeze(x, axes), weak: false)
        case "tril", "triu": return .array(try triangle(name, arg("m"), a["k"], at: r), weak: false)
        case "tile": return .array(try tile(try arrayArg(arg("A"), name), arg("reps"), at: r), weak: false)
        case "repeat": return .array(try repeatCall(arg("a"), arg("repeats"), arg("axis"), at: r), weak: false)
        case "diag": return .array(try diag(try arrayArg(arg("v"), name), a["k"], at: r), weak: false)
        case "trace": return .array(try traceCall(a, at: r), weak: false)
        case "matmul": return try matmul(arg("a").0, arg("b").0, at: r)
        case "inner", "vdot": return try innerCall(name, arg("a"), arg("b"), at: r)
        case "pad": return .array(try padCall(a, at: r), weak: false)
        case "array", "asarray":
            let (v, vr) = name == "array" ? arg("object") : arg("a")
            return .array(try arrayLiteral(v, vr, try dtypeArg(a["dtype"]), name), weak: false)
        case "deg2rad", "radians", "rad2deg", "degrees":
            let x = try floatArray(arg("x"), name)
            let t = x.type.dtype
            let k = name == "deg2rad" || name == "radians" ? Double.pi / 180 : 180 / Double.pi
            return .array(try emit(.binary(.mul), [x, .lit(rounded(k, t), t)]), weak: false)
        case "positive":
            let x = try numeric(arg("x"), name)
            return .array(x, weak: false)
        case "atleast_1d", "atleast_2d":
            let x = try arrayArg(arg("x"), name)
            let want = name == "atleast_1d" ? 1 : 2
            guard x.type.rank < want else { return .array(x, weak: false) }
            // jnp.atleast_2d puts a vector in a row (1, n); a scalar becomes (1,) or (1, 1).
            return .array(try reshaped(x, Array(repeating: .const(1), count: want - x.type.rank) + x.type.shape), weak: false)
        case "ptp":
            let x = try numeric(arg("a"), name)
            let axes = try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            let hi = try reduction("max", x, axes, keepdims: keep), lo = try reduction("min", x, axes, keepdims: keep)
            return .array(try emit(.binary(.sub), [hi, lo]), weak: false)
        case "identity":
            return try eyeCall(["N": arg("n"), "dtype": a["dtype"] ?? (.none, r)], at: r)
        case "average":
            guard let w = a["weights"], !isNone(w.0) else {
                let kw = ["axis", "keepdims"].compactMap { k in a[k].map { (k, $0.0, $0.1) } }
                return try callBuiltin("mean", args: [arg("a")], kwargs: kw, at: r)
            }
            let x0 = try arrayArg(arg("a"), name), w0 = try arrayArg(w, name)
            guard x0.type.shape == w0.type.shape else {
                throw Diagnostic("average: weights \(w0.type) must have the shape of a \(x0.type) (broadcast weights are not supported)", at: w.1)
            }
            var t = try promote(name, (x0, false), (w0, false), at: r)
            if !t.isFloat { t = .f32 }
            let x = try cast(x0, t), wt = try cast(w0, t)
            let axes = try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            let num = try reduction("sum", try emit(.binary(.mul), [x, wt]), axes, keepdims: keep)
            let den = try reduction("sum", wt, axes, keepdims: keep)
            return .array(try emit(.binary(.div), [num, den]), weak: false)
        case "relu6", "hard_sigmoid", "hard_silu", "hard_swish":
            let x = try floatArray(arg("x"), name)
            let t = x.type.dtype
            // relu6 = minimum(maximum(x, 0), 6) with JAX's custom derivative (1 inside (0, 6), 0 at both ends):
            // relu's select (0 for x <= 0, NaN kept), then select 6 where that is >= 6.
            func relu6(_ v: Atom) throws -> Atom {
                let r = try emit(.select, [try emit(.binary(.le), [v, .lit(0, t)]), v, .lit(0, t)])
                return try emit(.select, [try emit(.binary(.ge), [r, .lit(6, t)]), r, .lit(6, t)])
            }
            if name == "relu6" { return .array(try relu6(x), weak: false) }
            let hs = try emit(.binary(.div), [try relu6(try emit(.binary(.add), [x, .lit(3, t)])), .lit(6, t)])
            return .array(name == "hard_sigmoid" ? hs : try emit(.binary(.mul), [x, hs]), weak: false)
        case "hard_tanh":
            let x = try floatArray(arg("x"), name)
            let t = x.type.dtype
            let inner = try emit(.select, [try emit(.binary(.lt), [x, .lit(-1, t)]), x, .lit(-1, t)])
            return .array(try emit(.select, [try emit(.binary(.gt), [x, .lit(1, t)]), inner, .lit(1, t)]), weak: false)
        case "soft_sign":
            let x = try floatArray(arg("x"), name)
            let d = try emit(.binary(.add), [try emit(.unary(.abs), [x]), .lit(1, x.type.dtype)])
            return .array(try emit(.binary(.div), [x, d]), weak: false)
        case "nan_to_num":
            let x = try arrayArg(arg("x"), name)
            let t = x.type.dtype
            guard t.isFloat else { return .array(x, weak: false) }
            let big = t == .f32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
            func value(_ p: String, _ dflt: Double) throws -> Atom {
                guard let v = a[p], !isNone(v.0) else { return .lit(dflt, t) }
                let at = try materializeAtom(try arrayAtom(v.0, name, v.1), t)
                guard at.type.rank == 0 else { throw Diagnostic("nan_to_num: \(p) must be a scalar, got \(at.type)", at: v.1) }
                return at
            }
            var out = try emit(.select, [try emit(.binary(.ne), [x, x]), x, try value("nan", 0)])
            out = try emit(.select, [try emit(.binary(.eq), [out, .lit(.infinity, t)]), out, try value("posinf", big)])
            out = try emit(.select, [try emit(.binary(.eq), [out, .lit(-.infinity, t)]), out, try value("neginf", -big)])
            return .array(out, weak: false)
        case "swapaxes":
            let x = try arrayArg(arg("a"), name)
            let i = try normAxis(try intArg(a["axis1"], "axis1")!, x.type.rank, x.type, arg("axis1").1)
            let j = try normAxis(try intArg(a["axis2"], "axis2")!, x.type.rank, x.type, arg("axis2").1)
            var perm = Array(0..<x.type.rank)
            perm.swapAt(i, j)
            return .array(try transposed(x, perm), weak: false)
        case "moveaxis":
            let x = try arrayArg(arg("a"), name)
            let src = try intList(arg("source"), "source").map { try normAxis($0, x.type.rank, x.type, arg("source").1) }
            let dst = try intList(arg("destination"), "destination").map { try normAxis($0, x.type.rank, x.type, arg("destination").1) }
            guard src.count == dst.count, Set(src).count == src.count, Set(dst).count == dst.count else {
                throw Diagnostic("moveaxis: source \(src) and destination \(dst) must be distinct axes, as many of each", at: r)
            }
            var perm = (0..<x.type.rank).filter { !src.contains($0) }
            for (d, sAxis) in zip(dst, src).sorted(by: { $0.0 < $1.0 }) { perm.insert(sAxis, at: d) }
            return .array(try transposed(x, perm), weak: false)
        case "hstack", "vstack":
            let (v, vr) = arg("tup")
            guard case .tuple(let vs) = v, !vs.isEmpty else {
                throw Diagnostic("\(name) expects a non-empty tuple of arrays, got \(v.typeDescription)", at: vr)
            }
            let minRank = name == "hstack" ? 1 : 2
            let atoms = try vs.map { (e: Value) -> Value in
                let x = try arrayArg((e, vr), name)
                if x.type.rank >= minRank { return .array(x, weak: false) }
                let shape = Array(repeating: Dim.const(1), count: minRank - x.type.rank) + x.type.shape
                return .array(try reshaped(x, shape), weak: false)
            }
            let rank = atoms.first?.atom?.type.rank ?? 1
            let axis = name == "hstack" && rank > 1 ? 1 : 0
            return .array(try joinArrays("concatenate", (.tuple(atoms), vr), (.array(.lit(Double(axis), .i32), weak: true), vr)), weak: false)
        case "count_nonzero":
            let x = try arrayArg(arg("a"), name)
            let nz = x.type.dtype == .bool ? x : try emit(.binary(.ne), [x, .lit(0, x.type.dtype)])
            let axes = try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            return .array(try reduction("sum", nz.isLiteral ? try cast(nz, .i32) : nz, axes, keepdims: keep), weak: false)
        default: return nil
        }
    }

    /// `x.name(args)`: the builtin `methods[name]` with `x` first; `reshape` and `transpose` also take the
    /// shape or axes as separate arguments (`x.reshape(2, 3)`), as NumPy's methods do.
    func callMethod(_ name: String, _ x: (Value, SourceRange), args: [(Value, SourceRange)], kwargs: [(String, Value, SourceRange)],
                    at r: SourceRange) throws -> Value {
        guard let builtin = Ops.methods[name] else {
            let known = Ops.methods.keys.sorted().joined(separator: ", ")
            var msg = "arrays have no method '\(name)'"
            if let best = closestName(name, Set(Ops.methods.keys)) { msg += "; did you mean '\(best)'?" }
            throw Diagnostic(msg + " (methods: \(known))", at: r)
        }
        if builtin == "astype" {
            guard args.count + kwargs.count == 1, let d = args.first ?? kwargs.first.map({ ($0.1, $0.2) }) else {
                throw Diagnostic("astype takes one argument, the dtype", at: r)
            }
            guard let t = try dtypeArg(d) else { throw Diagnostic("astype needs a dtype, got None", at: d.1) }
            return try callBuiltin(t.rawValue, args: [x], kwargs: [], at: r)!
        }
        var a = args
        if (builtin == "reshape" || builtin == "transpose") && args.count > 1 {
            a = [(.tuple(args.map(\.0)), args[0].1.to(args[args.count - 1].1))]
        }
        guard let v = try callBuiltin(builtin, args: [x] + a, kwargs: kwargs, at: r) else {
            throw InternalError("method \(name) has no builtin")
        }
        return v
    }

    /// jnp.array / jnp.asarray: an array as it is (cast to `dtype`), or nested tuples/lists of scalars or equal-shaped
    /// arrays stacked along new leading axes; without `dtype`, a strong element's dtype, else f32 if any literal is
    /// a float, i32 if any is an int, bool otherwise (JAX's weak-type rules).
    func arrayLiteral(_ v: Value, _ r: SourceRange, _ dtype: DType?, _ name: String) throws -> Atom {
        func leaves(_ v: Value) throws -> [(Atom, Bool)] {
            switch v {
            case .array(let a, let w): return [(a, w)]
            case .tuple(let vs):
                guard !vs.isEmpty else { throw Diagnostic("\(name): an empty list has no shape axc can type; use zeros((0,))", at: r) }
                return try vs.flatMap(leaves)
            default: throw Diagnostic("\(name) expects numbers, arrays or lists of them, got \(v.typeDescription)", at: r)
            }
        }
        let ls = try leaves(v)
        var t = dtype
        if t == nil {
            let strong = Set(ls.filter { !$0.1 }.map { $0.0.type.dtype })
            guard strong.count <= 1 else {
                throw Diagnostic("\(name): elements of different dtypes \(strong.map(\.rawValue).sorted().joined(separator: ", ")); no implicit promotion", at: r)
            }
            let weak = Set(ls.filter { $0.1 }.map { $0.0.type.dtype })
            t = strong.first ?? (weak.contains(.f32) ? .f32 : weak.contains(.i32) ? .i32 : .bool)
        }
        func build(_ v: Value) throws -> Atom {
            switch v {
            case .array(let a, let w): return try materializeAtom((a, w), t!)
            case .tuple(let vs):
                let parts = try vs.map { Value.array(try build($0), weak: false) }
                return try joinArrays("stack", (.tuple(parts), r), (.array(.lit(0, .i32), weak: true), r))
            default: throw InternalError("array literal leaf")
            }
        }
        return try build(v)
    }

    /// `sum mean max min` with `where=` (a bool mask broadcast to `x`) and, for max and min, `initial=`, as
    /// jax.numpy: masked-out elements become the reduction's identity (0, -inf/+inf, or i32's extremes) before the
    /// reduction; `initial` is combined with the result; `mean` divides by the number of selected elements.
    func maskedReduction(_ kind: String, _ x0: Atom, _ axes: [Int], keepdims: Bool, where w: (Value, SourceRange)?,
                         initial: (Value, SourceRange)?, at r: SourceRange) throws -> Atom {
        var x = x0
        if kind == "sum" && x.type.dtype == .bool { x = try cast(x, .i32) }
        if kind == "mean" && !x.type.dtype.isFloat { x = try cast(x, .f32) }
        if (kind == "max" || kind == "min") && x.type.dtype == .bool { throw Diagnostic("\(kind) expects numbers, got \(x.type)", at: r) }
        let t = x.type.dtype
        if let i = initial, !isNone(i.0), kind == "sum" || kind == "mean" {
            throw Diagnostic("\(kind): initial= is only supported for max and min", at: i.1)
        }
        var mask: Atom? = nil
        if let (wv, wr) = w, !isNone(wv) {
            var m = try arrayArg((wv, wr), "where")
            if m.type.dtype != .bool { m = try emit(.binary(.ne), [m, .lit(0, m.type.dtype)]) }
            guard Ops.broadcastShapes(m.type.shape, x.type.shape) == x.type.shape else {
                throw Diagnostic("where: cannot broadcast the mask \(m.type) to \(x.type)", at: wr)
            }
            mask = m.isLiteral ? m : try broadcast(m, to: x.type.shape)
        }
        if mask != nil && (kind == "max" || kind == "min") && (initial == nil || isNone(initial!.0)) {
            throw Diagnostic("\(kind) has no identity, so a where= mask needs initial= (as in jax.numpy)", at: w!.1)
        }
        let identity: Double
        switch kind {
        case "max": identity = t.isFloat ? -.infinity : Double(Int32.min)
        case "min": identity = t.isFloat ? .infinity : Double(Int32.max)
        default: identity = 0
        }
        let kept = try mask.map { try emit(.select, [$0, .lit(identity, t), x]) } ?? x
        var out = try reduce(kind == "mean" ? "sum" : kind, kept, axes)
        if keepdims { out = try expandDims(out, at: axes) }
        if let (iv, ir) = initial, !isNone(iv) {
            let init0 = try materializeAtom(try arrayAtom(iv, kind, ir), t)
            guard init0.type.rank == 0 else { throw Diagnostic("\(kind): initial must be a scalar, got \(init0.type)", at: ir) }
            out = try emit(.binary(kind == "max" ? .max : .min), [init0.isLiteral ? init0 : try broadcast(init0, to: out.type.shape), out])
        }
        guard kind == "mean" else { return out }
        let count: Atom
        if let m = mask {
            let mf = m.isLiteral ? try broadcast(try emit(.broadcastInDim(shape: x.type.shape, dims: []), [try cast(m, t)]), to: x.type.shape)
                                 : try cast(m, t)
            var c = try reduce("sum", mf, axes)
            if keepdims { c = try expandDims(c, at: axes) }
            count = c
        } else { throw InternalError("mean without a mask") }
        return try emit(.binary(.div), [out, count])
    }

    // MARK: - Helpers

    /// An array argument as bool (`x != 0` for numbers, as jnp.logical_* convert), keeping weak literals weak.
    func toBool(_ a: (Value, SourceRange), _ what: String) throws -> (Atom, Bool) {
        let (x, weak) = try arrayAtom(a.0, what, a.1)
        if case .lit(let v, _) = x { return (.lit(v != 0 ? 1 : 0, .bool), weak) }
        if x.type.dtype == .bool { return (x, false) }
        return (try emit(.binary(.ne), [x, .lit(0, x.type.dtype)]), false)
    }

    /// An operand as an atom of dtype `t` (weak literals take it).
    func materializeAtom(_ x: (atom: Atom, weak: Bool), _ t: DType) throws -> Atom {
        if x.weak, case .lit(let v, _) = x.atom { return .lit(rounded(v, t), t) }
        return try cast(x.atom, t)
    }

    /// A static number (int or float literal), nil when absent.
    func numberArg(_ a: (Value, SourceRange)?, _ what: String) throws -> Double? {
        guard let (v, r) = a, !isNone(v) else { return nil }
        guard case .array(.lit(let x, let t), _) = v, t != .bool else {
            throw Diagnostic("\(what) must be a number literal, got \(v.typeDescription)", at: r)
        }
        return x
    }

    /// A static int, nil when absent.
    func intArg(_ a: (Value, SourceRange)?, _ what: String) throws -> Int? {
        guard let (v, r) = a, !isNone(v) else { return nil }
        guard let k = Ops.staticInt(v) else { throw Diagnostic("\(what) must be an int literal, got \(v.typeDescription)", at: r) }
        return k
    }

    /// `a` reduced over `axes` and broadcast back to `shape` (the `keepdims=True` value as an operand).
    func backTo(_ a: Atom, _ shape: [Dim], _ axes: [Int]) throws -> Atom {
        if a.type.shape == shape { return a }
        let kept = (0..<shape.count).filter { !axes.contains($0) }
        return try emit(.broadcastInDim(shape: shape, dims: kept), [a])
    }

    /// jax.lax's logaddexp: `max(x, y) + log1p(exp(-|x - y|))`, or `x + y` where `x - y` is NaN (NaNs, or infinities
    /// of one sign). `-|d|` is written `min(d, -d)`: the same value, and at d = 0 its derivative is 0 (the tie splits),
    /// so the gradient there is 1/2 as JAX's custom JVP gives (abs'(0) = 1 would give 0 for softplus'(0)).
    func logaddexp(_ x: Atom, _ y: Atom) throws -> Atom {
        let amax = try emit(.binary(.max), [x, y])
        let d = try emit(.binary(.sub), [x, y])
        let negAbs = try emit(.binary(.min), [d, try emit(.unary(.neg), [d])])
        let main = try emit(.binary(.add), [amax, try emit(.unary(.log1p), [try emit(.unary(.exp), [negAbs])])])
        if y.isLiteral, let v = y.literalValue, v.isFinite { return main }   // x - c is NaN only where x is NaN: main is NaN too
        let isNaN = try emit(.binary(.ne), [d, d])
        return try emit(.select, [isNaN, main, try emit(.binary(.add), [x, y])])
    }

    /// jnp.var: `sum((x - mean(x, keepdims=True))**2) / (count - ddof)`; jnp.std is its square root.
    func variance(_ x: Atom, _ axes: [Int], ddof: Double, keepdims: Bool, std: Bool) throws -> Atom {
        let t = x.type.dtype
        let m = try backTo(try reduction("mean", x, axes, keepdims: false), x.type.shape, axes)
        let c = try emit(.binary(.sub), [x, m])
        let sq = try emit(.integerPow(2), [c])
        var s = try reduce("sum", sq, axes)
        if keepdims { s = try expandDims(s, at: axes) }
        let dims = axes.map { x.type.shape[$0] }
        let k = dims.compactMap(\.constValue).reduce(1, *)
        var count: Atom = .lit(rounded(Double(k), t), t)
        for d in dims where d.constValue == nil {
            let n = try sizeAsScalar(d, t)
            count = count.literalValue == 1 ? n : try emit(.binary(.mul), [count, n])
        }
        if case .lit(let c0, _) = count { count = .lit(rounded(c0 - ddof, t), t) }
        else if ddof != 0 { count = try emit(.binary(.sub), [count, .lit(rounded(ddof, t), t)]) }
        let out = try emit(.binary(.div), [s, try broadcast(count, to: s.type.shape)])
        return std ? try emit(.unary(.sqrt), [out]) : out
    }

    /// lax.argmax / argmin: the first index of the extreme value, NaN counting as the extreme (the first NaN wins):
    /// `reduce_min(select(x == m or x != x, iota, size))` with `m` the max (min), which is NaN when any element is.
    func argExtreme(_ name: String, _ a: (Value, SourceRange), _ axisV: (Value, SourceRange), keepdims: Bool, at r: SourceRange) throws -> Atom {
        var x = try arrayArg(a, name)
        if x.type.dtype == .bool { x = try cast(x, .i32) }
        let rank0 = x.type.rank
        let axis: Int
        if isNone(axisV.0) {
            x = try ravel(x.type.rank == 0 ? try reshaped(x, [.const(1)]) : x, a.1)
            axis = 0
        } else {
            guard let k = Ops.staticInt(axisV.0) else { throw Diagnostic("axis must be an int, got \(axisV.0.typeDescription)", at: axisV.1) }
            axis = try normAxis(k, x.type.rank, x.type, axisV.1)
        }
        let n = x.type.shape[axis]
        if n == .const(0) { throw Diagnostic("\(name) of an empty axis (axis \(axis) of \(x.type))", at: r) }
        let m = try backTo(try reduce(name == "argmax" ? "max" : "min", x, [axis]), x.type.shape, [axis])
        var mask = try emit(.binary(.eq), [x, m])
        if x.type.dtype.isFloat { mask = try emit(.binary(.or), [mask, try emit(.binary(.ne), [x, x])]) }
        let iota = try emit(.iota(.i32, shape: x.type.shape, dimension: axis), [])
        let size = try sizeAsScalar(n, .i32)
        let cand = try emit(.select, [mask, size.isLiteral ? size : try broadcast(size, to: x.type.shape), iota])
        var out = try emit(.reduceMin(axes: [axis]), [cand])
        if keepdims { out = isNone(axisV.0) ? try reshaped(out, Array(repeating: .const(1), count: rank0)) : try expandDims(out, at: [axis]) }
        return out
    }

    /// jnp.linalg.norm: vector norms (ord None/2, 1, inf, -inf, 0, p) over one axis, the Frobenius norm (ord None or
    /// "fro") and the 1 / inf norms over two axes, sqrt(sum(x * x)) over every axis when axis and ord are None.
    func norm(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Atom {
        let xv = a["x"]!
        let x0 = try arrayArg(xv, "norm")
        let x = x0.type.dtype.isFloat ? x0 : try cast(x0, .f32)
        let t = x.type.dtype
        let keep = try boolArg(a["keepdims"] ?? (.none, r), "keepdims") ?? false
        let ordV = a["ord"] ?? (.none, r)
        var ordNum: Double? = nil, ordStr: String? = nil
        if case .string(let s) = ordV.0 { ordStr = s } else if !isNone(ordV.0) { ordNum = try numberArg(ordV, "ord") }
        let axisV = a["axis"] ?? (.none, r)
        var axes = try axesArg(axisV, rank: x.type.rank, of: x.type)
        if !isNone(axisV.0) { axes = try intList(axisV, "axis").map { try normAxis($0, x.type.rank, x.type, axisV.1) } }
        func finish(_ o: Atom, _ reduced: [Int]) throws -> Atom { keep ? try expandDims(o, at: reduced.sorted()) : o }
        func euclid() throws -> Atom {
            try finish(try emit(.unary(.sqrt), [try reduce("sum", try emit(.binary(.mul), [x, x]), axes.sorted())]), axes)
        }
        if isNone(ordV.0) && isNone(axisV.0) { return try euclid() }
        if axes.count == 1 {
            guard ordStr == nil else { throw Diagnostic("norm: ord '\(ordStr!)' is for matrices; a vector norm takes a number", at: ordV.1) }
            let p = ordNum ?? 2
            let absx = try emit(.unary(.abs), [x])
            switch p {
            case 2: return try euclid()
            case .infinity: return try finish(try reduce("max", absx, axes), axes)
            case -.infinity: return try finish(try reduce("min", absx, axes), axes)
            case 1: return try finish(try reduce("sum", absx, axes), axes)
            case 0: return try finish(try reduce("sum", try cast(try emit(.binary(.ne), [x, .lit(0, t)]), t), axes), axes)
            default:
                let s = try reduce("sum", try emit(.binary(.pow), [absx, .lit(rounded(p, t), t)]), axes)
                return try finish(try emit(.binary(.pow), [s, .lit(rounded(1 / rounded(p, t), t), t)]), axes)
            }
        }
        guard axes.count == 2 else {
            throw Diagnostic("norm: ord=\(ordStr ?? ordNum.map(numberText) ?? "None") needs one or two axes, got \(axes.count)", at: axisV.1)
        }
        if ordStr == "fro" || (ordStr == nil && ordNum == nil) { return try euclid() }
        let (row, col) = (axes[0], axes[1])
        switch ordNum {
        case 1, -1, .infinity, -.infinity:
            // ord ±1: extreme over columns of the column sums; ord ±inf: extreme over rows of the row sums.
            let p = ordNum!
            let (sumAxis, extAxis) = abs(p) == 1 ? (row, col) : (col, row)
            let s = try reduce("sum", try emit(.unary(.abs), [x]), [sumAxis])
            let ext = try reduce(p > 0 ? "max" : "min", s, [extAxis > sumAxis ? extAxis - 1 : extAxis])
            return try finish(ext, [row, col])
        default:
            let what = ordStr.map { "'\($0)'" } ?? ordNum.map(numberText) ?? "None"
            throw Diagnostic("norm: the matrix norm ord=\(what) needs a singular value decomposition, which axc does not have; use None, 'fro', 1, -1, inf or -inf", at: ordV.1)
        }
    }

    /// jax.nn.log_softmax: `shifted - log(sum(exp(shifted)))` with `shifted = x - max(x)` along `axes`.
    func logSoftmax(_ x: Atom, _ axes: [Int]) throws -> Atom {
        let m = try backTo(try reduce("max", x, axes), x.type.shape, axes)
        let shifted = try emit(.binary(.sub), [x, m])
        let s = try reduce("sum", try emit(.unary(.exp), [shifted]), axes)
        let lse = try backTo(try emit(.unary(.log), [s]), x.type.shape, axes)
        return try emit(.binary(.sub), [shifted, lse])
    }

    /// jnp.linspace for scalar bounds: `start * (1 - step) + stop * step` with `step = iota / div`, then `stop`
    /// appended when `endpoint`.
    func linspace(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Value {
        let num = try intArg(a["num"], "num") ?? 50
        guard num >= 0 else { throw Diagnostic("linspace: num must be non-negative, got \(num)", at: a["num"]?.1 ?? r) }
        let endpoint = try boolArg(a["endpoint"] ?? (.none, r), "endpoint") ?? true
        let sa = try arrayAtom(a["start"]!.0, "linspace", a["start"]!.1), ea = try arrayAtom(a["stop"]!.0, "linspace", a["stop"]!.1)
        for (v, rr) in [(sa.atom, a["start"]!.1), (ea.atom, a["stop"]!.1)] where v.type.rank != 0 {
            throw Diagnostic("linspace: start and stop must be scalars, got \(v.type)", at: rr)
        }
        var t = try promote("linspace", sa, ea, at: r)
        if let d = try dtypeArg(a["dtype"]) {
            guard d.isFloat else { throw Diagnostic("linspace with dtype=\(d) is not supported yet (it needs floor)", at: a["dtype"]!.1) }
            t = d
        } else if !t.isFloat { t = .f32 }
        let start = try materializeAtom(sa, t), stop = try materializeAtom(ea, t)
        func asVector(_ v: Atom) throws -> Atom { v.isLiteral ? try emit(.broadcastInDim(shape: [.const(1)], dims: []), [v]) : try reshaped(v, [.const(1)]) }
        if num == 0 { return try filled(.lit(0, t), [.const(0)]) }
        if num == 1 { return .array(try asVector(start), weak: false) }
        let div = endpoint ? num - 1 : num
        let shape: [Dim] = [.const(div)]
        let step = try emit(.binary(.div), [try emit(.iota(t, shape: shape, dimension: 0), []), .lit(Double(div), t)])
        func scaled(_ v: Atom, _ w: Atom) throws -> Atom {
            try emit(.binary(.mul), [v.isLiteral ? v : try broadcast(v, to: shape), w])
        }
        let oneMinus = try emit(.binary(.sub), [.lit(1, t), step])
        var out = try emit(.binary(.add), [try scaled(start, oneMinus), try scaled(stop, step)])
        if endpoint { out = try emit(.concatenate(axis: 0), [out, try asVector(stop)]) }
        return .array(out, weak: false)
    }

    /// jax.nn.one_hot: `x[..., None] == iota` (the classes along `axis`), converted to `dtype`.
    func oneHot(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Atom {
        let x = try arrayArg(a["x"]!, "one_hot")
        guard x.type.dtype != .bool else { throw Diagnostic("one_hot expects numbers, got \(x.type)", at: a["x"]!.1) }
        guard let n = try intArg(a["num_classes"], "num_classes"), n >= 0 else {
            throw Diagnostic("one_hot: num_classes must be a non-negative int literal", at: a["num_classes"]?.1 ?? r)
        }
        let t = try dtypeArg(a["dtype"]) ?? .f32
        let k = try intArg(a["axis"], "axis") ?? -1
        let pos = try normAxis(k, x.type.rank + 1, x.type, a["axis"]?.1 ?? r)
        var shape = x.type.shape
        shape.insert(.const(n), at: pos)
        let lhs = try emit(.broadcastInDim(shape: shape, dims: (0..<shape.count).filter { $0 != pos }), [x])
        let rhs = try emit(.iota(x.type.dtype, shape: shape, dimension: pos), [])
        return try cast(try emit(.binary(.eq), [lhs, rhs]), t)
    }

    /// jnp.tril / triu: `select(iota0 + k >= iota1, m, 0)` on the last two axes (triu: k - 1 and the other side).
    func triangle(_ name: String, _ mv: (Value, SourceRange), _ kv: (Value, SourceRange)?, at r: SourceRange) throws -> Atom {
        let m = try arrayArg(mv, name)
        guard m.type.rank >= 2 else { throw Diagnostic("\(name) expects an array of at least 2 dimensions, got \(m.type)", at: mv.1) }
        let k = (try intArg(kv, "k") ?? 0) - (name == "triu" ? 1 : 0)
        let shape = m.type.shape
        let mask = try triMask(shape[shape.count - 2], shape[shape.count - 1], k)
        let full = try backTo(mask, shape, Array(0..<(shape.count - 2)))
        let zero: Atom = .lit(0, m.type.dtype)
        return try emit(.select, name == "tril" ? [full, zero, m] : [full, m, zero])
    }

    /// `iota(0) + k >= iota(1)` of shape [n, m] (jax's `_tri`).
    func triMask(_ n: Dim, _ m: Dim, _ k: Int) throws -> Atom {
        var rows = try emit(.iota(.i32, shape: [n, m], dimension: 0), [])
        if k != 0 { rows = try emit(.binary(.add), [rows, .lit(Double(k), .i32)]) }
        return try emit(.binary(.ge), [rows, try emit(.iota(.i32, shape: [n, m], dimension: 1), [])])
    }

    /// The product of a size and a repetition count, when a `Dim` can hold it.
    private func times(_ d: Dim, _ k: Int, _ r: SourceRange) throws -> Dim {
        if let c = d.constValue { return .const(c * k) }
        if k == 1 { return d }
        throw Diagnostic("cannot repeat axis of variable size \(d) \(k) times", at: r)
    }

    /// jnp.tile: `x` reshaped to interleaved size-1 axes, broadcast to `(reps[i], shape[i])` pairs, flattened pairwise.
    func tile(_ x: Atom, _ repsV: (Value, SourceRange), at r: SourceRange) throws -> Atom {
        var reps = try intList(repsV, "reps")
        if let bad = reps.first(where: { $0 < 0 }) { throw Diagnostic("tile: negative repetition \(bad)", at: repsV.1) }
        let shape = Array(repeating: Dim.const(1), count: max(0, reps.count - x.type.rank)) + x.type.shape
        reps = Array(repeating: 1, count: shape.count - reps.count) + reps
        let y = try reshaped(x, shape)
        var wide: [Dim] = []
        for (k, d) in zip(reps, shape) { wide += [.const(k), d] }
        let b = try emit(.broadcastInDim(shape: wide, dims: (0..<shape.count).map { 2 * $0 + 1 }), [y])
        return try reshaped(b, try zip(reps, shape).map { try times($0.1, $0.0, repsV.1) })
    }

    /// jnp.repeat with an int `repeats`: a new axis after `axis` broadcast to `repeats`, merged into `axis`.
    func repeatCall(_ av: (Value, SourceRange), _ repsV: (Value, SourceRange), _ axisV: (Value, SourceRange), at r: SourceRange) throws -> Atom {
        var x = try arrayArg(av, "repeat")
        guard let k = Ops.staticInt(repsV.0) else {
            throw Diagnostic("repeat: repeats must be an int literal (array repeats need a gather, not supported yet), got \(repsV.0.typeDescription)", at: repsV.1)
        }
        guard k >= 0 else { throw Diagnostic("repeat: negative repeats \(k)", at: repsV.1) }
        let axis: Int
        if isNone(axisV.0) { x = try ravel(x.type.rank == 0 ? try reshaped(x, [.const(1)]) : x, av.1); axis = 0 }
        else {
            guard let a = Ops.staticInt(axisV.0) else { throw Diagnostic("axis must be an int, got \(axisV.0.typeDescription)", at: axisV.1) }
            axis = try normAxis(a, x.type.rank, x.type, axisV.1)
        }
        var wide = x.type.shape
        wide.insert(.const(k), at: axis + 1)
        let b = try emit(.broadcastInDim(shape: wide, dims: (0..<x.type.rank).map { $0 <= axis ? $0 : $0 + 1 }), [x])
        var out = x.type.shape
        out[axis] = try times(out[axis], k, repsV.1)
        return try reshaped(b, out)
    }

    /// jnp.diag: a vector becomes a matrix (`where(eye(n, k), pad(v), 0)`); a matrix gives its `k`-th diagonal,
    /// taken as a strided slice of the flattened matrix (the same elements jnp.diagonal gathers).
    func diag(_ v: Atom, _ kv: (Value, SourceRange)?, at r: SourceRange) throws -> Atom {
        let k = try intArg(kv, "k") ?? 0
        let t = v.type.dtype
        switch v.type.rank {
        case 1:
            guard let len = v.type.shape[0].constValue else { throw Diagnostic("diag: the size of \(v.type) must be constant", at: r) }
            let n = len + abs(k)
            let padded = try emit(.pad(low: [max(0, k)], high: [max(0, -k)], interior: [0]), [v, .lit(0, t)])
            let shape: [Dim] = [.const(n), .const(n)]
            var rows = try emit(.iota(.i32, shape: shape, dimension: 0), [])
            if k != 0 { rows = try emit(.binary(.add), [rows, .lit(Double(k), .i32)]) }
            let mask = try emit(.binary(.eq), [rows, try emit(.iota(.i32, shape: shape, dimension: 1), [])])
            let row = try emit(.broadcastInDim(shape: shape, dims: [1]), [padded])
            return try emit(.select, [mask, .lit(0, t), row])
        case 2:
            guard let n = v.type.shape[0].constValue, let m = v.type.shape[1].constValue else {
                throw Diagnostic("diag: the sizes of \(v.type) must be constant", at: r)
            }
            let count = max(0, k >= 0 ? min(n, m - k) : min(n + k, m))
            let start = k >= 0 ? k : -k * m
            let flat = try reshaped(v, [.const(n * m)])
            if count == 0 { return try emit(.slice(start: [0], limit: [.const(0)], strides: [1]), [flat]) }
            return try emit(.slice(start: [start], limit: [.const(start + (count - 1) * (m + 1) + 1)], strides: [m + 1]), [flat])
        default:
            throw Diagnostic("diag expects a vector or a matrix, got \(v.type)", at: r)
        }
    }

    /// jnp.trace: the two axes moved last, `where(eye(n, m, k=offset), a, 0)` summed over them.
    func traceCall(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Atom {
        var x = try arrayArg(a["a"]!, "trace")
        if x.type.dtype == .bool { x = try cast(x, .i32) }
        guard x.type.rank >= 2 else { throw Diagnostic("trace expects an array of at least 2 dimensions, got \(x.type)", at: a["a"]!.1) }
        let offset = try intArg(a["offset"], "offset") ?? 0
        let a1 = try normAxis(try intArg(a["axis1"], "axis1") ?? 0, x.type.rank, x.type, a["axis1"]?.1 ?? r)
        let a2 = try normAxis(try intArg(a["axis2"], "axis2") ?? 1, x.type.rank, x.type, a["axis2"]?.1 ?? r)
        guard a1 != a2 else { throw Diagnostic("trace: axis1 and axis2 are the same axis \(a1)", at: r) }
        let rest = (0..<x.type.rank).filter { $0 != a1 && $0 != a2 }
        x = try transposed(x, rest + [a1, a2])
        let shape = x.type.shape, rk = shape.count
        var rows = try emit(.iota(.i32, shape: [shape[rk - 2], shape[rk - 1]], dimension: 0), [])
        if offset != 0 { rows = try emit(.binary(.add), [rows, .lit(Double(offset), .i32)]) }
        let eye = try emit(.binary(.eq), [rows, try emit(.iota(.i32, shape: [shape[rk - 2], shape[rk - 1]], dimension: 1), [])])
        let mask = try backTo(eye, shape, Array(0..<(rk - 2)))
        let masked = try emit(.select, [mask, .lit(0, x.type.dtype), x])
        return try reduce("sum", masked, [rk - 2, rk - 1])
    }

    /// jnp.inner (`tensordot` over the last axes; a product when either is a scalar) and jnp.vdot (`dot` of the
    /// flattened arrays).
    func innerCall(_ name: String, _ x: (Value, SourceRange), _ y: (Value, SourceRange), at r: SourceRange) throws -> Value {
        let xa = try arrayAtom(x.0, name, x.1), ya = try arrayAtom(y.0, name, y.1)
        if name == "inner" && (xa.weak || ya.weak || xa.atom.type.rank == 0 || ya.atom.type.rank == 0) {
            return try elementwise(.mul, name, xa, ya, at: r)
        }
        let t = try promote(name, xa, ya, at: r)
        guard t != .bool else { throw Diagnostic("\(name) expects numbers, got \(xa.atom.type) and \(ya.atom.type)", at: r) }
        var a = try materializeAtom(xa, t), b = try materializeAtom(ya, t)
        if name == "vdot" {
            a = try ravel(a.type.rank == 0 ? try reshaped(a, [.const(1)]) : a, x.1)
            b = try ravel(b.type.rank == 0 ? try reshaped(b, [.const(1)]) : b, y.1)
        }
        let ca = a.type.rank - 1, cb = b.type.rank - 1
        guard a.type.shape[ca] == b.type.shape[cb] else {
            throw Diagnostic("cannot \(name) \(a.type) and \(b.type): contracting sizes \(a.type.shape[ca]) and \(b.type.shape[cb]) differ", at: r)
        }
        return .array(try emit(.dotGeneral(DotDims(lhsContract: [ca], rhsContract: [cb])), [a, b]), weak: false)
    }

    /// jnp.pad in "constant" mode: one `pad` with `constant_values`; `pad_width` an int, `(before, after)`, or one
    /// pair per axis.
    func padCall(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Atom {
        let x = try arrayArg(a["array"]!, "pad")
        if let (m, mr) = a["mode"], !isNone(m) {
            guard case .string("constant") = m else { throw Diagnostic("pad: only mode=\"constant\" is supported", at: mr) }
        }
        let (pw, pr) = a["pad_width"]!
        var pairs: [(Int, Int)]
        if let k = Ops.staticInt(pw) { pairs = [(k, k)] }
        else if case .tuple(let vs) = pw, vs.allSatisfy({ Ops.staticInt($0) != nil }), vs.count == 1 || vs.count == 2 {
            let ks = vs.map { Ops.staticInt($0)! }
            pairs = [(ks[0], ks.count == 2 ? ks[1] : ks[0])]
        } else if case .tuple(let vs) = pw {
            pairs = try vs.map {
                let ks = try intList(($0, pr), "pad_width")
                guard ks.count == 1 || ks.count == 2 else { throw Diagnostic("pad_width entries must be (before, after)", at: pr) }
                return (ks[0], ks.count == 2 ? ks[1] : ks[0])
            }
        } else { throw Diagnostic("pad_width must be an int, a pair, or one pair per axis", at: pr) }
        if pairs.count == 1 { pairs = Array(repeating: pairs[0], count: x.type.rank) }
        guard pairs.count == x.type.rank else {
            throw Diagnostic("pad: pad_width has \(pairs.count) pairs for \(x.type) of rank \(x.type.rank)", at: pr)
        }
        if pairs.contains(where: { $0.0 < 0 || $0.1 < 0 }) { throw Diagnostic("pad: negative padding", at: pr) }
        let cv = a["constant_values"] ?? (.array(.lit(0, .i32), weak: true), r)
        let c = try materializeAtom(try arrayAtom(cv.0, "pad", cv.1), x.type.dtype)
        guard c.type.rank == 0 else { throw Diagnostic("pad: constant_values must be a scalar, got \(c.type)", at: cv.1) }
        return try emit(.pad(low: pairs.map(\.0), high: pairs.map(\.1), interior: pairs.map { _ in 0 }), [x, c])
    }

    // MARK: - `//` and `%`

    /// `x // y` and `x % y` on floats, as jnp.floor_divide and jnp.remainder write them (CPython's float_divmod):
    /// `rem` (C's fmod), then the quotient of what remains and a correction where the signs differ.
    func floatFloorDivRem(_ op: String, _ x: (Atom, Bool), _ y: (Atom, Bool), _ t: DType, at r: SourceRange) throws -> Value {
        let a0 = try materializeAtom(x, t), b0 = try materializeAtom(y, t)
        guard let shape = Ops.broadcastShapes(a0.type.shape, b0.type.shape) else {
            throw Diagnostic("cannot broadcast \(a0.type) and \(b0.type) in '\(op)'", at: r)
        }
        // Both operands at full shape (a scalar literal too: the comparisons below would be scalars otherwise).
        func full(_ v: Atom) throws -> Atom {
            let w = try broadcast(v, to: shape)
            return w.type.shape == shape ? w : try emit(.broadcastInDim(shape: shape, dims: []), [w])
        }
        let a = try full(a0), b = try full(b0)
        func e(_ p: Primitive, _ xs: Atom...) throws -> Atom { try emit(p, xs) }
        let zero = Atom.lit(0, t)
        let m = try e(.binary(.rem), a, b)
        if op == "%" {
            let flip = try e(.binary(.and), try e(.binary(.ne), try e(.binary(.lt), m, zero), try e(.binary(.lt), b, zero)), try e(.binary(.ne), m, zero))
            return .array(try e(.select, flip, m, try e(.binary(.add), m, b)), weak: false)
        }
        let numerator = try e(.select, try e(.binary(.eq), b, zero), try e(.binary(.sub), a, m), a)
        let q = try e(.binary(.div), numerator, b)
        let fix = try e(.binary(.and), try e(.binary(.ne), m, zero), try e(.binary(.ne), try e(.unary(.sign), b), try e(.unary(.sign), m)))
        return .array(try e(.unary(.round), try e(.select, fix, q, try e(.binary(.sub), q, .lit(1, t)))), weak: false)
    }

    /// `x // y` and `x % y` on integers with Python's (and jnp.floor_divide / jnp.remainder's) floor semantics:
    /// `q = x / y` truncating, minus one where the signs differ and `x - q * y` is not 0; the remainder is adjusted
    /// to the divisor's sign (and `x % 0` is 0, as jnp.remainder). Floats need a floor primitive: an error for now.
    func floorDivRem(_ op: String, _ x: Value, _ y: Value, at r: SourceRange) throws -> Value {
        guard case .array(let xa, let xw) = x, case .array(let ya, let yw) = y else {
            throw Diagnostic("unsupported operand types for \(op): \(x.typeDescription) and \(y.typeDescription)", at: r)
        }
        let t = try promote(op, (xa, xw), (ya, yw), at: r)
        if t.isFloat { return try floatFloorDivRem(op, (xa, xw), (ya, yw), t, at: r) }
        if t == .bool { throw Diagnostic("cannot apply '\(op)' to \(describe((xa, xw))) and \(describe((ya, yw))): arithmetic on bool", at: r) }
        if case .lit(let u, _) = xa, case .lit(let v, _) = ya {
            guard v != 0 || !(xw && yw) else { throw Diagnostic("integer division or modulo by zero", at: r) }
            let (a, b) = (Int64(u), Int64(v))
            let z: Int64
            if b == 0 { z = op == "//" ? -1 : 0 }   // XLA: x / 0 = -1, and jnp.remainder's x % 0 = 0
            else {
                let q = a / b, m = a - q * b
                z = op == "//" ? ((m != 0 && (m < 0) != (b < 0)) ? q - 1 : q) : ((m != 0 && (m < 0) != (b < 0)) ? m + b : m)
            }
            return .array(.lit(Double(Int32(truncatingIfNeeded: z)), .i32), weak: xw && yw)
        }
        let a0 = try materializeAtom((xa, xw), t), b0 = try materializeAtom((ya, yw), t)
        guard let shape = Ops.broadcastShapes(a0.type.shape, b0.type.shape) else {
            throw Diagnostic("cannot broadcast \(a0.type) and \(b0.type) in '\(op)'", at: r)
        }
        let a = try broadcast(a0, to: shape)
        var b = try broadcast(b0, to: shape)
        func lit(_ v: Double) -> Atom { .lit(v, t) }
        // Element-wise helpers that fold a literal operand (a scalar literal beside an array keeps shapes equal).
        func sign(_ v: Atom) throws -> Atom {
            if case .lit(let c, _) = v { return lit(c > 0 ? 1 : c < 0 ? -1 : 0) }
            return try emit(.unary(.sign), [v])
        }
        func negative(_ v: Atom) throws -> Atom {
            if case .lit(let c, _) = v { return .lit(c < 0 ? 1 : 0, .bool) }
            return try emit(.binary(.lt), [v, lit(0)])
        }
        func differ(_ p: Atom, _ q: Atom) throws -> Atom {
            if case .lit(let u, _) = p, case .lit(let v, _) = q { return .lit(u != v ? 1 : 0, .bool) }
            return try emit(.binary(.ne), [p, q])
        }
        func both(_ p: Atom, _ q: Atom) throws -> Atom {
            if case .lit(let v, _) = p { return v != 0 ? q : .lit(0, .bool) }
            return try emit(.binary(.and), [p, q])
        }
        if op == "//" {
            let q = try emit(.binary(.div), [a, b])
            let rem = try emit(.binary(.sub), [a, try emit(.binary(.mul), [q, b])])
            let signs = try differ(try sign(a), try sign(b))
            let fix = try both(signs, try emit(.binary(.ne), [rem, lit(0)]))
            return .array(try emit(.select, [fix, q, try emit(.binary(.sub), [q, lit(1)])]), weak: false)
        }
        if case .lit(let v, _) = b { if v == 0 { b = lit(1) } }
        else { b = try emit(.select, [try emit(.binary(.eq), [b, lit(0)]), b, lit(1)]) }
        let q = try emit(.binary(.div), [a, b])
        let m = try emit(.binary(.sub), [a, try emit(.binary(.mul), [q, b])])
        let signs = try differ(try negative(m), try negative(b))
        let plus = try both(signs, try emit(.binary(.ne), [m, lit(0)]))
        return .array(try emit(.select, [plus, m, try emit(.binary(.add), [m, b])]), weak: false)
    }
}

/// The name of `candidates` closest to `name` by edit distance, when close enough to be a likely misspelling
/// (at most 1 edit for names of up to 4 letters, 2 for longer ones; none for names shorter than 3);
/// ties go to the alphabetically first.
func closestName(_ name: String, _ candidates: Set<String>) -> String? {
    guard name.count >= 3 else { return nil }   // every short name is one edit from another: no useful guess
    let limit = name.count <= 4 ? 1 : 2
    var best: (Int, String)? = nil
    for c in candidates.sorted() where c != name && c.count >= 3 && abs(c.count - name.count) <= limit {
        let d = editDistance(name, c)
        if d <= limit && (best == nil || d < best!.0) { best = (d, c) }
    }
    return best?.1
}

/// The Levenshtein distance between two strings (insertions, deletions, substitutions).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    var prev = Array(0...y.count)
    for i in 1...max(1, x.count) where !x.isEmpty {
        var cur = [i] + Array(repeating: 0, count: y.count)
        for j in 1...max(1, y.count) where !y.isEmpty {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return x.isEmpty ? y.count : prev[y.count]
}
