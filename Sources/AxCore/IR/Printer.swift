// Prints a Program as jaxpr-like text: `{ lambda ; a:f32[n,5]. let b:f32[n] = ... in (b,) }`.
// This text is the golden-test format of the IR (see docs/ir.md).

extension Program {
    /// The jaxpr-like text of the program, one equation per line.
    public var text: String {
        var names: [Int: String] = [:]
        let reserved = Set(sizeVars)
        var counter = 0
        func nextName() -> String {
            while true {
                var k = counter, s = ""
                repeat { s = String(UnicodeScalar(UInt8(97 + k % 26))) + s; k = k / 26 - 1 } while k >= 0
                counter += 1
                // jaxpr naming: a..z, then ba, bb, ...; skip names used by size variables
                if !reserved.contains(s) { return s }
            }
        }
        func name(_ v: Var) -> String {
            if let n = names[v.id] { return n }
            let n = nextName(); names[v.id] = n; return n
        }
        func atom(_ a: Atom) -> String {
            switch a {
            case .v(let v): return name(v)
            case .lit(let x, let t): return "\(formatLiteral(x, t)):\(t)[]"
            }
        }
        let ins = inputs.map { "\(name($0)):\($0.type)" }.joined(separator: " ")
        var out = "{ lambda ; \(ins). let\n"
        for e in eqns {
            let lhs = "\(name(e.out)):\(e.out.type)"
            let params = e.prim.paramText.isEmpty ? "" : "[\(e.prim.paramText)]"
            let args = e.inputs.map(atom).joined(separator: " ")
            out += "    \(lhs) = \(e.prim.name)\(params)\(args.isEmpty ? "" : " " + args)\n"
        }
        let outs = outputs.map(atom)
        out += "  in (\(outs.joined(separator: ", "))\(outs.count == 1 ? "," : "")) }\n"
        return out
    }
}

/// A literal as printed in IR and C: integers without a fraction for i32/bool, shortest round-trip for floats.
public func formatLiteral(_ x: Double, _ t: DType) -> String {
    switch t {
    case .bool: return x != 0 ? "True" : "False"
    case .i32: return String(Int(x))
    case .f32:
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(Float(x))"
    case .f64:
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(x)"
    }
}
