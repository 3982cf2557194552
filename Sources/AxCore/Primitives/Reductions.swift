// The reductions' record: reduce_sum, reduce_max, reduce_min and reduce_prod over a set of axes — shape rule,
// evaluation (f32 sums and products accumulate in double), VJP (JAX's: max/min split the cotangent among ties; prod's
// the product of the others, zeros included), batching and the C accumulator.

/// Which reduction.
enum ReduceKind: Sendable { case sum, max, min, prod }

/// The record of reduce_sum, reduce_max and reduce_min.
struct ReduceRules: PrimitiveRules {
    let kind: ReduceKind
    let axes: [Int]
    var primitive: Primitive {
        switch kind {
        case .sum: return .reduceSum(axes: axes); case .max: return .reduceMax(axes: axes)
        case .min: return .reduceMin(axes: axes); case .prod: return .reduceProd(axes: axes)
        }
    }
    var name: String {
        switch kind { case .sum: return "reduce_sum"; case .max: return "reduce_max"; case .min: return "reduce_min"; case .prod: return "reduce_prod" }
    }
    var paramText: String { "axes=\(paramList(axes))" }
    var fusion: FusionKind { .reduction }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        try checkAxes(name, axes, rank: ins[0].rank)
        guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
        return TensorType(ins[0].dtype, keptAxes(ins[0].rank, axes).map { ins[0].shape[$0] })
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let x = args[0], outCount = outShape.reduce(1, *)
        let shape = x.shape, strides = Tensor.strides(shape)
        let kept = keptAxes(shape.count, axes)
        let keptShape = kept.map { shape[$0] }, keptStrides = kept.map { strides[$0] }
        let redShape = axes.sorted().map { shape[$0] }, redStrides = axes.sorted().map { strides[$0] }
        let outStrides = Tensor.strides(keptShape)
        let simplified = simplifyBox(redShape, [redStrides])
        let rsh = simplified.shape, rst = simplified.strides[0], emptyReduction = redShape.contains(0)

        /// Reduces each output element's box from `initial` with `step(acc, row pointer, n, stride)`, then `finish(acc)`.
        func run<T, A>(_ a: [T], _ initial: A, _ step: (A, UnsafePointer<T>, Int, Int) -> A, _ finish: (A) -> T) -> [T] {
            a.withUnsafeBufferPointer { pa in
                makeArray(outCount) { out in
                    let src = pa.baseAddress
                    forEachRow(keptShape, [keptStrides, outStrides], bases: [0, 0]) { off, n, inner in
                        for i in 0..<n {
                            var acc = initial
                            if let src, !emptyReduction {
                                walkRows(rsh, rst, base: off[0] + i * inner[0]) { o, m, st in acc = step(acc, src + o, m, st) }
                            }
                            out[off[1] + i * inner[1]] = finish(acc)
                        }
                    }
                }
            }
        }
        /// The reduction with `combine` from `initial`, accumulating in `A`.
        func reduce<T, A>(_ a: [T], _ initial: A, _ combine: (A, T) -> A, _ finish: (A) -> T) -> [T] {
            run(a, initial, { acc, s, n, st in
                var acc = acc
                for i in 0..<n { acc = combine(acc, s[i * st]) }
                return acc
            }, finish)
        }
        func float<T: BinaryFloatingPoint>(_ a: [T]) -> [T] {
            switch kind {
            case .sum: return reduce(a, 0.0 as Double, { $0 + Double($1) }, { T($0) })
            case .prod: return reduce(a, 1.0 as Double, { $0 * Double($1) }, { T($0) })
            case .max: return reduce(a, -T.infinity, xlaMax, { $0 })
            case .min: return reduce(a, T.infinity, xlaMin, { $0 })
            }
        }
        switch x.storage {
        case .f32(let a): return .f32(float(a))
        case .f64(let a): return .f64(float(a))
        case .i32(let a):
            switch kind {
            case .sum: return .i32(reduce(a, Int32(0), { $0 &+ $1 }, { $0 }))
            case .prod: return .i32(reduce(a, Int32(1), { $0 &* $1 }, { $0 }))
            case .max: return .i32(reduce(a, Int32.min, { Swift.max($0, $1) }, { $0 }))
            case .min: return .i32(reduce(a, Int32.max, { Swift.min($0, $1) }, { $0 }))
            }
        case .bool: throw Diagnostic("\(name) expects numbers, got bool")
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        let t = e.inputs[0].type, kept = keptAxes(t.rank, axes)
        if kind == .sum { return [try m.broadcastInDim(ct, t.shape, kept)] }
        if kind == .prod { return [try m.mul(m.broadcastInDim(ct, t.shape, kept), othersProduct(e.inputs[0], m))] }
        // JAX's _reduce_chooser_jvp_rule: the cotangent is split equally among all extremal positions.
        let location = try m.convert(m.binary(.eq, e.inputs[0], m.broadcastInDim(.v(e.out), t.shape, kept)), t.dtype)
        let counts = try m.reduceSum(location, axes)
        return [try m.mul(location, m.broadcastInDim(m.div(ct, counts), t.shape, kept))]
    }

    /// max/min: JAX's _reduce_chooser_jvp_rule, the mean of the tangent over all extremal positions.
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0] else { return nil }
        if kind == .sum { return try m.reduceSum(t, axes) }
        if kind == .prod { return try m.reduceSum(m.mul(t, othersProduct(e.inputs[0], m)), axes) }
        let x = e.inputs[0], ty = x.type, kept = keptAxes(ty.rank, axes)
        let location = try m.convert(m.binary(.eq, x, m.broadcastInDim(.v(e.out), ty.shape, kept)), ty.dtype)
        return try m.div(m.reduceSum(m.mul(t, location), axes), m.reduceSum(location, axes))
    }

    /// The shifted axes are reduced; the batch axis moves left past the reduced axes before it.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        guard let d = x.bdim else { return Batched(try b.b.emit(primitive, [x.atom]), nil) }
        let shifted = ReduceRules(kind: kind, axes: bump(axes, d))
        return Batched(try b.b.emit(shifted.primitive, [x.atom]), d - axes.filter { $0 < d }.count)
    }

    /// f32 sums accumulate in double; max and min propagate NaN as XLA does.
    func reduceRule(_ t: DType) -> ReduceRule? {
        switch kind {
        case .sum:
            switch t {
            case .f32, .f64: return ReduceRule(accType: "double", identity: "0.0", combine: CTemplate(text: "($0 + $1)"), isSum: true)
            case .i32: return ReduceRule(accType: "int32_t", identity: "0", combine: wrappingAdd, isSum: true)
            case .bool: return nil
            }
        case .prod:
            switch t {
            case .f32, .f64: return ReduceRule(accType: "double", identity: "1.0", combine: CTemplate(text: "($0 * $1)"), isSum: false)
            case .i32: return ReduceRule(accType: "int32_t", identity: "1", combine: BinaryOp.mul.def.c(.i32), isSum: false)
            case .bool: return nil
            }
        case .max:
            let lo = t == .i32 ? "(-2147483647-1)" : cLiteral(-.infinity, t)
            return ReduceRule(accType: t.cType, identity: lo, combine: maxTemplate(t), isSum: false)
        case .min:
            let hi = t == .i32 ? "2147483647" : cLiteral(.infinity, t)
            return ReduceRule(accType: t.cType, identity: hi, combine: minTemplate(t), isSum: false)
        }
    }
}

extension ReduceRules {
    /// For each element of `x`, the product of the other elements of its reduced block (no division, so zeros are
    /// right): the reduced axes moved last and flattened, exclusive cumulative products from both ends multiplied.
    /// The block must have a constant size.
    func othersProduct(_ x: Atom, _ m: VJPEmitter) throws -> Atom {
        let t = x.type, sorted = axes.sorted(), kept = keptAxes(t.rank, sorted)
        guard let r = sorted.map({ t.shape[$0].constValue }).reduce(Optional(1), { a, b in a.flatMap { a in b.map { a * $0 } } }) else {
            throw Diagnostic("the derivative of prod over a size-variable axis is not supported yet")
        }
        let moved = try m.transpose(x, kept + sorted)
        let rows = try m.reshape(moved, kept.map { t.shape[$0] } + [.const(r)])
        let last = kept.count
        let others = try m.mul(m.exclusiveProduct(rows, axis: last, reverse: false), m.exclusiveProduct(rows, axis: last, reverse: true))
        let back = try m.reshape(others, (kept + sorted).map { t.shape[$0] })
        return try m.transpose(back, inversePermutation(kept + sorted))
    }
}

extension PrimitiveRules {
    /// The axes of a reduction; nil for any other primitive.
    var reducedAxes: [Int]? { (self as? ReduceRules)?.axes }
}
