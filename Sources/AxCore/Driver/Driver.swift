// The session the CLI and the tests start from: load and parse a `.ax` file, elaborate its entries, and print
// an entry's IR at a stage. Lowering to kernels is `lower` (Pipeline.swift).
import Foundation

/// Which IR `axc ir` prints.
public enum Stage: String, CaseIterable, Sendable {
    /// The elaborated program of the entry's underlying `def`, before any transform.
    case parsed
    /// After vmap/grad/value_and_grad: the outermost transform's output as it produced it (each inner
    /// transform's output was simplified before the next transform read it). A def entry's program.
    case transformed
    /// After simplification (DCE, CSE, algebraic folding, contractions): what eager evaluates and jit fuses.
    case optimized
    /// After fusion: the kernel graph (loop nests, buffers, the values inlined into each nest).
    case fused
}

/// How `axc run` executes an entry.
public enum ExecutionMode: String, CaseIterable, Sendable {
    /// One fused native kernel compiled by libtcc.
    case jit
    /// Op by op through the reference interpreter (like JAX without jit).
    case eager
}

/// A loaded `.ax` file: its source and parsed module.
public struct CompilerSession {
    public let file: SourceFile
    public let module: Module

    /// Reads and parses `path`; unreadable files and syntax errors throw `Diagnostic`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostic("cannot read file '\(path)'")
        }
        try self.init(file: SourceFile(path: path, text: String(decoding: data, as: UTF8.self)))
    }

    /// Parses already-loaded source text.
    public init(file: SourceFile) throws {
        self.file = file
        self.module = try parseModule(file)
    }

    /// Names of all entries (top-level defs and transform bindings), in file order.
    public var entryNames: [String] { AxCore.entryNames(module) }

    /// Elaborates and transforms every entry (what `axc check` does); throws the first error.
    public func checkAll() throws -> [Entry] { try elaborateAll(module) }

    /// The entry `name`, elaborated and transformed (not yet simplified: see `lower`).
    public func entry(_ name: String) throws -> Entry { try elaborateEntry(module, name: name) }

    /// The device view of the entry `name` when it is `pmap(f)` or `jit(pmap(f))` (run one thread per device), else nil.
    public func deviceMap(_ name: String) throws -> DeviceMap? { try AxCore.deviceMap(module, name) }

    /// The entry's program at `stage` (for `.fused`, the program the kernel graph computes: the optimized one).
    public func program(_ name: String, stage: Stage) throws -> Program {
        switch stage {
        case .parsed: return try elaborateEntry(module, name: name, applyTransforms: false).program
        case .transformed: return try entry(name).program
        case .optimized, .fused: return try lower(name, to: .optimized).optimized
        }
    }

    /// What `axc ir` prints for the entry at `stage`: the program's jaxpr-like text, or the kernel graph's text.
    public func irText(_ name: String, stage: Stage) throws -> String {
        guard stage == .fused else { return try program(name, stage: stage).text }
        return try lower(name, to: .fused).graph!.text
    }
}
