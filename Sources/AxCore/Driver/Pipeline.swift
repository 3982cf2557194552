// The pipeline: the one list of passes from a `.ax` entry to a kernel, in order, with the reason for each
// position (in the manner of Halide's Lower.cpp). `axc run`, `ir`, `compile`, `bench` and the tests all come
// through here; no other code calls simplify or fuse on an entry. docs/pipeline.md describes each pass.

/// How far `lower` goes.
public enum LowerTarget: Int, Comparable, Sendable {
    /// Stop after simplification: the program eager execution evaluates and `axc ir --stage optimized` prints.
    case optimized
    /// Stop after fusion: the kernel graph `axc compile` emits and `axc ir --stage fused` prints.
    case fused
    /// Emit C and compile it with libtcc: a kernel ready to call (`axc run`, `axc bench`).
    case kernel

    public static func < (a: LowerTarget, b: LowerTarget) -> Bool { a.rawValue < b.rawValue }
}

/// The passes `lower` runs, as reported to its `after` observer (`axc bench` times them).
public enum Pass: String, Sendable {
    case simplify, fuse, emit, tcc
    /// Tier 2's object loaded from the cache or compiled by the system C compiler, before the first call.
    case cc
}

/// What `lower` produced: every intermediate up to its target (later ones nil).
public struct Lowered: @unchecked Sendable {
    /// The kernel's name (the entry's name).
    public var name: String
    /// The program the passes started from: for an entry, its elaborated and transformed program.
    public var transformed: Program
    /// After `simplify` (the same as `transformed` when lowering with `optimize: false`).
    public var optimized: Program
    /// The loop nests over buffers (`.fused` and `.kernel`).
    public var graph: KernelGraph?
    /// The kernel's C source for libtcc (`.kernel`).
    public var c: String?
    /// The same kernel per element for the system C compiler (`.kernel`): tier 2 (Runtime/Tier2.swift). Emitted when
    /// first needed (by `lower` for tier `.auto` and `.two`, else when read): a kernel kept at tier 1 never pays for it.
    public var tier2C: String? {
        if let t = tier2Text { return t }
        guard c != nil, let g = graph else { return nil }
        let name = cEntryName(self.name)
        return tier2Source([(emitKernel(g, name: name, perElement: true), packedWrappers(g, name: name))])
    }
    /// The compiled kernel (`.kernel`).
    public var kernel: CompiledKernel?
    /// `tier2C` once `lower` has emitted it.
    var tier2Text: String?
}

/// Lowers `program` to `target`. The passes, in order:
///
/// 1. Parse (`CompilerSession.init`) and 2. elaborate with the transforms (`CompilerSession.entry`) come first,
///    because every later pass needs a closed, typed program and every error a source range. Each transform's
///    output is simplified before the next transform reads it; the outermost's is left to pass 3, so that
///    `axc ir --stage transformed` shows it as the transform produced it.
/// 3. `simplify` (DCE, CSE, algebraic folds, then contractions and scan accumulators): after the transforms, whose
///    outputs are full of trivial equations (`x * 1`, duplicated forward values, reshapes of reshapes); before
///    fusion, so that fusion decides on the smallest program (a duplicate left for fusion would be computed twice
///    or stored). Eager
///    execution evaluates this program too, so eager and jit compute the same equations.
/// 4. `fuse`: needs the final program (it decides which values are buffers from how many times each is read);
///    it is the last pass on IR. `axc compile` stops here and emits standalone C (`emitStandalone`).
/// 5. `emitC`: follows fusion's decisions nest by nest; it makes no decision of its own about buffers.
/// 6. libtcc (`CompiledKernel`): compiles the C in memory and links the runtime. With `tier: .two`, the system C
///    compiler instead (or the cache), before the first call; with `.auto`, tier 2 from the cache when it is there,
///    else libtcc now and (unless `background` is false) tier 2 compiled on a background thread and swapped in
///    (Runtime/Tier2.swift). `tier2` defaults to `Tier2Config.fromEnvironment()`.
///
/// `optimize: false` skips pass 3, for tests of fusion and emission on hand-written programs.
/// `device`: `program` is a pmap's device program (Transforms/Devices.swift), lowered to a device kernel whose
/// collectives over that axis call the collectives table.
/// `after` is called after each pass that ran.
public func lower(_ program: Program, name: String, to target: LowerTarget = .kernel, optimize: Bool = true,
                  device: DeviceAxis? = nil, tier: Tier = .one, tier2: Tier2Config? = nil, background: Bool = true,
                  after: (Pass) -> Void = { _ in }) throws -> Lowered {
    // A collective no vmap/pmap bound (its name is not an enclosing map's): JAX's "unbound axis name" error.
    if let e = program.eqns.first(where: { $0.prim.rules.axisName != nil && $0.prim.rules.axisName != device?.name }) {
        var d = unboundAxis(e.prim.name, e.prim.rules.axisName!)
        d.range = e.loc.start.line > 0 ? e.loc : nil
        throw d
    }
    var out = Lowered(name: name, transformed: program, optimized: strippingStopGradient(program))
    if optimize {
        out.optimized = simplify(out.optimized)
        after(.simplify)
        // Eager execution reads this program without fusion (whose first step verifies): a rewrite that left a
        // dangling variable is an internal error here, not a wrong number.
        if target == .optimized { try out.optimized.verify() }
    }
    guard target >= .fused else { return out }
    var graph = try fuse(out.optimized)
    graph.device = device
    out.graph = graph
    after(.fuse)
    guard target >= .kernel else { return out }
    let k = emitKernel(graph, name: cEntryName(name))
    let c = tccSource(k, device: device != nil)
    out.c = c
    // Device kernels (pmap) stay at tier 1: their C needs the collectives table's declarations (docs/deviations.md).
    let config = tier == .one || device != nil ? nil : tier2 ?? Tier2Config.fromEnvironment()
    if config != nil { out.tier2Text = out.tier2C }
    let c2 = out.tier2Text ?? ""
    after(.emit)
    if let config, let m = try (tier == .two ? Tier2Module.load(c2, config: config) : Tier2Module.cached(c2, config: config)) {
        out.kernel = try CompiledKernel(tier2: m, source: c2, graph: graph, program: out.optimized, name: name)
        after(.cc)
        return out
    }
    out.kernel = try CompiledKernel(c: c, graph: graph, program: out.optimized, name: name)
    after(.tcc)
    if let config, config.compiler != nil, background { out.kernel!.compileTier2InBackground(c2, config: config) }
    return out
}

/// Lowers an elaborated entry (passes 3 onwards of `lower`), under the entry's name.
public func lower(_ entry: Entry, to target: LowerTarget = .kernel, tier: Tier = .one, tier2: Tier2Config? = nil,
                  background: Bool = true, after: (Pass) -> Void = { _ in }) throws -> Lowered {
    try lower(entry.program, name: entry.name, to: target, tier: tier, tier2: tier2, background: background, after: after)
}

/// The whole pipeline for `program` under `name`: a kernel ready to call.
public func compileKernel(_ program: Program, name: String, optimize: Bool = true) throws -> CompiledKernel {
    try lower(program, name: name, to: .kernel, optimize: optimize).kernel!
}

extension CompilerSession {
    /// Elaborates the entry `name` and lowers it to `target`: passes 2 onwards of `lower`.
    public func lower(_ name: String, to target: LowerTarget = .kernel, after: (Pass) -> Void = { _ in }) throws -> Lowered {
        try AxCore.lower(try entry(name), to: target, after: after)
    }

    /// Standalone C and its header for the entries `names` (`axc compile`): each lowered to its kernel graph,
    /// then emitted together by `emitStandalone` (instead of passes 5 and 6, which are for libtcc).
    public func standalone(_ names: [String], sourceHash: String, headerName: String,
                           prefix: String = "") throws -> (c: String, h: String) {
        var entries: [(name: String, graph: KernelGraph, chain: String)] = []
        for n in names {
            let e = try entry(n)
            // A pmap entry compiles to its device kernel (docs/c-interface.md).
            let graph = try deviceMap(n).map { try AxCore.lower($0.program, name: n, to: .fused, device: $0.axis).graph! }
            entries.append((n, try graph ?? AxCore.lower(e, to: .fused).graph!, e.chain))
        }
        return try emitStandalone(entries: entries, sourceHash: sourceHash, headerName: headerName, prefix: prefix)
    }
}
