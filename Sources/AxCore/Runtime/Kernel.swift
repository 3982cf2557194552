// A compiled kernel: fused C compiled in-process by libtcc with libm and the -O3 runtime registered, or by the system
// C compiler (tier 2, Tier2.swift, swapped in between calls); binds sizes, validates inputs, allocates outputs and
// scratch, and calls the native code.
import AxRuntime
import Foundation

/// The host symbols kernels may reference: libm (looked up in the process) and the AxRuntime functions.
private let kernelSymbols: [(String, UnsafeRawPointer)] = {
    var out: [(String, UnsafeRawPointer)] = []
    let handle = dlopen(nil, RTLD_NOW)
    for (name, _) in libmPrototypes {
        if let p = dlsym(handle, name) { out.append((name, UnsafeRawPointer(p))) }
    }
    var entry = ax_rt_symbols()!
    while let name = entry.pointee.name {
        if let fn = entry.pointee.fn { out.append((String(cString: name), UnsafeRawPointer(fn))) }
        entry += 1
    }
    return out
}()

/// The address of the host symbol `name` (a runtime or libm function), for the interpreter's calls into the runtime.
func runtimeSymbol(_ name: String) throws -> UnsafeRawPointer {
    guard let p = kernelSymbolTable[name] else { throw InternalError("the runtime has no function \(name)") }
    return p
}
private let kernelSymbolTable: [String: UnsafeRawPointer] = Dictionary(kernelSymbols, uniquingKeysWith: { a, _ in a })

private typealias PackedFn = @convention(c) (UnsafePointer<Int64>?, UnsafePointer<UnsafeRawPointer?>?,
                                             UnsafePointer<UnsafeMutableRawPointer?>?, UnsafeMutableRawPointer?,
                                             UnsafeRawPointer?) -> Int32
private typealias ScratchFn = @convention(c) (UnsafePointer<Int64>?) -> Int

/// Wrappers with a fixed signature (sizes, inputs and outputs as arrays, and a device kernel's collectives table), so
/// Swift can call any kernel.
func packedWrappers(_ g: KernelGraph, name: String) -> String {
    let p = g.program
    let sizes = p.sizeVars.indices.map { "ax_sz[\($0)]" }
    let table = g.device == nil ? [] : ["(const ax_collectives *)ax_table"]
    let kernelSizes = p.sizeVars.indices.filter { p.sizeVars[$0] != g.device?.countVar }.map { "ax_sz[\($0)]" }
    let ins = p.inputs.enumerated().map { "(const \($0.element.type.dtype.cType) *)ax_in[\($0.offset)]" }
    let outs = p.outputs.enumerated().map { "(\($0.element.type.dtype.cType) *)ax_out[\($0.offset)]" }
    return """

    int \(name)_packed(const int64_t *ax_sz, void *const *ax_in, void *const *ax_out, void *scratch, const void *ax_table) {
        (void)ax_sz; (void)ax_in; (void)ax_out; (void)ax_table;
        return \(name)(\((table + kernelSizes + ins + outs + ["scratch"]).joined(separator: ", ")));
    }
    size_t \(name)_scratch_packed(const int64_t *ax_sz) {
        (void)ax_sz;
        return \(name)_scratch_bytes(\(sizes.joined(separator: ", ")));
    }

    """
}

/// Calls `body` with a pointer to each input's elements as the kernel reads them: the tensor's own
/// storage (no copy; valid only inside `body`), or for bool tensors a copy as one 0/1 byte per element.
func withKernelInputs<R>(_ inputs: [Tensor], _ body: ([UnsafeRawPointer]) -> R) -> R {
    var ptrs: [UnsafeRawPointer] = []
    func next(_ i: Int) -> R {
        guard i < inputs.count else { return body(ptrs) }
        func push(_ b: UnsafeRawBufferPointer) -> R {
            // An empty array may have no address; the kernel reads no element, any valid one will do.
            guard let base = b.baseAddress else { return [UInt64(0)].withUnsafeBytes(push) }
            ptrs.append(base)
            return next(i + 1)
        }
        switch inputs[i].storage {
        case .f32(let a): return a.withUnsafeBytes(push)
        case .f64(let a): return a.withUnsafeBytes(push)
        case .i32(let a): return a.withUnsafeBytes(push)
        case .bool(let a): return a.map { $0 ? 1 : 0 as UInt8 }.withUnsafeBytes(push)
        }
    }
    return next(0)
}

/// Size bindings as `m=3, n=5`, sorted by name (for messages).
func sizesDescription(_ sizes: [String: Int]) -> String {
    sizes.keys.sorted().map { "\($0)=\(sizes[$0]!)" }.joined(separator: ", ")
}

/// A program compiled to native code: by libtcc (tier 1), or by the system C compiler (tier 2, Runtime/Tier2.swift),
/// which may replace tier 1 between two calls.
public final class CompiledKernel: @unchecked Sendable {
    /// The source program, its fused graph and the kernel C.
    public let program: Program
    public let graph: KernelGraph
    public let name: String
    public let source: String
    private let module: TccModule?
    /// The entry points in use, and the tier-2 object they come from (nil at tier 1); read and swapped under `lock`.
    private var packed: PackedFn
    private var scratchFn: ScratchFn
    private var tier2Module: Tier2Module?
    private let lock = NSLock()
    private let background = DispatchGroup()
    private var backgroundError: Error?

    /// Compiles C produced by `emitC(graph, name: cEntryName(name))`: the last pass of `lower`
    /// (Driver/Pipeline.swift). A libtcc failure is an `InternalError` carrying tcc's messages and the path where
    /// the C was saved.
    public init(c: String, graph: KernelGraph, program: Program, name: String) throws {
        let cname = cEntryName(name)
        self.program = program; self.graph = graph; self.name = name
        self.source = c + packedWrappers(graph, name: cname)
        let module: TccModule
        do {
            module = try TccModule(source: source, symbols: kernelSymbols)
        } catch let e as TccError {
            let path = NSTemporaryDirectory() + "axc-\(cname)-\(ProcessInfo.processInfo.processIdentifier).c"
            try? source.write(toFile: path, atomically: true, encoding: .utf8)
            throw InternalError("libtcc failed to compile kernel '\(name)' (C saved to \(path)):\n\(e.description)")
        }
        self.module = module
        (packed, scratchFn) = try CompiledKernel.entryPoints(name, module.symbol)
    }

    /// A kernel running tier-2 code from the start (`tier2C(...)`'s object, loaded from the cache or compiled), with no libtcc module.
    public init(tier2 m: Tier2Module, source: String, graph: KernelGraph, program: Program, name: String) throws {
        self.program = program; self.graph = graph; self.name = name; self.source = source
        module = nil
        tier2Module = m
        (packed, scratchFn) = try CompiledKernel.entryPoints(name, m.symbol)
    }

    private static func entryPoints(_ name: String, _ lookup: (String) -> UnsafeMutableRawPointer?) throws -> (PackedFn, ScratchFn) {
        let cname = cEntryName(name)
        guard let f = lookup("\(cname)_packed"), let s = lookup("\(cname)_scratch_packed") else {
            throw InternalError("kernel '\(name)': compiled code lacks its entry points")
        }
        return (unsafeBitCast(f, to: PackedFn.self), unsafeBitCast(s, to: ScratchFn.self))
    }

    /// The tier whose code the next call runs: 1 (libtcc) or 2 (the system C compiler).
    public var tier: Int { lock.withLock { tier2Module == nil ? 1 : 2 } }

    /// Switches to `m`'s code for this kernel: calls that start afterwards run it, a call in progress finishes with
    /// the code it started with (the old code is never unloaded).
    public func adopt(_ m: Tier2Module) throws {
        let fns = try CompiledKernel.entryPoints(name, m.symbol)
        lock.withLock { (packed, scratchFn) = fns; tier2Module = m }
    }

    /// Builds `tier2Source` (cache or compiler) on a background thread and adopts it when ready.
    public func compileTier2InBackground(_ tier2Source: String, config: Tier2Config) {
        DispatchQueue.global().async(group: background) {
            do { try self.adopt(try Tier2Module.load(tier2Source, config: config)) }
            catch { self.lock.withLock { self.backgroundError = error } }
        }
    }

    /// Waits for a background tier-2 build to end; returns its error, if it failed (the kernel then stays at tier 1).
    /// `notice` is called once if the build is still running after a second (a progress line for the user).
    @discardableResult
    public func waitForTier2(notice: () -> Void = {}) -> Error? {
        if background.wait(timeout: .now() + 1) == .timedOut {
            notice()
            background.wait()
        }
        return lock.withLock { backgroundError }
    }

    /// Scratch bytes the kernel needs for `sizes` (in the order of `program.sizeVars`); 0 for invalid sizes.
    public func scratchBytes(sizes: [Int64]) -> Int {
        let f = lock.withLock { scratchFn }
        return sizes.withUnsafeBufferPointer { f($0.baseAddress) }
    }

    /// Calls the kernel on caller-owned memory (no allocation); returns its code (0, or nonzero for invalid sizes).
    /// `table` is a device kernel's collectives table (`ax_collectives *`), unused by other kernels.
    public func callRaw(sizes: [Int64], inputs: [UnsafeRawPointer], outputs: [UnsafeMutableRawPointer], scratch: UnsafeMutableRawPointer?,
                        table: UnsafeRawPointer? = nil) -> Int32 {
        let ins: [UnsafeRawPointer?] = inputs, outs: [UnsafeMutableRawPointer?] = outputs
        let f = lock.withLock { packed }
        return sizes.withUnsafeBufferPointer { s in
            ins.withUnsafeBufferPointer { i in
                outs.withUnsafeBufferPointer { o in f(s.baseAddress, i.baseAddress, o.baseAddress, scratch, table) }
            }
        }
    }

    /// Runs the kernel: checks each input leaf's dtype and shape (binding size variables), allocates
    /// outputs and scratch, and returns the outputs. Bad inputs throw a `Diagnostic` naming the leaf.
    public func run(inputs: [Tensor], sizes: [String: Int]) throws -> [Tensor] {
        let bound = try bindArguments(program, inputs, sizes: sizes)
        var sizeArgs: [Int64] = []
        for s in program.sizeVars {
            guard let k = bound[s] else { throw Diagnostic("size variable '\(s)' is not bound (give --size \(s)=...)") }
            guard k >= 0 else { throw Diagnostic("size variable '\(s)' is negative (\(k))") }
            sizeArgs.append(Int64(k))
        }
        try checkArrayLimits(program, sizes: bound)
        var owned: [AlignedBuffer] = []
        defer { BufferPool.shared.give(owned) }  // after the outputs are copied into the returned tensors
        func alloc(_ bytes: Int, _ what: String) throws -> UnsafeMutableRawPointer {
            owned.append(try BufferPool.shared.take(bytes, for: "\(what) of kernel '\(name)'")); return owned.last!.pointer
        }
        var outShapes: [[Int]] = []
        var outPtrs: [UnsafeMutableRawPointer] = []
        for (k, a) in program.outputs.enumerated() {
            guard let shape = a.type.concreteShape(bound) else { throw Diagnostic("output shape \(a.type) has unbound sizes") }
            outShapes.append(shape)
            outPtrs.append(try alloc(try checkedElementCount(shape, a.type.dtype) * a.type.dtype.byteSize, "output \(k)"))
        }
        let scratchSize = scratchBytes(sizes: sizeArgs)
        let scratch = scratchSize > 0 ? try alloc(scratchSize, "the scratch") : nil
        let code = withExtendedLifetime(owned) {
            withKernelInputs(inputs) { callRaw(sizes: sizeArgs, inputs: $0, outputs: outPtrs, scratch: scratch) }
        }
        if code != 0 { throw Diagnostic("kernel '\(name)' rejected the sizes \(sizesDescription(bound)) (code \(code))") }
        return zip(program.outputs, zip(outShapes, outPtrs)).map { a, sp in tensor(from: UnsafeRawPointer(sp.1), shape: sp.0, dtype: a.type.dtype) }
    }
}


/// Checks every array `p` computes (intermediates and outputs) under `sizes` against the limits eager
/// evaluation enforces on each array it makes (2^31 elements and 16 GiB), in program order, so that a
/// kernel refuses exactly what eager refuses, with the same located message, before anything is allocated.
/// (The kernel's own check allows up to 2^48 elements: it only guards its index arithmetic.)
public func checkArrayLimits(_ p: Program, sizes: [String: Int]) throws {
    for e in p.eqns {
        guard let shape = e.out.type.concreteShape(sizes) else { continue }
        do { _ = try checkedElementCount(shape, e.out.type.dtype) } catch var d as Diagnostic {
            if d.range == nil { d.range = e.loc }
            throw d
        }
    }
}

/// Memory for one kernel argument: 64-byte aligned, owned, freed on deinit. (Transparent huge pages were
/// measured here: first touch of 40 MB fell from 17 ms to 4.5 ms typically, but stalled up to 95 ms, and 411 MB
/// up to 980 ms, while the host found huge pages; plain pages cost the same every time. `MAP_POPULATE`, which takes
/// the page faults in the allocation, on one core, made first calls slower, since loops split between cores fault
/// their pages in parallel: docs/performance.md, "First call".)
final class AlignedBuffer {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    /// Allocates `bytes`; a failure (the system refuses the memory) is a `Diagnostic` naming `what`, not a crash.
    init(bytes: Int, for what: String) throws {
        self.bytes = bytes
        var p: UnsafeMutableRawPointer? = nil
        guard bytes >= 0, posix_memalign(&p, 64, max(bytes, 64)) == 0, let p else {
            throw Diagnostic("cannot allocate \(bytes) bytes (\(String(format: "%.1f", Double(bytes) / 1073741824)) GiB) for \(what): out of memory")
        }
        pointer = p
    }
    deinit { free(pointer) }
}

/// Output and scratch buffers of finished `CompiledKernel.run` calls, kept for a later call that needs the same
/// number of bytes, so that repeated calls write memory already mapped instead of faulting fresh pages in (the
/// kernel zeroes each new page; glibc keeps freed blocks up to 32 MB itself, larger ones it unmaps). At most `limit`
/// bytes are kept; buffers beyond it are freed as before.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    let limit = 256 << 20
    private var free: [Int: [AlignedBuffer]] = [:]
    private var kept = 0
    private let lock = NSLock()

    /// A kept buffer of exactly `bytes`, else a new one.
    func take(_ bytes: Int, for what: String) throws -> AlignedBuffer {
        let b: AlignedBuffer? = lock.withLock {
            guard let b = free[bytes]?.popLast() else { return nil }
            kept -= bytes
            return b
        }
        return try b ?? AlignedBuffer(bytes: bytes, for: what)
    }

    /// Keeps `buffers` for later calls while the pool has room. Debug builds (the tests) fill them with 0xff bytes
    /// (NaN as floats) first, so a kernel that read an output or scratch element before writing it would show it.
    func give(_ buffers: [AlignedBuffer]) {
        #if DEBUG
        for b in buffers { memset(b.pointer, 0xff, b.bytes) }
        #endif
        lock.withLock {
            for b in buffers where kept + b.bytes <= limit {
                free[b.bytes, default: []].append(b)
                kept += b.bytes
            }
        }
    }
}
