// The collectives as builtins (jax.lax.psum, pmean, pmax, pmin, axis_index): `psum(x, axis_name)` with a string or a
// tuple of strings (nested maps, innermost listed anywhere). They bind to the enclosing vmap/pmap of that name.

extension Ops {
    /// Signatures of the collective builtins (merged into `signatures`).
    static let collectiveSignatures: [String: String] = {
        var s: [String: String] = [:]
        for k in CollectiveKind.allCases { s[k.rawValue] = "\(k.rawValue)(x, axis_name)" }
        s["axis_index"] = "axis_index(axis_name)"
        return s
    }()

    /// A collective builtin call; nil when `name` is not one.
    func callCollective(_ name: String, _ a: [String: (Value, SourceRange)], at range: SourceRange) throws -> Value? {
        func arg(_ p: String) -> (Value, SourceRange) { a[p] ?? (.none, range) }
        let isIndex = name == "axis_index"
        guard isIndex || CollectiveKind(rawValue: name) != nil else { return nil }
        let (nv, nr) = arg("axis_name")
        let names: [String]
        switch nv {
        case .string(let s): names = [s]
        case .tuple(let vs):
            names = try vs.map { v -> String in
                guard case .string(let s) = v else { throw Diagnostic("\(name): axis_name must be a string or a tuple of strings", at: nr) }
                return s
            }
        default: throw Diagnostic("\(name): axis_name must be a string or a tuple of strings, got \(nv.typeDescription)", at: nr)
        }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else { throw Diagnostic("\(name): axis_name must not be empty", at: nr) }
        if isIndex {
            guard names.count == 1 else { throw Diagnostic("axis_index takes one axis name", at: nr) }
            return .array(try emit(.axisIndex(axis: names[0]), []), weak: false)
        }
        let kind = CollectiveKind(rawValue: name)!
        var x = kind == .mean ? try floatArray(arg("x"), name) : try numeric(arg("x"), name)
        // Over several axes: one collective per axis (they commute).
        for n in names { x = try emit(.collective(kind, axis: n), [x]) }
        return .array(x, weak: false)
    }
}
