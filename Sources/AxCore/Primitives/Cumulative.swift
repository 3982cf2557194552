// The cumulative primitives' record: cumsum, cumprod, cummax, cummin and cumlogsumexp along one axis (jax.lax's),
// optionally from the end. Each is a kernel of its own: one sequential accumulator per line along the axis.

/// Which cumulative operation.
public enum CumulativeKind: String, Sendable, Hashable, CaseIterable {
    case sum = "cumsum", prod = "cumprod", max = "cummax", min = "cummin", logsumexp = "cumlogsumexp"
}

/// The record of the cumulative operations. Floats accumulate in double for sum, prod and logsumexp (as the
/// reductions' sums do); max and min propagate NaN as XLA's.
struct CumulativeRules: PrimitiveRules {
    let kind: CumulativeKind, axis: Int, reverse: Bool
    var name: String { kind.rawValue }
    var paramText: String { "axis=\(axis) reverse=\(reverse ? "True" : "False")" }
    var fusion: FusionKind { .cumulative }
    var isHeavy: Bool { kind == .logsumexp }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        try checkAxes(name, [axis], rank: ins[0].rank)
        guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
        if kind == .logsumexp { guard ins[0].dtype.isFloat else { throw ShapeError("\(name) expects floats, got \(ins[0])") } }
        return ins[0]
    }

    /// The lines along the axis: (count of lines before the axis, the axis length, the stride along it).
    private func lines(_ shape: [Int]) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// `step` over every line of `n` elements, in the scan's order: `step(first, offset)` per element.
    private func forEachLine(_ shape: [Int], _ visit: (_ start: Int, _ stride: Int, _ length: Int) -> Void) {
        let (outer, length, inner) = lines(shape)
        for o in 0..<outer {
            for i in 0..<inner {
                let first = o * length * inner + i
                if reverse { visit(first + (length - 1) * inner, -inner, length) } else { visit(first, inner, length) }
            }
        }
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let shape = args[0].shape
        func scan<T, A>(_ a: [T], _ initial: A, _ combine: (A, T) -> A, _ finish: (A) -> T) -> [T] {
            a.withUnsafeBufferPointer { pa in
                makeArray(pa.count) { out in
                    forEachLine(shape) { start, stride, length in
                        var acc = initial
                        for j in 0..<length {
                            let k = start + j * stride
                            acc = combine(acc, pa[k])
                            out[k] = finish(acc)
                        }
                    }
                }
            }
        }
        let lse = try logAddExp()
        func float<T: BinaryFloatingPoint>(_ a: [T]) -> [T] {
            switch kind {
            case .sum: return scan(a, 0.0 as Double, { $0 + Double($1) }, { T($0) })
            case .prod: return scan(a, 1.0 as Double, { $0 * Double($1) }, { T($0) })
            case .max: return scan(a, -T.infinity, xlaMax, { $0 })
            case .min: return scan(a, T.infinity, xlaMin, { $0 })
            case .logsumexp: return scan(a, -Double.infinity, { lse($0, Double($1)) }, { T($0) })
            }
        }
        switch args[0].storage {
        case .f32(let a): return .f32(float(a))
        case .f64(let a): return .f64(float(a))
        case .i32(let a):
            switch kind {
            case .sum: return .i32(scan(a, Int32(0), { $0 &+ $1 }, { $0 }))
            case .prod: return .i32(scan(a, Int32(1), { $0 &* $1 }, { $0 }))
            case .max: return .i32(scan(a, Int32.min, { Swift.max($0, $1) }, { $0 }))
            case .min: return .i32(scan(a, Int32.max, { Swift.min($0, $1) }, { $0 }))
            case .logsumexp: throw Diagnostic("\(name) expects floats, got i32")
            }
        case .bool: throw Diagnostic("\(name) expects numbers, got bool")
        }
    }

    /// jnp.logaddexp in double, with the runtime's exp and log1p (the kernels' math): NaN when either is NaN,
    /// -inf + -inf = -inf.
    private func logAddExp() throws -> (Double, Double) -> Double {
        typealias Fn = @convention(c) (Double) -> Double
        let exp = unsafeBitCast(try runtimeSymbol(runtimeScalarName("exp", .f64)), to: Fn.self)
        let log1p = unsafeBitCast(try runtimeSymbol(runtimeScalarName("log1p", .f64)), to: Fn.self)
        return { a, b in
            let m = a > b ? a : b, d = a - b
            if d.isNaN { return a + b }
            return m + log1p(exp(-Swift.abs(d)))
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0] else { return [nil] }
        // The transpose of a cumulative sum is the cumulative sum in the other direction.
        if kind == .sum { return [try m.emit(.cumulative(.sum, axis: axis, reverse: !reverse), [ct])] }
        return [try pairwise(e, ct, transposed: true, m)]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0] else { return nil }
        if kind == .sum { return try m.emit(e.prim, [t]) }
        return try pairwise(e, t, transposed: false, m)
    }

    /// The derivative as a matrix per line, `W[i, j] = ∂out_i/∂x_j`, applied to `v`: `Σ_j W[i, j] v_j` (the JVP) or
    /// `Σ_i v_i W[i, j]` (`transposed`, the VJP). logsumexp: `exp(x_j - out_i)` for the j that out_i includes; max
    /// and min: the positions equal to out_i among those, sharing equally (JAX splits ties by its scan's tree, so
    /// ties can differ from JAX); prod: the product of the included elements but x_j (`productMatrix`, no
    /// division, so zeros are exact). O(n²) per line of length n.
    private func pairwise(_ e: Eqn, _ v: Atom, transposed: Bool, _ m: VJPEmitter) throws -> Atom {
        let x = e.inputs[0], t = x.type, r = t.rank
        // The scanned axis last: the lines have shape S + [n].
        let perm = (0..<r).filter { $0 != axis } + [axis]
        let xs = try m.transpose(x, perm), outs = try m.transpose(.v(e.out), perm), vs = try m.transpose(v, perm)
        let s = Array(xs.type.shape.dropLast()), n = xs.type.shape[r - 1]
        let pair = s + [n, n]                                // [..., i, j]
        let alongJ = Array(0..<(r - 1)) + [r], alongI = Array(0..<(r - 1)) + [r - 1]
        let i = try m.emit(.iota(.i32, shape: pair, dimension: r - 1), []), j = try m.emit(.iota(.i32, shape: pair, dimension: r), [])
        let included = try m.binary(reverse ? .ge : .le, j, i)
        let xj = try m.broadcastInDim(xs, pair, alongJ), outi = try m.broadcastInDim(outs, pair, alongI)
        let w: Atom
        if kind == .prod {
            w = try productMatrix(xs, included, i, j, m)
        } else if kind == .logsumexp {
            w = try m.select(included, m.lit(0, x), m.unary(.exp, m.sub(xj, outi)))
        } else {
            let hit = try m.binary(.and, included, m.binary(.eq, xj, outi))
            let ones = try m.convert(hit, t.dtype)
            w = try m.div(ones, m.broadcastInDim(m.reduceSum(ones, [r]), pair, alongI))
        }
        let result = transposed
            ? try m.reduceSum(m.mul(w, m.broadcastInDim(vs, pair, alongI)), [r - 1])
            : try m.reduceSum(m.mul(w, m.broadcastInDim(vs, pair, alongJ)), [r])
        return try m.transpose(result, inversePermutation(perm))
    }
    /// cumprod's `W[i, j] = Π_{k included in out_i, k ≠ j} x_k` for included j, else 0, for lines `xs` (scanned
    /// axis last): column j, read along i in the scan's order, starts at `E_j` (the product of the elements before
    /// x_j, the exclusive cumulative product) at i = j and takes one more factor x_i per step, so it is the
    /// cumulative product along i of `A[i, j]` = 1 before j, `E_j` at j, x_i after j; masked to the included pairs.
    private func productMatrix(_ xs: Atom, _ included: Atom, _ i: Atom, _ j: Atom, _ m: VJPEmitter) throws -> Atom {
        let r = xs.type.rank, pair = Array(xs.type.shape.dropLast()) + [xs.type.shape[r - 1], xs.type.shape[r - 1]]
        let alongJ = Array(0..<(r - 1)) + [r], alongI = Array(0..<(r - 1)) + [r - 1]
        let exclusive = try m.exclusiveProduct(xs, axis: r - 1, reverse: reverse)
        let after = try m.binary(.and, included, m.binary(.ne, i, j))
        let a = try m.select(m.binary(.eq, i, j),
                             m.select(after, m.lit(1, xs), m.broadcastInDim(xs, pair, alongI)),
                             m.broadcastInDim(exclusive, pair, alongJ))
        let scanned = try m.emit(.cumulative(.prod, axis: r - 1, reverse: reverse), [a])
        return try m.select(included, m.lit(0, xs), scanned)
    }

    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        let x = ins[0]
        return Batched(try b.b.emit(.cumulative(kind, axis: bump([axis], x.bdim)[0], reverse: reverse), [x.atom]), x.bdim)
    }

    /// One loop over the lines, each scanned in order by one accumulator (the operand is a buffer).
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        let x = e.inputs[0], t = e.out.type.dtype, shape = x.type.shape
        guard let v = x.variable, let src = k.bufferName(v) else {
            // A literal or scalar operand: a line of one element is its own cumulative value.
            try k.emitMap(target: target, shape: shape, flat: true) { try k.gen(x, k.operandIndex(x, $0)) }
            return
        }
        let acc: String, identity: String, combine: (String, String) -> String
        switch kind {
        case .sum, .prod:
            let isFloat = t.isFloat
            acc = isFloat ? "double" : "int32_t"
            identity = kind == .sum ? (isFloat ? "0.0" : "0") : (isFloat ? "1.0" : "1")
            let c = isFloat ? CTemplate(text: kind == .sum ? "($0 + $1)" : "($0 * $1)") : BinaryOp(rawValue: kind == .sum ? "add" : "mul")!.def.c(.i32)
            combine = { c.apply([$0, $1]) }
        case .max, .min:
            acc = t.cType
            identity = kind == .max ? (t == .i32 ? "(-2147483647-1)" : cLiteral(-.infinity, t)) : (t == .i32 ? "2147483647" : cLiteral(.infinity, t))
            let c = kind == .max ? maxTemplate(t) : minTemplate(t)
            combine = { c.apply([$0, $1]) }
        case .logsumexp:
            acc = "double"
            identity = cLiteral(-.infinity, .f64)
            let exp = runtimeScalarName("exp", .f64), log1p = runtimeScalarName("log1p", .f64)
            k.runtime.formUnion([exp, log1p])
            combine = { a, b in "(\(a) - \(b) != \(a) - \(b) ? \(a) + \(b) : (\(a) > \(b) ? \(a) : \(b)) + \(log1p)(\(exp)(-fabs(\(a) - \(b)))))" }
        }
        let outer = k.count(Array(shape[..<axis])), length = k.dim(shape[axis]), inner = k.count(Array(shape[(axis + 1)...]))
        try k.loops([outer, inner]) { oi in
            let a = k.fresh("acc"), j = k.fresh("j"), p = k.fresh("t")
            k.line("\(acc) \(a) = \(identity);")
            k.block("for (int64_t \(j) = 0; \(j) < \(length); \(j)++)") {
                let pos = reverse ? "(\(length) - 1 - \(j))" : j
                k.line("int64_t \(p) = (\(oi[0]) * \(length) + \(pos)) * \(inner) + \(oi[1]);")
                let xv = kind == .logsumexp ? "(double)\(src)[\(p)]" : "\(src)[\(p)]"
                k.line("\(a) = \(combine(a, k.isSimple(xv) ? xv : k.bind(acc, xv)));")
                k.line("\(target)[\(p)] = (\(t.cType))\(a);")
            }
        }
    }
}

extension VJPEmitter {
    /// The exclusive cumulative product of `x` along `axis` (`[1, x0, x0·x1, ...]`, or from the end when `reverse`):
    /// the cumulative product moved one place, 1 coming in. No division, so zeros are exact.
    func exclusiveProduct(_ x: Atom, axis: Int, reverse: Bool) throws -> Atom {
        let zeros = Array(repeating: 0, count: x.type.rank)
        func at(_ v: Int) -> [Int] { var z = zeros; z[axis] = v; return z }
        let c = try emit(.cumulative(.prod, axis: axis, reverse: reverse), [x])
        return try emit(.pad(low: at(reverse ? -1 : 1), high: at(reverse ? 1 : -1), interior: zeros), [c, lit(1, x)])
    }
}
