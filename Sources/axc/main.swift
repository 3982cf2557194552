// The axc command line: argument parsing and printing only; the compiler lives in AxCore.
// Exit codes: 0 success, 1 bad program or input, 2 bad usage, 3 internal error.
import AxCore
import ArgumentParser
import Foundation

/// Prints to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
}

/// Runs `body`, turning errors into rendered diagnostics and exit codes.
func reporting(_ file: SourceFile?, path: String, _ body: () throws -> Void) throws {
    do { try body() }
    catch let d as Diagnostic {
        printError((file ?? SourceFile(path: path, text: "")).render(d))
        throw ExitCode(1)
    } catch let e as InternalError {
        printError("axc: \(e)\n")
        throw ExitCode(3)
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("axc: internal error: \(error)\n")
        throw ExitCode(3)
    }
}

/// Runs a write to `path`, turning file-system failures (missing directory, a file where a directory
/// should be, no permission) into a user error (exit 1) instead of an internal one.
func writing(_ path: String, _ body: () throws -> Void) throws {
    do { try body() } catch let d as Diagnostic { throw d } catch {
        let ns = error as NSError
        let posix = (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0 : nil }
        let parent = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        let reason: String
        if let posix { reason = String(cString: strerror(Int32(posix.code))) }
        else if !parent.isEmpty && !FileManager.default.fileExists(atPath: parent, isDirectory: &isDir) {
            reason = "the directory '\(parent)' does not exist"
        } else if !parent.isEmpty && !isDir.boolValue {
            reason = "'\(parent)' is not a directory"
        } else { reason = ns.localizedDescription }
        throw Diagnostic("cannot write '\(path)': \(reason)")
    }
}

/// Loads a file, reporting syntax errors.
func load(_ path: String) throws -> CompilerSession {
    var session: CompilerSession?
    try reporting(nil, path: path) {
        guard let data = FileManager.default.contents(atPath: path) else { throw Diagnostic("cannot read file '\(path)'") }
        let file = SourceFile(path: path, text: String(decoding: data, as: UTF8.self))
        do { session = try CompilerSession(file: file) }
        catch let d as Diagnostic { printError(file.render(d)); throw ExitCode(1) }
    }
    return session!
}

struct Axc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "axc",
        abstract: "An ahead-of-time compiler for small array functions with JAX-style transforms.",
        discussion: """
            Write functions for ONE example in a .ax file; vmap, grad, value_and_grad and jit turn them into \
            batched, differentiated, fused native kernels compiled in-process by libtcc.
            Tour: axc check F.ax; axc ir F.ax --fn NAME; axc run F.ax --fn NAME --size n=8
            """,
        subcommands: [Check.self, IR.self, Run.self, Compile.self, Bench.self])
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse and type-check every entry of FILE.")
    @Argument(help: "The .ax file.") var file: String

    func run() throws {
        let s = try load(file)
        try reporting(s.file, path: file) {
            let entries = try s.checkAll()
            for e in entries {
                let ins = zip(e.program.inputLeafNames, e.program.inputs).map { "\($0.0): \($0.1.type)" }.joined(separator: ", ")
                let outs = e.program.outputs.map { $0.type.description }.joined(separator: ", ")
                print("\(e.name)\(e.jit ? " [jit]" : ""): (\(ins)) -> (\(outs))")
            }
            print("\(file): \(entries.count) entr\(entries.count == 1 ? "y" : "ies") OK")
        }
    }
}

struct IR: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ir", abstract: "Print an entry's IR as jaxpr-like text.")
    @Argument(help: "The .ax file.") var file: String
    @Option(help: "The entry to print.") var fn: String
    @Option(help: "parsed | transformed | optimized | fused") var stage: String = "optimized"

    func validate() throws {
        guard Stage(rawValue: stage) != nil else { throw ValidationError("--stage must be one of parsed, transformed, optimized, fused") }
    }

    func run() throws {
        let s = try load(file)
        try reporting(s.file, path: file) {
            print(try s.irText(fn, stage: Stage(rawValue: stage)!), terminator: "")
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run an entry on .npy, number or random inputs.")
    @Argument(help: "The .ax file.") var file: String
    @Option(help: "The entry to run.") var fn: String
    @Option(name: .customLong("arg"), help: "NAME=VALUE: a .npy path, a number, or 'random' (tuple leaves: params.0).")
    var args: [String] = []
    @Option(name: .customLong("size"), help: "n=1000: a size variable not fixed by the inputs.") var sizes: [String] = []
    @Option(help: "Seed for random inputs.") var seed: UInt64 = 0
    @Option(help: "Write outputs as DIR/out0.npy, DIR/out1.npy, ...") var out: String?
    @Option(help: "jit | eager (default: jit for jit entries, eager otherwise)") var mode: String?
    @Flag(name: .customLong("strict-dtypes"), help: "Take .npy inputs only in the exact dtype of their leaf (no float64 → f32, int64 → i32 conversion).")
    var strictDTypes = false
    @Option(help: "mpi: a pmap entry's devices split between the processes of `mpirun -np P axc run ...` (rank 0 prints).")
    var distributed: String?
    @Option(name: .customLong("mpi-reduce"), help: "ordered (gather, reduce in device order: the same bits as one process) | allreduce (MPI_Allreduce)")
    var mpiReduce: String = "ordered"
    @Option(help: "jit code: 1 (libtcc), 2 (the system C compiler, cached), auto (tier 2 from the cache, else tier 1; a call of 1 ms or more caches tier 2 for later runs).")
    var tier: String = "auto"
    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the tier-2 cache ($XDG_CACHE_HOME/axc).") var noCache = false

    func validate() throws {
        if let d = distributed, d != "mpi" { throw ValidationError("--distributed must be mpi") }
        if MPIReduce(rawValue: mpiReduce) == nil { throw ValidationError("--mpi-reduce must be ordered or allreduce") }
        if let m = mode, ExecutionMode(rawValue: m) == nil { throw ValidationError("--mode must be jit or eager") }
        guard Tier(rawValue: tier) != nil else { throw ValidationError("--tier must be 1, 2 or auto") }
        try validateArgs(args)
        try validateSizes(sizes)
    }

    func run() throws {
        var mpi: MPISession? = nil
        // Under MPI an error on any process ends the whole job (MPI_Abort), so that no process waits for it.
        do { try run(&mpi) } catch { mpi?.abort((error as? ExitCode)?.rawValue ?? 1); throw error }
        mpi?.finalize()
    }

    func run(_ mpi: inout MPISession?) throws {
        if distributed != nil { try reporting(nil, path: file) { mpi = try MPISession(reduce: MPIReduce(rawValue: mpiReduce)!) } }
        let s = try load(file)
        try reporting(s.file, path: file) { [mpi] in
            let entry = try s.entry(fn)
            // A pmap entry runs its device kernel, one thread per device (in jit mode, its default).
            let devices = try s.deviceMap(fn)
            let m = mode.flatMap(ExecutionMode.init) ?? (entry.jit || devices != nil ? .jit : .eager)
            // One call gains nothing from a background compile: auto without a cache is tier 1.
            let config = Tier2Config.fromEnvironment(noCache: noCache)
            var t = Tier(rawValue: tier)!
            if t == .auto && config.cacheDir == nil { t = .one }
            let lowered = try lower(entry, to: m == .jit && devices == nil ? .kernel : .optimized, tier: t, tier2: config, background: false)
            let program = lowered.optimized
            let (inputs, bound) = try bindInputs(program, args: try parseArgs(args), sizes: try parseSizes(sizes), seed: seed,
                                                 strictDTypes: strictDTypes)
            // A device count the program cannot use is reported at the pmap entry.
            func atEntry<T>(_ body: () throws -> T) throws -> T {
                do { return try body() } catch var d as Diagnostic {
                    if d.range == nil { d.range = entry.range }
                    throw d
                }
            }
            let outputs: [Tensor]
            switch (m, devices, mpi) {
            case (.jit, let d?, let mpi?):
                try mpi.agree(on: [s.file.text, fn, args.sorted().joined(separator: " "), sizes.sorted().joined(separator: " "), "\(seed)"].joined(separator: "\u{0}"))
                outputs = try atEntry { try mpi.run(DeviceRunner(d, name: entry.name), inputs: inputs, sizes: bound) }
                if mpi.rank != 0 { return }
            case (_, _, _?): throw Diagnostic("--distributed mpi runs a pmap entry (pmap(f) or jit(pmap(f))) in jit mode; '\(fn)' is \(entry.chain)")
            case (.eager, _, nil): outputs = try evaluate(program, inputs: inputs, sizes: bound)
            case (.jit, let d?, nil): outputs = try atEntry { try DeviceRunner(d, name: entry.name).run(inputs: inputs, sizes: bound) }
            case (.jit, nil, nil):
                let kernel = lowered.kernel!
                let start = DispatchTime.now().uptimeNanoseconds
                outputs = try kernel.run(inputs: inputs, sizes: bound)
                // A call of 1 ms or more at tier 1 (a cache miss): compile tier 2 while printing, for later runs.
                if t == .auto && kernel.tier == 1 && config.compiler != nil && DispatchTime.now().uptimeNanoseconds - start >= 1_000_000 {
                    kernel.compileTier2InBackground(lowered.tier2C!, config: config)
                }
            }
            defer {
                let e = lowered.kernel?.waitForTier2 {
                    printError("axc: finishing the tier-2 compile of \(entry.name) for later runs (--tier 1 skips it)...\n")
                }
                if let e { printError("axc: warning: tier 2 was not cached: \(e)\n") }
            }
            let types = program.outputs.map(\.type)
            for (i, t) in outputs.enumerated() {
                print("out\(i): \(types[i].dtype)[\(t.shape.map(String.init).joined(separator: ","))]")
                print(formatTensor(t))
            }
            if let dir = out {
                try writing(dir) { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                for (i, t) in outputs.enumerated() {
                    try writing("\(dir)/out\(i).npy") { try writeNPY(t, path: "\(dir)/out\(i).npy") }
                }
            }
        }
    }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write C source and a header for embedding (docs/c-interface.md).")
    @Argument(help: "The .ax file.") var file: String
    @Option(name: .customLong("fn"), help: "An entry to compile (repeatable; default: every entry).") var fns: [String] = []
    @Option(name: .short, help: "Output C file; the header goes beside it as .h") var o: String = "out.c"
    @Option(help: "A prefix for every C name (e.g. mlp_ gives mlp_NAME and mlp_NAME_scratch_bytes).") var prefix: String = ""

    func validate() throws {
        let ok = prefix.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
        guard ok, !(prefix.first?.isNumber ?? false) else {
            throw ValidationError("--prefix must be letters, digits and '_', not starting with a digit; got '\(prefix)'")
        }
    }

    func run() throws {
        let s = try load(file)
        try reporting(s.file, path: file) {
            // Every entry that runs by itself (a def whose collectives need an enclosing pmap is compiled as part of it).
            let names = fns.isEmpty ? try s.checkAll().filter(\.isRunnable).map(\.name) : fns
            let base = o.hasSuffix(".c") ? String(o.dropLast(2)) : o
            let headerName = URL(fileURLWithPath: base + ".h").lastPathComponent
            let (c, h) = try s.standalone(names, sourceHash: sourceHash(s.file.text), headerName: headerName, prefix: prefix)
            try writing(base + ".c") { try c.write(toFile: base + ".c", atomically: true, encoding: .utf8) }
            try writing(base + ".h") { try h.write(toFile: base + ".h", atomically: true, encoding: .utf8) }
            print("wrote \(base).c and \(base).h (\(names.count) kernel\(names.count == 1 ? "" : "s"))")
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time compilation and execution of an entry.")
    @Argument(help: "The .ax file.") var file: String
    @Option(help: "The entry to time.") var fn: String
    @Option(name: .customLong("arg"), help: "NAME=VALUE as for run.") var args: [String] = []
    @Option(name: .customLong("size"), help: "n=100000: size variables.") var sizes: [String] = []
    @Option(help: "Seed for random inputs.") var seed: UInt64 = 0
    @Option(help: "Timed runs after one warm-up.") var runs: Int = 10
    @Option(help: "Comma-separated modes: jit,jit2,eager,loop,devices (default: all that apply; jit is tier 1, jit2 tier 2).") var modes: String?
    @Option(help: "Which jit tiers to time when --modes is not given: 1 (jit), 2 (jit2), auto (both when a C compiler is installed).")
    var tier: String = "auto"
    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the tier-2 cache: jit2's compile time is the compiler's.") var noCache = false
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Write a bar chart (SVG).") var plot: String?
    @Option(help: "mpi: time a pmap entry's devices over the processes of `mpirun -np P axc bench ...` (rank 0 prints).")
    var distributed: String?
    @Option(name: .customLong("mpi-reduce"), help: "ordered | allreduce, as for run") var mpiReduce: String = "ordered"
    @Flag(name: .customLong("strict-dtypes"), help: "Take .npy inputs only in the exact dtype of their leaf (no float64 → f32, int64 → i32 conversion).")
    var strictDTypes = false

    func validate() throws {
        try validateArgs(args)
        try validateSizes(sizes)
        guard runs >= 1 && runs <= 100_000 else { throw ValidationError("--runs must be between 1 and 100000") }
        if let d = distributed, d != "mpi" { throw ValidationError("--distributed must be mpi") }
        if MPIReduce(rawValue: mpiReduce) == nil { throw ValidationError("--mpi-reduce must be ordered or allreduce") }
        if let m = modes { _ = try parseModes(m) }
        guard Tier(rawValue: tier) != nil else { throw ValidationError("--tier must be 1, 2 or auto") }
    }

    func run() throws {
        var mpi: MPISession? = nil
        do { try run(&mpi) } catch { mpi?.abort((error as? ExitCode)?.rawValue ?? 1); throw error }
        mpi?.finalize()
    }

    func run(_ mpi: inout MPISession?) throws {
        if distributed != nil { try reporting(nil, path: file) { mpi = try MPISession(reduce: MPIReduce(rawValue: mpiReduce)!) } }
        let s = try load(file)
        try reporting(s.file, path: file) { [mpi] in
            var req = BenchRequest(fn: fn)
            req.mpi = mpi
            try mpi?.agree(on: [s.file.text, fn, args.sorted().joined(separator: " "), sizes.sorted().joined(separator: " "), "\(seed)",
                                "\(runs)", modes ?? ""].joined(separator: "\u{0}"))
            req.args = try parseArgs(args)
            var sz = try parseSizes(sizes)
            let usesFiles = req.args.values.contains { if case .npy = $0 { return true }; return false }
            if !usesFiles {
                for v in try s.entry(fn).program.sizeVars where sz[v] == nil { sz[v] = 100_000 }  // bench's default size
            }
            req.sizes = sz
            req.seed = seed
            req.strictDTypes = strictDTypes
            req.runs = runs
            req.modes = try modes.map(parseModes)
            req.tier = Tier(rawValue: tier)!
            req.tier2 = Tier2Config.fromEnvironment(noCache: noCache)
            let report = try benchmark(s.file, req)
            if let mpi, mpi.rank != 0 { return }
            if json { print(report.json) } else { printReport(report) }
            if let path = plot {
                try writing(path) { try report.svg.write(toFile: path, atomically: true, encoding: .utf8) }
                if !json { print("wrote \(path)") }
            }
        }
    }

    func printReport(_ r: BenchReport) {
        let sizeText = r.sizes.keys.sorted().map { "\($0)=\(r.sizes[$0]!)" }.joined(separator: " ")
        print("\(r.fn)  \(sizeText)")
        let tier1 = r.compileMs.filter { $0.0 != "cc" }, cc = r.compileMs.first { $0.0 == "cc" }
        print("compile: " + tier1.map { "\($0.0) \(String(format: "%.3f", $0.1)) ms" }.joined(separator: ", "))
        if let cc, let cache = r.tier2Cache {
            let what = ["hit": "loaded from the cache", "miss": "compiled and cached", "off": "compiled, no cache"][cache] ?? cache
            print(String(format: "tier 2 (jit2): %.3f ms, %@", cc.1, what as NSString))
        }
        print("mode      first ms    median ms    min ms    elements/s    GB/s   peak RSS MB")
        for (m, t) in r.modes {
            let eps = Double(r.outputElements) / (t.medianMs / 1e3), gbs = Double(r.bytesMoved) / (t.medianMs / 1e3) / 1e9
            print(String(format: "%-6@ %11.3f %12.3f %9.3f %13.3g %7.2f %12.1f", m.rawValue as NSString, t.firstMs, t.medianMs, t.minMs,
                         eps, gbs, Double(t.peakRSSBytes ?? 0) / 1e6))
        }
        if let d = r.devices {
            print("devices: \(d.perDeviceMs.count); kernel median ms per device: " + d.perDeviceMs.map { String(format: "%.3f", $0) }.joined(separator: " ")
                  + String(format: "; collectives %.1f%% of device time", 100 * d.collectivesShare))
        }
        if let jit = r.modes.first(where: { $0.0 == .jit })?.1 {
            for (m, t) in r.modes where m != .jit {
                let ratio = t.medianMs / jit.medianMs
                if ratio > 1 / 1.05 && ratio < 1.05 {
                    print(String(format: "jit and %@ take the same time within 5%% (medians %.3f and %.3f ms)",
                                 m.rawValue as NSString, jit.medianMs, t.medianMs))
                    continue
                }
                print(String(format: ratio >= 1 ? "jit is %.1f× faster than %@ (medians)" : "jit is %.1f× slower than %@ (medians)",
                             ratio >= 1 ? ratio : 1 / ratio, m.rawValue as NSString))
            }
        }
    }
}

/// Parses `jit,eager,loop`.
func parseModes(_ text: String) throws -> [BenchMode] {
    try text.split(separator: ",").map {
        guard let m = BenchMode(rawValue: String($0)) else { throw ValidationError("unknown mode '\($0)'; modes are jit, jit2, eager, loop, devices") }
        return m
    }
}

/// Parses `NAME=VALUE` arguments. Text that is not `NAME=VALUE` is bad usage (exit 2); a name given twice is
/// bad input (a `Diagnostic`, exit 1) naming both values, never the last one silently.
func parseArgs(_ args: [String]) throws -> [String: ArgValue] {
    var out: [String: ArgValue] = [:]
    var text: [String: String] = [:]
    for a in args {
        guard let eq = a.firstIndex(of: "="), eq != a.startIndex else { throw ValidationError("--arg expects NAME=VALUE, got '\(a)'") }
        let name = String(a[..<eq])
        if let prev = text[name] { throw Diagnostic("--arg \(name) is given twice (--arg \(prev) and --arg \(a))") }
        text[name] = a
        out[name] = ArgValue(parsing: String(a[a.index(after: eq)...]))
    }
    return out
}

/// Checks the syntax of `--arg` bindings only (a repeated name is reported when running, exit 1).
func validateArgs(_ args: [String]) throws {
    do { _ = try parseArgs(args) } catch is Diagnostic {}
}

/// Parses `n=1000` size bindings. Text that is not `NAME=INTEGER` is bad usage (exit 2); an integer that does
/// not fit in 64 bits is bad input (a `Diagnostic`, exit 1), and so is a negative one (bindInputs rejects it).
func parseSizes(_ sizes: [String]) throws -> [String: Int] {
    var out: [String: Int] = [:]
    var text: [String: String] = [:]
    for s in sizes {
        let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = parts.count == 2 ? (parts[1].first == "-" ? parts[1].dropFirst() : parts[1][...]) : ""
        guard parts.count == 2, !parts[0].isEmpty, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValidationError("--size expects NAME=N with an integer N, got '\(s)'")
        }
        let name = String(parts[0])
        if let prev = text[name] { throw Diagnostic("--size \(name) is given twice (--size \(prev) and --size \(s))") }
        text[name] = s
        guard let k = Int(parts[1]) else { throw Diagnostic("--size \(s) is out of range (0 to \(maxSizeValue))") }
        out[name] = k
    }
    return out
}

/// Checks the syntax of `--size` bindings only (values out of range are reported when running, exit 1).
func validateSizes(_ sizes: [String]) throws {
    do { _ = try parseSizes(sizes) } catch is Diagnostic {}
}

/// A short stable hash (FNV-1a, 64 bit) of the source text, for the emitted header.
func sourceHash(_ text: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", h)
}

// Exit code 2 for usage errors (ArgumentParser would use 64).
do {
    var command = try Axc.parseAsRoot()
    try command.run()
} catch let e as ExitCode {
    exit(e.rawValue)
} catch {
    let code = Axc.exitCode(for: error)
    if code == .success {
        print(Axc.fullMessage(for: error))
        exit(0)
    }
    printError(Axc.fullMessage(for: error) + "\n")
    exit(2)
}
