// vmap tests: every primitive's batching rule against stacking per-example results of the reference
// interpreter (f64), plus nested vmap, out_axes, axis_size, errors, and the neuron golden (Samples/neuron.ax).
import Foundation
import Testing
@testable import AxCore

// MARK: - Helpers

/// A deterministic random source (SplitMix64).
private struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }
}

/// Random values of `dtype` and `shape`; floats are in [0.5, 2] when `positive`, else in [-2, 2].
private func random(_ dtype: DType, _ shape: [Int], _ rng: inout SplitMix, positive: Bool) -> Tensor {
    let n = shape.reduce(1, *)
    let xs: [Double] = (0..<n).map { _ in
        switch dtype {
        case .f32, .f64: return positive ? rng.uniform(0.5, 2) : rng.uniform(-2, 2)
        case .i32: return Double(Int(rng.next() % 11) - 5)
        case .bool: return Double(rng.next() % 2)
        }
    }
    return Tensor(dtype, shape: shape, doubles: xs)
}

/// Element `index` of `t` along `axis` (one example of a batched array).
private func take(_ t: Tensor, axis: Int, index: Int) -> Tensor {
    let outer = t.shape[..<axis].reduce(1, *), n = t.shape[axis], inner = t.shape[(axis + 1)...].reduce(1, *)
    let xs = t.doubles
    var out: [Double] = []
    for o in 0..<outer { out += xs[((o * n + index) * inner)..<((o * n + index + 1) * inner)] }
    var shape = t.shape
    shape.remove(at: axis)
    return Tensor(t.dtype, shape: shape, doubles: out)
}

/// Stacks equally shaped tensors along a new `axis`.
private func stack(_ ts: [Tensor], axis: Int) -> Tensor {
    let s = ts[0].shape
    let outer = s[..<axis].reduce(1, *), inner = s[axis...].reduce(1, *)
    let xs = ts.map(\.doubles)
    var out: [Double] = []
    for o in 0..<outer { for x in xs { out += x[(o * inner)..<((o + 1) * inner)] } }
    var shape = s
    shape.insert(ts.count, at: axis)
    return Tensor(ts[0].dtype, shape: shape, doubles: out)
}

/// True when `a` and `b` have the same dtype and shape and agree to a tight tolerance (NaNs match NaNs).
private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-12) -> Bool {
    guard a.dtype == b.dtype, a.shape == b.shape else { return false }
    return zip(a.doubles, b.doubles).allSatisfy { x, y in
        (x.isNaN && y.isNaN) || x == y || abs(x - y) <= tolerance * (1 + abs(y))
    }
}

/// A program with inputs `x0, x1, ...` of the given types and the outputs `body` returns.
private func program(_ name: String, _ ins: [TensorType], _ body: (Builder, [Atom]) throws -> [Atom]) throws -> Program {
    let b = Builder()
    let vars = ins.map { b.fresh($0) }
    let outs = try body(b, vars.map { .v($0) })
    return Program(name: name, params: ins.indices.map { ProgramParam(name: "x\($0)", tree: .leaf) }, inputs: vars,
                   eqns: b.take(), outputs: outs, outTree: outs.count == 1 ? .leaf : .tuple(outs.map { _ in .leaf }))
}

/// Normalizes an axis of a batched value of per-example rank `rank`.
private func normalize(_ axis: Int, rank: Int) -> Int { axis < 0 ? axis + rank + 1 : axis }

/// Batches `p` and checks it: `verify()` passes, and evaluating it on random batched inputs equals evaluating
/// `p` on each example and stacking along the out axes. `sizes` binds `p`'s own size variables.
/// Returns the batched program.
@discardableResult
private func checkVmap(_ p: Program, inAxes: [Int?], outAxes: [Int?], axisSize: Int? = nil, sizeName: String = "n",
                       sizes: [String: Int] = [:], batch: Int = 3, positive: Bool = false, seed: UInt64 = 1,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Program {
    let bp = try vmap(p, inAxes: inAxes, outAxes: outAxes, axisSize: axisSize, sizeName: sizeName)
    try compareWithLoop(bp, p, inAxes: inAxes, outAxes: outAxes, axisSize: axisSize, sizes: sizes,
                        batch: batch, positive: positive, seed: seed, sourceLocation: sourceLocation)
    return bp
}

/// Checks a batched program `bp` against its per-example program `p`: `verify()` passes, and evaluating `bp`
/// on random batched inputs equals evaluating `p` on each example and stacking along the out axes.
private func compareWithLoop(_ bp: Program, _ p: Program, inAxes: [Int?], outAxes: [Int?], axisSize: Int? = nil,
                             sizes: [String: Int] = [:], batch: Int = 3, positive: Bool = false,
                             seed: UInt64 = 1, tolerance: Double = 1e-12,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    try bp.verify()
    var rng = SplitMix(state: seed)
    let batch = axisSize ?? batch
    let inputs = try zip(p.inputs, inAxes).map { v, axis -> Tensor in
        guard var shape = v.type.concreteShape(sizes) else { throw InternalError("test: unbound size in \(v.type)") }
        if let axis { shape.insert(batch, at: normalize(axis, rank: shape.count)) }
        return random(v.type.dtype, shape, &rng, positive: positive)
    }
    // The batched program's sizes (its own and the mapped one) are bound by its inputs.
    let got = try evaluate(bp, inputs: inputs, sizes: [:])
    let examples = try (0..<batch).map { k in
        try evaluate(p, inputs: zip(inputs, inAxes).map { t, axis in
            axis.map { take(t, axis: normalize($0, rank: t.shape.count - 1), index: k) } ?? t
        }, sizes: sizes)
    }
    #expect(got.count == p.outputs.count, sourceLocation: sourceLocation)
    for (i, g) in got.enumerated() {
        let expected: Tensor
        if let axis = outAxes[i] {
            expected = stack(examples.map { $0[i] }, axis: normalize(axis, rank: examples[0][i].shape.count))
        } else {
            expected = examples[0][i]
        }
        #expect(close(g, expected, tolerance), "\(p.name) in_axes=\(inAxes) out_axes=\(outAxes) output \(i):\n\(bp.text)",
                sourceLocation: sourceLocation)
    }
}

/// Every in_axes combination drawn from {0, 1, -1, None} (1 only where the per-example rank allows),
/// except all-None.
private func axisCombinations(_ ranks: [Int]) -> [[Int?]] {
    var combos: [[Int?]] = [[]]
    for r in ranks {
        let choices: [Int?] = r >= 1 ? [0, 1, -1, nil] : [0, -1, nil]
        combos = combos.flatMap { c in choices.map { c + [$0] } }
    }
    return combos.filter { $0.contains { $0 != nil } }
}

// MARK: - The primitive table

/// One row of the primitive table: a small program exercising one primitive.
struct PrimCase: Sendable, CustomStringConvertible {
    var description: String
    var positive = false
    var build: @Sendable () throws -> Program
}

private let f = TensorType(.f64, [.const(2), .const(3)])
private func f64(_ dims: Int...) -> TensorType { TensorType(.f64, dims.map { .const($0) }) }
private func bool(_ dims: Int...) -> TensorType { TensorType(.bool, dims.map { .const($0) }) }

/// A case applying `prim` to operands of the given types.
private func one(_ name: String, _ prim: Primitive, _ ins: [TensorType], positive: Bool = false) -> PrimCase {
    PrimCase(description: name, positive: positive) {
        try program(name, ins) { b, xs in [try b.emit(prim, xs)] }
    }
}

let primitiveCases: [PrimCase] = {
    var cases: [PrimCase] = []
    for op in UnaryOp.allCases {
        let t = op == .not ? bool(2, 3) : f64(2, 3)
        cases.append(one(op.rawValue, .unary(op), [t], positive: [.log, .log1p, .sqrt].contains(op)))
    }
    cases.append(one("neg i32", .unary(.neg), [TensorType(.i32, [.const(4)])]))
    for op in BinaryOp.allCases {
        let t = op.isLogical ? bool(2, 3) : f64(2, 3)
        cases.append(one(op.rawValue, .binary(op), [t, t], positive: op == .pow || op == .div))
    }
    cases.append(one("mul scalars", .binary(.mul), [f64(), f64()]))
    cases.append(PrimCase(description: "add literal") {
        try program("add literal", [f64(2, 3)]) { b, xs in [try b.emit(.binary(.add), [xs[0], .lit(2, .f64)])] }
    })
    cases.append(PrimCase(description: "sub literal first") {
        try program("sub literal first", [f64(4)]) { b, xs in [try b.emit(.binary(.sub), [.lit(1, .f64), xs[0]])] }
    })
    cases.append(one("integer_pow 3", .integerPow(3), [f64(2, 3)]))
    cases.append(one("integer_pow -2", .integerPow(-2), [f64(2, 3)], positive: true))
    cases.append(one("convert i32", .convert(.i32), [f64(2, 3)]))
    cases.append(one("convert f32", .convert(.f32), [f64(2, 3)]))
    cases.append(one("select", .select, [bool(2, 3), f64(2, 3), f64(2, 3)]))
    cases.append(one("select scalars", .select, [bool(), f64(), f64()]))
    cases.append(PrimCase(description: "select literal predicate") {
        try program("select literal predicate", [f64(2, 3), f64(2, 3)]) { b, xs in
            [try b.emit(.select, [.lit(1, .bool), xs[0], xs[1]])]
        }
    })
    for axes in [[0], [1], [0, 2], [0, 1, 2]] {
        cases.append(one("reduce_sum \(axes)", .reduceSum(axes: axes), [f64(2, 3, 4)]))
        cases.append(one("reduce_max \(axes)", .reduceMax(axes: axes), [f64(2, 3, 4)]))
        cases.append(one("reduce_min \(axes)", .reduceMin(axes: axes), [f64(2, 3, 4)]))
        cases.append(one("reduce_prod \(axes)", .reduceProd(axes: axes), [f64(2, 3, 4)]))
    }
    cases.append(one("broadcast_in_dim [3]->[2,3]", .broadcastInDim(shape: [.const(2), .const(3)], dims: [1]), [f64(3)]))
    cases.append(one("broadcast_in_dim [3]->[3,2]", .broadcastInDim(shape: [.const(3), .const(2)], dims: [0]), [f64(3)]))
    cases.append(one("broadcast_in_dim [2,1]->[2,5,4]",
                     .broadcastInDim(shape: [.const(2), .const(5), .const(4)], dims: [0, 2]), [f64(2, 1)]))
    cases.append(one("broadcast_in_dim []->[2,3]", .broadcastInDim(shape: [.const(2), .const(3)], dims: []), [f64()]))
    cases.append(one("reshape [2,3]->[3,2]", .reshape([.const(3), .const(2)]), [f64(2, 3)]))
    cases.append(one("reshape [2,3]->[6]", .reshape([.const(6)]), [f64(2, 3)]))
    cases.append(one("reshape []->[1,1]", .reshape([.const(1), .const(1)]), [f64()]))
    cases.append(one("transpose (2,0,1)", .transpose([2, 0, 1]), [f64(2, 3, 4)]))
    cases.append(one("transpose (1,0)", .transpose([1, 0]), [f64(2, 3)]))
    cases.append(one("slice", .slice(start: [1, 0], limit: [.const(3), .const(5)], strides: [1, 2]), [f64(4, 5)]))
    cases.append(one("pad", .pad(low: [1, 0], high: [0, 2], interior: [1, 0]), [f64(3, 2), f64()]))
    cases.append(PrimCase(description: "pad literal value") {
        try program("pad literal value", [f64(3)]) { b, xs in
            [try b.emit(.pad(low: [2], high: [1], interior: [2]), [xs[0], .lit(-1, .f64)])]
        }
    })
    cases.append(one("concatenate axis 0", .concatenate(axis: 0), [f64(2, 3), f64(1, 3)]))
    cases.append(one("concatenate axis 1", .concatenate(axis: 1), [f64(2, 3), f64(2, 1), f64(2, 2)]))
    cases.append(one("dot_general vecmat", .dotGeneral(DotDims(lhsContract: [0], rhsContract: [0])), [f64(5), f64(5, 3)]))
    cases.append(one("dot_general matmul", .dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), [f64(2, 3), f64(3, 4)]))
    cases.append(one("dot_general contract lhs 0", .dotGeneral(DotDims(lhsContract: [0], rhsContract: [1])),
                     [f64(3, 2), f64(4, 3)]))
    cases.append(one("dot_general outer", .dotGeneral(DotDims(lhsContract: [], rhsContract: [])), [f64(2), f64(3)]))
    cases.append(one("dot_general batched", .dotGeneral(DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0])),
                     [f64(2, 3, 4), f64(2, 4, 5)]))
    cases.append(one("dot_general batch last", .dotGeneral(DotDims(lhsContract: [0], rhsContract: [0], lhsBatch: [1], rhsBatch: [1])),
                     [f64(3, 2), f64(3, 2)]))
    cases.append(one("rev (0,2)", .rev(dimensions: [0, 2]), [f64(2, 3, 4)]))
    for kind in CumulativeKind.allCases {
        cases.append(one("\(kind.rawValue) axis 1", .cumulative(kind, axis: 1, reverse: false), [f64(2, 3)]))
        cases.append(one("\(kind.rawValue) axis 0 reverse", .cumulative(kind, axis: 0, reverse: true), [f64(2, 3)]))
    }
    // iota has no operands: batch it next to an unused mapped input (the primitive itself is never mapped).
    cases.append(PrimCase(description: "iota") {
        try program("iota", [f64(2)]) { b, xs in
            [try b.emit(.iota(.i32, shape: [.const(2), .const(3)], dimension: 1), []), try b.emit(.unary(.neg), [xs[0]])]
        }
    })
    return cases
}()

@Suite struct VmapTests {
    @Test(arguments: primitiveCases)
    func primitive(_ c: PrimCase) throws {
        let p = try c.build()
        try p.verify()
        let ranks = p.inputs.map(\.type.rank)
        let outRank = p.outputs[0].type.rank
        let outChoices: [Int] = outRank >= 1 ? [0, 1, -1] : [0, -1]
        for (k, inAxes) in axisCombinations(ranks).enumerated() {
            for outAxis in outChoices {
                try checkVmap(p, inAxes: inAxes, outAxes: p.outputs.map { _ in outAxis },
                              positive: c.positive, seed: UInt64(k + 1))
            }
        }
    }

    /// Every primitive of the enum has a row in the table (a guard against forgetting one).
    @Test func tableCoversEveryPrimitive() throws {
        var names = Set<String>()
        for c in primitiveCases { for e in try c.build().eqns { names.insert(e.prim.name) } }
        let all = UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue)
            + ["integer_pow", "convert_element_type", "select_n", "reduce_sum", "reduce_max", "reduce_min",
               "broadcast_in_dim", "reshape", "transpose", "slice", "pad", "concatenate", "dot_general", "iota", "rev"]
            + CumulativeKind.allCases.map(\.rawValue)
        #expect(Set(all).subtracting(names).isEmpty, "missing: \(Set(all).subtracting(names))")
    }

    // MARK: Multi-equation programs

    /// neuron(x: f32[5], W: f32[5,3], b: f32[3]) = reduce_sum(tanh(dot_general(x, W) + b)).
    private func neuron(_ dt: DType) throws -> Program {
        try program("neuron", [TensorType(dt, [.const(5)]), TensorType(dt, [.const(5), .const(3)]), TensorType(dt, [.const(3)])]) { b, xs in
            let y = try b.emit(.dotGeneral(DotDims(lhsContract: [0], rhsContract: [0])), [xs[0], xs[1]])
            let z = try b.emit(.binary(.add), [y, xs[2]])
            let t = try b.emit(.unary(.tanh), [z])
            return [try b.emit(.reduceSum(axes: [0]), [t])]
        }
    }

    @Test func neuronNumbers() throws {
        let p = try neuron(.f64)
        for inAxes in [[0, nil, nil], [nil, 1, nil], [nil, nil, 0], [-1, 0, 1], [0, 2, nil]] as [[Int?]] {
            try checkVmap(p, inAxes: inAxes, outAxes: [0])
        }
    }

    /// The neuron of Samples/neuron.ax: `vmap(neuron, in_axes=(0, None, None))` is dot_general, add, tanh, reduce_sum, plus the
    /// broadcast of `b` (JAX prints `broadcast_in_dim` of c to f32[1,3]; our `add` needs equal shapes).
    @Test func neuronSeed002Golden() throws {
        let bp = try vmap(try neuron(.f32), inAxes: [0, nil, nil], outAxes: [0], axisSize: nil, sizeName: "n")
        try bp.verify()
        #expect(bp.eqns.map(\.prim.name) == ["dot_general", "broadcast_in_dim", "add", "tanh", "reduce_sum"])
        #expect(bp.text == """
            { lambda ; a:f32[n,5] b:f32[5,3] c:f32[3]. let
                d:f32[n,3] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] a b
                e:f32[n,3] = broadcast_in_dim[shape=(n, 3) broadcast_dimensions=(1,)] c
                f:f32[n,3] = add d e
                g:f32[n,3] = tanh f
                h:f32[n] = reduce_sum[axes=(1,)] g
              in (h,) }

            """)
        #expect(bp.origin == "vmap(neuron, in_axes=(0, None, None))")
    }

    /// The same sequence as the jaxpr JAX prints (Data/vmap/neuron_vmap.jaxpr, written by jax_jaxprs.py).
    @Test func neuronMatchesJaxPrimitiveSequence() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/vmap/neuron_vmap.jaxpr")
        let jaxpr = try String(contentsOf: url, encoding: .utf8)
        let jaxNames = jaxpr.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("    "), let eq = line.range(of: " = ") else { return nil }
            return String(line[eq.upperBound...].prefix { $0 != "[" && $0 != " " })
        }
        #expect(jaxNames.count == 5)
        let bp = try vmap(try neuron(.f32), inAxes: [0, nil, nil], outAxes: [0], axisSize: nil, sizeName: "n")
        #expect(bp.eqns.map(\.prim.name) == jaxNames)
    }

    @Test func nestedVmap() throws {
        let p = try neuron(.f64)
        // Inner: map x over its axis 0 (size n1); outer: map W over axis 2 and the inner batch of x over axis 1.
        let inner = try checkVmap(p, inAxes: [0, nil, nil], outAxes: [0], sizeName: "n1", batch: 4)
        let outer = try checkVmap(inner, inAxes: [1, 2, nil], outAxes: [-1], sizeName: "n", sizes: ["n1": 4], batch: 3)
        #expect(outer.inputs.map(\.type.description) == ["f64[n1,n,5]", "f64[5,3,n]", "f64[3]"])
        #expect(outer.outputs[0].type.description == "f64[n1,n]")
        // vmap of vmap of a binary op with operands mapped at different axes at both levels.
        let add = try program("add", [f64(2, 3), f64(2, 3)]) { b, xs in [try b.emit(.binary(.add), xs)] }
        let i2 = try checkVmap(add, inAxes: [1, nil], outAxes: [2], sizeName: "n1", batch: 2)
        try checkVmap(i2, inAxes: [0, 2], outAxes: [1], sizes: ["n1": 2])
    }

    @Test func outAxes() throws {
        let p = try program("two", [f64(2, 3), f64(3)]) { b, xs in
            let t = try b.emit(.transpose([1, 0]), [xs[0]])
            return [try b.emit(.reduceSum(axes: [0]), [t]), t, xs[1]]
        }
        for outAxes in [[1, 1, 1], [-1, -1, -1], [0, 2, -2], [1, 0, nil]] as [[Int?]] {
            try checkVmap(p, inAxes: [0, nil], outAxes: outAxes)
        }
        // A not-mapped output with an out axis is broadcast.
        let bp = try checkVmap(p, inAxes: [1, nil], outAxes: [0, 1, 1])
        #expect(bp.outputs[2].type.description == "f64[3,n]")
    }

    @Test func axisSizeWithoutMappedInputs() throws {
        let p = try program("f", [f64(3)]) { b, xs in [try b.emit(.unary(.exp), xs)] }
        let bp = try checkVmap(p, inAxes: [nil], outAxes: [1], axisSize: 4)
        #expect(bp.inputs[0].type.description == "f64[3]")
        #expect(bp.outputs[0].type.description == "f64[3,4]")
        // With a mapped input, axis_size fixes the mapped size to a constant.
        let bq = try checkVmap(p, inAxes: [0], outAxes: [0], axisSize: 2)
        #expect(bq.inputs[0].type.description == "f64[2,3]")
    }

    // MARK: Rules do not move or broadcast more than needed

    @Test func minimalRewrites() throws {
        let addLit = try program("f", [f64(2, 3)]) { b, xs in [try b.emit(.binary(.mul), [xs[0], .lit(2, .f64)])] }
        #expect(try vmap(addLit, inAxes: [1], outAxes: [1], axisSize: nil, sizeName: "n").eqns.map(\.prim.name) == ["mul"])
        let mm = try program("mm", [f64(2, 3), f64(3, 4)]) { b, xs in
            [try b.emit(.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), xs)]
        }
        for inAxes in [[1, nil], [nil, 2], [2, 1]] as [[Int?]] {
            let bp = try vmap(mm, inAxes: inAxes, outAxes: [0], axisSize: nil, sizeName: "n")
            let names = bp.eqns.map(\.prim.name)
            #expect(names.first == "dot_general" && names.dropFirst().allSatisfy { $0 == "transpose" } && names.count <= 2)
        }
        let both = try vmap(mm, inAxes: [2, 1], outAxes: [0], axisSize: nil, sizeName: "n")
        #expect(both.eqns.count == 1)
        #expect(both.eqns[0].prim == .dotGeneral(DotDims(lhsContract: [1], rhsContract: [0], lhsBatch: [2], rhsBatch: [1])))
    }

    @Test func locationsAreKept() throws {
        let loc = SourceRange(SourceLoc(line: 3, column: 5, offset: 20), SourceLoc(line: 3, column: 9, offset: 24))
        let b = Builder()
        let x = b.fresh(f64(3)), y = b.fresh(f64(3))
        b.loc = loc
        let z = try b.emit(.binary(.add), [.v(x), .v(y)])
        let p = Program(name: "f", params: [ProgramParam(name: "x", tree: .leaf), ProgramParam(name: "y", tree: .leaf)],
                        inputs: [x, y], eqns: b.take(), outputs: [z], outTree: .leaf)
        let bp = try vmap(p, inAxes: [0, nil], outAxes: [0], axisSize: nil, sizeName: "n")
        #expect(bp.eqns.count == 2 && bp.eqns.allSatisfy { $0.loc == loc })
        #expect(bp.maxId > p.maxId && Set(bp.eqns.map(\.out.id)).isDisjoint(with: p.inputs.map(\.id)))
    }

    // MARK: Errors

    @Test func errors() throws {
        let b = Builder()
        let w = b.fresh(f64()), c = b.fresh(f64()), x = b.fresh(f64(5))
        let y = try b.emit(.binary(.mul), [.v(x), .v(x)])
        let p = Program(name: "f", params: [ProgramParam(name: "params", tree: .tuple([.leaf, .leaf])), ProgramParam(name: "x", tree: .leaf)],
                        inputs: [w, c, x], eqns: b.take(), outputs: [y], outTree: .leaf)
        func message(_ body: () throws -> Program) -> String? {
            do { _ = try body(); return nil } catch let d as Diagnostic { return d.message } catch { return "\(error)" }
        }
        let bad = message { try vmap(p, inAxes: [nil, 1, 0], outAxes: [0], axisSize: nil, sizeName: "n") }
        #expect(bad?.contains("'params.1'") == true && bad?.contains("axis 1") == true && bad?.contains("f64[]") == true, "\(bad ?? "")")
        let badX = message { try vmap(p, inAxes: [nil, nil, -3], outAxes: [0], axisSize: nil, sizeName: "n") }
        #expect(badX?.contains("'x'") == true && badX?.contains("f64[5]") == true, "\(badX ?? "")")
        let none = message { try vmap(p, inAxes: [nil, nil, nil], outAxes: [0], axisSize: nil, sizeName: "n") }
        #expect(none?.contains("at least one non-None value in in_axes") == true)
        let mappedOut = message { try vmap(p, inAxes: [nil, nil, 0], outAxes: [nil], axisSize: nil, sizeName: "n") }
        #expect(mappedOut?.contains("vmap has mapped output but out_axes is None") == true)
        let badOut = message { try vmap(p, inAxes: [nil, nil, 0], outAxes: [2], axisSize: nil, sizeName: "n") }
        #expect(badOut?.contains("out_axes") == true)
        // A not-mapped output may have out_axes None.
        let ok = try vmap(p, inAxes: [0, nil, nil], outAxes: [nil], axisSize: nil, sizeName: "n")
        try ok.verify()
        #expect(ok.origin == "vmap(f, in_axes=((0, None), None), out_axes=None)")
    }
}

// MARK: - Through the front end

/// Small programs like the samples (Samples/*.ax), elaborated: the vmap entries batch as JAX does.
@Suite struct VmapFrontEndTests {
    private func entry(_ source: String, _ name: String) throws -> Program {
        let m = try parseModule(SourceFile(path: "test.ax", text: source))
        let p = try elaborateEntry(m, name: name).program
        try p.verify()
        return p
    }

    @Test func neuronEntry() throws {
        let src = """
            def neuron(x: f32[5], W: f32[5, 3], b: f32[3]) -> f32:
                return sum(tanh(x @ W + b))

            batched = jit(vmap(neuron, in_axes=(0, None, None)))
            """
        let p = try entry(src, "batched")
        #expect(p.eqns.map(\.prim.name) == ["dot_general", "broadcast_in_dim", "add", "tanh", "reduce_sum"])
        #expect(p.text == """
            { lambda ; a:f32[n,5] b:f32[5,3] c:f32[3]. let
                d:f32[n,3] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] a b
                e:f32[n,3] = broadcast_in_dim[shape=(n, 3) broadcast_dimensions=(1,)] c
                f:f32[n,3] = add d e
                g:f32[n,3] = tanh f
                h:f32[n] = reduce_sum[axes=(1,)] g
              in (h,) }

            """)
        try compareWithLoop(p, try entry(src, "neuron"), inAxes: [0, nil, nil], outAxes: [0], batch: 4, tolerance: 0)
    }

    @Test func linearEntries() throws {
        let src = """
            def predict(params: (f32, f32), x: f32) -> f32:
                w, b = params
                return w * x + b

            def pair(params: (f32, f32), x: f32[3]) -> (f32[3], f32):
                w, b = params
                return exp(x) * w, sum(x) + b

            batched_predict = vmap(predict, in_axes=(None, 0))
            batched_pair = vmap(pair, in_axes=((0, None), 1), out_axes=(1, 0))
            inner = vmap(pair, in_axes=(None, 0))
            nested = vmap(vmap(pair, in_axes=(None, 0)), in_axes=((0, 0), -1), out_axes=-1)
            """
        try compareWithLoop(try entry(src, "batched_predict"), try entry(src, "predict"), inAxes: [nil, nil, 0], outAxes: [0],
                            tolerance: 0)
        try compareWithLoop(try entry(src, "batched_pair"), try entry(src, "pair"), inAxes: [0, nil, 1], outAxes: [1, 0],
                            tolerance: 0)
        let nested = try entry(src, "nested")
        #expect(nested.inputs.map(\.type.description) == ["f32[n]", "f32[n]", "f32[n1,3,n]"])
        #expect(nested.outputs.map(\.type.description) == ["f32[n1,3,n]", "f32[n1,n]"])
        try compareWithLoop(nested, try entry(src, "inner"), inAxes: [0, 0, -1], outAxes: [-1, -1], sizes: ["n": 4],
                            tolerance: 0)
    }

    /// vmap of grad: per-example gradients (Samples/linear.ax's model, and a neuron with a max and a select).
    @Test func vmapOfGrad() throws {
        let src = """
            def squared_error(params: (f32, f32), x: f32, y: f32) -> f32:
                w, b = params
                return (w * x + b - y) ** 2

            def loss(x: f64[5], W: f64[5, 3], b: f64[3]) -> f64:
                h = tanh(x @ W + b)
                return sum(where(h > 0, h, 0.1 * h)) + max(h) ** 2

            g = grad(squared_error)
            per_example_grads = jit(vmap(grad(squared_error), in_axes=(None, 0, 0)))
            gl = grad(loss, argnums=(0, 1))
            batched_gl = vmap(grad(loss, argnums=(0, 1)), in_axes=(1, None, 0), out_axes=(0, -1))
            """
        try compareWithLoop(try entry(src, "per_example_grads"), try entry(src, "g"), inAxes: [nil, nil, 0, 0],
                            outAxes: [0, 0], batch: 5, tolerance: 0)
        try compareWithLoop(try entry(src, "batched_gl"), try entry(src, "gl"), inAxes: [1, nil, 0],
                            outAxes: [0, -1], batch: 4, tolerance: 1e-12)
    }
}
