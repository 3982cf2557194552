// The jax.numpy / jax.nn vocabulary against JAX: every entry of Data/vocab/vocab.ax (scripts/gen_vocab_refs.py), run
// op by op and as one kernel, bit for bit where the case is `exact`, else within its rtol/atol; and its errors.
import Foundation
import Testing
@testable import AxCore

struct VocabCase: Decodable, CustomStringConvertible {
    var name: String
    var inputs: [String: String]
    var outputs: [String]
    var exact: Bool
    var rtol: Double
    var atol: Double
    var description: String { name }
}

private let vocabDir = repoRoot.appendingPathComponent("Tests/AxCoreTests/Data/vocab")
private let vocabCases: [VocabCase] = {
    let data = try! Data(contentsOf: vocabDir.appendingPathComponent("manifest.json"))
    return try! JSONDecoder().decode([VocabCase].self, from: data)
}()
private let vocabSession = try! CompilerSession(path: vocabDir.appendingPathComponent("vocab.ax").path)

/// Bitwise equality of dtype, shape and elements (every NaN equal to every NaN), reporting the first difference.
func expectIdentical(_ got: Tensor, _ want: Tensor, _ what: String) {
    #expect(got.shape == want.shape && got.dtype == want.dtype, "\(what): \(got.dtype)\(got.shape) vs JAX \(want.dtype)\(want.shape)")
    guard got.shape == want.shape, got.dtype == want.dtype else { return }
    let (g, w) = (got.doubles, want.doubles)
    let i = g.indices.first { k in !(g[k].isNaN && w[k].isNaN) && (g[k] != w[k] || g[k].sign != w[k].sign) }
    #expect(i == nil, "\(what): element \(i ?? -1) is \(i.map { g[$0] } ?? 0), JAX says \(i.map { w[$0] } ?? 0)")
}

func runVocab(_ c: VocabCase, _ mode: ExecutionMode) throws {
    let lowered = try vocabSession.lower(c.name, to: mode == .jit ? .kernel : .optimized)
    let program = lowered.optimized
    let args = c.inputs.mapValues { ArgValue.npy(vocabDir.appendingPathComponent($0).path) }
    let (inputs, sizes) = try bindInputs(program, args: args, sizes: [:], seed: 0)
    let got = mode == .jit ? try lowered.kernel!.run(inputs: inputs, sizes: sizes) : try evaluate(program, inputs: inputs, sizes: sizes)
    let want = try c.outputs.map { try readNPY(path: vocabDir.appendingPathComponent($0).path) }
    #expect(got.count == want.count, "\(c): \(got.count) outputs, JAX has \(want.count)")
    for (i, (g, w)) in zip(got, want).enumerated() {
        if c.exact { expectIdentical(g, w, "\(c) \(mode) out\(i)") }
        else { expectClose(g, w, rtol: c.rtol, atol: c.atol, "\(c) \(mode) out\(i)") }
    }
}

@Suite struct VocabularyTests {
    @Test(arguments: vocabCases) func eagerMatchesJAX(_ c: VocabCase) throws { try runVocab(c, .eager) }
    @Test(arguments: vocabCases) func jitMatchesJAX(_ c: VocabCase) throws { try runVocab(c, .jit) }

    @Test func everyNameHasACase() throws {
        let text = try String(contentsOf: vocabDir.appendingPathComponent("vocab.ax"), encoding: .utf8)
        for name in Ops.vocabularySignatures.keys.sorted() {
            #expect(text.contains("\(name)("), "no case of vocab.ax calls '\(name)'")
        }
    }

    /// The first error of `src` (`axc check`), rendered.
    func checkError(_ src: String) -> String {
        let file = SourceFile(path: "t.ax", text: src)
        do { _ = try CompilerSession(file: file).checkAll(); return "no error" }
        catch let d as Diagnostic { return file.render(d) }
        catch { return "\(error)" }
    }

    @Test(arguments: [
        ("return jnp.cbrt(x)", "t.ax:2:12: error: 'jnp.cbrt' is not supported yet (it needs a new element-wise primitive)"),
        ("return sort(x)", "t.ax:2:12: error: 'sort' is not supported yet (it needs a new reduction or scan primitive)"),
        ("return jax.nn.selu(x)", "t.ax:2:12: error: 'jax.nn.selu' is not supported yet (it is not written yet)"),
        ("return sofmax(x)", "t.ax:2:12: error: undefined name 'sofmax'; did you mean 'softmax'?"),
        ("return jnp.sofmax(x)", "t.ax:2:12: error: undefined name 'jnp.sofmax'; did you mean 'softmax'?"),
        ("return x + y", "t.ax:2:16: error: undefined name 'y'"),
        ("return x.summ()", "t.ax:2:12: error: arrays have no method 'summ'; did you mean 'sum'?"),
        ("return x.shap", "t.ax:2:12: error: f32[3] has no attribute 'shap'; did you mean 'shape'?"),
        ("return max(x, x)", "t.ax:2:12: error: max(x, y) of two arrays: max is the reduction max(x, axis=None, keepdims=False, initial=None, where=None); for the element-wise maximum use maximum(x, y)"),
        ("return jnp.linalg.norm(jnp.outer(x, x), 2)", "t.ax:2:45: error: norm: the matrix norm ord=2 needs a singular value decomposition"),
        ("return jnp.repeat(x, i32(x))", "t.ax:2:26: error: repeat: repeats must be an int literal"),
        ("return jnp.squeeze(x, 0)", "t.ax:2:27: error: squeeze: axis 0 of f32[3] has size 3, not 1"),
        ("return jnp.tril(x)", "t.ax:2:21: error: tril expects an array of at least 2 dimensions, got f32[3]"),
        ("return jnp.pi(x)", "t.ax:2:12: error: 'jnp.pi' is not callable"),
        ("return vmap(jnp.exp)(x)", "t.ax:2:17: error: cannot apply vmap to the builtin 'jnp.exp'; wrap it in a def"),
        ("return jnp.linspace(0, 3, 4, dtype=i32)", "t.ax:2:34: error: linspace with dtype=i32 is not supported yet (it needs floor)"),
        ("return x if y else x", "t.ax:2:17: error: undefined name 'y'"),
        ("return np.sum(x)", "t.ax:2:12: error: 'np.sum' is not supported: after 'np.' only constants and dtypes are; use jnp.sum, which works on arrays"),
        ("return math.foo", "t.ax:2:12: error: 'math.foo' is not supported: after 'math.' only constants and dtypes (pi, e, inf, nan, float32, ...) are"),
    ])
    func errorsAreLocated(_ body: String, _ want: String) {
        let got = checkError("def f(x: f32[3]):\n    \(body)\n")
        #expect(got.hasPrefix(want), "\(body): \(got)")
    }

    /// A user's own names win over prefixes, constants and builtins.
    @Test func userNamesShadow() throws {
        let src = """
            def f(x: f32[3], jnp: (f32[3], f32[3])) -> f32[3]:
                e = 2.0
                pi = x
                return jnp[0] * e + pi
            """
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: src))
        let p = try s.lower("f", to: .optimized).optimized
        let one = Tensor(.f32, shape: [3], doubles: [1, 2, 3])
        let out = try evaluate(p, inputs: [one, one, one], sizes: [:])
        #expect(out[0] == Tensor(.f32, shape: [3], doubles: [3, 6, 9]))
    }
}

// MARK: - Issue 16's names: each against JAX, in the docs, and differentiated against finite differences

/// One differentiable name's row: `expr` of `x: f64[6]`, sampled in `range` (away from kinks and jumps).
struct FiniteDifferenceRow: CustomTestStringConvertible, Sendable {
    var name: String, expr: String, range: (Double, Double) = (-2, 2)
    var testDescription: String { name }
}

/// Every differentiable name of issue 16, written as JAX code would call it; `m` is `x` as a 2×3 matrix.
let finiteDifferenceRows: [FiniteDifferenceRow] = [
    .init(name: "square", expr: "jnp.square(x)"), .init(name: "clip", expr: "jnp.clip(x, -1.0, 1.0) * x"),
    .init(name: "floor", expr: "jnp.floor(x) * x", range: (0.1, 0.9)), .init(name: "ceil", expr: "jnp.ceil(x) * x", range: (0.1, 0.9)),
    .init(name: "round", expr: "jnp.round(x) * x + jnp.round(x, 1)", range: (0.11, 0.14)),
    .init(name: "trunc", expr: "jnp.trunc(x) * x", range: (1.1, 1.9)),
    .init(name: "tan", expr: "jnp.tan(x)", range: (-1.2, 1.2)), .init(name: "arctan", expr: "jnp.arctan(x)"),
    .init(name: "arctan2", expr: "jnp.arctan2(x, jnp.flip(x) + 3.0)"), .init(name: "arcsin", expr: "jnp.arcsin(x)", range: (-0.9, 0.9)),
    .init(name: "arccos", expr: "jnp.arccos(x)", range: (-0.9, 0.9)), .init(name: "sinh", expr: "jnp.sinh(x)"),
    .init(name: "cosh", expr: "jnp.cosh(x)"), .init(name: "arctanh", expr: "jnp.arctanh(x)", range: (-0.9, 0.9)),
    .init(name: "expm1", expr: "jnp.expm1(x)"), .init(name: "log2", expr: "jnp.log2(x)", range: (0.2, 3)),
    .init(name: "log10", expr: "jnp.log10(x)", range: (0.2, 3)), .init(name: "exp2", expr: "jnp.exp2(x)"),
    .init(name: "erf", expr: "jax.scipy.special.erf(x)"), .init(name: "reciprocal", expr: "jnp.reciprocal(x)", range: (0.3, 2)),
    .init(name: "power", expr: "jnp.power(x, 3) + jnp.power(x, 1.5) + jnp.power(x, jnp.flip(x))", range: (0.3, 2)),
    .init(name: "softplus", expr: "jax.nn.softplus(x)"), .init(name: "gelu", expr: "jax.nn.gelu(x) + jax.nn.gelu(x, approximate=False)"),
    .init(name: "silu", expr: "jax.nn.silu(x)"), .init(name: "log_sigmoid", expr: "jax.nn.log_sigmoid(x)"),
    .init(name: "elu", expr: "jax.nn.elu(x)"), .init(name: "leaky_relu", expr: "jax.nn.leaky_relu(x, negative_slope=0.2)"),
    .init(name: "floordiv", expr: "(x // 0.7) * x + x % 0.7 + 2.5 % (x + 3.0)"),
    .init(name: "conditional", expr: "(x * x if True else x) + jnp.where(x > 0.0, jnp.sin(x), x)"),
    .init(name: "prod", expr: "jnp.prod(m, axis=1) + jnp.prod(x) + x.prod()"),
    .init(name: "var", expr: "jnp.var(m, axis=0) + jnp.var(x, ddof=1)"), .init(name: "std", expr: "jnp.std(m, axis=1) + jnp.std(x, ddof=2)"),
    .init(name: "norm", expr: "jnp.linalg.norm(x) + jnp.linalg.norm(x, 1) + jnp.linalg.norm(x, inf) + jnp.linalg.norm(m) + jnp.linalg.norm(m, axis=1)"),
    .init(name: "log_softmax", expr: "jax.nn.log_softmax(m) + jax.nn.log_softmax(m, axis=0)"),
    .init(name: "cumsum", expr: "jnp.cumsum(x) * x + jnp.sum(jnp.cumsum(m, axis=0)[0])"),
    .init(name: "cumprod", expr: "jnp.cumprod(x) + (jnp.cumprod(m, axis=1) * m).ravel() + jax.lax.cumprod(x, reverse=True)"),
    .init(name: "logcumsumexp", expr: "logcumsumexp(x) * x + jax.lax.cumlogsumexp(m, axis=0, reverse=True).ravel()"),
    .init(name: "full_like", expr: "jnp.full_like(x, x[0]) * x"),
    .init(name: "linspace", expr: "jnp.linspace(x[0], x[1], 6) * x"),
    .init(name: "expand_dims", expr: "jnp.expand_dims(m, 0) * jnp.sin(jnp.expand_dims(x[:2], -1))"),
    .init(name: "squeeze", expr: "(jnp.squeeze(m[None]) * m).ravel() + jnp.squeeze(x[None, :], axis=0)"),
    .init(name: "tril", expr: "jnp.tril(jnp.outer(x, x)) * jnp.triu(jnp.outer(x, jnp.sin(x)), 1)"),
    .init(name: "triu", expr: "jnp.triu(m * m, -1)"),
    .init(name: "flip", expr: "jnp.flip(x) * x + (jnp.flip(m, axis=1) * m).ravel()"),
    .init(name: "tile", expr: "jnp.tile(x, 2) * jnp.tile(jnp.sin(x), (2,)) + jnp.sum(jnp.tile(m, (2, 1)))"),
    .init(name: "repeat", expr: "jnp.repeat(x, 2) * jnp.repeat(jnp.cos(m), 2, axis=1).ravel()"),
    .init(name: "diag", expr: "jnp.diag(x) * jnp.sin(x) + jnp.diag(m, 1)[0]"),
    .init(name: "trace", expr: "jnp.trace(jnp.outer(x, x)) + jnp.trace(m, 1) * x"),
    .init(name: "matmul", expr: "jnp.matmul(m, jnp.sin(m.T)) + (m @ x[:3]).sum()"),
    .init(name: "inner", expr: "jnp.inner(x, jnp.sin(x)) + jnp.inner(m, m)[0, 1]"),
    .init(name: "vdot", expr: "jnp.vdot(x, x * x) + jnp.vdot(m, jnp.cos(m))"),
    .init(name: "pad", expr: "jnp.pad(x, 1)[1:7] * jnp.pad(x, (2, 0), constant_values=0.5)[:6] + jnp.pad(m, ((0, 1), (1, 0)))[1, 3]"),
    .init(name: "take", expr: "jnp.take(x, jnp.array([5, 0, 0, -2, 1, 3])) * x + jnp.take(m, jnp.array([2, 2]), axis=1)[1, 0]"),
    .init(name: "take_along_axis", expr: "jnp.take_along_axis(m, jnp.array([[2, 0, 0], [1, 1, 2]]), axis=1).ravel() * x"),
    .init(name: "masked", expr: "jnp.sum(x, where=x > 0.0) + jnp.mean(m, axis=1, where=m < 1.5) + jnp.max(x, where=x < 1.0, initial=-9.0)"),
    .init(name: "methods", expr: "x.sum() + m.sum(axis=0).sum() + x.mean() + m.max(axis=1).sum() + x.reshape(3, 2).T[1, 0] + x.astype(f64) * x"),
]

/// The .ax source of every row: `l_<name>(x)`, a weighted sum of the row's expression (so that a permuted or
/// misplaced derivative shows), and `g_<name> = grad(l_<name>)`.
private let finiteDifferenceSession: CompilerSession = {
    let text = finiteDifferenceRows.map { r in
        """
        def l_\(r.name)(x: f64[6]) -> f64:
            m = jnp.reshape(x, (2, 3))
            y = \(r.expr)
            return jnp.sum(y * jnp.cos(jnp.reshape(f64(jnp.arange(y.size)), y.shape) * 1.3 + 0.2))

        g_\(r.name) = grad(l_\(r.name))

        """
    }.joined()
    return try! CompilerSession(file: SourceFile(path: "fd.ax", text: text))
}()

extension VocabularyTests {
    /// grad of each differentiable name against central differences of its f64 loss, eager and jit.
    @Test(arguments: finiteDifferenceRows) func gradientMatchesFiniteDifferences(_ r: FiniteDifferenceRow) throws {
        let s = finiteDifferenceSession
        let loss = try s.lower("l_\(r.name)", to: .optimized).optimized
        let g = try s.lower("g_\(r.name)", to: .kernel)
        var rng = SeededUniform(UInt64(r.name.utf8.reduce(5) { $0 &* 31 &+ Int($1) } & 0xffff))
        let x = rng.tensor(TensorType(.f64, [.const(6)]), r.range.0, r.range.1).doubles
        func f(_ v: [Double]) throws -> Double {
            try evaluate(loss, inputs: [Tensor(.f64, shape: [6], doubles: v)], sizes: [:])[0].element(0)
        }
        let fd = try x.indices.map { j -> Double in
            let h = 1e-6 * max(1, abs(x[j]))
            var plus = x, minus = x
            plus[j] += h; minus[j] -= h
            return (try f(plus) - f(minus)) / (2 * h)
        }
        let input = [Tensor(.f64, shape: [6], doubles: x)]
        let eager = try evaluate(g.optimized, inputs: input, sizes: [:])[0].doubles
        let jit = try g.kernel!.run(inputs: input, sizes: [:])[0].doubles
        for (mode, got) in [("eager", eager), ("jit", jit)] {
            let ok = zip(got, fd).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) }
            #expect(got.count == 6 && ok, "\(r.name) \(mode): grad \(got) vs differences \(fd)")
        }
    }

    /// Issue 16's names: each is called in vocab.ax (checked against JAX in eager and jit), in an example of
    /// docs/language.md that DocsTests runs, and, where differentiable, in the finite-difference rows.
    @Test func issueNamesAreCovered() throws {
        let vocab = try String(contentsOf: vocabDir.appendingPathComponent("vocab.ax"), encoding: .utf8)
        let docs = try String(contentsOf: repoRoot.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let examples = docs.components(separatedBy: "```python").dropFirst().map { $0.components(separatedBy: "```")[0] }
            .filter { !$0.contains("...") }.joined()
        let notDifferentiable: Set = ["isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_not", "argmax", "argmin",
                                      "any", "all", "zeros_like", "ones_like", "one_hot"]
        let names = ["square", "clip", "floor", "ceil", "round", "trunc", "tan", "arctan", "arctan2", "arcsin", "arccos", "sinh",
                     "cosh", "arctanh", "expm1", "log2", "log10", "exp2", "erf", "reciprocal", "power", "isnan", "isinf", "isfinite",
                     "logical_and", "logical_or", "logical_not", "softplus", "gelu", "silu", "log_sigmoid", "elu", "leaky_relu",
                     "prod", "var", "std", "argmax", "argmin", "any", "all", "norm", "log_softmax", "cumsum", "cumprod",
                     "logcumsumexp", "zeros_like", "ones_like", "full_like", "linspace", "one_hot", "expand_dims", "squeeze", "tril",
                     "triu", "flip", "tile", "repeat", "diag", "trace", "matmul", "inner", "vdot", "pad", "take", "take_along_axis"]
        let rows = Set(finiteDifferenceRows.map(\.name))
        /// Whether `text` calls `name` (not a longer name ending in it: `tan(` in `arctan(` does not count).
        func calls(_ text: String, _ name: String) throws -> Bool {
            let call = try NSRegularExpression(pattern: "(?<![A-Za-z0-9_])\(name)\\(")
            return call.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        for n in names {
            #expect(try calls(vocab, n), "vocab.ax (JAX reference data) never calls \(n)")
            #expect(try calls(examples, n), "no python example of docs/language.md calls \(n)")
            #expect(notDifferentiable.contains(n) || rows.contains(n), "\(n) has no finite-difference row")
        }
    }
}
