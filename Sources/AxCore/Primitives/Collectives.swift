// The collectives' records: psum, pmean, pmax, pmin, axis_index, all_gather, psum_scatter and ppermute over a named
// mapped axis (jax.lax's). Per example
// they have no meaning of their own: the batching rule of the `vmap` that binds their axis name turns them into
// reductions along the batch axis, as JAX's vmap does; in a pmap's device kernel (Transforms/Devices.swift) each is a
// call through the collectives table (`emitKernel`). One left unbound is a located error (Driver/Pipeline.swift).

/// Which collective.
public enum CollectiveKind: String, Sendable, Hashable, CaseIterable {
    case sum = "psum", mean = "pmean", max = "pmax", min = "pmin"
}

/// The mapped size as a value of dtype `t` shaped like `like` (a literal, or for a size variable the count of a
/// broadcast of ones, as `mean` over a size-variable axis).
private func sizeValue(_ t: DType, _ b: Batcher, like: Atom) throws -> Atom {
    let n = try b.b.sizeAsScalar(b.size, t)
    if like.type.isScalar || n.isLiteral { return n }
    return try b.b.emit(.broadcastInDim(shape: like.type.shape, dims: []), [n])
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
    var fusion: FusionKind { .collective }
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

    /// In a device kernel: the table's all-reduce (pmean then divides by the device count, as JAX's psum / n).
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        let t = e.out.type.dtype, n = k.count(e.out.type.shape)
        let op = kind == .max ? 1 : kind == .min ? 2 : 0
        let x = try collectiveOperand(e.inputs[0], k)
        tableCall("all_reduce(ax_coll, \(op), \(tableDType(t)), \(x), \(target), \(n))", k)
        if kind == .mean {
            try k.loops([n]) { i in k.line("\(target)[\(i[0])] = \(target)[\(i[0])] / (\(t.cType))ax_coll->devices;") }
        }
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
    /// In a device kernel: the device's index, from the collectives table.
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String { "((int32_t)ax_coll->device)" }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] { [] }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? { nil }
    /// Over this map's axis: the iota of the mapped size, mapped along its only axis.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        guard axis == b.axisName else { return Batched(try b.b.emit(.axisIndex(axis: axis), []), nil) }
        return Batched(try b.b.emit(.iota(.i32, shape: [b.size], dimension: 0), []), 0)
    }
}

/// The size of the mapped axis named `axis` before the map binds it: a placeholder dimension that `vmap` replaces
/// by its size (all_gather's output has it).
func mappedSizePlaceholder(_ axis: String) -> Dim { .sym("|\(axis)|") }

/// The tiled collectives' dimensions (docs/deviations.md, "tiled"): all_gather's `k·P` and psum_scatter's `c/P` of a
/// dimension `k` or `c` and the mapped size `P`. Constant when both are; with `P` still the placeholder `|i|`, a
/// placeholder named `k*|i|` or `c/|i|` that binding the axis resolves (`mappedPlaceholders`); nil otherwise (a size
/// variable for `P` or for the dimension: axc's sizes are a constant or one name).
func tiledDim(_ d: Dim, _ p: Dim, gathered: Bool) -> Dim? {
    if gathered, d == .const(1) { return p }
    if !gathered, d == p { return .const(1) }
    switch (d, p) {
    case (.const(let k), .const(let n)):
        if gathered { let (m, o) = k.multipliedReportingOverflow(by: n); return o ? nil : .const(m) }
        return n > 0 && k % n == 0 ? .const(k / n) : nil
    case (.const(let k), .sym(let s)) where s.hasPrefix("|"):
        return .sym(gathered ? "\(k)*\(s)" : "\(k)/\(s)")
    case (.sym(let s), .sym(let n)) where n.hasPrefix("|"):
        // all_gather of psum_scatter's block, or psum_scatter of all_gather's tiles (each other's transposes).
        guard let (k, multiple) = tiledPlaceholder(s, of: n), multiple != gathered else { return nil }
        return .const(k)
    default: return nil
    }
}

/// The constant and the kind of a tiled placeholder of the mapped-size placeholder `p` (`8*|i|`: 8, a multiple;
/// `8/|i|`: 8, a block), as `tiledDim` names them; nil for any other name.
private func tiledPlaceholder(_ s: String, of p: String) -> (Int, multiple: Bool)? {
    guard s.hasSuffix(p) else { return nil }
    let head = s.dropLast(p.count)
    guard let op = head.last, op == "*" || op == "/", let k = Int(head.dropLast()) else { return nil }
    return (k, op == "*")
}

/// What each placeholder of `axis` in `p` (loop bodies included) becomes once the axis has `size`: the sizes to
/// inline `p` with (empty when `p` has none). A tiled placeholder that `size` cannot resolve is left out; the
/// collective that made it reports it when it is emitted again.
func mappedPlaceholders(_ p: Program, axis: String, size: Dim) -> [String: Dim] {
    let own = mappedSizePlaceholder(axis).symName!
    var sizes: [String: Dim] = [:]
    var work = [p]
    while let q = work.popLast() {
        work += q.loopPrograms
        for e in q.eqns {
            if case .psumScatter(axis, _, .sym(own)) = e.prim { sizes[own] = size }  // its output may be constant
            for case .sym(let s) in e.out.type.shape where s.hasSuffix(own) && sizes[s] == nil {
                sizes[own] = size
                guard let (k, multiple) = tiledPlaceholder(s, of: own), let d = tiledDim(.const(k), size, gathered: multiple) else { continue }
                sizes[s] = d
            }
        }
    }
    return sizes
}

/// The located error of a tiled collective whose dimension cannot be written.
private func tiledProblem(_ name: String, _ axis: String, _ x: TensorType, _ dimension: Int, _ size: Dim) -> ShapeError {
    let what = "\(name)(tiled=True) over '\(axis)'"
    guard case .const(let c) = x.shape[dimension] else {
        return ShapeError("\(what) needs a constant size for dimension \(dimension) of \(x)")
    }
    guard case .const(let n) = size else {
        return ShapeError("\(what) needs the mapped size as a constant, got \(size): give the map axis_size=")
    }
    return ShapeError("\(what): dimension \(dimension) of \(x) (\(c)) is not a multiple of the mapped size \(n)")
}

/// The record of all_gather: `[size]` inserted at `dimension`, or with `tiled` `dimension` multiplied by it.
struct AllGatherRules: PrimitiveRules {
    let axis: String, dimension: Int, size: Dim, tiled: Bool
    var name: String { "all_gather" }
    var paramText: String { "axis_name='\(axis)' all_gather_dimension=\(dimension) axis_size=\(size)" + (tiled ? " tiled=True" : "") }
    var fusion: FusionKind { .collective }
    var axisName: String? { axis }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard dimension >= 0 && dimension <= ins[0].rank - (tiled ? 1 : 0) else { throw ShapeError("all_gather: axis \(dimension) out of range for \(ins[0])") }
        var shape = ins[0].shape
        if tiled {
            guard let d = tiledDim(shape[dimension], size, gathered: true) else { throw tiledProblem(name, axis, ins[0], dimension, size) }
            shape[dimension] = d
        } else {
            shape.insert(size, at: dimension)
        }
        return TensorType(ins[0].dtype, shape)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { .allGather(axis: axis, dimension: dimension, size: try f(size), tiled: tiled) }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { throw unboundAxis(name, axis) }
    /// JAX's: all_gather transposes to psum_scatter.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        [need[0] ? try m.emit(.psumScatter(axis: axis, dimension: dimension, tiled: tiled ? size : nil), [ct]) : nil]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        try tangents[0].map { try m.emit(e.prim, [$0]) }
    }
    /// Over this map's axis: the batched operand itself, its batch axis moved to `dimension` (the same for every
    /// example, so not mapped), with `tiled` merged into `dimension`; a not-mapped operand broadcast along it.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard axis == b.axisName else {
            let d = dimension >= (x.bdim ?? Int.max) ? dimension + 1 : dimension
            return Batched(try b.b.emit(.allGather(axis: axis, dimension: d, size: size, tiled: tiled), [x.atom]),
                           x.bdim.map { !tiled && $0 > dimension ? $0 + 1 : $0 })
        }
        let stacked = try b.materialize(x, at: dimension)
        return Batched(tiled ? try b.b.emit(.reshape(out.shape), [stacked]) : stacked, nil)
    }
    /// In a device kernel (gathering along the leading axis: Transforms/Devices.swift): the table's all-gather.
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        guard dimension == 0, !tiled else { throw InternalError("codegen: all_gather along \(dimension) in a device kernel") }
        let x = try collectiveOperand(e.inputs[0], k)
        tableCall("all_gather(ax_coll, \(x), \(target), \(byteCount(e.inputs[0].type, k)))", k)
    }
}

/// The record of psum_scatter: the operand's `dimension` has the mapped size and is scattered; with `tiled` (the
/// mapped size) it is a multiple of it, and each example keeps its block.
struct PsumScatterRules: PrimitiveRules {
    let axis: String, dimension: Int, tiled: Dim?
    var name: String { "psum_scatter" }
    var paramText: String { "axis_name='\(axis)' scatter_dimension=\(dimension)" + (tiled.map { " tiled=True axis_size=\($0)" } ?? "") }
    var fusion: FusionKind { .reduction }
    var axisName: String? { axis }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard dimension >= 0 && dimension < ins[0].rank else { throw ShapeError("psum_scatter: scatter_dimension \(dimension) out of range for \(ins[0])") }
        guard ins[0].dtype != .bool else { throw ShapeError("psum_scatter expects numbers, got \(ins[0])") }
        var shape = ins[0].shape
        if let p = tiled {
            guard let d = tiledDim(shape[dimension], p, gathered: false) else { throw tiledProblem(name, axis, ins[0], dimension, p) }
            shape[dimension] = d
        } else {
            shape.remove(at: dimension)
        }
        return TensorType(ins[0].dtype, shape)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? {
        try tiled.map { .psumScatter(axis: axis, dimension: dimension, tiled: try f($0)) }
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { throw unboundAxis(name, axis) }
    /// JAX's: psum_scatter transposes to all_gather.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        let gather: Primitive = tiled.map { .allGather(axis: axis, dimension: dimension, size: $0, tiled: true) }
            ?? .allGather(axis: axis, dimension: dimension, size: e.inputs[0].type.shape[dimension], tiled: false)
        return [need[0] ? try m.emit(gather, [ct]) : nil]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        try tangents[0].map { try m.emit(e.prim, [$0]) }
    }
    /// Over this map's axis: the sum along the batch axis, whose `dimension` (of the mapped size) becomes the batch
    /// axis; a not-mapped operand is the same on every example (its sum is the size times it). Tiled, `dimension` is
    /// first split into the mapped size and the block.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        var x = ins[0]
        // `dimension` in the batched operand.
        let at = x.bdim.map { dimension >= $0 ? dimension + 1 : dimension } ?? dimension
        guard axis == b.axisName else {
            let bdim = tiled == nil ? x.bdim.map { $0 > dimension ? $0 - 1 : $0 } : x.bdim
            return Batched(try b.b.emit(.psumScatter(axis: axis, dimension: at, tiled: tiled), [x.atom]), bdim)
        }
        if tiled != nil {
            var shape = x.atom.type.shape
            shape.replaceSubrange(at...at, with: [b.size, out.shape[dimension]])
            x = Batched(try b.b.emit(.reshape(shape), [x.atom]), x.bdim)
        }
        var perExample = x.atom.type.shape
        if let d = x.bdim { perExample.remove(at: d) }
        guard perExample[dimension] == b.size else {
            throw Diagnostic("psum_scatter: scatter_dimension \(dimension) of \(TensorType(x.atom.type.dtype, perExample)) has size \(perExample[dimension]), but the mapped axis '\(axis)' has size \(b.size) (give the map axis_size=\(perExample[dimension]))")
        }
        guard let d = x.bdim else {
            return Batched(try b.b.emit(.binary(.mul), [x.atom, try sizeValue(x.atom.type.dtype, b, like: x.atom)]), dimension)
        }
        return Batched(try b.b.emit(.reduceSum(axes: [d]), [x.atom]), dimension)
    }
}

/// The record of ppermute: a static permutation of the examples (pairs `[src, dst]`).
struct PpermuteRules: PrimitiveRules {
    let axis: String, perm: [[Int]]
    var name: String { "ppermute" }
    var paramText: String { "axis_name='\(axis)' perm=\(permText)" }
    private var permText: String { "(" + perm.map { "(\($0[0]), \($0[1]))" }.joined(separator: ", ") + ")" }
    var fusion: FusionKind { .collective }
    var axisName: String? { axis }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        return ins[0]
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { throw unboundAxis(name, axis) }
    /// JAX's: the inverse permutation.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        [need[0] ? try m.emit(.ppermute(axis: axis, perm: perm.map { [$0[1], $0[0]] }), [ct]) : nil]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        try tangents[0].map { try m.emit(e.prim, [$0]) }
    }
    /// Over this map's axis (of a constant size): each destination's slice taken from its source along the batch
    /// axis, zeros where no pair arrives, joined with concatenate.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard axis == b.axisName else { return Batched(try b.b.emit(.ppermute(axis: axis, perm: perm), [x.atom]), x.bdim) }
        guard let n = b.size.constValue else {
            throw Diagnostic("ppermute over '\(axis)' needs a constant mapped size: give the map axis_size=")
        }
        var source = [Int?](repeating: nil, count: n), seen = Set<Int>()
        for pair in perm {
            guard pair.count == 2, (0..<n).contains(pair[0]), (0..<n).contains(pair[1]), seen.insert(pair[0]).inserted, source[pair[1]] == nil else {
                throw Diagnostic("ppermute: perm \(permText) is not a partial permutation of 0..<\(n) (each source and destination at most once)")
            }
            source[pair[1]] = pair[0]
        }
        let xb = try b.materialize(x, at: 0)
        var limit = xb.type.shape
        let parts = try source.map { src -> Atom in
            guard let src else {
                var shape = xb.type.shape; shape[0] = .const(1)
                return try b.b.emit(.broadcastInDim(shape: shape, dims: []), [.lit(0, xb.type.dtype)])
            }
            limit[0] = .const(src + 1)
            var start = Array(repeating: 0, count: xb.type.rank); start[0] = src
            return try b.b.emit(.slice(start: start, limit: limit, strides: Array(repeating: 1, count: xb.type.rank)), [xb])
        }
        return Batched(n == 0 ? xb : try b.b.emit(.concatenate(axis: 0), parts), 0)
    }

    /// In a device kernel: this device's source and destination from the pairs, then the table's permute.
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        let x = try collectiveOperand(e.inputs[0], k)
        k.block("") {
            k.line("int32_t ax_from = -1, ax_to = -1;")
            for pair in perm {
                k.line("if (ax_coll->device == \(pair[0])) ax_to = \(pair[1]);")
                k.line("if (ax_coll->device == \(pair[1])) ax_from = \(pair[0]);")
            }
            tableCall("permute(ax_coll, \(x), \(target), \(byteCount(e.inputs[0].type, k)), ax_from, ax_to)", k)
        }
    }
}

/// The collectives table's code for dtype `t` (docs/c-interface.md).
func tableDType(_ t: DType) -> Int {
    switch t { case .f32: return 0; case .f64: return 1; case .i32: return 2; case .bool: return 3 }
}

/// A collective's operand as a C pointer: its buffer, or a one-element array holding a literal.
private func collectiveOperand(_ a: Atom, _ k: KernelEmitter) throws -> String {
    if let v = a.variable, let b = k.bufferName(v) { return b }
    let n = k.fresh("lit")
    k.line("\(a.type.dtype.cType) \(n)[1] = {\(try k.gen(a, .multi([])))};")
    return n
}

/// The bytes of a value of type `t`, as a C expression.
private func byteCount(_ t: TensorType, _ k: KernelEmitter) -> String { "(int64_t)\(k.count(t.shape)) * \(t.dtype.byteSize)" }

/// A call of the collectives table's function `call` (its arguments included); its nonzero code is the kernel's.
private func tableCall(_ call: String, _ k: KernelEmitter) {
    k.line("{ int ax_rc = ax_coll->\(call); if (ax_rc != 0) return ax_rc; }")
}
