// Tests of elaboration (AST to typed IR): program goldens, control flow, inlining, transforms as values,
// vmap size naming, diagnostics goldens, and numeric checks of elaborated programs with the interpreter.
import Foundation
import Testing
@testable import AxCore

private func module(_ src: String) throws -> Module { try parseModule(SourceFile(path: "t.ax", text: src)) }

/// The entry `name` of `src`, its program verified.
private func entry(_ src: String, _ name: String) throws -> Entry {
    let e = try elaborateEntry(module(src), name: name)
    try e.program.verify()
    return e
}

private func ir(_ src: String, _ name: String) throws -> String { try entry(src, name).program.text }

/// The rendered diagnostic of elaborating `name` (or every entry), or "no error".
private func diagnostic(_ src: String, _ name: String?) -> String {
    let file = SourceFile(path: "t.ax", text: src)
    do {
        let m = try parseModule(file)
        if let name { _ = try elaborateEntry(m, name: name) } else { _ = try elaborateAll(m) }
        return "no error"
    } catch let d as Diagnostic { return file.render(d) } catch { return "\(error)" }
}

private func f32(_ xs: [Double], _ shape: [Int]? = nil) -> Tensor { Tensor(.f32, shape: shape ?? [xs.count], doubles: xs) }
private func scalar(_ x: Double) -> Tensor { Tensor(scalar: x, .f32) }

private func close(_ a: [Double], _ b: [Double], tol: Double = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * (1 + abs($1)) }
}

private let linear = """
def predict(params: (f32, f32), x: f32) -> f32:
    w, b = params
    return w * x + b

def squared_error(params: (f32, f32), x: f32, y: f32) -> f32:
    return (predict(params, x) - y) ** 2

def mse(params: (f32, f32), xs: f32[n], ys: f32[n]) -> f32:
    preds = vmap(predict, in_axes=(None, 0))(params, xs)
    return sum((preds - ys) ** 2)

per_example_grads = jit(vmap(grad(squared_error),
                             in_axes=(None, 0, 0)))   # comment
mean_grad = jit(grad(mse))
batched_predict = vmap(predict, in_axes=(None, 0))
"""

@Suite struct ElaborateTests {
    // MARK: Program goldens

    @Test func predictAndSquaredError() throws {
        #expect(try ir(linear, "predict") == """
        { lambda ; a:f32[] b:f32[] c:f32[]. let
            d:f32[] = mul a c
            e:f32[] = add d b
          in (e,) }

        """)
        #expect(try ir(linear, "squared_error") == """
        { lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let
            e:f32[] = mul a c
            f:f32[] = add e b
            g:f32[] = sub f d
            h:f32[] = integer_pow[y=2] g
          in (h,) }

        """)
        let p = try entry(linear, "predict").program
        #expect(p.params.map(\.name) == ["params", "x"])
        #expect(p.params[0].tree == .tuple([.leaf, .leaf]))
        #expect(p.inputLeafNames == ["params.0", "params.1", "x"])
    }

    @Test func entriesChainsAndJit() throws {
        let m = try module(linear)
        #expect(entryNames(m) == ["predict", "squared_error", "mse", "per_example_grads", "mean_grad", "batched_predict"])
        let all = try elaborateAll(m)
        #expect(all.map(\.chain) == ["predict", "squared_error", "mse",
                                     "jit(vmap(grad(squared_error), in_axes=(None, 0, 0)))",
                                     "jit(grad(mse))", "vmap(predict, in_axes=(None, 0))"])
        #expect(all.map(\.jit) == [false, false, false, true, true, false])
        #expect(all[3].program.name == "per_example_grads")
        #expect(all[3].program.origin == "jit(vmap(grad(squared_error), in_axes=(None, 0, 0)))")
        for e in all { try e.program.verify() }
    }

    @Test func innerJitCompilesTheWholeChainAndListsAreTuples() throws {
        let src = "def f(x: f32[3], y: f32[2]) -> f32[5]:\n    return concatenate([x, y], axis=0)\n\n" +
            "a = vmap(jit(f))\nb = vmap(f)\n"
        let m = try module(src)
        let all = try elaborateAll(m)
        #expect(all.map(\.jit) == [false, true, false])
        #expect(all[1].program.outputs.map(\.type.description) == ["f32[n,5]"])
    }

    @Test func vmapInsideDefUsesCallersSize() throws {
        // The vmap in `mse` gets its own size name, unified with the caller's `n`.
        #expect(try ir(linear, "mse") == """
        { lambda ; a:f32[] b:f32[] c:f32[n] d:f32[n]. let
            e:f32[n] = broadcast_in_dim[shape=(n,) broadcast_dimensions=()] a
            f:f32[n] = mul e c
            g:f32[n] = broadcast_in_dim[shape=(n,) broadcast_dimensions=()] b
            h:f32[n] = add f g
            i:f32[n] = sub h d
            j:f32[n] = integer_pow[y=2] i
            k:f32[] = reduce_sum[axes=(0,)] j
          in (k,) }

        """)
    }

    @Test func vmapSizeNames() throws {
        let src = """
        def h(x: f32[n]) -> f32:
            return sum(x)
        def k(x: f32) -> f32:
            return x * 2
        g = vmap(h)
        g2 = jit(vmap(vmap(k)))
        g3 = vmap(vmap(h, in_axes=0), in_axes=1)
        """
        #expect(try entry(src, "g").program.inputs.map(\.type.description) == ["f32[n1,n]"])
        #expect(try entry(src, "g2").program.inputs.map(\.type.description) == ["f32[n,n1]"])
        // Outermost vmap first: the outer maps axis 1 (named n1), the inner axis 0 (named n2).
        #expect(try entry(src, "g3").program.inputs.map(\.type.description) == ["f32[n2,n1,n]"])
    }

    // MARK: Control flow

    @Test func staticIfElifFolds() throws {
        #expect(try ir("""
        def f(x: f32) -> f32:
            if 1 > 2:
                y = x * x
            elif True:
                y = x + 1
            else:
                y = undefined_name
            return y
        """, "f") == """
        { lambda ; a:f32[]. let
            b:f32[] = add a 1.0:f32[]
          in (b,) }

        """)
    }

    @Test func dynamicIfSelects() throws {
        let src = """
        def f(x: f32, z: f32) -> f32:
            if x > 0.0:
                y = x * z
                only_here = 1
            else:
                y = x - z
            return y * 2
        """
        #expect(try ir(src, "f") == """
        { lambda ; a:f32[] b:f32[]. let
            c:bool[] = gt a 0.0:f32[]
            d:f32[] = mul a b
            e:f32[] = sub a b
            f:f32[] = select_n c e d
            g:f32[] = mul f 2.0:f32[]
          in (g,) }

        """)
        let p = try entry(src, "f").program
        #expect(try evaluate(p, inputs: [scalar(1), scalar(3)], sizes: [:])[0].doubles == [6])
        #expect(try evaluate(p, inputs: [scalar(-1), scalar(3)], sizes: [:])[0].doubles == [-8])
    }

    @Test func returnInsideIfElse() throws {
        let src = """
        def f(x: f32, z: f32) -> (f32, f32):
            if x > z:
                return x, z
            elif x == z:
                return 0.0, 0.0
            else:
                return z, 1.0
        """
        let p = try entry(src, "f").program
        #expect(p.outTree == .tuple([.leaf, .leaf]))
        #expect(try evaluate(p, inputs: [scalar(5), scalar(3)], sizes: [:]).map(\.doubles) == [[5], [3]])
        #expect(try evaluate(p, inputs: [scalar(3), scalar(3)], sizes: [:]).map(\.doubles) == [[0], [0]])
        #expect(try evaluate(p, inputs: [scalar(2), scalar(3)], sizes: [:]).map(\.doubles) == [[3], [1]])
    }

    @Test func forLoopUnrolls() throws {
        let src = """
        def f(x: f32) -> f32:
            acc = x
            for i in range(3):
                acc = acc * x + i
            return acc
        """
        #expect(try ir(src, "f") == """
        { lambda ; a:f32[]. let
            b:f32[] = mul a a
            c:f32[] = add b 0.0:f32[]
            d:f32[] = mul c a
            e:f32[] = add d 1.0:f32[]
            f:f32[] = mul e a
            g:f32[] = add f 2.0:f32[]
          in (g,) }

        """)
        #expect(try evaluate(entry(src, "f").program, inputs: [scalar(2)], sizes: [:])[0].doubles == [20])
    }

    // MARK: Inlining, unpacking, keywords

    @Test func defInliningWithSizeVariables() throws {
        #expect(try ir("""
        def dot1(a: f32[n], b: f32[n]) -> f32:
            return sum(a * b)
        def g(x: f32[3], y: f32[3], z: f32[m]) -> f32:
            return dot1(x, y) + dot1(b=z, a=z)
        """, "g") == """
        { lambda ; a:f32[3] b:f32[3] c:f32[m]. let
            d:f32[3] = mul a b
            e:f32[] = reduce_sum[axes=(0,)] d
            f:f32[m] = mul c c
            g:f32[] = reduce_sum[axes=(0,)] f
            h:f32[] = add e g
          in (h,) }

        """)
    }

    @Test func nestedTupleUnpacking() throws {
        let p = try entry("""
        def f(p: ((f32, f32[2]), f32)) -> (f32, f32[2]):
            (a, b), c = p
            return a * c, b
        """, "f").program
        #expect(p.text == """
        { lambda ; a:f32[] b:f32[2] c:f32[]. let
            d:f32[] = mul a c
          in (d, b) }

        """)
        #expect(p.params[0].tree == .tuple([.tuple([.leaf, .leaf]), .leaf]))
    }

    @Test func weakLiteralsMaterializeAtBoundaries() throws {
        let src = """
        def two() -> f64:
            return 2
        def scale(x: f64, k: f64) -> f64:
            return x * k
        def f(x: f64) -> (f64, f64):
            return scale(x, 3), two()
        """
        #expect(try ir(src, "f") == """
        { lambda ; a:f64[]. let
            b:f64[] = mul a 3.0:f64[]
          in (b, 2.0:f64[]) }

        """)
    }

    @Test func transformedFunctionsAsValues() throws {
        // A binding used in a def, and a transform bound to a local name.
        let src = linear + """

        def uses(params: (f32, f32), xs: f32[k]) -> f32[k]:
            f = batched_predict
            return f(params, xs) + vmap(predict, (None, 0))(params, xs)
        """
        let p = try entry(src, "uses").program
        #expect(p.inputs.map(\.type.description) == ["f32[]", "f32[]", "f32[k]"])
        let out = try evaluate(p, inputs: [scalar(2), scalar(1), f32([1, 2, 3])], sizes: [:])
        #expect(out[0].doubles == [6, 10, 14])
    }

    // MARK: Numbers through transforms

    @Test func perExampleGradsNumbers() throws {
        let p = try entry(linear, "per_example_grads").program
        #expect(p.inputs.map(\.type.description) == ["f32[]", "f32[]", "f32[n]", "f32[n]"])
        let (w, b) = (0.5, -1.0), xs = [1.0, 2.0, 3.0], ys = [0.0, 1.0, 5.0]
        let out = try evaluate(p, inputs: [scalar(w), scalar(b), f32(xs), f32(ys)], sizes: [:])
        let r = zip(xs, ys).map { w * $0 + b - $1 }
        #expect(close(out[0].doubles, zip(r, xs).map { 2 * $0 * $1 }))
        #expect(close(out[1].doubles, r.map { 2 * $0 }))
    }

    @Test func meanGradNumbers() throws {
        let p = try entry(linear, "mean_grad").program
        let (w, b) = (0.5, -1.0), xs = [1.0, 2.0, 3.0, 4.0], ys = [0.0, 1.0, 5.0, -2.0]
        let out = try evaluate(p, inputs: [scalar(w), scalar(b), f32(xs), f32(ys)], sizes: [:])
        let r = zip(xs, ys).map { w * $0 + b - $1 }
        #expect(close(out[0].doubles, [zip(r, xs).map { 2 * $0 * $1 }.reduce(0, +)]))
        #expect(close(out[1].doubles, [r.map { 2 * $0 }.reduce(0, +)]))
    }

    // MARK: Samples

    private static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Samples")

    private func sample(_ name: String) throws -> Module {
        let url = Self.samples.appendingPathComponent(name)
        return try parseModule(SourceFile(path: name, text: try String(contentsOf: url, encoding: .utf8)))
    }

    @Test func everySampleEntryElaborates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.samples.path).filter { $0.hasSuffix(".ax") }
        #expect(files.count >= 5)
        for f in files {
            let m = try sample(f)
            let entries = try elaborateAll(m)
            #expect(entries.map(\.name) == entryNames(m))
            for e in entries { try e.program.verify() }
        }
    }

    @Test func neuronManualAndBatchedNeuronAgree() throws {
        let m = try sample("neuron.ax")
        let manual = try elaborateEntry(m, name: "neuron_manual").program
        #expect(manual.text == """
        { lambda ; a:f32[n,5] b:f32[5,3] c:f32[3]. let
            d:f32[n,3] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] a b
            e:f32[n,3] = broadcast_in_dim[shape=(n, 3) broadcast_dimensions=(1,)] c
            f:f32[n,3] = add d e
            g:f32[n,3] = tanh f
            h:f32[n] = reduce_sum[axes=(1,)] g
          in (h,) }

        """)
        let batched = try elaborateEntry(m, name: "batched")
        #expect(batched.jit && batched.chain == "jit(vmap(neuron, in_axes=(0, None, None)))")
        #expect(batched.program.inputs.map(\.type.description) == ["f32[n,5]", "f32[5,3]", "f32[3]"])
        func values(_ k: Int, _ seed: Double) -> [Double] { (0..<k).map { sin(Double($0) * 1.7 + seed) } }
        let inputs = [f32(values(20, 0.3), [4, 5]), f32(values(15, 1.1), [5, 3]), f32(values(3, 2.0))]
        let a = try evaluate(manual, inputs: inputs, sizes: [:])[0].doubles
        let b = try evaluate(batched.program, inputs: inputs, sizes: [:])[0].doubles
        #expect(a.count == 4 && close(a, b))
    }

    @Test func batchedConditionSelectsElementwise() throws {
        let p = try entry("""
        def f(x: f32, y: f32) -> f32:
            if x > y:
                z = x - y
            else:
                z = 2 * (y - x)
            return z
        g = vmap(f, in_axes=(0, None))
        """, "g").program
        let out = try evaluate(p, inputs: [f32([1, 5, -2]), scalar(2)], sizes: [:])[0].doubles
        #expect(out == [2, 3, 8])
    }

    @Test func loopIndexIsAStaticInt() throws {
        let p = try entry("""
        def f(x: f32[4]) -> f32:
            acc = 0.0
            for i in range(4):
                acc = acc + x[i] * i + x[-1 - i]
            return acc
        """, "f").program
        // sum(x[i] * i) + sum(x) = (0 + 20 + 60 + 120) + 100
        #expect(try evaluate(p, inputs: [f32([10, 20, 30, 40])], sizes: [:])[0].doubles == [300])
    }

    @Test func deepCallChainsAreRejectedNotCrashing() throws {
        var src = ""
        for k in 0..<300 { src += "def f\(k)(x: f32) -> f32:\n    return f\(k + 1)(x) + 1\n" }
        src += "def f300(x: f32) -> f32:\n    return x\n"
        #expect(diagnostic(src, "f0").contains("error: calls are nested too deeply (more than 200 levels)"))
        #expect(try evaluate(entry(src, "f150").program, inputs: [scalar(1)], sizes: [:])[0].doubles == [151])
    }

    // MARK: Diagnostics

    @Test(arguments: diagnosticCases)
    func diagnostics(_ c: DiagnosticCase) {
        #expect(diagnostic(c.source, c.entry) == c.expected, "\(c.label)")
    }
}

struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    var label: String, source: String, entry: String?, expected: String
    var testDescription: String { label }
}

private let diagnosticCases: [DiagnosticCase] = [
    DiagnosticCase(label: "undefined name", source: """
    def f(x: f32) -> f32:
        return x + y
    """, entry: "f", expected: """
    t.ax:2:16: error: undefined name 'y'
        return x + y
                   ^

    """),
    DiagnosticCase(label: "unpack arity", source: """
    def f(p: (f32, f32, f32)) -> f32:
        a, b = p
        return a
    """, entry: "f", expected: """
    t.ax:2:5: error: cannot unpack (f32[], f32[], f32[]) into 2 names
        a, b = p
        ^~~~

    """),
    DiagnosticCase(label: "argument type", source: """
    def g(v: f32[4]) -> f32:
        return sum(v)
    def f(x: f32[3]) -> f32:
        return g(x)
    """, entry: "f", expected: """
    t.ax:4:14: error: argument 'v' of 'g': expected f32[4], got f32[3]
        return g(x)
                 ^

    """),
    DiagnosticCase(label: "size variable", source: """
    def dot1(a: f32[n], b: f32[n]) -> f32:
        return sum(a * b)
    def f(x: f32[3], y: f32[4]) -> f32:
        return dot1(x, y)
    """, entry: "f", expected: """
    t.ax:4:20: error: argument 'b' of 'dot1': expected f32[n], got f32[4] (n is 3, bound by 'a')
        return dot1(x, y)
                       ^

    """),
    DiagnosticCase(label: "vmap sizes", source: """
    def mul(a: f32, b: f32) -> f32:
        return a * b
    def f(xs: f32[n], ys: f32[m]) -> f32[n]:
        return vmap(mul)(xs, ys)
    """, entry: "f", expected: """
    t.ax:4:12: error: vmap: mapped inputs have different sizes: a (axis 0) has size n, b (axis 0) has size m
        return vmap(mul)(xs, ys)
               ^~~~~~~~~~~~~~~~~

    """),
    DiagnosticCase(label: "argument count", source: """
    def g(a: f32, b: f32) -> f32:
        return a * b
    def f(x: f32) -> f32:
        return g(x)
    """, entry: "f", expected: """
    t.ax:4:12: error: 'g' takes 2 arguments, got 1
        return g(x)
               ^~~~

    """),
    DiagnosticCase(label: "recursion", source: """
    def f(x: f32) -> f32:
        return g(x)
    def g(x: f32) -> f32:
        return f(x) + 1
    """, entry: "f", expected: """
    t.ax:4:12: error: recursive call of 'f' (f -> g -> f) is not supported
        return f(x) + 1
               ^~~~

    """),
    DiagnosticCase(label: "return type", source: """
    def f(x: f32[3]) -> f32:
        return x * 2
    """, entry: "f", expected: """
    t.ax:2:12: error: 'f' returns f32[3], but its annotation says f32[]
        return x * 2
               ^~~~~
    t.ax:1:21: note: return type declared here
    def f(x: f32[3]) -> f32:
                        ^~~

    """),
    DiagnosticCase(label: "bound in one branch", source: """
    def f(x: f32) -> f32:
        if x > 0.0:
            y = x
        return y
    """, entry: "f", expected: """
    t.ax:4:12: error: 'y' is bound in only one branch of the 'if' at line 2; bind it in every branch to use it afterwards
        return y
               ^

    """),
    DiagnosticCase(label: "branch types", source: """
    def f(x: f32, v: f32[3]) -> f32[3]:
        if x > 0.0:
            y = v
        else:
            y = x
        return y
    """, entry: "f", expected: """
    t.ax:2:5: error: 'y' has type f32[3] in one branch and f32[] in the other
        if x > 0.0:
        ^~~~~~~~~~~

    """),
    DiagnosticCase(label: "mixed return", source: """
    def f(x: f32) -> f32:
        if x > 0.0:
            return x
        else:
            y = x
        return y
    """, entry: "f", expected: """
    t.ax:2:5: error: with a data-dependent condition, either every branch of the 'if' must return or none
        if x > 0.0:
        ^~~~~~~~~~~

    """),
    DiagnosticCase(label: "return not last", source: """
    def f(x: f32) -> f32:
        return x
        y = x
    """, entry: "f", expected: """
    t.ax:2:5: error: 'return' must be the last statement of its block
        return x
        ^~~~~~~~

    """),
    DiagnosticCase(label: "functions in branches", source: """
    def g(x: f32) -> f32:
        return x
    def f(x: f32) -> f32:
        if x > 0.0:
            h = g
        else:
            h = jit(g)
        return h(x)
    """, entry: "f", expected: """
    t.ax:4:5: error: 'h' is a different function in each branch of a data-dependent 'if'
        if x > 0.0:
        ^~~~~~~~~~~

    """),
    DiagnosticCase(label: "vmap of a builtin", source: """
    g = vmap(exp)
    """, entry: "g", expected: """
    t.ax:1:10: error: cannot apply vmap to the builtin 'exp'; wrap it in a def
    g = vmap(exp)
             ^~~

    """),
    DiagnosticCase(label: "condition type", source: """
    def f(x: f32) -> f32:
        if x:
            x = x * 2
        return x
    """, entry: "f", expected: """
    t.ax:2:8: error: the condition of an 'if' must be a bool scalar, got f32[]
        if x:
           ^

    """),
    DiagnosticCase(label: "dynamic range", source: """
    def f(x: f32) -> f32:
        for i in range(x):
            x = x * 2
        return x
    """, entry: "f", expected: """
    t.ax:2:20: error: range() needs a compile-time integer, got f32[]
        for i in range(x):
                       ^

    """),
    DiagnosticCase(label: "huge range", source: """
    def f(x: f32) -> f32:
        for i in range(1000000):
            x = x * 2
        return x
    """, entry: "f", expected: """
    t.ax:2:20: error: range(1000000) is too long to unroll (at most 100000 iterations)
        for i in range(1000000):
                       ^~~~~~~

    """),
    DiagnosticCase(label: "no such entry", source: """
    def f(x: f32) -> f32:
        return x
    g = jit(f)
    """, entry: "h", expected: """
    t.ax: error: no entry named 'h' in t.ax; entries: f, g

    """),
    DiagnosticCase(label: "in_axes count", source: """
    def f(x: f32, y: f32) -> f32:
        return x * y
    g = vmap(f, in_axes=(0, 0, None))
    """, entry: "g", expected: """
    t.ax:3:5: error: vmap in_axes (0, 0, None) has 3 entries, but 'f' takes 2 arguments
    g = vmap(f, in_axes=(0, 0, None))
        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~

    """),
    DiagnosticCase(label: "in_axes structure", source: """
    def f(p: (f32, f32), x: f32) -> f32:
        a, b = p
        return a * x
    g = vmap(f, in_axes=((0, 0, 0), 0))
    """, entry: "g", expected: """
    t.ax:4:5: error: vmap in_axes entry (0, 0, 0) for 'p' does not match its type (f32[], f32[])
    g = vmap(f, in_axes=((0, 0, 0), 0))
        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

    """),
    DiagnosticCase(label: "argnums range", source: """
    def f(x: f32, y: f32) -> f32:
        return x * y
    g = grad(f, argnums=2)
    """, entry: "g", expected: """
    t.ax:3:5: error: argnums 2 is out of range for 'f', which takes 2 arguments
    g = grad(f, argnums=2)
        ^~~~~~~~~~~~~~~~~~

    """),
    DiagnosticCase(label: "unknown keyword", source: """
    def g(a: f32) -> f32:
        return a
    def f(x: f32) -> f32:
        return g(b=x)
    """, entry: "f", expected: """
    t.ax:4:14: error: 'g' has no parameter named 'b' (its parameters: a)
        return g(b=x)
                 ^~~

    """),
    DiagnosticCase(label: "binding not a function", source: """
    def f(x: f32) -> f32:
        return x
    g = 3
    """, entry: nil, expected: """
    t.ax:3:5: error: top-level binding 'g' must be a function (a def, or a transform such as jit(f)), got int literal
    g = 3
        ^

    """),
    DiagnosticCase(label: "binding cycle", source: """
    g = jit(g)
    """, entry: "g", expected: """
    t.ax:1:1: error: 'g' is defined in terms of itself
    g = jit(g)
    ^~~~~~~~~~

    """),
    DiagnosticCase(label: "no return", source: """
    def f(x: f32) -> f32:
        y = x
    """, entry: "f", expected: """
    t.ax:1:5: error: 'f' does not end with a return statement
    def f(x: f32) -> f32:
        ^

    """),
    DiagnosticCase(label: "transform keyword", source: """
    def f(x: f32) -> f32:
        return x
    g = grad(f, has_aux=True)
    """, entry: "g", expected: """
    t.ax:3:13: error: grad has no argument 'has_aux' (expected argnums)
    g = grad(f, has_aux=True)
                ^~~~~~~~~~~~

    """),
]
