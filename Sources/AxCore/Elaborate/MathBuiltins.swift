// The jax.numpy builtins over the primitives added with the rule records: rounding, trigonometric, hyperbolic and
// special functions (floor, tan, erf, atan2, rem, ...), flip, the cumulative ops and take/take_along_axis, lowered as
// jax.numpy lowers them (docs/language.md).

extension Ops {
    /// Signatures of the math builtins (merged into `signatures`).
    static let mathSignatures: [String: String] = {
        var s: [String: String] = [:]
        for f in unaryMath.keys { s[f] = "\(f)(x)" }
        s["trunc"] = "trunc(x)"
        s["round"] = "round(x, decimals=0)"
        s["arctan2"] = "arctan2(x1, x2)"
        s["fmod"] = "fmod(x1, x2)"
        for f in cumulativeBuiltins.keys { s[f] = "\(f)(x, axis=None, reverse=False)" }
        s["flip"] = "flip(x, axis=None)"
        s["take"] = "take(a, indices, axis=None, mode=None)"
        s["take_along_axis"] = "take_along_axis(arr, indices, axis)"
        return s
    }()

    /// The builtins that are one float unary primitive (ints and bools convert to f32, as jax.numpy promotes them).
    static let unaryMath: [String: UnaryOp] = [
        "tan": .tan, "arctan": .atan, "arcsin": .asin, "arccos": .acos, "sinh": .sinh, "cosh": .cosh,
        "arctanh": .atanh, "expm1": .expm1, "exp2": .exp2, "erf": .erf, "erfc": .erfc, "floor": .floor, "ceil": .ceil,
    ]

    /// The cumulative builtins (jnp.cumsum, jnp.cumprod; lax.cummax, lax.cummin, lax.cumlogsumexp).
    static let cumulativeBuiltins: [String: CumulativeKind] = [
        "cumsum": .sum, "cumprod": .prod, "cummax": .max, "cummin": .min, "cumlogsumexp": .logsumexp, "logcumsumexp": .logsumexp,
    ]

    /// A math builtin call (`a` bound to its signature); nil when `name` is not one.
    func callMathBuiltin(_ name: String, _ a: [String: (Value, SourceRange)], at range: SourceRange) throws -> Value? {
        func arg(_ p: String) -> (Value, SourceRange) { a[p] ?? (.none, range) }
        switch name {
        case "floor", "ceil", "trunc", "round":
            // Integers are already whole: jax.numpy returns them unchanged.
            let x = try arrayArg(arg("x"), name)
            guard x.type.dtype.isFloat else {
                guard x.type.dtype != .bool else { throw Diagnostic("\(name) expects numbers, got \(x.type)", at: arg("x").1) }
                return .array(x, weak: false)
            }
            switch name {
            case "trunc":
                // jnp.trunc: where(x < 0, ceil(x), floor(x)).
                let negative = try emit(.binary(.lt), [x, .lit(0, x.type.dtype)])
                return .array(try emit(.select, [negative, try emit(.unary(.floor), [x]), try emit(.unary(.ceil), [x])]), weak: false)
            case "round":
                // jnp.round: half to even; with decimals d, round(x * 10^d) / 10^d.
                let d = arg("decimals")
                let decimals = isNone(d.0) ? 0 : try Ops.staticInt(d.0) ?? { throw Diagnostic("round: decimals must be an int literal", at: d.1) }()
                if decimals == 0 { return .array(try emit(.unary(.round), [x]), weak: false) }
                let factor = Atom.lit(pow10(decimals), x.type.dtype)
                let scaled = try emit(.unary(.round), [try emit(.binary(.mul), [x, factor])])
                return .array(try emit(.binary(.div), [scaled, factor]), weak: false)
            default:
                return .array(try emit(.unary(name == "floor" ? .floor : .ceil), [x]), weak: false)
            }
        case "arctan2", "fmod":
            let op: BinaryOp = name == "arctan2" ? .atan2 : .rem
            let (x, y) = (arg("x1"), arg("x2"))
            if op == .atan2 {
                let xa = try floatArray(x, name), ya = try floatArray(y, name)
                return try elementwise(op, name, (xa, false), (ya, false), at: range)
            }
            let xa = try arrayAtom(x.0, name, x.1), ya = try arrayAtom(y.0, name, y.1)
            return try elementwise(op, name, xa, ya, at: range)
        case "take", "take_along_axis":
            let along = name == "take_along_axis"
            var x = try arrayArg(arg(along ? "arr" : "a"), name)
            var idx = try arrayArg(arg("indices"), name)
            if idx.type.dtype == .bool { throw Diagnostic("\(name): indices must be integers, got \(idx.type)", at: arg("indices").1) }
            if idx.type.dtype != .i32 { throw Diagnostic("\(name): indices must be integers, got \(idx.type)", at: arg("indices").1) }
            let mode = arg("mode")
            if !along, !isNone(mode.0) {
                guard case .string(let s) = mode.0, s == "fill" else { throw Diagnostic("take: only mode='fill' (the default) is supported", at: mode.1) }
            }
            let axisV = arg("axis")
            if isNone(axisV.0) {
                // jnp.take / take_along_axis with axis=None work on the flattened array.
                x = try ravel(x, arg(along ? "arr" : "a").1)
                if along { idx = try ravel(idx, arg("indices").1) }
            }
            let axes = isNone(axisV.0) ? [0] : try axesArg(axisV, rank: x.type.rank, of: x.type)
            guard axes.count == 1 else { throw Diagnostic("\(name): axis must be one int", at: axisV.1) }
            if along {
                guard idx.type.rank == x.type.rank else {
                    throw Diagnostic("take_along_axis: indices \(idx.type) must have the rank of \(x.type)", at: arg("indices").1)
                }
                // The other axes broadcast against each other (as jnp.take_along_axis).
                var xs = x.type.shape, ins = idx.type.shape
                for d in 0..<x.type.rank where d != axes[0] {
                    if xs[d] == ins[d] { continue }
                    if xs[d] == .const(1) { xs[d] = ins[d] } else if ins[d] == .const(1) { ins[d] = xs[d] }
                    else { throw Diagnostic("take_along_axis: indices \(idx.type) do not broadcast with \(x.type) outside axis \(axes[0])", at: range) }
                }
                if xs != x.type.shape { x = try emit(.broadcastInDim(shape: xs, dims: Array(0..<xs.count)), [x]) }
                if ins != idx.type.shape { idx = try emit(.broadcastInDim(shape: ins, dims: Array(0..<ins.count)), [idx]) }
            }
            return .array(try emit(.gather(axis: axes[0], along: along), [x, idx]), weak: false)
        case "flip":
            // jnp.flip: every axis when `axis` is None.
            let x = try arrayArg(arg("x"), name)
            let axes = isNone(arg("axis").0) ? Array(0..<x.type.rank) : try axesArg(arg("axis"), rank: x.type.rank, of: x.type)
            return .array(axes.isEmpty ? x : try emit(.rev(dimensions: axes.sorted()), [x]), weak: false)
        case _ where Ops.cumulativeBuiltins[name] != nil:
            // jnp.cumsum: over the flattened array when `axis` is None; bools sum as i32, as jax.numpy's.
            let kind = Ops.cumulativeBuiltins[name]!
            var x = kind == .logsumexp ? try floatArray(arg("x"), name) : try arrayArg(arg("x"), name)
            if x.type.dtype == .bool { x = try cast(x, .i32) }
            if isNone(arg("axis").0) { x = try ravel(x, arg("x").1) }
            let axes = try axesArg(isNone(arg("axis").0) ? (.array(.lit(0, .i32), weak: true), range) : arg("axis"), rank: x.type.rank, of: x.type)
            guard axes.count == 1 else { throw Diagnostic("\(name): axis must be one int", at: arg("axis").1) }
            let reverse = try boolArg(arg("reverse"), "reverse") ?? false
            return .array(try emit(.cumulative(kind, axis: axes[0], reverse: reverse), [x]), weak: false)
        default:
            guard let op = Ops.unaryMath[name] else { return nil }
            return try floatUnary(op, arg("x"))
        }
    }
}

/// 10^d as a double (d may be negative).
private func pow10(_ d: Int) -> Double {
    var r = 1.0
    for _ in 0..<abs(d) { r *= 10 }
    return d < 0 ? 1 / r : r
}
