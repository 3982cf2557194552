// IR types: dtypes, dimensions (constant or size variable) and tensor types like `f32[n,5]`.

/// Element types of the language.
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case f32, f64, i32, bool
    public var description: String { rawValue }
    public var isFloat: Bool { self == .f32 || self == .f64 }
    /// Bytes per element in memory and in `.npy` files.
    public var byteSize: Int {
        switch self { case .f32, .i32: return 4; case .f64: return 8; case .bool: return 1 }
    }
    /// The C type of one element in emitted kernels.
    public var cType: String {
        switch self { case .f32: return "float"; case .f64: return "double"; case .i32: return "int32_t"; case .bool: return "uint8_t" }
    }
}

/// One dimension: a constant, or a size variable bound at call time (`n`).
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case const(Int)
    case sym(String)
    public var description: String {
        switch self { case .const(let k): return String(k); case .sym(let s): return s }
    }
    public var constValue: Int? { if case .const(let k) = self { return k }; return nil }
    public var symName: String? { if case .sym(let s) = self { return s }; return nil }
    /// The concrete size given bindings of the size variables (nil if unbound).
    public func resolve(_ sizes: [String: Int]) -> Int? {
        switch self { case .const(let k): return k; case .sym(let s): return sizes[s] }
    }
}

/// The largest array axc builds, allocates or loops over: 2^31 elements and 16 GiB (eager, kernels, generated and
/// loaded inputs alike). Kernels' own size check allows 2^48 elements: it only guards their index arithmetic.
public let maxArrayElements = 1 << 31
public let maxArrayBytes = 16 << 30

/// The type of an IR value: a dtype and a shape (rank 0 is a scalar).

public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dim]
    public init(_ dtype: DType, _ shape: [Dim] = []) { self.dtype = dtype; self.shape = shape }
    public var rank: Int { shape.count }
    public var isScalar: Bool { shape.isEmpty }
    /// `f32[n,5]`, or `f32[]` for a scalar (jaxpr style).
    public var description: String { "\(dtype)[\(shape.map(\.description).joined(separator: ","))]" }
    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }
    public func with(shape: [Dim]) -> TensorType { TensorType(dtype, shape) }
    /// Size variables in order of first appearance.
    public var sizeVars: [String] { shape.compactMap(\.symName) }
    /// Concrete element count given the sizes (nil if a size variable is unbound).
    /// Saturates at `Int.max` instead of overflowing.
    public func elementCount(_ sizes: [String: Int]) -> Int? {
        var n = 1
        for d in shape {
            guard let k = d.resolve(sizes) else { return nil }
            let (m, o) = n.multipliedReportingOverflow(by: Swift.max(k, 0))
            n = o ? Int.max : m
        }
        return n
    }
    /// A message when the fixed dimensions of this type alone make more than `maxArrayElements` elements
    /// (with size variables: for every nonzero value of them). Every type in the IR passes this check, so the
    /// product of a type's constant dimensions never overflows an `Int` anywhere in the compiler.
    public var fixedSizeProblem: String? {
        var n = 1
        for k in shape.compactMap(\.constValue) {
            let (m, o) = n.multipliedReportingOverflow(by: Swift.max(k, 0))
            n = o ? Int.max : m
        }
        guard n > maxArrayElements else { return nil }
        let count = n == Int.max ? "more than 2^63" : String(n)
        if shape.allSatisfy({ $0.constValue != nil }) { return "\(self) has \(count) elements; the limit is 2^31" }
        return "\(self) has too many elements: its fixed dimensions alone make \(count); the limit is 2^31"
    }
    public func concreteShape(_ sizes: [String: Int]) -> [Int]? {
        var out: [Int] = []
        for d in shape { guard let k = d.resolve(sizes) else { return nil }; out.append(k) }
        return out
    }
}

/// The structure of a pytree of leaves (tuples nest; a leaf is one IR value).
public indirect enum TreeDef: Hashable, Sendable, CustomStringConvertible {
    case leaf
    case tuple([TreeDef])
    public var leafCount: Int {
        switch self { case .leaf: return 1; case .tuple(let cs): return cs.reduce(0) { $0 + $1.leafCount } }
    }
    public var description: String {
        switch self {
        case .leaf: return "*"
        case .tuple(let cs): return "(" + cs.map(\.description).joined(separator: ", ") + (cs.count == 1 ? ",)" : ")")
        }
    }
    /// Leaf paths in depth-first order: `[]` for a leaf, `[0, 1]` for the second leaf of the first child.
    public var leafPaths: [[Int]] {
        switch self {
        case .leaf: return [[]]
        case .tuple(let cs):
            var out: [[Int]] = []
            for (i, c) in cs.enumerated() { for p in c.leafPaths { out.append([i] + p) } }
            return out
        }
    }
}
