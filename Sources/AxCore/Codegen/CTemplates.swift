// The per-primitive C expression table: element-wise primitives as C templates (`$0`, `$1`, `$2` are operands),
// C literals, reduction identities and combiners, and the libm functions kernels may call.

/// A C expression template over operands `$0`, `$1`, `$2`; operands used twice must be atomized first.
struct CTemplate {
    var text: String
    /// Runtime functions the text calls (the emitter records them, so standalone C carries their definitions).
    var calls: [String] = []
    /// Operand indices that occur more than once in `text`.
    var multiUse: Set<Int> {
        Set((0..<3).filter { i in text.components(separatedBy: "$\(i)").count > 2 })
    }
    func apply(_ args: [String]) -> String {
        var s = text
        for (i, a) in args.enumerated().reversed() { s = s.replacingOccurrences(of: "$\(i)", with: a) }
        return s
    }
}

/// libm names for a float dtype: `expf` for f32, `exp` for f64.
func mathFn(_ base: String, _ t: DType) -> String { t == .f32 ? base + "f" : base }

/// A C literal of dtype `t` (f32 literals carry `f` so f32 arithmetic stays f32).
func cLiteral(_ x: Double, _ t: DType) -> String {
    switch t {
    case .f32, .f64:
        let suffix = t == .f32 ? "f" : ""
        // An f32 literal rounds first: 1e300 is f32 infinity.
        let x = t == .f32 ? Double(Float(x)) : x
        if x.isNaN { return "(0.0\(suffix)/0.0\(suffix))" }
        if x.isInfinite { return x > 0 ? "(1.0\(suffix)/0.0\(suffix))" : "(-1.0\(suffix)/0.0\(suffix))" }
        var s = t == .f32 ? "\(Float(x))" : "\(x)"
        if !s.contains(".") && !s.contains("e") { s += ".0" }
        if s.hasSuffix(".") { s += "0" }
        return "(" + s + suffix + ")"
    case .i32:
        let k = Tensor.toInt32(x)
        return k == Int32.min ? "(-2147483647-1)" : "(\(k))"
    case .bool:
        return x != 0 ? "1" : "0"
    }
}

/// i32 arithmetic that wraps (as XLA does) instead of invoking C's undefined signed overflow.
private func wrap(_ op: String) -> CTemplate { CTemplate(text: "((int32_t)((uint32_t)($0) \(op) (uint32_t)($1)))") }

/// The C template of a unary primitive on dtype `t`.
func unaryTemplate(_ op: UnaryOp, _ t: DType) -> CTemplate {
    let one = cLiteral(1, t)
    // Transcendentals call the runtime's scalar function, the same math as its tiles and the interpreter.
    switch op {
    case .exp, .log, .log1p, .sin, .cos, .tanh, .logistic:
        let fn = "ax_\(op.rawValue)_\(t.rawValue)"
        return CTemplate(text: "\(fn)($0)", calls: [fn])
    case .neg: return CTemplate(text: t == .i32 ? "((int32_t)(0u - (uint32_t)($0)))" : "(-($0))")
    case .sqrt: return CTemplate(text: "\(mathFn("sqrt", t))($0)")
    case .abs: return CTemplate(text: t == .i32 ? "($0 < 0 ? (int32_t)(0u - (uint32_t)$0) : $0)" : "\(mathFn("fabs", t))($0)")
    case .sign:
        if t == .i32 { return CTemplate(text: "(($0 > 0) - ($0 < 0))") }
        // sign(±0) = ±0 and sign(NaN) = NaN, as in XLA.
        return CTemplate(text: "($0 > 0 ? \(one) : ($0 < 0 ? -\(one) : $0))")
    case .not: return CTemplate(text: t == .bool ? "(!($0))" : "(~($0))")
    }
}

/// The C template of a binary primitive whose operands have dtype `t`.
func binaryTemplate(_ op: BinaryOp, _ t: DType) -> CTemplate {
    let isInt = t == .i32
    switch op {
    case .add: return isInt ? wrap("+") : CTemplate(text: "($0 + $1)")
    case .sub: return isInt ? wrap("-") : CTemplate(text: "($0 - $1)")
    case .mul: return isInt ? wrap("*") : CTemplate(text: "($0 * $1)")
    case .div:
        // XLA: x / 0 = -1 and INT_MIN / -1 = INT_MIN for signed integers; never trap.
        if isInt { return CTemplate(text: "($1 == 0 ? (int32_t)-1 : ($1 == -1 ? (int32_t)(0u - (uint32_t)$0) : $0 / $1))") }
        return CTemplate(text: "($0 / $1)")
    case .pow: return CTemplate(text: "\(mathFn("pow", t))($0, $1)")
    case .max: return maxTemplate(t)
    case .min: return minTemplate(t)
    case .lt: return CTemplate(text: "($0 < $1)")
    case .le: return CTemplate(text: "($0 <= $1)")
    case .gt: return CTemplate(text: "($0 > $1)")
    case .ge: return CTemplate(text: "($0 >= $1)")
    case .eq: return CTemplate(text: "($0 == $1)")
    case .ne: return CTemplate(text: "($0 != $1)")
    case .and: return CTemplate(text: "($0 & $1)")
    case .or: return CTemplate(text: "($0 | $1)")
    }
}

/// max propagating NaN, with max(-0, +0) = +0 (XLA semantics).
func maxTemplate(_ t: DType) -> CTemplate {
    t.isFloat ? CTemplate(text: "(($0 > $1 || $0 != $0) ? $0 : (($0 < $1 || $1 != $1) ? $1 : ($0 == 0 ? $0 + $1 : $0)))")
        : CTemplate(text: "($0 > $1 ? $0 : $1)")
}

/// min propagating NaN, with min(-0, +0) = -0 (XLA semantics).
func minTemplate(_ t: DType) -> CTemplate {
    t.isFloat ? CTemplate(text: "(($0 < $1 || $0 != $0) ? $0 : (($0 > $1 || $1 != $1) ? $1 : ($0 == 0 ? -(-$0 - $1) : $0)))")
        : CTemplate(text: "($0 < $1 ? $0 : $1)")
}

/// `convert_element_type` from `from` to `to`: float→i32 saturates with NaN → 0; anything→bool is `!= 0`.
func convertTemplate(from: DType, to: DType) -> CTemplate {
    if from == to { return CTemplate(text: "$0") }
    switch to {
    case .bool: return CTemplate(text: "(($0) != 0)")
    case .i32 where from.isFloat:
        return CTemplate(text: "($0 != $0 ? 0 : ($0 >= 2147483647.0 ? 2147483647 : ($0 <= -2147483648.0 ? (-2147483647-1) : (int32_t)$0)))")
    default: return CTemplate(text: "((\(to.cType))($0))")
    }
}

/// A reduction's accumulator type, identity and combiner.
struct ReduceRule {
    var accType: String
    var identity: String
    var combine: CTemplate
}

/// The rule of reduce_sum / reduce_max / reduce_min over dtype `t`. f32 sums accumulate in double.
func reduceRule(_ p: Primitive, _ t: DType) -> ReduceRule? {
    switch p {
    case .reduceSum:
        switch t {
        case .f32, .f64: return ReduceRule(accType: "double", identity: "0.0", combine: CTemplate(text: "($0 + $1)"))
        case .i32: return ReduceRule(accType: "int32_t", identity: "0", combine: wrap("+"))
        case .bool: return nil
        }
    case .reduceMax:
        let lo = t == .i32 ? "(-2147483647-1)" : cLiteral(-.infinity, t)
        return ReduceRule(accType: t.cType, identity: lo, combine: maxTemplate(t))
    case .reduceMin:
        let hi = t == .i32 ? "2147483647" : cLiteral(.infinity, t)
        return ReduceRule(accType: t.cType, identity: hi, combine: minTemplate(t))
    default: return nil
    }
}

/// Every libm function kernels may call, with its C prototype (registered with tcc_add_symbol). Transcendentals
/// are not among them: kernels call the runtime's (RuntimeTable.swift), which the interpreter calls too.
let libmPrototypes: [(name: String, proto: String)] = {
    var out: [(String, String)] = []
    for base in ["sqrt", "fabs"] {
        out.append((base + "f", "float \(base)f(float);"))
        out.append((base, "double \(base)(double);"))
    }
    out.append(("powf", "float powf(float, float);"))
    out.append(("pow", "double pow(double, double);"))
    return out
}()
