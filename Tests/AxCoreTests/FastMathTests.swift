// The runtime's f32 and f64 transcendentals stay within SPEC's 2 ulp on sweeps of a few hundred thousand points
// (references in Double / Float80 from libm), f64 special values give glibc's results, scalar and tile agree bit for bit,
// and gcc -O3 vectorizes the standalone f32 and f64 math tiles under its default -ftrapping-math (docs/numerics.md).
import AxRuntime
import Foundation
import Testing
@testable import AxCore

/// The f32 sweep: specials, log-spaced magnitudes of both signs (1e-45 ... 3e38), every 2^14-th bit pattern, and
/// uniform values in [-10, 10].
private let fastMathSweep32: [Float] = {
    var r = SeededRandom(seed: 15)
    func unit() -> Double { Double(r.next() >> 11) / Double(1 << 53) }
    var xs: [Float] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                       .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, 0.625, -0.625,
                       88.72283, 88.72284, -88.72283, -88.72284, 89, -104, -150, 131072, 131072.02, -131072.02, 9.01, 10]
    for i in 0..<200_000 {
        let m = Float(Foundation.pow(10.0, -45.0 + unit() * 83.53))
        xs.append(i & 1 == 0 ? m : -m)
    }
    for b in stride(from: UInt64(0), to: 1 << 32, by: 1 << 14) { xs.append(Float(bitPattern: UInt32(b))) }
    for _ in 0..<100_000 { xs.append(Float(unit() * 20 - 10)) }
    return xs
}()

/// f64 special values, whose results must be glibc's bit for bit: signed zeros, infinities, NaN, subnormals, tiny and
/// huge values, the overflow and underflow edges of exp and logistic, tanh's saturation, sin and cos at and beyond the
/// range of their reduction (2^20), log1p(-1).
private let specials64: [Double] = [
    0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
    -.leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
    0x1.62e42fefa39efp+9, -0x1.62e42fefa39efp+9, 0x1.62e42fefa39fp+9, -0x1.62e42fefa39fp+9, -745.1332191019411,
    -745.1332191019412, 709.79, -745.2, 1e22, -1e22, 19.1, 22, 44, 1048576, -1048576, 1048576.0000000002, 0x1p-54,
    -0x1p-54, 1e-300, -0x1p-1030, -1,
]

/// f64: specials, log-spaced magnitudes (1e-323 ... 1.8e308), uniform in [-750, 750] and [-10, 10], and the doubles
/// nearest multiples of pi/2 below 2^20 (sin and cos must reduce them without cancellation).
private let fastMathSweep64: [Double] = {
    var r = SeededRandom(seed: 16)
    func unit() -> Double { Double(r.next() >> 11) / Double(1 << 53) }
    var xs = specials64 + [1, 709.78, -745.1, -708.4, -0.999999999, -0x1.fffffffffffffp-1, 0.625, -0.625]
    for k in stride(from: 1, to: 667_544, by: 37) {
        let v = Double(Float80(k) * Float80.pi / 2)
        xs += [v, v.nextDown, -v.nextUp]
    }
    for i in 0..<100_000 {
        let m = Foundation.pow(10.0, -323.0 + unit() * 631.2)
        xs.append(i & 1 == 0 ? m : -m)
    }
    for _ in 0..<50_000 { xs.append(unit() * 1500 - 750) }
    for _ in 0..<50_000 { xs.append(unit() * 20 - 10) }
    return xs
}()

/// The error of `got` in ulps of the f32 nearest `want` (want in double); .infinity for a wrong special value.
private func ulpError32(_ got: Float, _ want: Double) -> Double {
    if want.isNaN || got.isNaN { return want.isNaN && got.isNaN ? 0 : .infinity }
    // beyond the largest finite f32 plus half an ulp the correctly rounded result is inf
    let w = abs(want) >= 0x1.ffffffp127 ? (want > 0 ? Double.infinity : -.infinity) : want
    if w.isInfinite || got.isInfinite { return Double(got) == w ? 0 : .infinity }
    if Double(got) == w { return 0 }
    let ulp = Double(sign: .plus, exponent: max(Int(abs(w).exponent), -126) - 23, significand: 1)
    return abs(Double(got) - w) / ulp
}

#if arch(x86_64)
/// The error of `got` in ulps of the f64 nearest `want` (want in Float80); .infinity for a wrong special value.
private func ulpError64(_ got: Double, _ want: Float80) -> Double {
    if want.isNaN || got.isNaN { return want.isNaN && got.isNaN ? 0 : .infinity }
    // beyond the largest finite f64 plus half an ulp the correctly rounded result is inf
    let w = abs(want) >= Float80(sign: .plus, exponent: 1023, significand: 2 - 0x1p-53) ? (want > 0 ? Float80.infinity : -.infinity) : want
    if w.isInfinite || got.isInfinite { return Float80(got) == w ? 0 : .infinity }
    if Float80(got) == w { return 0 }
    let ulp = Float80(sign: .plus, exponent: max(Int(abs(w).exponent), -1022) - 52, significand: 1)
    return Double(abs(Float80(got) - w) / ulp)
}
#endif

/// The f32 reference: libm in double; logistic as 1 / (1 + exp(-x)) with JAX's 0 where exp(-x) overflows in f32.
private func reference32(_ op: UnaryOp, _ a: Float) -> Double {
    let x = Double(a)
    switch op {
    case .exp: return Foundation.exp(x)
    case .log: return Foundation.log(x)
    case .log1p: return Foundation.log1p(x)
    case .tanh: return Foundation.tanh(x)
    case .logistic: return a <= -0x1.62e43p+6 ? 0 : 1 / (1 + Foundation.exp(-x))
    case .sin: return Foundation.sin(x)
    case .cos: return Foundation.cos(x)
    default: fatalError("\(op)")
    }
}

private typealias Tile32 = (Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
private typealias Tile64 = (Int64, UnsafePointer<Double>?, UnsafeMutablePointer<Double>?) -> Void
private let math32: [UnaryOp: (tile: Tile32, scalar: (Float) -> Float)] = [
    .exp: (ax_vexp_f32, ax_exp_f32), .log: (ax_vlog_f32, ax_log_f32), .log1p: (ax_vlog1p_f32, ax_log1p_f32),
    .tanh: (ax_vtanh_f32, ax_tanh_f32), .logistic: (ax_vlogistic_f32, ax_logistic_f32),
    .sin: (ax_vsin_f32, ax_sin_f32), .cos: (ax_vcos_f32, ax_cos_f32),
]
private let math64: [UnaryOp: (tile: Tile64, scalar: (Double) -> Double)] = [
    .exp: (ax_vexp_f64, ax_exp_f64), .log: (ax_vlog_f64, ax_log_f64), .log1p: (ax_vlog1p_f64, ax_log1p_f64),
    .tanh: (ax_vtanh_f64, ax_tanh_f64), .logistic: (ax_vlogistic_f64, ax_logistic_f64),
    .sin: (ax_vsin_f64, ax_sin_f64), .cos: (ax_vcos_f64, ax_cos_f64),
]
private let mathOps: [UnaryOp] = [.exp, .log, .log1p, .tanh, .logistic, .sin, .cos]

@Suite struct FastMathTests {
    @Test(arguments: mathOps)
    func f32WithinTwoUlp(_ op: UnaryOp) throws {
        let f = math32[op]!, xs = fastMathSweep32
        var out = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { a in out.withUnsafeMutableBufferPointer { o in f.tile(Int64(xs.count), a.baseAddress, o.baseAddress) } }
        var worst = (err: 0.0, at: Float(0)), mismatches = 0
        for (i, x) in xs.enumerated() {
            if f.scalar(x).bitPattern != out[i].bitPattern { mismatches += 1 }
            let e = ulpError32(out[i], reference32(op, x))
            if e > worst.err { worst = (e, x) }
            // JAX's signs of zero: sin, tanh and log1p of -0 are -0
            if x == 0 && [.sin, .tanh, .log1p].contains(op) { #expect(out[i].sign == x.sign, "\(op)(\(x)) = \(out[i])") }
        }
        #expect(mismatches == 0, "\(op) f32: scalar and tile differ on \(mismatches) inputs")
        #expect(worst.err <= 2, "\(op) f32: \(worst.err) ulp at \(worst.at) (bits \(String(worst.at.bitPattern, radix: 16)))")
    }

    /// ax_vsincos_T computes the bits of ax_vsin_T and ax_vcos_T (one range reduction for both).
    @Test func sincosTileMatchesSinAndCos() {
        sincosMatches(fastMathSweep32, ax_vsincos_f32, ax_vsin_f32, ax_vcos_f32)
        sincosMatches(fastMathSweep64, ax_vsincos_f64, ax_vsin_f64, ax_vcos_f64)
    }

    private func sincosMatches<T: BinaryFloatingPoint>(
        _ xs: [T], _ sincos: (Int64, UnsafePointer<T>?, UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void,
        _ sin: (Int64, UnsafePointer<T>?, UnsafeMutablePointer<T>?) -> Void,
        _ cos: (Int64, UnsafePointer<T>?, UnsafeMutablePointer<T>?) -> Void
    ) where T.RawSignificand: FixedWidthInteger {
        let n = xs.count
        var s = [T](repeating: 0, count: n), c = s, s1 = s, c1 = s
        xs.withUnsafeBufferPointer { a in
            s.withUnsafeMutableBufferPointer { ps in c.withUnsafeMutableBufferPointer { pc in
                sincos(Int64(n), a.baseAddress, ps.baseAddress, pc.baseAddress) } }
            s1.withUnsafeMutableBufferPointer { sin(Int64(n), a.baseAddress, $0.baseAddress) }
            c1.withUnsafeMutableBufferPointer { cos(Int64(n), a.baseAddress, $0.baseAddress) }
        }
        func same(_ x: T, _ y: T) -> Bool { x == y && x.sign == y.sign || x.isNaN && y.isNaN }
        let bad = (0..<n).filter { !same(s[$0], s1[$0]) || !same(c[$0], c1[$0]) }
        #expect(bad.isEmpty, "\(T.self) sincos differs from sin/cos at \(bad.prefix(5).map { xs[$0] })")
    }

    #if arch(x86_64)
    @Test(arguments: mathOps)
    func f64WithinTwoUlp(_ op: UnaryOp) throws {
        let f = math64[op]!, xs = fastMathSweep64
        var out = [Double](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { a in out.withUnsafeMutableBufferPointer { o in f.tile(Int64(xs.count), a.baseAddress, o.baseAddress) } }
        var worst = (err: 0.0, at: 0.0), mismatches = 0
        for (i, x) in xs.enumerated() {
            if f.scalar(x).bitPattern != out[i].bitPattern { mismatches += 1 }
            let e = ulpError64(out[i], reference64(op, x))
            if e > worst.err { worst = (e, x) }
            if x == 0 && [.sin, .tanh, .log1p].contains(op) { #expect(out[i].sign == x.sign, "\(op)(\(x)) = \(out[i])") }
        }
        #expect(mismatches == 0, "\(op) f64: scalar and tile differ on \(mismatches) inputs")
        #expect(worst.err <= 2, "\(op) f64: \(worst.err) ulp at \(worst.at) (bits \(String(worst.at.bitPattern, radix: 16)))")
    }
    #endif

    /// The f64 special values give glibc's results bit for bit (any NaN for NaN) wherever glibc's is special too: NaN,
    /// ±inf, ±0, ±1, the argument itself, subnormal, or sin and cos beyond 2^20 (glibc's own); logistic is JAX's
    /// 1 / (1 + exp(-x)) in glibc. Elsewhere (exp(44), log(5e-324), ...) the sweep's 2 ulp applies.
    @Test(arguments: mathOps)
    func f64SpecialsAsGlibc(_ op: UnaryOp) {
        let f = math64[op]!
        let libm: (Double) -> Double = switch op {
        case .exp: Foundation.exp
        case .log: Foundation.log
        case .log1p: Foundation.log1p
        case .tanh: Foundation.tanh
        case .logistic: { 1 / (1 + Foundation.exp(-$0)) }
        case .sin: Foundation.sin
        default: Foundation.cos
        }
        for x in specials64 {
            let got = f.scalar(x), want = libm(x)
            guard want.isNaN || want.isInfinite || !want.isNormal || abs(want) == 1 || want == x
                || [.sin, .cos].contains(op) && x.magnitude > 0x1p20 else { continue }
            #expect(got.bitPattern == want.bitPattern || got.isNaN && want.isNaN, "\(op)(\(x)) = \(got), glibc \(want)")
        }
    }

    /// gcc -O3 (default -ftrapping-math, baseline x86-64) vectorizes the main loop of every standalone f32 and f64 math tile.
    @Test(.enabled(if: findTool(["gcc"]) != nil, "gcc is not installed: the vectorization check is skipped"))
    func gccVectorizesStandaloneMathTiles() throws {
        let tiles = ["f32", "f64"].flatMap { t in mathOps.map { "ax_v\($0.rawValue)_\(t)" } + ["ax_vsincos_\(t)"] }
        var c = "#include <math.h>\n#include <stdint.h>\n#include <stddef.h>\n"
        for f in runtimeClosure(Set(tiles)) { c += (f.proto.isEmpty ? "" : "static ") + f.source + "\n" }
        // keep the static tiles: one exported table of their addresses
        c += "void *ax_tiles[] = {" + tiles.map { "(void *)\($0)" }.joined(separator: ", ") + "};\n"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("axc-vec-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tiles.c")
        try c.write(to: file, atomically: true, encoding: .utf8)
        let (status, log) = try runProcess(findTool(["gcc"])!, ["-O3", "-fopt-info-vec-optimized", "-c", file.path, "-o",
                                                               dir.appendingPathComponent("tiles.o").path])
        #expect(status == 0, "gcc failed: \(log)")
        let lines = c.split(separator: "\n", omittingEmptySubsequences: false)
        for t in tiles {
            // the tile's first loop: the line after its signature that starts a for loop
            guard let sig = lines.firstIndex(where: { $0.hasPrefix("static void \(t)(") }),
                  let loop = lines[sig...].firstIndex(where: { $0.contains("for (i = 0; i < n; i++)") }) else {
                Issue.record("no loop found for \(t)"); continue
            }
            let vectorized = log.split(separator: "\n").contains { $0.contains("tiles.c:\(loop + 1):") && $0.contains("loop vectorized") }
            #expect(vectorized,
                    "gcc -O3 did not vectorize \(t) (line \(loop + 1)):\n\(log)")
        }
    }
}

#if arch(x86_64)
/// The f64 reference: libm in long double (Float80).
private func reference64(_ op: UnaryOp, _ x: Double) -> Float80 {
    let y = Float80(x)
    switch op {
    case .exp: return Foundation.exp(y)
    case .log: return Foundation.log(y)
    case .log1p: return Foundation.log1p(y)
    case .tanh: return Foundation.tanh(y)
    // 0 where exp(-x) overflows: below -0x1.62e42fefa39efp+9 (709.782712893383973 = ln of the largest f64, rounded down)
    case .logistic: return x < -0x1.62e42fefa39efp+9 ? 0 : 1 / (1 + Foundation.exp(-y))
    case .sin: return Foundation.sin(y)
    case .cos: return Foundation.cos(y)
    default: fatalError("\(op)")
    }
}
#endif
