// C expression templates (`$0`, `$1`, `$2` are operands; each primitive's are in its record, Primitives/), C literals,
// and the libm functions kernels may call.

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

/// `fmaf` or `fma`: a float contraction's multiply-add (one rounding), in the dtype `t`.
func fmaName(_ t: DType) -> String { t == .f32 ? "fmaf" : "fma" }

/// Every libm function kernels may call, with its C prototype (registered with tcc_add_symbol). Transcendentals
/// are not among them: kernels call the runtime's (RuntimeTable.swift), which the interpreter calls too.
let libmPrototypes: [(name: String, proto: String)] = {
    var out: [(String, String)] = []
    for base in ["sqrt", "fabs"] {
        out.append((base + "f", "float \(base)f(float);"))
        out.append((base, "double \(base)(double);"))
    }
    for base in ["pow", "atan2", "fmod"] {
        out.append((base + "f", "float \(base)f(float, float);"))
        out.append((base, "double \(base)(double, double);"))
    }
    out += [("fmaf", "float fmaf(float, float, float);"), ("fma", "double fma(double, double, double);")]
    return out
}()
