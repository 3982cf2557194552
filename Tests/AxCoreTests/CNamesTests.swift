// Issue 10, item 7: user names that C reserves (libm and libc functions, types, macros, keywords, the runtime's
// ax_ names) as entry, parameter and size-variable names. They once broke jit (exit 3), broke the standalone C,
// or exported a symbol that replaced libc's. Each must run in jit, and its standalone C must compile strictly
// and link with a program that also calls libm's and libc's functions of those names.
import Foundation
import Testing
@testable import AxCore

/// The names of the issue, and a few more of each kind.
private let reservedNames = ["powf", "expf", "sqrt", "int64_t", "size_t", "NULL", "NAN", "INFINITY", "isnan", "malloc",
                             "printf", "double", "main", "ax_gemm_f32", "_x", "exp2f", "errno", "stdout", "uint8_t"]

/// For each name: an entry of that name, an entry with a parameter of that name, and (for a lowercase name,
/// the only kind a size variable can be) one with a size variable of that name. The bodies call libm
/// (exp, sqrt, tanh, x ** 1.5; `s_sqrt` calls the entry `sqrt`) so that a parameter shadowing a libm function would break the kernel.
private func source(_ name: String) -> String {
    var s = """
        def \(name)(x: f32[n]) -> f32[n]:
            return exp(x) * 2.0 + abs(x) ** 1.5

        def p_\(name.hasPrefix("_") ? "u" : "")\(name)(\(name): f32[n], y: f32[n]) -> f32:
            return sum(exp(\(name)) * tanh(y) + abs(\(name)) ** 1.5)

        """
    if name.first!.isLowercase {
        s += """

            def s_\(name)(x: f32[\(name)]) -> f32[\(name)]:
                return sqrt(abs(x)) + 1.0

            """
    }
    return s
}

private let xs: [Double] = [0.5, -1.25, 2.0]

@Suite struct CNamesTests {
    /// The documented mapping (docs/c-interface.md): a reserved name gets the prefix `u_`; entries also avoid
    /// C99's future library names (`is…`, `to…`, `str…`, `mem…`); other names are kept.
    @Test func mappingIsTheDocumentedOne() {
        let expected: [String: String] = [
            "sqrt": "u_sqrt", "powf": "u_powf", "malloc": "u_malloc", "NULL": "u_NULL", "int64_t": "u_int64_t",
            "double": "u_double", "ax_gemm_f32": "u_ax_gemm_f32", "AXC_X": "u_AXC_X", "_x": "u_x", "isnan": "u_isnan",
            "f_scratch_bytes": "f_scratch_bytes_", "f_loop3": "f_loop3_", "f_packed": "f_packed_", "isotropic": "u_isotropic",
            "total": "u_total", "linear": "linear", "predict": "predict", "W1": "W1", "params.0": "params_0",
        ]
        for (user, c) in expected { #expect(cEntryName(user) == c, "\(user)") }
        // Parameters are not external: only names C actually declares are renamed.
        #expect(cIdentifier("isotropic", taken: []) == "isotropic" && cIdentifier("total", taken: []) == "total")
        #expect(cIdentifier("isnan", taken: []) == "u_isnan" && cIdentifier("expf", taken: []) == "u_expf")
        #expect(cIdentifier("scratch", taken: []) == "u_scratch" && cIdentifier("u_x", taken: ["u_x"]) == "u_x_")
        // Mangling is idempotent, so the libtcc path and the standalone file can both apply it.
        for user in expected.keys { #expect(cEntryName(cEntryName(user)) == cEntryName(user), "\(user)") }
    }

    @Test(arguments: reservedNames)
    func reservedNameRunsInJit(_ name: String) throws {
        let s = try CompilerSession(file: SourceFile(path: "names.ax", text: source(name)))
        for entry in s.entryNames {
            let lowered = try s.lower(entry)
            let p = lowered.optimized
            let sizes = Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, 3) })
            let ins = p.inputs.map { _ in Tensor(.f32, shape: [3], doubles: xs) }
            let eager = try evaluate(p, inputs: ins, sizes: sizes)
            let jit = try lowered.kernel!.run(inputs: ins, sizes: sizes)
            for (a, b) in zip(eager, jit) {
                for i in 0..<a.count { #expect(abs(a.element(i) - b.element(i)) <= 1e-5 * max(1, abs(a.element(i))), "\(entry)[\(i)]") }
            }
        }
    }

    /// `axc bench` emits the kernel itself (stage by stage): it must name it as `CompiledKernel` does
    /// (it passed the raw entry name, so an entry named `double` failed to compile in bench only).
    @Test(arguments: ["double", "sqrt", "malloc", "_x"])
    func benchCompilesReservedNames(_ name: String) throws {
        var req = BenchRequest(fn: name)
        req.sizes = ["n": 4]; req.runs = 1; req.modes = [.jit]
        let report = try benchmark(SourceFile(path: "names.ax", text: source(name)), req)
        #expect(report.modes.count == 1)
    }

    /// Every file compiles with `cc -std=c99 -Wall -Wextra -pedantic -Werror`, exports only the mangled names
    /// (never a libc or libm symbol), and links into one program that calls libm's and libc's functions of the
    /// same names; the program's kernel results equal the in-process kernel's.
    @Test func standaloneFilesCompileAndLinkWithLibc() throws {
        let cc = try #require(findTool(["cc"]))
        let nm = try #require(findTool(["nm"]))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-cnames-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let flags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1"]
        var objects: [String] = [], includes = "", calls = "", expected: [String] = []
        for (k, name) in reservedNames.enumerated() {
            let s = try CompilerSession(file: SourceFile(path: "names.ax", text: source(name)))
            let entries = try s.entryNames.map { try s.lower($0) }
            let base = "k\(k)"
            let (c, h) = try s.standalone(s.entryNames, sourceHash: "test", headerName: base + ".h")
            // The header documents the user's names next to the C ones.
            #expect(h.contains("`\(name)`"), "\(base).h does not mention `\(name)`")
            try c.write(to: dir.appendingPathComponent(base + ".c"), atomically: true, encoding: .utf8)
            try h.write(to: dir.appendingPathComponent(base + ".h"), atomically: true, encoding: .utf8)
            let obj = dir.appendingPathComponent(base + ".o").path
            let (rc, out) = try runProcess(cc, flags + ["-I", dir.path, "-c", dir.appendingPathComponent(base + ".c").path, "-o", obj])
            #expect(rc == 0, "cc \(base).c (\(name)):\n\(out)")
            guard rc == 0 else { continue }
            objects.append(obj)
            let (_, syms) = try runProcess(nm, ["-g", "--defined-only", obj])
            let exported = Set(syms.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
            var taken = Set<String>(), want = Set<String>()
            for e in entries {
                let cname = cEntryName(e.name, taken: taken)
                taken.insert(cname)
                want.formUnion([cname, cname + "_scratch_bytes"])
            }
            #expect(exported == want, "\(base).o (\(name)) exports \(exported.sorted()), expected \(want.sorted())")
            #expect(!exported.contains(name), "\(base).o exports `\(name)` itself")
            includes += "#include \"\(base).h\"\n"
            for (e, cname) in zip(entries, entries.map { cEntryName($0.name) }) {
                let sizes = e.optimized.sizeVars.map { _ in "3" }
                let ins = e.optimized.inputs.map { _ in "xs" }
                let o = try e.kernel!.run(
                    inputs: e.optimized.inputs.map { _ in Tensor(.f32, shape: [3], doubles: xs) },
                    sizes: Dictionary(uniqueKeysWithValues: e.optimized.sizeVars.map { ($0, 3) }))[0]
                let idx = (0..<3).map { o.count > $0 ? $0 : 0 }
                expected.append(idx.map { String(format: "%.9g", o.element($0)) }.joined(separator: " "))
                calls += "    if (\(cname)(\((sizes + ins + ["out", "NULL"]).joined(separator: ", "))) != 0) return 1;\n"
                calls += "    printf(\"%.9g %.9g %.9g\\n\", " + idx.map { "(double)out[\($0)]" }.joined(separator: ", ") + ");\n"
            }
        }
        // main.c uses libm and libc under the same names: they must still be the C library's.
        let main = """
            #include <math.h>
            #include <stdint.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <errno.h>
            \(includes)
            int main(int argc, char **argv) {
                const float xs[3] = {0.5f, -1.25f, 2.0f};
                float out[3] = {0, 0, 0};
                volatile float a = (float)argc + 1.0f;
                int64_t i64 = 3; size_t sz = 3; uint8_t u8 = 3;
                char *buf = malloc(64);
                (void)argv;
                if (!buf) return 2;
                if (powf(a, 2.0f) != 4.0f || expf(0.0f * a) != 1.0f || sqrt(4.0 * a) != sqrt(8.0) || exp2f(a) != 4.0f) return 3;
                if (!isnan(NAN) || !(INFINITY > 1e308) || i64 + (int64_t)sz + u8 != 9 || errno < 0) return 4;
                free(buf);
                fprintf(stdout, "libc ok\\n");
            \(calls)    return 0;
            }

            """
        let mainPath = dir.appendingPathComponent("main.c").path
        try main.write(toFile: mainPath, atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent("names").path
        let (rc, out) = try runProcess(cc, flags + ["-I", dir.path, "-o", exe, mainPath] + objects + ["-lm"])
        try #require(rc == 0, "cc main.c + kernels:\n\(out)")
        let (rrc, rout) = try runProcess(exe, [])
        #expect(rrc == 0, "the program failed (\(rrc)):\n\(rout)")
        let lines = rout.split(separator: "\n").map(String.init)
        #expect(lines.first == "libc ok", "\(rout)")
        #expect(Array(lines.dropFirst()) == expected, "standalone results differ from the in-process kernels:\n\(rout)\nexpected:\n\(expected.joined(separator: "\n"))")
    }
}
