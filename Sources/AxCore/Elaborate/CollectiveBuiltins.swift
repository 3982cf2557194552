// The collectives as builtins (jax.lax.psum, pmean, pmax, pmin, axis_index): `psum(x, axis_name)` with a string or a
// tuple of strings (nested maps, innermost listed anywhere). They bind to the enclosing vmap/pmap of that name.

extension Ops {
    /// Signatures of the collective builtins (merged into `signatures`).
    static let collectiveSignatures: [String: String] = {
        var s: [String: String] = [:]
        for k in CollectiveKind.allCases { s[k.rawValue] = "\(k.rawValue)(x, axis_name)" }
        s["axis_index"] = "axis_index(axis_name)"
        s["all_gather"] = "all_gather(x, axis_name, axis=0, tiled=False)"
        s["psum_scatter"] = "psum_scatter(x, axis_name, scatter_dimension=0, tiled=False)"
        s["ppermute"] = "ppermute(x, axis_name, perm)"
        return s
    }()

    /// A collective builtin call; nil when `name` is not one.
    func callCollective(_ name: String, _ a: [String: (Value, SourceRange)], at range: SourceRange) throws -> Value? {
        func arg(_ p: String) -> (Value, SourceRange) { a[p] ?? (.none, range) }
        let isIndex = name == "axis_index"
        guard isIndex || CollectiveKind(rawValue: name) != nil || ["all_gather", "psum_scatter", "ppermute"].contains(name) else { return nil }
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
        if ["all_gather", "psum_scatter", "ppermute"].contains(name) {
            guard names.count == 1 else { throw Diagnostic("\(name) takes one axis name", at: nr) }
            let x = try arrayArg(arg("x"), name)
            let tiled = try name != "ppermute" && boolArg(arg("tiled"), "tiled") == true
            let size = mappedSizePlaceholder(names[0])
            switch name {
            case "all_gather":
                let d = try dimArg(arg("axis"), rank: x.type.rank + (tiled ? 0 : 1))
                return .array(try emit(.allGather(axis: names[0], dimension: d, size: size, tiled: tiled), [x]), weak: false)
            case "psum_scatter":
                let d = try dimArg(arg("scatter_dimension"), rank: x.type.rank)
                return .array(try emit(.psumScatter(axis: names[0], dimension: d, tiled: tiled ? size : nil), [x]), weak: false)
            default:
                let (pv, pr) = arg("perm")
                let pairs: [[Int]]
                do {
                    guard case .tuple(let items) = pv else { throw Diagnostic("") }
                    pairs = try items.map { item -> [Int] in
                        guard case .tuple(let two) = item, two.count == 2, let a = Ops.staticInt(two[0]), let b = Ops.staticInt(two[1]) else { throw Diagnostic("") }
                        return [a, b]
                    }
                } catch {
                    throw Diagnostic("ppermute: perm must be pairs of ints (source, destination), got \(pv.typeDescription)", at: pr)
                }
                return .array(try emit(.ppermute(axis: names[0], perm: pairs), [x]), weak: false)
            }
        }
        let kind = CollectiveKind(rawValue: name)!
        var x = kind == .mean ? try floatArray(arg("x"), name) : try numeric(arg("x"), name)
        // Over several axes: one collective per axis (they commute).
        for n in names { x = try emit(.collective(kind, axis: n), [x]) }
        return .array(x, weak: false)
    }

    /// An int axis argument (negative counts from the end) within `rank`.
    private func dimArg(_ a: (Value, SourceRange), rank: Int) throws -> Int {
        if isNone(a.0) { return 0 }
        guard let k = Ops.staticInt(a.0), k >= -rank, k < rank else {
            throw Diagnostic("axis must be an int in \(-rank)..<\(rank), got \(a.0.typeDescription)", at: a.1)
        }
        return k < 0 ? k + rank : k
    }
}
