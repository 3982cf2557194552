// The jax.numpy math builtins over the rounding, trigonometric, hyperbolic and special-function primitives (floor,
// tan, erf, atan2, rem, ... in Primitives/Elementwise.swift), lowered as jax.numpy lowers them (docs/language.md).

extension Ops {
    /// Signatures of the math builtins (merged into `signatures`).
    static let mathSignatures: [String: String] = {
        var s: [String: String] = [:]
        for f in unaryMath.keys { s[f] = "\(f)(x)" }
        s["trunc"] = "trunc(x)"
        s["round"] = "round(x, decimals=0)"
        s["arctan2"] = "arctan2(x1, x2)"
        s["fmod"] = "fmod(x1, x2)"
        return s
    }()

    /// The builtins that are one float unary primitive (ints and bools convert to f32, as jax.numpy promotes them).
    static let unaryMath: [String: UnaryOp] = [
        "tan": .tan, "arctan": .atan, "arcsin": .asin, "arccos": .acos, "sinh": .sinh, "cosh": .cosh,
        "arctanh": .atanh, "expm1": .expm1, "exp2": .exp2, "erf": .erf, "floor": .floor, "ceil": .ceil,
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
