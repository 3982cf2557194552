// Error quality (issue 6, item 4): golden rendered messages of the errors that matter most, and a check that
// every `axc check` example of docs/diagnostics.md still renders exactly as the catalogue shows it.
import Foundation
import Testing
@testable import AxCore

private let diagnosticsRepoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Expects entry `name` of `s` to fail (elaborating or lowering it to a kernel) with a message containing `message`
/// at line `line`.
func expectLocatedError(_ s: CompilerSession, _ name: String, _ message: String, line: Int) {
    do { _ = try lower(try s.entry(name), to: .kernel); Issue.record("\(name): no error") } catch let d as Diagnostic {
        #expect(d.message.contains(message), "\(name): \(d.message)")
        #expect(d.range?.start.line == line, "\(name): at \(String(describing: d.range))")
    } catch { Issue.record("\(name): \(error)") }
}

/// What `axc check FILE` prints on standard error for `text` saved as `path` (empty when it type-checks):
/// parse errors and elaboration errors rendered the way the command line renders them.
private func checkOutput(_ text: String, path: String = "bad.ax") -> String {
    let file = SourceFile(path: path, text: text)
    do {
        let s = try CompilerSession(file: file)
        _ = try s.checkAll()
        return ""
    } catch let d as Diagnostic {
        return file.render(d)
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

/// One `axc check` example of the catalogue: its source, the expected rendered output, and its heading.
struct CatalogueExample: CustomStringConvertible, Sendable {
    var title: String
    var source: String
    var expected: String
    var description: String { title }
}

/// The examples of docs/diagnostics.md whose source is shown (`# bad.ax`) and whose command is `axc check bad.ax`.
private func catalogueExamples() -> [CatalogueExample] {
    let path = diagnosticsRepoRoot.appendingPathComponent("docs/diagnostics.md").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    var out: [CatalogueExample] = []
    let lines = text.components(separatedBy: "\n")
    var title = "", source: String? = nil
    var i = 0
    while i < lines.count {
        let line = lines[i]
        if line.hasPrefix("### ") { title = String(line.dropFirst(4)); source = nil }
        if line == "```python", i + 1 < lines.count, lines[i + 1] == "# bad.ax" {
            var j = i + 2, body: [String] = []
            while j < lines.count && lines[j] != "```" { body.append(lines[j]); j += 1 }
            source = body.joined(separator: "\n") + "\n"
            i = j
        } else if line == "```console", i + 1 < lines.count {
            var j = i + 2, body: [String] = []
            while j < lines.count && lines[j] != "```" { body.append(lines[j]); j += 1 }
            if lines[i + 1] == "$ axc check bad.ax", let src = source {
                out.append(CatalogueExample(title: title, source: src, expected: body.joined(separator: "\n") + "\n"))
            }
            i = j
        }
        i += 1
    }
    return out
}

private let examples = catalogueExamples()

@Suite("Diagnostics")
struct DiagnosticsTests {
    // MARK: the catalogue

    @Test func catalogueIsLinkedAndLarge() throws {
        #expect(examples.count >= 150, "only \(examples.count) `axc check` examples found in docs/diagnostics.md")
        let readme = try String(contentsOfFile: diagnosticsRepoRoot.appendingPathComponent("README.md").path, encoding: .utf8)
        let cli = try String(contentsOfFile: diagnosticsRepoRoot.appendingPathComponent("docs/cli.md").path, encoding: .utf8)
        #expect(readme.contains("(docs/diagnostics.md)"), "README.md does not link docs/diagnostics.md")
        #expect(cli.contains("diagnostics.md"), "docs/cli.md does not link diagnostics.md")
    }

    /// Each shown example still fails with exactly the message the catalogue shows (regenerate the catalogue
    /// with `python3 scripts/gen_diagnostics.py .build/debug/axc` after changing a message on purpose).
    @Test("docs/diagnostics.md example renders as shown", arguments: examples)
    func catalogueExample(_ e: CatalogueExample) {
        #expect(checkOutput(e.source) == e.expected, "docs/diagnostics.md: '\(e.title)' is stale")
    }

    // MARK: golden messages (captured from the real tool)

    @Test func vmapSizeMismatchNamesParametersAxesAndSizes() {
        let src = """
            def f(x: f32, y: f32[3]) -> f32:
                return x * sum(y)

            def h(xs: f32[4], ys: f32[5, 3]) -> f32[4]:
                return vmap(f)(xs, ys)

            """
        #expect(checkOutput(src) == """
            bad.ax:5:12: error: vmap: mapped inputs have different sizes: x (axis 0) has size 4, y (axis 0) has size 5
                return vmap(f)(xs, ys)
                       ^~~~~~~~~~~~~~~

            """)
        // Axes other than 0, and size variables.
        let src2 = """
            def f(x: f32[2], y: f32) -> f32:
                return sum(x) * y

            def h(xs: f32[2, n], ys: f32[m]) -> f32[n]:
                return vmap(f, in_axes=(1, 0))(xs, ys)

            """
        #expect(checkOutput(src2) == """
            bad.ax:5:12: error: vmap: mapped inputs have different sizes: x (axis 1) has size n, y (axis 0) has size m
                return vmap(f, in_axes=(1, 0))(xs, ys)
                       ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

            """)
    }

    @Test func gradOfNonScalarNamesTheOutputType() {
        #expect(checkOutput("def f(x: f32[3]) -> f32[3]:\n    return x * 2\n\ng = grad(f)\n") == """
            bad.ax:4:5: error: grad requires a function with a scalar float output, got f32[3]
            g = grad(f)
                ^~~~~~~

            """)
        #expect(checkOutput("def f(x: f32) -> (f32, f64[2]):\n    return x, zeros((2,), dtype=f64)\n\ng = jit(value_and_grad(f))\n") == """
            bad.ax:4:9: error: grad requires a function with a scalar float output, got (f32[], f64[2])
            g = jit(value_and_grad(f))
                    ^~~~~~~~~~~~~~~~~

            """)
    }

    /// A primitive a transform cannot handle (here: its batched result would exceed the array limit) is named,
    /// with the line of the equation in the source.
    @Test func transformFailureNamesThePrimitiveAndTheLine() {
        let src = """
            def f(x: f32[100000]) -> f32:
                y = exp(x)
                return sum(y * 2)

            g = vmap(f, axis_size=100000)

            """
        #expect(checkOutput(src) == """
            bad.ax:2:9: error: vmap of exp: exp: the result f32[100000,100000] has 10000000000 elements; the limit is 2^31
                y = exp(x)
                    ^~~~~~

            """)
    }

    /// A not-mapped output broadcast along a huge axis_size is an error, not an internal error (it once was).
    @Test func notMappedOutputTooLargeIsADiagnostic() {
        let src = "def f(x: f32[100000]) -> f32[100000]:\n    return x * 2\n\ng = vmap(f, in_axes=None, axis_size=100000)\n"
        #expect(checkOutput(src) == """
            bad.ax:4:5: error: vmap: output 0 of type f32[100000] is not mapped; broadcast along the batch axis, f32[100000,100000] has 10000000000 elements; the limit is 2^31
            g = vmap(f, in_axes=None, axis_size=100000)
                ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

            """)
    }

    @Test func callSizeConflictNamesTheBindingArgument() {
        let src = "def g(a: f32[n], b: f32[n]) -> f32:\n    return sum(a * b)\n\ndef f(x: f32[3], y: f32[4]) -> f32:\n    return g(x, y)\n"
        #expect(checkOutput(src) == """
            bad.ax:5:17: error: argument 'b' of 'g': expected f32[n], got f32[4] (n is 3, bound by 'a')
                return g(x, y)
                            ^

            """)
    }

    @Test func gradOfIntegerInputNamesTheParameter() {
        let src = "def f(x: f32, k: i32) -> f32:\n    return x * f32(k)\n\ng = grad(f, argnums=1)\n"
        #expect(checkOutput(src) == """
            bad.ax:4:5: error: grad requires real-valued (float) inputs, but parameter 'k' has type i32[]; integer and boolean inputs are not differentiable
            g = grad(f, argnums=1)
                ^~~~~~~~~~~~~~~~~~

            """)
    }
}
