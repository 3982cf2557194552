// Per-element C (Codegen/EmitElements.swift) computes the tiled kernel's bits: every element-wise op on special and
// random values (huge sin/cos arguments take the redo path), chains into maps, sums and selects, and sample entries,
// through tier 2 (`cc -O3 -march=native`) and through `axc compile`'s file built as an embedder would (`cc -O2`), with
// its loops whole or split by an AXC_PARALLEL_FOR of the embedder's.
import Foundation
import Testing
@testable import AxCore

/// Deterministic f32 or f64 values: special values, huge arguments (beyond sin/cos's reduction, scattered so some
/// tiles redo and others do not), random bit patterns and moderate random values, cycled to `count`.
private func sweep(_ t: DType, count n: Int, seed: UInt64) -> Tensor {
    let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e-40, -Double.leastNormalMagnitude / 16, 1, -1, 0.5, 1e5, -2e5, 131072,
                              131073, 1e30, -1e30, 88.72284, -88.72284, -103.5, 9.5, 0.625, -0.999, 3.4e38, 1e300]
    var r = SeededRandom(seed: seed)
    var xs: [Double] = []
    for i in 0..<n {
        let w = r.next()
        switch i % 97 {
        case 0: xs.append(specials[(i / 97) % specials.count])
        case 1...20: xs.append(t == .f32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: w))) : Double(bitPattern: w))
        default: xs.append(Double(w >> 11) / Double(1 << 53) * 24 - 12)
        }
    }
    return Tensor(t, shape: [n], doubles: xs)
}

/// An embedder's AXC_PARALLEL_FOR (docs/c-interface.md) for `-DAXC_PARALLEL_FOR=test_split`: pieces of one grain,
/// last piece first, as another thread pool might order them.
private let splitLoops = """
    void test_split(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t), void *ctx) {
        int64_t piece = grain, lo = (n - 1) / piece * piece;
        for (; n > 0 && lo >= 0; lo -= piece) body(ctx, lo, lo + piece < n ? lo + piece : n);
    }

    """

/// `graphs` (C names and fused graphs) in one shared object of per-element C: tier 2's file (`Tier2Config.flags`), or
/// with `embedFlags` the standalone file of `axc compile` plus packed wrappers, compiled with those flags.
private func perElementObject(_ graphs: [(name: String, graph: KernelGraph)], embedFlags: [String]? = nil) throws -> Tier2Module {
    let cc = try #require(findExecutable("cc"))
    guard let flags = embedFlags else {
        let source = tier2Source(graphs.map { (emitKernel($0.graph, name: $0.name, perElement: true), packedWrappers($0.graph, name: $0.name)) })
        return try Tier2Module.load(source, config: Tier2Config(compiler: cc))
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-perelement-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var (c, h) = try emitStandalone(entries: graphs.map { ($0.name, $0.graph, "test") }, sourceHash: "test", headerName: "k.h")
    c += graphs.map { packedWrappers($0.graph, name: $0.name) }.joined() + "void axc_tier2_bind(void *p) { (void)p; }\n" + splitLoops
    try c.write(to: dir.appendingPathComponent("k.c"), atomically: true, encoding: .utf8)
    try h.write(to: dir.appendingPathComponent("k.h"), atomically: true, encoding: .utf8)
    let so = dir.appendingPathComponent("k.so").path
    let (rc, out) = try runProcess(cc, flags + ["-fPIC", "-shared", "-I", dir.path, "-o", so, dir.appendingPathComponent("k.c").path, "-lm"])
    try #require(rc == 0, "cc \(flags): \(out)")
    return try Tier2Module.open(so)
}

/// Lowers each program (C name `name`) at tier 1 and runs it on `inputs` against the same graph's per-element code
/// built both ways; records every kernel whose outputs differ in any bit (NaNs canonical, as in Tier2Tests).
private func expectPerElementEqualsTiled(_ cases: [(name: String, program: Program, runs: [([Tensor], [String: Int])])],
                                         optimize: Bool) throws {
    let lowered = try cases.map { try lower($0.program, name: $0.name, to: .kernel, optimize: optimize) }
    let graphs = lowered.map { (name: cEntryName($0.name), graph: $0.graph!) }
    let embed = ["-std=c99", "-O2", "-ffp-contract=off"]
    for (how, flags) in [("tier 2", nil), ("standalone cc -O2", embed), ("standalone split", embed + ["-DAXC_PARALLEL_FOR=test_split"])] {
        let m = try perElementObject(graphs, embedFlags: flags)
        for (c, l) in zip(cases, lowered) {
            let k = try CompiledKernel(tier2: m, source: "", graph: l.graph!, program: l.optimized, name: l.name)
            for (inputs, sizes) in c.runs {
                let want = canonicalBits(try l.kernel!.run(inputs: inputs, sizes: sizes))
                let got = canonicalBits(try k.run(inputs: inputs, sizes: sizes))
                guard got != want else { continue }
                let o = want.indices.first { want[$0] != got[$0] } ?? 0
                let i = want[o].indices.first { want[o][$0] != got[o][$0] }
                Issue.record("\(how): \(c.name) \(sizes) differs from tier 1 in output \(o) at \(i.map(String.init) ?? "?")")
            }
        }
    }
}

@Suite struct PerElementTests {
    /// Every float unary op, binary op and integer power, in f32 and f64, over a sweep of 3000 values (12 tiles and a
    /// partial one).
    @Test func everyElementwiseOp() throws {
        guard findExecutable("cc") != nil else { withKnownIssue("no C compiler") { Issue.record("cc not on PATH") }; return }
        let n = 3000
        var cases: [(name: String, program: Program, runs: [([Tensor], [String: Int])])] = []
        for t in [DType.f32, .f64] {
            let x = sweep(t, count: n, seed: 1), y = sweep(t, count: n, seed: 2)
            func add(_ tag: String, _ inputs: [Tensor], _ prim: Primitive) throws {
                let p = try makeProgram(inputs.map { _ in TensorType(t, [.const(n)]) }) { b, xs in [try b.emit(prim, xs)] }
                cases.append(("\(tag)_\(t)", p, [(inputs, [:])]))
            }
            for op in UnaryOp.allCases where op != .not { try add(op.rawValue, [x], .unary(op)) }
            for op in BinaryOp.allCases where op != .and && op != .or { try add(op.rawValue, [x, y], .binary(op)) }
            for e in [-3, 2, 5] { try add("pow\(e < 0 ? "m" : "")\(abs(e))", [x], .integerPow(e)) }
        }
        try expectPerElementEqualsTiled(cases, optimize: false)
    }

    /// Chains: maps with selects and predicates, sums of long rows (tiles per row), of short rows (whole rows per
    /// tile) and of everything (chunks), a broadcast periodic along the rows, in f32 and f64, at several batch sizes.
    @Test func chainsIntoMapsAndSums() throws {
        guard findExecutable("cc") != nil else { withKnownIssue("no C compiler") { Issue.record("cc not on PATH") }; return }
        let source = """
            def rows(x: f32[n, 300], y: f32[n, 300], b: f32[300]) -> (f32[n], f32[n, 300], f32[n]):
                s = sin(x) * cos(y) + tanh(x * y)
                return sum(s, axis=1), where(x > y, exp(x) - b, log1p(y) ** 3), sum(sigmoid(x) - y * b, axis=1)
            def short(x: f64[n, 7], y: f64[n, 7]) -> (f64[n], f64[n, 7]):
                return sum(sin(x) * exp(y), axis=1), where(x < y, cos(x), sqrt(y))
            def total(x: f32[n]) -> f32:
                return sum(tanh(x) * sin(x))
            """
        let s = try CompilerSession(file: SourceFile(path: "chains.ax", text: source))
        var cases: [(name: String, program: Program, runs: [([Tensor], [String: Int])])] = []
        for (name, ns) in [("rows", [1, 7, 300]), ("short", [1, 7, 5000]), ("total", [5, 300_000])] {
            let p = try s.lower(name, to: .optimized).optimized
            let runs = try ns.map { n -> ([Tensor], [String: Int]) in
                let sizes = ["n": n]
                let inputs = try p.inputs.enumerated().map { k, v -> Tensor in
                    let shape = try #require(v.type.concreteShape(sizes))
                    let flat = sweep(v.type.dtype, count: shape.reduce(1, *), seed: UInt64(10 + k))
                    return Tensor(shape: shape, storage: flat.storage)
                }
                return (inputs, sizes)
            }
            cases.append((name, p, runs))
        }
        try expectPerElementEqualsTiled(cases, optimize: false)
    }

    /// Sample entries an embedder compiles (a small contraction inlined, loops, inner-mode broadcasts, sin and cos of one
    /// operand), on random inputs at a few batch sizes.
    @Test func sampleEntries() throws {
        guard findExecutable("cc") != nil else { withKnownIssue("no C compiler") { Issue.record("cc not on PATH") }; return }
        var cases: [(name: String, program: Program, runs: [([Tensor], [String: Int])])] = []
        for (sample, entry, ns) in [("neuron.ax", "batched", [1, 7, 100_000]), ("higher_order.ax", "batched_d2f", [7, 70_000]),
                                    ("linear.ax", "per_example_grads", [3, 70_000]), ("outer.ax", "batched_tanh_outer_sum", [3]),
                                    ("rnn.ax", "per_example_grads", [2])] {
            let s = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(sample)").path)
            let p = try s.lower(entry, to: .optimized).optimized
            let runs = try ns.map { n in
                try bindInputs(p, args: [:], sizes: Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, $0 == "t" ? 5 : n) }), seed: 3)
            }
            cases.append(("s\(cases.count)_\(entry)", p, runs))
        }
        try expectPerElementEqualsTiled(cases, optimize: false)
    }

    /// In every per-element loop of the sample entries' C, the stores come last: no buffer is read after one (clang
    /// reloads such reads; docs/performance.md, "Tier 2").
    @Test func elementLoopsStoreLast() throws {
        for (sample, entry) in [("linear.ax", "per_example_grads"), ("higher_order.ax", "batched_d2f"), ("rnn.ax", "per_example_grads"),
                                ("neuron.ax", "batched"), ("linear.ax", "mean_grad")] {
            let s = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(sample)").path)
            let text = emitKernel(try s.lower(entry, to: .kernel).graph!, name: "k", perElement: true).text
            var loops = 0, stored = false, inLoop = false
            for l in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if l.hasPrefix("for (int64_t ax_j") { inLoop = true; stored = false; loops += 1; continue }
                guard inLoop else { continue }
                if l == "}" { inLoop = false; continue }
                let store = l.range(of: #"^(\(.*\)|ax_T\d+)\[ax_j\d+\] = ax_E\d+;$"#, options: .regularExpression) != nil
                #expect(store || !stored, "\(sample) \(entry): '\(l)' after a store in an element loop")
                stored = stored || store
            }
            #expect(loops > 0, "\(sample) \(entry): no element loop")
        }
    }
}
