// Tests of the .ax lexer and parser: sample programs (AST dump goldens), precedence, source ranges,
// exact diagnostics for malformed input, and a seeded token-soup robustness run.
import Testing
@testable import AxCore

/// Parses `text`, returning the AST dump or the rendered diagnostic.
private func parseOrRender(_ text: String, path: String = "t.ax") -> String {
    let file = SourceFile(path: path, text: text)
    do {
        return try parseModule(file).dump
    } catch let d as Diagnostic {
        return file.render(d)
    } catch {
        return "unexpected error type: \(error)"
    }
}

/// The dump of the expression `src` (parsed as the value of a binding).
private func exprDump(_ src: String) throws -> String {
    let m = try parseModule(SourceFile(path: "e.ax", text: "v = " + src + "\n"))
    guard case .binding(_, let value, _) = m.decls[0] else { return "not a binding" }
    return value.dump
}

private let linearSource = """
# linear.ax — the per-example-gradient example
def predict(params: (f32, f32), x: f32) -> f32:
    w, b = params
    return w * x + b

def squared_error(params: (f32, f32), x: f32, y: f32) -> f32:
    return (predict(params, x) - y) ** 2

def mean_squared_error(params: (f32, f32), xs: f32[n], ys: f32[n]) -> f32:
    preds = vmap(predict, in_axes=(None, 0))(params, xs)
    return mean((preds - ys) ** 2)

per_example_grads = jit(vmap(grad(squared_error), in_axes=(None, 0, 0)))
mean_grad = jit(grad(mean_squared_error))
batched_predict = vmap(predict, in_axes=(None, 0))      # not jitted: runs op by op

"""

private let neuronSource = """
# neuron.ax — one neuron, batched by vmap; compare with the hand-batched einsum
def neuron(x: f32[5], W: f32[5, 3], b: f32[3]) -> f32:
    return sum(tanh(x @ W + b))

def neuron_manual(X: f32[n, 5], W: f32[5, 3], b: f32[3]) -> f32[n]:
    return sum(tanh(einsum("ni,ij->nj", X, W) + b), axis=1)

batched = jit(vmap(neuron, in_axes=(0, None, None)))

"""

@Suite struct ParserTests {
    // MARK: sample programs

    @Test func linearSample() throws {
        let m = try parseModule(SourceFile(path: "linear.ax", text: linearSource))
        #expect(m.decls.map(\.name) == ["predict", "squared_error", "mean_squared_error",
                                        "per_example_grads", "mean_grad", "batched_predict"])
        guard case .function(let predict) = m.decls[0] else { Issue.record("predict is not a def"); return }
        #expect(predict.params.map(\.name) == ["params", "x"])
        #expect(predict.params.map(\.type.dump) == ["(f32, f32)", "f32"])
        #expect(predict.returnType?.dump == "f32")
        guard case .assign(.tuple(let targets, _), _, _) = predict.body[0] else { Issue.record("not an unpacking"); return }
        #expect(targets.map(\.dump) == ["w", "b"])
        guard case .ret = predict.body[1] else { Issue.record("not a return"); return }
        guard case .binding(_, let value, _) = m.decls[3], case .call = value.kind else { Issue.record("not a call binding"); return }
        #expect(parseOrRender(linearSource) == """
            def predict(params: (f32, f32), x: f32) -> f32
              (w b) = params
              return (+ (* w x) b)
            def squared_error(params: (f32, f32), x: f32, y: f32) -> f32
              return (** (- (call predict params x) y) 2)
            def mean_squared_error(params: (f32, f32), xs: f32[n], ys: f32[n]) -> f32
              preds = (call (call vmap predict in_axes=(tuple None 0)) params xs)
              return (call mean (** (- preds ys) 2))
            per_example_grads = (call jit (call vmap (call grad squared_error) in_axes=(tuple None 0 0)))
            mean_grad = (call jit (call grad mean_squared_error))
            batched_predict = (call vmap predict in_axes=(tuple None 0))

            """)
    }

    @Test func neuronSample() throws {
        let m = try parseModule(SourceFile(path: "neuron.ax", text: neuronSource))
        #expect(m.decls.map(\.name) == ["neuron", "neuron_manual", "batched"])
        guard case .function(let manual) = m.decls[1] else { Issue.record("not a def"); return }
        guard case .tensor(.f32, let dims, _) = manual.params[0].type else { Issue.record("not a tensor type"); return }
        #expect(dims == [.name("n"), .const(5)])
        #expect(manual.returnType?.dump == "f32[n]")
        #expect(parseOrRender(neuronSource) == """
            def neuron(x: f32[5], W: f32[5, 3], b: f32[3]) -> f32
              return (call sum (call tanh (+ (@ x W) b)))
            def neuron_manual(X: f32[n, 5], W: f32[5, 3], b: f32[3]) -> f32[n]
              return (call sum (call tanh (+ (call einsum "ni,ij->nj" X W) b)) axis=1)
            batched = (call jit (call vmap neuron in_axes=(tuple 0 None None)))

            """)
    }

    /// `//` and `%` bind like `*`, left to right; `a if c else b` is lowest, its condition an or-test, its else part chains.
    @Test func floorDivisionModuloAndConditionals() {
        let src = "def f(x: i32):\n    return a // b % c * d, a if b or c else d if e else f, not a if b else c, [x if y else z]\n"
        #expect(parseOrRender(src) == """
            def f(x: i32)
              return (tuple (* (% (// a b) c) d) (if (or b c) a (if e d f)) (if b (not a) c) (tuple (if y x z)))

            """)
    }

    @Test func statementsAndTypes() {
        let src = """
            def f(a: f32, c: (f32,), d: ((f32, i32[2]), bool), x: f64[n1, 3, m], e: ()):
                \"\"\"A docstring is skipped.\"\"\"
                (p, q), r = d
                k, = c
                o = x[1:4], x[:, 0], x[::2], x[-1], x[1:], x.T, x[1:2:3], x[i, :]
                if a < 1:  # comment
                    pass

                elif a: return 1
                else:
                    for i in range(3):
                        a = a + i
                return a, b
            g = f  # a binding that is not a call
            h = vmap(f)(1.5, .5, 1., 1e-3, 2.5E+4, True, False, None, 'single', (), (a,))

            """
        #expect(parseOrRender(src) == """
            def f(a: f32, c: (f32,), d: ((f32, i32[2]), bool), x: f64[n1, 3, m], e: ())
              ((p q) r) = d
              (k) = c
              o = (tuple (index x 1:4) (index x : 0) (index x ::2) (index x (neg 1)) (index x 1:) (. x T) (index x 1:2:3) (index x i :))
              if (< a 1)
                pass
              elif a
                return 1
              else
                for i in range(3)
                  a = (+ a i)
              return (tuple a b)
            g = f
            h = (call (call vmap f) 1.5 0.5 1.0 0.001 25000.0 True False None "single" (tuple) (tuple a))

            """)
    }

    @Test func layoutVariants() {
        // CRLF line ends, explicit and implicit line joining, a file without a final newline.
        #expect(parseOrRender("def f(x: f32) -> f32:\r\n    y = x + \\\n      1\r\n    return (y,\n  2)") == """
            def f(x: f32) -> f32
              y = (+ x 1)
              return (tuple y 2)

            """)
        // One-line suites.
        #expect(parseOrRender("def f(x: f32): return x\ndef g(x: bool):\n    if x: return 1\n    else: pass\n") == """
            def f(x: f32)
              return x
            def g(x: bool)
              if x
                return 1
              else
                pass

            """)
        #expect(parseOrRender("") == "")
        #expect(parseOrRender("# only a comment\n\n   \n") == "")
    }

    // MARK: precedence

    @Test func precedence() throws {
        #expect(try exprDump("-x**2") == "(neg (** x 2))")
        #expect(try exprDump("a + b * c @ d") == "(+ a (@ (* b c) d))")
        #expect(try exprDump("not a and b or c") == "(or (and (not a) b) c)")
        #expect(try exprDump("2**-1") == "(** 2 (neg 1))")
        #expect(try exprDump("2**3**2") == "(** 2 (** 3 2))")
        #expect(try exprDump("-a * b") == "(* (neg a) b)")
        #expect(try exprDump("not a < b") == "(not (< a b))")
        #expect(try exprDump("a - b - c") == "(- (- a b) c)")
        #expect(try exprDump("a / b * c") == "(* (/ a b) c)")
        #expect(try exprDump("(a < b) == (c != d)") == "(== (< a b) (!= c d))")
        #expect(try exprDump("a or b and not c >= d + e") == "(or a (and b (not (>= c (+ d e)))))")
        #expect(try exprDump("(a + b) * c") == "(* (+ a b) c)")
        #expect(try exprDump("f(x)(y)[0].T ** 2") == "(** (. (index (call (call f x) y) 0) T) 2)")
        #expect(try exprDump("- -x") == "(neg (neg x))")
        #expect(try exprDump("+x") == "(pos x)")
    }

    // MARK: ranges

    @Test func sourceRanges() throws {
        let text = "def f(x: f32[n]) -> f32:\n    y = (x + 1) * g(x, axis=0)\n    return y\n"
        let m = try parseModule(SourceFile(path: "r.ax", text: text))
        guard case .function(let f) = m.decls[0] else { Issue.record("not a def"); return }
        func slice(_ r: SourceRange) -> String {
            let u = Array(text.utf8)
            return String(decoding: u[r.start.offset..<r.end.offset], as: UTF8.self)
        }
        #expect(slice(f.range) == "def f(x: f32[n]) -> f32:")
        #expect(slice(f.nameRange) == "f")
        #expect(f.nameRange.start == SourceLoc(line: 1, column: 5, offset: 4))
        #expect(slice(f.params[0].range) == "x: f32[n]")
        #expect(slice(f.params[0].type.range) == "f32[n]")
        guard case .assign(let target, let value, let r) = f.body[0] else { Issue.record("not an assignment"); return }
        #expect(slice(r) == "y = (x + 1) * g(x, axis=0)")
        #expect(slice(target.range) == "y")
        #expect(slice(value.range) == "(x + 1) * g(x, axis=0)")
        #expect(value.range.start == SourceLoc(line: 2, column: 9, offset: 33))
        guard case .binary("*", let lhs, let rhs) = value.kind else { Issue.record("not a product"); return }
        #expect(slice(lhs.range) == "(x + 1)")
        #expect(slice(rhs.range) == "g(x, axis=0)")
        guard case .call(_, let args, let kwargs) = rhs.kind else { Issue.record("not a call"); return }
        #expect(slice(args[0].range) == "x")
        #expect(slice(kwargs[0].range) == "axis=0")
        guard case .ret(let e, let rr) = f.body[1] else { Issue.record("not a return"); return }
        #expect(slice(rr) == "return y")
        #expect(e.range.start == SourceLoc(line: 3, column: 12, offset: 67))
        #expect(e.range.end == SourceLoc(line: 3, column: 13, offset: 68))
        // Columns count UTF-8 bytes: "é" is two bytes.
        let m2 = try parseModule(SourceFile(path: "u.ax", text: "# é\nv = 'é' + w\n"))
        guard case .binding(_, let v, _) = m2.decls[0], case .binary(_, _, let w) = v.kind else { Issue.record("bad"); return }
        #expect(w.range.start == SourceLoc(line: 2, column: 12, offset: 16))
    }

    // MARK: diagnostics

    static let diagnosticCases: [(name: String, source: String, rendered: String)] = [
        ("tab",
         "def f(x: f32):\n\treturn x\n",
         "tab.ax:2:1: error: tabs are not allowed; indent with spaces\n\treturn x\n^\n"),
        ("dedent",
         "def f(x: f32):\n    if x:\n        y = 1\n      z = 2\n",
         "dedent.ax:4:7: error: unindent does not match any outer indentation level\n      z = 2\n      ^\n"),
        ("unterminated",
         "def f(x: f32):\n    return einsum(\"ij,j->i, x)\n",
         "unterminated.ax:2:19: error: unterminated string literal\n    return einsum(\"ij,j->i, x)\n                  ^\n"),
        ("bigint",
         "def f(x: f32):\n    return x * 3000000000\n",
         "bigint.ax:2:16: error: integer literal too large (the maximum is 2147483647)\n    return x * 3000000000\n               ^~~~~~~~~~\n"),
        ("colon",
         "def f(x: f32):\n    if x > 0\n        return x\n",
         "colon.ax:2:13: error: expected ':' after the 'if' condition\n    if x > 0\n            ^\n"),
        ("annot",
         "def f(x, y: f32):\n    return x\n",
         "annot.ax:1:7: error: parameter 'x' needs a type annotation, e.g. 'x: f32'\ndef f(x, y: f32):\n      ^\n"),
        ("chain",
         "def f(x: f32):\n    return 0 < x < 1\n",
         "chain.ax:2:18: error: chained comparisons like 'a < b < c' are not supported; write 'a < b and b < c'\n    return 0 < x < 1\n                 ^\n"),
        ("kwpos",
         "def f(x: f32):\n    return sum(axis=0, x)\n",
         "kwpos.ax:2:24: error: positional argument follows keyword argument\n    return sum(axis=0, x)\n                       ^\n"),
        ("bare",
         "def f(x: f32):\n    x + 1\n    return x\n",
         "bare.ax:2:5: error: expression statement has no effect; assign it or return it\n    x + 1\n    ^~~~~\n"),
        ("dtype",
         "def f(x: float32[3]):\n    return x\n",
         "dtype.ax:1:10: error: unknown dtype 'float32'; expected f32, f64, i32 or bool\ndef f(x: float32[3]):\n         ^~~~~~~\n"),
        ("for",
         "def f(xs: f32[3]):\n    for x in xs:\n        pass\n    return xs\n",
         "for.ax:2:14: error: a 'for' loop must iterate over 'range(K)' with a compile-time count K\n    for x in xs:\n             ^~\n"),
        ("immut",
         "def f(x: f32):\n    x[0] = 1\n    return x\n",
         "immut.ax:2:5: error: values are immutable: cannot assign to an element; compute a new value and bind it to a name\n    x[0] = 1\n    ^~~~\n"),
        ("unmatched",
         "def f(x: f32):\n    return (x + 1))\n",
         "unmatched.ax:2:19: error: unmatched ')'\n    return (x + 1))\n                  ^\n"),
        ("noblock",
         "def f(x: f32):\nreturn x\n",
         "noblock.ax:2:1: error: expected an indented block after 'def'\nreturn x\n^~~~~~\n"),
        ("toplevel",
         "print(3)\n",
         "toplevel.ax:1:1: error: expected 'def' or a binding 'name = ...' at top level\nprint(3)\n^~~~~\n"),
        ("noexpr",
         "def f(x: f32):\n    y = \n    return x\n",
         "noexpr.ax:2:9: error: expected an expression\n    y = \n        ^\n"),
        ("indent",
         "def f(x: f32):\n    y = x\n        return x\n",
         "indent.ax:3:9: error: unexpected indent\n        return x\n        ^\n"),
        ("dup",
         "def f(x: f32):\n    return x\n\ndef f(y: f32):\n    return y\n",
         "dup.ax:4:5: error: 'f' is already defined\ndef f(y: f32):\n    ^\ndup.ax:1:5: note: previous definition of 'f' is here\ndef f(x: f32):\n    ^\n"),
        ("char",
         "def f(x: f32):\n    y = x $ 2\n",
         "char.ax:2:11: error: unexpected character '$'\n    y = x $ 2\n          ^\n"),
        ("neverclosed",
         "def f(x: f32):\n    y = (x +\n",
         "neverclosed.ax:2:9: error: '(' was never closed\n    y = (x +\n        ^\n"),
        ("mismatch",
         "def f(x: f32):\n    return (x]\n",
         "mismatch.ax:2:14: error: closing bracket ']' does not match opening bracket '('\n    return (x]\n             ^\n"),
        ("aug",
         "def f(x: f32):\n    x += 1\n",
         "aug.ax:2:7: error: augmented assignment '+=' is not supported: values are immutable; write 'x = x + ...'\n    x += 1\n      ^~\n"),
        ("range2",
         "def f(x: f32):\n    for i in range(0, 3):\n        pass\n",
         "range2.ax:2:14: error: 'range' takes exactly one argument here: 'for i in range(K)'\n    for i in range(0, 3):\n             ^~~~~~~~~~~\n"),
        ("mod",
         "def f(x: f32):\n    return x & 2\n",
         "mod.ax:2:14: error: operator '&' is not supported\n    return x & 2\n             ^\n"),
        ("badnum",
         "def f(x: f32):\n    return 1.5e\n",
         "badnum.ax:2:12: error: invalid number literal '1.5e'\n    return 1.5e\n           ^~~~\n"),
        ("badutf",
         "def f(x: f32):\n    return � x\n",
         "badutf.ax:2:12: error: unexpected character U+FFFD (invalid UTF-8?)\n    return � x\n           ^~~\n"),
        ("nul",
         "def f(x: f32):\n    return \u{0}\n",
         "nul.ax:2:12: error: unexpected character U+0000\n    return \u{0}\n           ^\n"),
        ("dupkw",
         "def f(x: f32):\n    return sum(x, axis=0, axis=1)\n",
         "dupkw.ax:2:27: error: keyword argument repeated: 'axis'\n    return sum(x, axis=0, axis=1)\n                          ^~~~\n"),
        ("upper",
         "def f(x: f32[N]):\n    return x\n",
         "upper.ax:1:14: error: a size variable must be a lowercase name like 'n', found 'N'\ndef f(x: f32[N]):\n             ^\n"),
        ("eofblock",
         "def f(x: f32):",
         "eofblock.ax:1:15: error: expected an indented block after 'def'\ndef f(x: f32):\n              ^\n"),
        ("topdedent",
         "def f(x: f32):\n    return x\n  y = 3\n",
         "topdedent.ax:3:3: error: unindent does not match any outer indentation level\n  y = 3\n  ^\n"),
        ("set",
         "x = {1, 2}\n",
         "set.ax:1:5: error: dict and set literals are not supported\nx = {1, 2}\n    ^\n"),
        ("listunclosed",
         "def f(x: f32):\n    return concatenate([x, x)\n",
         "listunclosed.ax:2:29: error: closing bracket ')' does not match opening bracket '['\n    return concatenate([x, x)\n                            ^\n"),
        ("",
         "def f(x: f32):\n    return -(x\n",
         ".ax:2:13: error: '(' was never closed\n    return -(x\n            ^\n"),
        ("ternary",
         "def f(x: f32):\n    return x if x\n",
         "ternary.ax:2:18: error: expected 'else' in the conditional expression 'a if c else b'\n    return x if x\n                 ^\n"),
        ("nums",
         "x = 1.\ny = .5\nz = 1e-3\nw = 2.5E+4\nv = 007\n",
         "nums.ax:5:5: error: leading zeros in decimal integer literals are not permitted\nv = 007\n    ^~~\n"),
        ("retval",
         "def f(x: f32):\n    return\n",
         "retval.ax:2:5: error: 'return' needs a value\n    return\n    ^~~~~~\n"),
        ("else",
         "def f(x: f32):\n    else:\n        pass\n",
         "else.ax:2:5: error: 'else' without a matching 'if'\n    else:\n    ^~~~\n"),
        ("juxt",
         "x = 1 2\n",
         "juxt.ax:1:7: error: expected end of line, found number '2'; is an operator or a comma missing?\nx = 1 2\n      ^\n"),
        ("emptyshape",
         "def f(x: f32[]):\n    return x\n",
         "emptyshape.ax:1:10: error: empty shape; write 'f32' for a scalar\ndef f(x: f32[]):\n         ^~~~\n"),
        ("nesteddef",
         "def f(x: f32):\n    def g(y: f32):\n        return y\n",
         "nesteddef.ax:2:5: error: nested 'def' is not supported; define functions at top level\n    def g(y: f32):\n    ^~~\n"),
        ("chainassign",
         "def f(x: f32):\n    a = b = x\n",
         "chainassign.ax:2:11: error: chained assignment 'a = b = c' is not supported\n    a = b = x\n          ^\n"),
        ("params",
         "def f(x: f32:\n    return x\n",
         "params.ax:1:13: error: expected ',' or ')' in the parameter list\ndef f(x: f32:\n            ^\n"),
        ("forvars",
         "def f(x: f32):\n    for i, j in range(3):\n        pass\n",
         "forvars.ax:2:9: error: the loop variable must be a single name\n    for i, j in range(3):\n        ^\n"),
        ("lambda",
         "g = lambda x: x\n",
         "lambda.ax:1:5: error: 'lambda' is not supported; define a function with 'def'\ng = lambda x: x\n    ^~~~~~\n"),
        ("not",
         "def f(a: f32, b: f32):\n    return a == not b\n",
         "not.ax:2:17: error: 'not' must be parenthesized here: (not ...)\n    return a == not b\n                ^~~\n"),
        ("ifassign",
         "def f(x: i32):\n    if x = 1:\n        return x\n",
         "ifassign.ax:2:10: error: expected ':' after the 'if' condition; use '==' to compare\n    if x = 1:\n         ^\n"),
        ("defname",
         "def 3(x: f32):\n    return x\n",
         "defname.ax:1:5: error: expected a function name after 'def'\ndef 3(x: f32):\n    ^\n"),
        ("defcolon",
         "def f(x: f32) -> f32\n    return x\n",
         "defcolon.ax:1:21: error: expected ':' after the function signature\ndef f(x: f32) -> f32\n                    ^\n"),
        ("elif",
         "def f(x: f32):\n    return x\nelif x:\n    pass\n",
         "elif.ax:3:1: error: expected 'def' or a binding 'name = ...' at top level\nelif x:\n^~~~\n"),
        ("eof",
         "def f(x: f32):\n    return f(x)(\n",
         "eof.ax:2:16: error: '(' was never closed\n    return f(x)(\n               ^\n"),
        ("errorOrder",
         "def f(x):\n    return \"abc\n",
         "errorOrder.ax:1:7: error: parameter 'x' needs a type annotation, e.g. 'x: f32'\ndef f(x):\n      ^\n"),
        ("inlineCompound",
         "def f(x: f32): if x: pass\n",
         "inlineCompound.ax:1:16: error: 'if' must start on its own line\ndef f(x: f32): if x: pass\n               ^~\n"),
        ("unexpectedClose",
         "v = f(1, ])\n",
         "unexpectedClose.ax:1:10: error: closing bracket ']' does not match opening bracket '('\nv = f(1, ])\n         ^\n"),
        ("dupParam",
         "def f(x: f32, x: f32):\n    return x\n",
         "dupParam.ax:1:15: error: duplicate parameter 'x'\ndef f(x: f32, x: f32):\n              ^\n"),
        ("unexpectedParen",
         "v = (1, 2) + )\n",
         "unexpectedParen.ax:1:14: error: unmatched ')'\nv = (1, 2) + )\n             ^\n"),
        ("unexpectedParenInParens",
         "v = (1 + )\n",
         "unexpectedParenInParens.ax:1:10: error: unexpected ')'\nv = (1 + )\n         ^\n"),
    ]

    @Test func diagnostics() {
        for c in ParserTests.diagnosticCases {
            #expect(parseOrRender(c.source, path: c.name + ".ax") == c.rendered, "case \(c.name)")
        }
    }

    @Test func deepNesting() {
        let line = "    return " + String(repeating: "(", count: 200) + "x" + String(repeating: ")", count: 200)
        #expect(parseOrRender("def f(x: f32):\n" + line + "\n") == """
            t.ax:2:112: error: expression nested too deeply
            \(line)
            \(String(repeating: " ", count: 111))^

            """)
        func firstLine(_ s: String) -> Substring { parseOrRender(s).split(separator: "\n").first ?? "" }
        var blocks = "def f(x: f32):\n"
        for k in 1...150 { blocks += String(repeating: "    ", count: k) + "if x:\n" }
        blocks += String(repeating: "    ", count: 151) + "pass\n"
        #expect(firstLine(blocks) == "t.ax:102:405: error: blocks nested too deeply")
        #expect(firstLine("def f(x: f32):\n    return " + Array(repeating: "x", count: 300).joined(separator: "+") + "\n")
                == "t.ax:2:411: error: expression nested too deeply; split it into several assignments")
        #expect(firstLine("def f(x: f32):\n    return " + String(repeating: "-", count: 300) + "x\n")
                == "t.ax:2:112: error: expression nested too deeply")
        #expect(firstLine("def f(x: f32):\n    return " + Array(repeating: "x", count: 300).joined(separator: "**") + "\n")
                == "t.ax:2:312: error: expression nested too deeply")
        #expect(firstLine("def f(x: " + String(repeating: "(", count: 300) + "f32" + String(repeating: ",)", count: 300) + "):\n    return x\n")
                == "t.ax:1:110: error: type nested too deeply")
        // Just under the limits still parses.
        let ok = "def f(x: f32):\n    return " + String(repeating: "-(", count: 48) + "x" + String(repeating: ")", count: 48) + "\n"
        #expect(!parseOrRender(ok).contains("error"))
        var okBlocks = "def f(x: f32):\n"
        for k in 1...98 { okBlocks += String(repeating: "    ", count: k) + "if x:\n" }
        okBlocks += String(repeating: "    ", count: 99) + "pass\n"
        #expect(!parseOrRender(okBlocks).contains("error"))
    }

    // MARK: robustness

    /// A deterministic generator (SplitMix64).
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Parses `bytes` (decoded with replacement characters); it must parse or throw a well-formed Diagnostic.
    private func checkRobust(_ bytes: [UInt8]) {
        let file = SourceFile(path: "soup.ax", text: String(decoding: bytes, as: UTF8.self))
        do {
            _ = try parseModule(file).dump
        } catch let d as Diagnostic {
            let size = file.text.utf8.count
            guard let r = d.range else { Issue.record("diagnostic without a range: \(d.message)"); return }
            #expect(r.start.line >= 1 && r.start.column >= 1 && r.start.offset <= r.end.offset && r.end.offset <= size,
                    "bad range \(r.start)-\(r.end) for \(d.message)")
            #expect(file.render(d).hasPrefix("soup.ax:"))
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func tokenSoup() {
        let alphabet = ["def", "f", "x", "y", "(", ")", "[", "]", "{", "}", ":", ",", "=", "+", "-", "*", "**", "/", "@",
                        "<", "<=", "==", "!=", "not", "and", "or", "if", "elif", "else", "for", "in", "range", "return",
                        "pass", "0", "1", "2.5", ".5", "1e-3", "1e", "99999999999", "'s'", "\"ni,ij->nj\"", "\"", "'",
                        "\n", "\n    ", "\n        ", "\n  ", "    ", " ", "\t", "# c", "f32", "f32[n, 3]", "i32[2]",
                        "(f32, f32)", "->", ".", "T", "None", "True", "False", "\\", "\\\n", "\u{0}", "é", "\u{FFFD}",
                        "\r\n", ";", "%", "+=", "lambda", "axis=", "vmap", "in_axes=(None, 0)", "\"\"\""]
        var rng = SeededGenerator(state: 42)
        for _ in 0..<3000 {
            let n = Int.random(in: 1...40, using: &rng)
            var s = ""
            for _ in 0..<n {
                s += alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                if Bool.random(using: &rng) { s += " " }
            }
            checkRobust(Array(s.utf8))
        }
        // Mutations of the sample programs: delete or duplicate random byte ranges (may break UTF-8).
        for sample in [linearSource, neuronSource] {
            let bytes = Array(sample.utf8)
            for _ in 0..<1000 {
                var b = bytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    guard !b.isEmpty else { break }
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    let j = min(b.count, i + Int.random(in: 1...12, using: &rng))
                    if Bool.random(using: &rng) { b.removeSubrange(i..<j) } else { b.insert(contentsOf: b[i..<j], at: i) }
                }
                checkRobust(b)
            }
        }
        // Pathological sizes: a very long line and many nested brackets or blocks.
        checkRobust(Array(("v = " + Array(repeating: "x", count: 20000).joined(separator: ", ") + "\n").utf8))
        checkRobust(Array((String(repeating: "(", count: 100_000)).utf8))
        checkRobust(Array(("v = " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)).utf8))
        checkRobust(Array((0..<2000).map { String(repeating: " ", count: $0) + "if x:\n" }.joined().utf8))
        checkRobust([0, 0, 0xFF, 0xFE, 10, 9, 10])
    }
}
