// grad and value_and_grad: reverse-mode differentiation as a program rewrite.
// The forward equations are copied, then each equation's VJP rule (VJPRules.swift) is emitted in reverse order.

/// The gradient program of `p` with respect to the parameters `argnums` (indices into `p.params`).
/// Output tree: the differentiated parameter's tree (or a tuple of them when `tupleArgnums`), wrapped as
/// `(value, grads)` when `withValue`. Throws a `Diagnostic` (without a range) when `p` does not return a float scalar.
public func grad(_ p: Program, argnums: [Int], tupleArgnums: Bool, withValue: Bool) throws -> Program {
    guard p.outTree == .leaf, p.outputs.count == 1, p.outputs[0].type.isScalar, p.outputs[0].type.dtype.isFloat else {
        throw Diagnostic("grad requires a function with a scalar float output, got \(describeOutputs(p))")
    }
    let params = try differentiatedParams(p, argnums)
    guard tupleArgnums || params.count == 1 else { throw InternalError("grad: several argnums without a tuple") }

    // Forward pass: the original equations, unchanged.
    let b = Builder(startingAfter: p.maxId)
    p.eqns.forEach(b.append)
    let m = VJPEmitter(b: b)

    // Backward pass: cotangents by variable id; a variable without an entry has a symbolic zero cotangent.
    var ct: [Int: Atom] = [:]
    if case .v(let y) = p.outputs[0] { ct[y.id] = .lit(1, y.type.dtype) }
    for e in p.eqns.reversed() {
        guard let g = ct.removeValue(forKey: e.out.id) else { continue }
        b.loc = e.loc
        let need = e.inputs.map { $0.variable?.type.dtype.isFloat ?? false }
        let cts = try vjp(e, ct: g, need: need, m)
        for (a, c) in zip(e.inputs, cts) {
            guard let c, case .v(let v) = a, v.type.dtype.isFloat else { continue }
            ct[v.id] = try ct[v.id].map { try m.add($0, c) } ?? c
        }
    }

    // Outputs: each differentiated input's cotangent, or zeros of its type.
    b.loc = .unknown
    var grads: [Atom] = []
    for (_, leaves) in params {
        for v in leaves { grads.append(try ct[v.id] ?? m.zeros(v.type)) }
    }
    let gradTree: TreeDef = tupleArgnums ? .tuple(params.map { p.params[$0.index].tree }) : p.params[params[0].index].tree
    let argText = argnums == [0] && !tupleArgnums ? ""
        : ", argnums=" + (tupleArgnums ? "(" + argnums.map(String.init).joined(separator: ", ") + (argnums.count == 1 ? ",)" : ")") : "\(argnums[0])")
    let result = Program(
        name: p.name, params: p.params, inputs: p.inputs, eqns: b.take(),
        outputs: (withValue ? [p.outputs[0]] : []) + grads,
        outTree: withValue ? .tuple([.leaf, gradTree]) : gradTree,
        origin: "\(withValue ? "value_and_grad" : "grad")(\(p.origin)\(argText))")
    return eliminateDeadCode(result)
}

/// The parameters to differentiate: their index and input leaves. Rejects out-of-range argnums (negative
/// ones count from the end, as in JAX) and parameters with integer or boolean leaves.
private func differentiatedParams(_ p: Program, _ argnums: [Int]) throws -> [(index: Int, leaves: [Var])] {
    var firstLeaf: [Int] = [], next = 0
    for prm in p.params { firstLeaf.append(next); next += prm.tree.leafCount }
    let n = p.params.count
    return try argnums.map { a in
        let k = a < 0 ? a + n : a
        guard k >= 0 && k < n else {
            throw Diagnostic("differentiating with respect to argnums=\(a) requires at least \(a < 0 ? -a : a + 1) positional arguments, but '\(p.name)' takes \(n)")
        }
        let leaves = Array(p.inputs[firstLeaf[k]..<firstLeaf[k] + p.params[k].tree.leafCount])
        if let bad = leaves.first(where: { !$0.type.dtype.isFloat }) {
            throw Diagnostic("grad requires real-valued (float) inputs, but parameter '\(p.params[k].name)' has type \(bad.type); integer and boolean inputs are not differentiable")
        }
        return (k, leaves)
    }
}

/// The output types in the shape of the output tree: `f32[3]`, `(f32[], f32[2])`.
private func describeOutputs(_ p: Program) -> String {
    var types = p.outputs.map(\.type.description)[...]
    func walk(_ t: TreeDef) -> String {
        switch t {
        case .leaf: return types.popFirst() ?? "?"
        case .tuple(let cs): return "(" + cs.map(walk).joined(separator: ", ") + (cs.count == 1 ? ",)" : ")")
        }
    }
    return walk(p.outTree)
}
