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
    // A loop's dead carries leave first: a zero cotangent must not flow back through them (0 · ∞ is NaN), as JAX's
    // DCE of scan drops them before transposing.
    let p = pruneLoops(p) ?? p
    guard tupleArgnums || params.count == 1 else { throw InternalError("grad: several argnums without a tuple") }

    // Forward pass, then the backward pass seeded with 1 for the output.
    let b = Builder(startingAfter: p.maxId)
    let m = VJPEmitter(b: b)
    let residuals = try forwardPass(p.eqns, b)
    var seeds: [Int: Atom] = [:]
    if case .v(let y) = p.outputs[0] { seeds[y.id] = .lit(1, y.type.dtype) }
    let ct = try backwardPass(p.eqns, seeds: seeds, residuals: residuals, m)

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

/// The forward pass of reverse mode: `eqns` copied into `b`, except that each scan also stacks the residuals its VJP
/// reads (`forwardScanWithResiduals`). Returns them by the index of the loop group's first equation.
func forwardPass(_ eqns: [Eqn], _ b: Builder) throws -> [Int: ScanResiduals] {
    var residuals: [Int: ScanResiduals] = [:]
    for (i, group) in equationRuns(eqns) {
        if let g = group, case .scan = g.spec {
            b.loc = g.loc
            residuals[i] = try forwardScanWithResiduals(g, b)
        } else {
            eqns[i..<(i + (group?.span ?? 1))].forEach(b.append)
        }
    }
    return residuals
}

/// The backward pass: each equation's VJP rule in reverse order (a loop group's once, with all its results'
/// cotangents), starting from `seeds`. Returns the cotangents by variable id; a variable without one has a zero.
func backwardPass(_ eqns: [Eqn], seeds: [Int: Atom], residuals: [Int: ScanResiduals], _ m: VJPEmitter) throws -> [Int: Atom] {
    var ct = seeds
    func accumulate(_ inputs: [Atom], _ cts: [Atom?]) throws {
        for (a, c) in zip(inputs, cts) {
            guard let c, case .v(let v) = a, v.type.dtype.isFloat else { continue }
            ct[v.id] = try ct[v.id].map { try m.add($0, c) } ?? c
        }
    }
    for (start, group) in equationRuns(eqns).reversed() {
        if let g = group {
            let cts = g.outs.map { v in v.flatMap { ct.removeValue(forKey: $0.id) } }
            if cts.contains(where: { $0 != nil }) {
                m.b.loc = g.loc
                try accumulate(g.inputs, try m.vjpScan(g, cts: cts, residuals: residuals[start]))
            }
            continue
        }
        let e = eqns[start]
        guard let g = ct.removeValue(forKey: e.out.id) else { continue }
        m.b.loc = e.loc
        let need = e.inputs.map { $0.variable?.type.dtype.isFloat ?? false }
        try accumulate(e.inputs, try vjp(e, ct: g, need: need, m))
    }
    return ct
}

/// The VJP program of `p` for the outputs `seeds` (indices): inputs are `p`'s, then one cotangent per seeded output;
/// outputs are the cotangents of `p`'s float inputs, in order (zeros where none flows).
func vjpProgram(_ p: Program, seeds: [Int]) throws -> Program {
    let p = pruneLoops(p) ?? p  // as in grad
    let b = Builder(startingAfter: p.maxId)
    let m = VJPEmitter(b: b)
    let ctInputs = seeds.map { b.fresh(p.outputs[$0].type) }
    let residuals = try forwardPass(p.eqns, b)
    var seedMap: [Int: Atom] = [:]
    for (k, v) in zip(seeds, ctInputs) {
        guard case .v(let y) = p.outputs[k] else { continue }
        seedMap[y.id] = try seedMap[y.id].map { try m.add($0, .v(v)) } ?? .v(v)
    }
    let ct = try backwardPass(p.eqns, seeds: seedMap, residuals: residuals, m)
    b.loc = .unknown
    let outs = try p.inputs.filter { $0.type.dtype.isFloat }.map { try ct[$0.id] ?? m.zeros($0.type) }
    let q = Program(name: p.name, params: positionalParams(p.inputs.count + ctInputs.count),
                    inputs: p.inputs + ctInputs, eqns: b.take(), outputs: outs, outTree: .tuple(outs.map { _ in .leaf }))
    return simplify(eliminateDeadCode(q))
}
