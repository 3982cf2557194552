// Batching rules: for every primitive, how to apply it to operands that carry a batch axis (JAX's
// `primitive_batchers`). A rule moves axes only when it must, and never loops over examples in the IR.

/// A value while batching: its atom in the batched program and its batch axis (nil = not mapped).
struct Batched {
    var atom: Atom
    var bdim: Int?
    init(_ atom: Atom, _ bdim: Int?) { self.atom = atom; self.bdim = bdim }
}

/// Emits batched equations into `b`; `size` is the mapped size (a size variable or a constant).
struct Batcher {
    let b: Builder
    let size: Dim

    /// `x` with axis `from` moved to position `to` (no equation when they coincide).
    func moveaxis(_ x: Atom, _ from: Int, _ to: Int) throws -> Atom {
        if from == to { return x }
        guard from >= 0, from < x.type.rank, to >= 0, to < x.type.rank else {
            throw InternalError("vmap: cannot move axis \(from) to \(to) of \(x.type)")
        }
        var perm = Array(0..<x.type.rank)
        perm.remove(at: from)
        perm.insert(from, at: to)
        return try b.emit(.transpose(perm), [x])
    }

    /// The not-mapped `x` broadcast to `shape`, which is its own shape (or any shape, for a scalar)
    /// with the batch dimension inserted at `axis`.
    func broadcastBatch(_ x: Atom, to shape: [Dim], at axis: Int) throws -> Atom {
        let r = x.type.rank
        if r != 0 && r != shape.count - 1 { throw ShapeError("vmap: cannot broadcast \(x.type) to the batched shape") }
        let dims = r == 0 ? [] : (0..<shape.count).filter { $0 != axis }
        return try b.emit(.broadcastInDim(shape: shape, dims: dims), [x])
    }

    /// `x` as an array whose batch axis is `axis`: moved there, or broadcast when not mapped.
    func materialize(_ x: Batched, at axis: Int) throws -> Atom {
        if let d = x.bdim { return try moveaxis(x.atom, d, axis) }
        var shape = x.atom.type.shape
        shape.insert(size, at: axis)
        return try broadcastBatch(x.atom, to: shape, at: axis)
    }

    /// Element-wise primitives: operands are brought to the first mapped operand's batch axis; a not-mapped
    /// operand is broadcast into the batched shape, except a scalar literal, which adapts as it is.
    func elementwise(_ prim: Primitive, _ ins: [Batched], outShape: [Dim]) throws -> Batched {
        guard let d = ins.lazy.compactMap(\.bdim).first else { return Batched(try b.emit(prim, ins.map(\.atom)), nil) }
        var full = outShape
        full.insert(size, at: d)
        let args = try ins.map { x -> Atom in
            if let xd = x.bdim { return try moveaxis(x.atom, xd, d) }
            if x.atom.isLiteral { return x.atom }
            return try broadcastBatch(x.atom, to: full, at: d)
        }
        return Batched(try b.emit(prim, args), d)
    }

    /// Applies the batching rule of `prim` to `ins` (at least one mapped); `out` is the per-example output type.
    func apply(_ prim: Primitive, _ ins: [Batched], out: TensorType) throws -> Batched {
        switch prim {
        case .unary, .integerPow, .convert, .stopGradient:
            return Batched(try b.emit(prim, [ins[0].atom]), ins[0].bdim)

        case .binary, .select:
            return try elementwise(prim, ins, outShape: out.shape)

        case .reduceSum(let axes): return try reduce(ins[0], axes) { .reduceSum(axes: $0) }
        case .reduceMax(let axes): return try reduce(ins[0], axes) { .reduceMax(axes: $0) }
        case .reduceMin(let axes): return try reduce(ins[0], axes) { .reduceMin(axes: $0) }

        case .broadcastInDim(let shape, let dims):
            // The batch axis lands right after the output position of the operand axis before it,
            // so the broadcast dimensions stay increasing and nothing has to move.
            let x = ins[0]
            guard let d = x.bdim else { return Batched(try b.emit(prim, [x.atom]), nil) }
            let outAxis = d == 0 ? 0 : dims[d - 1] + 1
            var newShape = shape
            newShape.insert(size, at: outAxis)
            let newDims = Array(dims[..<d]) + [outAxis] + dims[d...].map { $0 + 1 }
            return Batched(try b.emit(.broadcastInDim(shape: newShape, dims: newDims), [x.atom]), outAxis)

        case .reshape(let sizes):
            // As in JAX: the batch axis goes first, and the new sizes gain it as a prefix.
            let x = try materialize(ins[0], at: 0)
            return Batched(try b.emit(.reshape([size] + sizes), [x]), 0)

        case .transpose(let perm):
            let x = ins[0]
            guard let d = x.bdim else { return Batched(try b.emit(prim, [x.atom]), nil) }
            return Batched(try b.emit(.transpose([d] + bump(perm, d)), [x.atom]), 0)

        case .slice(var start, var limit, var strides):
            let x = ins[0]
            guard let d = x.bdim else { return Batched(try b.emit(prim, [x.atom]), nil) }
            start.insert(0, at: d); limit.insert(size, at: d); strides.insert(1, at: d)
            return Batched(try b.emit(.slice(start: start, limit: limit, strides: strides), [x.atom]), d)

        case .pad(var lo, var hi, var interior):
            let (x, v) = (ins[0], ins[1])
            if v.bdim == nil, let d = x.bdim {
                lo.insert(0, at: d); hi.insert(0, at: d); interior.insert(0, at: d)
                return Batched(try b.emit(.pad(low: lo, high: hi, interior: interior), [x.atom, v.atom]), d)
            }
            return try padWithBatchedValue(x, v, lo: lo, hi: hi, interior: interior, out: out)

        case .concatenate(let axis):
            guard let d = ins.lazy.compactMap(\.bdim).first else { return Batched(try b.emit(prim, ins.map(\.atom)), nil) }
            let args = try ins.map { try materialize($0, at: d) }
            return Batched(try b.emit(.concatenate(axis: axis >= d ? axis + 1 : axis), args), d)

        case .dotGeneral(let dn):
            return try dotGeneral(dn, ins[0], ins[1])

        case .iota:
            // No operands, so never mapped.
            return Batched(try b.emit(prim, []), nil)
        }
    }

    /// Reductions reduce the shifted axes; the batch axis moves left past the reduced axes before it.
    func reduce(_ x: Batched, _ axes: [Int], _ make: ([Int]) -> Primitive) throws -> Batched {
        guard let d = x.bdim else { return Batched(try b.emit(make(axes), [x.atom]), nil) }
        return Batched(try b.emit(make(bump(axes, d)), [x.atom]), d - axes.filter { $0 < d }.count)
    }

    /// `dot_general` gains a batch dimension pair when both operands are mapped (the result's batch axis is
    /// then 0, where dot_general puts batch dimensions); a single mapped axis becomes a free dimension.
    func dotGeneral(_ dn: DotDims, _ l: Batched, _ r: Batched) throws -> Batched {
        var nd = DotDims(lhsContract: bump(dn.lhsContract, l.bdim), rhsContract: bump(dn.rhsContract, r.bdim),
                         lhsBatch: bump(dn.lhsBatch, l.bdim), rhsBatch: bump(dn.rhsBatch, r.bdim))
        /// The free (neither contracting nor batch) axes of a batched operand that come before `axis`.
        func freeBefore(_ axis: Int, contract: [Int], batch: [Int]) -> Int {
            (0..<axis).filter { !contract.contains($0) && !batch.contains($0) }.count
        }
        let outAxis: Int
        switch (l.bdim, r.bdim) {
        case let (ld?, rd?):
            nd.lhsBatch = [ld] + nd.lhsBatch
            nd.rhsBatch = [rd] + nd.rhsBatch
            outAxis = 0
        case let (ld?, nil):
            outAxis = nd.lhsBatch.count + freeBefore(ld, contract: nd.lhsContract, batch: nd.lhsBatch)
        case let (nil, rd?):
            let lhsFree = l.atom.type.rank - nd.lhsContract.count - nd.lhsBatch.count
            outAxis = nd.lhsBatch.count + lhsFree + freeBefore(rd, contract: nd.rhsContract, batch: nd.rhsBatch)
        case (nil, nil):
            return Batched(try b.emit(.dotGeneral(dn), [l.atom, r.atom]), nil)
        }
        return Batched(try b.emit(.dotGeneral(nd), [l.atom, r.atom]), outAxis)
    }

    /// `pad` with a mapped padding value: pad with zero, then select the padding value wherever a padded
    /// mask of ones is false (JAX's rule does the same with a select).
    func padWithBatchedValue(_ x: Batched, _ v: Batched, lo: [Int], hi: [Int], interior: [Int], out: TensorType) throws -> Batched {
        let dt = out.dtype
        let xb = try materialize(x, at: 0)
        let zero = Atom.lit(0, dt)
        let padded = try b.emit(.pad(low: [0] + lo, high: [0] + hi, interior: [0] + interior), [xb, zero])
        let ones = try b.emit(.broadcastInDim(shape: perExample(x).shape, dims: []), [.lit(1, .bool)])
        let mask = try b.emit(.pad(low: lo, high: hi, interior: interior), [ones, .lit(0, .bool)])
        let full = [size] + out.shape
        let maskB = try broadcastBatch(mask, to: full, at: 0)
        let vb = try b.emit(.broadcastInDim(shape: full, dims: v.bdim == nil ? [] : [0]), [v.atom])
        return Batched(try b.emit(.select, [maskB, vb, padded]), 0)
    }

    /// The per-example type of a batched value.
    func perExample(_ x: Batched) -> TensorType {
        var t = x.atom.type
        if let d = x.bdim { t.shape.remove(at: d) }
        return t
    }
}

/// Per-example axes renumbered for a batched value whose batch axis is `d` (unchanged when not mapped).
private func bump(_ axes: [Int], _ d: Int?) -> [Int] {
    guard let d else { return axes }
    return axes.map { $0 >= d ? $0 + 1 : $0 }
}
