// End-to-end embedding: the Samples/embed C program, linked with kernels emitted by emitStandalone from three
// samples, is built with gcc and clang in strict C99 and run; it checks the kernels against its own loops.
import Foundation
import Testing
@testable import AxCore

/// The repository root, found from this file's path.
private let embedRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The kernels the embed program calls: (sample, entry, generated file base name, C name prefix).
private let embedKernels: [(sample: String, entry: String, base: String, prefix: String)] = [
    ("linear.ax", "per_example_grads", "linear_kernels", ""),
    ("neuron.ax", "batched", "neuron_kernels", ""),
    ("mlp.ax", "per_example_grads", "mlp_kernels", "mlp_"),
]

/// The flags of `make embed-demo`.
private let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2"]

/// Emits `entry` of `sample` as `dir/base.c` and `dir/base.h`, as `axc compile SAMPLE --fn ENTRY -o base.c --prefix P` does.
private func emitSample(_ sample: String, entry: String, base: String, prefix: String, into dir: URL) throws {
    let session = try CompilerSession(path: embedRoot.appendingPathComponent("Samples/\(sample)").path)
    let (c, h) = try session.standalone([entry], sourceHash: "test", headerName: base + ".h", prefix: prefix)
    try c.write(to: dir.appendingPathComponent(base + ".c"), atomically: true, encoding: .utf8)
    try h.write(to: dir.appendingPathComponent(base + ".h"), atomically: true, encoding: .utf8)
}

/// A fresh temporary directory holding the three generated kernel files.
private func generatedKernels(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-embed-\(tag)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for k in embedKernels { try emitSample(k.sample, entry: k.entry, base: k.base, prefix: k.prefix, into: dir) }
    return dir
}

/// The C compilers to try: cc (gcc) always, clang when installed.
private let compilers: [String] = ["cc", "clang"].filter { findTool([$0]) != nil }

@Suite struct EmbedTests {
    @Test(arguments: compilers)
    func embedProgramPasses(compiler: String) throws {
        let cc = try #require(findTool([compiler]))
        let dir = try generatedKernels(compiler)
        defer { try? FileManager.default.removeItem(at: dir) }
        let main = embedRoot.appendingPathComponent("Samples/embed/main.c").path
        var objects: [String] = []
        for source in [main] + embedKernels.map({ dir.appendingPathComponent($0.base + ".c").path }) {
            let obj = dir.appendingPathComponent(URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent + ".o").path
            let (rc, out) = try runProcess(cc, strictFlags + ["-I", dir.path, "-c", source, "-o", obj])
            #expect(rc == 0, "\(compiler) -c \(source):\n\(out)")
            guard rc == 0 else { return }
            objects.append(obj)
        }
        let exe = dir.appendingPathComponent("embed").path
        let (lrc, lout) = try runProcess(cc, ["-o", exe] + objects + ["-lm"])
        #expect(lrc == 0, "link with \(compiler):\n\(lout)")
        guard lrc == 0 else { return }

        let (rc, out) = try runProcess(exe, [])
        #expect(rc == 0, "embed program built with \(compiler) failed:\n\(out)")
        #expect(!out.contains("FAIL"), "\(out)")
        for check in ["linear per_example_grads dw", "linear per_example_grads db", "neuron batched = sum(tanh(x@W+b))",
                      "neuron batched rejects a negative size", "mlp per_example_grads dW1", "mlp per_example_grads db2"] {
            #expect(out.contains("PASS \(check)"), "no PASS line for \(check) in:\n\(out)")
        }
        #expect(out.hasSuffix("PASS: 0 checks failed\n"), "\(out)")
    }

    /// The generated files have no external symbols beyond the entries, so two of them link together;
    /// the header's prototype is the one docs/c-interface.md shows.
    @Test func headerAndExternalSymbols() throws {
        let dir = try generatedKernels("symbols")
        defer { try? FileManager.default.removeItem(at: dir) }
        let header = try String(contentsOf: dir.appendingPathComponent("linear_kernels.h"), encoding: .utf8)
        #expect(header.contains("int per_example_grads(int64_t n, const float *params_0, const float *params_1, const float *x, const float *y, float *out0, float *out1, void *scratch);"))
        #expect(header.contains("size_t per_example_grads_scratch_bytes(int64_t n);"))
        #expect(header.contains(" *   params_0: input `params.0`: f32[]"))
        #expect(header.contains(" *   out0: output 0: f32[n]"))
        let nm = try #require(findTool(["nm"]))
        let cc = try #require(findTool(["cc"]))
        for (base, entry) in [("neuron_kernels", "batched"), ("mlp_kernels", "mlp_per_example_grads")] {
            let obj = dir.appendingPathComponent(base + ".o").path
            let (rc, out) = try runProcess(cc, strictFlags + ["-I", dir.path, "-c", dir.appendingPathComponent(base + ".c").path, "-o", obj])
            #expect(rc == 0, "\(out)")
            let (_, syms) = try runProcess(nm, ["-g", "--defined-only", obj])
            let names = syms.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.sorted()
            #expect(names == [entry, entry + "_scratch_bytes"].sorted(), "external symbols of \(base).o: \(names)")
        }
    }

    /// Every runnable entry of every sample, loops' sub-kernels included, is strict C99 with no external symbol but
    /// the entries and their scratch-size functions.
    @Test func everySampleIsStrictC() throws {
        let cc = try #require(findTool(["cc"]))
        let nm = try #require(findTool(["nm"]))
        let samples = embedRoot.appendingPathComponent("Samples")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-strict-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in try FileManager.default.contentsOfDirectory(atPath: samples.path).filter({ $0.hasSuffix(".ax") }).sorted() {
            let session = try CompilerSession(path: samples.appendingPathComponent(f).path)
            let names = try elaborateAll(session.module).filter(\.isRunnable).map(\.name)
            let (c, h) = try session.standalone(names, sourceHash: "test", headerName: "k.h")
            try c.write(to: dir.appendingPathComponent("k.c"), atomically: true, encoding: .utf8)
            try h.write(to: dir.appendingPathComponent("k.h"), atomically: true, encoding: .utf8)
            let obj = dir.appendingPathComponent("k.o").path
            let (rc, out) = try runProcess(cc, strictFlags + ["-I", dir.path, "-c", dir.appendingPathComponent("k.c").path, "-o", obj])
            #expect(rc == 0, "\(f): \(out)")
            let (_, syms) = try runProcess(nm, ["-g", "--defined-only", obj])
            let defined = Set(syms.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
            let allowed = Set(names.flatMap { [cEntryName($0), cEntryName($0) + "_scratch_bytes"] })
            #expect(defined.isSubset(of: allowed), "\(f): extra external symbols \(defined.subtracting(allowed).sorted())")
        }
    }
}

/// Samples/embed/pmap_threads.c: Samples/pmap.ax's device kernels on pthreads with the program's own collectives table,
/// checked against the in-process device run (DeviceRunner) on the inputs the program writes, as `make embed-demo` does.
@Suite struct EmbedDevicesTests {
    @Test func pmapThreadsProgramMatchesTheInProcessRun() throws {
        let cc = try #require(findTool(["cc", "gcc", "clang"]))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-embed-pmap-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let session = try CompilerSession(path: embedRoot.appendingPathComponent("Samples/pmap.ax").path)
        let (c, h) = try session.standalone(["step", "spreads", "halo_grads"], sourceHash: "test", headerName: "pmap_kernels.h", prefix: "pm_")
        try c.write(to: dir.appendingPathComponent("pmap_kernels.c"), atomically: true, encoding: .utf8)
        try h.write(to: dir.appendingPathComponent("pmap_kernels.h"), atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent("pmap_threads").path
        let (brc, bout) = try runProcess(cc, strictFlags + ["-I", dir.path, embedRoot.appendingPathComponent("Samples/embed/pmap_threads.c").path,
                                                            dir.appendingPathComponent("pmap_kernels.c").path, "-o", exe, "-lpthread", "-lm"])
        try #require(brc == 0, "building pmap_threads:\n\(bout)")
        let (irc, iout) = try runProcess(exe, ["inputs", dir.path])
        try #require(irc == 0, "pmap_threads inputs:\n\(iout)")
        for (entry, args) in [("step", ["w": "w", "x": "x", "y": "y"]), ("spreads", ["x": "xs"]), ("halo_grads", ["x": "xh"])] {
            let map = try #require(try session.deviceMap(entry))
            let npy = args.mapValues { ArgValue.npy(dir.appendingPathComponent("pm_\($0).npy").path) }
            let (inputs, sizes) = try bindInputs(try session.lower(entry, to: .optimized).optimized, args: npy, sizes: [:], seed: 0)
            let out = try DeviceRunner(map, name: entry).run(inputs: inputs, sizes: sizes)
            let refDir = dir.appendingPathComponent("ref_\(entry)")
            try FileManager.default.createDirectory(at: refDir, withIntermediateDirectories: true)
            try writeNPY(out[0], path: refDir.appendingPathComponent("out0.npy").path)
        }
        let (rc, out) = try runProcess(exe, ["check", dir.path])
        #expect(rc == 0 && out.contains("all checks passed"), "pmap_threads check:\n\(out)")
    }
}
