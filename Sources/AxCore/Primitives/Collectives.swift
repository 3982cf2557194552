// The collectives' records: psum, pmean, pmax, pmin and axis_index over a named mapped axis (jax.lax's). Per example
// they have no meaning of their own: the batching rule of the `vmap`/`pmap` that binds their axis name turns them
// into reductions along the batch axis, as JAX's vmap does. One left unbound is a located error (Driver/Pipeline.swift).

/// Which collective.
public enum CollectiveKind: String, Sendable, Hashable, CaseIterable {
    case sum = "psum", mean = "pmean", max = "pmax", min = "pmin"
}

/// The error of a collective that no map binds.
func unboundAxis(_ name: String, _ axis: String) -> Diagnostic {
    Diagnostic("\(name): axis name '\(axis)' is not bound by any enclosing vmap or pmap (give one axis_name='\(axis)')")
}

/// The record of psum, pmean, pmax and pmin: same shape as the operand.
struct CollectiveRules: PrimitiveRules {
    let kind: CollectiveKind, axis: String
    var name: String { kind.rawValue }
    var paramText: String { "axes=('\(axis)',)" }
    var fusion: FusionKind { .elementwise }
    var axisName: String? { axis }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
        if kind == .mean { guard ins[0].dtype.isFloat else { throw ShapeError("pmean expects floats, got \(ins[0])") } }
        return ins[0]
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { throw unboundAxis(name, axis) }

    /// psum transposes to psum and pmean to pmean (JAX's); pmax and pmin are not differentiable, as in JAX.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        guard kind == .sum || kind == .mean else { throw Diagnostic("\(name) is not differentiable") }
        return [try m.emit(e.prim, [ct])]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0] else { return nil }
        guard kind == .sum || kind == .mean else { throw Diagnostic("\(name) is not differentiable") }
        return try m.emit(e.prim, [t])
    }

    /// Over this map's axis: a reduction along the batch axis, whose result is the same for every example (not
    /// mapped); a not-mapped operand is the same on every example (psum multiplies it by the size). Over another
    /// axis: the collective on the batched operand, which keeps its batch axis.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard axis == b.axisName else { return Batched(try b.b.emit(.collective(kind, axis: axis), [x.atom]), x.bdim) }
        let t = x.atom.type.dtype
        guard let d = x.bdim else {
            switch kind {
            case .sum: return Batched(try b.b.emit(.binary(.mul), [x.atom, try sizeValue(t, b, like: x.atom)]), nil)
            case .mean, .max, .min: return Batched(x.atom, nil)
            }
        }
        switch kind {
        case .sum: return Batched(try b.b.emit(.reduceSum(axes: [d]), [x.atom]), nil)
        case .max: return Batched(try b.b.emit(.reduceMax(axes: [d]), [x.atom]), nil)
        case .min: return Batched(try b.b.emit(.reduceMin(axes: [d]), [x.atom]), nil)
        case .mean:
            let sum = try b.b.emit(.reduceSum(axes: [d]), [x.atom])
            return Batched(try b.b.emit(.binary(.div), [sum, try sizeValue(t, b, like: sum)]), nil)
        }
    }

    /// The mapped size as a value of dtype `t` shaped like `like`: a literal, or for a size variable the count of a
    /// broadcast of ones (as `mean` over a size-variable axis).
    private func sizeValue(_ t: DType, _ b: Batcher, like: Atom) throws -> Atom {
        let n: Atom
        if let k = b.size.constValue { n = .lit(Double(k), t) }
        else { n = try b.b.emit(.reduceSum(axes: [0]), [try b.b.emit(.broadcastInDim(shape: [b.size], dims: []), [.lit(1, t)])]) }
        if like.type.isScalar || n.isLiteral { return n }
        return try b.b.emit(.broadcastInDim(shape: like.type.shape, dims: []), [n])
    }
}

/// The record of axis_index: the example's position along the named mapped axis.
struct AxisIndexRules: PrimitiveRules {
    let axis: String
    var name: String { "axis_index" }
    var paramText: String { "axis_name='\(axis)'" }
    var fusion: FusionKind { .indexRemap }
    var axisName: String? { axis }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 0)
        return TensorType(.i32)
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { throw unboundAxis(name, axis) }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] { [] }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? { nil }
    /// Over this map's axis: the iota of the mapped size, mapped along its only axis.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        guard axis == b.axisName else { return Batched(try b.b.emit(.axisIndex(axis: axis), []), nil) }
        return Batched(try b.b.emit(.iota(.i32, shape: [b.size], dimension: 0), []), 0)
    }
}
