// VJP rules: for every primitive, the cotangents of its inputs given the cotangent of its output.
// Rules emit ordinary primitives that are themselves differentiable here, so grad(grad(f)) and vmap(grad(f)) work.

/// Emits the primitives the VJP rules are written in. Scalar-literal arithmetic is folded, `x * 1` and `x + 0`
/// are skipped, and a scalar variable meeting an array in an element-wise op is broadcast first.
struct VJPEmitter {
    let b: Builder

    /// Emits one equation; a shape error here is a bug in a rule, not the user's.
    func emit(_ p: Primitive, _ xs: [Atom]) throws -> Atom {
        do { return try b.emit(p, xs) } catch let e as ShapeError {
            throw InternalError("grad: rule emitted a bad \(p.name): \(e.message)")
        }
    }

    /// A scalar literal of `like`'s dtype.
    func lit(_ x: Double, _ like: Atom) -> Atom { .lit(x, like.type.dtype) }

    /// Zeros of type `t`: a literal for a scalar, else a broadcast literal.
    func zeros(_ t: TensorType) throws -> Atom {
        if t.isScalar { return .lit(0, t.dtype) }
        return try emit(.broadcastInDim(shape: t.shape, dims: []), [.lit(0, t.dtype)])
    }

    /// Broadcasts a scalar variable to `shape` (scalar literals broadcast by themselves).
    func expand(_ a: Atom, to shape: [Dim]) throws -> Atom {
        guard case .v(let v) = a, v.type.isScalar, !shape.isEmpty else { return a }
        return try emit(.broadcastInDim(shape: shape, dims: []), [a])
    }

    /// The common shape of element-wise operands: the largest rank wins (the others are scalars).
    private func commonShape(_ xs: [Atom]) -> [Dim] {
        xs.map(\.type.shape).max { $0.count < $1.count } ?? []
    }

    func binary(_ op: BinaryOp, _ x: Atom, _ y: Atom) throws -> Atom {
        if let a = x.literalValue, let c = y.literalValue, let r = foldLiteral(op, a, c, x.type.dtype) {
            return .lit(r, x.type.dtype)
        }
        let shape = commonShape([x, y])
        return try emit(.binary(op), [try expand(x, to: shape), try expand(y, to: shape)])
    }
    func add(_ x: Atom, _ y: Atom) throws -> Atom {
        if x.literalValue == 0 { return y }
        if y.literalValue == 0 { return x }
        return try binary(.add, x, y)
    }
    func sub(_ x: Atom, _ y: Atom) throws -> Atom {
        if y.literalValue == 0 { return x }
        return try binary(.sub, x, y)
    }
    func mul(_ x: Atom, _ y: Atom) throws -> Atom {
        if x.literalValue == 1 { return y }
        if y.literalValue == 1 { return x }
        return try binary(.mul, x, y)
    }
    func div(_ x: Atom, _ y: Atom) throws -> Atom {
        if y.literalValue == 1 { return x }
        return try binary(.div, x, y)
    }
    func neg(_ x: Atom) throws -> Atom {
        if case .lit(let a, let t) = x { return .lit(-a, t) }
        return try emit(.unary(.neg), [x])
    }
    func unary(_ op: UnaryOp, _ x: Atom) throws -> Atom { try emit(.unary(op), [x]) }
    func integerPow(_ x: Atom, _ y: Int) throws -> Atom { y == 1 ? x : try emit(.integerPow(y), [x]) }

    /// `select_n(pred, onFalse, onTrue)`, broadcasting scalar variables to the common shape.
    func select(_ pred: Atom, _ onFalse: Atom, _ onTrue: Atom) throws -> Atom {
        let shape = commonShape([pred, onFalse, onTrue])
        return try emit(.select, [try expand(pred, to: shape), try expand(onFalse, to: shape), try expand(onTrue, to: shape)])
    }
    func convert(_ x: Atom, _ t: DType) throws -> Atom {
        x.type.dtype == t ? x : try emit(.convert(t), [x])
    }
    func reduceSum(_ x: Atom, _ axes: [Int]) throws -> Atom {
        axes.isEmpty ? x : try emit(.reduceSum(axes: axes), [x])
    }
    func broadcastInDim(_ x: Atom, _ shape: [Dim], _ dims: [Int]) throws -> Atom {
        if x.type.shape == shape && dims == Array(0..<shape.count) { return x }
        return try emit(.broadcastInDim(shape: shape, dims: dims), [x])
    }
    func reshape(_ x: Atom, _ shape: [Dim]) throws -> Atom {
        x.type.shape == shape ? x : try emit(.reshape(shape), [x])
    }
    func transpose(_ x: Atom, _ perm: [Int]) throws -> Atom {
        perm == Array(0..<perm.count) ? x : try emit(.transpose(perm), [x])
    }
    func pad(_ x: Atom, low: [Int], high: [Int], interior: [Int]) throws -> Atom {
        if (low + high + interior).allSatisfy({ $0 == 0 }) { return x }
        return try emit(.pad(low: low, high: high, interior: interior), [x, lit(0, x)])
    }
    func slice(_ x: Atom, start: [Int], limit: [Dim], strides: [Int]) throws -> Atom {
        if start.allSatisfy({ $0 == 0 }) && strides.allSatisfy({ $0 == 1 }) && limit == x.type.shape { return x }
        return try emit(.slice(start: start, limit: limit, strides: strides), [x])
    }
}

/// `a op c` for two scalar literals of dtype `t`, rounded to `t` (i32 wraps around); nil when not folded.
func foldLiteral(_ op: BinaryOp, _ a: Double, _ c: Double, _ t: DType) -> Double? {
    switch t {
    case .f32, .f64:
        let r: Double
        switch op {
        case .add: r = a + c
        case .sub: r = a - c
        case .mul: r = a * c
        case .div: r = a / c
        default: return nil
        }
        return t == .f32 ? Double(Float(r)) : r
    case .i32:
        guard Swift.abs(a) < 0x1p62, Swift.abs(c) < 0x1p62 else { return nil }
        let (p, q) = (Int32(truncatingIfNeeded: Int64(a)), Int32(truncatingIfNeeded: Int64(c)))
        switch op {
        case .add: return Double(p &+ q)
        case .sub: return Double(p &- q)
        case .mul: return Double(p &* q)
        default: return nil
        }
    case .bool: return nil
    }
}

/// The cotangents of `e`'s inputs given the cotangent `ct` of its output (nil: no cotangent flows).
/// `need[i]` says whether input `i` wants one (a float variable); rules compute only those.
/// `ct` has the output's type, or is a scalar literal when the output is a scalar.
func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
    let x = e.inputs
    let ans = Atom.v(e.out)
    var cts = [Atom?](repeating: nil, count: x.count)
    func set(_ i: Int, _ rule: () throws -> Atom) rethrows { if need[i] { cts[i] = try rule() } }
    let one = m.lit(1, ans)

    switch e.prim {
    case .unary(let op):
        switch op {
        case .neg: try set(0) { try m.neg(ct) }
        case .exp: try set(0) { try m.mul(ct, ans) }
        case .log: try set(0) { try m.div(ct, x[0]) }
        case .log1p: try set(0) { try m.div(ct, m.add(x[0], one)) }
        case .sqrt: try set(0) { try m.mul(ct, m.div(m.lit(0.5, ans), ans)) }
        // JAX: select(x >= 0, g, -g), so abs'(0) = 1.
        case .abs: try set(0) { try m.select(m.binary(.ge, x[0], m.lit(0, ans)), m.neg(ct), ct) }
        case .sin: try set(0) { try m.mul(ct, m.unary(.cos, x[0])) }
        case .cos: try set(0) { try m.mul(ct, m.neg(m.unary(.sin, x[0]))) }
        case .tanh: try set(0) { try m.mul(m.add(ct, m.mul(ct, ans)), m.sub(one, ans)) }
        case .logistic: try set(0) { try m.mul(ct, m.mul(ans, m.sub(one, ans))) }
        case .sign, .not: break
        }

    case .binary(let op):
        switch op {
        case .add:
            set(0) { ct }; set(1) { ct }
        case .sub:
            set(0) { ct }; try set(1) { try m.neg(ct) }
        case .mul:
            try set(0) { try m.mul(ct, x[1]) }; try set(1) { try m.mul(x[0], ct) }
        case .div:
            try set(0) { try m.div(ct, x[1]) }
            try set(1) { try m.mul(m.mul(m.neg(ct), x[0]), m.integerPow(x[1], -2)) }
        case .pow:
            // JAX's _pow_jvp_lhs/rhs for float exponents: y * x^(y-1), and log(x, with 0 replaced by 1) * x^y.
            try set(0) { try m.mul(ct, m.mul(x[1], m.emit(.binary(.pow), [x[0], m.sub(x[1], one)]))) }
            try set(1) {
                let safe: Atom
                if let a = x[0].literalValue { safe = m.lit(a == 0 ? 1 : a, ans) }
                else { safe = try m.select(m.binary(.eq, x[0], m.lit(0, ans)), x[0], one) }
                return try m.mul(ct, m.mul(m.unary(.log, safe), ans))
            }
        case .max, .min:
            // JAX's _balanced_eq: ties split the cotangent equally.
            for (i, j) in [(0, 1), (1, 0)] {
                try set(i) {
                    let chosen = try m.select(m.binary(.eq, x[i], ans), m.lit(0, ans), one)
                    let other = try m.select(m.binary(.eq, x[j], ans), one, m.lit(2, ans))
                    return try m.mul(ct, m.div(chosen, other))
                }
            }
        case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: break
        }

    case .integerPow(let y):
        if y != 0 {
            try set(0) {
                if y == 1 { return ct }
                let base = y == 2 ? x[0] : try m.integerPow(x[0], y - 1)
                return try m.mul(ct, m.mul(m.lit(Double(y), ans), base))
            }
        }

    case .convert:
        // Only float → float conversions carry a cotangent (need is false for integer inputs).
        try set(0) { try m.convert(ct, x[0].type.dtype) }

    case .select:
        let zero = m.lit(0, ans)
        try set(1) { try m.select(x[0], ct, zero) }
        try set(2) { try m.select(x[0], zero, ct) }

    case .reduceSum(let axes):
        try set(0) { try m.broadcastInDim(ct, x[0].type.shape, keptAxes(x[0].type.rank, axes)) }

    case .reduceMax(let axes), .reduceMin(let axes):
        // JAX's _reduce_chooser_jvp_rule: the cotangent is split equally among all extremal positions.
        try set(0) {
            let t = x[0].type, kept = keptAxes(t.rank, axes)
            let location = try m.convert(m.binary(.eq, x[0], m.broadcastInDim(ans, t.shape, kept)), t.dtype)
            let counts = try m.reduceSum(location, axes)
            return try m.mul(location, m.broadcastInDim(m.div(ct, counts), t.shape, kept))
        }

    case .broadcastInDim(let shape, let dims):
        // Sum over the new axes and the size-1 axes that were expanded, then restore the size-1 axes.
        try set(0) {
            let t = x[0].type
            let kept = Set(dims.indices.filter { t.shape[$0] != .const(1) }.map { dims[$0] })
            let summed = try m.reduceSum(ct, (0..<shape.count).filter { !kept.contains($0) })
            return try m.reshape(summed, t.shape)
        }

    case .reshape:
        try set(0) { try m.reshape(ct, x[0].type.shape) }

    case .transpose(let perm):
        try set(0) {
            var inverse = perm
            for (i, p) in perm.enumerated() { inverse[p] = i }
            return try m.transpose(ct, inverse)
        }

    case .slice(let start, let limit, let strides):
        try set(0) { try sliceTranspose(ct, operand: x[0].type, start: start, limit: limit, strides: strides, m) }

    case .pad(let lo, let hi, let interior):
        let operandCT = { try padTranspose(ct, operand: x[0].type, low: lo, high: hi, interior: interior, m) }
        try set(0, operandCT)
        // The padding value receives everything that did not come from the operand (JAX's _pad_transpose).
        try set(1) {
            let all = Array(0..<ans.type.rank)
            return try m.sub(m.reduceSum(ct, all), m.reduceSum(operandCT(), all))
        }

    case .concatenate(let axis):
        var offset = 0
        for (i, a) in x.enumerated() {
            let k = a.type.shape[axis].constValue
            if need[i] {
                var start = Array(repeating: 0, count: a.type.rank), limit = ct.type.shape
                start[axis] = offset
                if let k { limit[axis] = .const(offset + k) }
                cts[i] = try m.slice(ct, start: start, limit: limit, strides: Array(repeating: 1, count: a.type.rank))
            }
            offset += k ?? 0
        }

    case .dotGeneral(let d):
        try set(0) { try dotTransposeLHS(ct, x: x[0].type, y: x[1], d, swapAns: false, m) }
        try set(1) {
            let swapped = DotDims(lhsContract: d.rhsContract, rhsContract: d.lhsContract, lhsBatch: d.rhsBatch, rhsBatch: d.lhsBatch)
            return try dotTransposeLHS(ct, x: x[1].type, y: x[0], swapped, swapAns: true, m)
        }

    case .iota, .stopGradient: break
    }
    return cts
}

/// The axes of a rank-`rank` array that a reduction over `axes` keeps.
private func keptAxes(_ rank: Int, _ axes: [Int]) -> [Int] { (0..<rank).filter { !axes.contains($0) } }

/// JAX's _dot_general_transpose_lhs: contract the cotangent with `y` over `y`'s free axes, then put the
/// result's axes (batch, kept, contracted in `y`'s order) back in `x`'s order.
private func dotTransposeLHS(_ g: Atom, x: TensorType, y: Atom, _ d: DotDims, swapAns: Bool, _ m: VJPEmitter) throws -> Atom {
    let xKept = keptAxes(x.rank, d.lhsContract + d.lhsBatch)
    let yKept = keptAxes(y.type.rank, d.rhsContract + d.rhsBatch)
    let nb = d.lhsBatch.count
    let yStart = swapAns ? nb : nb + xKept.count
    let dims = DotDims(lhsContract: Array(yStart..<yStart + yKept.count), rhsContract: yKept,
                       lhsBatch: Array(0..<nb), rhsBatch: d.rhsBatch)
    let xContractSortedByY = d.rhsContract.indices.sorted { d.rhsContract[$0] < d.rhsContract[$1] }.map { d.lhsContract[$0] }
    let unsorted = d.lhsBatch + xKept + xContractSortedByY
    let outAxes = unsorted.indices.sorted { unsorted[$0] < unsorted[$1] }
    return try m.transpose(m.emit(.dotGeneral(dims), [g, y]), outAxes)
}

/// The transpose of `slice`: pad with zeros (strides become interior padding). An axis of symbolic size
/// sliced to a constant range cannot be padded; it is scattered back with a one-hot contraction instead.
private func sliceTranspose(_ ct: Atom, operand t: TensorType, start: [Int], limit: [Dim], strides: [Int], _ m: VJPEmitter) throws -> Atom {
    var lo: [Int] = [], hi: [Int] = [], interior: [Int] = [], symbolic: [Int] = []
    for i in 0..<t.rank {
        let full = start[i] == 0 && strides[i] == 1 && limit[i] == t.shape[i]
        guard !full, let size = t.shape[i].constValue, let k = ct.type.shape[i].constValue else {
            if !full { symbolic.append(i) }
            lo.append(0); hi.append(0); interior.append(0); continue
        }
        let realLimit = start[i] + (k == 0 ? 0 : 1 + (k - 1) * strides[i])
        lo.append(start[i]); hi.append(size - realLimit); interior.append(strides[i] - 1)
    }
    var r = try m.pad(ct, low: lo, high: hi, interior: interior)
    for i in symbolic {
        // onehot[j, p] = (p == start + j * stride); contract r's axis i with onehot's axis 0.
        let k = r.type.shape[i], n = t.shape[i]
        let rows = try m.emit(.iota(.i32, shape: [k, n], dimension: 0), [])
        let cols = try m.emit(.iota(.i32, shape: [k, n], dimension: 1), [])
        let picked = try m.binary(.add, m.binary(.mul, rows, .lit(Double(strides[i]), .i32)), .lit(Double(start[i]), .i32))
        let onehot = try m.convert(m.binary(.eq, cols, picked), t.dtype)
        let moved = try m.emit(.dotGeneral(DotDims(lhsContract: [i], rhsContract: [0])), [r, onehot])
        // The scattered axis comes out last; move it back to position i.
        var perm = Array(0..<(t.rank - 1)); perm.insert(t.rank - 1, at: i)
        r = try m.transpose(moved, perm)
    }
    return r
}

/// The transpose of `pad` with respect to its operand: zero-pad the cotangent where negative padding
/// cropped the output, then take every (interior + 1)-th element starting after the low padding.
private func padTranspose(_ ct: Atom, operand t: TensorType, low: [Int], high: [Int], interior: [Int], _ m: VJPEmitter) throws -> Atom {
    let widened = try m.pad(ct, low: low.map { max(0, -$0) }, high: high.map { max(0, -$0) },
                            interior: Array(repeating: 0, count: t.rank))
    var start: [Int] = [], limit: [Dim] = [], strides: [Int] = []
    for i in 0..<t.rank {
        guard let k = t.shape[i].constValue, low[i] != 0 || high[i] != 0 || interior[i] != 0 else {
            start.append(0); limit.append(widened.type.shape[i]); strides.append(1); continue
        }
        let s = max(0, low[i]), step = interior[i] + 1
        start.append(s); limit.append(.const(k == 0 ? s : s + (k - 1) * step + 1)); strides.append(step)
    }
    return try m.slice(widened, start: start, limit: limit, strides: strides)
}
