// The contraction's record: dot_general (JAX's dimension numbers) — shape rule, evaluation (floats by the runtime
// GEMM), VJP (JAX's transpose rules), batching, its C kernel (inline loops for small shapes, the runtime GEMM
// otherwise) and the rewrite that folds a transpose of its output into the contraction.

/// `dot_general`'s dimension numbers: contracting and batch dimensions of each side.
public struct DotDims: Hashable, Sendable {
    public var lhsContract: [Int], rhsContract: [Int], lhsBatch: [Int], rhsBatch: [Int]
    public init(lhsContract: [Int], rhsContract: [Int], lhsBatch: [Int] = [], rhsBatch: [Int] = []) {
        self.lhsContract = lhsContract; self.rhsContract = rhsContract
        self.lhsBatch = lhsBatch; self.rhsBatch = rhsBatch
    }
    /// The same contraction with the operands swapped.
    var swapped: DotDims { DotDims(lhsContract: rhsContract, rhsContract: lhsContract, lhsBatch: rhsBatch, rhsBatch: lhsBatch) }
}

/// The record of dot_general: output dimensions are batch, lhs free, rhs free.
struct DotGeneralRules: PrimitiveRules {
    let d: DotDims
    var name: String { "dot_general" }
    var paramText: String {
        "dimension_numbers=((\(paramList(d.lhsContract)), \(paramList(d.rhsContract))), (\(paramList(d.lhsBatch)), \(paramList(d.rhsBatch))))"
    }
    var fusion: FusionKind { .contraction }
    /// Inlined into a loop (`inlinable`), a contraction is k multiply-adds per element: not cheap to recompute.
    var isHeavy: Bool { true }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 2)
        let (l, r) = (ins[0], ins[1])
        guard l.dtype == r.dtype, l.dtype != .bool else { throw ShapeError("dot_general: dtypes \(l) and \(r)") }
        guard d.lhsContract.count == d.rhsContract.count, d.lhsBatch.count == d.rhsBatch.count else {
            throw ShapeError("dot_general: unbalanced dimension numbers")
        }
        try checkAxes(name, d.lhsContract + d.lhsBatch, rank: l.rank)
        try checkAxes(name, d.rhsContract + d.rhsBatch, rank: r.rank)
        for (a, b) in zip(d.lhsContract, d.rhsContract) where l.shape[a] != r.shape[b] {
            throw ShapeError("contracting dimension \(a) of \(l) (size \(l.shape[a])) does not match dimension \(b) of \(r) (size \(r.shape[b]))")
        }
        for (a, b) in zip(d.lhsBatch, d.rhsBatch) where l.shape[a] != r.shape[b] {
            throw ShapeError("batch dimension \(a) of \(l) does not match dimension \(b) of \(r)")
        }
        let batch = d.lhsBatch.map { l.shape[$0] }
        let lFree = keptAxes(l.rank, d.lhsContract + d.lhsBatch).map { l.shape[$0] }
        let rFree = keptAxes(r.rank, d.rhsContract + d.rhsBatch).map { r.shape[$0] }
        return TensorType(l.dtype, batch + lFree + rFree)
    }

    /// Both operands are gathered to [batch, free, contract] layout, then each output element is a contiguous dot
    /// product: floats by the runtime GEMM the kernels call (one definition of the sums, so eager and jit agree bit
    /// for bit: docs/numerics.md), i32 wrapping.
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let (l, r) = (args[0], args[1])
        func layout(_ t: Tensor, batch: [Int], contract: [Int]) -> (perm: [Int], free: Int, k: Int) {
            let free = keptAxes(t.shape.count, batch + contract)
            return (batch + free + contract, free.reduce(1) { $0 * t.shape[$1] }, contract.reduce(1) { $0 * t.shape[$1] })
        }
        let (lp, m, k) = layout(l, batch: d.lhsBatch, contract: d.lhsContract)
        let (rp, nn, _) = layout(r, batch: d.rhsBatch, contract: d.rhsContract)
        let b = d.lhsBatch.reduce(1) { $0 * l.shape[$1] }
        let total = b * m * nn
        func gather<T>(_ a: [T], _ t: Tensor, _ perm: [Int]) -> [T] {
            if perm == Array(0..<perm.count) { return a }
            let st = Tensor.strides(t.shape)
            let shape = perm.map { t.shape[$0] }
            return a.withUnsafeBufferPointer { pa in
                makeArray(a.count) { out in stridedCopy(pa.baseAddress!, 0, perm.map { st[$0] }, out, 0, Tensor.strides(shape), shape) }
            }
        }
        /// ax_gemm_T over the gathered operands: b products of [m, k] by the transpose of [nn, k].
        func gemm<T>(_ la: [T], _ ra: [T], _ t: DType) throws -> [T] {
            typealias Gemm = @convention(c) (Int64, Int64, Int64, Int64, UnsafeRawPointer?, Int64, Int64, Int64,
                                             UnsafeRawPointer?, Int64, Int64, Int64, UnsafeMutableRawPointer?, Int64, Int64, Int64) -> Void
            let fn = unsafeBitCast(try runtimeSymbol(gemmName(t)), to: Gemm.self)
            let lg = gather(la, l, lp), rg = gather(ra, r, rp)
            let (m64, n64, k64) = (Int64(m), Int64(nn), Int64(k))
            return lg.withUnsafeBufferPointer { pl in rg.withUnsafeBufferPointer { pr in
                makeArray(total) { (out: UnsafeMutablePointer<T>) in
                    fn(Int64(b), m64, n64, k64, pl.baseAddress, m64 * k64, k64, 1, pr.baseAddress, n64 * k64, 1, k64, out, m64 * n64, n64, 1)
                }
            } }
        }
        /// i32 dot products, wrapping.
        func wrapping(_ la: [Int32], _ ra: [Int32]) -> [Int32] {
            let lg = gather(la, l, lp), rg = gather(ra, r, rp)
            return lg.withUnsafeBufferPointer { pl in rg.withUnsafeBufferPointer { pr in
                makeArray(total) { out in
                    var o = 0
                    for bi in 0..<b {
                        for i in 0..<m {
                            let lrow = pl.baseAddress.map { $0 + (bi * m + i) * k }
                            for j in 0..<nn {
                                var acc: Int32 = 0
                                if let lrow, let rrow = pr.baseAddress.map({ $0 + (bi * nn + j) * k }) {
                                    for q in 0..<k { acc = acc &+ lrow[q] &* rrow[q] }
                                }
                                out[o] = acc; o += 1
                            }
                        }
                    }
                }
            } }
        }
        guard total == outShape.reduce(1, *) else { throw InternalError("dot_general: output size mismatch") }
        switch (l.storage, r.storage) {
        case (.f32(let x), .f32(let y)): return .f32(try gemm(x, y, .f32))
        case (.f64(let x), .f64(let y)): return .f64(try gemm(x, y, .f64))
        case (.i32(let x), .i32(let y)): return .i32(wrapping(x, y))
        default: throw Diagnostic("dot_general: operands must be numbers of the same dtype")
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        [need[0] ? try transposeLHS(ct, x: e.inputs[0].type, y: e.inputs[1], d, swapAns: false, m) : nil,
         need[1] ? try transposeLHS(ct, x: e.inputs[1].type, y: e.inputs[0], d.swapped, swapAns: true, m) : nil]
    }

    /// JAX's _dot_general_transpose_lhs: contract the cotangent with `y` over `y`'s free axes, then put the
    /// result's axes (batch, kept, contracted in `y`'s order) back in `x`'s order.
    private func transposeLHS(_ g: Atom, x: TensorType, y: Atom, _ d: DotDims, swapAns: Bool, _ m: VJPEmitter) throws -> Atom {
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

    /// Bilinear: dot(tx, y) + dot(x, ty).
    func jvp(_ e: Eqn, tangents t: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        let l = try t[0].map { try m.emit(e.prim, [$0, e.inputs[1]]) }
        let r = try t[1].map { try m.emit(e.prim, [e.inputs[0], $0]) }
        guard let l else { return r }
        guard let r else { return l }
        return try m.add(l, r)
    }

    /// A batch dimension pair when both operands are mapped (the result's batch axis is then 0, where dot_general
    /// puts batch dimensions); a single mapped axis becomes a free dimension.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let (l, r) = (ins[0], ins[1])
        var nd = DotDims(lhsContract: bump(d.lhsContract, l.bdim), rhsContract: bump(d.rhsContract, r.bdim),
                         lhsBatch: bump(d.lhsBatch, l.bdim), rhsBatch: bump(d.rhsBatch, r.bdim))
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
            return Batched(try b.b.emit(.dotGeneral(d), [l.atom, r.atom]), nil)
        }
        return Batched(try b.b.emit(.dotGeneral(nd), [l.atom, r.atom]), outAxis)
    }

    /// transpose(dot_general(a, b)) that swaps the lhs-free and rhs-free blocks (keeping batch dims first) is
    /// dot_general(b, a): the contraction writes the transposed layout directly (a rewrite of Transforms/Contract.swift).
    static func foldTransposed(_ e: Eqn, _ defs: [Int: Eqn], _ uses: [Int: Int], _ b: Builder) throws -> Atom? {
        guard case .transpose(let perm) = e.prim, let v = e.inputs[0].variable, uses[v.id] == 1,
              let dot = defs[v.id], case .dotGeneral(let d) = dot.prim else { return nil }
        let (l, r) = (dot.inputs[0].type.rank, dot.inputs[1].type.rank)
        let nb = d.lhsBatch.count
        let nl = l - nb - d.lhsContract.count, nr = r - nb - d.rhsContract.count
        let swapped = Array(0..<nb) + Array((nb + nl)..<(nb + nl + nr)) + Array(nb..<(nb + nl))
        guard perm == swapped else { return nil }
        return try b.emit(.dotGeneral(d.swapped), [dot.inputs[1], dot.inputs[0]])
    }

    /// A contraction computed where it is read instead of in a kernel of its own (Codegen/Fuse.swift): `x @ W` of
    /// buffers `[m, k]` and `[k, c]` of floats with 2 ≤ k ≤ 32 and c ≤ 16 (the neuron's 5 × 3). Each element is
    /// the GEMM's chain of fma (the interpreter calls the GEMM), so the bits do not change. nil otherwise.
    static func smallMatmul(_ e: Eqn) -> (k: Int, cols: Int)? {
        guard case .dotGeneral(let d) = e.prim, d.lhsBatch.isEmpty, d.lhsContract == [1], d.rhsContract == [0],
              e.inputs[0].type.rank == 2, e.inputs[1].type.rank == 2, e.out.type.dtype.isFloat,
              e.inputs.allSatisfy({ $0.variable != nil }),
              let k = e.inputs[1].type.shape[0].constValue, let c = e.inputs[1].type.shape[1].constValue,
              (2...32).contains(k), (1...16).contains(c) else { return nil }
        return (k, c)
    }
    func inlinable(_ e: Eqn) -> Bool { Self.smallMatmul(e) != nil }

    /// An inlined small contraction's element (i, j): the GEMM's chain of fma from 0 over p.
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        guard let (kk, cols) = Self.smallMatmul(e) else { throw InternalError("codegen: dot_general must be materialized") }
        var i: String, j: String
        switch idx {
        case .multi(let ix): (i, j) = (ix[0], ix[1])
        case .flat(let f): (i, j) = ("((\(f)) / \(cols))", "((\(f)) % \(cols))")
        }
        if !k.isSimple(i) { i = k.bind("int64_t", i) }
        if !k.isSimple(j) { j = k.bind("int64_t", j) }
        let (l, r) = (e.inputs[0], e.inputs[1])
        let t = e.out.type.dtype
        return try (0..<kk).reduce("(\(t.cType))0") { acc, p in
            "\(fmaName(t))(\(try k.gen(l, .multi([i, "\(p)"]))), \(try k.gen(r, .multi(["\(p)", j]))), \(acc))"
        }
    }

    /// An inlined small contraction on tiles of whole rows (the nest's tiles start at multiples of 64 rows, its
    /// period): one runtime call computes the tile (`ax_vmatmul_f32/f64`, each row's outputs one vector).
    func tileable(_ e: Eqn, _ t: DType) -> Bool { Self.smallMatmul(e) != nil && e.out.type.dtype == t }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        guard let (kk, cols) = Self.smallMatmul(e), plan.index == nil,
              let a = k.bufferName(e.inputs[0].variable!), let b = k.bufferName(e.inputs[1].variable!) else {
            throw InternalError("codegen: dot_general has no tile here")
        }
        return k.tileCall(plan, matmulTileName(plan.dtype), [.ptr("\(a) + (\(plan.offset)) / \(cols) * \(kk)"), .ptr(b)],
                          lead: ["\(kk)", "\(cols)"])
    }

    /// Small contractions as inline loops: floats as the runtime GEMM defines each element (a chain of fma from 0 over
    /// the contracting indices in row-major order, docs/numerics.md), i32 wrapping; large float ones call the GEMM.
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        let (l, r) = (e.inputs[0], e.inputs[1])
        let t = e.out.type.dtype
        let lFree = keptAxes(l.type.rank, d.lhsContract + d.lhsBatch)
        let rFree = keptAxes(r.type.rank, d.rhsContract + d.rhsBatch)
        let nb = d.lhsBatch.count
        if try emitRuntimeGemm(e, lFree: lFree, rFree: rFree, target: target, k) { return }
        let outShape = e.out.type.shape
        let bounds = d.lhsContract.map { k.dim(l.type.shape[$0]) }
        try k.loops(outShape.map(k.dim)) { outVars in
                func operands(_ kv: [String]) throws -> [String] {
                    var li = Array(repeating: "0", count: l.type.rank), ri = Array(repeating: "0", count: r.type.rank)
                    for (i, a) in d.lhsBatch.enumerated() { li[a] = outVars[i] }
                    for (i, a) in d.rhsBatch.enumerated() { ri[a] = outVars[i] }
                    for (i, a) in lFree.enumerated() { li[a] = outVars[nb + i] }
                    for (i, a) in rFree.enumerated() { ri[a] = outVars[nb + lFree.count + i] }
                    for (i, a) in d.lhsContract.enumerated() { li[a] = kv[i] }
                    for (i, a) in d.rhsContract.enumerated() { ri[a] = kv[i] }
                    return [try k.gen(l, .multi(li)), try k.gen(r, .multi(ri))]
                }
                let out = "\(target)[\(k.linear(outShape, outVars))]"
                if t.isFloat {
                    let acc = k.fresh("acc")
                    k.line("\(t.cType) \(acc) = 0;")
                    try k.loops(bounds) { kv in
                        let (x, y) = try { let o = try operands(kv); return (o[0], o[1]) }()
                        k.line("\(acc) = \(fmaName(t))(\(x), \(y), \(acc));")
                    }
                    k.line("\(out) = \(acc);")
                    return
                }
                let rule = ReduceRule(accType: "int32_t", identity: "0", combine: wrappingAdd, isSum: true)
                let acc = try k.emitAccumulate(bounds: bounds, rule: rule, dtype: t) { BinaryOp.mul.def.c(t).apply(try operands($0)) }
                k.line("\(out) = \(acc);")
        }
    }

    /// Large float contractions with one contracting dimension and at most one free dimension per side
    /// become one runtime GEMM call over the last batch dimension (per-example products in one call, split between
    /// cores), in a loop over any other batch dimensions. Returns false when the shape does not qualify.
    private func emitRuntimeGemm(_ e: Eqn, lFree: [Int], rFree: [Int], target: String, _ k: KernelEmitter) throws -> Bool {
        let (l, r) = (e.inputs[0], e.inputs[1])
        let t = e.out.type.dtype
        guard t.isFloat, d.lhsContract.count <= 1, lFree.count <= 1, rFree.count <= 1,
              let lv = l.variable, let rv = r.variable, let lb = k.bufferName(lv), let rb = k.bufferName(rv) else { return false }
        let allDims = l.type.shape + r.type.shape
        if allDims.allSatisfy({ $0.constValue != nil }) {
            let work = e.out.type.shape.compactMap(\.constValue).reduce(1, *) * (d.lhsContract.first.map { l.type.shape[$0].constValue ?? 1 } ?? 1)
            if work < 4096 { return false }
        }
        func stride(_ shape: [Dim], _ j: Int) -> String { k.count(Array(shape[(j + 1)...])) }
        let ls = l.type.shape, rs = r.type.shape, os = e.out.type.shape
        let nb = d.lhsBatch.count
        let m = lFree.first.map { k.dim(ls[$0]) } ?? "1", n = rFree.first.map { k.dim(rs[$0]) } ?? "1"
        // No contracting dimension (an outer product) is K = 1.
        let kk = d.lhsContract.first.map { k.dim(ls[$0]) } ?? "1"
        let sam = lFree.first.map { stride(ls, $0) } ?? "0", sak = d.lhsContract.first.map { stride(ls, $0) } ?? "0"
        let sbk = d.rhsContract.first.map { stride(rs, $0) } ?? "0", sbn = rFree.first.map { stride(rs, $0) } ?? "0"
        let scm = lFree.isEmpty ? "0" : (rFree.isEmpty ? "1" : n), scn = rFree.isEmpty ? "0" : "1"
        // The last batch dimension is the call's batch (its rows split between cores with the products' rows); any
        // batch dimensions before it are loops around the call.
        let (count, sab, sbb, scb) = nb == 0 ? ("1", "0", "0", "0")
            : (k.dim(os[nb - 1]), stride(ls, d.lhsBatch[nb - 1]), stride(rs, d.rhsBatch[nb - 1]), stride(os, nb - 1))
        let fn = gemmName(t)
        k.runtime.insert(fn)
        try k.loops(os.prefix(max(0, nb - 1)).map(k.dim)) { bVars in
                var li = Array(repeating: "0", count: ls.count), ri = Array(repeating: "0", count: rs.count)
                var oi = Array(repeating: "0", count: os.count)
                for (i, a) in d.lhsBatch.prefix(bVars.count).enumerated() { li[a] = bVars[i]; oi[i] = bVars[i] }
                for (i, a) in d.rhsBatch.prefix(bVars.count).enumerated() { ri[a] = bVars[i] }
                k.line("\(fn)(\(count), \(m), \(n), \(kk), \(lb) + \(k.linear(ls, li)), \(sab), \(sam), \(sak), \(rb) + \(k.linear(rs, ri)), \(sbb), \(sbk), \(sbn), \(target) + \(k.linear(os, oi)), \(scb), \(scm), \(scn));")
        }
        return true
    }
}
