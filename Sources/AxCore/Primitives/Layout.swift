// The layout primitives' records: broadcast_in_dim, reshape, transpose, slice, pad, concatenate and rev. Each is an index
// remap: fused into its consumer, reading its operand at a remapped index; their VJPs are each other's transposes.

/// A layout primitive: evaluated by moving elements, whatever their type.
protocol LayoutRules: PrimitiveRules {
    /// The output elements from the operands' elements `xs` (of `args`' shapes).
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T]
}

extension LayoutRules {
    var fusion: FusionKind { .indexRemap }
    /// Linear in every operand: the same primitive on the tangents (a zero tangent as zeros).
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard tangents.contains(where: { $0 != nil }) else { return nil }
        return try m.emit(e.prim, try zip(e.inputs, tangents).map { a, t in
            try t ?? (a.type.isScalar ? m.lit(0, a) : m.zeros(a.type))
        })
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        func go<T: AxElement>(_: T.Type) throws -> Storage {
            let xs = try args.map { a -> [T] in
                guard let v = T.unwrap(a.storage) else { throw Diagnostic("\(name): operand dtypes differ") }
                return v
            }
            return T.wrap(move(xs, args, outShape: outShape))
        }
        switch dtype {
        case .f32: return try go(Float.self)
        case .f64: return try go(Double.self)
        case .i32: return try go(Int32.self)
        case .bool: return try go(Bool.self)
        }
    }
}

/// `x`'s elements copied through `srcStrides` from `base` into a new row-major array of `outShape`.
private func gathered<T>(_ x: [T], base: Int = 0, _ srcStrides: [Int], _ outShape: [Int]) -> [T] {
    let n = outShape.reduce(1, *)
    return x.withUnsafeBufferPointer { px in
        makeArray(n) { out in if let p = px.baseAddress { stridedCopy(p, base, srcStrides, out, 0, Tensor.strides(outShape), outShape) } }
    }
}

/// The index-generating part of a remap that needs a multi-dimensional index.
private func multiIndex(_ name: String, _ idx: Index) throws -> [String] {
    guard case .multi(let ix) = idx else { throw InternalError("codegen: flat \(name)") }
    return ix
}

// MARK: - broadcast_in_dim

/// Operand dimension `i` becomes output dimension `dims[i]`; the others are broadcast.
struct BroadcastInDimRules: LayoutRules {
    let shape: [Dim], dims: [Int]
    var name: String { "broadcast_in_dim" }
    var paramText: String { "shape=\(paramList(shape)) broadcast_dimensions=\(paramList(dims))" }
    var keepsUniform: Bool { true }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        let t = ins[0]
        guard dims.count == t.rank else { throw ShapeError("broadcast_in_dim: \(dims.count) dimensions for operand \(t)") }
        for (i, d) in dims.enumerated() {
            guard d >= 0 && d < shape.count, i == 0 || dims[i - 1] < d else {
                throw ShapeError("broadcast_in_dim: bad broadcast_dimensions \(dims) for \(t) to \(shape)")
            }
            guard t.shape[i] == shape[d] || t.shape[i] == .const(1) else {
                throw ShapeError("cannot broadcast \(t) to shape [\(shape.map(\.description).joined(separator: ","))]")
            }
        }
        return TensorType(t.dtype, shape)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { .broadcastInDim(shape: try shape.map(f), dims: dims) }

    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        let xShape = args[0].shape, xStrides = Tensor.strides(xShape)
        var st = [Int](repeating: 0, count: outShape.count)
        for (i, d) in dims.enumerated() where xShape[i] != 1 { st[d] = xStrides[i] }
        return gathered(xs[0], st, outShape)
    }

    /// Sum over the new axes and the size-1 axes that were expanded, then restore the size-1 axes.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        let t = e.inputs[0].type
        let kept = Set(dims.indices.filter { t.shape[$0] != .const(1) }.map { dims[$0] })
        let summed = try m.reduceSum(ct, (0..<shape.count).filter { !kept.contains($0) })
        return [try m.reshape(summed, t.shape)]
    }

    /// The batch axis lands right after the output position of the operand axis before it, so the broadcast
    /// dimensions stay increasing and nothing has to move.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard let d = x.bdim else { return Batched(try b.b.emit(.broadcastInDim(shape: shape, dims: dims), [x.atom]), nil) }
        let outAxis = d == 0 ? 0 : dims[d - 1] + 1
        var newShape = shape
        newShape.insert(b.size, at: outAxis)
        let newDims = Array(dims[..<d]) + [outAxis] + dims[d...].map { $0 + 1 }
        return Batched(try b.b.emit(.broadcastInDim(shape: newShape, dims: newDims), [x.atom]), outAxis)
    }

    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        let x = e.inputs[0]
        if x.type.shape == shape && dims == Array(0..<shape.count) { return .replace(x) }
        if let inner = producer(x), case .broadcastInDim(_, let innerDims) = inner.prim {
            return .rewrite(.broadcastInDim(shape: shape, dims: innerDims.map { dims[$0] }), inner.inputs)
        }
        return .keep
    }

    func readsFlat(_ e: Eqn) -> Bool { e.inputs[0].type.rank == 0 || sameCount(e.inputs[0].type.shape, shape) }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let a = e.inputs[0]
        if a.type.rank == 0 { return try k.gen(a, .multi([])) }
        guard case .multi(let ix) = idx else { return try k.gen(a, idx) }
        return try k.gen(a, .multi(dims.enumerated().map { i, d in a.type.shape[i] == .const(1) ? "0" : ix[d] }))
    }
}

// MARK: - reshape

/// Row-major reshape to `sizes`.
struct ReshapeRules: LayoutRules {
    let sizes: [Dim]
    var name: String { "reshape" }
    var paramText: String { "new_sizes=\(paramList(sizes))" }
    var keepsUniform: Bool { true }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard let a = elementCountExpr(ins[0].shape), let b = elementCountExpr(sizes), a == b else {
            throw ShapeError("cannot reshape \(ins[0]) to [\(sizes.map(\.description).joined(separator: ","))]")
        }
        return TensorType(ins[0].dtype, sizes)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { .reshape(try sizes.map(f)) }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] { xs[0] }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        [need[0] ? try m.reshape(ct, e.inputs[0].type.shape) : nil]
    }
    /// As in JAX: the batch axis goes first, and the new sizes gain it as a prefix.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = try b.materialize(ins[0], at: 0)
        return Batched(try b.b.emit(.reshape([b.size] + sizes), [x]), 0)
    }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        let x = e.inputs[0]
        if x.type.shape == sizes { return .replace(x) }
        if let inner = producer(x), case .reshape = inner.prim { return .rewrite(.reshape(sizes), inner.inputs) }
        return .keep
    }

    func readsFlat(_ e: Eqn) -> Bool { true }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let a = e.inputs[0]
        if a.type.rank == 0 { return try k.gen(a, .multi([])) }
        guard case .multi(let ix) = idx else { return try k.gen(a, idx) }
        return try k.gen(a, k.reshapeIndex(from: sizes, ix, to: a.type.shape))
    }
}

// MARK: - transpose

/// Output dimension `i` is operand dimension `perm[i]`.
struct TransposeRules: LayoutRules {
    let perm: [Int]
    var name: String { "transpose" }
    var paramText: String { "permutation=\(paramList(perm))" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard perm.sorted() == Array(0..<ins[0].rank) else {
            throw ShapeError("transpose: permutation \(perm) does not fit \(ins[0])")
        }
        return TensorType(ins[0].dtype, perm.map { ins[0].shape[$0] })
    }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        let xStrides = Tensor.strides(args[0].shape)
        return gathered(xs[0], perm.map { xStrides[$0] }, outShape)
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        return [try m.transpose(ct, inversePermutation(perm))]
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard let d = x.bdim else { return Batched(try b.b.emit(.transpose(perm), [x.atom]), nil) }
        return Batched(try b.b.emit(.transpose([d] + bump(perm, d)), [x.atom]), 0)
    }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        if perm == Array(0..<perm.count) { return .replace(e.inputs[0]) }
        if let inner = producer(e.inputs[0]), case .transpose(let innerPerm) = inner.prim {
            return .rewrite(.transpose(perm.map { innerPerm[$0] }), inner.inputs)
        }
        return .keep
    }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let ix = try multiIndex(name, idx)
        var opIdx = Array(repeating: "0", count: perm.count)
        for (j, pj) in perm.enumerated() { opIdx[pj] = ix[j] }
        return try k.gen(e.inputs[0], .multi(opIdx))
    }
}

// MARK: - slice

/// Elements `start + i * strides` below `limit`, per dimension.
struct SliceRules: LayoutRules {
    let start: [Int], limit: [Dim], strides: [Int]
    var name: String { "slice" }
    var paramText: String { "start_indices=\(paramList(start)) limit_indices=\(paramList(limit)) strides=\(paramList(strides))" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        let t = ins[0]
        guard start.count == t.rank, limit.count == t.rank, strides.count == t.rank else {
            throw ShapeError("slice: indices do not match rank of \(t)")
        }
        var shape: [Dim] = []
        for i in 0..<t.rank {
            guard strides[i] >= 1, start[i] >= 0 else { throw ShapeError("slice: bad start or stride on axis \(i) of \(t)") }
            if limit[i] == t.shape[i] && start[i] == 0 && strides[i] == 1 { shape.append(t.shape[i]); continue }
            guard let l = limit[i].constValue else {
                throw ShapeError("slice: limit \(limit[i]) must be a constant on axis \(i) of \(t)")
            }
            if let size = t.shape[i].constValue, l > size { throw ShapeError("slice: limit \(l) exceeds axis \(i) of \(t)") }
            guard l >= start[i] else { throw ShapeError("slice: limit \(l) before start \(start[i])") }
            shape.append(.const((l - start[i] + strides[i] - 1) / strides[i]))
        }
        return TensorType(t.dtype, shape)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { .slice(start: start, limit: try limit.map(f), strides: strides) }
    func precheck(_ args: [Tensor]) throws {
        guard let x = args.first, start.count == x.shape.count, limit.count == x.shape.count, strides.count == x.shape.count else { return }
        for i in 0..<x.shape.count {
            let l = limit[i].constValue ?? -1
            guard strides[i] >= 1, start[i] >= 0, start[i] <= l, l <= x.shape[i],
                  !(l - start[i]).addingReportingOverflow(strides[i]).overflow else {
                throw Diagnostic("slice: start \(start[i]), limit \(limit[i]), stride \(strides[i]) out of range for axis \(i) of size \(x.shape[i])")
            }
        }
    }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        let xStrides = Tensor.strides(args[0].shape)
        return gathered(xs[0], base: zip(start, xStrides).reduce(0) { $0 + $1.0 * $1.1 }, zip(strides, xStrides).map { $0 * $1 }, outShape)
    }

    /// The transpose of `slice`: pad with zeros (strides become interior padding). An axis of symbolic size
    /// sliced to a constant range cannot be padded; it is scattered back with a one-hot contraction instead.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        let t = e.inputs[0].type
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
        return [r]
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard let d = x.bdim else { return Batched(try b.b.emit(.slice(start: start, limit: limit, strides: strides), [x.atom]), nil) }
        var (s, l, st) = (start, limit, strides)
        s.insert(0, at: d); l.insert(b.size, at: d); st.insert(1, at: d)
        return Batched(try b.b.emit(.slice(start: s, limit: l, strides: st), [x.atom]), d)
    }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let ix = try multiIndex(name, idx)
        return try k.gen(e.inputs[0], .multi(ix.indices.map { KernelEmitter.add(KernelEmitter.mul(ix[$0], "\(strides[$0])"), start[$0]) }))
    }
}

// MARK: - pad

/// `pad(x, v)`: low/high/interior padding per dimension, with padding value operand `v` (a scalar).
struct PadRules: LayoutRules {
    let low: [Int], high: [Int], interior: [Int]
    var name: String { "pad" }
    var paramText: String {
        "padding_config=" + paramList(zip(zip(low, high), interior).map { "(\($0.0.0), \($0.0.1), \($0.1))" })
    }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 2)
        let t = ins[0]
        guard low.count == t.rank, high.count == t.rank, interior.count == t.rank, ins[1].isScalar, ins[1].dtype == t.dtype else {
            throw ShapeError("pad: configuration does not match \(t)")
        }
        var shape: [Dim] = []
        for i in 0..<t.rank {
            if low[i] == 0 && high[i] == 0 && interior[i] == 0 { shape.append(t.shape[i]); continue }
            guard let k = t.shape[i].constValue else { throw ShapeError("pad: axis \(i) of \(t) must be constant") }
            let size = low[i] + high[i] + k + max(0, k - 1) * interior[i]
            guard size >= 0 else { throw ShapeError("pad: negative size on axis \(i)") }
            shape.append(.const(size))
        }
        return TensorType(t.dtype, shape)
    }
    func precheck(_ args: [Tensor]) throws {
        guard let x = args.first, low.count == x.shape.count, high.count == x.shape.count, interior.count == x.shape.count else { return }
        for i in 0..<x.shape.count {
            guard interior[i] >= 0 else { throw Diagnostic("pad: negative interior padding \(interior[i]) on axis \(i)") }
            // With these bounds no size arithmetic below or in the shape rule can overflow.
            guard (-(1 << 40)...(1 << 40)).contains(low[i]), (-(1 << 40)...(1 << 40)).contains(high[i]), interior[i] <= maxArrayElements,
                  x.shape[i] + Swift.max(0, x.shape[i] - 1) * interior[i] + low[i] + high[i] <= maxArrayElements else {
                throw Diagnostic("pad: padded size of axis \(i) is too large")
            }
        }
    }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        let x = xs[0], v = xs[1][0], xShape = args[0].shape, xStrides = Tensor.strides(xShape)
        let outStrides = Tensor.strides(outShape), n = outShape.reduce(1, *)
        // The input indices that land inside the output, per axis: lo + i*(interior+1) in [0, outSize).
        var first: [Int] = [], box: [Int] = [], dstBase = 0, dstStrides: [Int] = []
        for d in 0..<xShape.count {
            let step = interior[d] + 1
            var i0 = 0
            if low[d] < 0 { i0 = (-low[d] + step - 1) / step }
            var i1 = xShape[d]  // exclusive
            if xShape[d] > 0 {
                let lastOut = outShape[d] - 1 - low[d]  // largest padded position that fits
                i1 = lastOut < 0 ? 0 : Swift.min(xShape[d], lastOut / step + 1)
            }
            let count = Swift.max(0, i1 - i0)
            first.append(i0); box.append(count)
            dstBase += (low[d] + i0 * step) * outStrides[d]
            dstStrides.append(step * outStrides[d])
        }
        let srcBase = zip(first, xStrides).reduce(0) { $0 + $1.0 * $1.1 }
        return x.withUnsafeBufferPointer { px in
            makeArray(n) { out in
                out.initialize(repeating: v, count: n)
                if box.allSatisfy({ $0 > 0 }) { stridedCopy(px.baseAddress!, srcBase, xStrides, out, dstBase, dstStrides, box) }
            }
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        let operandCT = { try self.transpose(ct, operand: e.inputs[0].type, m) }
        // The padding value receives everything that did not come from the operand (JAX's _pad_transpose).
        let all = Array(0..<e.out.type.rank)
        return [need[0] ? try operandCT() : nil, need[1] ? try m.sub(m.reduceSum(ct, all), m.reduceSum(operandCT(), all)) : nil]
    }

    /// The transpose of `pad` with respect to its operand: zero-pad the cotangent where negative padding
    /// cropped the output, then take every (interior + 1)-th element starting after the low padding.
    private func transpose(_ ct: Atom, operand t: TensorType, _ m: VJPEmitter) throws -> Atom {
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

    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let (x, v) = (ins[0], ins[1])
        if v.bdim == nil, let d = x.bdim {
            var (lo, hi, inr) = (low, high, interior)
            lo.insert(0, at: d); hi.insert(0, at: d); inr.insert(0, at: d)
            return Batched(try b.b.emit(.pad(low: lo, high: hi, interior: inr), [x.atom, v.atom]), d)
        }
        // A mapped padding value: pad with zero, then select the padding value wherever a padded mask of ones is
        // false (JAX's rule does the same with a select).
        let dt = out.dtype
        let xb = try b.materialize(x, at: 0)
        let padded = try b.b.emit(.pad(low: [0] + low, high: [0] + high, interior: [0] + interior), [xb, .lit(0, dt)])
        let ones = try b.b.emit(.broadcastInDim(shape: b.perExample(x).shape, dims: []), [.lit(1, .bool)])
        let mask = try b.b.emit(.pad(low: low, high: high, interior: interior), [ones, .lit(0, .bool)])
        let full = [b.size] + out.shape
        let maskB = try b.broadcastBatch(mask, to: full, at: 0)
        let vb = try b.b.emit(.broadcastInDim(shape: full, dims: v.bdim == nil ? [] : [0]), [v.atom])
        return Batched(try b.b.emit(.select, [maskB, vb, padded]), 0)
    }

    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let ix = try multiIndex(name, idx)
        let a = e.inputs[0]
        var conds: [String] = [], opIdx: [String] = []
        for i in 0..<ix.count {
            if low[i] == 0 && interior[i] == 0 && a.type.shape[i] == e.out.type.shape[i] { opIdx.append(ix[i]); continue }
            let j = KernelEmitter.add(ix[i], -low[i])
            let step = interior[i] + 1
            conds.append("\(j) >= 0")
            if step > 1 { conds.append("\(j) % \(step) == 0") }
            let q = step > 1 ? "(\(j))/\(step)" : j
            conds.append("\(q) < \(k.dim(a.type.shape[i]))")
            opIdx.append(q)
        }
        if conds.isEmpty { return try k.gen(a, .multi(opIdx)) }
        let r = k.fresh("t")
        k.line("\(e.out.type.dtype.cType) \(r);")
        try k.block("if (\(conds.joined(separator: " && ")))") { k.line("\(r) = \(try k.gen(a, .multi(opIdx)));") }
        try k.block("else") { k.line("\(r) = \(try k.gen(e.inputs[1], .multi([])));") }
        return r
    }
}

// MARK: - concatenate

/// The operands joined along `axis`.
struct ConcatenateRules: LayoutRules {
    let axis: Int
    var name: String { "concatenate" }
    var paramText: String { "dimension=\(axis)" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        guard let first = ins.first else { throw ShapeError("concatenate needs at least one operand") }
        guard axis >= 0 && axis < first.rank else { throw ShapeError("concatenate: axis \(axis) out of range for \(first)") }
        var total = 0
        for t in ins {
            guard t.dtype == first.dtype, t.rank == first.rank else { throw ShapeError("concatenate: \(t) does not match \(first)") }
            for i in 0..<t.rank where i != axis && t.shape[i] != first.shape[i] {
                throw ShapeError("concatenate: \(t) and \(first) differ on axis \(i)")
            }
            guard let k = t.shape[axis].constValue else {
                if ins.count == 1 { return first }
                throw ShapeError("concatenate: axis \(axis) of \(t) must be constant")
            }
            total += k
        }
        var shape = first.shape; shape[axis] = .const(total)
        return TensorType(first.dtype, shape)
    }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        let outStrides = Tensor.strides(outShape)
        return makeArray(outShape.reduce(1, *)) { out in
            var offset = 0
            for (a, t) in zip(xs, args) {
                a.withUnsafeBufferPointer { pa in
                    if pa.count > 0 {
                        stridedCopy(pa.baseAddress!, 0, Tensor.strides(t.shape), out, offset * outStrides[axis], outStrides, t.shape)
                    }
                }
                offset += t.shape[axis]
            }
        }
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        var offset = 0, cts: [Atom?] = []
        for (i, a) in e.inputs.enumerated() {
            let k = a.type.shape[axis].constValue
            if need[i] {
                var start = Array(repeating: 0, count: a.type.rank), limit = ct.type.shape
                start[axis] = offset
                if let k { limit[axis] = .const(offset + k) }
                cts.append(try m.slice(ct, start: start, limit: limit, strides: Array(repeating: 1, count: a.type.rank)))
            } else {
                cts.append(nil)
            }
            offset += k ?? 0
        }
        return cts
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        guard let d = ins.lazy.compactMap(\.bdim).first else { return Batched(try b.b.emit(.concatenate(axis: axis), ins.map(\.atom)), nil) }
        let args = try ins.map { try b.materialize($0, at: d) }
        return Batched(try b.b.emit(.concatenate(axis: axis >= d ? axis + 1 : axis), args), d)
    }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let ix = try multiIndex(name, idx)
        if e.inputs.count == 1 { return try k.gen(e.inputs[0], idx) }
        let r = k.fresh("t")
        k.line("\(e.out.type.dtype.cType) \(r);")
        var offset = 0
        for (j, a) in e.inputs.enumerated() {
            let size = a.type.shape[axis].constValue ?? 0
            var opIdx = ix; opIdx[axis] = KernelEmitter.add(ix[axis], -offset)
            let head = j == 0 ? "if (\(ix[axis]) < \(offset + size))" : (j == e.inputs.count - 1 ? "else" : "else if (\(ix[axis]) < \(offset + size))")
            try k.block(head) { k.line("\(r) = \(try k.gen(a, .multi(opIdx)));") }
            offset += size
        }
        return r
    }
}

// MARK: - rev

/// The operand with the order of its elements reversed along `dimensions` (`jnp.flip`).
struct RevRules: LayoutRules {
    let dimensions: [Int]
    var name: String { "rev" }
    var paramText: String { "dimensions=\(paramList(dimensions))" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        try checkAxes(name, dimensions, rank: ins[0].rank)
        return ins[0]
    }
    func move<T: AxElement>(_ xs: [[T]], _ args: [Tensor], outShape: [Int]) -> [T] {
        // Read from the far end of each reversed axis, with a negative stride.
        var st = Tensor.strides(outShape), base = 0
        for d in dimensions where outShape[d] > 0 { base += (outShape[d] - 1) * st[d]; st[d] = -st[d] }
        return gathered(xs[0], base: base, st, outShape)
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        [need[0] ? try m.emit(.rev(dimensions: dimensions), [ct]) : nil]
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        return Batched(try b.b.emit(.rev(dimensions: bump(dimensions, x.bdim)), [x.atom]), x.bdim)
    }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        if dimensions.isEmpty { return .replace(e.inputs[0]) }
        if let inner = producer(e.inputs[0]), inner.prim == .rev(dimensions: dimensions) { return .replace(inner.inputs[0]) }
        return .keep
    }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let ix = try multiIndex(name, idx), shape = e.out.type.shape
        var opIdx = ix
        for d in dimensions { opIdx[d] = "(\(k.dim(shape[d])) - 1 - \(ix[d]))" }
        return try k.gen(e.inputs[0], .multi(opIdx))
    }
}
