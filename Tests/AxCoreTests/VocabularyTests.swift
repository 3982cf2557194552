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
