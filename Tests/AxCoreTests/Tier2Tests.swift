// Tier 2 (Runtime/Tier2.swift): the kernel C compiled by the system C compiler gives the same bits as tier 1 on
// every sample entry; the cache hits, misses, ignores damaged entries and refuses shared directories; the
// background compile swaps in; without a compiler everything stays at tier 1.
import Foundation
import Testing
@testable import AxCore

/// The system compiler, when installed (the tests that need one record a known issue without it).
private let systemCC = findExecutable("cc")

/// A fresh private cache directory, removed by the caller.
private func tempCache(_ tag: String) throws -> String {
    let dir = NSTemporaryDirectory() + "axc-tier2-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return dir
}

/// Every output element's bit pattern (bools as 0/1), so NaNs and signed zeros compare exactly.
/// The outputs' bits, every NaN as one canonical NaN: the sign and payload of a NaN made by arithmetic on infinities
/// depend on the instruction sequence (tcc and gcc differ), and nothing observable does (Samples/ode.ax at 40,000 random
/// steps overflows to NaN).
func canonicalBits(_ ts: [Tensor]) -> [[UInt64]] {
    ts.map { t in
        switch t.storage {
        case .f32(let a): return a.map { UInt64(($0.isNaN ? Float.nan : $0).bitPattern) }
        case .f64(let a): return a.map { ($0.isNaN ? Double.nan : $0).bitPattern }
        case .i32(let a): return a.map { UInt64(UInt32(bitPattern: $0)) }
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        }
    }
}

/// Records a known issue when no C compiler is installed; returns it otherwise.
private func requireCC() -> String? {
    if systemCC == nil { withKnownIssue("no C compiler: tier-2 test skipped") { Issue.record("cc not on PATH") } }
    return systemCC
}

/// The sample entry used by the cache tests: a chain of transcendentals split between cores.
private func neuron() throws -> Entry {
    try CompilerSession(path: repoRoot.appendingPathComponent("Samples/neuron.ax").path).entry("batched")
}

@Suite struct Tier2Tests {
    /// Every runnable entry of every sample, at batch sizes 1, 7 and large (loops split between cores): tier 2's
    /// outputs are bit-identical to tier 1's, under `cc` and under `clang` (the default when installed,
    /// Tier2Config.fromEnvironment), each that is installed. One shared object per sample holds all its kernels.
    @Test(arguments: ["cc", "clang"])
    func tier2EqualsTier1OnSamples(_ compiler: String) throws {
        guard let cc = findExecutable(compiler) else {
            withKnownIssue("\(compiler) not installed: tier-2 test skipped") { Issue.record("\(compiler) not on PATH") }
            return
        }
        let dir = repoRoot.appendingPathComponent("Samples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".ax") }.sorted()
        #expect(files.count >= 7)
        var compared = 0
        for f in files {
            let session = try CompilerSession(path: dir.appendingPathComponent(f).path)
            let lowered = try session.checkAll().filter(\.isRunnable).map { try lower($0, to: .kernel) }
            let source = tier2Source(lowered.map { l in
                (emitKernel(l.graph!, name: cEntryName(l.name), perElement: true), packedWrappers(l.graph!, name: cEntryName(l.name)))
            })
            let module = try Tier2Module.load(source, config: Tier2Config(compiler: cc))
            for l in lowered {
                let p = l.optimized
                let k2 = try CompiledKernel(tier2: module, source: source, graph: l.graph!, program: p, name: l.name)
                // Large enough that loops are split between cores, small enough for the work to stay bounded.
                var large = min(40_000, max(12, 4_000_000 / max(1, interpreterWork(p, 2) - interpreterWork(p, 1))))
                while large > 12 && interpreterWork(p, large) > 8_000_000 { large /= 2 }
                for n in p.sizeVars.isEmpty ? [0] : [1, 7, large] {
                    let (inputs, sizes) = try bindInputs(p, args: [:], sizes: Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, n) }), seed: 7)
                    let one = try l.kernel!.run(inputs: inputs, sizes: sizes), two = try k2.run(inputs: inputs, sizes: sizes)
                    let (b1, b2) = (canonicalBits(one), canonicalBits(two))
                    if b1 != b2 {
                        let o = b1.indices.first { b1[$0] != b2[$0] } ?? 0
                        let i = b1[o].indices.first { b1[o][$0] != b2[o][$0] }
                        Issue.record("\(f): \(l.name) at n=\(n): tier 2 differs from tier 1 in output \(o) at flat index \(i.map(String.init) ?? "?") (bits \(i.map { String(b1[o][$0], radix: 16) } ?? "") vs \(i.map { String(b2[o][$0], radix: 16) } ?? ""))")
                    }
                    compared += 1
                }
            }
        }
        #expect(compared > 100)
    }

    /// A difffuzz finding (program seed 731079882): gcc 12 at `-O3 -march=native` miscompiled the flat map loops that the
    /// emitter unrolls 4× for tcc when they select on bools (AVX-512 masks: garbage in some elements). Per-element C
    /// keeps those loops plain (EmitC.swift `emitMap`); tier 2 equals eager on the reduced program.
    @Test func unrolledSelectOfBools() throws {
        guard let cc = requireCC() else { return }
        let text = """
        def f1(x: f32, y: f32) -> f32:
            v10 = mean(sign(zeros((4, 4), dtype=f32)), axis=(-1,))
            if ((x < 0.0) or (y != 0.0)):
                v12 = ((y + full((4, 5), 1.0)) - 1.5)
            else:
                v15 = (tanh(broadcast_to(y, (5,))) * cos(mean(v10)))
                v15 = tanh((v15 + f32(full((5,), 0.5, dtype=f64))))
                y = v15[sum(i32(v10))]
                v12 = reshape(((y + zeros((20,))) / (abs((y + arange(0.0, 10.0, 0.5))) + 1.0))[:, None], (4, -1))
            v18 = min(broadcast_to(y, (5, 5, 5)), axis=-1)
            return (mean(v18) + where((not (x < 0.0)), mean(max(v12, axis=0)), (x - 0.0)))

        e1 = vmap(vmap(vmap(f1, in_axes=(0, None)), in_axes=(0, 0)), in_axes=(0, None))
        """
        let l = try lower(try CompilerSession(file: SourceFile(path: "select.ax", text: text)).entry("e1"), to: .kernel)
        let source = tier2Source([(emitKernel(l.graph!, name: cEntryName(l.name), perElement: true), packedWrappers(l.graph!, name: cEntryName(l.name)))])
        let k2 = try CompiledKernel(tier2: try Tier2Module.load(source, config: Tier2Config(compiler: cc)), source: source,
                                    graph: l.graph!, program: l.optimized, name: l.name)
        for (n, n1, n2) in [(3, 17, 17), (2, 5, 9), (1, 1, 1)] {
            let (inputs, sizes) = try bindInputs(l.optimized, args: [:], sizes: ["n": n, "n1": n1, "n2": n2], seed: 3)
            let eager = try evaluate(l.optimized, inputs: inputs, sizes: sizes)
            #expect(canonicalBits(try k2.run(inputs: inputs, sizes: sizes)) == canonicalBits(eager), "n=\(n) n1=\(n1) n2=\(n2)")
        }
    }

    /// The cache is bounded (AXC_CACHE_MAX_MB): after a compile, the least recently used entries go, `.meta` and
    /// object together, and the entry just written stays even when it is the oldest.
    @Test func cacheEvictsLeastRecentlyUsed() throws {
        let dir = try tempCache("evict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, key) in ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"].enumerated() {
            for name in ["\(key).meta", "\(key)-0123456789abcdef.so"] {
                FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(count: 500_000))
                var times = [timeval(tv_sec: 1_700_000_000 + i * 100, tv_usec: 0), timeval(tv_sec: 1_700_000_000 + i * 100, tv_usec: 0)]
                utimes("\(dir)/\(name)", &times)
            }
        }
        Tier2Module.evict(dir, keeping: "aaaaaaaaaaaaaaaa", limit: 2_500_000)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(left == ["aaaaaaaaaaaaaaaa.meta", "aaaaaaaaaaaaaaaa-0123456789abcdef.so",
                         "cccccccccccccccc.meta", "cccccccccccccccc-0123456789abcdef.so"], "\(left)")
        Tier2Module.evict(dir, keeping: "cccccccccccccccc", limit: 2_500_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 4, "under the limit: nothing goes")
    }

    /// A miss compiles and writes `KEY.meta` and `KEY-SUM.so`; the next load of the same C hits; other C misses.
    @Test func cacheMissThenHit() throws {
        guard let cc = requireCC() else { return }
        let dir = try tempCache("hit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Tier2Config(compiler: cc, cacheDir: dir)
        let source = try lower(try neuron()).tier2C!
        #expect(Tier2Module.cached(source, config: config) == nil)
        #expect(try !Tier2Module.load(source, config: config).fromCache)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.filter { $0.hasSuffix(".meta") }.count == 1 && files.filter { $0.hasSuffix(".so") }.count == 1, "\(files)")
        #expect(!files.contains { $0.hasPrefix(".axc-tier2-") }, "temporary directory left behind: \(files)")
        #expect(try Tier2Module.load(source, config: config).fromCache)
        #expect(Tier2Module.cached(source + "\n/* other */\n", config: config) == nil)
    }

    /// A damaged object (bytes changed), a truncated one, or a `.meta` whose C differs is not loaded: the entry is
    /// compiled again, and the rebuilt entry then hits. Each damage is written to a new file (rename), as a crash or
    /// another writer would leave it.
    @Test func damagedCacheEntryIsIgnoredAndRebuilt() throws {
        guard let cc = requireCC() else { return }
        let dir = try tempCache("damaged")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Tier2Config(compiler: cc, cacheDir: dir)
        let fm = FileManager.default
        func replace(_ name: String, _ data: Data) throws {
            try data.write(to: URL(fileURLWithPath: "\(dir)/\(name).new"))
            #expect(rename("\(dir)/\(name).new", "\(dir)/\(name)") == 0)
        }
        let damages: [(String, (Data) -> Data)] = [
            ("flipped byte", { var d = $0; d[d.count / 2] ^= 0x40; return d }),
            ("truncated", { $0.prefix($0.count / 3) }),
        ]
        for (i, (what, damage)) in damages.enumerated() {
            let source = try lower(try neuron()).tier2C! + "/* entry \(i) */\n"
            _ = try Tier2Module.load(source, config: config)
            let so = try #require(try fm.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".so") && !$0.hasPrefix("done-") })
            try replace(so, damage(try #require(fm.contents(atPath: "\(dir)/\(so)"))))
            #expect(Tier2Module.cached(source, config: config) == nil, "\(what) object was loaded")
            #expect(try !Tier2Module.load(source, config: config).fromCache, "\(what): not rebuilt")
            #expect(Tier2Module.cached(source, config: config) != nil, "\(what): rebuilt entry does not hit")
            for f in try fm.contentsOfDirectory(atPath: dir) { #expect(rename("\(dir)/\(f)", "\(dir)/done-\(f)") == 0) }
        }
        // The .meta's copy of the C text differs from the kernel's: a mismatch, never a load.
        let source = try lower(try neuron()).tier2C!
        _ = try Tier2Module.load(source, config: config)
        let meta = try #require(try fm.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".meta") && !$0.hasPrefix("done-") })
        let text = try String(contentsOfFile: "\(dir)/\(meta)", encoding: .utf8)
        try replace(meta, Data(text.replacingOccurrences(of: "tanh", with: "tanH").utf8))
        #expect(Tier2Module.cached(source, config: config) == nil)
    }

    /// A cache directory other users may write, or one that is a file, is refused: the cache runs native code.
    @Test func sharedCacheDirectoryIsRefused() throws {
        let dir = try tempCache("shared")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(chmod(dir, 0o777) == 0)
        guard case .failure(let why) = privateDirectory(dir) else { Issue.record("a world-writable cache was accepted"); return }
        #expect(why.description.contains("writable by other users"))
        #expect(chmod(dir, 0o700) == 0)
        guard case .success = privateDirectory(dir) else { Issue.record("a private cache was refused"); return }
        FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        guard case .failure = privateDirectory(dir + "/file") else { Issue.record("a file was accepted as the cache"); return }
    }

    /// Auto: on a miss the kernel starts at tier 1, tier 2 is compiled on a background thread and swapped in, with
    /// the same outputs; the next lowering of the same entry starts at tier 2 from the cache.
    @Test func autoSwapsInTier2AndNextStartStartsThere() throws {
        guard let cc = requireCC() else { return }
        let dir = try tempCache("auto")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Tier2Config(compiler: cc, cacheDir: dir)
        let entry = try neuron()
        let (inputs, sizes) = try bindInputs(try lower(entry, to: .optimized).optimized, args: [:], sizes: ["n": 100_000], seed: 3)
        let first = try lower(entry, tier: .auto, tier2: config).kernel!
        #expect(first.tier == 1)
        let before = try first.run(inputs: inputs, sizes: sizes)
        #expect(first.waitForTier2() == nil)
        #expect(first.tier == 2)
        #expect(canonicalBits(try first.run(inputs: inputs, sizes: sizes)) == canonicalBits(before))
        var passes: [Pass] = []
        let second = try lower(entry, tier: .auto, tier2: config) { passes.append($0) }.kernel!
        #expect(second.tier == 2 && passes.last == .cc && !passes.contains(.tcc), "\(passes)")
        #expect(canonicalBits(try second.run(inputs: inputs, sizes: sizes)) == canonicalBits(before))
    }

    /// No compiler: auto is tier 1 with no background work, tier 2 is a clear error (a Diagnostic, exit 1).
    @Test func absentCompilerFallsBackToTier1() throws {
        let config = Tier2Config(compiler: findExecutable("/nonexistent/axc-no-cc"), cacheDir: nil)
        #expect(config.compiler == nil)
        let k = try lower(try neuron(), tier: .auto, tier2: config).kernel!
        #expect(k.tier == 1 && k.waitForTier2() == nil)
        #expect(throws: Diagnostic.self) { try lower(try neuron(), tier: .two, tier2: config) }
    }
}

/// The command line: `--tier`, the cache between processes, a damaged entry, and a machine without a compiler.
@Suite struct Tier2CLITests {
    /// `bench --tier 2 --modes jit2 --json` in `home`'s cache: where tier 2 came from ("hit", "miss").
    private func benchCache(_ home: String) throws -> String? {
        let r = try CLITests.axc(["bench", CLITests.sample("neuron"), "--fn", "batched", "--size", "n=1000", "--runs", "1",
                                  "--modes", "jit2", "--json"], env: ["XDG_CACHE_HOME": home])
        #expect(r.status == 0, "\(r)")
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["tier2_cache"] as? String
    }

    /// A run of 1 ms or more at tier 1 (auto, empty cache) caches tier 2; later processes load it (a hit) and print
    /// the same numbers as tier 1; a damaged object is compiled again (a miss), then hits.
    @Test func laterRunsStartAtTier2AndDamageIsRebuilt() throws {
        guard requireCC() != nil else { return }
        let home = try tempCache("cli")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let args = ["run", CLITests.sample("neuron"), "--fn", "batched", "--size", "n=1000000"]
        let auto = try CLITests.axc(args, env: ["XDG_CACHE_HOME": home])
        let one = try CLITests.axc(args + ["--tier", "1"], env: ["XDG_CACHE_HOME": home])
        let two = try CLITests.axc(args + ["--tier", "2"], env: ["XDG_CACHE_HOME": home])
        #expect(auto.status == 0 && one.status == 0 && two.status == 0, "\(auto)\n\(one)\n\(two)")
        #expect(auto.stdout == one.stdout && two.stdout == one.stdout)
        #expect(try benchCache(home) == "hit")
        let fm = FileManager.default
        let so = try #require(try fm.contentsOfDirectory(atPath: home + "/axc").first { $0.hasSuffix(".so") })
        try Data(repeating: 0x7f, count: 4096).write(to: URL(fileURLWithPath: "\(home)/axc/garbage"))
        #expect(rename("\(home)/axc/garbage", "\(home)/axc/\(so)") == 0)
        #expect(try benchCache(home) == "miss")
        #expect(try benchCache(home) == "hit")
    }

    /// AXC_CC naming no file: run (auto) prints what tier 1 prints, bench times only tier 1, `--tier 2` is an error
    /// naming the missing compiler (exit 1).
    @Test func noCompilerKeepsTier1() throws {
        let home = try tempCache("nocc")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let env = ["AXC_CC": "/nonexistent/cc", "XDG_CACHE_HOME": home]
        let args = ["run", CLITests.sample("neuron"), "--fn", "batched", "--size", "n=100000"]
        let auto = try CLITests.axc(args, env: env), one = try CLITests.axc(args + ["--tier", "1"])
        #expect(auto.status == 0 && auto.stdout == one.stdout && auto.stderr.isEmpty, "\(auto)")
        let two = try CLITests.axc(args + ["--tier", "2"], env: env)
        #expect(two.status == 1 && two.stderr.contains("tier 2 needs a C compiler"), "\(two)")
        let bench = try CLITests.axc(["bench", CLITests.sample("neuron"), "--fn", "batched", "--size", "n=1000", "--runs", "1",
                                      "--json"], env: env)
        let modes = (try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])?["modes"] as? [String: Any]
        #expect(bench.status == 0 && modes?["jit"] != nil && modes?["jit2"] == nil, "\(bench)")
    }
}

extension Tier2CLITests {
    /// The emitted C is the same in every process (it keys tier 2's cache; Swift's Set and Dictionary orders change
    /// from process to process, and the tile slots were once assigned in a Set's order): `axc compile` of every
    /// sample, three times, writes the same bytes.
    @Test func emittedCIsTheSameInEveryProcess() throws {
        let samples = try FileManager.default.contentsOfDirectory(atPath: repoRoot.appendingPathComponent("Samples").path)
            .filter { $0.hasSuffix(".ax") }.sorted()
        #expect(samples.count >= 7)
        for s in samples {
            var texts: [Data] = []
            for _ in 0..<3 {
                let tmp = try TempDir()
                let r = try CLITests.axc(["compile", repoRoot.appendingPathComponent("Samples/\(s)").path, "-o", tmp.path("k.c")], in: tmp)
                #expect(r.status == 0, "\(r)")
                texts.append(FileManager.default.contents(atPath: tmp.path("k.c")) ?? Data())
            }
            #expect(!texts[0].isEmpty && texts.allSatisfy { $0 == texts[0] }, "\(s): the C differs between processes")
        }
    }
}

extension Tier2CLITests {
    /// A "compiler" that never finishes is stopped (AXC_CC_TIMEOUT seconds): `--tier 2` is an internal error
    /// naming it, `auto` prints what tier 1 prints, with a warning that tier 2 was not cached; neither hangs.
    @Test func hangingCompilerIsStopped() throws {
        let tmp = try TempDir()
        let cc = try tmp.write("slowcc", "#!/bin/sh\nexec sleep 600\n")
        #expect(chmod(cc, 0o755) == 0)
        let env = ["AXC_CC": cc, "AXC_CC_TIMEOUT": "1", "XDG_CACHE_HOME": tmp.path("cache")]
        let args = ["run", CLITests.sample("neuron"), "--fn", "batched", "--size", "n=1000000"]
        let two = try CLITests.axc(args + ["--tier", "2"], timeout: 30, env: env)
        #expect(two.status == 3 && two.stderr.contains("did not finish"), "\(two)")
        let auto = try CLITests.axc(args, timeout: 30, env: env), one = try CLITests.axc(args + ["--tier", "1"])
        #expect(auto.status == 0 && auto.stdout == one.stdout && auto.stderr.contains("tier 2 was not cached"), "\(auto)")
    }
}

extension Tier2Tests {
    /// The default compiler is clang, but more than 48 KB of C goes to cc (a difffuzz timeout: clang spent 32 s in loop
    /// strength reduction on a 108 KB Hessian kernel, gcc 1.4 s); AXC_CC names one compiler for every size.
    @Test func largeKernelsGoToCC() {
        var c = Tier2Config(compiler: "/usr/bin/clang")
        c.largeCompiler = "/usr/bin/cc"
        let small = String(repeating: "x", count: 48 << 10), large = small + "x"
        #expect(c.compiler(for: small) == "/usr/bin/clang" && c.compiler(for: large) == "/usr/bin/cc")
        #expect(Tier2Config(compiler: "/usr/bin/clang").compiler(for: large) == "/usr/bin/clang")
        let env = Tier2Config.fromEnvironment(noCache: true)
        if ProcessInfo.processInfo.environment["AXC_CC"] == nil, let clang = findExecutable("clang") {
            #expect(env.compiler == clang && env.largeCompiler == findExecutable("cc"))
        }
    }
}
