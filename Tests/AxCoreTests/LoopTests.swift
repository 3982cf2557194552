// Loops (scan, fori_loop, while_loop, map, `for` over a size variable): gradients and tangents through them against
// central differences in f64, jit against eager at trip counts 0, 1 and 7, batch invariance of a batched while,
// located errors, and a C text that does not grow with the trip count. JAX's numbers: Samples/loops.ax, rnn.ax and
// ode.ax in ConformanceTests.
import Foundation
import Testing
@testable import AxCore

private let source = """
def cell(state: (f64[3, 3], f64[3]), x: f64[3]):
    W, h = state
    h = tanh(h @ W + x)
    return (W, h), sum(h * h)

def rnn_loss(W: f64[3, 3], xs: f64[t, 3]):
    (_, h), ys = scan(cell, (W, zeros(3, f64)), xs)
    return sum(h) + sum(ys)

def back(c: f64[3], x: f64[3]):
    c = sin(c) * x + c
    return c, c[0]

def reverse_loss(c0: f64[3], xs: f64[t, 3]):
    c, ys = scan(back, c0, xs, reverse=True)
    return sum(c * c) + sum(ys * ys)

def inner(c: f64, x: f64):
    return c * x + 1.0, c

def outer(c: f64[2], xs: f64[4]):
    a, _ = scan(inner, c[0], xs)
    b, ys = scan(inner, c[1], xs * 2.0)
    return stack([a, b]) * 0.5, sum(ys)

def nested_loss(c0: f64[2], xss: f64[t, 4]):
    c, ys = scan(outer, c0, xss)
    return sum(c) + sum(ys)

def damp(i: i32, y: f64[2]) -> f64[2]:
    return y * 0.9 + sin(flip(y)) * 0.1 * f64(i)

def fori_loss(y: f64[2]):
    return sum(fori_loop(0, 6, damp, y) ** 2)

def sized_loss(y: f64[2], xs: f64[t, 2]):
    acc = y
    for i in range(xs.shape[0]):
        acc = tanh(acc * xs[i] + flip(acc))
    return sum(acc)

def running(c: f32, x: f32):
    return c + x, c * x

def run(xs: f32[t]):
    return scan(running, 0.0, xs)

def keep_going(s: (f32, i32)) -> bool:
    return logical_and(s[0] < 50.0, s[1] < 40)

def grow(s: (f32, i32)) -> (f32, i32):
    return s[0] * 1.5 + 1.0, s[1] + 1

def grow_all(x: f32):
    return while_loop(keep_going, grow, (x, 0))

batched_grow = vmap(grow_all)

def w_loss(x: f32):
    y, k = grow_all(x)
    return y
no_grad = grad(w_loss)

def bad_carry(c: f32, x: f32):
    return (c, c), x

def bad(xs: f32[4]):
    return scan(bad_carry, 0.0, xs)

def short(xs: f32[3], ys: f32[4]):
    return scan(running, 0.0, (xs, ys))

def step(i: i32, x: f32[2]) -> f32[2]:
    return x * 0.5 + f32(i)

def ten(x: f32[2]):
    return fori_loop(0, 10, step, x)

def million(x: f32[2]):
    return fori_loop(0, 1000000, step, x)
def add_row3(total: f32[3], x: f32[3]) -> (f32[3], f32[3]):
    total = total + x
    return total, total

def per_device(xs: f32[5, 3]):
    c, ys = scan(add_row3, zeros(3), xs)
    return pmean(c, 'd'), ys

def psum_step(c: f32[3], x: f32[3]):
    c = c + psum(x, 'd')
    return c, c

def per_device_inner(xs: f32[5, 3]):
    return scan(psum_step, zeros(3), xs)

def rcell(state: (f64[3, 3], f64[3]), x: f64[3]):
    W, h = state
    h = sin(h @ W) + x
    return (W, h), h[0]

def rev_loss(W: f64[3, 3], xs: f64[t, 3]):
    (_, h), ys = scan(rcell, (W, zeros(3, f64)), xs, reverse=True)
    return sum(h * h) + sum(ys)

def wide(h: f64[80], x: f64[80]):
    h = tanh(sum(tanh(einsum("i,j->ij", h, x)), axis=1) * 0.1)
    return h, h[0]

def wide_loss(h0: f64[80], xs: f64[t, 80]):
    h, ys = scan(wide, h0, xs)
    return sum(h) + sum(ys)

rnn_grad = grad(rnn_loss)
wide_grad = grad(wide_loss, argnums=(0, 1))
rev_grad = grad(rev_loss, argnums=(0, 1))
rev_input_grad = grad(rev_loss, argnums=1)

p_loop = pmap(per_device, axis_name='d')
v_loop = vmap(per_device, axis_name='d')
p_inner = pmap(per_device_inner, axis_name='d')
v_inner = vmap(per_device_inner, axis_name='d')
"""

@Suite struct LoopTests {
    let s: CompilerSession
    init() throws { s = try CompilerSession(file: SourceFile(path: "loops.ax", text: source)) }

    /// grad of each scalar loss against central differences, and jvp against a directional difference.
    @Test(arguments: ["rnn_loss", "reverse_loss", "nested_loss", "fori_loss", "sized_loss", "wide_loss"])
    func derivativesMatchFiniteDifferences(_ name: String) throws {
        let p = try s.entry(name).program
        let sizes = p.sizeVars.isEmpty ? [:] : ["t": 5]
        var rng = SeededUniform(7)
        let xs = p.inputs.map { rng.tensor($0.type, -1, 1, sizes: sizes) }
        func f(_ ins: [Tensor]) throws -> Double { try evaluate(p, inputs: ins, sizes: sizes)[0].element(0) }
        let g = simplify(try grad(p, argnums: Array(p.params.indices), tupleArgnums: true, withValue: false))
        let jp = simplify(try jvp(p))
        let tangents = p.inputs.map { rng.tensor($0.type, -1, 1, sizes: sizes) }
        for mode in ["eager", "jit"] {
            let got = mode == "eager" ? try evaluate(g, inputs: xs, sizes: sizes)
                : try compileKernel(g, name: name).run(inputs: xs, sizes: sizes)
            for k in xs.indices {
                for (j, fd) in try finiteDifferences(p, xs, k, sizes, step: 1e-6).enumerated() {
                    let v = got[k].doubles[j]
                    #expect(abs(v - fd) <= 1e-6 + 1e-6 * abs(fd), "\(name) \(mode) d/d\(p.inputLeafNames[k])[\(j)]: grad \(v), FD \(fd)")
                }
            }
            let jout = mode == "eager" ? try evaluate(jp, inputs: xs + tangents, sizes: sizes)
                : try compileKernel(jp, name: name).run(inputs: xs + tangents, sizes: sizes)
            let h = 1e-6
            let plus = zip(xs, tangents).map { Tensor(.f64, shape: $0.shape, doubles: zip($0.doubles, $1.doubles).map { $0 + h * $1 }) }
            let minus = zip(xs, tangents).map { Tensor(.f64, shape: $0.shape, doubles: zip($0.doubles, $1.doubles).map { $0 - h * $1 }) }
            let fd = (try f(plus) - f(minus)) / (2 * h)
            #expect(abs(jout[1].element(0) - fd) <= 1e-6 + 1e-6 * abs(fd), "\(name) \(mode) jvp \(jout[1].element(0)) vs FD \(fd)")
        }
    }

    /// A scan VJP's weight cotangents (`ct_W += h ⊗ v` each step) leave the reverse loop: simplification
    /// (Transforms/Accumulators.swift) makes them one contraction over stacked factors after it, with or without a
    /// batch (vmap) dimension. The hoisted program equals the sequential one up to rounding, and jit equals eager
    /// bit for bit, at trip counts 0, 1 and 7 (also where the weight cotangent is dead).
    @Test(arguments: ["rnn_grad", "rev_grad", "rev_input_grad", "vmap"])
    func accumulatorsLeaveTheScan(_ name: String) throws {
        var p = try s.entry(name == "vmap" ? "rnn_grad" : name).program
        if name == "vmap" { p = try vmap(p, inAxes: [nil, 0], outAxes: [0], axisSize: nil, sizeName: "n") }
        let q = simplify(p)
        func outerProductsInScans(_ p: Program) -> Int {
            p.loopPrograms.reduce(0) { n, body in
                n + outerProductsInScans(body) + body.eqns.filter {
                    if case .dotGeneral(let d) = $0.prim { return d.lhsContract.isEmpty }
                    return false
                }.count
            }
        }
        #expect(outerProductsInScans(p) > 0, "\(name): the unsimplified VJP accumulates outer products")
        #expect(outerProductsInScans(q) == 0, "\(name): an outer product is left in a scan:\n\(q.text)")
        let k = try compileKernel(q, name: name, optimize: false)
        var rng = SeededUniform(11)
        for t in [0, 1, 7] {
            let sizes = ["t": t, "n": 3]
            let xs = p.inputs.map { rng.tensor($0.type, -1, 1, sizes: sizes) }
            let sequential = try evaluate(p, inputs: xs, sizes: sizes), hoisted = try evaluate(q, inputs: xs, sizes: sizes)
            for (a, b) in zip(sequential, hoisted) {
                for (x, y) in zip(a.doubles, b.doubles) {
                    #expect(abs(x - y) <= 1e-13 * max(1, abs(x)), "\(name) t=\(t): sequential \(x), hoisted \(y)")
                }
            }
            #expect(try k.run(inputs: xs, sizes: sizes) == hoisted, "\(name) t=\(t): jit differs from eager")
        }
    }

    /// A scan's VJP reads what its forward loop computed (LoopTransforms.swift `forwardScanWithResiduals`): the
    /// reverse loop of an RNN's gradient computes no `tanh`, it reads the forward loop's. A body whose residuals
    /// would be much larger than its carries and xs (an 80 × 80 outer product per step) is computed again instead.
    @Test func scanVJPReadsResiduals() throws {
        func reverseBodies(_ p: Program) -> [Program] {
            p.eqns.compactMap { e -> Program? in
                if case .some(.scan(let b, _, true, _, _)) = e.prim.loopSpec?.spec { return b.program }
                return nil
            }
        }
        func tanhs(_ p: Program) -> Int { p.eqns.filter { $0.prim.name == "tanh" }.count }
        let rnn = simplify(try s.entry("rnn_grad").program), wide = simplify(try s.entry("wide_grad").program)
        #expect(!reverseBodies(rnn).isEmpty && reverseBodies(rnn).allSatisfy { tanhs($0) == 0 }, "\(rnn.text)")
        #expect(reverseBodies(wide).contains { tanhs($0) == 2 }, "\(wide.text)")
    }

    /// A scan whose length is a size variable: one kernel, equal to eager at trip counts 0, 1 and 7.
    @Test func tripCounts() throws {
        let p = try s.entry("run").program
        let k = try compileKernel(p, name: "run")
        for t in [0, 1, 7] {
            let x = Tensor(.f32, shape: [t], doubles: (0..<t).map { Double($0) * 0.5 - 1 })
            let want = try evaluate(p, inputs: [x], sizes: [:]), got = try k.run(inputs: [x], sizes: [:])
            #expect(got == want, "t=\(t): \(got) vs \(want)")
            #expect(want[1].shape == [t])
        }
    }

    /// A batched while condition: each example stops at its own iteration, as if run alone.
    @Test func batchedWhileIsPerExample() throws {
        let single = try s.entry("grow_all").program, batched = try s.entry("batched_grow").program
        let xs: [Double] = [-3, 0, 1, 10, 49, 60, 2.5]
        let x = Tensor(.f32, shape: [xs.count], doubles: xs)
        let kernel = try compileKernel(batched, name: "batched_grow")
        for out in [try evaluate(batched, inputs: [x], sizes: [:]), try kernel.run(inputs: [x], sizes: [:])] {
            for (i, v) in xs.enumerated() {
                let one = try evaluate(single, inputs: [Tensor(.f32, shape: [], doubles: [v])], sizes: [:])
                #expect(out[0].element(i) == one[0].element(0) && out[1].element(i) == one[1].element(0), "example \(i)")
            }
        }
        // The examples really stop at different iterations.
        #expect(Set(try evaluate(batched, inputs: [x], sizes: [:])[1].doubles).count >= 4)
    }

    @Test func locatedErrors() throws {
        func located(_ name: String, _ message: String, line: Int) { expectLocatedError(s, name, message, line: line) }
        located("no_grad", "Reverse-mode differentiation does not work for while_loop", line: 55)
        located("bad", "the carry's type changes across an iteration: 'bad_carry' takes f32[] and returns (f32[], f32[])", line: 68)
        located("short", "xs must have the same leading axis length: got 3 and 4", line: 71)
    }

    /// The loop's C does not grow with its trip count: 10 and 1,000,000 iterations give the same text but for the bound.
    @Test func cTextIndependentOfTripCount() throws {
        let ten = try s.lower("ten").c!.replacingOccurrences(of: "ten", with: "K")
        let million = try s.lower("million").c!.replacingOccurrences(of: "million", with: "K")
        #expect(ten.count > 0 && abs(ten.count - million.count) <= 8, "\(ten.count) vs \(million.count) characters")
        #expect(ten.split(separator: "\n").count == million.split(separator: "\n").count)
        let out = try s.lower("million").kernel!.run(inputs: [Tensor(.f32, shape: [2], doubles: [0, 0])], sizes: [:])
        #expect(abs(out[0].element(0) - 1_999_996) <= 2, "x/2 + i after 1,000,000 steps is 2·10⁶ − 4: \(out[0].doubles)")
    }

    /// map(f, xs, batch_size=k) gives vmap(f)'s bits (Samples/loops.ax), eager and jit.
    @Test func chunkedMapIsVmapBitForBit() throws {
        let session = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/loops.ax").path)
        var rng = SeededUniform(3)
        let xs = rng.tensor(TensorType(.f32, [.const(10), .const(8)]), -3, 3)
        for name in ["features", "features_chunked"] {
            let l = try session.lower(name), v = try session.lower("features_vmapped")
            let a = try l.kernel!.run(inputs: [xs], sizes: [:]), b = try v.kernel!.run(inputs: [xs], sizes: ["n": 10])
            #expect(a == b, "\(name) jit")
            #expect(try evaluate(l.optimized, inputs: [xs], sizes: [:]) == evaluate(v.optimized, inputs: [xs], sizes: ["n": 10]), "\(name) eager")
        }
    }

    /// A pmap whose function scans: device kernels on threads with the loop inside, the named vmap's bits; with a
    /// collective inside the loop body the pmap runs as that vmap.
    @Test func loopsUnderPmap() throws {
        let xs = Tensor(.f32, shape: [4, 5, 3], doubles: (0..<60).map { Double($0 % 7) - 3 })
        let vmapped = try s.lower("v_loop").kernel!.run(inputs: [xs], sizes: ["n": 4])
        let map = try #require(try s.deviceMap("p_loop"))
        #expect(try DeviceRunner(map, name: "p_loop").run(inputs: [xs], sizes: ["n": 4]) == vmapped)
        #expect(try s.deviceMap("p_inner") == nil)
        #expect(try s.lower("p_inner").kernel!.run(inputs: [xs], sizes: ["n": 4]) == s.lower("v_inner").kernel!.run(inputs: [xs], sizes: ["n": 4]))
    }

    /// map with batch_size on no example and on fewer examples than one chunk (the remainder alone).
    @Test func chunkedMapEdges() throws {
        let m = try CompilerSession(file: SourceFile(path: "m.ax", text: """
        def twice(x: f32[3]) -> f32[3]:
            return x * 2.0

        def none(xs: f32[0, 3]):
            return map(twice, xs, batch_size=4)

        def short(xs: f32[3, 3]):
            return map(twice, xs, batch_size=4)
        """))
        for (name, rows) in [("none", 0), ("short", 3)] {
            let xs = Tensor(.f32, shape: [rows, 3], doubles: (0..<(rows * 3)).map(Double.init))
            let l = try m.lower(name)
            for out in [try evaluate(l.optimized, inputs: [xs], sizes: [:]), try l.kernel!.run(inputs: [xs], sizes: [:])] {
                #expect(out[0].shape == [rows, 3] && out[0].doubles == xs.doubles.map { $0 * 2 }, "\(name)")
            }
        }
    }
}

extension LoopTests {
    /// A difffuzz finding (seed 41204, `for` as scan): a carry the result does not need, whose initial value is
    /// `exp(tanh(log(0)))`, got a zero cotangent through the scan's VJP, and `0 / 0` in log's made the gradient NaN
    /// where JAX (and the unrolled loop) give 0. Loops' dead carries are now pruned (PruneLoops.swift), as JAX's DCE
    /// of scan and while does: before grad, and in simplify (the scan keeps two carries of three; a while loop keeps
    /// the carries its condition reads).
    @Test func deadCarriesLeaveTheLoop() throws {
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: """
        def step(c: (f32[4], f32, f32), x: f32):
            d, v, w = c
            return (d - 1.0, v * w, w), x

        def f(x: f32[3], w: f32) -> f32:
            dead = exp(tanh(log(mean(x) * zeros((4,)))) * 2.0)
            (_, v, _), _ = scan(step, (dead, w, w), zeros(2))
            return v * w

        def cond(s: (f32, f32, i32)) -> bool:
            return s[2] < 3
        def body(s: (f32, f32, i32)) -> (f32, f32, i32):
            return s[0] * 2.0, s[1] + s[0], s[2] + 1
        def g(x: f32) -> f32:
            a, _, _ = while_loop(cond, body, (x, x * 3.0, 0))
            return a

        df = grad(f, argnums=(0, 1))
        jf = jit(grad(f, argnums=(0, 1)))
        """))
        func carries(_ p: Program) -> [Int] {
            p.eqns.compactMap { $0.prim.loopSpec?.spec.carryCount }
        }
        let x = Tensor(.f32, shape: [3], doubles: [1, 2, 3]), w = Tensor(.f32, shape: [], doubles: [1.5])
        let df = try lower(try s.entry("df"), to: .optimized)
        let jf = try #require(try lower(try s.entry("jf"), to: .kernel).kernel)
        for out in [try evaluate(df.optimized, inputs: [x, w], sizes: [:]), try jf.run(inputs: [x, w], sizes: [:])] {
            #expect(out[0].doubles == [0, 0, 0], "\(out[0].doubles)")
            #expect(abs(out[1].doubles[0] - 4 * pow(1.5, 3)) < 1e-5, "\(out[1].doubles)")  // d/dw w^4
        }
        #expect(!carries(df.optimized).isEmpty && carries(df.optimized).allSatisfy { $0 <= 2 }, "\(df.optimized.text)")
        let g = try s.entry("g").program
        let pruned = simplify(g)
        #expect(!carries(g).isEmpty && carries(g).allSatisfy { $0 == 3 } && carries(pruned) == [2],
                "\(carries(g)) \(pruned.text)")
        for v in [0.5, -2.0] {
            let a = Tensor(.f32, shape: [], doubles: [v])
            #expect(try evaluate(pruned, inputs: [a], sizes: [:]) == evaluate(g, inputs: [a], sizes: [:]))
            #expect(try evaluate(pruned, inputs: [a], sizes: [:])[0].doubles == [v * 8])
        }
    }
}
