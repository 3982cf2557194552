// Tier 2: the kernel C compiled by the system C compiler (cc -O3 -march=native) into a shared object, loaded
// with dlopen, and kept in a private persistent cache keyed by the C text, compiler, flags and CPU.
// docs/performance.md ("Tier 2") describes it, docs/cli.md the --tier and --no-cache options.
import Foundation

/// Which compiled code runs a kernel (`--tier`).
public enum Tier: String, Sendable, CaseIterable {
    /// libtcc only.
    case one = "1"
    /// The system C compiler only (compiled, or loaded from the cache, before the first call).
    case two = "2"
    /// libtcc first; tier 2 from the cache when it is there, else compiled in the background and swapped in.
    case auto
}

/// The system C compiler and the cache directory tier 2 uses.
public struct Tier2Config: Sendable {
    /// The compiler's resolved path, or nil when none is installed.
    public var compiler: String?
    /// The compiler for more than 48 KB of C, when it is not `compiler`: `cc` when `compiler` is the default `clang`.
    /// clang's loop strength reduction can take far longer than the C is big (32 s for a 108 KB Hessian kernel that
    /// gcc compiles in 1.4 s; difffuzz timeout); the bench workloads' kernels are 3–25 KB.
    public var largeCompiler: String?
    /// The cache directory, or nil (`--no-cache`, or a directory that is not private to the user).
    public var cacheDir: String?
    /// Why the cache is off, when it is off for a reason other than `--no-cache`.
    public var cacheNote: String?

    /// The flags: full optimization for this CPU, never reassociation or contraction (`-ffp-contract=off` keeps
    /// every result bit-identical to tier 1's; `-fno-math-errno` is what the runtime is compiled with and changes no value).
    public static let flags = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared",
                               "-fvisibility=hidden", "-w"]
    /// The flags for `source`: `flags`, with `-O2` instead of `-O3` for more than 128 KB of C. gcc's time at -O3
    /// grows faster than the C (280 KB of a Hessian's kernels: 31 s and 540 MB at -O3, 5.4 s at -O2); the bench
    /// workloads' files are 3–35 KB. The optimization level changes the speed, never the bits.
    public static func flags(for source: String) -> [String] {
        source.utf8.count > 128 << 10 ? flags.map { $0 == "-O3" ? "-O2" : $0 } : flags
    }

    /// The compiler named by `AXC_CC` (a path or a name on PATH; when set and not found there is no compiler, which is
    /// how tests simulate a machine without one), else `clang` on PATH (the Swift toolchain ships one), else `cc`:
    /// clang's code was as fast or up to 3× faster on the bench workloads (docs/performance.md, "Tier 2"), but above
    /// 48 KB of C `cc` compiles when installed (`largeCompiler`); the cache in `$XDG_CACHE_HOME/axc`, default
    /// `~/.cache/axc`, unless `noCache`.
    public static func fromEnvironment(noCache: Bool = false) -> Tier2Config {
        let env = ProcessInfo.processInfo.environment
        var c: Tier2Config
        if let named = env["AXC_CC"] {
            c = Tier2Config(compiler: findExecutable(named))
        } else {
            let clang = findExecutable("clang"), cc = findExecutable("cc")
            c = Tier2Config(compiler: clang ?? cc)
            if clang != nil { c.largeCompiler = cc }
        }
        if !noCache {
            let xdg = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            let base = xdg ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache")
            switch privateDirectory(base + "/axc") {
            case .success(let d): c.cacheDir = d
            case .failure(let why): c.cacheNote = why.description
            }
        }
        return c
    }

    public init(compiler: String?, cacheDir: String? = nil) { self.compiler = compiler; self.cacheDir = cacheDir }

    /// The compiler for `source`: `largeCompiler` above 48 KB of C when there is one, else `compiler`.
    public func compiler(for source: String) -> String? {
        source.utf8.count > 48 << 10 ? largeCompiler ?? compiler : compiler
    }
}

/// `name` if it is a path to an executable file, else the first executable `name` on PATH; nil when none.
func findExecutable(_ name: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

/// Creates `path` (mode 0700) when missing and checks that it is a directory owned by this user that no one else
/// may write: the cache holds native code this process will run (docs/performance.md, "Trust").
func privateDirectory(_ path: String) -> Result<String, CacheRefusal> {
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                             attributes: [.posixPermissions: 0o700])
    var st = stat()
    guard lstat(path, &st) == 0 else { return .failure(CacheRefusal("cannot create the cache directory \(path)")) }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return .failure(CacheRefusal("\(path) is not a directory")) }
    guard st.st_uid == geteuid() else { return .failure(CacheRefusal("\(path) belongs to another user")) }
    guard st.st_mode & 0o022 == 0 else { return .failure(CacheRefusal("\(path) is writable by other users")) }
    return .success(path)
}

struct CacheRefusal: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

/// 64-bit FNV-1a of `bytes`, as 16 hex digits (names cache entries; every entry is verified in full on load).
func fnv64(_ bytes: some Sequence<UInt8>) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", h)
}

/// What identifies a compiled object besides its C text: the compiler (resolved path, size and modification
/// time of the driver, which change with its version), the flags and the CPU (model and feature flags).
private func keyMaterial(compiler: String, flags: [String]) -> String {
    var st = stat()
    let real = (try? FileManager.default.destinationOfSymbolicLink(atPath: compiler)).map {
        $0.hasPrefix("/") ? $0 : (compiler as NSString).deletingLastPathComponent + "/" + $0
    } ?? compiler
    stat(real, &st)
    var s = "axc tier-2 cache entry v1\ncompiler: \(real) \(st.st_size) \(st.st_mtim.tv_sec)\n"
    s += "flags: \(flags.joined(separator: " "))\ncpu: \(cpuIdentity)\n"
    return s
}

/// The model name and feature flags of the first CPU in /proc/cpuinfo.
private let cpuIdentity: String = {
    let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    var out: [String] = []
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2, parts[0] == "model name" || parts[0] == "flags", !out.contains(where: { $0.hasPrefix(parts[0]) }) {
            out.append("\(parts[0])=\(parts[1])")
        }
        if out.count == 2 { break }
    }
    return out.joined(separator: "; ")
}()

/// Seconds a tier-2 compile may take (gcc takes 0.1–2 s on the samples' kernels); `AXC_CC_TIMEOUT` overrides it.
let compileTimeout = Double(ProcessInfo.processInfo.environment["AXC_CC_TIMEOUT"] ?? "") ?? 300

/// Runs `cc args` with stdin from /dev/null and stdout and stderr into `log`; returns its exit status. A compiler that
/// does not end within `compileTimeout` (a wrong AXC_CC) is killed and is an error: axc never hangs on it. (posix_spawn
/// and waitpid, polled: Foundation's Process reports termination through a run loop the caller may be blocking.)
private func runCompiler(_ cc: String, _ args: [String], log: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([cc] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, cc, &actions, nil, argv, environ)
    guard rc == 0 else { throw InternalError("cannot run \(cc): \(String(cString: strerror(rc)))") }
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(compileTimeout * 1e9)
    var status: Int32 = 0
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { throw InternalError("waiting for \(cc) failed: \(String(cString: strerror(errno)))") }
        if DispatchTime.now().uptimeNanoseconds > deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw InternalError("\(cc) did not finish compiling tier-2 C within \(Int(compileTimeout)) s; stopped")
        }
        usleep(2000)
    }
    // Exited normally: its exit code; killed by a signal: that, as a nonzero status.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// A shared object built by the system C compiler from tier-2 C and loaded with dlopen (never unloaded: a
/// kernel may be running its code). Built by `Tier2Module.load`, from the cache or the compiler.
public final class Tier2Module: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    /// Whether it came from the cache.
    public let fromCache: Bool

    private init(path: String, fromCache: Bool) throws {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw InternalError("cannot load tier-2 object \(path): \(String(cString: dlerror()))")
        }
        guard let bind = dlsym(h, "axc_tier2_bind") else { throw InternalError("tier-2 object \(path) lacks axc_tier2_bind") }
        typealias BindFn = @convention(c) (UnsafeRawPointer) -> Void
        unsafeBitCast(bind, to: BindFn.self)(try runtimeSymbol("ax_parallel_for"))
        handle = h
        self.fromCache = fromCache
    }

    /// A shared object built elsewhere that defines `axc_tier2_bind` and packed entry points (tests build standalone C
    /// with an embedder's own flags and load it with this).
    static func open(_ path: String) throws -> Tier2Module { try Tier2Module(path: path, fromCache: false) }

    /// The address of the exported function `name`, or nil.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

    /// The object for `source`: the cache entry when one is there and intact, else compiled with `config.compiler`
    /// (and written to the cache). A damaged or mismatched entry is ignored and replaced. Throws when there is no
    /// compiler or it rejects the C (a compiler bug: tier 1 compiled the same kernel text).
    public static func load(_ source: String, config: Tier2Config) throws -> Tier2Module {
        guard let cc = config.compiler(for: source) else { throw Diagnostic("tier 2 needs a C compiler: none found (clang or cc on PATH, or AXC_CC)") }
        if let m = cached(source, config: config) { return m }
        let (meta, key) = cacheKey(source, cc: cc)
        return try compile(source, cc: cc, meta: meta, key: key, cacheDir: config.cacheDir)
    }

    /// The object for `source` from the cache, or nil (no compiler, no cache, no intact entry).
    public static func cached(_ source: String, config: Tier2Config) -> Tier2Module? {
        guard let cc = config.compiler(for: source), let dir = config.cacheDir else { return nil }
        let (meta, key) = cacheKey(source, cc: cc)
        return cached(dir: dir, key: key, meta: meta, source: source)
    }

    /// The key material for `cc` and the entry name: the hash of the material and the C text.
    private static func cacheKey(_ source: String, cc: String) -> (meta: String, key: String) {
        let meta = keyMaterial(compiler: cc, flags: Tier2Config.flags(for: source))
        return (meta, fnv64(Array((meta + source).utf8)))
    }

    /// The cache entry `key` (`KEY.meta`: the key material, the object's file name, the C text; `KEY-SUM.so`, SUM the
    /// hash of its bytes), or nil when it is missing or does not match in every byte.
    private static func cached(dir: String, key: String, meta: String, source: String) -> Tier2Module? {
        guard let text = try? String(contentsOfFile: "\(dir)/\(key).meta", encoding: .utf8), text.hasPrefix(meta) else { return nil }
        let rest = text.dropFirst(meta.count)
        guard rest.hasPrefix("object: "), let nl = rest.firstIndex(of: "\n") else { return nil }
        let object = String(rest[rest.index(rest.startIndex, offsetBy: 8)..<nl])
        guard rest[rest.index(after: nl)...] == "---\n" + source, object.hasPrefix(key + "-"), object.hasSuffix(".so"),
              let bytes = FileManager.default.contents(atPath: "\(dir)/\(object)"),
              object == "\(key)-\(fnv64(bytes)).so" else { return nil }
        utimes("\(dir)/\(key).meta", nil)  // the entry's last use, for eviction
        return try? Tier2Module(path: "\(dir)/\(object)", fromCache: true)
    }

    /// Compiles `source` in a private temporary directory; with a cache, moves the object and then its `.meta` into
    /// it (each by rename, so a reader sees a whole entry or none) and loads it from there.
    private static func compile(_ source: String, cc: String, meta: String, key: String, cacheDir: String?) throws -> Tier2Module {
        var template = Array(((cacheDir ?? NSTemporaryDirectory()) + "/.axc-tier2-XXXXXX").utf8CString)
        guard let tmpPtr = mkdtemp(&template) else { throw InternalError("cannot create a temporary directory for tier 2") }
        let tmp = String(cString: tmpPtr)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try source.write(toFile: tmp + "/k.c", atomically: false, encoding: .utf8)
        let status = try runCompiler(cc, Tier2Config.flags(for: source) + ["-o", tmp + "/k.so", tmp + "/k.c", "-lm"], log: tmp + "/log")
        guard status == 0, let bytes = FileManager.default.contents(atPath: tmp + "/k.so") else {
            let msg = (try? String(contentsOfFile: tmp + "/log", encoding: .utf8)) ?? ""
            let saved = NSTemporaryDirectory() + "axc-tier2-\(key).c"
            try? source.write(toFile: saved, atomically: true, encoding: .utf8)
            throw InternalError("\(cc) failed on tier-2 C (saved to \(saved)):\n\(msg.prefix(4000))")
        }
        guard let dir = cacheDir else { return try Tier2Module(path: tmp + "/k.so", fromCache: false) }
        let object = "\(key)-\(fnv64(bytes)).so"
        guard rename(tmp + "/k.so", "\(dir)/\(object)") == 0 else { return try Tier2Module(path: tmp + "/k.so", fromCache: false) }
        try (meta + "object: \(object)\n---\n" + source).write(toFile: tmp + "/meta", atomically: false, encoding: .utf8)
        rename(tmp + "/meta", "\(dir)/\(key).meta")
        evict(dir, keeping: key)
        return try Tier2Module(path: "\(dir)/\(object)", fromCache: false)
    }

    /// Bytes the cache keeps at most: `AXC_CACHE_MAX_MB` (default 512).
    static var cacheLimit: Int { (Int(ProcessInfo.processInfo.environment["AXC_CACHE_MAX_MB"] ?? "") ?? 512) << 20 }

    /// Removes the least recently used entries (by their `.meta`'s modification time, which a hit renews) until the
    /// cache holds at most `limit` bytes; entry `keeping` (just written) stays. Each entry is removed `.meta`
    /// first, so a reader never finds a `.meta` without its object. Runs after each compile, whose time it adds to.
    static func evict(_ dir: String, keeping: String, limit: Int = cacheLimit) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        var entries: [String: (bytes: Int, used: Double, files: [String])] = [:]
        for name in names where !name.hasPrefix(".") {
            let key = String(name.prefix { $0 != "." && $0 != "-" })
            var st = stat()
            guard stat("\(dir)/\(name)", &st) == 0 else { continue }
            var e = entries[key] ?? (0, 0, [])
            e.bytes += Int(st.st_size)
            if name.hasSuffix(".meta") {
                e.used = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9
                e.files.insert(name, at: 0)
            } else {
                e.files.append(name)
            }
            entries[key] = e
        }
        var total = entries.values.reduce(0) { $0 + $1.bytes }
        for (key, e) in entries.sorted(by: { $0.value.used < $1.value.used }) where total > limit && key != keeping {
            for f in e.files { unlink("\(dir)/\(f)") }
            total -= e.bytes
        }
    }
}
