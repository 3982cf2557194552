// Eager and jit agree bit for bit (docs/pipeline.md §5, docs/deviations.md Numerics): every element-wise primitive on sweeps of inputs (NaN, ±inf, ±0,
// subnormals, huge and random bit patterns) through the interpreter, the kernels' tile path and their scalar loops.
// The JAX reproducers (relu(NaN), log(sigmoid(-103)), gradients of means over an empty batch) are conformance cases
// of Samples/numerics.ax (scripts/gen_conformance.py).
import Foundation
import Testing
@testable import AxCore

/// Deterministic pseudo-random 64-bit words.
private func randomWords(_ n: Int, seed: UInt64) -> [UInt64] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { _ in r.next() }
}

/// f32 inputs: special values, the edges of the runtime's ranges, random bit patterns (every exponent, NaN payloads)
/// and random values of moderate size.
private let sweepF32: [Float] = {
    var xs: [Float] = [.nan, -.nan, Float(bitPattern: 0x7fc0_1234), Float(bitPattern: 0xff80_0001), .infinity, -.infinity,
                       0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Float.leastNormalMagnitude.nextDown,
                       .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                       1, -1, 0.5, 2, 0.01, -0.01, 1e-8, -1e-8, -0.999, 1e30, -1e30, 1e5, -1e5, Float(1e5).nextUp,
                       88.72283, 88.72284, -88.72283, -88.72284, 89, -103, -104, -150, 20, -20, 9, 3.1415927, 1.5707964]
    for w in randomWords(3000, seed: 7) { xs.append(Float(bitPattern: UInt32(truncatingIfNeeded: w))) }
    for w in randomWords(2000, seed: 8) { xs.append(Float(Double(w >> 11) / Double(1 << 53) * 240 - 120)) }
    for w in randomWords(1000, seed: 9) { xs.append(Float(Double(w >> 11) / Double(1 << 53) * 4 - 2)) }
    return xs
}()

/// f64 inputs, likewise.
private let sweepF64: [Double] = {
    var xs: [Double] = [.nan, -.nan, Double(bitPattern: 0x7ff8_0000_0000_1234), .infinity, -.infinity, 0, -0.0,
                        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                        -.greatestFiniteMagnitude, 1, -1, 0.5, 1e-300, 709.7, 709.8, -745, -746, 1e22, -0.999999]
    for w in randomWords(3000, seed: 10) { xs.append(Double(bitPattern: w)) }
    for w in randomWords(2000, seed: 11) { xs.append(Double(w >> 11) / Double(1 << 53) * 1500 - 750) }
    for w in randomWords(1000, seed: 12) { xs.append(Double(w >> 11) / Double(1 << 53) * 4 - 2) }
    return xs
}()

private func sweep(_ t: DType) -> Tensor {
    t == .f32 ? Tensor(shape: [sweepF32.count], storage: .f32(sweepF32))
        : Tensor(shape: [sweepF64.count], storage: .f64(sweepF64))
}

/// The bits of element `i` (bool and i32 as their values).
private func bits(_ t: Tensor, _ i: Int) -> UInt64 {
    switch t.storage {
    case .f32(let a): return UInt64(a[i].bitPattern)
    case .f64(let a): return a[i].bitPattern
    case .i32(let a): return UInt64(UInt32(bitPattern: a[i]))
    case .bool(let a): return a[i] ? 1 : 0
    }
}

/// The first element where `got` and `want` differ in bits (with `anyNaN`, any two NaNs agree); nil when none.
private func firstDifference(_ got: Tensor, _ want: Tensor, anyNaN: Bool) -> String? {
    guard got.shape == want.shape, got.dtype == want.dtype else { return "got \(got.dtype)\(got.shape), want \(want.dtype)\(want.shape)" }
    for i in 0..<want.count where bits(got, i) != bits(want, i) {
        if anyNaN && got.element(i).isNaN && want.element(i).isNaN { continue }
        return "element \(i): got \(got.element(i)) (bits \(String(bits(got, i), radix: 16))), eager \(want.element(i)) (bits \(String(bits(want, i), radix: 16)))"
    }
    return nil
}

/// A program applying `prim` to inputs of `types` (all of the sweep's length), and the same with every operand read
/// through a transpose of a [k, 2] layout, which keeps the kernel in its scalar loops (no tiles).
private func programs(_ prim: Primitive, _ types: [DType], count n: Int) throws -> (flat: Program, scalar: Program) {
    let flat = try makeProgram(types.map { TensorType($0, [.const(n)]) }) { b, xs in [try b.emit(prim, xs)] }
    let scalar = try makeProgram(types.map { TensorType($0, [.const(n / 2), .const(2)]) }) { b, xs in
        [try b.emit(prim, try xs.map { try b.emit(.transpose([1, 0]), [$0]) })]
    }
    return (flat, scalar)
}

/// `prim` on `inputs` evaluated eagerly and by both kernels; expects the same bits. Returns the kernels' C.
@discardableResult
private func expectEagerEqualsJit(_ prim: Primitive, _ inputs: [Tensor], anyNaN: Bool = false,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws -> (flat: String, scalar: String) {
    // An even count, so the scalar program can read the inputs as [n/2, 2]; storage is sliced as is (NaN payloads kept).
    let n = inputs[0].count / 2 * 2
    let exact = inputs.map { t -> Tensor in
        switch t.storage {
        case .f32(let a): return Tensor(shape: [n], storage: .f32(Array(a.prefix(n))))
        case .f64(let a): return Tensor(shape: [n], storage: .f64(Array(a.prefix(n))))
        case .i32(let a): return Tensor(shape: [n], storage: .i32(Array(a.prefix(n))))
        case .bool(let a): return Tensor(shape: [n], storage: .bool(Array(a.prefix(n))))
        }
    }
    let (flat, scalar) = try programs(prim, exact.map(\.dtype), count: n)
    let want = try evalPrimitive(prim, exact, sizes: [:])
    let got = try compileKernel(flat, name: "k", optimize: false).run(inputs: exact, sizes: [:])[0]
    if let d = firstDifference(got, want, anyNaN: anyNaN) { Issue.record("\(prim.name) \(exact.map(\.dtype)) tiles: \(d)", sourceLocation: sourceLocation) }
    let pairs = exact.map { Tensor(shape: [n / 2, 2], storage: $0.storage) }
    let wantT = try evaluate(scalar, inputs: pairs, sizes: [:])[0]
    let gotT = try compileKernel(scalar, name: "k", optimize: false).run(inputs: pairs, sizes: [:])[0]
    if let d = firstDifference(gotT, wantT, anyNaN: anyNaN) { Issue.record("\(prim.name) \(exact.map(\.dtype)) scalar loops: \(d)", sourceLocation: sourceLocation) }
    let graphs = try [flat, scalar].map { try lower($0, name: "k", to: .fused, optimize: false).graph! }
    return (emitKernel(graphs[0], name: "k").text, emitKernel(graphs[1], name: "k").text)
}

@Suite struct NumericsTests {
    @Test(arguments: UnaryOp.allCases.filter { $0 != .not }, [DType.f32, .f64])
    func unaryEagerEqualsJitBitwise(_ op: UnaryOp, _ t: DType) throws {
        // Exact bits, NaNs included, except the sign of -NaN: tcc negates by subtracting from -0.0, which keeps
        // a NaN operand as it is (clang and Swift flip the sign bit, as XLA does).
        let (flat, scalar) = try expectEagerEqualsJit(.unary(op), [sweep(t)], anyNaN: op == .neg)
        // The sweep reaches both code paths: a tile call, and a scalar loop without one.
        #expect(flat.contains("ax_v\(op.rawValue)_\(t.rawValue)("), "no tile call of \(op.rawValue)")
        #expect(!scalar.contains("ax_v\(op.rawValue)_"), "the transposed program uses tiles")
    }

    @Test(arguments: BinaryOp.allCases.filter { $0 != .and && $0 != .or }, [DType.f32, .f64])
    func binaryEagerEqualsJitBitwise(_ op: BinaryOp, _ t: DType) throws {
        // Every pair of 80 values (specials, then random): NaN payloads of arithmetic aside (C and Swift may swap
        // the operands of a commutative instruction), the same bits.
        let k = 80
        func pairs(_ pick: (Int) -> Int) -> Tensor {
            t == .f32 ? Tensor(shape: [k * k], storage: .f32((0..<k * k).map { sweepF32[pick($0)] }))
                : Tensor(shape: [k * k], storage: .f64((0..<k * k).map { sweepF64[pick($0)] }))
        }
        let a = pairs { $0 / k }, b = pairs { $0 % k }
        try expectEagerEqualsJit(.binary(op), [a, b], anyNaN: true)
    }

    @Test(arguments: [-3, -2, -1, 0, 2, 3, 5], [DType.f32, .f64])
    func integerPowEagerEqualsJitBitwise(_ y: Int, _ t: DType) throws {
        try expectEagerEqualsJit(.integerPow(y), [sweep(t)], anyNaN: true)
    }

    @Test(arguments: [(DType.f32, DType.f64), (.f64, .f32), (.f32, .i32), (.f64, .i32), (.f32, .bool)])
    func convertEagerEqualsJitBitwise(_ from: DType, _ to: DType) throws {
        try expectEagerEqualsJit(.convert(to), [sweep(from)], anyNaN: true)
    }

    /// The reproducers of issue 10 in both modes: relu(NaN) is NaN (it was 0), log(sigmoid(-103)) is -inf in f32
    /// (jit gave -103.28: sigmoid was computed in double), and the gradient of a mean over an empty batch is 0 (NaN:
    /// simplify pulled the mean's 1/count out of the sum as inf * sum([]) = inf * 0).
    @Test func issueReproducers() throws {
        let source = """
            def f(x: f32[n]) -> (f32[n], f32[n], f32[n]):
                return relu(x), log(sigmoid(x)), maximum(x, 0.0)
            def scaled_mean(w: f32, xs: f32[n]) -> f32:
                return mean(w * xs)
            g = grad(scaled_mean)
            """
        let s = try CompilerSession(file: SourceFile(path: "repro.ax", text: source))
        let f = try s.lower("f", to: .optimized).optimized, g = try s.lower("g", to: .optimized).optimized
        let x = Tensor(shape: [4], storage: .f32([.nan, -103, -0.0, 2]))
        let w = Tensor(shape: [], storage: .f32([1.5])), empty = Tensor(shape: [0], storage: .f32([]))
        for mode in ExecutionMode.allCases {
            func run(_ p: Program, _ ins: [Tensor]) throws -> [Tensor] {
                mode == .eager ? try evaluate(p, inputs: ins, sizes: [:]) : try compileKernel(p, name: "k", optimize: false).run(inputs: ins, sizes: [:])
            }
            let out = try run(f, [x])
            #expect(out[0].element(0).isNaN && out[2].element(0).isNaN, "\(mode): relu(NaN) = \(out[0].element(0))")
            #expect(out[0].element(2) == 0 && out[0].element(2).sign == .plus, "\(mode): relu(-0) = \(out[0].element(2))")
            #expect(out[1].element(1) == -.infinity, "\(mode): log(sigmoid(-103)) = \(out[1].element(1))")
            let dw = try run(g, [w, empty])[0]
            #expect(dw.element(0) == 0, "\(mode): grad of a mean over an empty batch = \(dw.element(0))")
        }
    }

    /// Literal folding agrees with run time: maximum/minimum of a NaN literal is NaN (Swift.max(1, .nan) is 1).
    @Test func foldedMaximumPropagatesNaN() throws {
        let source = """
            def f(x: f32) -> (f32, f32, f32):
                nan = f32(0.0) / f32(0.0)
                return maximum(1.0, nan) + x, minimum(1.0, nan) + x, maximum(f32(-0.0), f32(0.0)) + x * 0.0
            """
        let s = try CompilerSession(file: SourceFile(path: "fold.ax", text: source))
        let p = try s.lower("f", to: .optimized).optimized
        let out = try evaluate(p, inputs: [Tensor(shape: [], storage: .f32([1]))], sizes: [:])
        #expect(out[0].element(0).isNaN && out[1].element(0).isNaN, "\(out)")
        #expect(out[2].element(0) == 0 && out[2].element(0).sign == .plus)
    }
}
