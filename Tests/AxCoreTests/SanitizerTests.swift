// Sanitizer tests: every entry of every sample (jit or not: `axc compile` emits them all), emitted as standalone
// C, is compiled with AddressSanitizer and UBSan, and separately with MemorySanitizer, together with a generated
// driver that calls it on exactly-sized buffers for sizes 0, 1, 7 and random ones, and with a negative size that it
// must reject. Under MemorySanitizer the driver checks that every output byte was written from initialized values
// (scratch from malloc is uninitialized, so a kernel reading scratch it did not write is reported). A pmap entry's
// device kernel runs on threads with the runtime's collectives table (Sources/AxRuntime/axdevices.c).
import Foundation
import Testing
@testable import AxCore

/// The repository's Samples directory.
private let samplesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")

/// Runs `exe` with `args`; returns the exit status and the combined stdout and stderr.
func runProcess(_ exe: String, _ args: [String], cwd: URL? = nil) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = cwd }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The first of `names` found on PATH.
func findTool(_ names: [String]) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for n in names {
        for dir in path.split(separator: ":") {
            let f = "\(dir)/\(n)"
            if FileManager.default.isExecutableFile(atPath: f) { return f }
        }
    }
    return nil
}

/// The first of `compilers` that builds `probe` with `flags` into a program that fails with one of `reports` in its
/// output (the probe has the bug the sanitizer exists for), with those flags; nil when none works.
private func workingSanitizer(_ name: String, compilers: [String], flags: [String], probe: String,
                              reports: [String]) -> (path: String, flags: [String])? {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-\(name)-probe-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = dir.appendingPathComponent("probe.c")
    try? probe.write(to: src, atomically: true, encoding: .utf8)
    for cc in compilers {
        guard let path = findTool([cc]) else { continue }
        let exe = dir.appendingPathComponent("probe-\(cc)").path
        guard let (rc, _) = try? runProcess(path, flags + [src.path, "-o", exe]), rc == 0 else { continue }
        if let (rc2, out) = try? runProcess(exe, []), rc2 != 0, reports.contains(where: out.contains) { return (path, flags) }
    }
    return nil
}

/// A sanitizing C compiler (clang, else gcc) whose ASan and UBSan runtimes link and catch an overread (UBSan may
/// report it first).
private let sanitizingCompiler = workingSanitizer(
    "asan", compilers: ["clang", "gcc", "cc"],
    flags: ["-std=c99", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"],
    probe: "#include <stdlib.h>\nint main(int c, char **v) { (void)v; int *p = malloc(4 * sizeof(int)); int s = p[3 + c]; free(p); return s & 0; }\n",
    reports: ["AddressSanitizer", "runtime error"])

/// A clang whose MemorySanitizer runtime links and catches a branch on uninitialized heap memory (`make test`
/// installs Debian's clang-14 and libclang-rt-14-dev when no clang on PATH has one). The emitted C is plain C99
/// with libm, which MemorySanitizer handles without instrumented libraries (libm's results count as initialized).
/// -DAX_NO_CLONES as for the other sanitizers (standalone C has no clones; the runtime would).
private let memorySanitizingCompiler = workingSanitizer(
    "msan", compilers: ["clang", "clang-14"],
    flags: ["-std=c99", "-g", "-O1", "-fsanitize=memory", "-fsanitize-memory-track-origins", "-fno-omit-frame-pointer",
            "-DAX_NO_CLONES"],
    probe: "#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { (void)v; int *p = malloc(4 * sizeof(int)); if (p[c] > 0) puts(\"+\"); free(p); return 0; }\n",
    reports: ["MemorySanitizer"])

/// A C expression computing the element count of `t` from the size variables (named `sz_<var>`).
private func cCount(_ t: TensorType) -> String {
    t.shape.isEmpty ? "(size_t)1" : t.shape.map { d -> String in
        switch d { case .const(let k): return "(size_t)\(k)"; case .sym(let s): return "(size_t)sz_\(s)" }
    }.joined(separator: " * ")
}

/// A C driver calling each kernel for size sets including 0, 1 and 7, on inputs and outputs malloc'ed to
/// exactly their size (so ASan catches any overread or overwrite), plus a call with a negative size. A device kernel
/// (`device` set: a pmap entry) runs on threads with the runtime's table (axdevices.c), each device with its own
/// exactly-sized buffers, for device counts its collectives accept.
private func sanitizerDriver(_ entries: [(cname: String, program: Program, device: DeviceAxis?)], header: String, seed: UInt64) -> String {
    var c = """
    #include "axdevices.h"
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "\(header)"
    /* Under MemorySanitizer every output byte must have been written from initialized values. */
    #if defined(__has_feature)
    #if __has_feature(memory_sanitizer)
    #include <sanitizer/msan_interface.h>
    #define CHECK_WRITTEN(p, bytes) __msan_check_mem_is_initialized((p), (bytes))
    #endif
    #endif
    #ifndef CHECK_WRITTEN
    #define CHECK_WRITTEN(p, bytes) ((void)0)
    #endif
    static uint64_t rng = \(seed)ULL;
    static uint64_t next(void) { rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; return rng >> 11; }
    static double unif(void) { return (double)(next() & 0xFFFFFF) / 16777216.0; }
    static void *buf(size_t count, size_t elem) { void *p = malloc(count * elem ? count * elem : 1); if (!p) exit(20); return p; }
    static float *rf32(size_t n) { float *p = buf(n, 4); for (size_t i = 0; i < n; i++) p[i] = (float)(unif() * 4 - 2); return p; }
    static double *rf64(size_t n) { double *p = buf(n, 8); for (size_t i = 0; i < n; i++) p[i] = unif() * 4 - 2; return p; }
    static int32_t *ri32(size_t n) { int32_t *p = buf(n, 4); for (size_t i = 0; i < n; i++) p[i] = (int32_t)(next() % 5); return p; }
    static uint8_t *rbool(size_t n) { uint8_t *p = buf(n, 1); for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(next() & 1); return p; }

    """
    var calls: [String] = []
    for (cname, p, device) in entries {
        if let device {
            c += deviceDriver(cname, p, device, &calls, seed: seed)
            continue
        }
        let svars = p.sizeVars
        let params = svars.map { "int64_t sz_\($0)" }.joined(separator: ", ")
        c += "static int run_\(cname)(\(params.isEmpty ? "void" : params)) {\n"
        var args = svars.map { "sz_\($0)" }
        for (k, v) in p.inputs.enumerated() {
            c += "    \(v.type.dtype.cType) *in\(k) = r\(v.type.dtype)(\(cCount(v.type)));\n"
            args.append("in\(k)")
        }
        for (k, a) in p.outputs.enumerated() {
            c += "    \(a.type.dtype.cType) *out\(k) = buf(\(cCount(a.type)), sizeof(\(a.type.dtype.cType)));\n"
            args.append("out\(k)")
        }
        let sargs = svars.map { "sz_\($0)" }.joined(separator: ", ")
        c += "    size_t sb = \(cname)_scratch_bytes(\(sargs));\n"
        c += "    void *scr = sb ? malloc(sb) : NULL;\n"
        c += "    int rc = \(cname)(\((args + ["scr"]).joined(separator: ", ")));\n"
        for (k, a) in p.outputs.enumerated() {
            // Read every output element so an unwritten-but-allocated output at least gets touched.
            c += "    { volatile double acc = 0; for (size_t i = 0; i < \(cCount(a.type)); i++) acc += (double)out\(k)[i]; (void)acc; }\n"
            c += "    if (rc == 0) CHECK_WRITTEN(out\(k), \(cCount(a.type)) * sizeof(\(a.type.dtype.cType)));\n"
        }
        for k in p.inputs.indices { c += "    free(in\(k));\n" }
        for k in p.outputs.indices { c += "    free(out\(k));\n" }
        c += "    free(scr);\n    return rc;\n}\n"
        var sets: [[Int64]] = [Array(repeating: 0, count: svars.count), Array(repeating: 1, count: svars.count),
                               Array(repeating: 7, count: svars.count)]
        var r = SeededRandom(seed: seed &+ UInt64(calls.count))
        for _ in 0..<2 { sets.append(svars.map { _ in Int64(r.next() % 12) }) }
        if svars.isEmpty { sets = [[]] }
        for s in sets {
            let list = s.map(String.init).joined(separator: ", ")
            calls.append("    if ((rc = run_\(cname)(\(list))) != 0) { fprintf(stderr, \"\(cname)(\(list)) returned %d\\n\", rc); return 1; }")
        }
        if !svars.isEmpty {
            // A negative size must be rejected before any pointer is touched.
            let neg = (["-1"] + Array(repeating: "3", count: svars.count - 1)).joined(separator: ", ")
            let nulls = Array(repeating: "NULL", count: p.inputs.count + p.outputs.count + 1).joined(separator: ", ")
            calls.append("    if (\(cname)(\(neg), \(nulls)) == 0) { fprintf(stderr, \"\(cname) accepted a negative size\\n\"); return 1; }")
            calls.append("    if (\(cname)_scratch_bytes(\(neg)) != 0) { fprintf(stderr, \"\(cname)_scratch_bytes of a negative size is not 0\\n\"); return 1; }")
        }
    }
    c += "int main(void) {\n    int rc = 0; (void)rc;\n" + calls.joined(separator: "\n") + "\n    return 0;\n}\n"
    return c
}

/// The part of the sanitizer driver for the device kernel `cname` (device program `p`): `run_NAME(devices, sizes...)`
/// allocates every device's inputs, outputs and scratch, runs the devices with `ax_devices_run` and checks each
/// output; a negative size must be refused (with a table of one device, before any collective).
private func deviceDriver(_ cname: String, _ p: Program, _ device: DeviceAxis, _ calls: inout [String], seed: UInt64) -> String {
    let svars = p.sizeVars, kernelSizes = svars.filter { $0 != device.countVar }
    let (nin, nout) = (p.inputs.count, p.outputs.count)
    let count = device.exactCount ?? max(device.minCount, 3)
    var c = "static void *dv_in_\(cname)[\(count)][\(max(nin, 1))], *dv_out_\(cname)[\(count)][\(max(nout, 1))], *dv_scr_\(cname)[\(count)];\n"
    c += "static int64_t dv_sz_\(cname)[\(max(svars.count, 1))];\n"
    var args = ["t"] + kernelSizes.map { "dv_sz_\(cname)[\(svars.firstIndex(of: $0)!)]" }
    args += p.inputs.enumerated().map { "(const \($0.element.type.dtype.cType) *)dv_in_\(cname)[d][\($0.offset)]" }
    args += p.outputs.enumerated().map { "(\($0.element.type.dtype.cType) *)dv_out_\(cname)[d][\($0.offset)]" }
    c += "static int body_\(cname)(void *arg, const ax_collectives *t) {\n    int d = t->device; (void)arg;\n"
    c += "    return \(cname)(\((args + ["dv_scr_\(cname)[d]"]).joined(separator: ", ")));\n}\n"
    func size(_ s: String) -> String { s == device.countVar ? "devices" : "sz_\(s)" }
    c += "static int run_\(cname)(\((["int64_t devices"] + kernelSizes.map { "int64_t sz_\($0)" }).joined(separator: ", "))) {\n"
    c += "    int d, rc;\n"
    for (k, s) in svars.enumerated() { c += "    dv_sz_\(cname)[\(k)] = \(size(s));\n" }
    c += "    for (d = 0; d < devices; d++) {\n"
    for (k, v) in p.inputs.enumerated() { c += "        dv_in_\(cname)[d][\(k)] = r\(v.type.dtype)(\(cCount(v.type)));\n" }
    for (k, a) in p.outputs.enumerated() { c += "        dv_out_\(cname)[d][\(k)] = buf(\(cCount(a.type)), sizeof(\(a.type.dtype.cType)));\n" }
    c += "        size_t sb = \(cname)_scratch_bytes(\(svars.map(size).joined(separator: ", ")));\n"
    c += "        dv_scr_\(cname)[d] = sb ? malloc(sb) : NULL;\n    }\n"
    c += "    rc = ax_devices_run((int32_t)devices, 0, (int32_t)devices, NULL, body_\(cname), NULL);\n"
    c += "    for (d = 0; d < devices; d++) {\n"
    for (k, a) in p.outputs.enumerated() {
        let t = a.type.dtype.cType, out = "((\(t) *)dv_out_\(cname)[d][\(k)])"
        c += "        { volatile double acc = 0; for (size_t i = 0; i < \(cCount(a.type)); i++) acc += (double)\(out)[i]; (void)acc; }\n"
        c += "        if (rc == 0) CHECK_WRITTEN(\(out), \(cCount(a.type)) * sizeof(\(t)));\n"
    }
    for k in 0..<nin { c += "        free(dv_in_\(cname)[d][\(k)]);\n" }
    for k in 0..<nout { c += "        free(dv_out_\(cname)[d][\(k)]);\n" }
    c += "        free(dv_scr_\(cname)[d]);\n    }\n    return rc;\n}\n"
    var r = SeededRandom(seed: seed &+ UInt64(calls.count))
    var sets: [[Int64]] = [0, 1, 7].map { k in [Int64(count)] + kernelSizes.map { _ in k } }
    sets.append([Int64(count)] + kernelSizes.map { _ in Int64(r.next() % 12) })
    if device.exactCount == nil && device.minCount <= 1 { sets.append([1] + kernelSizes.map { _ in 2 }) }
    for s in sets {
        let list = s.map(String.init).joined(separator: ", ")
        calls.append("    if ((rc = run_\(cname)(\(list))) != 0) { fprintf(stderr, \"\(cname)(\(list)) returned %d\\n\", rc); return 1; }")
    }
    if !kernelSizes.isEmpty {
        let neg = (["-1"] + Array(repeating: "3", count: kernelSizes.count - 1)).joined(separator: ", ")
        let nulls = Array(repeating: "NULL", count: nin + nout + 1).joined(separator: ", ")
        c += "static const ax_collectives one_\(cname) = {0, 1, 0, 0, 0, 0};\n"
        calls.append("    if (\(cname)(&one_\(cname), \(neg), \(nulls)) == 0) { fprintf(stderr, \"\(cname) accepted a negative size\\n\"); return 1; }")
    }
    return c
}

/// The sample files.
private let sampleFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: samplesDir.path)) ?? [])
    .filter { $0.hasSuffix(".ax") }.sorted()

/// A driver for the runtime's thread pool: four host threads each split 200 loops between the cores, and the
/// results are checked against the serial arithmetic.
private let poolDriver = """
#include <stdio.h>
#include <stdint.h>
#include <pthread.h>
void ax_parallel_for(int64_t, int64_t, void (*)(void *, int64_t, int64_t), void *);
enum { N = 1 << 18, ROUNDS = 200 };
static double buf[4][N];
static void body(void *ctx, int64_t lo, int64_t hi) { double *a = ctx; for (int64_t i = lo; i < hi; i++) a[i] = a[i] * 0.5 + 1.0; }
static void *host(void *arg) { for (int k = 0; k < ROUNDS; k++) ax_parallel_for(N, 1 << 14, body, arg); return 0; }
int main(void) {
    pthread_t t[4];
    int i, k, bad = 0;
    for (i = 0; i < 4; i++) pthread_create(&t[i], 0, host, buf[i]);
    for (i = 0; i < 4; i++) pthread_join(t[i], 0);
    double want = 0;
    for (k = 0; k < ROUNDS; k++) want = want * 0.5 + 1.0;
    for (i = 0; i < 4; i++) for (k = 0; k < N; k++) bad += buf[i][k] != want;
    printf("%s\\n", bad ? "wrong" : "ok");
    return bad != 0;
}
"""

/// A driver that forks after the pool has started: the child, which has no workers, must still finish its loops.
private let forkDriver = """
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>
void ax_parallel_for(int64_t, int64_t, void (*)(void *, int64_t, int64_t), void *);
static double a[1 << 18];
static void body(void *ctx, int64_t lo, int64_t hi) { (void)ctx; for (int64_t i = lo; i < hi; i++) a[i] += 1; }
int main(void) {
    int st = 1;
    pid_t p;
    ax_parallel_for(1 << 18, 1 << 14, body, 0);
    p = fork();
    if (p == 0) { ax_parallel_for(1 << 18, 1 << 14, body, 0); return a[100] == 2 ? 0 : 1; }
    waitpid(p, &st, 0);
    printf("%s\\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "child failed");
    return 0;
}
"""

@Suite("Sanitizers")
struct SanitizerTests {
    /// Compiles `driver` with Sources/AxRuntime/axruntime.c into a fresh directory, with `flags` added; runs
    /// `check` on the executable's path (the directory is removed afterwards). False when no C compiler exists.
    private func withRuntimeDriver(_ name: String, _ driver: String, flags: [String],
                                   _ check: (String, URL) throws -> Void) throws -> Bool {
        guard let cc = findTool(["gcc", "clang"]) else { return false }
        let runtime = samplesDir.deletingLastPathComponent().appendingPathComponent("Sources/AxRuntime")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try driver.write(to: dir.appendingPathComponent("\(name).c"), atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent(name).path
        let (crc, cout) = try runProcess(cc, ["-O1", "-g"] + flags + ["-I", runtime.appendingPathComponent("include").path, "\(name).c",
                                              runtime.appendingPathComponent("axruntime.c").path, "-o", exe, "-lm", "-lpthread"], cwd: dir)
        try #require(crc == 0, "compiling the runtime with \(name).c \(flags) failed:\n\(cout)")
        try check(exe, dir)
        return true
    }

    /// A process that forks after the runtime's pool started: the child runs its split loops alone (no hang).
    @Test func forkedChildRunsParallelLoopsAlone() throws {
        let ran = try withRuntimeDriver("fork", forkDriver, flags: []) { exe, dir in
            let timeout = try #require(findTool(["timeout"]), "no timeout on PATH")
            let (rc, out) = try runProcess(timeout, ["20", exe], cwd: dir)
            #expect(rc == 0 && out.contains("ok"), "fork driver exited \(rc) (124: it hung):\n\(out)")
        }
        if !ran { withKnownIssue("no C compiler; fork test skipped") { Issue.record("no gcc or clang on PATH") } }
    }

    /// The runtime's thread pool (ax_parallel_for) under ThreadSanitizer: concurrent host threads, loops split
    /// between workers, no data race reported and every element computed once per round.
    @Test func threadPoolRunsCleanUnderThreadSanitizer() throws {
        // -DAX_NO_CLONES: ifunc resolvers run before the TSan runtime starts.
        let ran = try withRuntimeDriver("pool", poolDriver, flags: ["-fsanitize=thread", "-DAX_NO_CLONES"]) { exe, dir in
            let (rc, out) = try runProcess(exe, [], cwd: dir)
            #expect(rc == 0 && out.contains("ok"), "pool driver exited \(rc):\n\(out.prefix(4000))")
            #expect(!out.contains("ThreadSanitizer"), "ThreadSanitizer report:\n\(out.prefix(4000))")
        }
        if !ran { withKnownIssue("no C compiler; thread-sanitizer test skipped") { Issue.record("no gcc or clang on PATH") } }
    }

    @Test func everySampleIsCovered() {
        #expect(sampleFiles.count >= 7, "Samples/*.ax not found from \(samplesDir.path)")
    }

    @Test("emitted kernels of every sample run clean under ASan and UBSan", arguments: sampleFiles)
    func sampleUnderSanitizers(_ file: String) throws {
        try runSample(file, under: sanitizingCompiler, "ASan and UBSan", reports: ["runtime error", "Sanitizer"])
    }

    @Test("emitted kernels of every sample read no uninitialized memory under MemorySanitizer", arguments: sampleFiles)
    func sampleUnderMemorySanitizer(_ file: String) throws {
        try runSample(file, under: memorySanitizingCompiler, "MemorySanitizer", reports: ["MemorySanitizer"])
    }

    /// Emits every entry of `file` as standalone C, builds it with the driver using `cc` and runs it: it must exit 0
    /// and print none of `reports`. Without a working compiler the test records a known issue (it could not run).
    private func runSample(_ file: String, under cc: (path: String, flags: [String])?, _ what: String, reports: [String]) throws {
        let s = try CompilerSession(path: samplesDir.appendingPathComponent(file).path)
        let allEntries = try s.checkAll().filter(\.isRunnable)
        try #require(!allEntries.isEmpty, "\(file) has no entries")
        guard let cc else {
            // Recorded, not silently passed: the test reports that it could not run.
            withKnownIssue("no C compiler with a working \(what) runtime; \(what) test of \(file) skipped") {
                Issue.record("\(what) test of \(file) skipped: no sanitizing C compiler")
            }
            return
        }
        var taken = Set<String>()
        var cnames: [(cname: String, program: Program, device: DeviceAxis?)] = []
        for e in allEntries {
            let map = try s.deviceMap(e.name)
            let p = try map.map { try lower($0.program, name: e.name, to: .optimized, device: $0.axis).optimized } ?? s.lower(e.name, to: .optimized).optimized
            let cname = cEntryName(e.name, taken: taken)
            taken.insert(cname)
            cnames.append((cname, p, map?.axis))
        }
        let base = (file as NSString).deletingPathExtension
        let (csrc, hsrc) = try s.standalone(allEntries.map(\.name), sourceHash: "sanitizer-test", headerName: "\(base).h")
        let tag = cc.flags.contains("-fsanitize=memory") ? "msan" : "asan"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-\(tag)-\(base)-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try csrc.write(to: dir.appendingPathComponent("\(base).c"), atomically: true, encoding: .utf8)
        try hsrc.write(to: dir.appendingPathComponent("\(base).h"), atomically: true, encoding: .utf8)
        try sanitizerDriver(cnames, header: "\(base).h", seed: 42)
            .write(to: dir.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent("driver").path
        let runtime = samplesDir.deletingLastPathComponent().appendingPathComponent("Sources/AxRuntime")
        let (crc, cout) = try runProcess(cc.path, cc.flags + ["-I", runtime.appendingPathComponent("include").path, "\(base).c", "driver.c",
                                                              runtime.appendingPathComponent("axdevices.c").path, "-o", exe, "-lm", "-lpthread"], cwd: dir)
        try #require(crc == 0, "compiling \(file)'s kernels with \(what) failed:\n\(cout)")
        let (rc, out) = try runProcess(exe, [], cwd: dir)
        #expect(rc == 0, "\(file): the \(what) driver exited \(rc):\n\(out.prefix(4000))")
        #expect(!reports.contains(where: out.contains), "\(file): \(what) report:\n\(out.prefix(4000))")
    }
}
