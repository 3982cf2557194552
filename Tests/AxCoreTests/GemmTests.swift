// The runtime GEMM (Codegen/RuntimeTable.swift): per-example products with batch dimensions run as one call split
// between cores and give, bit for bit, what the kernel gives one example at a time, in eager, jit and tier 2.
import Foundation
import Testing
@testable import AxCore

/// Every element's bits (bools as 0/1).
private func bitsOf(_ t: Tensor) -> [UInt64] {
    switch t.storage {
    case .f32(let a): return a.map { UInt64($0.bitPattern) }
    case .f64(let a): return a.map { $0.bitPattern }
    case .i32(let a): return a.map { UInt64(UInt32(bitPattern: $0)) }
    case .bool(let a): return a.map { $0 ? 1 : 0 }
    }
}

/// Example `i` of a tensor whose leading axis is the batch.
private func example(_ t: Tensor, _ i: Int) -> Tensor {
    let per = t.count / t.shape[0], r = i * per..<(i + 1) * per
    let shape = [1] + t.shape.dropFirst()
    switch t.storage {
    case .f32(let a): return Tensor(shape: shape, storage: .f32(Array(a[r])))
    case .f64(let a): return Tensor(shape: shape, storage: .f64(Array(a[r])))
    case .i32(let a): return Tensor(shape: shape, storage: .i32(Array(a[r])))
    case .bool(let a): return Tensor(shape: shape, storage: .bool(Array(a[r])))
    }
}

/// Expects the same shape and bits; names the first element that differs.
private func expectSameBits(_ got: Tensor, _ want: Tensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let (g, w) = (bitsOf(got), bitsOf(want))
    let i = g.indices.first { $0 >= w.count || g[$0] != w[$0] }
    #expect(got.shape == want.shape && i == nil,
            "\(what): shape \(got.shape) vs \(want.shape), element \(i ?? -1): \(i.map { got.element($0) } ?? 0) vs \(i.map { w.count > $0 ? want.element($0) : 0 } ?? 0)",
            sourceLocation: sourceLocation)
}

/// dot_generals whose lowering is one runtime GEMM call over the batch: per-example outer products (the weight
/// gradients of vmap(grad) of `x @ W`, f32 and f64), per-example products through each path of the GEMM (few
/// columns, row blocks, strided dot products), and two batch dimensions (a loop around the call). The last number is a
/// batch size with more than two grains of the GEMM's rows (2^18 multiply-adds, at least 64 rows), so the pool splits
/// them between cores (the two-batch case's call covers 3 products: it is never split).
private let batchedCases: [(String, TensorType, TensorType, DotDims, Int)] = {
    let n = Dim.sym("n")
    func t(_ d: DType, _ s: [Int]) -> TensorType { TensorType(d, [n] + s.map { .const($0) }) }
    let batch = DotDims(lhsContract: [], rhsContract: [], lhsBatch: [0], rhsBatch: [0])
    return [
        ("outer_f32", t(.f32, [300]), t(.f32, [64]), batch, 400),
        ("outer_f64", t(.f64, [16]), t(.f64, [16]), batch, 4096),
        ("few_columns", t(.f32, [5, 7]), t(.f32, [7, 3]), DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0]), 6000),
        ("row_blocks", t(.f32, [9, 40]), t(.f32, [40, 20]), DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0]), 400),
        ("strided", t(.f64, [9, 40]), t(.f64, [20, 40]), DotDims(lhsContract: [2], rhsContract: [2], lhsBatch: [0], rhsBatch: [0]), 400),
        ("two_batch_dims", t(.f32, [3, 50]), t(.f32, [3, 30]), DotDims(lhsContract: [], rhsContract: [], lhsBatch: [0, 1], rhsBatch: [0, 1]), 400),
    ]
}()

@Suite struct GemmTests {
    /// Batch sizes 1, 7 and one whose rows split between cores: the batched call equals the same kernel run on each
    /// example alone, bit for bit, at tier 1 and tier 2 (when a C compiler is installed), and equals eager.
    @Test(arguments: batchedCases.map(\.0))
    func batchedProductsEqualPerExampleCalls(_ name: String) throws {
        let (_, l, r, d, large) = batchedCases.first { $0.0 == name }!
        let p = try makeProgram([l, r], name: name) { b, a in [try b.emit(.dotGeneral(d), a)] }
        let one = try lower(p, name: name, optimize: false).kernel!
        #expect(one.source.contains("ax_gemm_\(l.dtype)(n, ") || one.source.contains("ax_gemm_\(l.dtype)(3, "),
                "\(name): not one batched GEMM call")
        let cc = findExecutable("cc")
        let two = try cc.map { try lower(p, name: name, optimize: false, tier: .two, tier2: Tier2Config(compiler: $0)).kernel! }
        for n in [1, 7, large] {
            let ins = randomInputs(p, ["n": n], seed: UInt64(n))
            let got = try one.run(inputs: ins, sizes: [:])[0]
            if let two { expectSameBits(try two.run(inputs: ins, sizes: [:])[0], got, "\(name) n=\(n): tier 2 vs tier 1") }
            expectSameBits(got, try evaluate(p, inputs: ins, sizes: ["n": n])[0], "\(name) n=\(n): jit vs eager")
            for i in Set([0, n / 2, n - 1]) {
                let alone = try one.run(inputs: ins.map { example($0, i) }, sizes: [:])[0]
                expectSameBits(example(got, i), alone, "\(name) n=\(n): example \(i) in the batch vs alone")
            }
        }
        if cc == nil { withKnownIssue("no C compiler: tier 2 not compared") { Issue.record("cc not on PATH") } }
    }
}

/// The definition every path of the GEMM computes (docs/numerics.md): each element a chain of fused multiply-adds
/// from 0 in p order (`addingProduct` rounds once), in the dtype.
private func referenceGemm<T: BinaryFloatingPoint>(_ nb: Int, _ m: Int, _ n: Int, _ k: Int, _ a: [T], _ sa: [Int],
                                                   _ b: [T], _ sb: [Int], _ sc: [Int], into c: inout [T]) {
    for q in 0..<nb { for i in 0..<m { for j in 0..<n {
        var acc: T = 0
        for p in 0..<k { acc = acc.addingProduct(a[q * sa[0] + i * sa[1] + p * sa[2]], b[q * sb[0] + p * sb[1] + j * sb[2]]) }
        c[q * sc[0] + i * sc[1] + j * sc[2]] = acc
    } } }
}

extension GemmTests {
    /// ax_gemm_f32/f64 called directly on edge shapes (m, n, k of 0, 1, 3, 17, 64, a k over the 256-step panel, rows
    /// split between cores), operands row-major or transposed and the result row- or column-major, two products in
    /// one call: every element has the reference's bits.
    @Test(arguments: [DType.f32, .f64])
    func gemmEdgeShapesMatchTheReference(_ t: DType) throws {
        typealias Gemm = @convention(c) (Int64, Int64, Int64, Int64, UnsafeRawPointer?, Int64, Int64, Int64,
                                         UnsafeRawPointer?, Int64, Int64, Int64, UnsafeMutableRawPointer?, Int64, Int64, Int64) -> Void
        let gemm = unsafeBitCast(try runtimeSymbol(gemmName(t)), to: Gemm.self)
        let sizes = [0, 1, 3, 17, 64]
        var shapes = sizes.flatMap { m in sizes.flatMap { n in sizes.map { k in (m, n, k) } } }
        shapes += [(7, 33, 300), (13, 16, 5), (100, 5, 3), (3000, 20, 40), (2, 40, 600)]
        func run<T: BinaryFloatingPoint>(_: T.Type) {
            for (m, n, k) in shapes {
                for layout in 0..<8 {
                    let (ta, tb, tc) = (layout & 1 != 0, layout & 2 != 0, layout & 4 != 0)
                    let a = pseudoRandom(2 * m * k, seed: UInt64(m * 31 + k)).map { T($0) }
                    let b = pseudoRandom(2 * k * n, seed: UInt64(n * 17 + k + 5)).map { T($0) }
                    let sa = [m * k, ta ? 1 : k, ta ? m : 1], sb = [k * n, tb ? 1 : n, tb ? k : 1], sc = [m * n, tc ? 1 : n, tc ? m : 1]
                    var want = [T](repeating: .nan, count: 2 * m * n), got = want
                    referenceGemm(2, m, n, k, a, sa, b, sb, sc, into: &want)
                    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in got.withUnsafeMutableBytes { pc in
                        let s = (sa + sb + sc).map(Int64.init)
                        gemm(2, Int64(m), Int64(n), Int64(k), pa.baseAddress, s[0], s[1], s[2], pb.baseAddress, s[3], s[4], s[5],
                             pc.baseAddress, s[6], s[7], s[8])
                    } } }
                    let bad = got.indices.first { got[$0] != want[$0] || got[$0].sign != want[$0].sign }
                    #expect(bad == nil, "\(t) m=\(m) n=\(n) k=\(k) layout \(layout): element \(bad ?? -1) is \(bad.map { Double(got[$0]) } ?? 0), want \(bad.map { Double(want[$0]) } ?? 0)")
                }
            }
        }
        if t == .f32 { run(Float.self) } else { run(Double.self) }
    }
}

/// Equal with the same sign, or both NaN (the sentinels past a tile's end).
private func sameValue<T: BinaryFloatingPoint>(_ x: T, _ y: T) -> Bool { (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign) }

extension GemmTests {
    /// The small-matmul tile ax_vmatmul_f32/f64 (a fused `x @ W`'s rows, Primitives/Contraction.swift) on every
    /// path: columns 1-8 (one vector per row) and 9-16 (two), row counts that are not a multiple of the rows taken at
    /// once (0, 1, 7, 9, 64, 67), k from 2 to 32: each element has the reference's bits, and nothing past the tile's
    /// `n` elements is written.
    @Test(arguments: [DType.f32, .f64])
    func matmulTileMatchesTheReference(_ t: DType) throws {
        typealias Tile = @convention(c) (Int64, Int64, Int64, UnsafeRawPointer?, Int64, UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?) -> Void
        let tile = unsafeBitCast(try runtimeSymbol(matmulTileName(t)), to: Tile.self)
        func run<T: BinaryFloatingPoint>(_: T.Type) {
            for k in [2, 5, 32] { for cols in [1, 3, 8, 9, 16] { for rows in [0, 1, 7, 9, 64, 67] {
                let a = pseudoRandom(rows * k, seed: UInt64(rows * 7 + k)).map { T($0) }
                let b = pseudoRandom(k * cols, seed: UInt64(cols * 13 + k)).map { T($0) }
                var want = [T](repeating: .nan, count: rows * cols + 16), got = want
                referenceGemm(1, rows, cols, k, a, [0, k, 1], b, [0, cols, 1], [0, cols, 1], into: &want)
                a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in got.withUnsafeMutableBytes { po in
                    tile(Int64(rows * cols), Int64(k), Int64(cols), pa.baseAddress, 1, pb.baseAddress, 1, po.baseAddress)
                } } }
                let bad = got.indices.first { !sameValue(got[$0], want[$0]) }
                #expect(bad == nil, "\(t) k=\(k) cols=\(cols) rows=\(rows): element \(bad ?? -1) is \(bad.map { Double(got[$0]) } ?? 0), want \(bad.map { Double(want[$0]) } ?? 0)")
            } } }
        }
        if t == .f32 { run(Float.self) } else { run(Double.self) }
    }

    /// ax_vrowsum_f32/f64 on rows of 1 to 10 (2-8 have loops of their own) and 0, 1, 7 or 67 rows: each row summed in
    /// double from 0 in order, -0 rows included.
    @Test(arguments: [DType.f32, .f64])
    func rowSumTileMatchesTheReference(_ t: DType) throws {
        typealias RowSum = @convention(c) (Int64, Int64, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Void
        let rowsum = unsafeBitCast(try runtimeSymbol("ax_vrowsum_\(t)"), to: RowSum.self)
        func run<T: BinaryFloatingPoint>(_: T.Type) {
            for r in 1...10 { for rows in [0, 1, 7, 67] {
                var a = pseudoRandom(rows * r, seed: UInt64(rows * 11 + r)).map { T($0) }
                if rows > 1 { for j in 0..<r { a[r + j] = -0.0 } }  // row 1: -0 + ... sums to +0 from 0
                let want = (0..<rows).map { i in T((0..<r).reduce(0.0) { $0 + Double(a[i * r + $1]) }) } + [T](repeating: .nan, count: 4)
                var got = [T](repeating: .nan, count: rows + 4)
                a.withUnsafeBytes { pa in got.withUnsafeMutableBytes { po in rowsum(Int64(rows), Int64(r), pa.baseAddress, po.baseAddress) } }
                let bad = got.indices.first { !sameValue(got[$0], want[$0]) }
                #expect(bad == nil, "\(t) r=\(r) rows=\(rows): row \(bad ?? -1) is \(bad.map { Double(got[$0]) } ?? 0), want \(bad.map { Double(want[$0]) } ?? 0)")
            } }
        }
        if t == .f32 { run(Float.self) } else { run(Double.self) }
    }
}
