// Tests of fusion, C emission and libtcc-compiled kernels: every primitive, fused chains, reductions,
// contractions and symbolic sizes against independently computed values; standalone C built by gcc/clang.
import Foundation
import Testing
@testable import AxCore

/// A program with inputs `x0, x1, ...` of the given types, built by `body`.
func makeProgram(_ types: [TensorType], name: String = "k", _ body: (Builder, [Atom]) throws -> [Atom]) throws -> Program {
    let b = Builder()
    let ins = types.map { b.fresh($0) }
    let outs = try body(b, ins.map { .v($0) })
    return Program(name: name, params: ins.indices.map { ProgramParam(name: "x\($0)", tree: .leaf) }, inputs: ins,
                   eqns: b.take(), outputs: outs, outTree: outs.count == 1 ? .leaf : .tuple(outs.map { _ in .leaf }))
}

/// Deterministic pseudo-random doubles in [lo, hi).
func pseudoRandom(_ n: Int, seed: UInt64, lo: Double = -2, hi: Double = 2) -> [Double] {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return lo + (hi - lo) * Double(s >> 11) / Double(1 << 53)
    }
}

func close(_ a: [Double], _ b: [Double], rtol: Double = 1e-5, atol: Double = 1e-6) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || x == y || abs(x - y) <= atol + rtol * abs(y) }
}

/// Random inputs for `p` at `sizes` (bools alternate, i32 small integers).
func randomInputs(_ p: Program, _ sizes: [String: Int], seed: UInt64) -> [Tensor] {
    p.inputs.enumerated().map { k, v in
        let shape = v.type.concreteShape(sizes)!
        let n = shape.reduce(1, *)
        let xs = pseudoRandom(n, seed: seed &+ UInt64(k) &* 977)
        switch v.type.dtype {
        case .bool: return Tensor(.bool, shape: shape, doubles: xs.map { $0 > 0 ? 1 : 0 })
        case .i32: return Tensor(.i32, shape: shape, doubles: xs.map { ($0 * 10).rounded() })
        default: return Tensor(v.type.dtype, shape: shape, doubles: xs)
        }
    }
}

/// Compiles `p` and compares it with the reference interpreter at each of `sizeSets`.
func checkAgainstInterpreter(_ p: Program, _ sizeSets: [[String: Int]] = [[:]], rtol: Double = 1e-5, atol: Double = 1e-6,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let k = try compileKernel(p, name: p.name, optimize: false)
    for (i, sizes) in sizeSets.enumerated() {
        let ins = randomInputs(p, sizes, seed: UInt64(i + 11))
        let want = try evaluate(p, inputs: ins, sizes: sizes)
        let got = try k.run(inputs: ins, sizes: sizes)
        #expect(got.count == want.count, sourceLocation: sourceLocation)
        for (g, w) in zip(got, want) {
            #expect(g.shape == w.shape && g.dtype == w.dtype, "\(p.name) at \(sizes)", sourceLocation: sourceLocation)
            let ok = close(g.doubles, w.doubles, rtol: rtol, atol: atol)
            #expect(ok, "\(p.name) at \(sizes): \(g.doubles.prefix(8)) vs \(w.doubles.prefix(8))", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct CodegenTests {
    let f32 = DType.f32

    /// Runs a one-equation unary program on `xs` and compares with `ref` applied element-wise.
    func checkUnary(_ p: Primitive, _ t: DType, _ xs: [Double], _ ref: (Double) -> Double, rtol: Double = 1e-5) throws {
        let prog = try makeProgram([TensorType(t, [.sym("n")])]) { b, a in [try b.emit(p, [a[0]])] }
        let k = try compileKernel(prog, name: "k", optimize: false)
        let x = Tensor(t, shape: [xs.count], doubles: xs)
        let out = try k.run(inputs: [x], sizes: [:])[0]
        let want = Tensor(prog.outputs[0].type.dtype, shape: [xs.count], doubles: x.doubles.map(ref)).doubles
        #expect(close(out.doubles, want, rtol: rtol), "\(p.name) \(t): \(out.doubles) vs \(want)")
    }

    @Test func unaryPrimitives() throws {
        let xs = pseudoRandom(37, seed: 1) + [0, -0.0, 1, -1, 3.5]
        let pos = xs.map { abs($0) + 0.1 }
        for t in [DType.f32, .f64] {
            try checkUnary(.unary(.neg), t, xs) { -$0 }
            try checkUnary(.unary(.exp), t, xs) { Foundation.exp($0) }
            try checkUnary(.unary(.log), t, pos) { Foundation.log($0) }
            try checkUnary(.unary(.log1p), t, pos) { Foundation.log1p($0) }
            try checkUnary(.unary(.sqrt), t, pos) { Foundation.sqrt($0) }
            try checkUnary(.unary(.abs), t, xs) { Swift.abs($0) }
            try checkUnary(.unary(.sin), t, xs) { Foundation.sin($0) }
            try checkUnary(.unary(.cos), t, xs) { Foundation.cos($0) }
            try checkUnary(.unary(.tanh), t, xs) { Foundation.tanh($0) }
            try checkUnary(.unary(.logistic), t, xs) { 1 / (1 + Foundation.exp(-$0)) }
            try checkUnary(.unary(.sign), t, xs) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
            try checkUnary(.integerPow(3), t, xs) { $0 * $0 * $0 }
            try checkUnary(.integerPow(-2), t, pos) { 1 / ($0 * $0) }
            try checkUnary(.integerPow(0), t, xs) { _ in 1 }
            try checkUnary(.convert(.i32), t, xs.map { $0 * 1e9 } + [.nan, 1e20, -1e20]) { Double(Tensor.toInt32($0)) }
            try checkUnary(.convert(.bool), t, xs) { $0 != 0 ? 1 : 0 }
        }
        let ints: [Double] = [0, 1, -1, 7, -7, 2147483647, -2147483648, 12345]
        try checkUnary(.unary(.neg), .i32, ints) { Double(Int32(truncatingIfNeeded: -Int64($0 as Double))) }
        try checkUnary(.unary(.abs), .i32, ints) { Double(Int32(truncatingIfNeeded: Swift.abs(Int64($0)))) }
        try checkUnary(.unary(.sign), .i32, ints) { Double(($0 > 0 ? 1 : 0) - ($0 < 0 ? 1 : 0)) }
        try checkUnary(.unary(.not), .i32, ints) { Double(~Int32($0 as Double)) }
        try checkUnary(.integerPow(2), .i32, [3.0, -4, 0]) { $0 * $0 }
        try checkUnary(.convert(.f32), .i32, ints) { Double(Float($0)) }
        try checkUnary(.unary(.not), .bool, [0.0, 1, 1, 0]) { $0 == 0 ? 1 : 0 }
        try checkUnary(.convert(.f64), .bool, [0.0, 1]) { $0 }
    }

    @Test func nanPropagationOfMaxAndMin() throws {
        let prog = try makeProgram([TensorType(.f32, [.const(4)]), TensorType(.f32, [.const(4)])]) { b, a in
            [try b.emit(.binary(.max), a), try b.emit(.binary(.min), a)]
        }
        let x = Tensor(.f32, shape: [4], doubles: [.nan, 1, 2, -1])
        let y = Tensor(.f32, shape: [4], doubles: [0, .nan, 3, -2])
        let out = try compileKernel(prog, name: "mm", optimize: false).run(inputs: [x, y], sizes: [:])
        #expect(out[0].doubles[0].isNaN && out[0].doubles[1].isNaN && out[0].doubles[2] == 3 && out[0].doubles[3] == -1)
        #expect(out[1].doubles[0].isNaN && out[1].doubles[1].isNaN && out[1].doubles[2] == 2 && out[1].doubles[3] == -2)
    }

    @Test func binaryPrimitives() throws {
        let xs = pseudoRandom(23, seed: 2), ys = pseudoRandom(23, seed: 3)
        let refs: [(BinaryOp, (Double, Double) -> Double)] = [
            (.add, +), (.sub, -), (.mul, *), (.div, /), (.max, { Swift.max($0, $1) }), (.min, { Swift.min($0, $1) }),
            (.lt, { $0 < $1 ? 1 : 0 }), (.le, { $0 <= $1 ? 1 : 0 }), (.gt, { $0 > $1 ? 1 : 0 }),
            (.ge, { $0 >= $1 ? 1 : 0 }), (.eq, { $0 == $1 ? 1 : 0 }), (.ne, { $0 != $1 ? 1 : 0 }),
        ]
        for t in [DType.f32, .f64] {
            for (op, ref) in refs + [(.pow, { Foundation.pow(Swift.abs($0), $1) })] {
                let prog = try makeProgram([TensorType(t, [.const(23)]), TensorType(t, [.const(23)])]) { b, a in [try b.emit(.binary(op), a)] }
                let x = Tensor(t, shape: [23], doubles: op == .pow ? xs.map(Swift.abs) : xs), y = Tensor(t, shape: [23], doubles: ys)
                let out = try compileKernel(prog, name: "b", optimize: false).run(inputs: [x, y], sizes: [:])[0]
                let want = Tensor(prog.outputs[0].type.dtype, shape: [23], doubles: zip(x.doubles, y.doubles).map(ref)).doubles
                #expect(close(out.doubles, want), "\(op) \(t)")
            }
        }
        // i32: wrapping arithmetic, division by zero and INT_MIN / -1 do not trap.
        let a: [Double] = [7, -7, 2147483647, -2147483648, 5, -2147483648, 0]
        let c: [Double] = [2, 2, 1, -1, 0, 2, -3]
        let iref: [(BinaryOp, (Int32, Int32) -> Int32)] = [
            (.add, { $0 &+ $1 }), (.sub, { $0 &- $1 }), (.mul, { $0 &* $1 }),
            (.div, { $1 == 0 ? -1 : ($1 == -1 ? 0 &- $0 : $0 / $1) }),
            (.max, { Swift.max($0, $1) }), (.min, { Swift.min($0, $1) }), (.and, { $0 & $1 }), (.or, { $0 | $1 }),
            (.lt, { $0 < $1 ? 1 : 0 }), (.eq, { $0 == $1 ? 1 : 0 }),
        ]
        for (op, ref) in iref {
            let prog = try makeProgram([TensorType(.i32, [.const(7)]), TensorType(.i32, [.const(7)])]) { b, x in [try b.emit(.binary(op), x)] }
            let out = try compileKernel(prog, name: "i", optimize: false).run(inputs: [Tensor(.i32, shape: [7], doubles: a), Tensor(.i32, shape: [7], doubles: c)], sizes: [:])[0]
            let want = zip(a, c).map { Double(ref(Int32($0), Int32($1))) }
            #expect(out.doubles == want, "\(op) i32: \(out.doubles) vs \(want)")
        }
        for (op, ref) in [(BinaryOp.and, { (x: Bool, y: Bool) in x && y }), (.or, { $0 || $1 }), (.eq, { $0 == $1 }), (.ne, { $0 != $1 })] {
            let prog = try makeProgram([TensorType(.bool, [.const(4)]), TensorType(.bool, [.const(4)])]) { b, x in [try b.emit(.binary(op), x)] }
            let p = Tensor(shape: [4], storage: .bool([false, false, true, true])), q = Tensor(shape: [4], storage: .bool([false, true, false, true]))
            let out = try compileKernel(prog, name: "l", optimize: false).run(inputs: [p, q], sizes: [:])[0]
            #expect(out.storage == .bool([(false, false), (false, true), (true, false), (true, true)].map(ref)), "\(op) bool")
        }
    }

    @Test func selectAndLiterals() throws {
        let prog = try makeProgram([TensorType(.f32, [.sym("n")]), TensorType(.f32, [.sym("n")])]) { b, a in
            let c = try b.emit(.binary(.gt), [a[0], .lit(0.5, .f32)])
            let s = try b.emit(.select, [c, a[0], a[1]])
            return [try b.emit(.binary(.mul), [s, .lit(2, .f32)])]
        }
        let x = Tensor(.f32, shape: [5], doubles: [0, 1, 2, -1, 0.75]), y = Tensor(.f32, shape: [5], doubles: [10, 20, 30, 40, 50])
        let out = try compileKernel(prog, name: "sel", optimize: false).run(inputs: [x, y], sizes: [:])[0]
        #expect(out.doubles == [0, 40, 60, -2, 100])
    }

    /// A fused chain with a multi-use intermediate, a scalar input and symbolic sizes 0, 1, 7 and 10 000.
    @Test func fusedChainOverSymbolicSizes() throws {
        let prog = try makeProgram([TensorType(.f32, [.sym("n"), .const(3)]), TensorType(.f32)]) { b, a in
            let s = try b.emit(.broadcastInDim(shape: [.sym("n"), .const(3)], dims: []), [a[1]])
            let t = try b.emit(.unary(.tanh), [try b.emit(.binary(.mul), [a[0], s])])
            let u = try b.emit(.binary(.sub), [.lit(1, .f32), try b.emit(.binary(.mul), [t, t])])
            return [u, try b.emit(.reduceSum(axes: [1]), [t])]
        }
        let k = try compileKernel(prog, name: "chain", optimize: false)
        for n in [0, 1, 7, 10_000] {
            let xs = pseudoRandom(n * 3, seed: UInt64(n))
            let out = try k.run(inputs: [Tensor(.f32, shape: [n, 3], doubles: xs), Tensor(scalar: 0.7, .f32)], sizes: [:])
            let ts: [Double] = xs.map { (x: Double) -> Double in
                let prod: Float = Float(x) * Float(0.7)
                return Double(Float(Foundation.tanh(Double(prod))))
            }
            let sums: [Double] = (0..<n).map { (i: Int) -> Double in ts[3 * i] + ts[3 * i + 1] + ts[3 * i + 2] }
            #expect(out[0].shape == [n, 3] && close(out[0].doubles, ts.map { (t: Double) -> Double in 1 - t * t }))
            #expect(out[1].shape == [n] && close(out[1].doubles, sums))
        }
    }

    @Test func negativeSizesAreRejected() throws {
        let prog = try makeProgram([TensorType(.f32, [.sym("n")])]) { b, a in [try b.emit(.unary(.exp), a)] }
        let k = try compileKernel(prog, name: "neg", optimize: false)
        #expect(k.callRaw(sizes: [-1], inputs: [UnsafeRawPointer(bitPattern: 8)!], outputs: [UnsafeMutableRawPointer(bitPattern: 8)!], scratch: nil) != 0)
        #expect(k.callRaw(sizes: [Int64.max], inputs: [UnsafeRawPointer(bitPattern: 8)!], outputs: [UnsafeMutableRawPointer(bitPattern: 8)!], scratch: nil) != 0)
        #expect(k.scratchBytes(sizes: [-5]) == 0)
    }
}


extension CodegenTests {
    var sizes: [[String: Int]] { [["n": 0], ["n": 1], ["n": 7], ["n": 10_000]] }

    @Test func reductionsAgainstInterpreter() throws {
        for t in [DType.f32, .f64, .i32] {
            for prim in [Primitive.reduceSum(axes: [1]), .reduceMax(axes: [0]), .reduceMin(axes: [0, 2]), .reduceSum(axes: [0, 1, 2]),
                         .reduceMax(axes: [2]), .reduceSum(axes: [])] {
                let p = try makeProgram([TensorType(t, [.sym("n"), .const(3), .const(5)])], name: "red") { b, a in [try b.emit(prim, a)] }
                try checkAgainstInterpreter(p, [["n": 0], ["n": 1], ["n": 7], ["n": 1000]])
            }
        }
    }

    @Test func layoutPrimitivesAgainstInterpreter() throws {
        let x = TensorType(.f32, [.sym("n"), .const(4)])
        let progs: [(String, Primitive, [Atom])] = [
            ("transpose", .transpose([1, 0]), []),
            ("bcast", .broadcastInDim(shape: [.const(2), .sym("n"), .const(3), .const(4)], dims: [1, 3]), []),
            ("reshape", .reshape([.sym("n"), .const(2), .const(2)]), []),
            ("slice", .slice(start: [0, 1], limit: [.sym("n"), .const(4)], strides: [1, 2]), []),
            ("pad", .pad(low: [0, 2], high: [0, -1], interior: [0, 1]), [.lit(-3, .f32)]),
        ]
        for (name, prim, extra) in progs {
            let p = try makeProgram([x], name: name) { b, a in [try b.emit(.unary(.exp), [try b.emit(prim, a + extra)])] }
            try checkAgainstInterpreter(p, sizes)
        }
        let cat = try makeProgram([TensorType(.f32, [.sym("n"), .const(2)]), TensorType(.f32, [.sym("n"), .const(3)])], name: "cat") { b, a in
            [try b.emit(.unary(.neg), [try b.emit(.concatenate(axis: 1), a)])]
        }
        try checkAgainstInterpreter(cat, sizes)
        let iota = try makeProgram([TensorType(.f32, [.sym("n"), .const(3)])], name: "iota") { b, a in
            let i = try b.emit(.iota(.f32, shape: [.sym("n"), .const(3)], dimension: 0), [])
            let j = try b.emit(.iota(.i32, shape: [.sym("n"), .const(3)], dimension: 1), [])
            return [try b.emit(.binary(.add), [a[0], i]), j]
        }
        try checkAgainstInterpreter(iota, sizes)
        let flatReshape = try makeProgram([TensorType(.f32, [.const(6), .const(2)])], name: "rs") { b, a in
            let r = try b.emit(.reshape([.const(3), .const(4)]), [try b.emit(.unary(.sin), a)])
            return [try b.emit(.transpose([1, 0]), [r])]
        }
        try checkAgainstInterpreter(flatReshape)
    }

    @Test func dotGeneralShapes() throws {
        let n = Dim.sym("n")
        let cases: [(String, TensorType, TensorType, DotDims)] = [
            ("matvec", TensorType(.f32, [n, .const(5)]), TensorType(.f32, [.const(5)]), DotDims(lhsContract: [1], rhsContract: [0])),
            ("matmul", TensorType(.f32, [n, .const(5)]), TensorType(.f32, [.const(5), .const(3)]), DotDims(lhsContract: [1], rhsContract: [0])),
            ("bigmm", TensorType(.f32, [n, .const(64)]), TensorType(.f32, [.const(64), .const(96)]), DotDims(lhsContract: [1], rhsContract: [0])),
            ("tmatmul", TensorType(.f64, [.const(5), n]), TensorType(.f64, [n, .const(3)]), DotDims(lhsContract: [1], rhsContract: [0])),
            ("overbatch", TensorType(.f32, [n, .const(5)]), TensorType(.f32, [n, .const(3)]), DotDims(lhsContract: [0], rhsContract: [0])),
            ("batched", TensorType(.f32, [n, .const(4), .const(5)]), TensorType(.f32, [n, .const(5), .const(2)]),
             DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0])),
            ("bdot", TensorType(.f64, [n, .const(5)]), TensorType(.f64, [n, .const(5)]), DotDims(lhsContract: [1], rhsContract: [1], lhsBatch: [0], rhsBatch: [0])),
            ("twoK", TensorType(.i32, [.const(3), .const(4), .const(2)]), TensorType(.i32, [.const(4), .const(2)]), DotDims(lhsContract: [1, 2], rhsContract: [0, 1])),
            ("outer", TensorType(.f32, [n]), TensorType(.f32, [.const(3)]), DotDims(lhsContract: [], rhsContract: [])),
            ("bouter", TensorType(.f64, [n, .const(5)]), TensorType(.f64, [n, .const(3)]), DotDims(lhsContract: [], rhsContract: [], lhsBatch: [0], rhsBatch: [0])),
            ("vecmat", TensorType(.f32, [.const(64)]), TensorType(.f32, [.const(64), n]), DotDims(lhsContract: [0], rhsContract: [0])),
        ]
        for (name, l, r, d) in cases {
            let p = try makeProgram([l, r], name: name) { b, a in [try b.emit(.dotGeneral(d), a)] }
            try checkAgainstInterpreter(p, [["n": 0], ["n": 1], ["n": 7], ["n": 300]], rtol: 1e-4, atol: 1e-5)
        }
        // A non-buffer operand is materialized first.
        let p = try makeProgram([TensorType(.f32, [n, .const(5)]), TensorType(.f32, [.const(5), .const(3)])], name: "tanhmm") { b, a in
            [try b.emit(.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), [try b.emit(.unary(.tanh), [a[0]]), a[1]])]
        }
        try checkAgainstInterpreter(p, sizes)
    }

    /// reduce_sum over (1, 2) of an outer product broadcast to [n, 512, 512]: the product is fused into the
    /// reduction, so scratch stays proportional to the inputs, not n × 512 × 512.
    @Test func largeIntermediateIsNotMaterialized() throws {
        let n = Dim.sym("n"), k = Dim.const(512)
        let p = try makeProgram([TensorType(.f32, [n, k]), TensorType(.f32, [n, k])], name: "outer") { b, a in
            let x = try b.emit(.broadcastInDim(shape: [n, k, k], dims: [0, 1]), [a[0]])
            let y = try b.emit(.broadcastInDim(shape: [n, k, k], dims: [0, 2]), [try b.emit(.unary(.tanh), [a[1]])])
            return [try b.emit(.reduceSum(axes: [1, 2]), [try b.emit(.binary(.mul), [x, y])])]
        }
        let kernel = try compileKernel(p, name: "outer", optimize: false)
        #expect(kernel.scratchBytes(sizes: [100]) <= 100 * 512 * 4 + 64)
        try checkAgainstInterpreter(p, [["n": 0], ["n": 3]], rtol: 1e-4, atol: 1e-4)
    }

    /// A GEMM and transcendental chains long enough to be split between cores (ax_parallel_for) give the
    /// interpreter's values, and each example's result is bit-identical whichever batch it was in.
    @Test func splitLoopsMatchInterpreterAndAreBatchIndependent() throws {
        let n = Dim.sym("n")
        let p = try makeProgram([TensorType(.f32, [n, .const(5)]), TensorType(.f32, [.const(5), .const(3)]), TensorType(.f32, [.const(3)])], name: "neuron") { b, a in
            let d = try b.emit(.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), [a[0], a[1]])
            let bias = try b.emit(.broadcastInDim(shape: [n, .const(3)], dims: [1]), [a[2]])
            let t = try b.emit(.unary(.tanh), [try b.emit(.binary(.add), [d, bias])])
            return [try b.emit(.reduceSum(axes: [1]), [t]), try b.emit(.unary(.sin), [t])]
        }
        let big = 100_000
        try checkAgainstInterpreter(p, [["n": big]])
        let k = try compileKernel(p, name: "neuron", optimize: false)
        #expect(k.source.contains("ax_parallel_for("), "the test must exercise split loops")
        let whole = try k.run(inputs: randomInputs(p, ["n": big], seed: 5), sizes: [:])
        let few = try k.run(inputs: randomInputs(p, ["n": 7], seed: 5), sizes: [:])  // the same first 7 examples
        #expect(Array(whole[0].doubles.prefix(7)) == few[0].doubles)
        #expect(Array(whole[1].doubles.prefix(21)) == few[1].doubles)
    }

    /// Sums over the same axes of one shared chain run as one sibling loop (the chain is never written out), and
    /// a value reading the first sum is still computed after it.
    @Test func siblingSumsShareOneLoop() throws {
        let n = Dim.sym("n")
        let p = try makeProgram([TensorType(.f32, [n, .const(100)])], name: "sib") { b, a in
            let e = try b.emit(.unary(.exp), [a[0]])
            let s1 = try b.emit(.reduceSum(axes: [1]), [e])
            let after = try b.emit(.binary(.mul), [s1, s1])
            let s2 = try b.emit(.reduceSum(axes: [1]), [try b.emit(.binary(.mul), [e, a[0]])])
            return [after, s2]
        }
        let k = try compileKernel(p, name: "sib", optimize: false)
        let groups = k.graph.nests.filter { if case .reduceSiblings(let es) = $0 { return es.count == 2 }; return false }
        #expect(groups.count == 1)
        #expect(k.graph.scratch.allSatisfy { $0.type.rank < 2 }, "the shared exp is not materialized")
        try checkAgainstInterpreter(p, [["n": 0], ["n": 3], ["n": 1000]])
    }

    /// A sum over a whole long array is split into chunks fixed by its length (summed by the cores, then added
    /// in chunk order): it matches the interpreter and repeats bit for bit.
    @Test func chunkedSumsMatchInterpreterAndRepeat() throws {
        let n = Dim.sym("n")
        let p = try makeProgram([TensorType(.f32, [n]), TensorType(.f32, [n])], name: "dot") { b, a in
            let prod = try b.emit(.binary(.mul), [a[0], a[1]])
            return [try b.emit(.reduceSum(axes: [0]), [prod]), try b.emit(.reduceSum(axes: [0]), [a[0]])]
        }
        try checkAgainstInterpreter(p, [["n": 0], ["n": 5], ["n": 300_001]])
        let k = try compileKernel(p, name: "dot", optimize: false)
        #expect(k.source.contains("ax_parallel_for("), "the test must exercise chunked sums")
        let ins = randomInputs(p, ["n": 300_001], seed: 9)
        let first = try k.run(inputs: ins, sizes: [:]), again = try k.run(inputs: ins, sizes: [:])
        #expect(first.map(\.doubles) == again.map(\.doubles))
    }

    /// Selects run as tiles: comparisons write bool tiles, a bool input is read as one, and a scalar predicate
    /// is hoisted (relu and leaky relu chains, f32 and f64).
    @Test func selectsAndComparisonsRunAsTiles() throws {
        let n = Dim.sym("n")
        for t in [DType.f32, .f64] {
            let p = try makeProgram([TensorType(t, [n]), TensorType(.bool, [n]), TensorType(t, [])], name: "sel") { b, a in
                let c = try b.emit(.broadcastInDim(shape: [n], dims: []), [a[2]])
                let pos = try b.emit(.binary(.gt), [a[0], c])
                let leaky = try b.emit(.select, [pos, try b.emit(.binary(.mul), [a[0], .lit(0.1, t)]), try b.emit(.unary(.tanh), [a[0]])])
                let masked = try b.emit(.select, [a[1], leaky, try b.emit(.unary(.neg), [leaky])])
                let same = try b.emit(.binary(.le), [a[0], a[0]])  // false only for NaN
                return [try b.emit(.select, [same, c, masked])]
            }
            let k = try compileKernel(p, name: "sel", optimize: false)
            #expect(k.source.contains("ax_vselect_\(t)(") && k.source.contains("ax_vgt_\(t)("), "the test must exercise select tiles")
            try checkAgainstInterpreter(p, [["n": 0], ["n": 1], ["n": 300], ["n": 5000]])
        }
    }

    /// Values read by several consumers, an output that is also an input, a literal output and a repeated output.
    @Test func outputsAndSharing() throws {
        let p = try makeProgram([TensorType(.f32, [.sym("n")]), TensorType(.f32, [.sym("n")])], name: "share") { b, a in
            let e = try b.emit(.unary(.exp), [a[0]])
            let s = try b.emit(.reduceSum(axes: [0]), [e])
            let sb = try b.emit(.broadcastInDim(shape: [.sym("n")], dims: []), [s])
            let sm = try b.emit(.binary(.div), [e, sb])
            return [sm, a[1], .lit(2.5, .f32), sm, s]
        }
        try checkAgainstInterpreter(p, sizes)
    }
}

/// Runs `tool args`, returning its exit status and combined output (nil when the tool is absent).
func runTool(_ tool: String, _ args: [String]) throws -> (Int32, String)? {
    guard let path = ["/usr/bin/", "/usr/local/bin/", "/opt/swift/usr/bin/"].map({ $0 + tool }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let proc = Process()
    proc.executableURL = URL(fileURLWithPath: path)
    proc.arguments = args
    let pipe = Pipe()
    proc.standardOutput = pipe; proc.standardError = pipe
    try proc.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    proc.waitUntilExit()
    return (proc.terminationStatus, String(decoding: data, as: UTF8.self))
}

extension CodegenTests {
    /// Standalone C compiles warning-free with gcc and clang (-std=c99 -Wall -Wextra -pedantic -Werror), and a
    /// C driver linked against it computes the values the in-process kernel computes.
    @Test func standaloneCompilesAndRuns() throws {
        let n = Dim.sym("n")
        let mlp = try makeProgram([TensorType(.f32, [n, .const(64)]), TensorType(.f32, [.const(64), .const(8)]), TensorType(.f32, [.const(8)])], name: "mlp") { b, a in
            let h = try b.emit(.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), [a[0], a[1]])
            let bb = try b.emit(.broadcastInDim(shape: [n, .const(8)], dims: [1]), [a[2]])
            let t = try b.emit(.unary(.tanh), [try b.emit(.binary(.add), [h, bb])])
            return [try b.emit(.reduceSum(axes: [1]), [t]), try b.emit(.reduceMax(axes: [0, 1]), [t])]
        }
        let misc = try makeProgram([TensorType(.i32, [n]), TensorType(.bool, [n]), TensorType(.f64, [.const(3)])], name: "misc") { b, a in
            let q = try b.emit(.binary(.div), [a[0], .lit(0, .i32)])
            let c = try b.emit(.convert(.f64), [try b.emit(.select, [a[1], q, a[0]])])
            let pd = try b.emit(.pad(low: [1], high: [1], interior: [1]), [a[2], .lit(.infinity, .f64)])
            return [c, try b.emit(.reduceMin(axes: [0]), [pd]), try b.emit(.binary(.max), [a[2], .lit(.nan, .f64)])]
        }
        let (c, h) = try emitStandalone(entries: [("mlp", try lower(mlp, name: "mlp", to: .fused, optimize: false).graph!, "jit(mlp)"),
                                                 ("misc", try lower(misc, name: "misc", to: .fused, optimize: false).graph!, "misc")], sourceHash: "sha256:test", headerName: "kern.h")
        #expect(h.contains("int mlp(int64_t n, const float *x0, const float *x1, const float *x2, float *out0, float *out1, void *scratch);"))
        #expect(h.contains("size_t mlp_scratch_bytes(int64_t n);") && h.contains("jit(mlp)") && h.contains("sha256:test"))
        #expect(c.contains("static void ax_gemm_f32"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-codegen-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try c.write(to: dir.appendingPathComponent("kern.c"), atomically: true, encoding: .utf8)
        try h.write(to: dir.appendingPathComponent("kern.h"), atomically: true, encoding: .utf8)

        // Expected values from the in-process kernel on the driver's inputs.
        let nn = 5
        let x = Tensor(.f32, shape: [nn, 64], doubles: (0..<nn * 64).map { Double($0 % 7) * 0.01 - 0.02 })
        let w = Tensor(.f32, shape: [64, 8], doubles: (0..<512).map { Double($0 % 5) * 0.02 - 0.04 })
        let bias = Tensor(.f32, shape: [8], doubles: (0..<8).map { Double($0) * 0.1 })
        let want = try compileKernel(mlp, name: "mlp", optimize: false).run(inputs: [x, w, bias], sizes: [:])
        let driver = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <math.h>
            #include "kern.h"
            int main(void) {
                float x[5 * 64], w[64 * 8], b[8], o0[5], o1[1];
                int32_t xi[3] = {4, -9, 7}; uint8_t p[3] = {1, 0, 1};
                double d[3] = {1.5, -2.0, 0.5}, c[3], m[1], mx[3];
                int i;
                void *s;
                for (i = 0; i < 5 * 64; i++) x[i] = (float)((i % 7) * 0.01 - 0.02);
                for (i = 0; i < 64 * 8; i++) w[i] = (float)((i % 5) * 0.02 - 0.04);
                for (i = 0; i < 8; i++) b[i] = (float)(i * 0.1);
                if (mlp(-1, x, w, b, o0, o1, NULL) == 0) return 10;
                s = malloc(mlp_scratch_bytes(5) + 1);
                if (mlp(5, x, w, b, o0, o1, s) != 0) return 11;
                free(s);
                if (fabs(o0[0] - (\(want[0].doubles[0]))) > 1e-5 || fabs(o0[4] - (\(want[0].doubles[4]))) > 1e-5) return 12;
                if (fabs(o1[0] - (\(want[1].doubles[0]))) > 1e-5) return 13;
                if (misc(3, xi, p, d, c, m, mx, NULL) != 0 || misc_scratch_bytes(3) != 0) return 14;
                if (c[0] != 4 || c[1] != -1 || c[2] != 7 || m[0] != -2.0 || !isnan(mx[0])) return 15;
                printf("ok\\n");
                return 0;
            }
            """
        try driver.write(to: dir.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let flags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]
        var compiled = 0
        for cc in ["gcc", "clang"] {
            let obj = dir.appendingPathComponent("kern-\(cc).o").path
            guard let (status, out) = try runTool(cc, flags + ["-c", dir.appendingPathComponent("kern.c").path, "-o", obj]) else { continue }
            #expect(status == 0, "\(cc): \(out)")
            let exe = dir.appendingPathComponent("main-\(cc)").path
            let (ls, lout) = try runTool(cc, ["-std=c99", "-I", dir.path, dir.appendingPathComponent("main.c").path, obj, "-o", exe, "-lm"])!
            #expect(ls == 0, "\(cc) link: \(lout)")
            if ls == 0, let (rs, rout) = try runTool("env", [exe]) {
                #expect(rs == 0 && rout.contains("ok"), "\(cc) driver exit \(rs): \(rout)")
            }
            compiled += 1
        }
        #expect(compiled >= 1)
    }

    /// axruntime.c and axruntime.h are exactly the runtime table's text, so the -O3 runtime, the interpreter's math and
    /// standalone C's static twins are one source. `UPDATE_GOLDEN=1 swift test --filter runtimeSource` rewrites both.
    @Test func runtimeSourceIsGeneratedFromTheTable() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/AxRuntime")
        for (file, want) in [("axruntime.c", runtimeSourceFile()), ("include/axruntime.h", runtimeHeaderFile())] {
            let url = dir.appendingPathComponent(file)
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" { try want.write(to: url, atomically: true, encoding: .utf8) }
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text == want, "Sources/AxRuntime/\(file) is stale: run UPDATE_GOLDEN=1 swift test --filter runtimeSource")
        }
    }

    /// The records and the runtime agree: every tile a record plans with exists in the runtime table and is
    /// registered for kernels, so a record claiming a tile the runtime lacks fails here, not in a user's kernel.
    @Test func recordsNameExistingRuntimeTiles() throws {
        let exported = Set(runtimeFunctions.filter { !$0.proto.isEmpty }.map(\.name))
        let x = Var(id: 0, type: TensorType(.f32, [.const(4)])), out = Var(id: 1, type: TensorType(.f32, [.const(4)]))
        for t in [DType.f32, .f64] {
            for op in UnaryOp.allCases where UnaryRules(op: op).tileable(Eqn(.unary(op), [.v(x)], out, loc: .unknown), t) {
                #expect(exported.contains(tileName(op.rawValue, t)), "\(op) on \(t)")
                #expect((try? runtimeSymbol(tileName(op.rawValue, t))) != nil, "\(op) on \(t) is not registered")
            }
            for op in BinaryOp.allCases where BinaryRules(op: op).tileable(Eqn(.binary(op), [.v(x), .v(x)], out, loc: .unknown), t) {
                #expect(exported.contains(tileName(op.rawValue, t)), "\(op) on \(t)")
                #expect((try? runtimeSymbol(tileName(op.rawValue, t))) != nil, "\(op) on \(t) is not registered")
            }
            for name in ["mul", "div", "select"] { #expect(exported.contains(tileName(name, t))) }
            #expect(exported.contains(gemmName(t)))
        }
        // Every unary op evaluates on each dtype its shape rule accepts (the interpreter reaches a runtime tile or its
        // i32/bool rule), and rejects the others with a diagnostic, never a crash.
        for op in UnaryOp.allCases {
            for t in DType.allCases {
                let arg = Tensor(shape: [3], storage: t == .f32 ? .f32([0.5, -1, 2]) : t == .f64 ? .f64([0.5, -1, 2])
                                 : t == .i32 ? .i32([1, -2, 3]) : .bool([true, false, true]))
                let accepted = (try? UnaryRules(op: op).outputType([TensorType(t, [.const(3)])], literal: [false])) != nil
                do {
                    let r = try evalPrimitive(.unary(op), [arg], sizes: [:])
                    #expect(accepted && r.count == 3, "\(op) on \(t)")
                } catch is Diagnostic {
                    #expect(!accepted, "\(op) on \(t) was accepted by the shape rule but not evaluated")
                }
            }
        }
    }
}

extension CodegenTests {
    /// Every entry of every sample (vmap, grad and their compositions) compiled and compared with the interpreter,
    /// for batch sizes 0, 1, 7 and large.
    @Test func samplesAgainstInterpreter() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Samples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".ax") }.sorted()
        #expect(!files.isEmpty)
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            let module = try parseModule(SourceFile(path: f, text: text))
            for entry in try elaborateAll(module) where entry.isRunnable {
                let p = try lower(entry, to: .optimized).optimized
                // Batch sizes 0, 1, 7 and large: as many examples as fit ~4M interpreter operations.
                let perExample = max(1, interpreterWork(p, 2) - interpreterWork(p, 1))
                var large = min(2_000, max(12, 4_000_000 / perExample))
                // Work that grows faster than the batch (a Hessian under vmap is n1 × n × n): halve until it fits.
                while large > 12 && interpreterWork(p, large) > 16_000_000 { large /= 2 }
                // A recurrence (Samples/rnn.ax: tanh of random 16×16 weights) is chaotic: the rounding differences of
                // eager and jit dot products (both within SPEC §5) grow with the trip count, so loops stay short here.
                if p.eqns.contains(where: { $0.prim.loopSpec != nil }) { large = 12 }
                let sets = [0, 1, 7, large].map { k in Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, k) }) }
                try checkAgainstInterpreter(p, p.sizeVars.isEmpty ? [[:]] : sets, rtol: 1e-4, atol: 1e-5)
            }
        }
    }
}

/// Elements computed by `p` with every size variable `k` (a contraction counts its multiply-adds).
func interpreterWork(_ p: Program, _ k: Int) -> Int {
    let sizes = Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, k) })
    return p.eqns.map { e -> Int in
        let out = e.out.type.elementCount(sizes) ?? 0
        guard case .dotGeneral(let d) = e.prim, let lhs = e.inputs.first?.type.concreteShape(sizes) else { return out }
        return out * d.lhsContract.map { lhs[$0] }.reduce(1, *)
    }.reduce(0, +)
}

extension CodegenTests {
    /// A small `x @ W` (k ≤ 32, ≤ 16 columns) read by a tiled map or by short row sums is computed in that loop
    /// (tiles of whole rows, or the scalar C when a row-aligned broadcast keeps the loop off tiles), with no kernel or
    /// scratch buffer of its own; under a slice, a column sum, a sum of everything or as an output it keeps its kernel.
    /// Either way the bits are the interpreter's: sizes cover tile tails, one row, and loops split between cores.
    @Test(arguments: ["neuron", "one_column", "largest_f64", "row_shift", "sliced", "total", "column_sum", "output_too"])
    func smallContractionFusesIntoItsConsumer(_ name: String) throws {
        let src = """
            def neuron(x: f32[n, 5], W: f32[5, 3], b: f32[3]) -> f32[n]:
                return jnp.sum(jnp.tanh(x @ W + b), axis=1)

            def one_column(x: f32[n, 4], W: f32[4, 1]) -> f32[n, 1]:
                return jnp.exp(x @ W) - 1.0

            def largest_f64(x: f64[n, 32], W: f64[32, 16]) -> f64[n, 16]:
                return jnp.sin(x @ W) * 2.0

            def sliced(x: f32[n, 5], W: f32[5, 3]) -> f32[n, 2]:
                return (x @ W)[:, 1:] * 2.0

            def total(x: f32[n, 2], W: f32[2, 7]) -> f32:
                return jnp.sum(jnp.square(x @ W))

            def row_shift(x: f32[n, 5], W: f32[5, 3], c: f32[n]) -> f32[n, 3]:
                return jnp.exp(x @ W + c[:, None])

            def column_sum(x: f32[n, 5], W: f32[5, 3]) -> f32[3]:
                return jnp.sum(jnp.tanh(x @ W), axis=0)

            def output_too(x: f32[n, 5], W: f32[5, 3]) -> (f32[n, 3], f32[n]):
                y = x @ W
                return y, jnp.sum(y * y, axis=1)
            """
        let s = try CompilerSession(file: SourceFile(path: "small.ax", text: src))
        let lowered = try s.lower(name, to: .kernel)
        let g = try #require(lowered.graph)
        let kernels = g.nests.filter { if case .kernel = $0 { return true }; return false }.count
        let inlined = ["neuron", "one_column", "largest_f64", "row_shift"].contains(name)
        #expect(kernels == (inlined ? 0 : 1), "\(name): \(kernels) contraction kernels")
        if inlined { #expect(g.scratch.isEmpty, "\(name): scratch \(g.scratch.map(\.type))") }
        if name == "row_shift" { #expect(lowered.c!.contains("fmaf(x["), "row_shift: the scalar sum") }
        if name == "neuron" { #expect(lowered.c!.contains("ax_vmatmul_f32("), "neuron: the tile call") }
        for n in [1, 7, 100, 40_003] {
            let (inputs, sizes) = try bindInputs(lowered.optimized, args: [:], sizes: ["n": n], seed: UInt64(n))
            let want = try evaluate(lowered.optimized, inputs: inputs, sizes: sizes)
            let got = try lowered.kernel!.run(inputs: inputs, sizes: sizes)
            for (k, (a, b)) in zip(got, want).enumerated() { expectIdentical(a, b, "\(name) n=\(n) out\(k)") }
        }
    }
}
