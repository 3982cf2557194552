// JVP rules: for every primitive, the tangent of its output given the tangents of its inputs (JAX's ad.defjvp
// rules, docs/primitives.md). Rules emit ordinary differentiable primitives, so jvp composes with grad and vmap.

/// The tangent of `e`'s output given its inputs' tangents (`nil`: a symbolic zero), emitted after `e` itself, so
/// a rule may read `e.out`. Returns nil for a zero tangent. Called only for float outputs with some tangent.
/// One self-contained `case` per primitive.
func jvp(_ e: Eqn, tangents t: [Atom?], _ m: VJPEmitter) throws -> Atom? {
    let x = e.inputs
    let ans = Atom.v(e.out)
    let one = m.lit(1, ans)

    switch e.prim {
    case .unary(let op):
        guard let g = t[0] else { return nil }
        switch op {
        case .neg: return try m.neg(g)
        case .exp: return try m.mul(g, ans)
        case .log: return try m.div(g, x[0])
        case .log1p: return try m.div(g, m.add(x[0], one))
        case .sqrt: return try m.mul(g, m.div(m.lit(0.5, ans), ans))
        // JAX: select(x >= 0, g, -g), so abs'(0) = 1.
        case .abs: return try m.select(m.binary(.ge, x[0], m.lit(0, ans)), m.neg(g), g)
        case .sin: return try m.mul(g, m.unary(.cos, x[0]))
        case .cos: return try m.mul(g, m.neg(m.unary(.sin, x[0])))
        case .tanh: return try m.mul(m.add(g, m.mul(g, ans)), m.sub(one, ans))
        case .logistic: return try m.mul(g, m.mul(ans, m.sub(one, ans)))
        case .sign, .not: return nil
        }

    case .binary(let op):
        // Each operand's contribution; the tangent is their sum (nil + nil = nil).
        func sum(_ a: Atom?, _ b: Atom?) throws -> Atom? {
            guard let a else { return b }
            guard let b else { return a }
            return try m.add(a, b)
        }
        switch op {
        case .add: return try sum(t[0], t[1])
        case .sub: return try sum(t[0], t[1].map { try m.neg($0) })
        case .mul: return try sum(t[0].map { try m.mul($0, x[1]) }, t[1].map { try m.mul(x[0], $0) })
        case .div:
            return try sum(t[0].map { try m.div($0, x[1]) },
                           t[1].map { try m.mul(m.mul(m.neg($0), x[0]), m.integerPow(x[1], -2)) })
        case .pow:
            // JAX's _pow_jvp_lhs/rhs for float exponents: y * x^(y-1), and log(x, with 0 replaced by 1) * x^y.
            let lhs = try t[0].map { try m.mul($0, m.mul(x[1], m.emit(.binary(.pow), [x[0], m.sub(x[1], one)]))) }
            let rhs = try t[1].map { g -> Atom in
                let safe: Atom
                if let a = x[0].literalValue { safe = m.lit(a == 0 ? 1 : a, ans) }
                else { safe = try m.select(m.binary(.eq, x[0], m.lit(0, ans)), x[0], one) }
                return try m.mul(g, m.mul(m.unary(.log, safe), ans))
            }
            return try sum(lhs, rhs)
        case .max, .min:
            // JAX's _balanced_eq: at a tie each operand contributes half.
            func part(_ i: Int, _ j: Int) throws -> Atom? {
                guard let g = t[i] else { return nil }
                let chosen = try m.select(m.binary(.eq, x[i], ans), m.lit(0, ans), one)
                let other = try m.select(m.binary(.eq, x[j], ans), one, m.lit(2, ans))
                return try m.mul(g, m.div(chosen, other))
            }
            return try sum(part(0, 1), part(1, 0))
        case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return nil
        }

    case .integerPow(let y):
        guard let g = t[0], y != 0 else { return nil }
        if y == 1 { return g }
        let base = y == 2 ? x[0] : try m.integerPow(x[0], y - 1)
        return try m.mul(g, m.mul(m.lit(Double(y), ans), base))

    case .convert(let to):
        // Only float → float conversions carry a tangent.
        guard let g = t[0], x[0].type.dtype.isFloat, to.isFloat else { return nil }
        return try m.convert(g, to)

    case .select:
        guard t[1] != nil || t[2] != nil else { return nil }
        let zero = m.lit(0, ans)
        return try m.select(x[0], t[1] ?? zero, t[2] ?? zero)

    case .reduceSum(let axes):
        guard let g = t[0] else { return nil }
        return try m.reduceSum(g, axes)

    case .reduceMax(let axes), .reduceMin(let axes):
        // JAX's _reduce_chooser_jvp_rule: the mean of the tangent over all extremal positions.
        guard let g = t[0] else { return nil }
        let ty = x[0].type
        let kept = (0..<ty.rank).filter { !axes.contains($0) }
        let location = try m.convert(m.binary(.eq, x[0], m.broadcastInDim(ans, ty.shape, kept)), ty.dtype)
        let counts = try m.reduceSum(location, axes)
        return try m.div(m.reduceSum(m.mul(g, location), axes), counts)

    case .broadcastInDim, .reshape, .transpose, .slice:
        // Linear structural primitives: the same primitive on the tangent.
        guard let g = t[0] else { return nil }
        return try m.emit(e.prim, [g])

    case .pad:
        guard t[0] != nil || t[1] != nil else { return nil }
        return try m.emit(e.prim, [try t[0] ?? m.zeros(x[0].type), t[1] ?? m.lit(0, ans)])

    case .concatenate:
        guard t.contains(where: { $0 != nil }) else { return nil }
        return try m.emit(e.prim, try zip(x, t).map { a, g in try g ?? m.zeros(a.type) })

    case .dotGeneral:
        // Bilinear: dot(tx, y) + dot(x, ty).
        let l = try t[0].map { try m.emit(e.prim, [$0, x[1]]) }
        let r = try t[1].map { try m.emit(e.prim, [x[0], $0]) }
        guard let l else { return r }
        guard let r else { return l }
        return try m.add(l, r)

    case .iota: return nil

    case .stopGradient: return nil
    }
}
