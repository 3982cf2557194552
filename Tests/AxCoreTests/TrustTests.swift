// Regressions of issue 10 ("a jit you can trust"): each reproducer and its variants gives JAX's answer in eager
// and jit mode alike — fusion order, dangling gradient terms, broadcasts of literals, long and shared chains.
// Expected numbers were computed with JAX 0.10.2 on CPU.
import Foundation
import Testing
@testable import AxCore

/// Runs entry `name` of `src` eagerly and, when the entry is jitted, compiled; returns both results
/// (the same array twice for an entry that is not jitted). Inputs: `args` by leaf name, the rest random.
private func runBoth(_ src: String, _ name: String, args: [String: Tensor] = [:], sizes: [String: Int] = [:]) throws
    -> (eager: [Tensor], jit: [Tensor]) {
    let s = try CompilerSession(file: SourceFile(path: "trust.ax", text: src))
    let e = try s.entry(name)
    var sizes = sizes  // size variables fixed by the given arrays
    for (v, leaf) in zip(e.program.inputs, e.program.inputLeafNames) {
        guard let t = args[leaf] else { continue }
        for (d, k) in zip(v.type.shape, t.shape) { if let n = d.symName { sizes[n] = k } }
    }
    var (inputs, bound) = try bindInputs(e.program, args: [:], sizes: sizes, seed: 0)
    for (k, leaf) in e.program.inputLeafNames.enumerated() { if let t = args[leaf] { inputs[k] = t } }
    let eager = try evaluate(e.program, inputs: inputs, sizes: bound)
    guard e.jit else { return (eager, eager) }
    let k = try compileKernel(e.program, name: name)
    return (eager, try k.run(inputs: inputs, sizes: bound))
}

/// Checks both modes against `expected` (f32 tolerance).
private func expectBoth(_ r: (eager: [Tensor], jit: [Tensor]), _ expected: [[Double]], _ what: String) {
    for (mode, outs) in [("eager", r.eager), ("jit", r.jit)] {
        #expect(outs.map(\.doubles).count == expected.count, "\(what) \(mode)")
        for (got, want) in zip(outs.map(\.doubles), expected) {
            #expect(close(got, want, rtol: 1e-5, atol: 1e-5), "\(what) \(mode): \(got) != \(want)")
        }
    }
}

private func vector(_ xs: [Double], _ t: DType = .f32) -> Tensor { Tensor(t, shape: [xs.count], doubles: xs) }

@Suite("Trust")
struct TrustTests {
    // MARK: 1. sibling sums fused in an order that reads a result before it is written

    @Test(arguments: [
        // The reproducer: {c, j} and {f, g} are sibling candidates; j needs g and f needs c.
        "c = sum(a[:, None], axis=1)\n    f = sum(c[:, None] * ones((2,)), axis=1)\n    g = sum(a[:, None] * ones((2,)), axis=1)\n    j = sum(g[:, None], axis=1)\n    return f + j",
        // The same with the statements swapped.
        "g = sum(a[:, None] * ones((2,)), axis=1)\n    j = sum(g[:, None], axis=1)\n    c = sum(a[:, None], axis=1)\n    f = sum(c[:, None] * ones((2,)), axis=1)\n    return f + j",
        // Three levels of sums over [n, 2] rows, interleaved.
        "p = sum(a[:, None] * ones((2,)), axis=1)\n    q = sum(p[:, None] * ones((2,)), axis=1)\n    r = sum(a[:, None] * ones((2,)) * 2.0, axis=1)\n    s = sum(q[:, None] * ones((2,)), axis=1) / 2.0\n    return (r + s) / 2.0",
    ])
    func siblingSumsRunAfterWhatTheyRead(_ body: String) throws {
        let src = "def h(a: f32[n]) -> f32[n]:\n    \(body)\n\ne = jit(h)\n"
        let a: [Double] = [1, 2, 3, 4, 5]
        let r = try runBoth(src, "e", args: ["a": vector(a)])
        expectBoth(r, [a.map { 4 * $0 }], body)
    }

    // MARK: 2. grad leaving undefined variables (right-nested contractions)

    @Test func gradOfRightNestedContraction() throws {
        let src = """
        def f(a: f32[3, 3], b: f32[3, 3], x: f32[3, 3]) -> f32:
            return sum(a @ (b @ x))
        g = grad(f, argnums=2)
        jg = jit(grad(f, argnums=2))
        all = jit(grad(f, argnums=(0, 1, 2)))

        """
        let a = Tensor(.f32, shape: [3, 3], doubles: (0..<9).map { Double($0) / 4 })
        let b = Tensor(.f32, shape: [3, 3], doubles: (0..<9).map { (Double($0) - 4) / 2 })
        let x = Tensor(.f32, shape: [3, 3], doubles: Array(repeating: 1, count: 9))
        let want = [-2.25, -2.25, -2.25, 2.25, 2.25, 2.25, 6.75, 6.75, 6.75]
        for name in ["g", "jg"] { expectBoth(try runBoth(src, name, args: ["a": a, "b": b, "x": x]), [want], name) }
        let all = try runBoth(src, "all", args: ["a": a, "b": b, "x": x])
        #expect(all.eager.count == 3 && all.jit.count == 3)
        if all.jit.count == 3 { #expect(close(all.jit[2].doubles, want) && close(all.eager[2].doubles, want)) }
    }

    @Test func secondDerivativeKeepsEveryTerm() throws {
        let src = """
        def k(x: f32, c: f32[3, 1]) -> f32:
            return sum(broadcast_to(x, (1, 3)) @ (broadcast_to(x, (3, 1)) * c))
        gg = grad(grad(k))
        jgg = jit(grad(grad(k)))

        """
        let c = Tensor(.f32, shape: [3, 1], doubles: [1, 2, 3])
        for name in ["gg", "jgg"] {
            expectBoth(try runBoth(src, name, args: ["x": Tensor(scalar: 2, .f32), "c": c]), [[12]], name)
        }
    }

    @Test func transformedProgramsAreVerified() throws {
        // Every transform's output passes the verifier, for the nested-contraction family in every argnums.
        for argnums in ["0", "1", "2", "(0, 2)"] {
            let src = "def f(a: f32[2, 3], b: f32[3, 4], x: f32[4, 2]) -> f32:\n    return sum(a @ (b @ x) * 2.0) + sum((a @ b) @ x)\n\ng = jit(grad(f, argnums=\(argnums)))\n"
            let s = try CompilerSession(file: SourceFile(path: "v.ax", text: src))
            try s.entry("g").program.verify()
            let r = try runBoth(src, "g")
            #expect(zip(r.eager, r.jit).allSatisfy { close($0.doubles, $1.doubles, rtol: 1e-4, atol: 1e-4) }, "argnums=\(argnums)")
        }
    }

    // MARK: 3. broadcast_to of a literal

    @Test(arguments: [
        ("sum(broadcast_to(1.0, (5,)))", 5.0),
        ("sum(broadcast_to(f32(1), (4,)))", 4.0),
        ("sum(broadcast_to(o, (2, 3)))", 6.0),
        ("sum(broadcast_to(2.0, (3,)) * x)", 6.0),
        ("mean(broadcast_to(1.5, (7,)))", 1.5),
    ])
    func broadcastOfALiteralHasTheShape(_ expr: String, _ want: Double) throws {
        let src = "def f(x: f32) -> f32:\n    o = 1.0\n    return \(expr)\n\nj = jit(f)\nv = jit(vmap(f))\n"
        for name in ["f", "j"] { expectBoth(try runBoth(src, name, args: ["x": Tensor(scalar: 1, .f32)]), [[want]], expr) }
        expectBoth(try runBoth(src, "v", args: ["x": vector([1, 1, 1])]), [[want, want, want]], "vmap " + expr)
    }

    // MARK: 4, 5. long chains and chains whose values are read several times

    @Test func longChainsCompileAndAgree() throws {
        // 5,000 steps used to crash the C emitter (recursion) and 1 KiB of kernel stack per step.
        let src = "def f(x: f32[k]) -> f32[k]:\n    for i in range(5000):\n        x = x * 0.999 + 0.001\n    return x\n\nj = jit(vmap(f))\n"
        let x = Tensor(.f32, shape: [3, 4], doubles: (0..<12).map { Double($0) })
        let r = try runBoth(src, "j", args: ["x": x])
        #expect(close(r.jit[0].doubles, r.eager[0].doubles, rtol: 1e-4, atol: 1e-5))
        // x_k = 1 + (x_0 - 1) * 0.999^k
        let want = x.doubles.map { 1 + ($0 - 1) * pow(0.999, 5000) }
        #expect(close(r.jit[0].doubles, want, rtol: 1e-3, atol: 1e-4))
    }

    @Test func sharedChainsCompileAndAgree() throws {
        // Each Newton step reads x twice; 40 steps were 2^40 walks of the tile emitter's predicates.
        let src = """
        def newton(a: f32) -> f32:
            x = a
            for i in range(40):
                x = 0.5 * (x + a / x)
            return x
        j = jit(vmap(newton))
        jg = jit(vmap(grad(newton)))

        """
        let a = vector([0.5, 2, 9, 100, 1e4])
        let r = try runBoth(src, "j", args: ["a": a])
        expectBoth(r, [a.doubles.map { $0.squareRoot() }], "newton")
        let g = try runBoth(src, "jg", args: ["a": a])
        expectBoth(g, [a.doubles.map { 0.5 / $0.squareRoot() }], "grad newton")
    }

    @Test func chainsOfRemapsAreNotDuplicatedExponentially() throws {
        // A slice of a concatenation of the same value reads it twice per step: inlined every time, 30 steps
        // generated 2^30 copies of the first step's code (compile time exponential in the loop length).
        let src = """
        def g(x: f32[4]) -> f32[4]:
            for i in range(30):
                y = concatenate([x, x])
                x = y[1:5] * 0.5 + y[3:7]
            return x
        j = jit(vmap(g))

        """
        let r = try runBoth(src, "j", sizes: ["n": 5])
        #expect(close(r.jit[0].doubles, r.eager[0].doubles, rtol: 1e-5, atol: 1e-5))
    }

    @Test func deepChainsOfTilesAndScalarsAgree() throws {
        // Transcendental chains (tiled) and integer chains (scalar C) longer than the inline depth.
        let src = """
        def f(x: f32[k], i: i32[k]) -> (f32[k], i32[k]):
            for t in range(300):
                x = tanh(x) * 0.9 + 0.05 * sin(x)
                i = i * 3 + 1
            return x, i
        j = jit(vmap(f))

        """
        let r = try runBoth(src, "j", sizes: ["n": 3, "k": 700])
        #expect(close(r.jit[0].doubles, r.eager[0].doubles, rtol: 1e-5, atol: 1e-6))
        #expect(r.jit[1].doubles == r.eager[1].doubles)
    }

    // MARK: 9. standalone C clean under -Wall -Wextra -pedantic -Werror

    @Test func standaloneCOfUniformReductionsIsWarningFree() throws {
        // A reduction of a broadcast scalar reads no index: its index temporaries were unused variables.
        let src = """
        def a(p: f32) -> f32:
            return max(broadcast_to(p, (4, 4)))
        def b(p: f32[3]) -> f32:
            return min(broadcast_to(p, (4, 3))) + sum(broadcast_to(p * 2.0, (5, 3)))
        def c(p: f32) -> f32[16]:
            return reshape(broadcast_to(p, (4, 4)), (16,)) * 2.0
        def d(p: f32) -> f32[3]:
            return max(reshape(broadcast_to(p, (2, 6)), (3, 4)), axis=1)

        """
        let s = try CompilerSession(file: SourceFile(path: "w.ax", text: src))
        let (c, h) = try s.standalone(["a", "b", "c", "d"], sourceHash: "test", headerName: "w.h")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-trust-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try c.write(to: dir.appendingPathComponent("w.c"), atomically: true, encoding: .utf8)
        try h.write(to: dir.appendingPathComponent("w.h"), atomically: true, encoding: .utf8)
        for compiler in ["cc", "clang"] {
            guard let cc = findTool([compiler]) else { continue }
            let (rc, out) = try runProcess(cc, ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2", "-c",
                                                dir.appendingPathComponent("w.c").path, "-o", dir.appendingPathComponent("w.o").path])
            #expect(rc == 0, "\(compiler):\n\(out)")
        }
    }

    // MARK: differential-fuzzer findings (scripts/difffuzz.py), reduced

    @Test func fuzzerFindingsGiveJAXsAnswers() throws {
        let src = """
        def pow0(x: f32[3]) -> f32:
            return mean(x ** 0)
        def neg_pow0(x: f32) -> f32:
            return -(x ** 0)
        neg_pow0v = vmap(neg_pow0)
        def cast_index(x: f32[2, 4]) -> (f32[4], f32[4]):
            return x[i32(3)], x[i32(-3)]
        def literal_where(b: f32[3, 3]) -> f32[3]:
            v = where(bool(0), full((3, 5), 0.5), 0.25)
            return v[:, 0]
        def new_axis_of_scalar(y: f32[4]) -> f32[1]:
            return sum(y)[None]
        def outer_of_reductions(x: f32[2, 4, 4]) -> f32:
            return mean(ones((2, 4, 2)) @ outer(min(x, axis=(-2, 2)), max(x) + zeros((4,))))
        jpow0 = jit(pow0)
        jneg_pow0v = jit(vmap(neg_pow0))
        jcast_index = jit(cast_index)
        jliteral_where = jit(literal_where)
        jnew_axis_of_scalar = jit(new_axis_of_scalar)
        g = grad(outer_of_reductions)
        jg = jit(grad(outer_of_reductions))

        """
        let x24 = Tensor(.f32, shape: [2, 4], doubles: (0..<8).map(Double.init))
        let x244 = Tensor(.f32, shape: [2, 4, 4], doubles: (0..<32).map { (Double($0) - 10) / 7 })
        var gradWant = Array(repeating: 0.0, count: 32)
        gradWant[0] = 3.000000238418579; gradWant[16] = 3.000000238418579; gradWant[31] = -0.5714285373687744
        let cases: [(String, [String: Tensor], [[Double]])] = [
            ("pow0", ["x": vector([1, 2, 0])], [[1]]),  // jit summed the constant 1 through one element of a tile
            // A unary step read past the constant 1 (a tile's worth of stack).
            ("neg_pow0v", ["x": vector((0..<300).map(Double.init))], [Array(repeating: -1, count: 300)]),
            ("cast_index", ["x": x24], [[4, 5, 6, 7], [0, 1, 2, 3]]),  // i32 values clamp like traced indices
            ("literal_where", [:], [[0.25, 0.25, 0.25]]),  // a known condition still broadcasts
            ("new_axis_of_scalar", ["y": vector([1, 2, 3, 4])], [[10]]),
            ("g", ["x": x244], [gradWant]),  // used a variable removed by a contraction rewrite
        ]
        for (name, args, want) in cases {
            expectBoth(try runBoth(src, name, args: args), want, name)
            if name != "g" { expectBoth(try runBoth(src, "j" + name, args: args), want, "j" + name) }
        }
        expectBoth(try runBoth(src, "jg", args: ["x": x244]), [gradWant], "jg")
    }
}
