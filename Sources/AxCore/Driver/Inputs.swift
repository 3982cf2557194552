// Binding command-line arguments to a program's input leaves: `.npy` files, numbers, `random`;
// size variables fixed by inputs or by `--size`, with located, named errors for every conflict.
import Foundation

/// One `--arg NAME=VALUE` as given on the command line.
public enum ArgValue: Sendable, Equatable {
    case npy(String)
    case number(Double)
    case random

    /// Parses `VALUE`: `random`, a number (`true`/`false` are 1 and 0), or otherwise a path to a `.npy` file.
    public init(parsing text: String) {
        if text == "random" { self = .random }
        else if ["true", "True"].contains(text) { self = .number(1) }
        else if ["false", "False"].contains(text) { self = .number(0) }
        else if let x = Double(text), !text.hasSuffix(".npy") { self = .number(x) }
        else { self = .npy(text) }
    }
}

/// The values of `dtype` when the number `x` is not one of them (nil when it is). An i32 takes an integer in
/// its range, a bool 0 or 1 (`true`, `false`); a float takes any number within its range (rounded to the
/// nearest f32), and nan or ±inf. Silently truncating 3.5 to 3 or making nan True would hide a mistake.
public func numberProblem(_ x: Double, for dtype: DType) -> String? {
    switch dtype {
    case .bool:
        return x == 0 || x == 1 ? nil : "0, 1, true or false"
    case .i32:
        guard x.isFinite, x == x.rounded(.towardZero), x >= -2147483648, x <= 2147483647 else {
            return "an integer from -2147483648 to 2147483647"
        }
        return nil
    case .f32:
        return !x.isFinite || Float(x).isFinite ? nil : "finite numbers up to about ±3.4e38, or nan, inf, -inf"
    case .f64:
        return nil
    }
}

/// A number as a user would write it: `3`, `3.5`, `1e+300`, `nan`.
func numberText(_ x: Double) -> String {
    if x.isFinite && x == x.rounded(.towardZero) && abs(x) < 1e16 { return String(Int64(x)) }
    return "\(x)"
}

/// Deterministic random numbers (SplitMix64) for `random` arguments.
public struct SeededRandom {
    private var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

/// The largest value a size variable may take on the command line (`--size n=...`).
public let maxSizeValue = maxArrayElements

/// Binds arguments to `p`'s input leaves. Leaves not named in `args` are `random`. Size variables are
/// fixed by `.npy` shapes first, then by `sizes`; unbound ones are an error naming them. A `.npy` array of
/// another NumPy dtype is converted as JAX converts it without x64 (`NPYArray.converted`) unless
/// `strictDTypes`, which asks for the leaf's exact dtype (docs/cli.md).
/// Returns the input tensors (in `p.inputs` order) and the size bindings.
public func bindInputs(_ p: Program, args: [String: ArgValue], sizes given: [String: Int], seed: UInt64,
                       strictDTypes: Bool = false) throws -> ([Tensor], [String: Int]) {
    let names = p.inputLeafNames
    for key in args.keys.sorted() where !names.contains(key) {
        throw Diagnostic("no input named '\(key)'; the inputs of \(p.name) are: \(names.joined(separator: ", "))")
    }
    for k in given.keys.sorted() where !p.sizeVars.contains(k) {
        let have = p.sizeVars.isEmpty ? "it has no size variables" : "its size variables are: \(p.sizeVars.joined(separator: ", "))"
        throw Diagnostic("--size \(k)=\(given[k]!): \(p.name) has no size variable '\(k)'; \(have)")
    }
    for k in given.keys.sorted() where given[k]! < 0 || given[k]! > maxSizeValue {
        throw Diagnostic("--size \(k)=\(given[k]!) is out of range (0 to \(maxSizeValue))")
    }
    for (v, name) in zip(p.inputs, names) {
        if case .number(let x)? = args[name], let why = numberProblem(x, for: v.type.dtype) {
            throw Diagnostic("argument '\(name)': \(numberText(x)) is not a value of \(v.type) (\(why))")
        }
    }
    var sizes: [String: Int] = [:]
    var boundBy: [String: String] = [:]
    var loaded: [Int: Tensor] = [:]
    // 1. .npy files fix the sizes their shapes name.
    for (i, (v, name)) in zip(p.inputs, names).enumerated() {
        guard case .npy(let path)? = args[name] else { continue }
        let want = v.type
        let a: NPYArray
        do { a = try readNPYArray(path: path) }
        catch let d as Diagnostic { throw Diagnostic("argument '\(name)': \(d.message)") }
        var converted: Tensor?
        if strictDTypes {
            if !a.bigEndian, let n = a.nativeTensor { converted = n }
            else if a.dtype.native == nil || a.bigEndian {
                throw Diagnostic("argument '\(name)': '\(path)': unsupported dtype '\(a.descr)' with --strict-dtypes; supported dtypes are \(npySupported)")
            }
        } else {
            do { converted = try a.converted(to: want.dtype) }
            catch let d as Diagnostic { throw Diagnostic("argument '\(name)': '\(path)': \(d.message)") }
        }
        guard let t = converted else {
            let what = a.dtype.shortName
            throw Diagnostic("argument '\(name)': expected \(want), got \("aeiou".contains(what.first!) ? "an" : "a") \(what) array of shape \(shapeText(a.shape)) from '\(path)'"
                             + (strictDTypes ? "" : "; NumPy floats convert to f32 and f64 and integers to i32, not across kinds"))
        }
        if t.dtype != want.dtype {
            throw Diagnostic("argument '\(name)': expected \(want), got a \(t.dtype) array of shape \(shapeText(t.shape)) from '\(path)'")
        }
        do { try bindShape(want, t.shape, sizes: &sizes) } catch let m as ShapeMismatch {
            if case .variable(_, let k, let s, let prev) = m {
                throw Diagnostic("size variable \(s) is \(prev) from '\(boundBy[s]!)' but \(k) from '\(name)' (shape \(shapeText(t.shape)))")
            }
            throw Diagnostic("argument '\(name)': expected \(want), got shape \(shapeText(t.shape)) from '\(path)'")
        }
        for s in want.sizeVars where boundBy[s] == nil { boundBy[s] = name }
        loaded[i] = t
    }
    // 2. --size fixes the rest; it must agree with the files.
    for (s, k) in given.sorted(by: { $0.key < $1.key }) {
        if let prev = sizes[s], prev != k {
            throw Diagnostic("--size \(s)=\(k) conflicts with \(s)=\(prev) from argument '\(boundBy[s]!)'")
        }
        sizes[s] = k
    }
    for s in p.sizeVars where sizes[s] == nil {
        let users = zip(p.inputs, names).filter { $0.0.type.sizeVars.contains(s) }.map(\.1)
        let hint = users.isEmpty ? "" : " (used by \(users.joined(separator: ", ")))"
        throw Diagnostic("size variable \(s)\(hint) is not fixed by any input; pass --size \(s)=N")
    }
    // 3. numbers and random values fill the remaining leaves.
    var rng = SeededRandom(seed: seed)
    var out: [Tensor] = []
    for (i, (v, name)) in zip(p.inputs, names).enumerated() {
        if let t = loaded[i] { out.append(t); continue }
        guard let shape = v.type.concreteShape(sizes) else { throw InternalError("unbound size in \(v.type)") }
        var count = 1
        for k in shape {
            let (m, o) = count.multipliedReportingOverflow(by: k)
            if o || m > maxArrayElements {
                var seen = Set<String>()
                let bound = v.type.sizeVars.filter { seen.insert($0).inserted }.map { "\($0)=\(sizes[$0]!)" }.joined(separator: ", ")
                throw Diagnostic("argument '\(name)': \(v.type) with \(bound) has more than 2^31 elements, too many to generate")
            }
            count = m
        }
        let dtype = v.type.dtype
        switch args[name] ?? .random {
        case .number(let x): out.append(generated(dtype, shape: shape, count: count) { x })
        default:
            out.append(generated(dtype, shape: shape, count: count) {
                switch dtype {
                case .f32, .f64: return rng.normal()
                case .i32: return Double(rng.next() % 10)
                case .bool: return Double(rng.next() & 1)
                }
            })
        }
    }
    return (out, sizes)
}

/// A tensor of `count` values of `gen()` rounded to `dtype` as `Tensor(_:shape:doubles:)` rounds them, built
/// without an array of doubles on the way (which for f32 would triple the peak memory of large inputs).
private func generated(_ dtype: DType, shape: [Int], count: Int, _ gen: () -> Double) -> Tensor {
    switch dtype {
    case .f32: return Tensor(shape: shape, storage: .f32((0..<count).map { _ in Float(gen()) }))
    case .f64: return Tensor(shape: shape, storage: .f64((0..<count).map { _ in gen() }))
    case .i32: return Tensor(shape: shape, storage: .i32((0..<count).map { _ in Tensor.toInt32(gen()) }))
    case .bool: return Tensor(shape: shape, storage: .bool((0..<count).map { _ in gen() != 0 }))
    }
}
