// `axc bench`: per-stage compile times, first-call and steady-state run times, throughput,
// and the comparison of the fused kernel with op-by-op execution and the per-example loop (docs/cli.md).
import Foundation

/// What `axc bench` can time.
public enum BenchMode: String, CaseIterable, Sendable {
    /// The fused kernel compiled by libtcc (tier 1).
    case jit
    /// The same kernel C compiled by the system C compiler (tier 2), or loaded from its cache.
    case jit2
    /// Op by op through the reference interpreter.
    case eager
    /// The unbatched kernel called once per example (vmap entries only).
    case loop
    /// The device kernel on one thread per device, as `axc run` runs a pmap entry (pmap entries only).
    case devices
}

/// The devices of a pmap entry under `axc bench`: each one's kernel time and the collectives' share of it.
public struct DeviceTimes: Sendable {
    /// Per device, the median over the timed runs of its kernel's time (ms).
    public var perDeviceMs: [Double]
    /// Time inside the collectives (waiting for the other devices included) over time in the kernels, all devices.
    public var collectivesShare: Double
}

/// Times of one mode, in milliseconds.
public struct ModeTimes: Sendable {
    public var firstMs: Double
    public var medianMs: Double
    public var minMs: Double
    public var runs: Int
    public var peakRSSBytes: Int?
}

/// Everything `axc bench` measured for one entry.
public struct BenchReport: Sendable {
    public var fn: String
    public var sizes: [String: Int]
    /// parse, transform, fuse, emit, tcc, total (ms); then cc, tier 2's compile or cache load, when jit2 ran
    /// (not in total).
    public var compileMs: [(String, Double)]
    /// Where tier 2 came from: "hit" (the cache), "miss" (compiled, then cached), "off" (compiled, no cache); nil
    /// when jit2 did not run.
    public var tier2Cache: String?
    public var modes: [(BenchMode, ModeTimes)]
    /// Elements of all outputs and bytes of all inputs and outputs, for throughput.
    public var outputElements: Int
    public var bytesMoved: Int
    /// For a pmap entry timed in mode `devices`.
    public var devices: DeviceTimes? = nil

    /// One JSON object (`axc bench --json`, docs/cli.md): fn, sizes, compile_ms, modes, plus throughput.
    public var json: String {
        func num(_ x: Double) -> String { String(format: "%.6g", x) }
        let sizesText = sizes.keys.sorted().map { "\"\($0)\": \(sizes[$0]!)" }.joined(separator: ", ")
        let compile = compileMs.map { "\"\($0.0)\": \(num($0.1))" }.joined(separator: ", ")
        let modesText = modes.map { (m, t) -> String in
            var fields = ["\"first_ms\": \(num(t.firstMs))", "\"median_ms\": \(num(t.medianMs))",
                          "\"min_ms\": \(num(t.minMs))", "\"runs\": \(t.runs)"]
            if let r = t.peakRSSBytes { fields.append("\"peak_rss_bytes\": \(r)") }
            if t.medianMs > 0 {
                fields.append("\"elements_per_s\": \(num(Double(outputElements) / (t.medianMs / 1e3)))")
                fields.append("\"gb_per_s\": \(num(Double(bytesMoved) / (t.medianMs / 1e3) / 1e9))")
            }
            return "\"\(m.rawValue)\": {\(fields.joined(separator: ", "))}"
        }.joined(separator: ", ")
        let devicesText = devices.map {
            ", \"devices\": {\"count\": \($0.perDeviceMs.count), \"per_device_ms\": [\($0.perDeviceMs.map(num).joined(separator: ", "))], "
                + "\"collectives_share\": \(num($0.collectivesShare))}"
        } ?? ""
        let cache = tier2Cache.map { ", \"tier2_cache\": \"\($0)\"" } ?? ""
        return "{\"fn\": \"\(fn)\", \"sizes\": {\(sizesText)}, \"compile_ms\": {\(compile)}\(cache), \"modes\": {\(modesText)}\(devicesText)}"
    }
}

/// Milliseconds since an arbitrary origin (monotonic).
func nowMs() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

/// The median of `xs` (non-empty).
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set size of this process, in bytes.
public func peakRSSBytes() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Int(u.ru_maxrss) * 1024
}

/// Times `body` once for the first call, once more as warm-up, then `runs` times.
func timeRuns(runs: Int, _ body: () throws -> Void) rethrows -> ModeTimes {
    var t0 = nowMs()
    try body()
    let first = nowMs() - t0
    try body()
    var times: [Double] = []
    for _ in 0..<max(1, runs) {
        t0 = nowMs()
        try body()
        times.append(nowMs() - t0)
    }
    return ModeTimes(firstMs: first, medianMs: median(times), minMs: times.min()!, runs: times.count, peakRSSBytes: nil)
}


/// What to benchmark.
public struct BenchRequest: Sendable {
    public var fn: String
    public var args: [String: ArgValue] = [:]
    public var sizes: [String: Int] = [:]
    public var seed: UInt64 = 0
    public var runs: Int = 10
    /// Modes to run; nil means every mode that applies (`jit` and `jit2` as `tier` says).
    public var modes: [BenchMode]?
    /// Which jit tiers run when `modes` is nil: 1 (jit), 2 (jit2), auto (both when a C compiler is installed).
    public var tier: Tier = .auto
    /// The compiler and cache of tier 2 (default: `Tier2Config.fromEnvironment()`).
    public var tier2: Tier2Config?
    /// `.npy` inputs must have the leaves' exact dtypes (no conversion at the door).
    public var strictDTypes = false
    /// Mode `devices` over the processes of this MPI job (`--distributed mpi`); only mode `devices` runs.
    public var mpi: MPISession? = nil
    public init(fn: String) { self.fn = fn }
}

/// Compiles `file`'s entry stage by stage and times the requested modes.
public func benchmark(_ file: SourceFile, _ req: BenchRequest) throws -> BenchReport {
    var t = nowMs()
    var stages: [(String, Double)] = []
    func lap(_ name: String) { let now = nowMs(); stages.append((name, now - t)); t = now }
    let session = try CompilerSession(file: file)
    lap("parse")
    // "transform" is elaboration with the transforms plus simplification; the other stages are passes of `lower`.
    let lowered = try session.lower(req.fn, to: .kernel) { pass in lap(pass == .simplify ? "transform" : pass.rawValue) }
    let program = lowered.optimized, kernel = lowered.kernel!
    stages.append(("total", stages.reduce(0) { $0 + $1.1 }))
    // A pmap entry's device kernel (mode `devices`), its compile time apart.
    let deviceMap = try session.deviceMap(req.fn)
    var runner: DeviceRunner? = nil
    if let map = deviceMap, req.modes?.contains(.devices) ?? true {
        t = nowMs()
        runner = try DeviceRunner(map, name: req.fn)
        stages.append(("devices", nowMs() - t))
    }

    let (inputs, sizes) = try bindInputs(program, args: req.args, sizes: req.sizes, seed: req.seed, strictDTypes: req.strictDTypes)
    // Every mode would refuse an array beyond the limits: say so (located) before allocating anything.
    try checkArrayLimits(program, sizes: sizes)
    let outShapes = program.outputs.map { $0.type.concreteShape(sizes) ?? [] }
    let outBytes = zip(outShapes, program.outputs).map { s, o in s.reduce(1, *) * o.type.dtype.byteSize }
    let inBytes = inputs.map { $0.count * $0.dtype.byteSize }
    let outputElements = outShapes.map { $0.reduce(1, *) }.reduce(0, +)

    // The per-example loop compiles a second kernel: only when its mode may run.
    let loop = req.modes.map({ $0.contains(.loop) }) ?? true ? try loopProgram(session.module, req.fn) : nil
    // Peak RSS only grows, so modes run from the leanest (jit) to the hungriest (eager).
    if req.mpi != nil, runner == nil || (req.modes.map { $0 != [.devices] } ?? false) {
        throw Diagnostic("--distributed mpi times a pmap entry (pmap(f) or jit(pmap(f))) in mode devices only")
    }
    let config = req.tier2 ?? Tier2Config.fromEnvironment()
    let jits: [BenchMode] = req.tier == .one ? [.jit] : req.tier == .two ? [.jit2] : config.compiler == nil ? [.jit] : [.jit, .jit2]
    let modes = (req.mpi != nil ? [.devices] : req.modes ?? ((runner == nil ? [] : [.devices]) + jits + (loop == nil ? [.eager] : [.loop, .eager])))
        .sorted { rank($0) < rank($1) }
    func rank(_ m: BenchMode) -> Int { [.jit, .jit2, .devices, .loop, .eager].firstIndex(of: m)! }
    var devices: DeviceTimes? = nil
    var results: [(BenchMode, ModeTimes)] = []
    var tier2Cache: String?
    // Inputs are read in place (no copy), so peak memory is inputs + outputs + scratch.
    // The first call includes allocating its outputs and scratch (where MAP_POPULATE would take the page faults).
    func timeKernel(_ k: CompiledKernel) throws -> ModeTimes {
        let t0 = nowMs()
        let outs = try outBytes.enumerated().map { try AlignedBuffer(bytes: $0.element, for: "output \($0.offset) of kernel '\(req.fn)'") }
        let sizeArgs = program.sizeVars.map { Int64(sizes[$0] ?? 0) }
        let scratch = try AlignedBuffer(bytes: k.scratchBytes(sizes: sizeArgs), for: "the scratch of kernel '\(req.fn)'")
        let allocMs = nowMs() - t0
        var rc: Int32 = 0
        var times = withKernelInputs(inputs) { ins in
            timeRuns(runs: req.runs) {  // `outs` used inside, so it lives as long as the runs
                rc = k.callRaw(sizes: sizeArgs, inputs: ins, outputs: outs.map(\.pointer), scratch: scratch.pointer)
            }
        }
        if rc != 0 { throw Diagnostic("kernel '\(req.fn)' rejected the sizes \(sizesDescription(sizes)) (code \(rc))") }
        times.firstMs += allocMs
        times.peakRSSBytes = peakRSSBytes()
        return times
    }
    for mode in modes {
        switch mode {
        case .jit:
            results.append((.jit, try timeKernel(kernel)))
        case .jit2:
            let t0 = nowMs()
            let c2 = lowered.tier2C!  // emitted here: its time is part of the stage cc
            let m = try Tier2Module.load(c2, config: config)
            stages.append(("cc", nowMs() - t0))
            tier2Cache = m.fromCache ? "hit" : config.cacheDir == nil ? "off" : "miss"
            let k2 = try CompiledKernel(tier2: m, source: c2, graph: lowered.graph!, program: program, name: req.fn)
            results.append((.jit2, try timeKernel(k2)))
        case .eager:
            var times = try timeRuns(runs: min(req.runs, 5)) { _ = try evaluate(program, inputs: inputs, sizes: sizes) }
            times.peakRSSBytes = peakRSSBytes()
            results.append((.eager, times))
        case .devices:
            guard let runner else { throw Diagnostic("--modes devices needs a pmap entry; \(req.fn) is not one") }
            // Each run: the whole of `axc run`'s device run (threads, slicing, stacking); per device, its kernel and
            // the collectives inside it.
            var kernelS: [[Double]] = [], collS: [[Double]] = []
            var times = try timeRuns(runs: req.runs) {
                var k: [Int: Double] = [:], c: [Int: Double] = [:]
                let timing: (Int, Double, Double) -> Void = { d, ks, cs in k[d] = ks; c[d] = cs }
                if let mpi = req.mpi { _ = try mpi.run(runner, inputs: inputs, sizes: sizes, timing: timing) }
                else { _ = try runner.run(inputs: inputs, sizes: sizes, timing: timing) }
                kernelS.append(k.keys.sorted().map { k[$0]! }); collS.append(c.keys.sorted().map { c[$0]! })
            }
            times.peakRSSBytes = peakRSSBytes()
            results.append((.devices, times))
            let timed = Array(kernelS.dropFirst(2)), timedColl = Array(collS.dropFirst(2))  // after first call and warm-up
            let total = timed.joined().reduce(0, +)
            devices = DeviceTimes(perDeviceMs: (0..<(timed.first?.count ?? 0)).map { d in median(timed.map { $0[d] }) * 1e3 },
                                  collectivesShare: total > 0 ? timedColl.joined().reduce(0, +) / total : 0)
        case .loop:
            guard let loop else { throw Diagnostic("--modes loop needs a vmap entry; \(req.fn) is not one") }
            var times = try timeRuns(runs: min(req.runs, 5)) { try loop.run(inputs: inputs, sizes: sizes) }
            times.peakRSSBytes = peakRSSBytes()
            results.append((.loop, times))
        }
    }
    return BenchReport(fn: req.fn, sizes: sizes, compileMs: stages, tier2Cache: tier2Cache, modes: results,
                       outputElements: outputElements, bytesMoved: inBytes.reduce(0, +) + outBytes.reduce(0, +), devices: devices)
}
