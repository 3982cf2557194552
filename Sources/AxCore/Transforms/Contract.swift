// Contraction rewrites that change how much work a program does, not what it computes: a sum of a product of
// broadcasts is factored (sum_ij x_i y_j = sum_i x_i * sum_j y_j), and a transposed contraction swaps operands
// (the contraction's record, Primitives/Contraction.swift, has that rewrite).

/// `p` with sums of products of broadcasts factored and transposes of dot_general outputs folded into the
/// contraction. Returns nil when nothing applies.
func rewriteContractions(_ p: Program) -> Program? {
    var uses: [Int: Int] = [:]
    for e in p.eqns {
        for a in e.inputs { if let v = a.variable { uses[v.id, default: 0] += 1 } }
    }
    for a in p.outputs { if let v = a.variable { uses[v.id, default: 0] += 1 } }
    let b = Builder(startingAfter: p.maxId)
    // The rewrites look through producers: `defs` holds the equations as emitted, their operands already
    // substituted, so a rewrite never refers to a variable that an earlier rewrite replaced.
    var defs: [Int: Eqn] = [:]
    var env: [Int: Atom] = [:]
    var changed = false
    func sub(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
    for var e in p.eqns {
        e.inputs = e.inputs.map(sub)
        b.loc = e.loc
        if let r = try? factorSum(e, defs, b) ?? DotGeneralRules.foldTransposed(e, defs, uses, b) {
            env[e.out.id] = r
            changed = true
        } else {
            b.append(e)
            defs[e.out.id] = e
        }
    }
    guard changed else { return nil }
    var q = p
    q.eqns = b.take()
    q.outputs = p.outputs.map(sub)
    return eliminateDeadCode(q)
}

/// How `a` covers the dimensions of `shape`: broadcast_in_dim's operand and dims, or `a` itself on every dim.
private func broadcastSource(_ a: Atom, _ defs: [Int: Eqn]) -> (Atom, [Int]) {
    if let v = a.variable, let e = defs[v.id], case .broadcastInDim(let shape, let dims) = e.prim,
       zip(e.inputs[0].type.shape, dims).allSatisfy({ $0.0 == shape[$0.1] }) {
        return (e.inputs[0], dims)
    }
    return (a, Array(0..<a.type.rank))
}

/// reduce_sum[axes](mul(bcast x, bcast y)) when every summed axis belongs to exactly one of x and y:
/// sum x over its summed axes, y over its own, and multiply the broadcast results.
private func factorSum(_ e: Eqn, _ defs: [Int: Eqn], _ b: Builder) throws -> Atom? {
    guard case .reduceSum(let axes) = e.prim, e.out.type.dtype.isFloat, let m = e.inputs[0].variable,
          let mul = defs[m.id], mul.prim == .binary(.mul), !mul.inputs.contains(where: \.isLiteral) else { return nil }
    let shape = m.type.shape
    let (x, dx) = broadcastSource(mul.inputs[0], defs), (y, dy) = broadcastSource(mul.inputs[1], defs)
    guard axes.allSatisfy({ dx.contains($0) != dy.contains($0) }) else { return nil }
    // A factor constant along every summed axis (a broadcast scalar s) is not pulled out of a sum that may be
    // empty: s * sum([]) is NaN when s is infinite (the 1/count of a mean's VJP at count 0), sum(s * []) is 0.
    let mayBeEmpty = axes.contains { (shape[$0].constValue ?? 0) == 0 }
    if mayBeEmpty && (!axes.contains(where: dx.contains) || !axes.contains(where: dy.contains)) { return nil }
    let kept = (0..<shape.count).filter { !axes.contains($0) }
    let outShape = kept.map { shape[$0] }
    func factor(_ a: Atom, _ dims: [Int]) throws -> Atom {
        let summed = dims.indices.filter { axes.contains(dims[$0]) }
        let r = summed.isEmpty ? a : try b.emit(.reduceSum(axes: summed), [a])
        let rest = dims.filter { !axes.contains($0) }.map { kept.firstIndex(of: $0)! }
        return try b.emit(.broadcastInDim(shape: outShape, dims: rest), [r])
    }
    return try b.emit(.binary(.mul), [try factor(x, dx), try factor(y, dy)])
}
