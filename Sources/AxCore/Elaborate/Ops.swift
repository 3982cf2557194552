// Array operations for the elaborator: operators with NumPy broadcasting and weak literals, `@`, indexing,
// `.T` and select, emitted as IR equations into a `Builder` in the shapes jax.numpy would produce.

import Foundation

/// One item of `x[...]`: an index (an int literal, an `i32` scalar, or `None` for a new axis) or a static slice.
enum IndexArg {
    case index(Value, SourceRange)
    case slice(Value?, Value?, Value?, SourceRange)
}

/// Emits the IR of the language's operators and builtins (docs/language.md) into a `Builder`.
/// Every public entry sets `b.loc` to its source range; shape-rule failures become located diagnostics.
struct Ops {
    let b: Builder
    init(_ b: Builder) { self.b = b }

    // MARK: - Emission helpers

    /// Emits one equation at `b.loc`, turning a shape-rule failure into a located diagnostic.
    @discardableResult
    func emit(_ p: Primitive, _ ins: [Atom]) throws -> Atom {
        do { return try b.emit(p, ins) } catch let e as ShapeError { throw Diagnostic(e.message, at: b.loc) }
    }

    /// The atom of an array value, or an error naming the operation that wanted one.
    func arrayAtom(_ v: Value, _ what: String, _ r: SourceRange) throws -> (atom: Atom, weak: Bool) {
        if case .array(let a, let w) = v { return (a, w) }
        throw Diagnostic("\(what) expects an array, got \(v.typeDescription)", at: r)
    }

    /// `a` converted to dtype `t` (`convert_element_type` unless it already is; literals are retagged).
    func cast(_ a: Atom, _ t: DType) throws -> Atom {
        if a.type.dtype == t { return a }
        if case .lit(let x, _) = a { return .lit(rounded(x, t), t) }
        return try emit(.convert(t), [a])
    }

    /// `a` broadcast to `shape` with NumPy rules, jaxpr style: size-1 axes that expand are first dropped by a
    /// `reshape`, then one `broadcast_in_dim` places the rest; scalar literals stay literals.
    func broadcast(_ a: Atom, to shape: [Dim]) throws -> Atom {
        let s = a.type.shape
        if s == shape || (a.isLiteral && s.isEmpty) { return a }
        let lead = shape.count - s.count
        var kept: [Dim] = [], dims: [Int] = []
        for (i, d) in s.enumerated() where lead >= 0 {
            if d == shape[lead + i] { kept.append(d); dims.append(lead + i) }
            else if d != .const(1) { kept = []; dims = [-1]; break }
        }
        guard lead >= 0, !dims.contains(-1) else {
            throw Diagnostic("cannot broadcast \(a.type) to shape \(shapeText(shape))", at: b.loc)
        }
        var x = a
        if kept.count < s.count { x = try emit(.reshape(kept), [x]) }
        return try emit(.broadcastInDim(shape: shape, dims: dims), [x])
    }

    /// `a` with new size-1 axes at output positions `axes` (sorted), as `broadcast_in_dim` (jax's expand_dims).
    func expandDims(_ a: Atom, at axes: [Int]) throws -> Atom {
        if axes.isEmpty { return a }
        var shape = a.type.shape
        for ax in axes.sorted() { shape.insert(.const(1), at: ax) }
        let dims = (0..<shape.count).filter { !axes.contains($0) }
        return try emit(.broadcastInDim(shape: shape, dims: dims), [a])
    }

    /// `transpose` unless `perm` is the identity.
    func transposed(_ a: Atom, _ perm: [Int]) throws -> Atom {
        perm == Array(0..<perm.count) ? a : try emit(.transpose(perm), [a])
    }

    /// `reshape` unless the shape is already `shape`.
    func reshaped(_ a: Atom, _ shape: [Dim]) throws -> Atom {
        a.type.shape == shape ? a : try emit(.reshape(shape), [a])
    }

    /// A reduction over `axes` (no equation for none).
    func reduce(_ kind: String, _ a: Atom, _ axes: [Int]) throws -> Atom {
        if axes.isEmpty { return a }
        let ax = axes.sorted()
        switch kind {
        case "max": return try emit(.reduceMax(axes: ax), [a])
        case "min": return try emit(.reduceMin(axes: ax), [a])
        case "prod": return try emit(.reduceProd(axes: ax), [a])
        default: return try emit(.reduceSum(axes: ax), [a])
        }
    }

    /// The size of dimension `d` as a scalar of dtype `t`: a literal, or for a size variable `n` the only way to
    /// get it as a value, `reduce_sum(broadcast_in_dim(1, [n]))`.
    func sizeAsScalar(_ d: Dim, _ t: DType) throws -> Atom { try b.sizeAsScalar(d, t) }

    // MARK: - Literals

    /// A compile-time integer (weak int literal, or an i32 literal atom), else nil.
    static func staticInt(_ v: Value) -> Int? {
        guard case .array(.lit(let x, .i32), _) = v, x.isFinite, abs(x) < 9.0e15 else { return nil }
        return Int(x)
    }

    /// Turns a weak literal into a literal atom of `dtype` (nil: its natural dtype: float→f32, int→i32,
    /// bool→bool); others unchanged.
    func materialize(_ v: Value, dtype: DType?) -> Value {
        guard case .array(.lit(let x, let t), true) = v else { return v }
        let d = dtype ?? t
        return .array(.lit(rounded(x, d), d), weak: false)
    }

    // MARK: - Binary operators

    /// + - * / ** @ < <= > >= == != and or — NumPy broadcasting, weak literals, literal folding.
    func binary(_ op: String, _ x: Value, _ y: Value, at range: SourceRange) throws -> Value {
        b.loc = range
        if case .string(let s) = x, case .string(let t) = y, op == "==" || op == "!=" {
            return .array(.lit((s == t) == (op == "==") ? 1 : 0, .bool), weak: true)
        }
        if op == "@" { return try matmul(x, y, at: range) }
        if op == "//" || op == "%" { return try floorDivRem(op, x, y, at: range) }
        guard let bop = Ops.binaryOps[op] else { throw Diagnostic("unsupported operator '\(op)'", at: range) }
        guard case .array(let xa, let xw) = x, case .array(let ya, let yw) = y else {
            throw Diagnostic("unsupported operand types for \(op): \(x.typeDescription) and \(y.typeDescription)", at: range)
        }
        return try elementwise(bop, op, (xa, xw), (ya, yw), at: range)
    }

    static let binaryOps: [String: BinaryOp] = [
        "+": .add, "-": .sub, "*": .mul, "/": .div, "**": .pow, "<": .lt, "<=": .le, ">": .gt, ">=": .ge,
        "==": .eq, "!=": .ne, "and": .and, "or": .or, "maximum": .max, "minimum": .min,
    ]

    /// An element-wise binary operation on two arrays (`sym` names it in errors).
    func elementwise(_ op: BinaryOp, _ sym: String, _ x: (Atom, Bool), _ y: (Atom, Bool), at r: SourceRange) throws -> Value {
        b.loc = r
        if x.0.isLiteral && y.0.isLiteral { return try fold(op, sym, x, y, at: r) }
        // x ** k for an integer literal k (not a boolean) is integer_pow, as in jax.numpy.
        if op == .pow, y.1, case .lit(let k, .i32) = y.0 {
            var a = x.0
            if a.type.dtype == .bool { a = try cast(a, .i32) }
            if a.type.dtype == .i32 && k < 0 {
                throw Diagnostic("integers cannot be raised to a negative integer power (\(a.type) ** \(Int(k)))", at: r)
            }
            return .array(try emit(.integerPow(Int(k)), [a]), weak: false)
        }
        var t = try promote(sym, x, y, at: r)
        if op == .div && !t.isFloat { t = .f32 }
        if op.isLogical && t != .bool {
            throw Diagnostic("'\(sym)' expects bool operands, got \(describe(x)) and \(describe(y))", at: r)
        }
        if !op.isLogical && !op.isComparison && t == .bool {
            throw Diagnostic("cannot \(verb(sym)) \(describe(x)) and \(describe(y)): arithmetic on bool; use i32(x) or f32(x)", at: r)
        }
        if op == .pow && !t.isFloat {
            throw Diagnostic("'**' on \(describe(x)) and \(describe(y)) needs floats or an integer literal exponent; use f32(x)", at: r)
        }
        let a = try cast(x.0, t), c = try cast(y.0, t)
        guard let shape = Ops.broadcastShapes(a.type.shape, c.type.shape) else {
            throw Diagnostic("cannot broadcast \(a.type) and \(c.type) in '\(sym)'", at: r)
        }
        let out = try emit(.binary(op), [try broadcast(a, to: shape), try broadcast(c, to: shape)])
        return .array(out, weak: false)
    }

    /// The common dtype of two operands: a weak literal adapts to the other operand (JAX's weak types);
    /// two strong dtypes must be equal (no implicit promotion).
    func promote(_ sym: String, _ x: (Atom, Bool), _ y: (Atom, Bool), at r: SourceRange) throws -> DType {
        let (tx, ty) = (x.0.type.dtype, y.0.type.dtype)
        switch (x.1, y.1) {
        case (true, true): return Ops.order[max(Ops.order.firstIndex(of: tx)!, Ops.order.firstIndex(of: ty)!)]
        case (true, false): return weakJoin(tx, ty)
        case (false, true): return weakJoin(ty, tx)
        case (false, false):
            if tx == ty { return tx }
            let wider = Ops.order[max(Ops.order.firstIndex(of: tx)!, Ops.order.firstIndex(of: ty)!)]
            throw Diagnostic("cannot \(verb(sym)) \(x.0.type) and \(y.0.type): no implicit promotion; use \(wider)(x)", at: r)
        }
    }

    static let order: [DType] = [.bool, .i32, .f32, .f64]

    /// The dtype of a weak literal of kind `w` combined with a strong operand of dtype `s`.
    func weakJoin(_ w: DType, _ s: DType) -> DType {
        switch w {
        case .bool: return s
        case .i32: return s == .bool ? .i32 : s
        default: return s.isFloat ? s : .f32
        }
    }

    func describe(_ x: (Atom, Bool)) -> String {
        Value.array(x.0, weak: x.1).typeDescription
    }

    func verb(_ sym: String) -> String {
        switch sym {
        case "+": return "add"
        case "-": return "subtract"
        case "*": return "multiply"
        case "/": return "divide"
        case "@": return "matmul"
        case "maximum", "minimum", "where": return "apply \(sym) to"
        default: return "apply '\(sym)' to"
        }
    }

    /// Folds an operation on two literals at compile time: Python semantics for two weak literals
    /// (int / int is a float, int ** negative int is a float), the dtype's arithmetic otherwise.
    func fold(_ op: BinaryOp, _ sym: String, _ x: (Atom, Bool), _ y: (Atom, Bool), at r: SourceRange) throws -> Value {
        let weak = x.1 && y.1
        var t = try promote(sym, x, y, at: r)
        if weak && t == .bool && !op.isComparison && !op.isLogical { t = .i32 }   // True + True == 2
        if op == .div && !t.isFloat { t = .f32 }
        guard case .lit(let u0, _) = x.0, case .lit(let v0, _) = y.0 else { throw InternalError("fold of non-literals") }
        let u = rounded(u0, t), v = rounded(v0, t)
        if op.isLogical {
            if weak && t != .bool {   // Python's `a and b` / `a or b` return an operand
                let pick = (op == .and) == (u != 0) ? y : x
                return .array(pick.0, weak: true)
            }
            guard t == .bool else { throw Diagnostic("'\(sym)' expects bool operands, got \(describe(x)) and \(describe(y))", at: r) }
            let z = op == .and ? (u != 0 && v != 0) : (u != 0 || v != 0)
            return .array(.lit(z ? 1 : 0, .bool), weak: weak)
        }
        if op.isComparison {
            let z: Bool
            switch op { case .lt: z = u < v; case .le: z = u <= v; case .gt: z = u > v; case .ge: z = u >= v
                        case .eq: z = u == v; default: z = u != v }
            return .array(.lit(z ? 1 : 0, .bool), weak: weak)
        }
        if t == .bool { throw Diagnostic("cannot \(verb(sym)) \(describe(x)) and \(describe(y)): arithmetic on bool", at: r) }
        let isInt = t == .i32
        var z: Double
        switch op {
        case .add: z = u + v
        case .sub: z = u - v
        case .mul: z = u * v
        case .div:
            if weak && v == 0 { throw Diagnostic("division by zero", at: r) }
            z = u / v
        case .pow:
            if isInt {
                if v < 0 {
                    guard weak else { throw Diagnostic("integers cannot be raised to a negative integer power", at: r) }
                    return .array(.lit(pow(u, v), .f32), weak: true)
                }
                z = pow(u, v)
            } else { z = pow(u, v) }
        case .max: z = xlaMax(u, v)  // NaN wins, +0 above -0, as at run time (Swift.max(1, .nan) is 1)
        case .min: z = xlaMin(u, v)
        default: throw InternalError("fold: \(op)")
        }
        if isInt && weak && !(abs(z) < 9.0e15) { throw Diagnostic("integer constant too large", at: r) }
        if isInt && !weak { z = Double(Int32(truncatingIfNeeded: Int64(z.isFinite ? Swift.max(-9.0e18, Swift.min(9.0e18, z)) : 0))) }
        return .array(.lit(weak ? z : rounded(z, t), t), weak: weak)
    }

    /// The NumPy broadcast of two shapes, or nil when they do not broadcast.
    static func broadcastShapes(_ a: [Dim], _ b: [Dim]) -> [Dim]? {
        let r = max(a.count, b.count)
        let a1 = Array(repeating: Dim.const(1), count: r - a.count) + a
        let b1 = Array(repeating: Dim.const(1), count: r - b.count) + b
        var out: [Dim] = []
        for (x, y) in zip(a1, b1) {
            if x == y || y == .const(1) { out.append(x) } else if x == .const(1) { out.append(y) } else { return nil }
        }
        return out
    }

    // MARK: - Unary operators

    /// "-", "+", "not"
    func unary(_ op: String, _ x: Value, at range: SourceRange) throws -> Value {
        b.loc = range
        let (a, weak) = try arrayAtom(x, "unary '\(op)'", range)
        switch op {
        case "+":
            if a.type.dtype == .bool { throw Diagnostic("unary '+' expects a number, got \(x.typeDescription)", at: range) }
            return x
        case "-":
            if case .lit(let v, let t) = a {
                if t == .bool && !weak { throw Diagnostic("unary '-' expects a number, got \(x.typeDescription)", at: range) }
                return .array(.lit(-v, t == .bool ? .i32 : t), weak: weak)
            }
            if a.type.dtype == .bool { throw Diagnostic("unary '-' expects a number, got \(a.type)", at: range) }
            return .array(try emit(.unary(.neg), [a]), weak: false)
        case "not":
            if case .lit(let v, _) = a { return .array(.lit(v == 0 ? 1 : 0, .bool), weak: weak) }
            guard a.type.dtype == .bool else { throw Diagnostic("'not' expects bool, got \(a.type)", at: range) }
            return .array(try emit(.unary(.not), [a]), weak: false)
        default:
            throw Diagnostic("unsupported unary operator '\(op)'", at: range)
        }
    }

    // MARK: - Matrix products

    /// `x @ y` with numpy.matmul semantics, lowered like jax.numpy.matmul: one `dot_general` (batch dimensions
    /// for shared batch axes, size-1 batch axes squeezed), then a `transpose` only when the order differs.
    func matmul(_ x: Value, _ y: Value, at r: SourceRange) throws -> Value {
        b.loc = r
        let (a, c) = try matmulOperands(x, y, "@", at: r)
        let (sa, sb) = (a.type.shape, c.type.shape)
        let aIsMat = sa.count > 1, bIsMat = sb.count > 1
        let ka = sa[sa.count - 1], kb = bIsMat ? sb[sb.count - 2] : sb[0]
        guard ka == kb else {
            throw Diagnostic("cannot matmul \(a.type) and \(c.type): contracting sizes \(ka) and \(kb) differ", at: r)
        }
        let aB: [Dim?] = aIsMat ? sa.dropLast(2).map { $0 } : []
        let bB: [Dim?] = bIsMat ? sb.dropLast(2).map { $0 } : []
        let nb = max(aB.count, bB.count)
        let aBatch = Array(repeating: nil, count: nb - aB.count) + aB
        let bBatch = Array(repeating: nil, count: nb - bB.count) + bB
        var aSqueeze: [Int] = [], bSqueeze: [Int] = [], aBatchPos: [Int] = [], bBatchPos: [Int] = []
        var idxBatch: [Int] = [], idxAOther: [Int] = [], idxBOther: [Int] = []
        for i in 0..<nb {
            switch (aBatch[i], bBatch[i]) {
            case (nil, _): idxBOther.append(i)
            case (_, nil): idxAOther.append(i)
            case (.some(.const(1)), _):
                idxBOther.append(i); aSqueeze.append(idxBatch.count + idxAOther.count + aSqueeze.count)
            case (_, .some(.const(1))):
                idxAOther.append(i); bSqueeze.append(idxBatch.count + idxBOther.count + bSqueeze.count)
            case (.some(let da), .some(let db)) where da == db:
                aBatchPos.append(idxBatch.count + idxAOther.count)
                bBatchPos.append(idxBatch.count + idxBOther.count)
                idxBatch.append(i)
            default:
                throw Diagnostic("cannot matmul \(a.type) and \(c.type): batch dimensions do not broadcast", at: r)
            }
        }
        if aIsMat { idxAOther.append(nb) }
        if bIsMat { idxBOther.append(nb + (aIsMat ? 1 : 0)) }
        let order = idxBatch + idxAOther + idxBOther
        let perm = (0..<order.count).map { k in order.firstIndex(of: k)! }
        let a2 = try squeeze(a, aSqueeze), c2 = try squeeze(c, bSqueeze)
        let dims = DotDims(lhsContract: [a2.type.rank - 1], rhsContract: [c2.type.rank - 1 - (bIsMat ? 1 : 0)],
                           lhsBatch: aBatchPos, rhsBatch: bBatchPos)
        let out = try emit(.dotGeneral(dims), [a2, c2])
        return .array(try transposed(out, perm), weak: false)
    }

    /// `a` without the (size-1) axes `axes`, as a reshape.
    func squeeze(_ a: Atom, _ axes: [Int]) throws -> Atom {
        if axes.isEmpty { return a }
        return try emit(.reshape(a.type.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)), [a])
    }

    /// Checks the operands of a matrix product: arrays of rank ≥ 1 with one numeric dtype.
    func matmulOperands(_ x: Value, _ y: Value, _ what: String, at r: SourceRange) throws -> (Atom, Atom) {
        guard case .array(let a, let aw) = x, case .array(let c, let cw) = y else {
            throw Diagnostic("unsupported operand types for \(what): \(x.typeDescription) and \(y.typeDescription)", at: r)
        }
        guard a.type.rank >= 1 && c.type.rank >= 1 && !aw && !cw else {
            throw Diagnostic("\(what) expects arrays of rank >= 1, got \(x.typeDescription) and \(y.typeDescription); use * for scalars", at: r)
        }
        if a.type.dtype != c.type.dtype {
            let wider = Ops.order[max(Ops.order.firstIndex(of: a.type.dtype)!, Ops.order.firstIndex(of: c.type.dtype)!)]
            throw Diagnostic("cannot matmul \(a.type) and \(c.type): no implicit promotion; use \(wider)(x)", at: r)
        }
        if a.type.dtype == .bool { throw Diagnostic("\(what) expects numbers, got \(a.type) and \(c.type)", at: r) }
        return (a, c)
    }

    // MARK: - Indexing

    private enum AxisIndex { case full, int(Int), slice(Int, Int, Int), dynamic(Atom) }
    private enum IndexItem { case axis(AxisIndex), newAxis }

    /// `x[items]`: arrays (static ints and slices → `slice` + `reshape`; an i32 scalar → a one-hot
    /// `reduce_sum`), and static indexing of tuples.
    func index(_ x: Value, _ items: [IndexArg], at range: SourceRange) throws -> Value {
        b.loc = range
        switch x {
        case .tuple(let vs): return try indexTuple(vs, items, at: range)
        case .array(let a, let weak):
            let onlyNewAxes = items.allSatisfy { if case .index(.none, _) = $0 { return true }; return false }
            if a.type.rank == 0 && !weak && onlyNewAxes {
                // s[None] of a 0-d array is (1,), as in NumPy and JAX.
                return .array(try reshaped(a, Array(repeating: .const(1), count: items.count)), weak: false)
            }
            if weak || a.type.rank == 0 { throw Diagnostic("cannot index a scalar (\(x.typeDescription))", at: range) }
            return .array(try indexArray(a, items, at: range), weak: false)
        default:
            throw Diagnostic("cannot index \(x.typeDescription)", at: range)
        }
    }

    private func indexTuple(_ vs: [Value], _ items: [IndexArg], at r: SourceRange) throws -> Value {
        guard items.count == 1 else { throw Diagnostic("a tuple takes one index, got \(items.count)", at: r) }
        switch items[0] {
        case .index(let v, let ir):
            guard let i = Ops.staticInt(v) else {
                throw Diagnostic("a tuple index must be an int literal, got \(v.typeDescription)", at: ir)
            }
            let j = i < 0 ? i + vs.count : i
            guard j >= 0 && j < vs.count else {
                throw Diagnostic("tuple index \(i) out of range for a tuple of \(vs.count) elements", at: ir)
            }
            return vs[j]
        case .slice(let s, let e, let st, let sr):
            let step = try sliceBound(st, sr) ?? 1
            guard step > 0 else { throw Diagnostic("slice step must be positive", at: sr) }
            let (lo, hi) = pythonSlice(try sliceBound(s, sr), try sliceBound(e, sr), vs.count)
            return .tuple(Array(stride(from: lo, to: hi, by: step).map { vs[$0] }))
        }
    }

    private func sliceBound(_ v: Value?, _ r: SourceRange) throws -> Int? {
        guard let v = v else { return nil }
        if case .none = v { return nil }
        guard let i = Ops.staticInt(v) else { throw Diagnostic("slice bounds must be int literals, got \(v.typeDescription)", at: r) }
        return i
    }

    /// Python's `slice(start, stop).indices(n)` for a positive step: clamped bounds with stop ≥ start.
    private func pythonSlice(_ start: Int?, _ stop: Int?, _ n: Int) -> (Int, Int) {
        func norm(_ i: Int) -> Int { i < 0 ? max(i + n, 0) : min(i, n) }
        let lo = start.map(norm) ?? 0
        let hi = stop.map(norm) ?? n
        return (lo, max(lo, hi))
    }

    private func indexArray(_ a: Atom, _ items: [IndexArg], at r: SourceRange) throws -> Atom {
        let shape = a.type.shape
        var plan: [IndexItem] = []
        var axis = 0
        for item in items {
            if case .index(.none, _) = item { plan.append(.newAxis); continue }
            guard axis < shape.count else {
                throw Diagnostic("too many indices for \(a.type): \(items.count) given", at: r)
            }
            let len = shape[axis]
            switch item {
            case .index(let v, let ir):
                if let i = Ops.staticInt(v) {
                    if let n = len.constValue, case .array(_, false) = v, n > 0 {
                        // An i32 value known at compile time (`i32(3)`) indexes as JAX's traced index: a negative
                        // index wraps once, then it clamps to the axis. Only a Python int is bounds-checked.
                        plan.append(.axis(.int(min(max(i < 0 ? i + n : i, 0), n - 1))))
                    } else if let n = len.constValue {
                        guard i >= -n && i < n else {
                            throw Diagnostic("index \(i) is out of bounds for axis \(axis) with size \(n) (\(a.type))", at: ir)
                        }
                        plan.append(.axis(.int(i < 0 ? i + n : i)))
                    } else {
                        plan.append(.axis(.dynamic(.lit(Double(i), .i32))))
                    }
                } else if case .array(let ia, false) = v, ia.type.rank == 0, ia.type.dtype == .i32 {
                    plan.append(.axis(.dynamic(ia)))
                } else {
                    throw Diagnostic("an index must be an int literal or an i32 scalar, got \(v.typeDescription)", at: ir)
                }
            case .slice(let s, let e, let st, let sr):
                let step = try sliceBound(st, sr) ?? 1
                guard step > 0 else {
                    throw Diagnostic(step == 0 ? "slice step cannot be zero" : "negative slice steps are not supported", at: sr)
                }
                let start = try sliceBound(s, sr), stop = try sliceBound(e, sr)
                if let n = len.constValue {
                    let (lo, hi) = pythonSlice(start, stop, n)
                    plan.append(.axis(lo == 0 && hi == n && step == 1 ? .full : .slice(lo, hi, step)))
                } else {
                    guard (start ?? 0) == 0, stop == nil, step == 1 else {
                        throw Diagnostic("axis \(axis) of \(a.type) has variable size \(len): only ':' can slice it", at: sr)
                    }
                    plan.append(.axis(.full))
                }
            }
            axis += 1
        }
        // 1. One `slice` for the static indices and slices.
        var starts: [Int] = [], limits: [Dim] = [], strides: [Int] = []
        var axisPlans: [AxisIndex] = plan.compactMap { if case .axis(let p) = $0 { return p }; return nil }
        axisPlans += Array(repeating: .full, count: shape.count - axisPlans.count)
        for (i, p) in axisPlans.enumerated() {
            switch p {
            case .int(let k): starts.append(k); limits.append(.const(k + 1)); strides.append(1)
            case .slice(let lo, let hi, let st): starts.append(lo); limits.append(.const(hi)); strides.append(st)
            default: starts.append(0); limits.append(shape[i]); strides.append(1)
            }
        }
        var x = a
        if starts != Array(repeating: 0, count: shape.count) || limits != shape || strides.contains(where: { $0 != 1 }) {
            x = try emit(.slice(start: starts, limit: limits, strides: strides), [x])
        }
        // 2. Dynamic indices, last axis first so that earlier axis numbers stay valid.
        for (i, p) in axisPlans.enumerated().reversed() {
            if case .dynamic(let idx) = p { x = try takeDynamic(x, axis: i, idx) }
        }
        // 3. Drop the int-indexed axes and insert the new axes with one reshape.
        let sliced = x.type.shape
        var cur = 0, final: [Dim] = []
        var afterDyn: [Dim] = []   // the remaining axes' sizes, in order
        for p in axisPlans { if case .dynamic = p { continue }; afterDyn.append(sliced[cur]); cur += 1 }
        var k = 0
        for item in plan {
            switch item {
            case .newAxis: final.append(.const(1))
            case .axis(let p):
                if case .dynamic = p { continue }
                if case .int = p { k += 1; continue }
                final.append(afterDyn[k]); k += 1
            }
        }
        while k < afterDyn.count { final.append(afterDyn[k]); k += 1 }
        return try reshaped(x, final)
    }

    /// `x[..., idx, ...]` on `axis` for an i32 scalar `idx`: negative indices wrap, then clamp to [0, L-1] like
    /// JAX, then `reduce_sum(select_n(eq(iota, idx), 0, x))` — no gather, so vmap and grad need no new rule.
    func takeDynamic(_ x: Atom, axis: Int, _ idx: Atom) throws -> Atom {
        let len = x.type.shape[axis]
        var i = idx
        if case .lit(let v, _) = idx {
            if v < 0 { i = try emit(.binary(.add), [try sizeAsScalar(len, .i32), idx]) }
        } else {
            let neg = try emit(.binary(.lt), [i, .lit(0, .i32)])
            let wrapped = try emit(.binary(.add), [i, try sizeAsScalar(len, .i32)])
            i = try emit(.select, [neg, i, wrapped])
        }
        if !i.isLiteral { i = try emit(.binary(.max), [i, .lit(0, .i32)]) }
        let last: Atom
        if let n = len.constValue { last = .lit(Double(n - 1), .i32) }
        else { last = try emit(.binary(.sub), [try sizeAsScalar(len, .i32), .lit(1, .i32)]) }
        if !(idx.isLiteral && (idx.literalValue ?? 0) < 0) { i = try emit(.binary(.min), [i, last]) }
        let iota = try emit(.iota(.i32, shape: x.type.shape, dimension: axis), [])
        let mask = try emit(.binary(.eq), [iota, try broadcast(i, to: x.type.shape)])
        let isBool = x.type.dtype == .bool
        let v = isBool ? try cast(x, .i32) : x
        let picked = try emit(.select, [mask, .lit(0, v.type.dtype), v])
        let out = try emit(.reduceSum(axes: [axis]), [picked])
        return isBool ? try cast(out, .bool) : out
    }

    // MARK: - Attributes

    /// `.T` (reversed axes; no equation for rank ≤ 1), `.shape` (static sizes), `.ndim`; an error for others.
    func attribute(_ x: Value, _ name: String, at range: SourceRange) throws -> Value {
        b.loc = range
        guard case .array(let a, _) = x else {
            throw Diagnostic("\(x.typeDescription) has no attribute '\(name)'", at: range)
        }
        switch name {
        case "T":
            return .array(try transposed(a, Array((0..<a.type.rank).reversed())), weak: false)
        case "ndim":
            return .array(.lit(Double(a.type.rank), .i32), weak: true)
        case "shape":
            var dims: [Value] = []
            for d in a.type.shape {
                // A size variable's size is a weakly typed i32 value, as a Python int in JAX (loop bounds, arithmetic).
                guard let k = d.constValue else { dims.append(.array(try b.sizeAsScalar(d, .i32), weak: true)); continue }
                dims.append(.array(.lit(Double(k), .i32), weak: true))
            }
            return .tuple(dims)
        case "size":
            guard let k = a.type.shape.reduce(Optional(1), { acc, d in acc.flatMap { a in d.constValue.map { a * $0 } } }) else {
                throw Diagnostic("the size of \(a.type) has a size variable: it is not a compile-time constant", at: range)
            }
            return .array(.lit(Double(k), .i32), weak: true)
        case "dtype":
            return .string(a.type.dtype.rawValue)
        default:
            var msg = "\(a.type) has no attribute '\(name)'"
            let known = ["T", "shape", "ndim", "size", "dtype"]
            if let best = closestName(name, Set(known)) { msg += "; did you mean '\(best)'?" }
            if Ops.methods[name] != nil { msg += "; '\(name)' is a method: call it, x.\(name)(...)" }
            throw Diagnostic(msg + " (supported: \(known.joined(separator: ", ")))", at: range)
        }
    }

    // MARK: - Select

    /// Element-wise select over pytrees of equal structure/types (cond: bool scalar or broadcastable bool array).
    func select(_ cond: Value, onTrue: Value, onFalse: Value, at range: SourceRange) throws -> Value {
        b.loc = range
        guard case .array(let c, _) = cond else {
            throw Diagnostic("a condition must be a bool array, got \(cond.typeDescription)", at: range)
        }
        if case .lit(let v, _) = c { return v != 0 ? onTrue : onFalse }
        guard c.type.dtype == .bool else { throw Diagnostic("a condition must be bool, got \(c.type)", at: range) }
        return try selectTree(c, onTrue, onFalse, at: range)
    }

    private func selectTree(_ c: Atom, _ t: Value, _ f: Value, at r: SourceRange) throws -> Value {
        switch (t, f) {
        case (.array(let ta, let tw), .array(let fa, let fw)):
            let dt = try promote("where", (ta, tw), (fa, fw), at: r)
            guard ta.type.shape == fa.type.shape else {
                throw Diagnostic("the two branches differ in shape: \(ta.type) and \(fa.type)", at: r)
            }
            let shape = ta.type.shape
            guard Ops.broadcastShapes(c.type.shape, shape) == shape else {
                throw Diagnostic("cannot broadcast condition \(c.type) to the branches' shape \(shapeText(shape))", at: r)
            }
            var pred = c
            if c.type.shape != shape && !(c.type.isScalar && ta.isLiteral && fa.isLiteral) { pred = try broadcast(c, to: shape) }
            let out = try emit(.select, [pred, try cast(fa, dt), try cast(ta, dt)])
            return .array(out, weak: false)
        case (.tuple(let ts), .tuple(let fs)) where ts.count == fs.count:
            return .tuple(try zip(ts, fs).map { try selectTree(c, $0.0, $0.1, at: r) })
        case (.none, .none): return .none
        case (.string(let s1), .string(let s2)) where s1 == s2: return t
        default:
            throw Diagnostic("the two branches differ in structure: \(t.typeDescription) and \(f.typeDescription)", at: r)
        }
    }
}

/// `x` rounded to a value representable in dtype `t` (f32 rounding, i32 truncation toward zero, bool as x != 0).
func rounded(_ x: Double, _ t: DType) -> Double {
    switch t {
    case .f64: return x
    case .f32: return Double(Float(x))
    case .i32: return Double(Tensor.toInt32(x))
    case .bool: return x != 0 ? 1 : 0
    }
}

/// A shape as written in messages: `[n,5]`.
func shapeText(_ s: [Dim]) -> String { "[" + s.map(\.description).joined(separator: ",") + "]" }
