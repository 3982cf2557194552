// The one wrapper around libtcc: compile C source in memory, register host symbols, look up functions.
// Nothing else in axc imports CTcc.
import CTcc
import Foundation

/// C source compiled in-process by libtcc; owns the relocated code for its lifetime.
public final class TccModule: @unchecked Sendable {
    private let state: OpaquePointer

    /// Where Debian's `tcc` package keeps libtcc1.a and tcc's own headers.
    static let libPath = "/usr/lib/x86_64-linux-gnu/tcc"

    /// Compiles `source`, registering `symbols` (name → address) first; `includePaths` are searched for `#include`s.
    /// Other undefined symbols resolve to the process's (libc, and libraries loaded with RTLD_GLOBAL). Throws the
    /// compiler's messages.
    public init(source: String, symbols: [(String, UnsafeRawPointer)] = [], includePaths: [String] = []) throws {
        TccModule.lock.lock()
        defer { TccModule.lock.unlock() }
        guard let s = tcc_new() else { throw InternalError("tcc_new failed") }
        let box = ErrorBox()
        let opaque = Unmanaged.passRetained(box)
        defer { opaque.release() }
        tcc_set_error_func(s, opaque.toOpaque()) { ctx, msg in
            guard let ctx, let msg else { return }
            Unmanaged<ErrorBox>.fromOpaque(ctx).takeUnretainedValue().messages.append(String(cString: msg))
        }
        tcc_set_lib_path(s, TccModule.libPath)
        tcc_set_options(s, "-nostdlib")
        tcc_set_output_type(s, TCC_OUTPUT_MEMORY)
        for path in includePaths { tcc_add_include_path(s, path) }
        for (name, ptr) in symbols { tcc_add_symbol(s, name, ptr) }
        if tcc_compile_string(s, source) != 0 {
            tcc_delete(s)
            throw TccError(messages: box.messages)
        }
        if tcc_relocate(s, UnsafeMutableRawPointer(bitPattern: 1)) < 0 {
            tcc_delete(s)
            throw TccError(messages: box.messages + ["tcc_relocate failed"])
        }
        state = s  // only now owned: deinit runs only for a fully built module
    }

    deinit {
        TccModule.lock.lock()
        tcc_delete(state)
        TccModule.lock.unlock()
    }

    /// libtcc keeps global state: one compile (or delete) at a time in this process.
    private static let lock = NSLock()

    /// The address of the compiled function `name`, or nil.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { tcc_get_symbol(state, name) }
}

private final class ErrorBox { var messages: [String] = [] }

/// A libtcc compile failure (a compiler bug when the C came from axc).
public struct TccError: Error, CustomStringConvertible {
    public var messages: [String]
    public var description: String { messages.joined(separator: "\n") }
}
