// Tests of pmap, vmap(axis_name=) and the collectives psum, pmean, pmax, pmin, axis_index: their batching rules
// against hand-computed reductions, eager against jit, their VJP/JVP, and the located errors. (JAX's own numbers
// for Samples/pmap.ax are in the conformance data.)
import Foundation
import Testing
@testable import AxCore

@Suite struct CollectivesTests {
    let source = """
    def normalize(x: f32[3]) -> f32[3]:
        return x / psum(x, 'i')

    def stats(x: f32[3]) -> f32[3]:
        return pmean(x, 'i') + pmax(x, 'i') * 10.0 + pmin(x, 'i') * 100.0 + f32(axis_index('i')) * 1000.0

    def scaled(x: f32[3], c: f32) -> f32[3]:
        return x * psum(c, 'i')

    def both(x: f32[3]) -> f32[3]:
        return x / psum(x, ('i', 'j'))

    def inner(xs: f32[2, 3]) -> f32[2, 3]:
        return vmap(both, axis_name='j')(xs)

    def sq(x: f32[3]) -> f32:
        return sum(normalize(x) ** 2)

    def peak(x: f32[3]) -> f32:
        return sum(pmax(x, 'i'))

    pn = pmap(normalize, axis_name='i')
    jn = jit(vmap(normalize, axis_name='i'))
    ps = pmap(stats, axis_name='i')
    js = jit(pmap(stats, axis_name='i'))
    pc = pmap(scaled, axis_name='i', in_axes=(0, None))
    nest = jit(pmap(inner, axis_name='i'))
    pg = pmap(grad(sq), axis_name='i')
    fwd = jit(pmap(jvp(normalize), axis_name='i'))
    unbound = jit(normalize)
    wrong_name = pmap(normalize, axis_name='k')
    no_grad = pmap(grad(peak), axis_name='i')
    """
    let x = Tensor(.f32, shape: [4, 3], doubles: [1, 2, 3, 4, 5, 6, -1, 0.5, 2, 7, 1, 1])

    func run(_ s: CompilerSession, _ name: String, _ inputs: [Tensor]) throws -> [Tensor] {
        let e = try s.entry(name)
        let low = try lower(e, to: e.jit ? .kernel : .optimized)
        if let k = low.kernel { return try k.run(inputs: inputs, sizes: [:]) }
        return try evaluate(low.optimized, inputs: inputs, sizes: [:])
    }

    @Test func reductionsAlongTheMappedAxis() throws {
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: source))
        let xs = x.doubles
        func col(_ j: Int) -> [Double] { (0..<4).map { xs[$0 * 3 + j] } }
        // psum: each example divided by its column's total; the jit and eager runs agree.
        let want = (0..<12).map { xs[$0] / col($0 % 3).reduce(0, +) }
        for name in ["pn", "jn"] {
            let got: [Double] = try run(s, name, [x])[0].doubles
            for (a, b) in zip(got, want) { #expect(abs(a - b) <= 1e-6 * max(1.0, abs(b)), "\(name): \(got)") }
        }
        // pmean, pmax, pmin and axis_index.
        let stats = (0..<12).map { i -> Double in
            let c = col(i % 3)
            return c.reduce(0, +) / 4 + c.max()! * 10 + c.min()! * 100 + Double(i / 3) * 1000
        }
        let eager = try run(s, "ps", [x])[0].doubles, jit = try run(s, "js", [x])[0].doubles
        #expect(eager == jit)
        for (a, b) in zip(eager, stats) { #expect(abs(a - b) <= 1e-4 * max(1.0, abs(b)), "\(eager)") }
        // psum of a value that is not mapped: the mapped size times it.
        let c = Tensor(.f32, shape: [], doubles: [1.5])
        #expect(try run(s, "pc", [x, c])[0].doubles == xs.map { Double(Float($0) * Float(6)) })
        // Nested maps: psum over both names sums every element of the 4 x 2 x 3 block per position.
        let y = Tensor(.f32, shape: [4, 2, 3], doubles: (0..<24).map { Double($0 % 7) + 1 })
        let ny = try run(s, "nest", [y])[0].doubles, yd = y.doubles
        for i in 0..<24 {
            let total = (0..<8).map { yd[$0 * 3 + i % 3] }.reduce(0, +)
            #expect(abs(ny[i] - yd[i] / total) <= 1e-6, "nest[\(i)]")
        }
    }

    @Test func differentiation() throws {
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: source))
        // grad through psum: psum's transpose is psum. Checked against central differences of the whole pmapped sum.
        let g = try run(s, "pg", [x])[0].doubles
        func total(_ v: [Double]) -> Double {
            var t = 0.0
            for r in 0..<4 { for j in 0..<3 { let c = (0..<4).map { v[$0 * 3 + j] }.reduce(0, +); t += pow(v[r * 3 + j] / c, 2) } }
            return t
        }
        for i in 0..<12 {
            var p = x.doubles, m = x.doubles
            p[i] += 1e-4; m[i] -= 1e-4
            let fd = (total(p) - total(m)) / 2e-4
            #expect(abs(g[i] - fd) <= 1e-3 * max(1, abs(fd)), "grad[\(i)] = \(g[i]), fd \(fd)")
        }
        // jvp through psum: the tangent of x / psum(x) along t.
        let t = Tensor(.f32, shape: [4, 3], doubles: (0..<12).map { Double($0 % 5) - 2 })
        let out = try run(s, "fwd", [x, t])
        let xd = x.doubles, td = t.doubles
        for i in 0..<12 {
            let sx = (0..<4).map { xd[$0 * 3 + i % 3] }.reduce(0, +), st = (0..<4).map { td[$0 * 3 + i % 3] }.reduce(0, +)
            let want = (td[i] * sx - xd[i] * st) / (sx * sx)
            #expect(abs(out[1].doubles[i] - want) <= 1e-5 * max(1, abs(want)), "tangent[\(i)]")
        }
    }

    @Test func locatedErrors() throws {
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: source))
        func located(_ name: String, _ message: String, line: Int) { expectLocatedError(s, name, message, line: line) }
        located("unbound", "psum: axis name 'i' is not bound by any enclosing vmap or pmap", line: 2)
        located("wrong_name", "psum: axis name 'i' is not bound", line: 2)
        located("no_grad", "pmax is not differentiable", line: 32)
        #expect(try !s.entry("normalize").isRunnable)
        // SPEC's positional order: vmap(f, in_axes, out_axes, axis_size); axis_name only by keyword after it.
        let v = try CompilerSession(file: SourceFile(path: "v.ax", text: "def id(x: f32[3]) -> f32[3]:\n    return x\n\nv = vmap(id, 0, 0, 2)\n"))
        #expect(try v.entry("v").program.inputs[0].type == TensorType(.f32, [.const(2), .const(3)]))
        #expect(try s.entry("pn").isRunnable)
    }
}
