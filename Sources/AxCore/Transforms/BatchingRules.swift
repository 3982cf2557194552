// The batching helpers every primitive's batching rule (JAX's `primitive_batchers`, in its record, Primitives/) is
// written with. A rule moves axes only when it must, and never loops over examples in the IR.

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
    /// The map's axis name (`vmap(..., axis_name=)`, `pmap`), which its collectives reduce over.
    var axisName: String? = nil

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

    /// Applies the batching rule of `prim` (in its record, Primitives/) to `ins` (at least one mapped); `out` is the
    /// per-example output type.
    func apply(_ prim: Primitive, _ ins: [Batched], out: TensorType) throws -> Batched {
        try prim.rules.batch(ins, out: out, self)
    }

    /// The per-example type of a batched value.
    func perExample(_ x: Batched) -> TensorType {
        var t = x.atom.type
        if let d = x.bdim { t.shape.remove(at: d) }
        return t
    }
}
