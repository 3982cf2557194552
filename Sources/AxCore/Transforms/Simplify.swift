// Simplification: dead-code elimination, common-subexpression elimination and algebraic folding, repeated to a
// fixpoint, alternating with the pruning of loops' dead carries (PruneLoops.swift), the contraction rewrites of
// Contract.swift and the scan accumulators' hoisting (Accumulators.swift). Folds never change results for finite
// inputs (up to the sign of a zero); the contraction rewrites and the hoisting change rounding only.

/// The program with dead code (loops' dead carries included), duplicate equations and trivial arithmetic removed,
/// contractions rewritten (Contract.swift) and scan accumulators hoisted (Accumulators.swift), in up to 8 rounds of at
/// most 20 folding sweeps each; same inputs and outputs.
public func simplify(_ p: Program) -> Program {
    var q = p
    // Contraction rewrites see folded operands, and leave broadcasts for another round of folding. Each
    // rewrite removes a contraction pattern, so a few rounds reach the fixpoint.
    for round in 1... {
        for _ in 0..<20 {
            let (next, changed) = simplifyOnce(q)
            q = next
            if !changed { break }
        }
        guard round < 8 else { return q }
        let pruned = pruneLoops(q)
        let contracted = rewriteContractions(pruned ?? q)
        guard let r = hoistAccumulators(contracted ?? pruned ?? q) ?? contracted ?? pruned else { return q }
        q = r
    }
    return q
}

/// The identity of an equation for CSE: primitive, parameters and operands (literals by bit pattern,
/// so `0.0` and `-0.0` stay apart).
private struct EqnKey: Hashable {
    enum Operand: Hashable {
        case v(Int), lit(UInt64, DType)
        /// A total order for the canonical operand order of commutative operations (variables first, by id).
        static func precedes(_ a: Operand, _ b: Operand) -> Bool {
            switch (a, b) {
            case (.v(let x), .v(let y)): return x < y
            case (.v, .lit): return true
            case (.lit, .v): return false
            case (.lit(let x, let s), .lit(let y, let t)): return x != y ? x < y : s.rawValue < t.rawValue
            }
        }
    }
    var prim: Primitive
    var operands: [Operand]
    init(_ e: Eqn) {
        prim = e.prim
        operands = e.inputs.map {
            switch $0 { case .v(let x): return .v(x.id); case .lit(let x, let t): return .lit(x.bitPattern, t) }
        }
        // Commutative operations (bit-identical either way, NaNs included) get one canonical operand order.
        if case .binary(let op) = e.prim, op.def.commutative {
            operands.sort(by: Operand.precedes)
        }
    }
}

/// One forward sweep of folding and CSE, then DCE; reports whether anything changed.
private func simplifyOnce(_ p: Program) -> (Program, Bool) {
    var env: [Int: Atom] = [:]
    var defs: [Int: Eqn] = [:]
    var seen: [EqnKey: Var] = [:]
    var eqns: [Eqn] = []
    var changed = false
    func sub(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }

    next: for var e in p.eqns {
        e.inputs = e.inputs.map(sub)
        for _ in 0..<8 {
            switch fold(e, defs) {
            case .keep: break
            case .replace(let a): env[e.out.id] = a; changed = true; continue next
            case .rewrite(let prim, let inputs): e.prim = prim; e.inputs = inputs; changed = true; continue
            }
            break
        }
        let key = EqnKey(e)
        if let v = seen[key] { env[e.out.id] = .v(v); changed = true; continue }
        seen[key] = e.out
        defs[e.out.id] = e
        eqns.append(e)
    }
    var q = p
    q.eqns = eqns
    q.outputs = p.outputs.map(sub)
    let live = eliminateDeadCode(q)
    return (live, changed || live.eqns.count != q.eqns.count)
}

/// The algebraic folding rules: each primitive's own (in its record, Primitives/), after the one every element-wise
/// primitive shares; `defs` maps variable ids to the (kept) equations defining them.
private func fold(_ e: Eqn, _ defs: [Int: Eqn]) -> Fold {
    let x = e.inputs
    func producer(_ a: Atom) -> Eqn? { a.variable.flatMap { defs[$0.id] } }
    let rules = e.prim.rules
    // A scalar literal broadcast into an element-wise operand is used as the literal itself
    // (element-wise primitives accept scalar literal operands), as long as another operand keeps the shape.
    if rules.fusion == .elementwise, e.inputs.count > 1 {
        for (i, a) in x.enumerated() {
            guard let b = producer(a), case .broadcastInDim = b.prim, b.inputs[0].isLiteral else { continue }
            let others = x.enumerated().filter { $0.offset != i && !$0.element.isLiteral }
            guard others.contains(where: { $0.element.type.shape == e.out.type.shape }) else { continue }
            var inputs = x
            inputs[i] = b.inputs[0]
            return .rewrite(e.prim, inputs)
        }
    }
    return rules.fold(e, producer: producer)
}
