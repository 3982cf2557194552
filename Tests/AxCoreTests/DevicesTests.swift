// Tests of pmap's device kernels on threads (Driver/DeviceRun.swift, Sources/AxRuntime/axdevices.c): the same numbers
// as the vmap-style kernel, bit-identical from run to run, non-leading axes, the errors for device counts the program
// cannot use, the table's one C definition, and the in-process collectives under ThreadSanitizer.
import Foundation
import Testing
@testable import AxCore

@Suite struct DevicesTests {
    let source = """
    def stats(x: f32[3]) -> f32[3]:
        return psum(x, 'i') + pmean(x, 'i') * 10.0 + pmax(x, 'i') * 100.0 - pmin(x, 'i') + f32(axis_index('i'))

    def counts(k: i32[2]) -> i32[2]:
        return psum(k, 'i') * (axis_index('i') + 1)

    def gathered(x: f32[3]):
        return all_gather(x, 'i', axis=1)[0:2, :] * 1.0

    def shift(x: f64[2]) -> f64[2]:
        return ppermute(x, 'i', perm=((0, 2), (2, 1), (1, 0)))

    def scatter(x: f32[3, 2]) -> f32[2]:
        return psum_scatter(x, 'i')

    def total(x: f32[3]) -> f32:
        return psum(sum(x * x), 'i')

    def add_up(x: f32) -> f32:
        return psum(x, 'i')

    def one(x: f32[3], c: f32) -> f32[3]:
        return x * c

    p_stats = pmap(stats, axis_name='i')
    v_stats = jit(vmap(stats, axis_name='i'))
    p_counts = pmap(counts, axis_name='i', in_axes=1, out_axes=1)
    v_counts = jit(vmap(counts, axis_name='i', in_axes=1, out_axes=1))
    p_gathered = pmap(gathered, axis_name='i')
    v_gathered = jit(vmap(gathered, axis_name='i'))
    p_shift = pmap(shift, axis_name='i', axis_size=3)
    v_shift = jit(vmap(shift, axis_name='i', axis_size=3))
    p_scatter = pmap(scatter, axis_name='i', axis_size=3)
    v_scatter = jit(vmap(scatter, axis_name='i', axis_size=3))
    p_total = pmap(total, axis_name='i', out_axes=None)
    v_total = jit(vmap(total, axis_name='i', out_axes=None))
    p_one = pmap(one, in_axes=(0, None))
    p_add_up = pmap(add_up, axis_name='i')
    """

    func session() throws -> CompilerSession { try CompilerSession(file: SourceFile(path: "d.ax", text: source)) }

    /// The entry `name` through its device kernel.
    func devices(_ s: CompilerSession, _ name: String, _ inputs: [Tensor]) throws -> [Tensor] {
        try DeviceRunner(try #require(try s.deviceMap(name)), name: name).run(inputs: inputs, sizes: try sizesFor(s, name, inputs))
    }

    /// The size bindings of `inputs` for the entry's program.
    func sizesFor(_ s: CompilerSession, _ name: String, _ inputs: [Tensor]) throws -> [String: Int] {
        try bindArguments(try s.lower(name, to: .optimized).optimized, inputs, sizes: [:])
    }

    func vmapKernel(_ s: CompilerSession, _ name: String, _ inputs: [Tensor]) throws -> [Tensor] {
        try s.lower(name).kernel!.run(inputs: inputs, sizes: try sizesFor(s, name, inputs))
    }

    /// Small integers in f32: every sum and mean below is exact, so the device kernel and the vmap-style kernel must
    /// agree bit for bit.
    func ints(_ t: DType, _ shape: [Int], seed: Int) -> Tensor {
        Tensor(t, shape: shape, doubles: (0..<shape.reduce(1, *)).map { Double(($0 * 7 + seed * 3) % 11 - 5) })
    }

    @Test func sameAsTheVmapKernelAndDeterministic() throws {
        let s = try session()
        let cases: [(String, [Tensor])] = [
            ("stats", [ints(.f32, [4, 3], seed: 1)]), ("counts", [ints(.i32, [2, 5], seed: 2)]),
            ("gathered", [ints(.f32, [2, 3], seed: 3)]), ("shift", [ints(.f64, [3, 2], seed: 4)]),
            ("scatter", [ints(.f32, [3, 3, 2], seed: 5)]), ("total", [ints(.f32, [6, 3], seed: 6)]),
        ]
        for (name, inputs) in cases {
            let want = try vmapKernel(s, "v_" + name, inputs)
            let first = try devices(s, "p_" + name, inputs)
            #expect(first.map(\.shape) == want.map(\.shape), "\(name): shapes")
            #expect(first.map(\.doubles) == want.map(\.doubles), "\(name): device kernel \(first.map(\.doubles)) vs vmap kernel \(want.map(\.doubles))")
            for _ in 0..<5 { #expect(try devices(s, "p_" + name, inputs).map(\.doubles) == first.map(\.doubles), "\(name): not deterministic") }
        }
    }

    /// A sum whose rounding depends on the order: the device kernel adds in device order (f32 in double), whatever
    /// the threads' arrival order, so every run gives the sequential sum.
    @Test func sumsInDeviceOrder() throws {
        let s = try session()
        let big = 1e17
        let xs = [big, 1, -big, 3, 0.5, -2] + (0..<58).map { Double(Float(sin(Double($0)) * 1e3)) }
        #expect((xs[0] + xs[1]) + xs[2] != (xs[0] + xs[2]) + xs[1], "the test needs an order-dependent sum")
        let x = Tensor(.f32, shape: [xs.count], doubles: xs)
        let sequential = Double(Float(x.doubles.reduce(0.0, +)))
        for _ in 0..<10 {
            #expect(try devices(s, "p_add_up", [x])[0].doubles == Array(repeating: sequential, count: xs.count))
        }
    }

    /// make bench's data-parallel step (bench/data_parallel.ax): with equal shards, every device's averaged gradient is
    /// Samples/mlp.ax's mean gradient of the whole batch.
    @Test func dataParallelStepIsTheMeanGradient() throws {
        let dp = try CompilerSession(path: repoRoot.appendingPathComponent("bench/data_parallel.ax").path)
        let mlp = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/mlp.ax").path)
        let (count, shard) = (2, 3)
        var rng = SeededRandom(seed: 7)
        func random(_ shape: [Int], scale: Double) -> Tensor {
            Tensor(.f32, shape: shape, doubles: (0..<shape.reduce(1, *)).map { _ in (Double(rng.next() % 2001) / 1000 - 1) * scale })
        }
        let params = [random([784, 128], scale: 0.05), random([128], scale: 0.1), random([128, 10], scale: 0.05), random([10], scale: 0.1)]
        let xs = random([count, shard, 784], scale: 1), ys = random([count, shard, 10], scale: 1)
        let got = try devices(dp, "data_parallel_grad", params + [xs, ys])
        let whole = [Tensor(shape: [count * shard, 784], storage: xs.storage), Tensor(shape: [count * shard, 10], storage: ys.storage)]
        let want = try vmapKernel(mlp, "mean_grad", params + whole)
        for (k, w) in want.enumerated() {
            let g = got[k].doubles, n = w.count
            for d in 0..<count {
                expectClose(Tensor(.f64, shape: w.shape, doubles: Array(g[(d * n)..<((d + 1) * n)])), Tensor(.f64, shape: w.shape, doubles: w.doubles),
                            rtol: 1e-4, atol: 1e-6, "gradient leaf \(k), device \(d)")
            }
        }
    }

    @Test func unmappedArgumentsAndNoAxisName() throws {
        let s = try session()
        let x = ints(.f32, [5, 3], seed: 7), c = Tensor(scalar: 3, .f32)
        #expect(try devices(s, "p_one", [x, c])[0].doubles == x.doubles.map { $0 * 3 })
    }

    @Test func deviceCountsTheProgramCannotUse() throws {
        let s = try session()
        func fails(_ name: String, _ inputs: [Tensor], _ message: String) {
            do { _ = try devices(s, name, inputs); Issue.record("\(name): no error") } catch let d as Diagnostic {
                #expect(d.message.contains(message), "\(name): \(d.message)")
            } catch { Issue.record("\(name): \(error)") }
        }
        fails("p_stats", [ints(.f32, [257, 3], seed: 0)], "257 devices in one process, at most 256")
        fails("p_stats", [ints(.f32, [0, 3], seed: 0)], "at least one device")
        // The kernel itself refuses a table whose device count the collectives cannot use (code 2).
        let map = try #require(try s.deviceMap("p_scatter"))
        #expect(map.axis.exactCount == 3)
        #expect(map.axis.problem(devices: 2)?.contains("scatters a dimension of size 3, but the map has 2 devices") == true)
        let shift = try #require(try s.deviceMap("p_shift"))
        #expect(shift.axis.minCount == 3)
        #expect(shift.axis.problem(devices: 2)?.contains("names device 2, but the map has 2 devices") == true)
        #expect(try DeviceRunner(map, name: "p_scatter").kernel.source.contains("ax_coll->devices != 3) return 2;"))
    }

    /// tiled=True: a constant mapped size is needed, and a scattered dimension that is not a multiple of it, a
    /// symbolic dimension or a pmap without axis_size are located errors; the device kernel fixes the device count.
    @Test func tiledCollectivesNeedAConstantMappedSize() throws {
        let s = try CompilerSession(file: SourceFile(path: "t.ax", text: """
            def f(x: f32[8]) -> f32[8]:
                return all_gather(psum_scatter(x, 'i', tiled=True), 'i', tiled=True)

            def g(x: f32[6]):
                return psum_scatter(x, 'i', tiled=True)

            def h(x: f32[m]):
                return all_gather(x, 'i', tiled=True)

            no_size = pmap(f, axis_name='i')
            named = vmap(f, axis_name='i')
            not_multiple = pmap(g, axis_name='i', axis_size=4)
            symbolic = pmap(h, axis_name='i', axis_size=2)
            sized = pmap(f, axis_name='i', axis_size=4)
            named_sized = vmap(f, axis_name='i', axis_size=4, in_axes=None)
            """))
        expectLocatedError(s, "no_size", "psum_scatter(tiled=True) over 'i' needs the mapped size as a constant, got n: give the map axis_size=", line: 2)
        expectLocatedError(s, "named", "needs the mapped size as a constant", line: 2)
        expectLocatedError(s, "not_multiple", "dimension 0 of f32[6] (6) is not a multiple of the mapped size 4", line: 5)
        expectLocatedError(s, "symbolic", "all_gather(tiled=True) over 'i' needs a constant size for dimension 0 of f32[m]", line: 8)
        let map = try #require(try s.deviceMap("sized"))
        #expect(map.axis.exactCount == 4)
        #expect(map.axis.problem(devices: 2) != nil)
        // Each device keeps its block of the sum and gathers every block back: the sum itself, on every device.
        let x = ints(.f32, [4, 8], seed: 1)
        let total = (0..<8).map { j in (0..<4).map { x.doubles[$0 * 8 + j] }.reduce(0, +) }
        #expect(try devices(s, "sized", [x])[0].doubles == Array((0..<4).map { _ in total }.joined()))
        let once = ints(.f32, [8], seed: 2)
        let e = try s.entry("named_sized")
        let sum4 = once.doubles.map { $0 * 4 }
        #expect(try evaluate(try lower(e, to: .optimized).optimized, inputs: [once], sizes: [:])[0].doubles == Array((0..<4).map { _ in sum4 }.joined()))
    }

    /// The ax_collectives declaration of the runtime's header is the one the kernels are compiled against, and its
    /// ax_transport the one the MPI glue is compiled against.
    @Test func runtimeHeaderDeclaresTheSameTable() throws {
        let header = try String(contentsOf: repoRoot.appendingPathComponent("Sources/AxRuntime/include/axdevices.h"), encoding: .utf8)
        #expect(header.contains(collectivesTableC))
        #expect(header.contains(transportDeclC), "the MPI glue's ax_transport differs from axdevices.h's")
    }

    /// The in-process collectives (axdevices.c) under ThreadSanitizer: 8 devices, each collective in each dtype many
    /// times, results checked against the device-order reduction; no race reported.
    @Test func collectivesRunCleanUnderThreadSanitizer() throws {
        guard let cc = findTool(["gcc", "clang"]) else {
            withKnownIssue("no C compiler; thread-sanitizer test skipped") { Issue.record("no clang or gcc on PATH") }
            return
        }
        let runtime = repoRoot.appendingPathComponent("Sources/AxRuntime")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-devices-tsan-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try teamDriver.write(to: dir.appendingPathComponent("team.c"), atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent("team").path
        let (crc, cout) = try runProcess(cc, ["-O1", "-g", "-fsanitize=thread", "-I", runtime.appendingPathComponent("include").path, "team.c",
                                              runtime.appendingPathComponent("axdevices.c").path, "-o", exe, "-lm", "-lpthread"], cwd: dir)
        try #require(crc == 0, "compiling axdevices.c with -fsanitize=thread failed:\n\(cout)")
        let timeout = try #require(findTool(["timeout"]), "no timeout on PATH")
        let (rc, out) = try runProcess(timeout, ["120", exe], cwd: dir)
        #expect(rc == 0 && out.contains("ok"), "team driver exited \(rc) (124: it hung):\n\(out.prefix(4000))")
        #expect(!out.contains("ThreadSanitizer"), "ThreadSanitizer report:\n\(out.prefix(4000))")
    }
}

/// A C driver of the in-process team: each device all-reduces (sum, max, min in f32, f64 and i32), all-gathers and
/// permutes (a ring with one device left out), and checks every result.
private let teamDriver = """
#include "axdevices.h"
#include <stdio.h>
#include <string.h>
#define N 37
#define D 8
static int bad[D];
static float val(int d, int i) { return (float)((d * 31 + i * 7) % 19) - 9.0f; }
static int device_body(void *arg, const ax_collectives *t) {
    int round, i, d;
    (void)arg;
    for (round = 0; round < 20; round++) {
        float xf[N], of[N], g[N * D]; double xd[N], od[N]; int32_t xi[N], oi[N];
        for (i = 0; i < N; i++) { xf[i] = val(t->device, i); xd[i] = xf[i]; xi[i] = (int32_t)xf[i]; }
        if (t->all_reduce(t, round % 3, 0, xf, of, N) || t->all_reduce(t, round % 3, 1, xd, od, N) || t->all_reduce(t, round % 3, 2, xi, oi, N)) return 3;
        for (i = 0; i < N; i++) {
            double want = val(0, i);
            for (d = 1; d < t->devices; d++) {
                double v = val(d, i);
                want = round % 3 == 0 ? want + v : round % 3 == 1 ? (v > want ? v : want) : (v < want ? v : want);
            }
            if (of[i] != (float)want || od[i] != want || oi[i] != (int32_t)want) bad[t->device] = 1;
        }
        if (t->all_gather(t, xf, g, sizeof xf)) return 3;
        for (d = 0; d < t->devices; d++) for (i = 0; i < N; i++) if (g[d * N + i] != val(d, i)) bad[t->device] = 1;
        {
            int32_t to = t->device == D - 1 ? -1 : (t->device + 1) % (D - 1);
            int32_t from = t->device == D - 1 ? -1 : (t->device + D - 2) % (D - 1);
            if (t->permute(t, xf, of, sizeof xf, from, to)) return 3;
            for (i = 0; i < N; i++) if (of[i] != (from < 0 ? 0.0f : val(from, i))) bad[t->device] = 1;
        }
    }
    return 0;
}
int main(void) {
    int rc = ax_devices_run(D, 0, D, 0, device_body, 0), d, failed = 0;
    for (d = 0; d < D; d++) failed |= bad[d];
    printf("%s (rc %d)\\n", rc == 0 && !failed ? "ok" : "FAILED", rc);
    return rc == 0 && !failed ? 0 : 1;
}
"""
