// Conformance against JAX: every entry of the samples, on the inputs of scripts/gen_conformance.py,
// run op by op and as a compiled kernel (a pmap entry also as its device kernel on threads, Driver/DeviceRun.swift),
// compared with JAX's outputs (rtol 1e-5, atol 1e-6).
import Foundation
import Testing
@testable import AxCore

struct ConformanceCase: Decodable, CustomStringConvertible {
    var `case`: String
    var sample: String
    var entry: String
    var inputs: [String: String]
    var outputs: [String]
    var description: String { "\(sample):\(entry)" }
}

private struct Manifest: Decodable { var rtol: Double; var atol: Double; var cases: [ConformanceCase] }

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let conformanceDir = repoRoot.appendingPathComponent("Tests/AxCoreTests/Data/conformance")
private let manifest: Manifest = {
    let data = try! Data(contentsOf: conformanceDir.appendingPathComponent("manifest.json"))
    return try! JSONDecoder().decode(Manifest.self, from: data)
}()

/// Element-wise closeness like numpy.allclose (NaN equal to NaN, infinities to themselves), reporting the worst element.
func expectClose(_ got: Tensor, _ want: Tensor, rtol: Double, atol: Double, _ what: String) {
    #expect(got.shape == want.shape, "\(what): shape \(got.shape) vs JAX \(want.shape)")
    #expect(got.dtype == want.dtype, "\(what): dtype \(got.dtype) vs JAX \(want.dtype)")
    guard got.shape == want.shape else { return }
    let (g, w) = (got.doubles, want.doubles)
    var worst = 0.0, at = -1
    for i in 0..<g.count where !(g[i].isNaN && w[i].isNaN) && g[i] != w[i] {  // equal infinities are close
        let excess = abs(g[i] - w[i]) - (atol + rtol * abs(w[i]))
        if !(excess <= 0) && (at < 0 || excess > worst || excess.isNaN) { worst = excess; at = i }
    }
    #expect(at < 0, "\(what): element \(at) is \(at >= 0 ? g[at] : 0), JAX says \(at >= 0 ? w[at] : 0)")
}

/// Runs one conformance case in `mode`, returning outputs and JAX's references.
func runConformance(_ c: ConformanceCase, mode: ExecutionMode) throws -> ([Tensor], [Tensor]) {
    let dir = conformanceDir.appendingPathComponent(c.case)
    let session = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(c.sample)").path)
    let lowered = try session.lower(c.entry, to: mode == .jit ? .kernel : .optimized)
    let program = lowered.optimized
    let args = c.inputs.mapValues { ArgValue.npy(dir.appendingPathComponent($0).path) }
    let (inputs, sizes) = try bindInputs(program, args: args, sizes: [:], seed: 0)
    let got: [Tensor]
    switch mode {
    case .eager: got = try evaluate(program, inputs: inputs, sizes: sizes)
    case .jit: got = try lowered.kernel!.run(inputs: inputs, sizes: sizes)
    }
    let want = try c.outputs.map { try readNPY(path: dir.appendingPathComponent($0).path) }
    return (got, want)
}

/// The cases whose entry is written `pmap(f, ...)` or `jit(pmap(f, ...))`.
private let pmapCases: [ConformanceCase] = manifest.cases.filter { c in
    let session = try? CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(c.sample)").path)
    let chain = (try? session?.entry(c.entry))??.chain ?? ""
    return chain.hasPrefix("pmap(") || chain.hasPrefix("jit(pmap(")
}

@Suite struct ConformanceTests {
    @Test(arguments: manifest.cases) func eagerMatchesJAX(_ c: ConformanceCase) throws {
        let (got, want) = try runConformance(c, mode: .eager)
        #expect(got.count == want.count, "\(c): \(got.count) outputs, JAX has \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() { expectClose(g, w, rtol: manifest.rtol, atol: manifest.atol, "\(c) out\(i)") }
    }

    /// pmap entries through their device kernels, one thread per device.
    @Test(arguments: pmapCases) func devicesMatchJAX(_ c: ConformanceCase) throws {
        let dir = conformanceDir.appendingPathComponent(c.case)
        let session = try CompilerSession(path: repoRoot.appendingPathComponent("Samples/\(c.sample)").path)
        let map = try #require(try session.deviceMap(c.entry), "\(c) is not a pmap entry")
        let args = c.inputs.mapValues { ArgValue.npy(dir.appendingPathComponent($0).path) }
        let (inputs, sizes) = try bindInputs(try session.lower(c.entry, to: .optimized).optimized, args: args, sizes: [:], seed: 0)
        let got = try DeviceRunner(map, name: c.entry).run(inputs: inputs, sizes: sizes)
        let want = try c.outputs.map { try readNPY(path: dir.appendingPathComponent($0).path) }
        #expect(got.count == want.count, "\(c): \(got.count) outputs, JAX has \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() { expectClose(g, w, rtol: manifest.rtol, atol: manifest.atol, "\(c) out\(i)") }
    }

    @Test(arguments: manifest.cases) func jitMatchesJAX(_ c: ConformanceCase) throws {
        let (got, want) = try runConformance(c, mode: .jit)
        #expect(got.count == want.count, "\(c): \(got.count) outputs, JAX has \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() { expectClose(g, w, rtol: manifest.rtol, atol: manifest.atol, "\(c) out\(i)") }
    }
}
