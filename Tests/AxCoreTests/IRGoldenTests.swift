// Golden files of the printed IR of every entry of every sample (stages `optimized` and `fused`, plus `parsed`
// for defs).
// `UPDATE_GOLDEN=1 swift test --filter IRGoldenTests` rewrites them; review the diff before committing.
import Foundation
import Testing
@testable import AxCore

@Suite struct IRGoldenTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Data/golden")
    static let updating = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"

    /// The sample files' base names (`add`, `linear`, ...), sorted.
    static var samples: [String] {
        let dir = repoRoot.appendingPathComponent("Samples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".ax") }.map { String($0.dropLast(3)) }.sorted()
    }

    static func session(_ sample: String) throws -> CompilerSession {
        try CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(sample).ax").path)
    }

    /// The golden files a sample should have: `<entry>.optimized.txt` and `<entry>.fused.txt` (the kernel graph)
    /// for every entry, and `<entry>.parsed.txt` for entries without transforms (plain defs).
    static func expectedGoldens(_ s: CompilerSession) throws -> [(entry: String, stage: Stage)] {
        var out: [(String, Stage)] = []
        for e in try s.checkAll() {
            if e.chain == e.name { out.append((e.name, .parsed)) }
            guard e.isRunnable else { continue }
            out.append((e.name, .optimized))
            out.append((e.name, .fused))
        }
        return out
    }

    /// Compares `text` with the golden file (or rewrites it under UPDATE_GOLDEN=1).
    static func check(_ text: String, golden url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if updating {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let want = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(url.path); run UPDATE_GOLDEN=1 swift test --filter IRGoldenTests",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(text == want, "IR differs from \(url.lastPathComponent)", sourceLocation: sourceLocation)
    }

    @Test func samplesExist() {
        #expect(Self.samples.count >= 7, "Samples/*.ax not found from \(Self.repoRoot.path)")
    }

    @Test(arguments: samples) func goldenIR(_ sample: String) throws {
        let s = try Self.session(sample)
        let expected = try Self.expectedGoldens(s)
        #expect(!expected.isEmpty)
        for (entry, stage) in expected {
            let text = try s.irText(entry, stage: stage)
            try Self.check(text, golden: Self.goldenDir.appendingPathComponent("\(sample)/\(entry).\(stage.rawValue).txt"))
        }
        // No stale goldens: every file in the sample's directory belongs to an entry and stage above.
        if !Self.updating {
            let dir = Self.goldenDir.appendingPathComponent(sample)
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            let wanted = Set(expected.map { "\($0.entry).\($0.stage.rawValue).txt" })
            #expect(files.subtracting(wanted).isEmpty, "stale goldens in \(sample): \(files.subtracting(wanted).sorted())")
        }
    }

    /// Primitive names of a program's equations, in order.
    static func primitives(_ p: Program, ignoring: Set<String> = []) -> [String] {
        p.eqns.map(\.prim.name).filter { !ignoring.contains($0) }
    }

    /// Samples/neuron.ax: the vmapped neuron and the hand-batched einsum lower to the same primitive sequence.
    @Test func neuronBatchedMatchesManual() throws {
        let s = try Self.session("neuron")
        let ignore: Set<String> = ["broadcast_in_dim"]
        let batched = Self.primitives(try s.program("batched", stage: .optimized), ignoring: ignore)
        let manual = Self.primitives(try s.program("neuron_manual", stage: .optimized), ignoring: ignore)
        #expect(batched == ["dot_general", "add", "tanh", "reduce_sum"])
        #expect(manual == ["dot_general", "add", "tanh", "reduce_sum"])
        #expect(batched == manual)
    }

    /// Optimized programs hold no dead equations, no multiplication by 1 and no addition of 0.
    @Test(arguments: samples) func optimizedIsClean(_ sample: String) throws {
        let s = try Self.session(sample)
        for name in try s.checkAll().filter(\.isRunnable).map(\.name) {
            let p = try s.program(name, stage: .optimized)
            var live = Set(p.outputs.compactMap(\.variable))
            for e in p.eqns.reversed() {
                #expect(live.contains(e.out), "\(sample).\(name): dead equation \(e.prim.name)")
                for a in e.inputs { if let v = a.variable { live.insert(v) } }
            }
            for e in p.eqns {
                if e.prim.name == "mul" { #expect(!e.inputs.contains { $0.literalValue == 1 }, "\(sample).\(name): mul by 1") }
                if e.prim.name == "add" { #expect(!e.inputs.contains { $0.literalValue == 0 }, "\(sample).\(name): add of 0") }
            }
        }
    }

    /// The kernel graph's text shows outputs copied from another buffer or a literal (no sample has them).
    @Test func fusedTextShowsCopies() throws {
        let src = "def f(x: f32[3]) -> (f32[3], f32[3], f32):\n    y = x * 2.0\n    return y, y, 1.0\n"
        let s = try CompilerSession(file: SourceFile(path: "copies.ax", text: src))
        #expect(try s.irText("f", stage: .fused) == """
            kernel f
            buffers
                in0   a:f32[3]  x
                out0  b:f32[3]
                out1  f32[3]    copied
                out2  f32[]     copied
            nests
                0 map → out0 (reads in0)
                    store  b:f32[3] = mul a 2.0:f32[]
                1 copy → out1 from out0
                2 copy → out2 from 1.0:f32[]

            """)
    }

    /// `--stage transformed` is the outermost transform's output before simplification, and simplifying it
    /// gives `--stage optimized`.
    @Test func transformedIsBeforeSimplification() throws {
        let s = try Self.session("higher_order")
        let raw = try s.program("d2f", stage: .transformed), optimized = try s.program("d2f", stage: .optimized)
        #expect(raw.eqns.count > optimized.eqns.count)
        #expect(simplify(raw).text == optimized.text)
    }
}
