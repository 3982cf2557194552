// The gather's record: `jnp.take` and `jnp.take_along_axis` with i32 index arrays, as an index remap whose index is
// data (read from the indices where the element is generated). Negative indices count from the end; out-of-range
// ones give JAX's fill value (NaN, INT_MIN, True). Its VJP scatters the cotangent back with a select and a sum.

/// The record of gather: operands `x` and `idx` (i32).
struct GatherRules: PrimitiveRules {
    let axis: Int, along: Bool
    var name: String { along ? "take_along_axis" : "take" }
    var paramText: String { "axis=\(axis)" }
    var fusion: FusionKind { .indexRemap }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 2)
        let (x, idx) = (ins[0], ins[1])
        guard idx.dtype == .i32 else { throw ShapeError("\(name): indices must be i32, got \(idx)") }
        guard axis >= 0 && axis < x.rank else { throw ShapeError("\(name): axis \(axis) out of range for \(x)") }
        if !along { return TensorType(x.dtype, Array(x.shape[..<axis]) + idx.shape + Array(x.shape[(axis + 1)...])) }
        guard idx.rank == x.rank, (0..<x.rank).allSatisfy({ $0 == axis || idx.shape[$0] == x.shape[$0] }) else {
            throw ShapeError("take_along_axis: indices \(idx) do not match \(x) outside axis \(axis)")
        }
        return TensorType(x.dtype, idx.shape)
    }

    /// The fill value of out-of-range indices (jnp.take's mode="fill").
    private func fill(_ t: DType) -> Double {
        switch t { case .f32, .f64: return .nan; case .i32: return -2147483648; case .bool: return 1 }
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let (x, idx) = (args[0], args[1])
        guard case .i32(let ix) = idx.storage else { throw Diagnostic("\(name): indices must be i32") }
        let n = x.shape[axis], xs = Tensor.strides(x.shape), os = Tensor.strides(outShape)
        let count = outShape.reduce(1, *), k = idx.shape.count
        // For each output element: its index in x (nil when the index is out of range).
        func source(_ o: Int) -> Int? {
            var rem = o, pos = [Int](repeating: 0, count: outShape.count)
            for d in 0..<outShape.count { pos[d] = rem / os[d]; rem %= os[d] }
            var xpos: [Int], i: Int
            if along {
                i = Int(ix[o]); xpos = pos
            } else {
                let j = Array(pos[axis..<(axis + k)]), js = Tensor.strides(idx.shape)
                i = Int(ix[zip(j, js).reduce(0) { $0 + $1.0 * $1.1 }])
                xpos = Array(pos[..<axis]) + [0] + Array(pos[(axis + k)...])
            }
            if i < 0 { i += n }
            guard i >= 0 && i < n else { return nil }
            xpos[axis] = i
            return zip(xpos, xs).reduce(0) { $0 + $1.0 * $1.1 }
        }
        func pick<T: AxElement>(_ a: [T], _ f: T) -> [T] { makeArray(count) { out in for o in 0..<count { out[o] = source(o).map { a[$0] } ?? f } } }
        switch x.storage {
        case .f32(let a): return .f32(pick(a, .nan))
        case .f64(let a): return .f64(pick(a, .nan))
        case .i32(let a): return .i32(pick(a, Int32.min))
        case .bool(let a): return .bool(pick(a, true))
        }
    }

    /// The cotangent summed back onto the positions the indices picked: `select(index == p, ct, 0)` over a new axis
    /// `p` of x's length, then summed over the index axes (an out-of-range index picks no position).
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil, nil] }
        let x = e.inputs[0].type, idx = e.inputs[1], n = x.shape[axis]
        let normalized = try m.select(m.binary(.lt, idx, .lit(0, .i32)), idx, m.binary(.add, idx, try m.b.sizeAsScalar(n, .i32)))
        let ctShape = ct.type.shape
        // The expanded array: ct's shape with p inserted after the index axes.
        let k = along ? 1 : idx.type.rank
        let pAxis = axis + k
        var big = ctShape; big.insert(n, at: pAxis)
        let idxDims = along ? Array(0..<pAxis) + Array((pAxis + 1)..<big.count) : Array(axis..<pAxis)
        let positions = try m.emit(.iota(.i32, shape: big, dimension: pAxis), [])
        let picked = try m.binary(.eq, m.broadcastInDim(normalized, big, idxDims), positions)
        let spread = try m.broadcastInDim(ct, big, Array(0..<pAxis) + Array((pAxis + 1)..<big.count))
        let summed = try m.reduceSum(m.select(picked, m.zeros(TensorType(ct.type.dtype, big)), spread), Array(axis..<pAxis))
        return [summed, nil]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        try tangents[0].map { try m.emit(e.prim, [$0, e.inputs[1]]) }
    }

    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let (x, idx) = (ins[0], ins[1])
        if along {
            // Both at axis 0 (a not-mapped one broadcast), the axis shifted.
            return Batched(try b.b.emit(.gather(axis: axis + 1, along: true), [try b.materialize(x, at: 0), try b.materialize(idx, at: 0)]), 0)
        }
        switch (x.bdim, idx.bdim) {
        case (let dx?, nil):
            let k = idx.atom.type.rank
            let newAxis = dx <= axis ? axis + 1 : axis
            return Batched(try b.b.emit(.gather(axis: newAxis, along: false), [x.atom, idx.atom]), dx <= axis ? dx : dx - 1 + k)
        case (nil, let di?):
            // The indices' axes (the batch axis among them) replace x's axis.
            return Batched(try b.b.emit(.gather(axis: axis, along: false), [x.atom, idx.atom]), axis + di)
        default:
            // Both mapped: a take_along_axis on x with the batch axis first and the indices broadcast over x's
            // other axes (one index axis at most).
            let xb = try b.materialize(x, at: 0), ib = try b.materialize(idx, at: 0)
            let k = idx.atom.type.rank - 1
            guard k <= 1 else { throw Diagnostic("vmap of take with both the array and indices of rank > 1 mapped is not supported yet") }
            var shape = xb.type.shape
            if k == 0 { shape[axis + 1] = .const(1) } else { shape[axis + 1] = ib.type.shape[1] }
            let wide = try b.b.emit(.broadcastInDim(shape: shape, dims: k == 0 ? [0] : [0, axis + 1]), [ib])
            var r = try b.b.emit(.gather(axis: axis + 1, along: true), [xb, wide])
            if k == 0 { var s = r.type.shape; s.remove(at: axis + 1); r = try b.b.emit(.reshape(s), [r]) }
            return Batched(r, 0)
        }
    }

    func readsFlat(_ e: Eqn) -> Bool { false }
    /// The index read where the element is generated, wrapped once if negative; out of range gives the fill value.
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        guard case .multi(let ix) = idx else { throw InternalError("codegen: flat \(name)") }
        let x = e.inputs[0], ind = e.inputs[1], n = k.dim(x.type.shape[axis]), t = e.out.type.dtype
        let ni = along ? ix : Array(ix[axis..<(axis + ind.type.rank)])
        let raw = try k.gen(ind, ind.type.rank == 0 ? .multi([]) : .multi(ni))
        let i = k.fresh("t")
        k.line("int64_t \(i) = (int64_t)(\(raw)); if (\(i) < 0) \(i) += \(n);")
        var xi = along ? ix : Array(ix[..<axis]) + ["0"] + Array(ix[(axis + ind.type.rank)...])
        xi[axis] = i
        let r = k.fresh("t")
        k.line("\(t.cType) \(r);")
        try k.block("if (\(i) >= 0 && \(i) < \(n))") { k.line("\(r) = \(try k.gen(x, .multi(xi)));") }
        k.block("else") { k.line("\(r) = \(cLiteral(fill(t), t));") }
        return r
    }
}
