// The emitter VJP rules are written with, and the dispatch to each primitive's rule (in its record, Primitives/).
// Rules emit ordinary primitives that are themselves differentiable, so grad(grad(f)) and vmap(grad(f)) work.

/// Emits the primitives the VJP rules are written in. Scalar-literal arithmetic is folded, `x * 1` and `x + 0`
/// are skipped, and a scalar variable meeting an array in an element-wise op is broadcast first.
struct VJPEmitter {
    let b: Builder

    /// Emits one equation; a shape error here is a bug in a rule, not the user's.
    func emit(_ p: Primitive, _ xs: [Atom]) throws -> Atom {
        do { return try b.emit(p, xs) } catch let e as ShapeError {
            throw InternalError("a derivative rule (VJP or JVP) emitted a bad \(p.name): \(e.message)")
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
    /// `x op y`, or the other operand when one is the literal `unit` (the left one only when `op` commutes).
    private func skipping(_ unit: Double, _ op: BinaryOp, _ x: Atom, _ y: Atom) throws -> Atom {
        if op.def.commutative && x.literalValue == unit { return y }
        return y.literalValue == unit ? x : try binary(op, x, y)
    }
    func add(_ x: Atom, _ y: Atom) throws -> Atom { try skipping(0, .add, x, y) }
    func sub(_ x: Atom, _ y: Atom) throws -> Atom { try skipping(0, .sub, x, y) }
    func mul(_ x: Atom, _ y: Atom) throws -> Atom { try skipping(1, .mul, x, y) }
    func div(_ x: Atom, _ y: Atom) throws -> Atom { try skipping(1, .div, x, y) }
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

/// The cotangents of `e`'s inputs given the cotangent `ct` of its output (nil: no cotangent flows): the rule in
/// the primitive's record (Primitives/). `need[i]` says whether input `i` wants one (a float variable).
func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
    var cts = try e.prim.rules.vjp(e, ct: ct, need: need, m)
    if cts.count < e.inputs.count { cts += Array(repeating: nil, count: e.inputs.count - cts.count) }
    return cts
}
