// The constructors' record: iota, an array from its index alone (no operands): fused as an index remap.

/// `iota`: the index along `dimension`, of dtype `dtype` and shape `shape`.
struct IotaRules: PrimitiveRules {
    let dtype: DType, shape: [Dim], dimension: Int
    var name: String { "iota" }
    var paramText: String { "dtype=\(dtype) shape=\(paramList(shape)) dimension=\(dimension)" }
    var fusion: FusionKind { .indexRemap }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 0)
        guard dimension >= 0 && dimension < shape.count else { throw ShapeError("iota: dimension \(dimension) out of range") }
        return TensorType(dtype, shape)
    }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { .iota(dtype, shape: try shape.map(f), dimension: dimension) }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let n = outShape.reduce(1, *)
        let inner = Tensor.strides(outShape)[dimension], size = outShape[dimension]
        // Nested loops (outer index, index along `dimension`, inner run of equal values): no division per element.
        func fill<T>(_ f: (Int) -> T) -> [T] {
            makeArray(n) { out in
                guard n > 0 else { return }
                var i = 0
                for _ in 0..<(n / (size * inner)) {
                    for s in 0..<size {
                        let v = f(s)
                        for _ in 0..<inner { out[i] = v; i += 1 }
                    }
                }
            }
        }
        switch dtype {
        case .f32: return .f32(fill { Float($0) })
        case .f64: return .f64(fill { Double($0) })
        case .i32: return .i32(fill { Int32(truncatingIfNeeded: $0) })
        case .bool: return .bool(fill { $0 != 0 })
        }
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] { [] }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? { nil }
    /// No operands, so never mapped.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        Batched(try b.b.emit(.iota(dtype, shape: shape, dimension: dimension), []), nil)
    }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        guard case .multi(let ix) = idx else { throw InternalError("codegen: flat iota") }
        return "((\(dtype.cType))(\(ix[dimension])))"
    }
}
