// The builtins of docs/language.md with numpy / jax.numpy signatures: element-wise functions, casts, reductions,
// logsumexp/softmax, contractions, layout and constructors, each lowered the way jax.numpy lowers it.

import Foundation

extension Ops {
    /// Signatures of the builtins, as shown in errors; `name=default` marks an optional parameter.
    static let signatures: [String: String] = {
        var s: [String: String] = [:]
        for f in ["exp", "log", "log1p", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sign",
                  "f32", "f64", "i32", "bool"] { s[f] = "\(f)(x)" }
        s["maximum"] = "maximum(x, y)"; s["minimum"] = "minimum(x, y)"
        s["where"] = "where(condition, x, y)"
        s["logsumexp"] = "logsumexp(x, axis=None, keepdims=False)"
        s["prod"] = "prod(x, axis=None, keepdims=False)"
        for f in ["sum", "mean"] { s[f] = "\(f)(x, axis=None, keepdims=False, where=None)" }
        for f in ["max", "min"] { s[f] = "\(f)(x, axis=None, keepdims=False, initial=None, where=None)" }
        s["softmax"] = "softmax(x, axis=-1)"
        s["stop_gradient"] = "stop_gradient(x)"
        s["dot"] = "dot(a, b)"; s["outer"] = "outer(a, b)"
        s["einsum"] = "einsum(subscripts, *operands)"
        s["transpose"] = "transpose(x, axes=None)"
        s["reshape"] = "reshape(x, shape)"
        s["broadcast_to"] = "broadcast_to(x, shape)"
        s["concatenate"] = "concatenate(arrays, axis=0)"
        s["stack"] = "stack(arrays, axis=0)"
        s["zeros"] = "zeros(shape, dtype=f32)"; s["ones"] = "ones(shape, dtype=f32)"
        s["full"] = "full(shape, fill_value, dtype=None)"
        s["arange"] = "arange(start, stop=None, step=None, dtype=None)"
        s["eye"] = "eye(N, M=None, k=0, dtype=f32)"
        s.merge(mathSignatures) { a, _ in a }
        s.merge(collectiveSignatures) { a, _ in a }
        s.merge(vocabularySignatures) { a, _ in a }
        return s
    }()

    static let builtinNames: Set<String> = Set(signatures.keys)

    /// A builtin call; nil if `name` is not a builtin. args carry their ranges for errors.
    func callBuiltin(_ name: String, args: [(Value, SourceRange)], kwargs: [(String, Value, SourceRange)],
                     at range: SourceRange) throws -> Value? {
        guard let sig = Ops.signatures[name] else { return nil }
        b.loc = range
        if name == "einsum" { return try einsumCall(args, kwargs, at: range) }
        if name == "max" || name == "min", args.count >= 2, case .array(let y, _) = args[1].0, Ops.staticInt(args[1].0) == nil || y.type.rank > 0 {
            // Python's max(x, y) of two values; in jax.numpy max is a reduction with axis second.
            throw Diagnostic("\(name)(x, y) of two arrays: \(name) is the reduction \(sig); for the element-wise \(name)imum use \(name)imum(x, y)", at: range)
        }
        let a = try bind(sig, args, kwargs, at: range)
        if let v = try callVocabulary(name, a, at: range) { return v }
        func arg(_ p: String) -> (Value, SourceRange) { a[p] ?? (.none, range) }
        if let v = try callMathBuiltin(name, a, at: range) { return v }
        if let v = try callCollective(name, a, at: range) { return v }
        switch name {
        case "exp": return try floatUnary(.exp, arg("x"))
        case "log": return try floatUnary(.log, arg("x"))
        case "log1p": return try floatUnary(.log1p, arg("x"))
        case "sqrt": return try floatUnary(.sqrt, arg("x"))
        case "sin": return try floatUnary(.sin, arg("x"))
        case "cos": return try floatUnary(.cos, arg("x"))
        case "tanh": return try floatUnary(.tanh, arg("x"))
        case "sigmoid": return try floatUnary(.logistic, arg("x"))
        case "abs", "sign":
            let x = try numeric(arg("x"), name)
            return .array(try emit(.unary(name == "abs" ? .abs : .sign), [x]), weak: false)
        case "relu":
            // where(x <= 0, 0, x): relu'(0) = 0 and relu(NaN) = NaN (NaN <= 0 is false), as jax.nn.relu
            // (maximum(x, 0) with a custom JVP); relu(-0) = +0.
            let x = try numeric(arg("x"), name)
            let nonPos = try emit(.binary(.le), [x, .lit(0, x.type.dtype)])
            return .array(try emit(.select, [nonPos, x, .lit(0, x.type.dtype)]), weak: false)
        case "maximum", "minimum":
            let (x, y) = (arg("x"), arg("y"))
            let xa = try arrayAtom(x.0, name, x.1), ya = try arrayAtom(y.0, name, y.1)
            return try elementwise(name == "maximum" ? .max : .min, name, xa, ya, at: range)
        case "stop_gradient":
            // A literal has no derivative to stop; an array gets the identity with a zero derivative.
            let (x, xr) = arg("x")
            if case .array(let lit, true) = x, lit.isLiteral { return x }
            return .array(try emit(.stopGradient, [try arrayArg((x, xr), name)]), weak: false)
        case "where": return try whereCall(arg("condition"), arg("x"), arg("y"), at: range)
        case "f32", "f64", "i32", "bool":
            let t = DType(rawValue: name)!
            let (x, xr) = arg("x")
            let (atom, _) = try arrayAtom(x, name, xr)
            if atom.isLiteral { return materialize(.array(atom, weak: true), dtype: t) }
            return .array(try cast(atom, t), weak: false)
        case "sum", "mean", "max", "min", "logsumexp", "prod":
            let x = arg("x")
            let (atom, _) = try arrayAtom(materialize(x.0, dtype: nil), name, x.1)
            let axes = try axesArg(arg("axis"), rank: atom.type.rank, of: atom.type)
            let keep = try boolArg(arg("keepdims"), "keepdims") ?? false
            if name == "logsumexp" { return .array(try logsumexp(atom, axes, keepdims: keep), weak: false) }
            if a["where"].map({ !isNone($0.0) }) == true || a["initial"].map({ !isNone($0.0) }) == true {
                return .array(try maskedReduction(name, atom, axes, keepdims: keep, where: a["where"], initial: a["initial"], at: range), weak: false)
            }
            return .array(try reduction(name, atom, axes, keepdims: keep), weak: false)
        case "softmax":
            let x = try floatArray(arg("x"), name)
            let axisV = a["axis"] ?? (.array(.lit(-1, .i32), weak: true), range)
            return .array(try softmax(x, try axesArg(axisV, rank: x.type.rank, of: x.type)), weak: false)
        case "dot": return try dot(arg("a"), arg("b"), at: range)
        case "outer": return try outer(arg("a"), arg("b"), at: range)
        case "transpose":
            let x = try arrayArg(arg("x"), name)
            let rank = x.type.rank
            guard let axesV = a["axes"], !isNone(axesV.0) else {
                return .array(try transposed(x, Array((0..<rank).reversed())), weak: false)
            }
            let perm = try intList(axesV, "axes").map { try normAxis($0, rank, x.type, axesV.1) }
            guard perm.sorted() == Array(0..<rank) else {
                throw Diagnostic("transpose: axes \(perm) are not a permutation of the axes of \(x.type)", at: axesV.1)
            }
            return .array(try transposed(x, perm), weak: false)
        case "reshape": return .array(try reshapeCall(try arrayArg(arg("x"), name), arg("shape")), weak: false)
        case "broadcast_to":
            let x = try arrayArg(arg("x"), name)
            let shape = try shapeArg(arg("shape")).map { Dim.const($0) }
            guard Ops.broadcastShapes(x.type.shape, shape) == shape else {
                throw Diagnostic("cannot broadcast \(x.type) to shape \(shapeText(shape))", at: range)
            }
            // `broadcast` keeps a scalar literal as it is (element-wise operands take it so); an array is asked for.
            if x.isLiteral { return try filled(x, shape) }
            return .array(try broadcast(x, to: shape), weak: false)
        case "concatenate", "stack": return .array(try joinArrays(name, arg("arrays"), arg("axis")), weak: false)
        case "zeros", "ones":
            let shape = try shapeArg(arg("shape")).map { Dim.const($0) }
            let t = try dtypeArg(a["dtype"]) ?? .f32
            return try filled(.lit(name == "ones" ? 1 : 0, t), shape)
        case "full": return try fullCall(arg("shape"), arg("fill_value"), try dtypeArg(a["dtype"]))
        case "arange": return try arangeCall(a, at: range)
        case "eye": return try eyeCall(a, at: range)
        default: throw InternalError("builtin \(name) has no lowering")
        }
    }

    // MARK: - Arguments

    /// Binds positional and keyword arguments to the parameters of signature `sig` (errors name the signature).
    func bind(_ sig: String, _ args: [(Value, SourceRange)], _ kwargs: [(String, Value, SourceRange)],
              at r: SourceRange) throws -> [String: (Value, SourceRange)] {
        let name = String(sig.prefix { $0 != "(" })
        let params = sig.dropFirst(name.count + 1).dropLast().split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let names = params.map { String($0.prefix { $0 != "=" }) }
        guard args.count <= params.count else {
            throw Diagnostic("\(name)() takes \(params.count) argument(s) but \(args.count) were given; signature: \(sig)", at: r)
        }
        var out: [String: (Value, SourceRange)] = [:]
        for (p, a) in zip(names, args) { out[p] = a }
        for (k, v, kr) in kwargs {
            guard names.contains(k) else {
                let guess = closestName(k, Set(names)).map { " (did you mean '\($0)'?)" } ?? ""
                throw Diagnostic("\(name)() got an unexpected keyword argument '\(k)'\(guess); signature: \(sig)", at: kr)
            }
            guard out[k] == nil else { throw Diagnostic("\(name)() got multiple values for argument '\(k)'; signature: \(sig)", at: kr) }
            out[k] = (v, kr)
        }
        for (p, full) in zip(names, params) where !full.contains("=") && out[p] == nil {
            throw Diagnostic("\(name)() missing required argument '\(p)'; signature: \(sig)", at: r)
        }
        return out
    }

    func isNone(_ v: Value) -> Bool { if case .none = v { return true }; return false }

    /// An array argument; weak literals take their natural dtype.
    func arrayArg(_ a: (Value, SourceRange), _ what: String) throws -> Atom {
        try arrayAtom(materialize(a.0, dtype: nil), what, a.1).atom
    }

    /// A numeric (non-bool) array argument.
    func numeric(_ a: (Value, SourceRange), _ what: String) throws -> Atom {
        let x = try arrayArg(a, what)
        guard x.type.dtype != .bool else { throw Diagnostic("\(what) expects numbers, got \(x.type)", at: a.1) }
        return x
    }

    /// A float array argument: ints and bools convert to f32 (jax.numpy promotes them to inexact types).
    func floatArray(_ a: (Value, SourceRange), _ what: String) throws -> Atom {
        if case .array(.lit(let v, _), true) = a.0 { return .lit(Double(Float(v)), .f32) }
        let x = try arrayArg(a, what)
        return x.type.dtype.isFloat ? x : try cast(x, .f32)
    }

    func floatUnary(_ op: UnaryOp, _ a: (Value, SourceRange)) throws -> Value {
        .array(try emit(.unary(op), [try floatArray(a, op == .logistic ? "sigmoid" : op.rawValue)]), weak: false)
    }

    /// An axis normalized against `rank` (negative counts from the end).
    func normAxis(_ k: Int, _ rank: Int, _ t: TensorType, _ r: SourceRange) throws -> Int {
        guard k >= -rank && k < rank else {
            throw Diagnostic("axis \(k) is out of bounds for \(t) of rank \(rank)", at: r)
        }
        return k < 0 ? k + rank : k
    }

    /// A static int or a tuple of static ints.
    func intList(_ a: (Value, SourceRange), _ what: String) throws -> [Int] {
        if let k = Ops.staticInt(a.0) { return [k] }
        if case .tuple(let vs) = a.0 {
            return try vs.map {
                guard let k = Ops.staticInt($0) else { throw Diagnostic("\(what) must be ints, got \($0.typeDescription)", at: a.1) }
                return k
            }
        }
        throw Diagnostic("\(what) must be an int or a tuple of ints, got \(a.0.typeDescription)", at: a.1)
    }

    /// `axis=`: None (all axes), an int or a tuple of ints, negative allowed; sorted, without repeats.
    func axesArg(_ a: (Value, SourceRange), rank: Int, of t: TensorType) throws -> [Int] {
        if isNone(a.0) { return Array(0..<rank) }
        let axes = try intList(a, "axis").map { try normAxis($0, rank, t, a.1) }
        guard Set(axes).count == axes.count else { throw Diagnostic("repeated axis in \(axes)", at: a.1) }
        return axes.sorted()
    }

    /// A static bool (`True`/`False`), nil for None.
    func boolArg(_ a: (Value, SourceRange), _ what: String) throws -> Bool? {
        if isNone(a.0) { return nil }
        guard case .array(.lit(let v, let t), _) = a.0, t == .bool || t == .i32 else {
            throw Diagnostic("\(what) must be True or False, got \(a.0.typeDescription)", at: a.1)
        }
        return v != 0
    }

    /// A static shape: an int or a tuple of non-negative ints.
    func shapeArg(_ a: (Value, SourceRange)) throws -> [Int] {
        let dims = try intList(a, "shape")
        if let bad = dims.first(where: { $0 < 0 }) { throw Diagnostic("negative dimension \(bad) in shape \(dims)", at: a.1) }
        return dims
    }

    /// `dtype=`: a dtype name (`f32`, `"f64"`, also numpy's `float32`...), nil when absent or None.
    func dtypeArg(_ a: (Value, SourceRange)?) throws -> DType? {
        guard let (v, r) = a, !isNone(v) else { return nil }
        let aliases: [String: DType] = ["float32": .f32, "float64": .f64, "int32": .i32, "bool_": .bool]
        guard case .string(let s) = v, let t = DType(rawValue: s) ?? aliases[s] else {
            throw Diagnostic("dtype must be one of f32, f64, i32, bool; got \(v.typeDescription)", at: r)
        }
        return t
    }

    // MARK: - Element-wise

    /// `where(c, x, y)`: `select_n(c, y, x)` with broadcasting of all three; a non-bool condition means `c != 0`.
    func whereCall(_ c: (Value, SourceRange), _ x: (Value, SourceRange), _ y: (Value, SourceRange), at r: SourceRange) throws -> Value {
        var cond = try arrayAtom(c.0, "where", c.1).atom
        let xa = try arrayAtom(x.0, "where", x.1), ya = try arrayAtom(y.0, "where", y.1)
        let t = try promote("where", xa, ya, at: r)
        let xv = try cast(xa.atom, t), yv = try cast(ya.atom, t)
        guard let s1 = Ops.broadcastShapes(cond.type.shape, xv.type.shape), let shape = Ops.broadcastShapes(s1, yv.type.shape) else {
            throw Diagnostic("where: cannot broadcast \(cond.type), \(xv.type) and \(yv.type)", at: r)
        }
        if case .lit(let v, _) = cond {
            // A known condition picks one side, still broadcast to the result's shape and dtype.
            if shape.isEmpty && xv.type.dtype == xa.atom.type.dtype && yv.type.dtype == ya.atom.type.dtype { return v != 0 ? x.0 : y.0 }
            let chosen = v != 0 ? xv : yv
            return chosen.isLiteral ? try filled(chosen, shape) : .array(try broadcast(chosen, to: shape), weak: false)
        }
        if cond.type.dtype != .bool { cond = try emit(.binary(.ne), [cond, .lit(0, cond.type.dtype)]) }
        let out = try emit(.select, [try broadcast(cond, to: shape), try broadcast(yv, to: shape), try broadcast(xv, to: shape)])
        return .array(out, weak: false)
    }

    // MARK: - Reductions

    /// `sum mean max min` over sorted `axes`, then `keepdims` as `broadcast_in_dim`; `mean` divides by the
    /// element count (computed in the IR when a reduced axis is a size variable).
    func reduction(_ kind: String, _ x0: Atom, _ axes: [Int], keepdims: Bool) throws -> Atom {
        var x = x0
        switch kind {
        case "sum", "prod": if x.type.dtype == .bool { x = try cast(x, .i32) }
        case "mean": if !x.type.dtype.isFloat { x = try cast(x, .f32) }
        default:
            if x.type.dtype == .bool { throw Diagnostic("\(kind) expects numbers, got \(x.type)", at: b.loc) }
        }
        var out = try reduce(kind == "mean" ? "sum" : kind, x, axes)
        if keepdims { out = try expandDims(out, at: axes) }
        guard kind == "mean" else { return out }
        let t = x.type.dtype
        let dims = axes.map { x.type.shape[$0] }
        let k = dims.compactMap(\.constValue).reduce(1, *)
        var count: Atom = .lit(Double(k), t)
        for d in dims where d.constValue == nil {
            let n = try sizeAsScalar(d, t)
            count = count.literalValue == 1 ? n : try emit(.binary(.mul), [count, n])
        }
        return try emit(.binary(.div), [out, try broadcast(count, to: out.type.shape)])
    }

    /// `logsumexp` as jax.nn.logsumexp: max (replaced by 0 where not finite), subtract, exp, sum, log, add back.
    func logsumexp(_ x0: Atom, _ axes: [Int], keepdims: Bool) throws -> Atom {
        let x = x0.type.dtype.isFloat ? x0 : try cast(x0, .f32)
        let t = x.type.dtype
        // The maximum is under stop_gradient, as in jax.nn.logsumexp (its derivative cancels anyway).
        let m = try emit(.stopGradient, [try reduce("max", x, axes)])
        let finite = try emit(.binary(.lt), [try emit(.unary(.abs), [m]), .lit(.infinity, t)])
        let safe = try emit(.select, [finite, .lit(0, t), m])
        let kept = (0..<x.type.rank).filter { !axes.contains($0) }
        let mb = safe.type.shape == x.type.shape ? safe : try emit(.broadcastInDim(shape: x.type.shape, dims: kept), [safe])
        let e = try emit(.unary(.exp), [try emit(.binary(.sub), [x, mb])])
        let s = try reduce("sum", e, axes)
        var out = try emit(.binary(.add), [try emit(.unary(.log), [s]), safe])
        if keepdims { out = try expandDims(out, at: axes) }
        return out
    }

    /// `softmax` as jax.nn.softmax: `exp(x - max(x)) / sum(exp(x - max(x)))` along `axes`.
    func softmax(_ x: Atom, _ axes: [Int]) throws -> Atom {
        let kept = (0..<x.type.rank).filter { !axes.contains($0) }
        func back(_ a: Atom) throws -> Atom {
            a.type.shape == x.type.shape ? a : try emit(.broadcastInDim(shape: x.type.shape, dims: kept), [a])
        }
        let m = try back(try emit(.stopGradient, [try reduce("max", x, axes)]))
        let e = try emit(.unary(.exp), [try emit(.binary(.sub), [x, m])])
        let s = try back(try reduce("sum", e, axes))
        return try emit(.binary(.div), [e, s])
    }

    // MARK: - Contractions

    /// numpy.dot: a product for scalars, else one `dot_general` contracting the last axis of `a` with the
    /// second-to-last of `b` (the only axis of a vector `b`).
    func dot(_ x: (Value, SourceRange), _ y: (Value, SourceRange), at r: SourceRange) throws -> Value {
        if case .array(let a, let aw) = x.0, case .array(let c, let cw) = y.0, aw || cw || a.type.rank == 0 || c.type.rank == 0 {
            return try elementwise(.mul, "dot", (a, aw), (c, cw), at: r)
        }
        let (a, c) = try matmulOperands(x.0, y.0, "dot", at: r)
        let ca = a.type.rank - 1, cb = max(c.type.rank - 2, 0)
        guard a.type.shape[ca] == c.type.shape[cb] else {
            throw Diagnostic("cannot dot \(a.type) and \(c.type): contracting sizes \(a.type.shape[ca]) and \(c.type.shape[cb]) differ", at: r)
        }
        return .array(try emit(.dotGeneral(DotDims(lhsContract: [ca], rhsContract: [cb])), [a, c]), weak: false)
    }

    /// jnp.outer: both flattened, then `a[:, None] * b[None, :]` as two `broadcast_in_dim` and a `mul`.
    func outer(_ x: (Value, SourceRange), _ y: (Value, SourceRange), at r: SourceRange) throws -> Value {
        let xa = try arrayAtom(x.0, "outer", x.1), ya = try arrayAtom(y.0, "outer", y.1)
        let t = try promote("outer", xa, ya, at: r)
        let a = try ravel(try cast(xa.atom, t), x.1), c = try ravel(try cast(ya.atom, t), y.1)
        let shape = [a.type.shape[0], c.type.shape[0]]
        let a2 = try emit(.broadcastInDim(shape: shape, dims: [0]), [a])
        let c2 = try emit(.broadcastInDim(shape: shape, dims: [1]), [c])
        return .array(try emit(.binary(.mul), [a2, c2]), weak: false)
    }

    /// `x` as a vector (jnp.ravel).
    func ravel(_ x: Atom, _ r: SourceRange) throws -> Atom {
        if x.type.rank == 1 { return x }
        let syms = x.type.shape.filter { $0.constValue == nil }
        let k = x.type.shape.compactMap(\.constValue).reduce(1, *)
        guard syms.isEmpty || (syms.count == 1 && k == 1) else {
            throw Diagnostic("cannot flatten \(x.type): its size is not a single dimension", at: r)
        }
        return try emit(.reshape([syms.first ?? .const(k)]), [x])
    }

    func einsumCall(_ args: [(Value, SourceRange)], _ kwargs: [(String, Value, SourceRange)], at r: SourceRange) throws -> Value {
        let sig = Ops.signatures["einsum"]!
        if let (k, _, kr) = kwargs.first { throw Diagnostic("einsum() got an unexpected keyword argument '\(k)'; signature: \(sig)", at: kr) }
        guard let first = args.first, case .string(let spec) = first.0 else {
            throw Diagnostic("einsum() expects a subscripts string first; signature: \(sig)", at: args.first?.1 ?? r)
        }
        let ops = try args.dropFirst().map { (v, ar) -> (Atom, SourceRange) in
            guard case .array(let a, false) = v else {
                throw Diagnostic("einsum operands must be arrays, got \(v.typeDescription)", at: ar)
            }
            return (a, ar)
        }
        return .array(try einsum(spec, ops, at: r), weak: false)
    }

    // MARK: - Layout

    /// `reshape(x, shape)`: static ints with at most one -1, which may stand for a size variable of `x`
    /// (f32[n,4] to (-1, 2, 2) is f32[n,2,2]).
    func reshapeCall(_ x: Atom, _ a: (Value, SourceRange)) throws -> Atom {
        let dims = try intList(a, "shape")
        let holes = dims.filter { $0 == -1 }.count
        guard holes <= 1, !dims.contains(where: { $0 < -1 }) else {
            throw Diagnostic("reshape: bad shape \(dims) (one -1 at most, no other negative sizes)", at: a.1)
        }
        let syms = x.type.shape.filter { $0.constValue == nil }
        let k = x.type.shape.compactMap(\.constValue).reduce(1, *)
        func bad() -> Diagnostic { Diagnostic("cannot reshape \(x.type) to \(dims)", at: a.1) }
        // The product of the given sizes, which can overflow (1000000000 three times): then no array matches.
        var p = 1
        for d in dims where d != -1 {
            let (m, o) = p.multipliedReportingOverflow(by: d)
            guard !o else { throw bad() }
            p = m
        }
        var shape = dims.map { Dim.const($0) }
        if holes == 0 {
            guard syms.isEmpty, k == p else { throw bad() }
        } else {
            guard p != 0, k % p == 0 else { throw bad() }
            let i = dims.firstIndex(of: -1)!
            if syms.isEmpty { shape[i] = .const(k / p) }
            else if syms.count == 1 && k == p { shape[i] = syms[0] }
            else { throw bad() }
        }
        return try reshaped(x, shape)
    }

    /// `concatenate(arrays, axis)` or `stack(arrays, axis)` (each array expanded at `axis`, then concatenated).
    func joinArrays(_ name: String, _ xs: (Value, SourceRange), _ axisV: (Value, SourceRange)) throws -> Atom {
        guard case .tuple(let vs) = xs.0, !vs.isEmpty else {
            throw Diagnostic("\(name) expects a non-empty tuple of arrays, got \(xs.0.typeDescription)", at: xs.1)
        }
        var atoms = try vs.map { try arrayArg(($0, xs.1), name) }
        let first = atoms[0].type
        for t in atoms.map(\.type) where t.dtype != first.dtype || t.rank != first.rank {
            throw Diagnostic("\(name): arrays differ: \(first) and \(t)", at: xs.1)
        }
        let k = isNone(axisV.0) ? 0 : (Ops.staticInt(axisV.0) ?? Int.min)
        guard k != Int.min else { throw Diagnostic("axis must be an int, got \(axisV.0.typeDescription)", at: axisV.1) }
        if name == "stack" {
            guard atoms.allSatisfy({ $0.type.shape == first.shape }) else {
                throw Diagnostic("stack: all arrays must have the same shape, got \(atoms.map(\.type.description).joined(separator: ", "))", at: xs.1)
            }
            let axis = try normAxis(k, first.rank + 1, first, axisV.1)
            atoms = try atoms.map { try expandDims($0, at: [axis]) }
            return atoms.count == 1 ? atoms[0] : try emit(.concatenate(axis: axis), atoms)
        }
        guard first.rank > 0 else { throw Diagnostic("concatenate: zero-dimensional arrays cannot be concatenated", at: xs.1) }
        let axis = try normAxis(k, first.rank, first, axisV.1)
        for t in atoms.map(\.type) {
            for i in 0..<t.rank where i != axis && t.shape[i] != first.shape[i] {
                throw Diagnostic("concatenate: \(first) and \(t) differ on axis \(i)", at: xs.1)
            }
            if atoms.count > 1 && t.shape[axis].constValue == nil {
                throw Diagnostic("concatenate: axis \(axis) of \(t) has variable size", at: xs.1)
            }
        }
        return atoms.count == 1 ? atoms[0] : try emit(.concatenate(axis: axis), atoms)
    }

    // MARK: - Constructors

    /// A literal broadcast to `shape` (the literal itself for a scalar shape).
    func filled(_ v: Atom, _ shape: [Dim]) throws -> Value {
        if shape.isEmpty { return .array(v, weak: false) }
        return .array(try emit(.broadcastInDim(shape: shape, dims: []), [v]), weak: false)
    }

    func fullCall(_ shapeA: (Value, SourceRange), _ fill: (Value, SourceRange), _ t: DType?) throws -> Value {
        let shape = try shapeArg(shapeA).map { Dim.const($0) }
        var v = try arrayAtom(materialize(fill.0, dtype: t), "full", fill.1).atom
        if let t = t { v = try cast(v, t) }
        if v.isLiteral { return try filled(v, shape) }
        guard Ops.broadcastShapes(v.type.shape, shape) == shape else {
            throw Diagnostic("full: cannot broadcast fill value \(v.type) to shape \(shapeText(shape))", at: fill.1)
        }
        return .array(try broadcast(v, to: shape), weak: false)
    }

    /// `arange(stop)` is `iota` (i32 for ints, like jnp.arange); `arange(start, stop, step)` scales and shifts it.
    func arangeCall(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Value {
        func num(_ p: String) throws -> (Double, Bool)? {
            guard let (v, vr) = a[p], !isNone(v) else { return nil }
            guard case .array(.lit(let x, let t), _) = v, t != .bool else {
                throw Diagnostic("arange: \(p) must be a number literal, got \(v.typeDescription)", at: vr)
            }
            return (x, t.isFloat)
        }
        guard let first = try num("start") else {
            throw Diagnostic("arange: start must be a number literal, got None", at: a["start"]?.1 ?? r)
        }
        var (start, stop, step) = ((0.0, false), first, (1.0, false))
        if let s = try num("stop") { start = first; stop = s }
        if let s = try num("step") { step = s }
        guard step.0 != 0 else { throw Diagnostic("arange: step cannot be zero", at: r) }
        let isFloat = start.1 || stop.1 || step.1
        let t = try dtypeArg(a["dtype"]) ?? (isFloat ? .f32 : .i32)
        // The length, checked before it becomes an Int (arange(0.0, 1e300) is finite but beyond any Int).
        let length = ((stop.0 - start.0) / step.0).rounded(.up)
        guard !length.isNaN, length <= Double(maxArrayElements) else {
            throw Diagnostic("arange: the result would have \(length.isFinite ? String(format: "%.6g", length) : "infinitely many") elements; the limit is 2^31", at: r)
        }
        let n = length > 0 ? Int(length) : 0
        var out = try emit(.iota(t, shape: [.const(n)], dimension: 0), [])
        if step.0 != 1 { out = try emit(.binary(.mul), [out, .lit(rounded(step.0, t), t)]) }
        if start.0 != 0 { out = try emit(.binary(.add), [out, .lit(rounded(start.0, t), t)]) }
        return .array(out, weak: false)
    }

    /// `eye(N, M, k)` as jax's: `eq(iota(0) + k, iota(1))` converted to the dtype.
    func eyeCall(_ a: [String: (Value, SourceRange)], at r: SourceRange) throws -> Value {
        func int(_ p: String) throws -> Int? {
            guard let (v, vr) = a[p], !isNone(v) else { return nil }
            guard let k = Ops.staticInt(v) else { throw Diagnostic("eye: \(p) must be an int literal, got \(v.typeDescription)", at: vr) }
            return k
        }
        guard let n = try int("N") else { throw Diagnostic("eye: N must be an int literal, got None", at: a["N"]?.1 ?? r) }
        let m = try int("M") ?? n, k = try int("k") ?? 0
        guard n >= 0 && m >= 0 else { throw Diagnostic("eye: negative size", at: r) }
        let t = try dtypeArg(a["dtype"]) ?? .f32
        let shape: [Dim] = [.const(n), .const(m)]
        var rows = try emit(.iota(.i32, shape: shape, dimension: 0), [])
        if k != 0 { rows = try emit(.binary(.add), [rows, .lit(Double(k), .i32)]) }
        let cols = try emit(.iota(.i32, shape: shape, dimension: 1), [])
        let mask = try emit(.binary(.eq), [rows, cols])
        return .array(try cast(mask, t), weak: false)
    }
}
