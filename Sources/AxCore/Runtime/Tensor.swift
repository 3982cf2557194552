// Concrete arrays: a dtype, a concrete shape, and typed contiguous row-major storage.
// The value type of the reference interpreter, of `.npy` files and of compiled-kernel arguments.

/// Typed element storage.
public enum Storage: Sendable, Equatable {
    case f32([Float])
    case f64([Double])
    case i32([Int32])
    case bool([Bool])
}

/// A concrete array value.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var storage: Storage

    public var dtype: DType {
        switch storage { case .f32: return .f32; case .f64: return .f64; case .i32: return .i32; case .bool: return .bool }
    }
    public var count: Int {
        switch storage {
        case .f32(let a): return a.count; case .f64(let a): return a.count
        case .i32(let a): return a.count; case .bool(let a): return a.count
        }
    }
    public init(shape: [Int], storage: Storage) { self.shape = shape; self.storage = storage }

    /// Builds a tensor of `dtype` from doubles, rounding to the dtype (f32 rounds to nearest float,
    /// i32 truncates toward zero with wraparound like a C cast of an in-range value, bool is `x != 0`).
    public init(_ dtype: DType, shape: [Int], doubles: [Double]) {
        self.shape = shape
        switch dtype {
        case .f32: storage = .f32(doubles.map { Float($0) })
        case .f64: storage = .f64(doubles)
        case .i32: storage = .i32(doubles.map { Tensor.toInt32($0) })
        case .bool: storage = .bool(doubles.map { $0 != 0 })
        }
    }

    /// A scalar of `dtype`.
    public init(scalar x: Double, _ dtype: DType) { self.init(dtype, shape: [], doubles: [x]) }

    /// All elements widened to Double (exact for every dtype).
    public var doubles: [Double] {
        switch storage {
        case .f32(let a): return a.map(Double.init)
        case .f64(let a): return a
        case .i32(let a): return a.map(Double.init)
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        }
    }

    /// Element `i` (flat, row-major) widened to Double.
    public func element(_ i: Int) -> Double {
        switch storage {
        case .f32(let a): return Double(a[i]); case .f64(let a): return a[i]
        case .i32(let a): return Double(a[i]); case .bool(let a): return a[i] ? 1 : 0
        }
    }

    /// Converts a double to i32 as XLA does: NaN → 0, saturating at the ends, truncating toward zero.
    public static func toInt32(_ x: Double) -> Int32 {
        if x.isNaN { return 0 }
        if x >= 2147483647 { return Int32.max }
        if x <= -2147483648 { return Int32.min }
        return Int32(x.rounded(.towardZero))
    }

    /// Row-major strides of `shape`, in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = Array(repeating: 1, count: shape.count)
        var k = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = k; k *= shape[i] }
        return s
    }
}

/// How a concrete shape fails a type (see `bindShape`).
enum ShapeMismatch: Error {
    case rank
    /// Axis `axis` has size `got` where the type says the constant `expected`.
    case constant(axis: Int, got: Int, expected: Int)
    /// Axis `axis` has size `got` where size variable `name` is already `bound`.
    case variable(axis: Int, got: Int, name: String, bound: Int)
}

/// Checks `shape` against `want`'s shape, binding in `sizes` the size variables it fixes (the one rule of input
/// binding: eager evaluation, kernels and `.npy` arguments all use it). Throws the first mismatch.
func bindShape(_ want: TensorType, _ shape: [Int], sizes: inout [String: Int]) throws {
    guard shape.count == want.rank else { throw ShapeMismatch.rank }
    for (axis, (d, k)) in zip(want.shape, shape).enumerated() {
        switch d {
        case .const(let c): if c != k { throw ShapeMismatch.constant(axis: axis, got: k, expected: c) }
        case .sym(let s):
            if let b = sizes[s], b != k { throw ShapeMismatch.variable(axis: axis, got: k, name: s, bound: b) }
            sizes[s] = k
        }
    }
}

/// Checks concrete inputs against `p`'s inputs (count, dtype, shape) and returns `sizes` with the size variables
/// they fix; size variables already in `sizes` must agree. Errors name the argument.
func bindArguments(_ p: Program, _ inputs: [Tensor], sizes: [String: Int]) throws -> [String: Int] {
    guard inputs.count == p.inputs.count else {
        throw Diagnostic("\(p.name) takes \(p.inputs.count) input(s), got \(inputs.count)")
    }
    let names = p.inputLeafNames
    var sizes = sizes
    for (i, (v, t)) in zip(p.inputs, inputs).enumerated() {
        let name = i < names.count && names.count == p.inputs.count ? names[i] : "input \(i)"
        let got = "\(t.dtype)\(shapeText(t.shape))"
        guard t.dtype == v.type.dtype, t.count == (product(t.shape) ?? -1) else {
            throw Diagnostic("argument '\(name)': expected \(v.type), got \(got)")
        }
        do { try bindShape(v.type, t.shape, sizes: &sizes) } catch let m as ShapeMismatch {
            switch m {
            case .rank: throw Diagnostic("argument '\(name)': expected \(v.type), got \(got)")
            case .constant(let axis, let k, let c):
                throw Diagnostic("argument '\(name)': expected \(v.type), got \(got) (axis \(axis) has size \(k), expected \(c))")
            case .variable(let axis, let k, let s, let b):
                throw Diagnostic("argument '\(name)': expected \(v.type) with \(s) = \(b), got \(got) (axis \(axis) has size \(k))")
            }
        }
    }
    return sizes
}

