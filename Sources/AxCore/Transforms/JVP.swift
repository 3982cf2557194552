// jvp, jacfwd, jacrev and hessian as program rewrites (docs/language.md "Forward mode and Jacobians"), and the
// removal of stop_gradient before codegen. jvp copies each equation and emits its JVP rule (its record, Primitives/).

/// The forward-mode program of `p`: inputs are `p`'s primals then one tangent per primal (parameters named
/// `x_dot`, with more `_dot`s where that name is taken, as in `jvp(jvp(f))`), outputs `(f(x), tangent_out)`.
/// Integer and boolean values have zero tangents.
public func jvp(_ p: Program) throws -> Program {
    var used = Set(p.params.map(\.name))
    let dotParams = p.params.map { prm -> ProgramParam in
        var name = prm.name + "_dot"
        while used.contains(name) { name += "_dot" }
        used.insert(name)
        return ProgramParam(name: name, tree: prm.tree)
    }
    return try jvp(p, active: p.inputs.map { _ in true }, tangentParams: dotParams)
}

/// `jvp(p)` with tangent inputs for the `active` input leaves only (the others' tangents are symbolic zeros),
/// described by `tangentParams`.
func jvp(_ p: Program, active: [Bool], tangentParams: [ProgramParam]) throws -> Program {
    let b = Builder(startingAfter: p.maxId)
    let m = VJPEmitter(b: b)
    var tangent: [Int: Atom] = [:]
    var tangentInputs: [Var] = []
    for (v, on) in zip(p.inputs, active) where on {
        let t = b.fresh(v.type)
        tangentInputs.append(t)
        if v.type.dtype.isFloat { tangent[v.id] = .v(t) }
    }
    func tan(_ a: Atom) -> Atom? { a.variable.flatMap { tangent[$0.id] } }
    for (i, group) in equationRuns(p.eqns) {
        let e = p.eqns[i]
        if let g = group {
            // A loop's results together: the loop over primals and tangents (Primitives/LoopTransforms.swift).
            let ts = g.inputs.map(tan)
            b.loc = g.loc
            guard ts.contains(where: { $0 != nil }) else { _ = try b.appendLoop(g.spec, g.inputs, outs: g.outs); continue }
            for (v, t) in zip(g.outs, try m.jvpLoop(g, tangents: ts)) { if let v, let t { tangent[v.id] = t } }
            continue
        }
        b.append(e)
        let ts = e.inputs.map(tan)
        guard e.out.type.dtype.isFloat, ts.contains(where: { $0 != nil }) else { continue }
        b.loc = e.loc
        if let g = try e.prim.rules.jvp(e, tangents: ts, m) {
            guard g.type == e.out.type else {
                throw InternalError("jvp of \(e.prim.name): rule gave \(g.type) for \(e.out.type)")
            }
            tangent[e.out.id] = g
        }
    }
    b.loc = .unknown
    let tangentOuts = try p.outputs.map { try tan($0) ?? m.zeros($0.type) }
    // Tangents that reach no output (stopped by stop_gradient, or of unused values) are removed.
    return eliminateDeadCode(Program(
        name: p.name, params: p.params + tangentParams, inputs: p.inputs + tangentInputs, eqns: b.take(),
        outputs: p.outputs + tangentOuts, outTree: .tuple([p.outTree, p.outTree]), origin: "jvp(\(p.origin))"))
}

/// `p` with every `stop_gradient` replaced by its operand (after the transforms, before codegen: see `lower`).
public func strippingStopGradient(_ p: Program) -> Program {
    guard p.eqns.contains(where: { $0.prim == .stopGradient }) else { return p }
    var env: [Int: Atom] = [:]
    func get(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
    var q = p
    q.eqns = []
    for var e in p.eqns {
        e.inputs = e.inputs.map(get)
        if e.prim == .stopGradient { env[e.out.id] = e.inputs[0]; continue }
        q.eqns.append(e)
    }
    q.outputs = p.outputs.map(get)
    return q
}

// MARK: - Jacobians

/// Which Jacobian: `jacfwd`, `jacrev`, or `hessian` (jacfwd of jacrev).
public enum JacobianKind: String, Sendable, Hashable {
    case jacfwd, jacrev, hessian
}

/// The Jacobian program of `p` with respect to the parameters `argnums`: each output leaf becomes the tree of
/// the differentiated parameter(s) (a tuple of them when `tupleArgnums`), each leaf shaped as the output leaf's
/// shape followed by the input leaf's shape, as `jax.jacfwd`/`jax.jacrev`/`jax.hessian` give.
public func jacobian(_ p: Program, kind: JacobianKind, argnums: [Int], tupleArgnums: Bool) throws -> Program {
    var r: Program
    switch kind {
    case .jacfwd: r = try jacfwdProgram(p, argnums: argnums, tupleArgnums: tupleArgnums)
    case .jacrev: r = try jacrevProgram(p, argnums: argnums, tupleArgnums: tupleArgnums)
    case .hessian:
        let inner = simplify(try jacrevProgram(p, argnums: argnums, tupleArgnums: tupleArgnums))
        try inner.verify()
        r = try jacfwdProgram(inner, argnums: argnums, tupleArgnums: tupleArgnums)
    }
    let argText = argnums == [0] && !tupleArgnums ? ""
        : ", argnums=" + (tupleArgnums ? "(" + argnums.map(String.init).joined(separator: ", ") + (argnums.count == 1 ? ",)" : ")") : "\(argnums[0])")
    r.origin = "\(kind.rawValue)(\(p.origin)\(argText))"
    return r
}

/// The input leaves of the parameters `argnums` (already normalized), in order; each must be a float, and each
/// Jacobian block (output shape + input shape) must fit the array limit.
private func jacobianLeaves(_ p: Program, _ argnums: [Int], _ what: String) throws -> [Var] {
    var firstLeaf: [Int] = [], next = 0
    for prm in p.params { firstLeaf.append(next); next += prm.tree.leafCount }
    var out: [Var] = []
    for k in argnums {
        guard k >= 0 && k < p.params.count else { throw InternalError("\(what): argnums \(k) out of range") }
        for v in p.inputs[firstLeaf[k]..<firstLeaf[k] + p.params[k].tree.leafCount] {
            guard v.type.dtype.isFloat else {
                throw Diagnostic("\(what) requires real-valued (float) inputs, but parameter '\(p.params[k].name)' has type \(v.type)")
            }
            for o in p.outputs {
                if let problem = o.type.with(shape: o.type.shape + v.type.shape).fixedSizeProblem {
                    throw Diagnostic("\(what): the Jacobian of an output \(o.type) with respect to '\(p.params[k].name)' \(v.type): \(problem)")
                }
            }
            out.append(v)
        }
    }
    return out
}

/// The standard basis of `t`'s space as one array of shape `t.shape + t.shape`: 1 where the two halves of the
/// index agree, else 0 (an `eye` built from `iota`, in `t`'s dtype). Built axis by axis at growing shapes, so the
/// work at the full size is one `and` and two broadcasts whatever `t`'s rank (eager materialises every step).
private func standardBasis(_ t: TensorType, _ m: VJPEmitter) throws -> Atom {
    let r = t.rank
    guard r > 0 else { return try m.emit(.broadcastInDim(shape: [], dims: []), [.lit(1, t.dtype)]) }
    /// `d × d`: true on the diagonal.
    func diagonal(_ d: Dim) throws -> Atom {
        try m.binary(.eq, try m.emit(.iota(.i32, shape: [d, d], dimension: 0), []),
                     try m.emit(.iota(.i32, shape: [d, d], dimension: 1), []))
    }
    // `same` covers the first k axes: shape (d0..dk-1, d0..dk-1).
    var same = try diagonal(t.shape[0])
    for k in 1..<r {
        let shape = Array(t.shape[0...k]) + Array(t.shape[0...k])
        let prefix = try m.broadcastInDim(same, shape, Array(0..<k) + Array((k + 1)..<(2 * k + 1)))
        let axis = try m.broadcastInDim(try diagonal(t.shape[k]), shape, [k, 2 * k + 1])
        same = try m.binary(.and, prefix, axis)
    }
    return try m.convert(same, t.dtype)
}

/// A size-variable name for an internal vmap that `p` does not use (substituted back by `inline`).
private func freshSizeName(_ p: Program) -> String {
    let used = Set(p.sizeVars)
    var k = 0
    while used.contains("jac\(k)") { k += 1 }
    return "jac\(k)"
}

/// `q` (whose last input has type `t`) mapped over the standard basis of `t`'s space, inlined into `m`'s builder
/// with `args` for the other inputs. One `vmap` per axis of `t`, innermost for the last axis, each inserting its
/// axis at `outAxes[i]` of output `i`: with `outAxes` = output ranks the result is shaped output + `t`, with 0s
/// it is `t` + output. A size-variable axis is mapped under a fresh name, replaced by its size when inlined.
private func mapOverBasis(_ q: Program, args: [Atom], space t: TensorType, outAxes: [Int], _ m: VJPEmitter) throws -> [Atom] {
    var v = q
    var sizes: [String: Dim] = [:]
    for d in t.shape.reversed() {
        let name = freshSizeName(v)
        let inAxes = Array(repeating: Int?.none, count: v.inputs.count - 1) + [0]
        v = simplify(try vmap(v, inAxes: inAxes, outAxes: outAxes, axisSize: d.constValue, sizeName: name))
        try v.verify()
        if d.constValue == nil { sizes[name] = d }
    }
    return try m.b.inline(v, args: args + [try standardBasis(t, m)], sizes: sizes)
}

/// The output tree of a Jacobian: each leaf of `p`'s output tree replaced by the differentiated parameters' tree.
private func jacobianTree(_ p: Program, _ argnums: [Int], _ tupleArgnums: Bool) -> TreeDef {
    let argTree: TreeDef = tupleArgnums ? .tuple(argnums.map { p.params[$0].tree }) : p.params[argnums[0]].tree
    func go(_ t: TreeDef) -> TreeDef {
        switch t { case .leaf: return argTree; case .tuple(let cs): return .tuple(cs.map(go)) }
    }
    return go(p.outTree)
}

/// jacfwd: for each differentiated input leaf, the jvp mapped over the standard basis of that leaf (the other
/// tangents symbolic zeros), the basis axes after the output's axes.
private func jacfwdProgram(_ p: Program, argnums: [Int], tupleArgnums: Bool) throws -> Program {
    let leaves = try jacobianLeaves(p, argnums, "jacfwd")
    let b = Builder(startingAfter: p.maxId)
    let m = VJPEmitter(b: b)
    let primals = p.inputs.map { Atom.v($0) }
    var perLeaf: [[Atom]] = []   // perLeaf[leaf][output]
    for leaf in leaves {
        // K(primals, direction) = the tangent outputs of jvp(p) with the direction as this leaf's tangent and zeros
        // as the other differentiated leaves' (materialized, as JAX's basis over all argnums: a derivative that
        // is NaN or infinite in another argument gives NaN here too, 0 * NaN, as in JAX).
        let others = leaves.filter { $0 != leaf }
        let joint = try jvp(p, active: p.inputs.map { $0 == leaf || others.contains($0) },
                            tangentParams: ([leaf] + others).map { _ in ProgramParam(name: "direction", tree: .leaf) })
        let kb = Builder(startingAfter: joint.maxId)
        let km = VJPEmitter(b: kb)
        let kPrimals = p.inputs.map { kb.fresh($0.type) }, direction = kb.fresh(leaf.type)
        // The joint program's tangent inputs follow p.inputs' order among the active leaves.
        let tangentArgs = try p.inputs.filter { $0 == leaf || others.contains($0) }.map { $0 == leaf ? Atom.v(direction) : try km.zeros($0.type) }
        let outs = try kb.inline(joint, args: kPrimals.map { .v($0) } + tangentArgs)
        var k = Program(name: p.name, params: p.params + [ProgramParam(name: "direction", tree: .leaf)],
                        inputs: kPrimals + [direction], eqns: kb.take(), outputs: Array(outs[p.outputs.count...]), outTree: p.outTree)
        k = simplify(k)
        try k.verify()
        perLeaf.append(try mapOverBasis(k, args: primals, space: leaf.type, outAxes: p.outputs.map { $0.type.rank }, m))
    }
    let outputs = p.outputs.indices.flatMap { i in perLeaf.map { $0[i] } }
    return Program(name: p.name, params: p.params, inputs: p.inputs, eqns: b.take(), outputs: outputs,
                   outTree: jacobianTree(p, argnums, tupleArgnums))
}

/// jacrev: for each output leaf, the gradient of `sum(out * c)` mapped over the standard basis for `c`, the basis
/// axes (the output's shape) before the input's axes; a scalar output needs no basis: one reverse pass.
private func jacrevProgram(_ p: Program, argnums: [Int], tupleArgnums: Bool) throws -> Program {
    _ = try jacobianLeaves(p, argnums, "jacrev")  // checks the differentiated inputs
    if let bad = p.outputs.first(where: { !$0.type.dtype.isFloat }) {
        throw Diagnostic("jacrev requires real-valued (float) outputs, got \(bad.type)")
    }
    let b = Builder(startingAfter: p.maxId)
    let m = VJPEmitter(b: b)
    let primals = p.inputs.map { Atom.v($0) }
    var perOutput: [[Atom]] = []   // perOutput[output][leaf]
    for (i, o) in p.outputs.enumerated() {
        // S(primals[, c]) = sum(out_i * c), or out_i itself for a scalar output.
        let sb = Builder(startingAfter: p.maxId)
        let sm = VJPEmitter(b: sb)
        let sPrimals = p.inputs.map { sb.fresh($0.type) }
        let out = try sb.inline(p, args: sPrimals.map { .v($0) })[i]
        let scalar = o.type.isScalar
        let c = sb.fresh(o.type)
        let value = scalar ? out : try sm.reduceSum(sm.mul(out, .v(c)), Array(0..<o.type.rank))
        let s = Program(name: p.name, params: p.params + (scalar ? [] : [ProgramParam(name: "cotangent", tree: .leaf)]),
                        inputs: sPrimals + (scalar ? [] : [c]), eqns: sb.take(), outputs: [value], outTree: .leaf)
        let g = simplify(try grad(s, argnums: argnums, tupleArgnums: true, withValue: false))
        try g.verify()
        if scalar {
            perOutput.append(try b.inline(g, args: primals))
            continue
        }
        perOutput.append(try mapOverBasis(g, args: primals, space: o.type, outAxes: g.outputs.map { _ in 0 }, m))
    }
    return Program(name: p.name, params: p.params, inputs: p.inputs, eqns: b.take(), outputs: perOutput.flatMap { $0 },
                   outTree: jacobianTree(p, argnums, tupleArgnums))
}
