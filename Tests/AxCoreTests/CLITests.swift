// End-to-end tests of the `axc` command line (docs/cli.md): runs the debug binary `.build/debug/axc`
// (`make test` builds it first) and checks exit codes, stdout, stderr and written files.
import Foundation
import Testing
@testable import AxCore

/// The result of one `axc` invocation.
struct AxcResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// A failure to run the binary at all (missing, or timed out).
struct CLIHarnessError: Error, CustomStringConvertible {
    var description: String
}

/// A temporary directory removed when the test finishes.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("axc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
    /// Writes an f32 vector as `.npy` and returns its path.
    func npy(_ name: String, _ xs: [Double], shape: [Int]? = nil, dtype: DType = .f32) throws -> String {
        try writeNPY(Tensor(dtype, shape: shape ?? [xs.count], doubles: xs), path: path(name))
        return path(name)
    }
}

@Suite struct CLITests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// `$AXC_BINARY`, else the `axc` built beside this test bundle (so `swift test --scratch-path X` tests X's
    /// binary), else `.build/debug/axc`.
    static let binary: URL = {
        if let env = ProcessInfo.processInfo.environment["AXC_BINARY"], !env.isEmpty { return URL(fileURLWithPath: env) }
        let here = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for dir in [here, here.deletingLastPathComponent()] {
            let sibling = dir.appendingPathComponent("axc")
            if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        }
        return repoRoot.appendingPathComponent(".build/debug/axc")
    }()

    static func sample(_ name: String) -> String { repoRoot.appendingPathComponent("Samples/\(name).ax").path }

    /// The tier-2 cache of these tests (docs/performance.md), so that they never write the user's own; one directory
    /// for every run, so runs do not leave one each behind (its entries are keyed by the kernel C).
    static let cacheHome = NSTemporaryDirectory() + "axc-cli-tests-cache-\(getuid())"

    /// Runs `axc args` in `cwd` with a timeout; stdout and stderr go through files (no pipe deadlocks). `env` is added
    /// to this process's environment, in which XDG_CACHE_HOME is `cacheHome`.
    static func axc(_ args: [String], in cwd: TempDir? = nil, timeout: Double = 60, env: [String: String] = [:]) throws -> AxcResult {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw CLIHarnessError(description: "\(binary.path) is missing: build it with `swift build --product axc` (make test does)")
        }
        let dir = try cwd ?? TempDir()
        let outPath = dir.path(".stdout-\(UUID().uuidString)"), errPath = dir.path(".stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? outHandle.close(); try? errHandle.close()
            try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath)
        }
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["XDG_CACHE_HOME": cacheHome].merging(env) { $1 }) { $1 }
        p.currentDirectoryURL = dir.url
        p.standardOutput = outHandle
        p.standardError = errHandle
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            done.wait()
            throw CLIHarnessError(description: "axc \(args.joined(separator: " ")) timed out after \(timeout) s")
        }
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return AxcResult(status: p.terminationStatus, stdout: read(outPath), stderr: read(errPath))
    }

    /// The printed outputs of `axc run`: (header line, array text) per output.
    static func printedOutputs(_ stdout: String) -> [(header: String, body: String)] {
        var out: [(String, String)] = []
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.range(of: #"^out\d+: "#, options: .regularExpression) != nil { out.append((line, "")) }
            else if !out.isEmpty, !line.isEmpty {
                out[out.count - 1].1 += (out[out.count - 1].1.isEmpty ? "" : "\n") + line
            }
        }
        return out
    }

    static func expectClose(_ a: [Double], _ b: [Double], rtol: Double = 1e-5, atol: Double = 1e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, "lengths \(a.count) and \(b.count)", sourceLocation: sourceLocation)
        for (x, y) in zip(a, b) where abs(x - y) > atol + rtol * abs(y) {
            Issue.record("\(x) != \(y) (in \(a) vs \(b))", sourceLocation: sourceLocation)
            return
        }
    }

    // MARK: - check, ir

    @Test(arguments: IRGoldenTests.samples) func checkEverySample(_ sample: String) throws {
        let r = try Self.axc(["check", Self.sample(sample)])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("OK"), "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
    }

    @Test func checkListsEntriesWithTypes() throws {
        let r = try Self.axc(["check", Self.sample("neuron")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("batched [jit]: (x: f32[n,5], W: f32[5,3], b: f32[3]) -> (f32[n])"), "\(r)")
        #expect(r.stdout.contains("3 entries OK"), "\(r)")
    }

    @Test func irMatchesGoldens() throws {
        let golden = IRGoldenTests.goldenDir
        for (entry, stage, flag) in [("batched", "optimized", [String]()), ("neuron_manual", "parsed", ["--stage", "parsed"]),
                                     ("neuron", "optimized", ["--stage", "optimized"])] {
            let r = try Self.axc(["ir", Self.sample("neuron"), "--fn", entry] + flag)
            #expect(r.status == 0, "\(r)")
            let want = try String(contentsOf: golden.appendingPathComponent("neuron/\(entry).\(stage).txt"), encoding: .utf8)
            #expect(r.stdout == want)
        }
        let t = try Self.axc(["ir", Self.sample("linear"), "--fn", "per_example_grads", "--stage", "transformed"])
        #expect(t.status == 0, "\(t)")
        #expect(t.stdout.hasPrefix("{ lambda ; a:f32[] b:f32[] c:f32[n] d:f32[n]. let"), "\(t)")
    }

    // MARK: - run

    @Test func runNumbersPrintsNumPyStyle() throws {
        let r = try Self.axc(["run", Self.sample("add"), "--fn", "jit_vmapped_add", "--arg", "x=1.5", "--arg", "y=2", "--size", "n=5"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "out0: f32[5]\n[3.5 3.5 3.5 3.5 3.5]\n", "\(r)")
        let scalar = try Self.axc(["run", Self.sample("add"), "--fn", "scalar_add", "--arg", "x=0.25", "--arg", "y=-1"])
        #expect(scalar.stdout == "out0: f32[]\n-0.75\n", "\(scalar)")
    }

    @Test func runLongArraysAreElided() throws {
        let r = try Self.axc(["run", Self.sample("add"), "--fn", "jit_vmapped_add", "--size", "n=2000"])
        #expect(r.status == 0, "\(r)")
        let outs = Self.printedOutputs(r.stdout)
        #expect(outs.count == 1)
        #expect(outs.first?.header == "out0: f32[2000]")
        #expect(outs.first?.body.contains("...") == true, "\(r)")
        #expect(r.stdout.count < 400, "elided output should be short: \(r)")
    }

    /// Per-example gradients of linear.ax from .npy inputs, checked against the closed form
    /// d/dw (w x + b − y)² = 2 (w x + b − y) x and d/db = 2 (w x + b − y); printed values match out*.npy.
    @Test(arguments: ["jit", "eager"]) func runNpyInputsAndOut(_ mode: String) throws {
        let tmp = try TempDir()
        let xs = [0.5, -1.25, 2, 3.5, 0], ys = [1, 0.75, -2, 4, 0.5]
        let (w, b) = (2.0, 1.0)
        let r = try Self.axc(["run", Self.sample("linear"), "--fn", "per_example_grads", "--mode", mode,
                              "--arg", "params.0=2", "--arg", "params.1=1",
                              "--arg", "x=\(try tmp.npy("xs.npy", xs))", "--arg", "y=\(try tmp.npy("ys.npy", ys))",
                              "--out", tmp.path("out")], in: tmp)
        #expect(r.status == 0, "\(r)")
        let residual = zip(xs, ys).map { x, y in w * x + b - y }
        let dw = zip(residual, xs).map { 2 * $0 * $1 }, db = residual.map { 2 * $0 }
        let out0 = try readNPY(path: tmp.path("out/out0.npy")), out1 = try readNPY(path: tmp.path("out/out1.npy"))
        #expect(out0.dtype == .f32 && out0.shape == [5] && out1.shape == [5])
        Self.expectClose(out0.doubles, dw)
        Self.expectClose(out1.doubles, db)
        #expect(!FileManager.default.fileExists(atPath: tmp.path("out/out2.npy")))
        let printed = Self.printedOutputs(r.stdout)
        #expect(printed.map(\.header) == ["out0: f32[5]", "out1: f32[5]"])
        #expect(printed.map(\.body) == [formatTensor(out0), formatTensor(out1)])
    }

    /// The mean gradient sizes `n` from the files; scalar outputs are written as 0-d arrays.
    @Test func runMeanGradFromFiles() throws {
        let tmp = try TempDir()
        let xs = [1.0, 2, 3], ys = [2.0, 3, 7]
        let (w, b) = (0.5, -1.0)
        let r = try Self.axc(["run", Self.sample("linear"), "--fn", "mean_grad", "--arg", "params.0=0.5", "--arg", "params.1=-1",
                              "--arg", "xs=\(try tmp.npy("xs.npy", xs))", "--arg", "ys=\(try tmp.npy("ys.npy", ys))",
                              "--out", tmp.path("o")], in: tmp)
        #expect(r.status == 0, "\(r)")
        let residual = zip(xs, ys).map { x, y in w * x + b - y }
        let dw = zip(residual, xs).map { 2 * $0 * $1 }.reduce(0, +) / 3, db = residual.map { 2 * $0 }.reduce(0, +) / 3
        let g0 = try readNPY(path: tmp.path("o/out0.npy")), g1 = try readNPY(path: tmp.path("o/out1.npy"))
        #expect(g0.shape == [] && g1.shape == [])
        Self.expectClose(g0.doubles + g1.doubles, [dw, db])
        #expect(Self.printedOutputs(r.stdout).map(\.header) == ["out0: f32[]", "out1: f32[]"])
    }

    /// jit and eager agree on random inputs, for a vmapped higher-order derivative and a tuple-output entry.
    @Test(arguments: [("higher_order", "batched_d2f"), ("higher_order", "value_and_slope"), ("neuron", "batched"),
                      ("seed001", "loss_and_grad"), ("mlp", "predict")])
    func jitAgreesWithEager(_ sample: String, _ fn: String) throws {
        let tmp = try TempDir()
        var outs: [[Tensor]] = []
        for mode in ["jit", "eager"] {
            let r = try Self.axc(["run", Self.sample(sample), "--fn", fn, "--size", "n=7", "--seed", "3",
                                  "--mode", mode, "--out", tmp.path(mode)], in: tmp)
            #expect(r.status == 0, "\(r)")
            let count = Self.printedOutputs(r.stdout).count
            outs.append(try (0..<count).map { try readNPY(path: tmp.path("\(mode)/out\($0).npy")) })
        }
        #expect(outs[0].count == outs[1].count && !outs[0].isEmpty)
        for (a, b) in zip(outs[0], outs[1]) {
            #expect(a.shape == b.shape)
            Self.expectClose(a.doubles, b.doubles, rtol: 1e-4, atol: 1e-5)
        }
    }

    @Test func seedMakesRandomInputsDeterministic() throws {
        let args = ["run", Self.sample("add"), "--fn", "vmapped_add", "--size", "n=6"]
        let a = try Self.axc(args + ["--seed", "5"]), b = try Self.axc(args + ["--seed", "5"])
        let c = try Self.axc(args + ["--seed", "6"]), d = try Self.axc(args)
        let e = try Self.axc(args + ["--seed", "0", "--arg", "y=random"])
        #expect(a.status == 0 && c.status == 0 && d.status == 0, "\(a)\(c)\(d)")
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
        #expect(d.stdout == e.stdout, "the default seed is 0 and unnamed arguments are random")
        // A number fixes one argument; the other stays random from the seed: x + 0 shows the random x.
        let f = try Self.axc(args + ["--seed", "5", "--arg", "y=0"])
        #expect(f.status == 0 && f.stdout != a.stdout)
    }

    @Test func runTupleParametersOfMLP() throws {
        let r = try Self.axc(["run", Self.sample("mlp"), "--fn", "per_example_grads", "--size", "n=2",
                              "--arg", "params.1.1=0.5"])
        #expect(r.status == 0, "\(r)")
        #expect(Self.printedOutputs(r.stdout).map(\.header) ==
                ["out0: f32[2,784,128]", "out1: f32[2,128]", "out2: f32[2,128,10]", "out3: f32[2,10]"])
    }

    /// i32, f64 and bool inputs from `.npy` and outputs to `.npy`, printed like NumPy, in both modes.
    @Test(arguments: ["jit", "eager"]) func runAllDTypes(_ mode: String) throws {
        let tmp = try TempDir()
        let file = try tmp.write("dt.ax", """
            def pick(m: bool[n], x: i32[n], y: f64[n]) -> (i32[n], f64[n], bool[n]):
                return where(m, x, 0), y * 2.0, x > 4

            jit_pick = jit(pick)

            """)
        let m = try tmp.npy("m.npy", [1, 0, 1], dtype: .bool), x = try tmp.npy("x.npy", [3, 7, 9], dtype: .i32)
        let y = try tmp.npy("y.npy", [0.5, 1.5, -2], dtype: .f64)
        let r = try Self.axc(["run", file, "--fn", "jit_pick", "--mode", mode, "--arg", "m=\(m)", "--arg", "x=\(x)",
                              "--arg", "y=\(y)", "--out", tmp.path("o")], in: tmp)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "out0: i32[3]\n[3 0 9]\nout1: f64[3]\n[ 1.  3. -4.]\nout2: bool[3]\n[False  True  True]\n", "\(r)")
        let outs = try (0..<3).map { try readNPY(path: tmp.path("o/out\($0).npy")) }
        #expect(outs.map(\.dtype) == [.i32, .f64, .bool])
        #expect(outs.map(\.doubles) == [[3, 0, 9], [1, 3, -4], [0, 1, 1]])
    }

    // MARK: - compile, bench

    @Test func compileWritesCAndHeader() throws {
        let tmp = try TempDir()
        let r = try Self.axc(["compile", Self.sample("linear"), "--fn", "per_example_grads", "-o", tmp.path("linear.c")], in: tmp)
        #expect(r.status == 0, "\(r)")
        let c = try String(contentsOfFile: tmp.path("linear.c"), encoding: .utf8)
        let h = try String(contentsOfFile: tmp.path("linear.h"), encoding: .utf8)
        #expect(c.contains("per_example_grads") && h.contains("per_example_grads"))
        #expect(c.contains("#include \"linear.h\""), "the C file includes its header by name")
        // Embedding: a C compiler builds the kernel with a small main; its outputs match the closed form.
        let cc = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/tcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let cc {
            let main = try tmp.write("main.c", """
                #include <stdio.h>
                #include "linear.h"
                int main(void) {
                    float w = 2, b = 1, x[3] = {0.5f, -1, 3}, y[3] = {1, 2, 0}, gw[3], gb[3];
                    if (per_example_grads_scratch_bytes(3) != 0) return 5;
                    if (per_example_grads(3, &w, &b, x, y, gw, gb, NULL) != 0) return 4;
                    for (int i = 0; i < 3; i++) printf("%.6f %.6f\\n", gw[i], gb[i]);
                    return 0;
                }
                """)
            let build = Process()
            build.executableURL = URL(fileURLWithPath: cc)
            build.arguments = [main, tmp.path("linear.c"), "-o", tmp.path("embed"), "-lm"]
            try build.run()
            build.waitUntilExit()
            #expect(build.terminationStatus == 0, "\(cc) could not build the emitted C")
            if build.terminationStatus == 0 {
                let run = Process(), pipe = Pipe()
                run.executableURL = URL(fileURLWithPath: tmp.path("embed"))
                run.standardOutput = pipe
                try run.run()
                let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                run.waitUntilExit()
                #expect(run.terminationStatus == 0)
                let got = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
                // residuals 2*0.5+1-1 = 1, 2*(-1)+1-2 = -3, 2*3+1-0 = 7
                Self.expectClose(got, [2 * 1 * 0.5, 2 * 1, 2 * -3 * -1, 2 * -3, 2 * 7 * 3, 2 * 7])
            }
        }
        // Every entry by default.
        let all = try Self.axc(["compile", Self.sample("add"), "-o", tmp.path("add.c")], in: tmp)
        #expect(all.status == 0, "\(all)")
        let addC = try String(contentsOfFile: tmp.path("add.c"), encoding: .utf8)
        for e in ["manual_vectorized_add", "scalar_add", "vmapped_add", "jit_vmapped_add", "jit_manual_add"] {
            #expect(addC.contains(e), "add.c lacks \(e)")
        }
    }

    @Test func benchJSONHasSpecKeys() throws {
        let tmp = try TempDir()
        let r = try Self.axc(["bench", Self.sample("add"), "--fn", "jit_vmapped_add", "--runs", "2", "--size", "n=1000",
                              "--json", "--plot", tmp.path("x.svg")], in: tmp)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1, "one JSON object on one line: \(r)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(obj?["fn"] as? String == "jit_vmapped_add")
        #expect((obj?["sizes"] as? [String: Any])?["n"] as? Int == 1000)
        let compile = obj?["compile_ms"] as? [String: Any] ?? [:]
        for k in ["parse", "transform", "fuse", "emit", "tcc", "total"] {
            #expect((compile[k] as? Double).map { $0 >= 0 } == true, "compile_ms.\(k) missing: \(r.stdout)")
        }
        let modes = obj?["modes"] as? [String: Any] ?? [:]
        let jit = modes["jit"] as? [String: Any] ?? [:]
        for k in ["first_ms", "median_ms", "min_ms", "peak_rss_bytes"] {
            #expect((jit[k] as? Double).map { $0 >= 0 } == true, "modes.jit.\(k) missing: \(r.stdout)")
        }
        #expect(modes["eager"] != nil && modes["loop"] != nil, "a jit(vmap) entry benches every mode by default")
        let svg = try String(contentsOfFile: tmp.path("x.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("</svg>"))
        for label in ["jit_vmapped_add: time per call (n=1000)", "time per call (ms, log scale)", "execution mode",
                      "per-example loop", "fused kernel (jit)", "the jit time"] {
            #expect(svg.contains(label), "the chart lacks '\(label)'")
        }
    }

    /// The jit mode reads inputs in place and random inputs are generated without a Double copy, so peak
    /// memory grows by about inputs + outputs (an input copy, or doubles on the way, would add 2/3 or more).
    @Test func benchJitPeakMemoryIsInputsPlusOutputs() throws {
        func peak(_ n: Int) throws -> Double {
            let r = try Self.axc(["bench", Self.sample("add"), "--fn", "jit_vmapped_add", "--runs", "1", "--size", "n=\(n)",
                                  "--modes", "jit", "--json"])
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return try #require(((obj?["modes"] as? [String: Any])?["jit"] as? [String: Any])?["peak_rss_bytes"] as? Double)
        }
        let n = 8_000_000, data = Double(3 * n * 4)  // x, y and the output, f32
        let grown = try peak(n) - peak(1)
        #expect(grown < 1.25 * data, "peak RSS grew by \(grown / 1e6) MB for \(data / 1e6) MB of inputs and outputs")
    }

    @Test func benchModesSelectsModes() throws {
        let r = try Self.axc(["bench", Self.sample("neuron"), "--fn", "batched", "--runs", "1", "--size", "n=50",
                              "--modes", "jit", "--json"])
        #expect(r.status == 0, "\(r)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((obj?["modes"] as? [String: Any]).map { Array($0.keys) } == ["jit"])
        let text = try Self.axc(["bench", Self.sample("neuron"), "--fn", "batched", "--runs", "1", "--size", "n=50"])
        #expect(text.status == 0 && text.stdout.contains("compile:"), "\(text)")
    }

    // MARK: - errors

    @Test func syntaxErrorShowsLocationSourceLineAndCaret() throws {
        let tmp = try TempDir()
        let file = try tmp.write("bad.ax", "def f(x: f32) -> f32:\n    return x +\n")
        let r = try Self.axc(["check", file], in: tmp)
        #expect(r.status == 1, "\(r)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count >= 3, "\(r)")
        guard lines.count >= 3 else { return }
        #expect(lines[0].range(of: #"^.*bad\.ax:2:\d+: error: "#, options: .regularExpression) != nil, "\(r)")
        #expect(lines[1] == "    return x +")
        let col = Int(lines[0].split(separator: ":")[2]) ?? 0
        #expect(lines[2].hasSuffix("^") && lines[2].count == col, "caret under column \(col): \(r)")
        #expect(r.stdout.isEmpty)
    }

    @Test func typeErrorExitsOne() throws {
        let tmp = try TempDir()
        let file = try tmp.write("ty.ax", "def f(x: f32[3], y: f32[4]) -> f32[3]:\n    return x + y\n")
        for args in [["check", file], ["ir", file, "--fn", "f"], ["run", file, "--fn", "f"]] {
            let r = try Self.axc(args, in: tmp)
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("ty.ax:2:12: error:") && r.stderr.contains("return x + y\n"), "\(r)")
        }
    }

    @Test func unknownEntryListsEntries() throws {
        let r = try Self.axc(["run", Self.sample("neuron"), "--fn", "nope"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("nope") && r.stderr.contains("neuron_manual") && r.stderr.contains("batched"), "\(r)")
    }

    @Test func missingFileExitsOne() throws {
        let r = try Self.axc(["check", "/nonexistent/nothing.ax"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("nothing.ax"), "\(r)")
    }

    /// NumPy's default dtypes at the door: float64 and int64 files feed f32 and i32 leaves, converted as JAX
    /// converts them without x64 (float64 rounded like astype, int64 checked against i32's range), in both modes.
    @Test func numpyDtypesConvertAtTheDoor() throws {
        let tmp = try TempDir()
        _ = try tmp.write("k.ax", "def f(x: f32[n], k: i32[n]) -> (f32[n], i32[n]):\n    return x * 2.0, k + 1\n")
        _ = try tmp.npy("x.npy", [0.1, 1e300, -2.5], dtype: .f64)
        let npyT = NPYTests()
        try Data(npyT.raw("<i8", [3], npyT.le([Int64(-4), 5, 6]))).write(to: URL(fileURLWithPath: tmp.path("k.npy")))
        try Data(npyT.raw("<i8", [3], npyT.le([Int64(1), 3_000_000_000, 6]))).write(to: URL(fileURLWithPath: tmp.path("big.npy")))
        for mode in ["jit", "eager"] {
            let r = try Self.axc(["run", "k.ax", "--fn", "f", "--arg", "x=x.npy", "--arg", "k=k.npy", "--mode", mode, "--out", "o\(mode)"], in: tmp)
            #expect(r.status == 0, "\(r)")
            let x = try readNPY(path: tmp.path("o\(mode)/out0.npy")), k = try readNPY(path: tmp.path("o\(mode)/out1.npy"))
            #expect(x == Tensor(shape: [3], storage: .f32([Float(0.1) * 2, .infinity, -5])), "\(x)")
            #expect(k == Tensor(shape: [3], storage: .i32([-3, 6, 7])), "\(k)")
            let bad = try Self.axc(["run", "k.ax", "--fn", "f", "--arg", "k=big.npy", "--mode", mode], in: tmp)
            #expect(bad.status == 1 && bad.stderr == "k.ax: error: argument 'k': 'big.npy': int64 value 3000000000 at index (1,) is outside i32's range (-2147483648 to 2147483647)\n", "\(bad)")
            let strict = try Self.axc(["run", "k.ax", "--fn", "f", "--arg", "x=x.npy", "--mode", mode, "--strict-dtypes"], in: tmp)
            #expect(strict.status == 1 && strict.stderr.contains("expected f32[n], got a f64 array"), "\(strict)")
        }
        let bench = try Self.axc(["bench", "k.ax", "--fn", "f", "--arg", "x=x.npy", "--arg", "k=k.npy", "--runs", "1", "--modes", "eager", "--json"], in: tmp)
        #expect(bench.status == 0, "\(bench)")
        let strictBench = try Self.axc(["bench", "k.ax", "--fn", "f", "--arg", "x=x.npy", "--runs", "1", "--strict-dtypes"], in: tmp)
        #expect(strictBench.status == 1 && strictBench.stderr.contains("got a f64 array"), "\(strictBench)")
    }

    @Test func badNpyNamesTheArgument() throws {
        let tmp = try TempDir()
        let garbage = try tmp.write("garbage.npy", "this is not a numpy file")
        let f64 = try tmp.npy("f64.npy", [1, 2, 3], dtype: .f64)
        let matrix = try tmp.npy("m.npy", [1, 2, 3, 4], shape: [2, 2])
        let wrongLength = try tmp.npy("four.npy", [1, 2, 3, 4])
        let three = try tmp.npy("three.npy", [1, 2, 3])
        let cases: [([String], String)] = [
            (["--arg", "x=\(garbage)"], "garbage.npy"), (["--arg", "x=\(f64)", "--strict-dtypes"], "f64"), (["--arg", "x=\(matrix)"], "[2,2]"),
            (["--arg", "x=\(tmp.path("missing.npy"))"], "missing.npy"),
            (["--arg", "x=\(three)", "--arg", "y=\(wrongLength)"], "'y'"),  // n is 3 from x but 4 from y
            (["--arg", "x=\(three)", "--size", "n=4"], "n=4"),
        ]
        for (args, mention) in cases {
            let r = try Self.axc(["run", Self.sample("add"), "--fn", "jit_vmapped_add"] + args, in: tmp)
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.stderr.contains("'x'") || r.stderr.contains("'y'"), "names the argument: \(r)")
            #expect(r.stderr.contains(mention), "\(args): \(r)")
        }
    }

    /// Golden messages of run-time input errors (captured from the tool; see docs/diagnostics.md): each names the
    /// argument, the expected type and what it got, and exits 1.
    @Test func runTimeInputErrorsAreGolden() throws {
        let tmp = try TempDir()
        _ = try tmp.write("mse.ax", "def mse(w: f32, xs: f32[n], ys: f32[n]) -> f32:\n    return mean((w * xs - ys) ** 2)\n\ng = jit(mse)\n")
        _ = try tmp.npy("f64.npy", [1, 2, 3], dtype: .f64)
        try Data(NPYTests().raw("<i8", [3], NPYTests().le([Int64(1), 2, 3]))).write(to: URL(fileURLWithPath: tmp.path("i64.npy")))
        _ = try tmp.npy("m.npy", [1, 2, 3, 4, 5, 6], shape: [3, 2])
        _ = try tmp.npy("three.npy", [1, 2, 3])
        _ = try tmp.npy("four.npy", [1, 2, 3, 4])
        let good = npyBytes(Tensor(.f32, shape: [3], doubles: [1, 2, 3]))
        try Data(good.dropLast(3)).write(to: URL(fileURLWithPath: tmp.path("cut.npy")))
        try Data(good.prefix(40)).write(to: URL(fileURLWithPath: tmp.path("hdr.npy")))
        let run = ["run", "mse.ax", "--fn", "g"]
        let cases: [([String], String)] = [
            (["--arg", "xs=f64.npy", "--strict-dtypes"], "mse.ax: error: argument 'xs': expected f32[n], got a f64 array of shape [3] from 'f64.npy'\n"),
            (["--arg", "xs=i64.npy"], "mse.ax: error: argument 'xs': expected f32[n], got an int64 array of shape [3] from 'i64.npy'; NumPy floats convert to f32 and f64 and integers to i32, not across kinds\n"),
            (["--arg", "xs=i64.npy", "--strict-dtypes"], "mse.ax: error: argument 'xs': 'i64.npy': unsupported dtype '<i8' with --strict-dtypes; supported dtypes are '<f4' (float32), '<f8' (float64), '<i4' (int32), '|b1' (bool)\n"),
            (["--arg", "xs=m.npy"], "mse.ax: error: argument 'xs': expected f32[n], got shape [3,2] from 'm.npy'\n"),
            (["--arg", "w=three.npy", "--size", "n=2"], "mse.ax: error: argument 'w': expected f32[], got shape [3] from 'three.npy'\n"),
            (["--arg", "xs=three.npy", "--arg", "ys=four.npy"],
             "mse.ax: error: size variable n is 3 from 'xs' but 4 from 'ys' (shape [4])\n"),
            (["--arg", "xs=three.npy", "--size", "n=4"], "mse.ax: error: --size n=4 conflicts with n=3 from argument 'xs'\n"),
            (["--arg", "xs=cut.npy"],
             "mse.ax: error: argument 'xs': 'cut.npy': the data is truncated: shape [3] of f32 needs 12 bytes, the file has 9\n"),
            (["--arg", "xs=hdr.npy"], "mse.ax: error: argument 'xs': 'hdr.npy' is not a valid .npy file: the header is truncated\n"),
            (["--size", "n=-1"], "mse.ax: error: --size n=-1 is out of range (0 to 2147483648)\n"),
            (["--size", "n=99999999999"], "mse.ax: error: --size n=99999999999 is out of range (0 to 2147483648)\n"),
            (["--size", "n=99999999999999999999"], "mse.ax: error: --size n=99999999999999999999 is out of range (0 to 2147483648)\n"),
        ]
        for (args, want) in cases {
            for mode in ["jit", "eager"] {
                let r = try Self.axc(run + args + ["--mode", mode], in: tmp)
                #expect(r.status == 1 && r.stderr == want && r.stdout.isEmpty, "\(args) --mode \(mode): \(r)")
            }
        }
    }

    /// Issue 10, item 10: a number the input's dtype cannot hold (3.5 for an i32, nan for a bool, 1e300 for an
    /// f32) is an error naming the argument, not a truncation; a repeated `--arg` or `--size`, and a `--size`
    /// for a size variable the entry does not have, are errors naming them, not ignored. All exit 1.
    @Test func valuesAndBindingsTheEntryCannotTakeAreErrors() throws {
        let tmp = try TempDir()
        _ = try tmp.write("cl.ax", """
            def f(k: i32, b: bool, x: f32[n], d: f64) -> f32[n]:
                return where(b, x * f32(k), x) + f32(d)

            g = jit(f)

            def c(x: f32) -> f32:
                return x * 2.0

            """)
        let i32Range = "(an integer from -2147483648 to 2147483647)", boolValues = "(0, 1, true or false)"
        let cases: [([String], String)] = [
            (["--fn", "g", "--arg", "k=3.5"], "argument 'k': 3.5 is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=-0.5"], "argument 'k': -0.5 is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=nan"], "argument 'k': nan is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=inf"], "argument 'k': inf is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=2147483648"], "argument 'k': 2147483648 is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=-2147483649"], "argument 'k': -2147483649 is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "k=1e10"], "argument 'k': 10000000000 is not a value of i32[] \(i32Range)"),
            (["--fn", "g", "--arg", "b=nan"], "argument 'b': nan is not a value of bool[] \(boolValues)"),
            (["--fn", "g", "--arg", "b=2"], "argument 'b': 2 is not a value of bool[] \(boolValues)"),
            (["--fn", "g", "--arg", "b=0.5"], "argument 'b': 0.5 is not a value of bool[] \(boolValues)"),
            (["--fn", "g", "--arg", "b=-1"], "argument 'b': -1 is not a value of bool[] \(boolValues)"),
            (["--fn", "g", "--arg", "x=1e300", "--size", "n=2"],
             "argument 'x': 1e+300 is not a value of f32[n] (finite numbers up to about ±3.4e38, or nan, inf, -inf)"),
            (["--fn", "g", "--arg", "k=1", "--arg", "k=2"], "--arg k is given twice (--arg k=1 and --arg k=2)"),
            (["--fn", "g", "--arg", "k=1", "--arg", "k=1"], "--arg k is given twice (--arg k=1 and --arg k=1)"),
            (["--fn", "g", "--size", "n=3", "--size", "n=4"], "--size n is given twice (--size n=3 and --size n=4)"),
            (["--fn", "g", "--size", "n=3", "--size", "m=3"], "--size m=3: g has no size variable 'm'; its size variables are: n"),
            (["--fn", "c", "--size", "n=3"], "--size n=3: c has no size variable 'n'; it has no size variables"),
        ]
        for (args, want) in cases {
            for cmd in [["run", "cl.ax"], ["bench", "cl.ax", "--runs", "1", "--modes", "jit"]] {
                let r = try Self.axc(cmd + args, in: tmp)
                #expect(r.status == 1 && r.stderr == "cl.ax: error: \(want)\n" && r.stdout.isEmpty, "\(cmd + args): \(r)")
            }
        }
        // Exact values are accepted, in both modes: integral floats for i32, 0/1/true/false for bool,
        // nan, inf and values rounded to the nearest f32 for floats, anything for f64.
        for mode in ["jit", "eager"] {
            let r = try Self.axc(["run", "cl.ax", "--fn", "g", "--mode", mode, "--arg", "k=-3.0", "--arg", "b=true",
                                  "--arg", "x=0.1", "--arg", "d=1e-300", "--size", "n=2"], in: tmp)
            #expect(r.status == 0 && r.stdout == "out0: f32[2]\n[-0.3 -0.3]\n", "\(r)")
            let r2 = try Self.axc(["run", "cl.ax", "--fn", "g", "--mode", mode, "--arg", "k=-2147483648", "--arg", "b=False",
                                   "--arg", "x=-inf", "--arg", "d=0", "--size", "n=1"], in: tmp)
            #expect(r2.status == 0 && r2.stdout == "out0: f32[1]\n[-inf]\n", "\(r2)")
            let r3 = try Self.axc(["run", "cl.ax", "--fn", "g", "--mode", mode, "--arg", "k=2", "--arg", "b=1",
                                   "--arg", "x=nan", "--arg", "d=1", "--size", "n=1"], in: tmp)
            #expect(r3.status == 0 && r3.stdout == "out0: f32[1]\n[nan]\n", "\(r3)")
        }
    }

    /// A size too large to generate names the argument and the sizes, in a stable order.
    @Test func hugeRandomArgumentIsRefused() throws {
        let tmp = try TempDir()
        _ = try tmp.write("ab.ax", "def f(x: f32[a, b]) -> f32:\n    return sum(x)\n")
        let r = try Self.axc(["run", "ab.ax", "--fn", "f", "--size", "b=100000", "--size", "a=100000"], in: tmp)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr == "ab.ax: error: argument 'x': f32[a,b] with a=100000, b=100000 has more than 2^31 elements, too many to generate\n", "\(r)")
    }

    @Test func unknownArgumentNameAndUnboundSize() throws {
        let bad = try Self.axc(["run", Self.sample("add"), "--fn", "vmapped_add", "--size", "n=3", "--arg", "z=1"])
        #expect(bad.status == 1, "\(bad)")
        #expect(bad.stderr.contains("'z'") && bad.stderr.contains("x, y"), "\(bad)")
        let unbound = try Self.axc(["run", Self.sample("add"), "--fn", "vmapped_add"])
        #expect(unbound.status == 1, "\(unbound)")
        #expect(unbound.stderr.contains("size variable n"), "\(unbound)")
    }

    /// Outputs that cannot be written are bad input (exit 1, naming the path), not internal errors.
    @Test func unwritableOutputsExitOne() throws {
        let tmp = try TempDir()
        let file = try tmp.write("afile", "")
        let missing = tmp.path("no/such/dir")
        let cases: [([String], String)] = [
            (["run", Self.sample("add"), "--fn", "vmapped_add", "--size", "n=2", "--out", file], file),
            (["compile", Self.sample("add"), "-o", missing + "/x.c"], missing),
            (["bench", Self.sample("add"), "--fn", "jit_vmapped_add", "--runs", "1", "--size", "n=10", "--modes", "jit",
              "--plot", missing + "/x.svg"], missing),
        ]
        for (args, mention) in cases {
            let r = try Self.axc(args, in: tmp)
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.stderr.contains("cannot write '\(mention)"), "\(args): \(r)")
        }
    }

    @Test func badUsageExitsTwo() throws {
        let add = Self.sample("add")
        for args in [["run", add, "--fn", "vmapped_add", "--bogus"], ["run", add, "--fn", "vmapped_add", "--size", "n=abc"],
                     ["ir", add, "--fn", "vmapped_add", "--stage", "nope"], ["run", add], ["ir", add],
                     ["run", add, "--fn", "vmapped_add", "--mode", "fast"], ["frobnicate"],
                     ["bench", add, "--fn", "jit_vmapped_add", "--runs", "0"],
                     ["bench", add, "--fn", "jit_vmapped_add", "--modes", "jit,warp"],
                     ["run", add, "--fn", "vmapped_add", "--arg", "noequals"]] {
            let r = try Self.axc(args)
            #expect(r.status == 2, "\(args): \(r)")
            #expect(!r.stderr.isEmpty, "\(args): \(r)")
        }
    }

    @Test func helpExitsZero() throws {
        for args in [["--help"], ["run", "--help"], ["bench", "--help"]] {
            let r = try Self.axc(args)
            #expect(r.status == 0, "\(args): \(r)")
            #expect(r.stdout.contains("USAGE") || r.stdout.contains("Usage"), "\(args): \(r)")
        }
    }
}
