// The primitive set of the IR (names from jax.lax), their printed parameters, and their shape rules.
// Some switches over `Primitive` have no `default` (name, parameters, shape rule, evaluation, batching, VJP, fusion
// class, C expression): a new primitive does not compile until it has those rules. Others have a `default` and
// must be checked by hand; docs/pipeline.md lists both kinds.

/// Element-wise unary primitives.
public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    case neg, exp, log, log1p, sqrt, abs, sin, cos, tanh, logistic, sign
    case not
}

/// Element-wise binary primitives (operands of equal shape, or a scalar literal).
public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add, sub, mul, div, pow, max, min
    case lt, le, gt, ge, eq, ne
    case and, or
    public var isComparison: Bool {
        switch self { case .lt, .le, .gt, .ge, .eq, .ne: return true; default: return false }
    }
    public var isLogical: Bool { self == .and || self == .or }
}

/// `dot_general`'s dimension numbers: contracting and batch dimensions of each side.
public struct DotDims: Hashable, Sendable {
    public var lhsContract: [Int], rhsContract: [Int], lhsBatch: [Int], rhsBatch: [Int]
    public init(lhsContract: [Int], rhsContract: [Int], lhsBatch: [Int] = [], rhsBatch: [Int] = []) {
        self.lhsContract = lhsContract; self.rhsContract = rhsContract
        self.lhsBatch = lhsBatch; self.rhsBatch = rhsBatch
    }
}

/// A primitive operation and its static parameters.
public enum Primitive: Hashable, Sendable {
    case unary(UnaryOp)
    case binary(BinaryOp)
    /// `x ** y` for a constant integer `y` (what `x ** 2` becomes, as in JAX).
    case integerPow(Int)
    case convert(DType)
    /// `select_n(pred, on_false, on_true)`: element-wise choice; pred is bool of the same shape or a scalar.
    case select
    case reduceSum(axes: [Int])
    case reduceMax(axes: [Int])
    case reduceMin(axes: [Int])
    /// Operand dimension `i` becomes output dimension `dims[i]`; the others are broadcast.
    case broadcastInDim(shape: [Dim], dims: [Int])
    case reshape([Dim])
    case transpose([Int])
    case slice(start: [Int], limit: [Dim], strides: [Int])
    /// `pad(x, v)`: low/high/interior padding per dimension, with padding value operand `v` (a scalar).
    case pad(low: [Int], high: [Int], interior: [Int])
    case concatenate(axis: Int)
    case dotGeneral(DotDims)
    case iota(DType, shape: [Dim], dimension: Int)
    /// `stop_gradient(x)`: the identity with a zero derivative; removed by `lower` before codegen.
    case stopGradient

    /// The name printed in the IR (jaxpr's).
    public var name: String {
        switch self {
        case .unary(let op): return op.rawValue
        case .binary(let op): return op.rawValue
        case .integerPow: return "integer_pow"
        case .convert: return "convert_element_type"
        case .select: return "select_n"
        case .reduceSum: return "reduce_sum"
        case .reduceMax: return "reduce_max"
        case .reduceMin: return "reduce_min"
        case .broadcastInDim: return "broadcast_in_dim"
        case .reshape: return "reshape"
        case .transpose: return "transpose"
        case .slice: return "slice"
        case .pad: return "pad"
        case .concatenate: return "concatenate"
        case .dotGeneral: return "dot_general"
        case .iota: return "iota"
        case .stopGradient: return "stop_gradient"
        }
    }

    /// Parameters as printed inside `[...]`, jaxpr style; empty for none.
    public var paramText: String {
        func list<T>(_ xs: [T]) -> String { "(" + xs.map { "\($0)" }.joined(separator: ", ") + (xs.count == 1 ? ",)" : ")") }
        switch self {
        case .unary, .binary, .select, .stopGradient: return ""
        case .integerPow(let y): return "y=\(y)"
        case .convert(let t): return "new_dtype=\(t)"
        case .reduceSum(let a), .reduceMax(let a), .reduceMin(let a): return "axes=\(list(a))"
        case .broadcastInDim(let s, let d): return "shape=\(list(s)) broadcast_dimensions=\(list(d))"
        case .reshape(let s): return "new_sizes=\(list(s))"
        case .transpose(let p): return "permutation=\(list(p))"
        case .slice(let s, let l, let st): return "start_indices=\(list(s)) limit_indices=\(list(l)) strides=\(list(st))"
        case .pad(let lo, let hi, let inr):
            return "padding_config=" + list(zip(zip(lo, hi), inr).map { "(\($0.0.0), \($0.0.1), \($0.1))" })
        case .concatenate(let a): return "dimension=\(a)"
        case .dotGeneral(let d):
            return "dimension_numbers=((\(list(d.lhsContract)), \(list(d.rhsContract))), (\(list(d.lhsBatch)), \(list(d.rhsBatch))))"
        case .iota(let t, let s, let d): return "dtype=\(t) shape=\(list(s)) dimension=\(d)"
        }
    }

    /// True for primitives that act element by element (fusable into one loop body).
    public var isElementwise: Bool {
        switch self {
        case .unary, .binary, .integerPow, .convert, .select: return true
        default: return false
        }
    }
}

/// A shape error without a location; passes attach the equation's source range.
public struct ShapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Primitive {
    /// The shape rule: the output type for operands of types `ins`, or a `ShapeError`.
    /// `inIsLiteral[i]` marks scalar literal operands, which broadcast against any shape.
    public func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        func arity(_ k: Int) throws {
            if ins.count != k { throw ShapeError("\(name) takes \(k) operand(s), got \(ins.count)") }
        }
        func checkAxes(_ axes: [Int], rank: Int) throws {
            if Set(axes).count != axes.count || axes.contains(where: { $0 < 0 || $0 >= rank }) {
                throw ShapeError("\(name): axes \(axes) out of range for rank \(rank)")
            }
        }
        // The common shape of element-wise operands (literal scalars adapt).
        func elementwiseShape(_ ts: [TensorType], _ lits: [Bool]) throws -> [Dim] {
            var shape: [Dim]? = nil
            for (t, lit) in zip(ts, lits) where !(lit && t.isScalar) {
                if let s = shape, s != t.shape {
                    throw ShapeError("\(name): operand shapes \(TensorType(t.dtype, s)) and \(t) differ")
                }
                shape = t.shape
            }
            return shape ?? []
        }
        switch self {
        case .unary(let op):
            try arity(1)
            let t = ins[0]
            if op == .not { guard t.dtype == .bool || t.dtype == .i32 else { throw ShapeError("not expects bool, got \(t)") } }
            else if op == .neg || op == .abs || op == .sign {
                guard t.dtype != .bool else { throw ShapeError("\(name) expects a number, got \(t)") }
            } else {
                guard t.dtype.isFloat else { throw ShapeError("\(name) expects a float, got \(t)") }
            }
            return t
        case .binary(let op):
            try arity(2)
            if ins[0].dtype != ins[1].dtype {
                throw ShapeError("\(name): operand dtypes differ: \(ins[0]) and \(ins[1])")
            }
            let shape = try elementwiseShape(ins, literal)
            if op.isLogical {
                guard ins[0].dtype == .bool || ins[0].dtype == .i32 else { throw ShapeError("\(name) expects bool, got \(ins[0])") }
                return TensorType(ins[0].dtype, shape)
            }
            if op.isComparison { return TensorType(.bool, shape) }
            guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
            if op == .pow { guard ins[0].dtype.isFloat else { throw ShapeError("pow expects floats, got \(ins[0])") } }
            return TensorType(ins[0].dtype, shape)
        case .integerPow:
            try arity(1)
            guard ins[0].dtype != .bool else { throw ShapeError("integer_pow expects a number, got \(ins[0])") }
            return ins[0]
        case .convert(let t):
            try arity(1)
            return ins[0].with(dtype: t)
        case .select:
            try arity(3)
            guard ins[0].dtype == .bool else { throw ShapeError("select_n predicate must be bool, got \(ins[0])") }
            guard ins[1].dtype == ins[2].dtype else { throw ShapeError("select_n branches differ in dtype: \(ins[1]) and \(ins[2])") }
            let shape = try elementwiseShape(ins, literal)
            return TensorType(ins[1].dtype, shape)
        case .reduceSum(let axes), .reduceMax(let axes), .reduceMin(let axes):
            try arity(1)
            try checkAxes(axes, rank: ins[0].rank)
            guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
            let shape = ins[0].shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            return TensorType(ins[0].dtype, shape)
        case .broadcastInDim(let shape, let dims):
            try arity(1)
            let t = ins[0]
            guard dims.count == t.rank else { throw ShapeError("broadcast_in_dim: \(dims.count) dimensions for operand \(t)") }
            for (i, d) in dims.enumerated() {
                guard d >= 0 && d < shape.count, i == 0 || dims[i - 1] < d else {
                    throw ShapeError("broadcast_in_dim: bad broadcast_dimensions \(dims) for \(t) to \(shape)")
                }
                guard t.shape[i] == shape[d] || t.shape[i] == .const(1) else {
                    throw ShapeError("cannot broadcast \(t) to shape [\(shape.map(\.description).joined(separator: ","))]")
                }
            }
            return TensorType(t.dtype, shape)
        case .reshape(let shape):
            try arity(1)
            if let a = elementCountExpr(ins[0].shape), let b = elementCountExpr(shape), a != b {
                throw ShapeError("cannot reshape \(ins[0]) to [\(shape.map(\.description).joined(separator: ","))]")
            }
            return TensorType(ins[0].dtype, shape)
        case .transpose(let perm):
            try arity(1)
            guard perm.sorted() == Array(0..<ins[0].rank) else {
                throw ShapeError("transpose: permutation \(perm) does not fit \(ins[0])")
            }
            return TensorType(ins[0].dtype, perm.map { ins[0].shape[$0] })
        case .slice(let start, let limit, let strides):
            try arity(1)
            let t = ins[0]
            guard start.count == t.rank, limit.count == t.rank, strides.count == t.rank else {
                throw ShapeError("slice: indices do not match rank of \(t)")
            }
            var shape: [Dim] = []
            for i in 0..<t.rank {
                guard strides[i] >= 1, start[i] >= 0 else { throw ShapeError("slice: bad start or stride on axis \(i) of \(t)") }
                if limit[i] == t.shape[i] && start[i] == 0 && strides[i] == 1 { shape.append(t.shape[i]); continue }
                guard let l = limit[i].constValue else {
                    throw ShapeError("slice: limit \(limit[i]) must be a constant on axis \(i) of \(t)")
                }
                if let size = t.shape[i].constValue, l > size { throw ShapeError("slice: limit \(l) exceeds axis \(i) of \(t)") }
                guard l >= start[i] else { throw ShapeError("slice: limit \(l) before start \(start[i])") }
                shape.append(.const((l - start[i] + strides[i] - 1) / strides[i]))
            }
            return TensorType(t.dtype, shape)
        case .pad(let lo, let hi, let interior):
            try arity(2)
            let t = ins[0]
            guard lo.count == t.rank, hi.count == t.rank, interior.count == t.rank, ins[1].isScalar, ins[1].dtype == t.dtype else {
                throw ShapeError("pad: configuration does not match \(t)")
            }
            var shape: [Dim] = []
            for i in 0..<t.rank {
                if lo[i] == 0 && hi[i] == 0 && interior[i] == 0 { shape.append(t.shape[i]); continue }
                guard let k = t.shape[i].constValue else { throw ShapeError("pad: axis \(i) of \(t) must be constant") }
                let size = lo[i] + hi[i] + k + max(0, k - 1) * interior[i]
                guard size >= 0 else { throw ShapeError("pad: negative size on axis \(i)") }
                shape.append(.const(size))
            }
            return TensorType(t.dtype, shape)
        case .concatenate(let axis):
            guard let first = ins.first else { throw ShapeError("concatenate needs at least one operand") }
            guard axis >= 0 && axis < first.rank else { throw ShapeError("concatenate: axis \(axis) out of range for \(first)") }
            var total = 0
            for t in ins {
                guard t.dtype == first.dtype, t.rank == first.rank else { throw ShapeError("concatenate: \(t) does not match \(first)") }
                for i in 0..<t.rank where i != axis && t.shape[i] != first.shape[i] {
                    throw ShapeError("concatenate: \(t) and \(first) differ on axis \(i)")
                }
                guard let k = t.shape[axis].constValue else {
                    if ins.count == 1 { return first }
                    throw ShapeError("concatenate: axis \(axis) of \(t) must be constant")
                }
                total += k
            }
            var shape = first.shape; shape[axis] = .const(total)
            return TensorType(first.dtype, shape)
        case .dotGeneral(let d):
            try arity(2)
            let (l, r) = (ins[0], ins[1])
            guard l.dtype == r.dtype, l.dtype != .bool else { throw ShapeError("dot_general: dtypes \(l) and \(r)") }
            guard d.lhsContract.count == d.rhsContract.count, d.lhsBatch.count == d.rhsBatch.count else {
                throw ShapeError("dot_general: unbalanced dimension numbers")
            }
            try checkAxes(d.lhsContract + d.lhsBatch, rank: l.rank)
            try checkAxes(d.rhsContract + d.rhsBatch, rank: r.rank)
            for (a, b) in zip(d.lhsContract, d.rhsContract) where l.shape[a] != r.shape[b] {
                throw ShapeError("contracting dimension \(a) of \(l) (size \(l.shape[a])) does not match dimension \(b) of \(r) (size \(r.shape[b]))")
            }
            for (a, b) in zip(d.lhsBatch, d.rhsBatch) where l.shape[a] != r.shape[b] {
                throw ShapeError("batch dimension \(a) of \(l) does not match dimension \(b) of \(r)")
            }
            let batch = d.lhsBatch.map { l.shape[$0] }
            let lFree = (0..<l.rank).filter { !d.lhsContract.contains($0) && !d.lhsBatch.contains($0) }.map { l.shape[$0] }
            let rFree = (0..<r.rank).filter { !d.rhsContract.contains($0) && !d.rhsBatch.contains($0) }.map { r.shape[$0] }
            return TensorType(l.dtype, batch + lFree + rFree)
        case .iota(let t, let shape, let dim):
            try arity(0)
            guard dim >= 0 && dim < shape.count else { throw ShapeError("iota: dimension \(dim) out of range") }
            return TensorType(t, shape)
        case .stopGradient:
            try arity(1)
            return ins[0]
        }
    }
}

/// A canonical form of a symbolic element count (constant product and sorted size variables), for reshape checks.
func elementCountExpr(_ shape: [Dim]) -> String? {
    var k = 1; var syms: [String] = []
    for d in shape {
        switch d { case .const(let c): k *= c; case .sym(let s): syms.append(s) }
    }
    if k == 0 { return "0" }
    return "\(k)*" + syms.sorted().joined(separator: "*")
}
