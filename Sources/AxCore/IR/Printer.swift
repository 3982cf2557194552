// Prints a Program as jaxpr-like text: `{ lambda ; a:f32[n,5]. let b:f32[n] = ... in (b,) }`.
// This text is the golden-test format of the IR (see docs/ir.md).

extension Program {
    /// The printed name of every variable: inputs, then equation outputs, in order of appearance (jaxpr naming:
    /// a..z, then ba, bb, ...; names of size variables are skipped). The kernel graph's text uses the same names.
    public var printedNames: [Int: String] {
        var names: [Int: String] = [:]
        let reserved = Set(sizeVars)
        var counter = 0
        func nextName() -> String {
            while true {
                var k = counter, s = ""
                repeat { s = String(UnicodeScalar(UInt8(97 + k % 26))) + s; k = k / 26 - 1 } while k >= 0
                counter += 1
                if !reserved.contains(s) { return s }
            }
        }
        func name(_ v: Var) { if names[v.id] == nil { names[v.id] = nextName() } }
        inputs.forEach(name)
        for e in eqns {
            name(e.out)
            for case .v(let v) in e.inputs { name(v) }  // only in a broken program is an operand not named yet
        }
        for case .v(let v) in outputs { name(v) }
        return names
    }

    /// The jaxpr-like text of the program, one equation per line.
    public var text: String {
        let names = printedNames
        let ins = inputs.map { "\(names[$0.id]!):\($0.type)" }.joined(separator: " ")
        var out = "{ lambda ; \(ins). let\n"
        for (i, group) in equationRuns(eqns) {
            guard let g = group else { out += "    \(equationText(eqns[i], names))\n"; continue }
            // A loop's results on one line, jaxpr style; `_` for a result no one reads.
            let lhs = g.outs.enumerated().map { k, v in v.map { "\(names[$0.id] ?? "?"):\($0.type)" } ?? "_:\(g.spec.resultType(k))" }
            let args = g.inputs.map { atomText($0, names) }.joined(separator: " ")
            out += "    \(lhs.joined(separator: " ")) = \(eqns[i].prim.name)[\(LoopRules(spec: g.spec, output: -1).paramText)] \(args)\n"
        }
        let outs = outputs.map { atomText($0, names) }
        out += "  in (\(outs.joined(separator: ", "))\(outs.count == 1 ? "," : "")) }\n"
        return out
    }
}

/// An operand as printed: a variable's name, or a literal with its type (`2.0:f32[]`).
func atomText(_ a: Atom, _ names: [Int: String]) -> String {
    switch a {
    case .v(let v): return names[v.id] ?? "?"
    case .lit(let x, let t): return "\(formatLiteral(x, t)):\(t)[]"
    }
}

/// One equation as printed: `b:f32[n] = mul a 2.0:f32[]`.
func equationText(_ e: Eqn, _ names: [Int: String]) -> String {
    let lhs = "\(names[e.out.id] ?? "?"):\(e.out.type)"
    let params = e.prim.paramText.isEmpty ? "" : "[\(e.prim.paramText)]"
    let args = e.inputs.map { atomText($0, names) }.joined(separator: " ")
    return "\(lhs) = \(e.prim.name)\(params)\(args.isEmpty ? "" : " " + args)"
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
