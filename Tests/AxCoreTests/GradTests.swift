// Tests of grad/value_and_grad: the table of every differentiable primitive (DerivativeCases.swift) checked in f64
// against central differences (first order, and second order through a Hessian-vector product), higher derivatives, output
// structure, errors, and JAX's conventions at kinks (numbers computed with JAX 0.10.2, x64 enabled).
import Foundation
import Testing
@testable import AxCore

// MARK: - Helpers shared by the transform tests

/// A program of `leaf` parameters `x0, x1, ...` of the given types, whose body the closure emits.
func buildProgram(_ name: String, _ types: [TensorType], _ body: (Builder, [Atom]) throws -> Atom) throws -> Program {
    let b = Builder()
    let ins = types.map { b.fresh($0) }
    let out = try body(b, ins.map { .v($0) })
    return Program(name: name, params: types.indices.map { ProgramParam(name: "x\($0)", tree: .leaf) },
                   inputs: ins, eqns: b.take(), outputs: [out], outTree: .leaf)
}

/// Deterministic uniform numbers in [lo, hi) (a 64-bit LCG).
struct SeededUniform {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next(_ lo: Double, _ hi: Double) -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return lo + (hi - lo) * Double(state >> 11) / Double(1 << 53)
    }
    mutating func tensor(_ t: TensorType, _ lo: Double, _ hi: Double, sizes: [String: Int] = [:]) -> Tensor {
        let shape = t.concreteShape(sizes)!
        let n = shape.reduce(1, *)
        return Tensor(t.dtype, shape: shape, doubles: (0..<n).map { _ in next(lo, hi) })
    }
}

/// Evaluates a scalar-output program to a Double.
private func scalar(_ p: Program, _ inputs: [Tensor], _ sizes: [String: Int]) throws -> Double {
    try evaluate(p, inputs: inputs, sizes: sizes)[0].element(0)
}

/// Central differences of scalar-output `p` with respect to every element of input `k` (step `step` relative to the
/// element, at least `step`).
func finiteDifferences(_ p: Program, _ inputs: [Tensor], _ k: Int, _ sizes: [String: Int], step: Double = 1e-5) throws -> [Double] {
    var out: [Double] = []
    let xs = inputs[k].doubles
    for j in xs.indices {
        let h = step * max(1, abs(xs[j]))
        var plus = xs, minus = xs
        plus[j] += h; minus[j] -= h
        var ip = inputs, im = inputs
        ip[k] = Tensor(.f64, shape: inputs[k].shape, doubles: plus)
        im[k] = Tensor(.f64, shape: inputs[k].shape, doubles: minus)
        out.append((try scalar(p, ip, sizes) - scalar(p, im, sizes)) / (2 * h))
    }
    return out
}

private func gradClose(_ a: [Double], _ b: [Double], rtol: Double = 1e-6, atol: Double = 1e-7) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
}

/// Checks `grad(p, argnums)` against central differences, and that `simplify` keeps its values.
private func checkGradient(_ p: Program, argnums: [Int], _ inputs: [Tensor], sizes: [String: Int] = [:],
                           _ comment: Comment) throws {
    let g = try grad(p, argnums: argnums, tupleArgnums: true, withValue: false)
    try g.verify()
    let got = try evaluate(g, inputs: inputs, sizes: sizes)
    let s = simplify(g)
    try s.verify()
    let simplified = try evaluate(s, inputs: inputs, sizes: sizes)
    for (i, k) in argnums.enumerated() {
        let fd = try finiteDifferences(p, inputs, k, sizes)
        #expect(gradClose(got[i].doubles, fd), "\(comment) d/dx\(k): grad \(got[i].doubles) vs FD \(fd)\n\(g.text)")
        #expect(gradClose(simplified[i].doubles, got[i].doubles, rtol: 1e-12, atol: 1e-14), "\(comment): simplify changed d/dx\(k)")
    }
}

/// The program `sum_i sum(grad_i(p)(x) * v_i)` with extra inputs `v_i`: its gradient is a Hessian-vector product.
private func gradDotV(_ p: Program, argnums: [Int]) throws -> Program {
    let g = try grad(p, argnums: argnums, tupleArgnums: true, withValue: false)
    let b = Builder(startingAfter: g.maxId)
    let vs = argnums.map { b.fresh(p.inputs[$0].type) }
    let gs = try b.inline(g, args: g.inputs.map { .v($0) })
    var total: Atom? = nil
    for (gi, v) in zip(gs, vs) {
        let prod = try b.emit(.binary(.mul), [gi, .v(v)])
        let s = try b.emit(.reduceSum(axes: Array(0..<v.type.rank)), [prod])
        total = try total.map { try b.emit(.binary(.add), [$0, s]) } ?? s
    }
    let params = p.params + vs.indices.map { ProgramParam(name: "v\($0)", tree: .leaf) }
    return Program(name: p.name + "_hvp", params: params, inputs: g.inputs + vs, eqns: b.take(),
                   outputs: [total!], outTree: .leaf)
}

/// `sum(f(x) * w)` for a random weight input `w` of `f`'s output type (appended as the last parameter).
private func weighted(_ c: DerivativeCase) throws -> Program {
    try buildProgram(c.name, c.types + [try buildProgram("probe", c.types, c.body).outputs[0].type]) { b, x in
        let y = try c.body(b, Array(x.dropLast()))
        let yw = try b.emit(.binary(.mul), [y, x.last!])
        return try b.emit(.reduceSum(axes: Array(0..<yw.type.rank)), [yw])
    }
}

@Suite struct GradTests {
    @Test(arguments: derivativeCases)
    private func primitiveMatchesFiniteDifferences(_ c: DerivativeCase) throws {
        let p = try weighted(c)
        try p.verify()
        var rng = SeededUniform(UInt64(c.name.utf8.reduce(7) { $0 &* 31 &+ Int($1) } & 0xffff))
        var inputs = rng.operands(c)
        inputs.append(rng.tensor(p.inputs.last!.type, -1, 1, sizes: c.sizes))
        let argnums = Array(c.types.indices)
        try checkGradient(p, argnums: argnums, inputs, sizes: c.sizes, "\(c.name)")
        if c.secondOrder {
            let h = try gradDotV(p, argnums: argnums)
            try h.verify()
            let vs = argnums.map { rng.tensor(p.inputs[$0].type, -1, 1, sizes: c.sizes) }
            try checkGradient(h, argnums: argnums, inputs + vs, sizes: c.sizes, "\(c.name) (second order)")
        }
    }

    /// Every primitive of the enum appears in the table (a guard against a primitive without a tested VJP rule).
    @Test func tableCoversEveryPrimitive() throws {
        var names = Set<String>()
        for c in derivativeCases { for e in try weighted(c).eqns { names.insert(e.prim.name) } }
        let all = differentiablePrimitiveNames
        #expect(Set(all).subtracting(names).isEmpty, "missing: \(Set(all).subtracting(names).sorted())")
    }

    /// vmap(grad(f)) over a batch of 3 equals stacking grad(f) per example: every primitive the VJP rules
    /// emit must be batchable.
    @Test(arguments: derivativeCases)
    private func vmapOfGradMatchesPerExample(_ c: DerivativeCase) throws {
        let p = try weighted(c)
        let g = try grad(p, argnums: Array(c.types.indices), tupleArgnums: true, withValue: false)
        let vg = try vmap(g, inAxes: g.inputs.map { _ in 0 }, outAxes: g.outputs.map { _ in 0 }, axisSize: nil, sizeName: "b")
        try vg.verify()
        var rng = SeededUniform(11)
        let examples = (0..<3).map { _ in
            rng.operands(c) + [rng.tensor(p.inputs.last!.type, -1, 1, sizes: c.sizes)]
        }
        let per = try examples.map { try evaluate(g, inputs: $0, sizes: c.sizes) }
        let stacked = p.inputs.indices.map { i in
            Tensor(.f64, shape: [3] + examples[0][i].shape, doubles: examples.flatMap { $0[i].doubles })
        }
        let batched = try evaluate(vg, inputs: stacked, sizes: c.sizes)
        for k in batched.indices {
            #expect(gradClose(batched[k].doubles, per.flatMap { $0[k].doubles }, rtol: 1e-12, atol: 1e-14), "\(c.name) output \(k)")
        }
    }

    /// grad of a function whose body is a vmapped program (a mean of per-example squared errors).
    @Test func gradOfVmappedCode() throws {
        let perExample = try buildProgram("sq", [f64(), f64(), f64()]) { b, x in
            let d = try b.emit(.binary(.sub), [b.emit(.binary(.mul), [x[0], x[1]]), x[2]])
            return try b.emit(.integerPow(2), [d])
        }
        let batched = try vmap(perExample, inAxes: [nil, 0, 0], outAxes: [0], axisSize: nil, sizeName: "n")
        let loss = try buildProgram("loss", [f64(), f64("n"), f64("n")]) { b, x in
            let ys = try b.inline(batched, args: x)
            return try b.emit(.reduceSum(axes: [0]), ys)
        }
        var rng = SeededUniform(5)
        let inputs = [Tensor(scalar: 0.8, .f64), rng.tensor(f64(5), -1, 1), rng.tensor(f64(5), -1, 1)]
        try checkGradient(loss, argnums: [0, 1, 2], inputs, sizes: ["n": 5], "grad(vmap)")
        try checkGradient(try gradDotV(loss, argnums: [0]), argnums: [0, 1], inputs + [Tensor(scalar: 0.3, .f64)],
                          sizes: ["n": 5], "grad(grad(vmap))")
    }

    /// f(x) = sin(x) * x**3 and its first three derivatives, analytically.
    @Test func higherOrderDerivativesOfSinTimesCube() throws {
        let f = try buildProgram("f", [f64()]) { b, x in
            try b.emit(.binary(.mul), [b.emit(.unary(.sin), x), b.emit(.integerPow(3), x)])
        }
        let g1 = try grad(f, argnums: [0], tupleArgnums: false, withValue: false)
        let g2 = try grad(g1, argnums: [0], tupleArgnums: false, withValue: false)
        let g3 = try grad(g2, argnums: [0], tupleArgnums: false, withValue: false)
        for p in [g1, g2, g3, simplify(g3)] { try p.verify() }
        #expect(g3.origin == "grad(grad(grad(f)))")
        for x in [-1.3, 0.0, 0.4, 2.2] {
            let s = sin(x), c = cos(x)
            let want = [3 * x * x * s + x * x * x * c,
                        6 * x * s + 6 * x * x * c - x * x * x * s,
                        6 * s + 18 * x * c - 9 * x * x * s - x * x * x * c]
            for (p, w) in zip([g1, g2, g3, simplify(g3)], want + [want[2]]) {
                let got = try scalar(p, [Tensor(scalar: x, .f64)], [:])
                #expect(abs(got - w) <= 1e-12 * max(1, abs(w)), "x=\(x): \(got) vs \(w)")
            }
        }
    }

    @Test func valueAndGradStructure() throws {
        let f = try buildProgram("f", [f64(3), f64()]) { b, x in
            let e = try b.emit(.binary(.mul), [x[0], b.emit(.broadcastInDim(shape: dims(3), dims: []), [x[1]])])
            return try b.emit(.reduceSum(axes: [0]), [b.emit(.unary(.exp), [e])])
        }
        let vg = try grad(f, argnums: [0], tupleArgnums: false, withValue: true)
        try vg.verify()
        #expect(vg.outTree == .tuple([.leaf, .leaf]))
        #expect(vg.origin == "value_and_grad(f)")
        let x = Tensor(.f64, shape: [3], doubles: [0.1, -0.5, 0.3]), k = Tensor(scalar: 1.5, .f64)
        let out = try evaluate(vg, inputs: [x, k], sizes: [:])
        let value: Double = x.doubles.map { exp($0 * 1.5) }.reduce(0, +)
        let dx: [Double] = x.doubles.map { 1.5 * exp($0 * 1.5) }
        #expect(abs(out[0].element(0) - value) < 1e-12)
        #expect(gradClose(out[1].doubles, dx, rtol: 1e-12, atol: 0))

        let both = try grad(f, argnums: [1, 0], tupleArgnums: true, withValue: true)
        try both.verify()
        #expect(both.outTree == .tuple([.leaf, .tuple([.leaf, .leaf])]))
        #expect(both.origin == "value_and_grad(f, argnums=(1, 0))")
        let o = try evaluate(both, inputs: [x, k], sizes: [:])
        let dk: Double = x.doubles.map { $0 * exp($0 * 1.5) }.reduce(0, +)
        #expect(abs(o[1].element(0) - dk) < 1e-12)
        #expect(o[2].shape == [3])

        let single = try grad(f, argnums: [0], tupleArgnums: true, withValue: false)
        #expect(single.outTree == .tuple([.leaf]))
        let last = try grad(f, argnums: [-1], tupleArgnums: false, withValue: false)
        #expect(last.outputs.map(\.type) == [f64()])
    }

    /// Tuple-structured parameters keep their tree; independent leaves get zeros of their type.
    @Test func tupleParamsAndZeros() throws {
        let b = Builder()
        let w = b.fresh(f64(2)), bias = b.fresh(f64()), unused = b.fresh(f64(2, "n")), x = b.fresh(f64(2))
        let wx = try b.emit(.dotGeneral(DotDims(lhsContract: [0], rhsContract: [0])), [.v(w), .v(x)])
        let y = try b.emit(.binary(.add), [wx, .v(bias)])
        let sq = try b.emit(.integerPow(2), [y])
        let p = Program(name: "loss", params: [ProgramParam(name: "params", tree: .tuple([.leaf, .tuple([.leaf, .leaf])])),
                                               ProgramParam(name: "x", tree: .leaf)],
                        inputs: [w, bias, unused, x], eqns: b.take(), outputs: [sq], outTree: .leaf)
        try p.verify()
        let g = try grad(p, argnums: [0], tupleArgnums: false, withValue: false)
        try g.verify()
        #expect(g.outTree == .tuple([.leaf, .tuple([.leaf, .leaf])]))
        #expect(g.outputs.map(\.type) == [f64(2), f64(), f64(2, "n")])
        let ins = [Tensor(.f64, shape: [2], doubles: [0.5, -1]), Tensor(scalar: 0.25, .f64),
                   Tensor(.f64, shape: [2, 3], doubles: Array(repeating: 7, count: 6)), Tensor(.f64, shape: [2], doubles: [2, 3])]
        let out = try evaluate(g, inputs: ins, sizes: [:])
        let r = 0.5 * 2 - 3 + 0.25  // w·x + b
        #expect(out[0].doubles == [2 * r * 2, 2 * r * 3])
        #expect(out[1].doubles == [2 * r])
        #expect(out[2].shape == [2, 3] && out[2].doubles.allSatisfy { $0 == 0 })
    }

    @Test func identityAndConstantFunctions() throws {
        let id = try buildProgram("id", [f64()]) { _, x in x[0] }
        let gid = try grad(id, argnums: [0], tupleArgnums: false, withValue: false)
        try gid.verify()
        #expect(try scalar(gid, [Tensor(scalar: 3, .f64)], [:]) == 1)
        let const = try buildProgram("c", [f64()]) { _, _ in lit(2) }
        let gc = try grad(const, argnums: [0], tupleArgnums: false, withValue: true)
        #expect(try evaluate(gc, inputs: [Tensor(scalar: 3, .f64)], sizes: [:]).map { $0.element(0) } == [2, 0])
    }

    @Test func errors() throws {
        let vec = try buildProgram("f", [f64(3)]) { b, x in try b.emit(.unary(.sin), x) }
        #expect { try grad(vec, argnums: [0], tupleArgnums: false, withValue: false) } throws: {
            ($0 as? Diagnostic)?.message == "grad requires a function with a scalar float output, got f64[3]"
        }
        var pair = vec
        pair.outputs = [.lit(1, .f64), .lit(2, .f64)]; pair.outTree = .tuple([.leaf, .leaf])
        #expect { try grad(pair, argnums: [0], tupleArgnums: false, withValue: false) } throws: {
            ($0 as? Diagnostic)?.message == "grad requires a function with a scalar float output, got (f64[], f64[])"
        }
        let intOut = try buildProgram("f", [TensorType(.i32)]) { _, x in x[0] }
        #expect { try grad(intOut, argnums: [0], tupleArgnums: false, withValue: false) } throws: {
            ($0 as? Diagnostic)?.message == "grad requires a function with a scalar float output, got i32[]"
        }
        let mixed = try buildProgram("f", [f64(), TensorType(.i32)]) { _, x in x[0] }
        #expect { try grad(mixed, argnums: [1], tupleArgnums: false, withValue: false) } throws: {
            ($0 as? Diagnostic)?.message.hasPrefix("grad requires real-valued (float) inputs, but parameter 'x1' has type i32[]") == true
        }
        #expect(throws: Diagnostic.self) { try grad(mixed, argnums: [2], tupleArgnums: false, withValue: false) }
        #expect(throws: Diagnostic.self) { try grad(mixed, argnums: [-3], tupleArgnums: false, withValue: false) }
        // Differentiating the float parameter of a function with an integer parameter is fine.
        try grad(mixed, argnums: [0], tupleArgnums: false, withValue: false).verify()
    }

    // MARK: Conventions at non-differentiable points, against JAX (jax 0.10.2, jax_enable_x64=True).

    private func grads(_ p: Program, _ xs: [Double], argnums: [Int]) throws -> [Double] {
        let g = try grad(p, argnums: argnums, tupleArgnums: true, withValue: false)
        try g.verify()
        return try evaluate(g, inputs: xs.map { Tensor(scalar: $0, .f64) }, sizes: [:]).map { $0.element(0) }
    }

    @Test func kinksFollowJAX() throws {
        // jax.grad(jax.nn.relu)(0.0) == 0.0, written as select_n(x > 0, 0, x)
        let relu = try buildProgram("relu", [f64()]) { b, x in
            try b.emit(.select, [b.emit(.binary(.gt), [x[0], lit(0)]), lit(0), x[0]])
        }
        #expect(try grads(relu, [0], argnums: [0]) == [0])
        // jax.grad(jnp.abs)(0.0) == 1.0
        let absf = try buildProgram("abs", [f64()]) { b, x in try b.emit(.unary(.abs), x) }
        #expect(try grads(absf, [0], argnums: [0]) == [1])
        // jax.grad(jnp.maximum, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5); same for jnp.minimum
        for op in [BinaryOp.max, .min] {
            let f = try buildProgram("f", [f64(), f64()]) { b, x in try b.emit(.binary(op), x) }
            #expect(try grads(f, [1, 1], argnums: [0, 1]) == [0.5, 0.5])
        }
        // jax.grad(jnp.max)(jnp.array([1., 3., 3., 2.])) == [0, 0.5, 0.5, 0]; jnp.min likewise
        for prim in [Primitive.reduceMax(axes: [0]), .reduceMin(axes: [0])] {
            let f = try buildProgram("f", [f64(4)]) { b, x in try b.emit(prim, x) }
            let g = try grad(f, argnums: [0], tupleArgnums: false, withValue: false)
            let xs = prim == .reduceMax(axes: [0]) ? [1.0, 3, 3, 2] : [3.0, 1, 1, 2]
            #expect(try evaluate(g, inputs: [Tensor(.f64, shape: [4], doubles: xs)], sizes: [:])[0].doubles == [0, 0.5, 0.5, 0])
        }
        // jax.grad(lambda x, y: x ** y, argnums=(0, 1)) at (0., 2.) == (0., 0.) and at (0., 0.) == (nan, 0.)
        let pw = try buildProgram("pow", [f64(), f64()]) { b, x in try b.emit(.binary(.pow), x) }
        #expect(try grads(pw, [0, 2], argnums: [0, 1]) == [0, 0])
        let atZero = try grads(pw, [0, 0], argnums: [0, 1])
        #expect(atZero[0].isNaN && atZero[1] == 0)
        // jax.grad(jnp.sqrt)(0.0) == inf
        let sq = try buildProgram("sqrt", [f64()]) { b, x in try b.emit(.unary(.sqrt), x) }
        #expect(try grads(sq, [0], argnums: [0]) == [.infinity])
        // jax.grad(lambda x: x ** 0)(0.0) == 0.0; jax.grad(lambda x: x ** 1)(0.0) == 1.0
        for (y, want) in [(0, 0.0), (1, 1.0)] {
            let ip = try buildProgram("ip", [f64()]) { b, x in try b.emit(.integerPow(y), x) }
            #expect(try grads(ip, [0], argnums: [0]) == [want])
        }
        // jax.grad(jax.grad(jnp.abs))(0.0) == 0.0; jax.grad(jax.grad(jnp.maximum))(1.0, 1.0) == 0.0
        let g2abs = try grad(try grad(absf, argnums: [0], tupleArgnums: false, withValue: false),
                             argnums: [0], tupleArgnums: false, withValue: false)
        #expect(try scalar(g2abs, [Tensor(scalar: 0, .f64)], [:]) == 0)
    }
}
