// Robustness tests: fuzzer crashers replayed as regressions, absurd shapes and literals, deep nesting,
// validation of run-time inputs (.npy files, sizes) with named errors, and bit-for-bit determinism.
import Foundation
import Testing
@testable import AxCore

private let dataDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data")
private let regressionsDir = dataDir.appendingPathComponent("regressions")
private let samplesPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples").path

/// Saved crashers (inputs that once crashed, hung or hit an internal error).
private let regressionFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: regressionsDir.path)) ?? [])
    .filter { $0.hasSuffix(".ax") }.sorted()

/// A session on in-memory source text.
private func session(_ text: String) throws -> CompilerSession {
    try CompilerSession(file: SourceFile(path: "test.ax", text: text))
}

/// Runs `body`; passes if it returns or throws a `Diagnostic`, fails on an `InternalError` or other error.
/// Returns the diagnostic, if any.
@discardableResult
private func expectNoInternalError(_ what: String, _ body: () throws -> Void) -> Diagnostic? {
    do { try body(); return nil }
    catch let d as Diagnostic { return d }
    catch { Issue.record("\(what): expected a Diagnostic, got \(type(of: error)): \(error)"); return nil }
}

/// Checks, then runs every entry eagerly and (for jit entries) compiled, with every size variable 3.
private func checkAndRun(_ s: CompilerSession, _ what: String) {
    expectNoInternalError("\(what): check") { _ = try s.checkAll() }
    for name in s.entryNames {
        expectNoInternalError("\(what): run \(name)") {
            let e = try s.entry(name)
            let sizes = Dictionary(uniqueKeysWithValues: e.program.sizeVars.map { ($0, 3) })
            let (inputs, bound) = try bindInputs(e.program, args: [:], sizes: sizes, seed: 0)
            _ = try evaluate(e.program, inputs: inputs, sizes: bound)
            if e.jit {
                let k = try compileKernel(e.program, name: name)
                _ = try k.run(inputs: inputs, sizes: bound)
            }
        }
    }
}

/// Writes `t` to a fresh temporary `.npy` file and returns its path.
private func tempNPY(_ t: Tensor, _ name: String) throws -> String {
    try tempBytes(npyBytes(t), name)
}
private func tempBytes(_ b: [UInt8], _ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-robust-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(b).write(to: url)
    return url.path
}

/// Bit patterns of every element (NaN-safe equality).
func bits(_ t: Tensor) -> [UInt64] {
    switch t.storage {
    case .f32(let a): return a.map { UInt64($0.bitPattern) }
    case .f64(let a): return a.map(\.bitPattern)
    case .i32(let a): return a.map { UInt64(UInt32(bitPattern: $0)) }
    case .bool(let a): return a.map { $0 ? 1 : 0 }
    }
}

@Suite("Robustness")
struct RobustnessTests {
    // MARK: fuzzer regressions

    @Test("saved fuzzer crashers give diagnostics, not crashes", arguments: regressionFiles)
    func regression(_ file: String) throws {
        let path = regressionsDir.appendingPathComponent(file).path
        var s: CompilerSession? = nil
        expectNoInternalError(file) { s = try CompilerSession(path: path) }
        if let s { checkAndRun(s, file) }
    }

    // MARK: absurd shapes, huge literals, deep nesting

    @Test func absurdParameterShapeIsAnErrorAtRunTime() throws {
        var parsed: CompilerSession? = nil
        let pd = expectNoInternalError("parse") { parsed = try session("def f(x: f32[100000000000]) -> f32:\n    return sum(x)\n") }
        guard let s = parsed else { #expect(pd?.message.contains("too large") == true); return }
        let d = expectNoInternalError("check") { _ = try s.checkAll() }
        if d != nil { return }  // rejected at check time: fine
        let p = try s.entry("f").program
        let err = expectNoInternalError("bind") { _ = try bindInputs(p, args: [:], sizes: [:], seed: 0) }
        #expect(err != nil, "a 10^11-element random input must be refused, not allocated")
        #expect(err?.message.contains("x") == true, "\(err?.message ?? "")")
    }

    @Test func absurdConstructorIsAnError() throws {
        let src = "def f(x: f32) -> f32:\n    return sum(zeros((100000, 100000, 100000))) + x\n\ng = jit(f)\n"
        let s = try session(src)
        if expectNoInternalError("check", { _ = try s.checkAll() }) != nil { return }
        for name in ["f", "g"] {
            let e = try s.entry(name)
            let (ins, sz) = try bindInputs(e.program, args: [:], sizes: [:], seed: 0)
            let d1 = expectNoInternalError("eager") { _ = try evaluate(e.program, inputs: ins, sizes: sz) }
            #expect(d1 != nil, "eager evaluation of a 10^15-element array must be refused")
            if e.jit {
                expectNoInternalError("jit") {
                    let k = try compileKernel(e.program, name: name)
                    _ = try k.run(inputs: ins, sizes: sz)
                }
            }
        }
    }

    @Test(arguments: [
        "def f(x: f32) -> f32:\n    return x * 1e400\n",
        "def f(x: f32) -> f32:\n    return x * 99999999999999999999999\n",
        "def f(x: f32) -> f32:\n    return x[9223372036854775807]\n",
        "def f(x: f32[3]) -> f32:\n    return x[-9223372036854775808]\n",
        "def f(x: f32[3]) -> f32:\n    return sum(x, axis=9223372036854775807)\n",
        "def f(x: f32) -> f32:\n    return sum(arange(9223372036854775807)) + x\n",
        "def f(x: f32) -> f32:\n    return sum(eye(-3)) + x\n",
        "def f(x: f32[n]) -> f32[n, n, n, n, n, n, n, n, n, n]:\n    return broadcast_to(x, (n, n, n, n, n, n, n, n, n, n))\n",
        "def f(x: f32[3]) -> f32:\n    return sum(reshape(x, (-1, -1)))\n",
        "def f(x: f32) -> f32:\n    for i in range(100000000000):\n        x = x + 1\n    return x\n",
        "def f(x: f32[4294967296, 4294967296]) -> f32:\n    return sum(x)\n",
        "def f(x: f32[9223372036854775807, 2]) -> f32:\n    return sum(x)\n",
    ])
    func hugeLiteralsAndShapes(_ src: String) throws {
        var s: CompilerSession? = nil
        expectNoInternalError("parse") { s = try session(src) }
        if let s { checkAndRun(s, src) }
    }

    /// Issue 10, item 6: inputs that once crashed the tool (a force-unwrapped `None`, a Double too large for an
    /// Int, an overflowing product of sizes, a vmapped input type whose size overflows) are located errors,
    /// in `check`, eager and jit alike. Each source is (text, a phrase of the expected message).
    @Test(arguments: [
        ("def f(x: f32) -> f32:\n    return sum(arange(None)) + x\n", "arange: start must be a number literal, got None"),
        ("def f(x: f32) -> f32:\n    return sum(arange(start=None)) + x\n", "arange: start must be a number literal, got None"),
        ("def f(x: f32) -> f32:\n    return sum(eye(None)) + x\n", "eye: N must be an int literal, got None"),
        ("def f(x: f32) -> f32:\n    return sum(eye(N=None, M=3)) + x\n", "eye: N must be an int literal, got None"),
        ("def f(x: f32) -> f32:\n    return sum(arange(0.0, 1e300)) + x\n", "limit is 2^31"),
        ("def f(x: f32) -> f32:\n    return sum(arange(-1e308, 1e308)) + x\n", "limit is 2^31"),
        ("def f(x: f32) -> f32:\n    return sum(arange(0, 1, 1e-300)) + x\n", "limit is 2^31"),
        ("def f(x: f32) -> f32:\n    return sum(arange(4294967296.0)) + x\n", "limit is 2^31"),
        ("def f(x: f32[4]) -> f32:\n    return sum(reshape(x, (1000000000, 1000000000, 1000000000, -1)))\n", "cannot reshape"),
        ("def f(x: f32[4]) -> f32:\n    return sum(reshape(x, (1000000000, 1000000000, 1000000000, 4)))\n", "cannot reshape"),
        ("def f(x: f32[n]) -> f32:\n    return sum(reshape(x, (-1, 1000000000, 1000000000, 1000000000)))\n", "cannot reshape"),
        ("def f(x: f32[n, 100000, 100000, 100000, 100000]) -> f32:\n    return sum(x)\n", "fixed dimensions alone"),
        ("def f(x: f32[2]) -> f32[2]:\n    return x\n\ng = vmap(vmap(vmap(f, axis_size=1000000000), axis_size=2000000000), axis_size=2000000000)\n", "limit is 2^31"),
    ])
    func badBuiltinArgumentsAndOverflowingShapesAreLocatedErrors(_ src: String, _ phrase: String) throws {
        let s = try session(src + "\nj = jit(f)\n")
        let d = expectNoInternalError("check") { _ = try s.checkAll() }
        let m = try #require(d, "accepted: \(src)")
        #expect(m.message.contains(phrase), "\(m.message)")
        #expect((m.range?.start.line ?? 0) > 0, "not located: \(m.message)")
        checkAndRun(s, src)
    }

    /// Issue 10, item 6: jit refuses every array eager refuses (2^31 elements, 16 GiB), with eager's located
    /// message and before allocating anything: an intermediate that cannot be allocated (it aborted in
    /// `UnsafeMutableRawPointer.allocate`), and an output beyond 2^31 elements (jit used to make it).
    @Test(arguments: [
        ("def f(x: f32[n]) -> f32:\n    return sum(softmax(outer(x, x), axis=0))\n", 100_000, 2),
        ("def f(x: f32[n]) -> f32[n, n]:\n    return outer(x, x)\n", 50_000, 2),
        ("def f(x: f32[n]) -> f32[n, n]:\n    return outer(x, x) + 1.0\n", 46_341, 2),
        ("def f(x: f32[n]) -> (f32, f32[n, n]):\n    return sum(x), outer(x, x)\n", 50_000, 2),
    ])
    func jitRefusesWhatEagerRefuses(_ src: String, _ n: Int, _ line: Int) throws {
        let s = try session(src + "\ng = jit(f)\n")
        let e = try s.entry("g")
        let p = try lower(e, to: .optimized).optimized
        let (ins, sz) = try bindInputs(p, args: [:], sizes: ["n": n], seed: 0)
        let eager = expectNoInternalError("eager") { _ = try evaluate(p, inputs: ins, sizes: sz) }
        let jit = expectNoInternalError("jit") { _ = try compileKernel(e.program, name: "g").run(inputs: ins, sizes: sz) }
        let de = try #require(eager, "eager accepted n=\(n)"), dj = try #require(jit, "jit accepted n=\(n)")
        #expect(dj.message == de.message && dj.message.contains("too large"), "jit: \(dj.message)\neager: \(de.message)")
        #expect(dj.range == de.range && dj.range?.start.line == line, "jit at \(String(describing: dj.range)), eager at \(String(describing: de.range))")
        // bench (its default n is 100000) refuses it the same way.
        if n == 100_000 {
            var req = BenchRequest(fn: "g"); req.sizes = ["n": n]; req.runs = 1; req.modes = [.jit]
            let db = expectNoInternalError("bench") { _ = try benchmark(SourceFile(path: "test.ax", text: src + "\ng = jit(f)\n"), req) }
            #expect(db?.message == de.message && db?.range == de.range, "bench: \(db?.message ?? "accepted")")
        }
    }

    /// Memory the system refuses is a Diagnostic naming what it was for, not an abort.
    @Test func allocationFailureIsADiagnostic() throws {
        for bytes in [1 << 50, Int.max, -1] {
            let d = expectNoInternalError("alloc \(bytes)") { _ = try AlignedBuffer(bytes: bytes, for: "the scratch of kernel 'k'") }
            let m = try #require(d, "\(bytes) bytes were allocated").message
            #expect(m.contains("cannot allocate") && m.contains("scratch of kernel 'k'"), "\(m)")
        }
        let ok = try AlignedBuffer(bytes: 0, for: "nothing")
        #expect(Int(bitPattern: ok.pointer) % 64 == 0)
    }

    @Test(arguments: [
        String(repeating: "(", count: 100_000) + "x" + String(repeating: ")", count: 100_000),
        String(repeating: "-", count: 100_000) + "x",
        String(repeating: "exp(", count: 20_000) + "x" + String(repeating: ")", count: 20_000),
        "x" + String(repeating: " + x", count: 20_000),
        "x" + String(repeating: " ** x", count: 20_000),
        String(repeating: "[", count: 50_000) + "x",
    ])
    func deepNesting(_ body: String) throws {
        var s: CompilerSession? = nil
        expectNoInternalError("parse") { s = try session("def f(x: f32) -> f32:\n    return \(body)\n") }
        if let s { expectNoInternalError("check") { _ = try s.checkAll() } }
    }

    @Test func deepTransformNestingAndIndentation() throws {
        let jits = "g = " + String(repeating: "jit(", count: 10_000) + "f" + String(repeating: ")", count: 10_000) + "\n"
        var s: CompilerSession? = nil
        expectNoInternalError("parse") { s = try session("def f(x: f32) -> f32:\n    return x\n" + jits) }
        if let s { expectNoInternalError("check") { _ = try s.checkAll() } }
        var ifs = "def f(x: f32) -> f32:\n"
        for i in 1...3000 { ifs += String(repeating: "    ", count: i) + "if x > 0:\n" }
        ifs += String(repeating: "    ", count: 3001) + "x = x + 1\n    return x\n"
        s = nil
        expectNoInternalError("parse") { s = try session(ifs) }
        if let s { expectNoInternalError("check") { _ = try s.checkAll() } }
    }

    /// Found by `make fuzz` (`x ** 1e308` in higher_order.ax): an f32 literal that is finite as a Double but
    /// overflows f32 was emitted as `inf.0f`, which no C compiler accepts (jit exited 3 while eager gave inf).
    @Test func f32LiteralThatOverflowsToInfinityCompiles() throws {
        let s = try session("def f(x: f32) -> f32:\n    return x * 1e300\n\ng = jit(f)\n")
        let e = try s.entry("g")
        let x = Tensor(scalar: 2, .f32)
        let eager = try evaluate(e.program, inputs: [x], sizes: [:])
        #expect(eager[0].element(0) == .infinity)
        let k = try compileKernel(e.program, name: "g")
        let out = try k.run(inputs: [x], sizes: [:])
        #expect(bits(out[0]) == bits(eager[0]))
    }

    // MARK: run-time inputs

    static let linear = "def mse(w: f32, xs: f32[n], ys: f32[n]) -> f32:\n    return mean((w * xs - ys) ** 2)\n\ng = jit(mse)\n"

    private func program() throws -> Program { try session(Self.linear).entry("g").program }

    @Test func npyOfWrongDtypeNamesArgumentAndShapes() throws {
        let p = try program()
        let path = try tempNPY(Tensor(.f64, shape: [3], doubles: [1, 2, 3]), "xs_f64.npy")
        // float64 converts to f32 at the door (docs/cli.md); --strict-dtypes asks for the exact dtype.
        let d = expectNoInternalError("bind") { _ = try bindInputs(p, args: ["xs": .npy(path)], sizes: [:], seed: 0, strictDTypes: true) }
        let m = try #require(d).message
        #expect(m.contains("'xs'") && m.contains("f32[n]") && m.contains("f64") && m.contains("[3]"), "\(m)")
        let (ins, _) = try bindInputs(p, args: ["xs": .npy(path)], sizes: [:], seed: 0)
        #expect(ins[1] == Tensor(.f32, shape: [3], doubles: [1, 2, 3]))
    }

    @Test func npyOfWrongShapeNamesArgumentAndShapes() throws {
        let p = try program()
        let path = try tempNPY(Tensor(.f32, shape: [3, 2], doubles: Array(repeating: 1, count: 6)), "xs_2d.npy")
        let d = expectNoInternalError("bind") { _ = try bindInputs(p, args: ["xs": .npy(path)], sizes: [:], seed: 0) }
        let m = try #require(d).message
        #expect(m.contains("'xs'") && m.contains("f32[n]") && m.contains("[3,2]"), "\(m)")
        let wpath = try tempNPY(Tensor(.f32, shape: [1], doubles: [1]), "w_1.npy")
        let d2 = expectNoInternalError("bind") { _ = try bindInputs(p, args: ["w": .npy(wpath)], sizes: ["n": 2], seed: 0) }
        let m2 = try #require(d2).message
        #expect(m2.contains("'w'") && m2.contains("f32[]") && m2.contains("[1]"), "\(m2)")
    }

    @Test func corruptAndTruncatedNPYFiles() throws {
        let p = try program()
        let good = npyBytes(Tensor(.f32, shape: [4], doubles: [1, 2, 3, 4]))
        var corrupt = good
        if let i = corrupt.firstIndex(of: UInt8(ascii: "{")) { corrupt[i] = UInt8(ascii: "<") }
        var hugeHeader = good
        hugeHeader[8] = 0xFF; hugeHeader[9] = 0xFF
        let cases: [(String, [UInt8], String)] = [
            ("corrupt.npy", corrupt, "not a valid .npy"),
            ("truncated.npy", Array(good.dropLast(3)), "truncated"),
            ("headeronly.npy", Array(good.prefix(9)), "not a valid .npy"),
            ("hugeheader.npy", hugeHeader, "truncated"),
            ("empty.npy", [], "not a valid .npy"),
            ("text.npy", Array("1,2,3\n".utf8), "not a valid .npy"),
        ]
        for (name, bytes, phrase) in cases {
            let path = try tempBytes(bytes, name)
            let d = expectNoInternalError(name) { _ = try bindInputs(p, args: ["xs": .npy(path)], sizes: [:], seed: 0) }
            let m = try #require(d, "\(name) was accepted").message
            #expect(m.contains(name) && m.contains(phrase), "\(name): \(m)")
        }
        // A shape whose element count overflows must be refused before any allocation.
        let hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        var big: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let padded = hdr + String(repeating: " ", count: (64 - (10 + hdr.utf8.count + 1) % 64) % 64) + "\n"
        big += [UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)] + Array(padded.utf8) + [0, 0, 0, 0]
        let bigPath = try tempBytes(big, "overflow.npy")
        #expect(expectNoInternalError("overflow") { _ = try bindInputs(p, args: ["xs": .npy(bigPath)], sizes: [:], seed: 0) } != nil)
    }

    @Test func conflictingSizesBetweenFilesAndFlags() throws {
        let p = try program()
        let xs = try tempNPY(Tensor(.f32, shape: [3], doubles: [1, 2, 3]), "xs3.npy")
        let ys = try tempNPY(Tensor(.f32, shape: [4], doubles: [1, 2, 3, 4]), "ys4.npy")
        let d = expectNoInternalError("two files") { _ = try bindInputs(p, args: ["xs": .npy(xs), "ys": .npy(ys)], sizes: [:], seed: 0) }
        let m = try #require(d).message
        #expect(m.contains("xs") && m.contains("ys") && m.contains("3") && m.contains("4") && m.contains("n"), "\(m)")
        let d2 = expectNoInternalError("--size") { _ = try bindInputs(p, args: ["xs": .npy(xs)], sizes: ["n": 5], seed: 0) }
        let m2 = try #require(d2).message
        #expect(m2.contains("n=5") && m2.contains("3") && m2.contains("xs"), "\(m2)")
        // Agreeing file and flag are fine.
        let (ins, sz) = try bindInputs(p, args: ["xs": .npy(xs)], sizes: ["n": 3], seed: 0)
        #expect(sz["n"] == 3 && ins[1].shape == [3] && ins[2].shape == [3])
    }

    @Test func negativeAndOverflowingSizes() throws {
        let p = try program()
        for n in [-1, Int.min, Int.max, 1 << 40] {
            let d = expectNoInternalError("n=\(n)") { _ = try bindInputs(p, args: [:], sizes: ["n": n], seed: 0) }
            let m = try #require(d, "n=\(n) accepted").message
            #expect(m.contains("n"), "\(m)")
        }
        // A size variable the program does not have, and an unknown argument.
        let dz = expectNoInternalError("unknown size") { _ = try bindInputs(p, args: [:], sizes: ["n": 2, "zz": 3], seed: 0) }
        #expect(dz?.message.contains("no size variable 'zz'") == true, "\(dz?.message ?? "accepted")")
        let d = expectNoInternalError("unknown arg") { _ = try bindInputs(p, args: ["nope": .random], sizes: ["n": 2], seed: 0) }
        #expect(d?.message.contains("nope") == true)
        // Two size variables whose product overflows.
        let q = try session("def f(x: f32[a, b]) -> f32:\n    return sum(x)\n").entry("f").program
        let d2 = expectNoInternalError("a*b") { _ = try bindInputs(q, args: [:], sizes: ["a": 1 << 31, "b": 1 << 31], seed: 0) }
        #expect(d2 != nil)
    }

    @Test func evaluateAndKernelRejectBadInputs() throws {
        let p = try program()
        let w = Tensor(scalar: 2, .f32)
        let x3 = Tensor(.f32, shape: [3], doubles: [1, 2, 3])
        let y4 = Tensor(.f32, shape: [4], doubles: [1, 2, 3, 4])
        let x3d = Tensor(.f64, shape: [3], doubles: [1, 2, 3])
        let k = try compileKernel(p, name: "g")
        for (ins, what) in [([w, x3, y4], "n mismatch"), ([w, x3d, x3], "dtype"), ([x3, x3, x3], "rank"), ([w, x3], "count")] {
            let d1 = expectNoInternalError("evaluate \(what)") { _ = try evaluate(p, inputs: ins, sizes: [:]) }
            #expect(d1 != nil, "evaluate accepted \(what)")
            let d2 = expectNoInternalError("kernel \(what)") { _ = try k.run(inputs: ins, sizes: [:]) }
            #expect(d2 != nil, "kernel accepted \(what)")
            if what == "n mismatch" {
                #expect(d1?.message.contains("ys") == true, "\(d1?.message ?? "")")
                #expect(d2?.message.contains("ys") == true && d2?.message.contains("f32[n]") == true, "\(d2?.message ?? "")")
            }
        }
        // Sizes given explicitly must agree with the inputs.
        #expect(expectNoInternalError("evaluate sizes") { _ = try evaluate(p, inputs: [w, x3, x3], sizes: ["n": 4]) } != nil)
        #expect(expectNoInternalError("kernel sizes") { _ = try k.run(inputs: [w, x3, x3], sizes: ["n": 4]) } != nil)
        // The right inputs work on both paths and agree.
        let a = try evaluate(p, inputs: [w, x3, x3], sizes: [:]), b = try k.run(inputs: [w, x3, x3], sizes: [:])
        #expect(abs(a[0].element(0) - b[0].element(0)) <= 1e-6 * abs(a[0].element(0)))
    }

    @Test func kernelsRejectNegativeSizesInCallRaw() throws {
        let s = try CompilerSession(path: samplesPath + "/linear.ax")
        for name in ["per_example_grads", "mean_grad"] {
            let lowered = try s.lower(name)
            let p = lowered.optimized, k = lowered.kernel!
            let sizes = p.sizeVars.map { _ in Int64(-1) }
            try #require(!sizes.isEmpty)
            // No pointer may be touched: pass dangling-but-never-dereferenced placeholders.
            let dummy = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
            defer { dummy.deallocate() }
            let code = k.callRaw(sizes: sizes, inputs: p.inputs.map { _ in UnsafeRawPointer(dummy) },
                                 outputs: p.outputs.map { _ in dummy }, scratch: nil)
            #expect(code != 0, "\(name) accepted n = -1")
            #expect(k.scratchBytes(sizes: sizes) == 0)
            let huge = k.callRaw(sizes: p.sizeVars.map { _ in Int64.max }, inputs: p.inputs.map { _ in UnsafeRawPointer(dummy) },
                                 outputs: p.outputs.map { _ in dummy }, scratch: nil)
            #expect(huge != 0, "\(name) accepted n = Int64.max")
        }
    }

    // MARK: determinism

    @Test(arguments: ["linear.ax", "neuron.ax", "higher_order.ax", "mlp.ax"])
    func sameInputsSameBits(_ file: String) throws {
        let s = try CompilerSession(path: samplesPath + "/" + file)
        for e in try s.checkAll() {
            let sizes = Dictionary(uniqueKeysWithValues: e.program.sizeVars.map { ($0, 5) })
            let (ins, sz) = try bindInputs(e.program, args: [:], sizes: sizes, seed: 7)
            let (ins2, _) = try bindInputs(e.program, args: [:], sizes: sizes, seed: 7)
            #expect(ins.map(bits) == ins2.map(bits), "random inputs of \(e.name) depend on more than the seed")
            let a = try evaluate(e.program, inputs: ins, sizes: sz), b = try evaluate(e.program, inputs: ins, sizes: sz)
            #expect(a.map(bits) == b.map(bits), "eager \(file):\(e.name) is not deterministic")
            if e.jit {
                let k1 = try compileKernel(e.program, name: e.name)
                let k2 = try compileKernel(e.program, name: e.name)
                let c1 = try k1.run(inputs: ins, sizes: sz), c2 = try k1.run(inputs: ins, sizes: sz), c3 = try k2.run(inputs: ins, sizes: sz)
                #expect(c1.map(bits) == c2.map(bits) && c1.map(bits) == c3.map(bits), "jit \(file):\(e.name) is not deterministic")
            }
        }
    }

    /// (file, entry): vmapped jit entries whose mapped inputs and outputs all have the batch axis first.
    @Test(arguments: [("linear.ax", "per_example_grads"), ("neuron.ax", "batched"), ("higher_order.ax", "batched_d2f"),
                      ("higher_order.ax", "value_and_slope"), ("mlp.ax", "predict"), ("add.ax", "jit_vmapped_add"),
                      ("outer.ax", "batched_outer_sum"), ("add.ax", "jit_manual_add"), ("mlp.ax", "per_example_grads"),
                      ("seed001.ax", "jitted_batched_predict"), ("seed001.ax", "jit_vmap_grad_loss")])
    func batchSizeDoesNotChangeAnExample(_ file: String, _ name: String) throws {
        let s = try CompilerSession(path: samplesPath + "/" + file)
        let lowered = try s.lower(name)
        let p = lowered.optimized, k = lowered.kernel!
        let sizeVar = try #require(p.sizeVars.first)
        // One batch of 64; the example at row r of a batch of size b is example `src(b, r)` of the 64.
        let (big, _) = try bindInputs(p, args: [:], sizes: [sizeVar: 64], seed: 3)
        let mapped = p.inputs.map { $0.type.shape.first == .sym(sizeVar) }
        func rows(_ t: Tensor, _ idx: [Int]) -> Tensor {
            let per = t.shape.dropFirst().reduce(1, *)
            let flat = idx.flatMap { i in (i * per)..<((i + 1) * per) }
            var shape = t.shape; shape[0] = idx.count
            switch t.storage {
            case .f32(let a): return Tensor(shape: shape, storage: .f32(flat.map { a[$0] }))
            case .f64(let a): return Tensor(shape: shape, storage: .f64(flat.map { a[$0] }))
            case .i32(let a): return Tensor(shape: shape, storage: .i32(flat.map { a[$0] }))
            case .bool(let a): return Tensor(shape: shape, storage: .bool(flat.map { a[$0] }))
            }
        }
        let full = try k.run(inputs: big, sizes: [sizeVar: 64])
        for b in [1, 7] {
            for offset in [0, 5, 57] {
                let idx = (0..<b).map { (offset + $0 * 3) % 64 }
                let ins = zip(big, mapped).map { $1 ? rows($0, idx) : $0 }
                let out = try k.run(inputs: ins, sizes: [sizeVar: b])
                var compared = 0
                for (j, (o, f)) in zip(out, full).enumerated() where p.outputs[j].type.shape.first == .sym(sizeVar) {
                    #expect(bits(o) == bits(rows(f, idx)), "\(file):\(name): batch of \(b) at \(idx) differs from the batch of 64")
                    compared += 1
                }
                #expect(compared > 0, "\(file):\(name) has no output batched along its first axis")
            }
        }
    }
}
