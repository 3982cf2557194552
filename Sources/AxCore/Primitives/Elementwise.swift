// The element-wise primitives' records: unary ops (one `UnaryDef` of a few lines each), binary ops (one `BinaryDef`
// each), integer_pow, convert_element_type and select_n. Float math is the runtime's (Codegen/RuntimeTable.swift):
// kernels, tiles and the interpreter call the same functions, so eager and jit compute the same bits.
import Foundation


// MARK: - Shared

/// An element-wise primitive's record: fused into its consumer's loop body at the same index.
protocol ElementwiseRules: PrimitiveRules {}
extension ElementwiseRules {
    var fusion: FusionKind { .elementwise }
}

/// The common shape of element-wise operands (scalar literals adapt to any shape).
private func elementwiseShape(_ name: String, _ ts: [TensorType], _ lits: [Bool]) throws -> [Dim] {
    var shape: [Dim]? = nil
    for (t, lit) in zip(ts, lits) where !(lit && t.isScalar) {
        if let s = shape, s != t.shape {
            throw ShapeError("\(name): operand shapes \(TensorType(t.dtype, s)) and \(t) differ")
        }
        shape = t.shape
    }
    return shape ?? []
}

/// A primitive of one operand that keeps its operand's batch axis.
private func batchUnary(_ prim: Primitive, _ ins: [Batched], _ b: Batcher) throws -> Batched {
    Batched(try b.b.emit(prim, [ins[0].atom]), ins[0].bdim)
}

/// `f(n, a, o)`, a runtime tile function over floats of type `T`, applied to the whole array.
private func runtimeUnary<T>(_ name: String, _ a: [T]) throws -> [T] {
    let fn = unsafeBitCast(try runtimeSymbol(name), to: (@convention(c) (Int64, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Void).self)
    return a.withUnsafeBufferPointer { pa in makeArray(pa.count) { out in fn(Int64(pa.count), pa.baseAddress, out) } }
}

/// `f(n, a, sa, b, sb, o)`, a runtime binary tile function, producing `n` elements of `U` (an operand of one element
/// broadcasts: its stride is 0).
private func runtimeBinary<T, U>(_ name: String, _ x: [T], _ y: [T], _ n: Int, _: U.Type) throws -> [U] {
    let fn = unsafeBitCast(try runtimeSymbol(name), to:
        (@convention(c) (Int64, UnsafeRawPointer?, Int64, UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?) -> Void).self)
    return x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in
        makeArray(n) { (out: UnsafeMutablePointer<U>) in
            fn(Int64(n), px.baseAddress, px.count == n ? 1 : 0, py.baseAddress, py.count == n ? 1 : 0, out)
        }
    } }
}

/// The C of an i32 operation that wraps (as XLA does) instead of invoking C's undefined signed overflow.
private func wrapping(_ op: String) -> CTemplate { CTemplate(text: "((int32_t)((uint32_t)($0) \(op) (uint32_t)($1)))") }

/// max propagating NaN, with max(-0, +0) = +0 (XLA semantics); also the reductions' combiner and the runtime's tile.
func maxTemplate(_ t: DType) -> CTemplate {
    t.isFloat ? CTemplate(text: "(($0 > $1 || $0 != $0) ? $0 : (($0 < $1 || $1 != $1) ? $1 : ($0 == 0 ? $0 + $1 : $0)))")
        : CTemplate(text: "($0 > $1 ? $0 : $1)")
}

/// min propagating NaN, with min(-0, +0) = -0 (XLA semantics).
func minTemplate(_ t: DType) -> CTemplate {
    t.isFloat ? CTemplate(text: "(($0 < $1 || $0 != $0) ? $0 : (($0 > $1 || $1 != $1) ? $1 : ($0 == 0 ? -(-$0 - $1) : $0)))")
        : CTemplate(text: "($0 < $1 ? $0 : $1)")
}

/// i32 `+`, the sums' combiner.
let wrappingAdd = wrapping("+")

// MARK: - Unary ops

/// What distinguishes one unary op (docs/primitives.md): built with `defUnaryFloat` or spelled out.
struct UnaryDef {
    enum Domain { case float, number, integerOrBool }
    var domain: Domain
    /// The C of one element of dtype `t`. Float ops also have the runtime tile `tileName(op, t)`.
    var c: (DType) -> CTemplate
    /// Evaluation on i32 (ops whose domain includes it) and on bool (`not`).
    var int: ((Int32) -> Int32)? = nil
    var bool: ((Bool) -> Bool)? = nil
    /// Whether its C calls a transcendental.
    var heavy = false
    /// The cotangent of x from x, the output and the output's cotangent; nil: none flows (a zero derivative). It is
    /// `ct * f'(x)`, linear in `ct`: with the tangent in place of `ct` it is also the JVP.
    var vjp: ((_ x: Atom, _ ans: Atom, _ ct: Atom, _ m: VJPEmitter) throws -> Atom)? = nil
    /// The runtime's definition of `ax_OP_T` (RuntimeTable.swift's `mathFunction`): C computing the value of the
    /// parameter `a` of float dtype `t`. nil for the ops whose math the runtime table spells out itself.
    var math: ((DType) -> String)? = nil
}

/// A float function computed by the runtime's math (`ax_OP_T`), the same in kernels, tiles and the interpreter.
/// `math` defines it (see `UnaryDef.math`); the default is the runtime table's own definition.
private func defUnaryFloat(_ op: UnaryOp, heavy: Bool = true, math: ((DType) -> String)? = nil,
                           vjp: ((_ x: Atom, _ ans: Atom, _ ct: Atom, _ m: VJPEmitter) throws -> Atom)?) -> UnaryDef {
    UnaryDef(domain: .float, c: { t in
        let fn = runtimeScalarName(op.rawValue, t)
        return CTemplate(text: "\(fn)($0)", calls: [fn])
    }, heavy: heavy, vjp: vjp, math: math)
}

/// C computing libm's `name` of `a`: in double for f32, rounded once (within SPEC's 2 ulp wherever double libm is).
private func libmMath(_ name: String) -> (DType) -> String {
    { t in t == .f32 ? "return (float)\(name)((double)a);" : "return \(name)(a);" }
}

/// `1 - x*x` for the derivatives of the inverse trigonometric functions.
private func oneMinusSquare(_ x: Atom, _ like: Atom, _ m: VJPEmitter) throws -> Atom {
    try m.sub(m.lit(1, like), m.integerPow(x, 2))
}

/// Each unary op's definition, built once: records read it on hot paths (fusion, emission, simplification).
private let unaryDefs = Dictionary(uniqueKeysWithValues: UnaryOp.allCases.map { ($0, $0.definition) })

extension UnaryOp {
    /// The op's rules.
    var def: UnaryDef { unaryDefs[self]! }

    fileprivate var definition: UnaryDef {
        switch self {
        case .neg:
            return UnaryDef(domain: .number, c: { CTemplate(text: $0 == .i32 ? "((int32_t)(0u - (uint32_t)($0)))" : "(-($0))") },
                            int: { 0 &- $0 }, vjp: { _, _, ct, m in try m.neg(ct) })
        case .exp: return defUnaryFloat(self) { _, ans, ct, m in try m.mul(ct, ans) }
        case .log: return defUnaryFloat(self) { x, _, ct, m in try m.div(ct, x) }
        case .log1p: return defUnaryFloat(self) { x, ans, ct, m in try m.div(ct, m.add(x, m.lit(1, ans))) }
        case .sin: return defUnaryFloat(self) { x, _, ct, m in try m.mul(ct, m.unary(.cos, x)) }
        case .cos: return defUnaryFloat(self) { x, _, ct, m in try m.mul(ct, m.neg(m.unary(.sin, x))) }
        case .tanh: return defUnaryFloat(self) { _, ans, ct, m in try m.mul(m.add(ct, m.mul(ct, ans)), m.sub(m.lit(1, ans), ans)) }
        case .logistic: return defUnaryFloat(self) { _, ans, ct, m in try m.mul(ct, m.mul(ans, m.sub(m.lit(1, ans), ans))) }
        case .sqrt:
            return UnaryDef(domain: .float, c: { CTemplate(text: "\(mathFn("sqrt", $0))($0)") },
                            vjp: { _, ans, ct, m in try m.mul(ct, m.div(m.lit(0.5, ans), ans)) })
        case .abs:
            // JAX: select(x >= 0, g, -g), so abs'(0) = 1.
            return UnaryDef(domain: .number, c: { CTemplate(text: $0 == .i32 ? "($0 < 0 ? (int32_t)(0u - (uint32_t)$0) : $0)" : "\(mathFn("fabs", $0))($0)") },
                            int: { $0 < 0 ? 0 &- $0 : $0 },
                            vjp: { x, ans, ct, m in try m.select(m.binary(.ge, x, m.lit(0, ans)), m.neg(ct), ct) })
        case .sign:
            // sign(±0) = ±0 and sign(NaN) = NaN, as in XLA; its derivative is zero.
            return UnaryDef(domain: .number, c: { t in
                if t == .i32 { return CTemplate(text: "(($0 > 0) - ($0 < 0))") }
                let one = cLiteral(1, t)
                return CTemplate(text: "($0 > 0 ? \(one) : ($0 < 0 ? -\(one) : $0))")
            }, int: { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        case .not:
            return UnaryDef(domain: .integerOrBool, c: { CTemplate(text: $0 == .bool ? "(!($0))" : "(~($0))") },
                            int: { ~$0 }, bool: { !$0 })
        // Piecewise constant: zero derivative (JAX's defjvp_zero). round is half to even (jnp.round's rounding).
        case .floor: return defUnaryFloat(self, heavy: false, math: { "return \(mathFn("floor", $0))(a);" }, vjp: nil)
        case .ceil: return defUnaryFloat(self, heavy: false, math: { "return \(mathFn("ceil", $0))(a);" }, vjp: nil)
        case .round: return defUnaryFloat(self, heavy: false, math: { "return \(mathFn("nearbyint", $0))(a);" }, vjp: nil)
        // The derivatives as JAX's lax.py defines them.
        case .tan: return defUnaryFloat(self, math: libmMath("tan")) { _, ans, ct, m in try m.mul(ct, m.add(m.lit(1, ans), m.integerPow(ans, 2))) }
        case .atan: return defUnaryFloat(self, math: libmMath("atan")) { x, ans, ct, m in try m.div(ct, m.add(m.lit(1, ans), m.integerPow(x, 2))) }
        case .asin: return defUnaryFloat(self, math: libmMath("asin")) { x, ans, ct, m in try m.div(ct, m.unary(.sqrt, oneMinusSquare(x, ans, m))) }
        case .acos: return defUnaryFloat(self, math: libmMath("acos")) { x, ans, ct, m in try m.neg(m.div(ct, m.unary(.sqrt, oneMinusSquare(x, ans, m)))) }
        case .sinh: return defUnaryFloat(self, math: libmMath("sinh")) { x, _, ct, m in try m.mul(ct, m.unary(.cosh, x)) }
        case .cosh: return defUnaryFloat(self, math: libmMath("cosh")) { x, _, ct, m in try m.mul(ct, m.unary(.sinh, x)) }
        case .atanh:
            return defUnaryFloat(self, math: libmMath("atanh")) { x, ans, ct, m in
                try m.mul(m.div(m.lit(1, ans), m.add(m.lit(1, ans), x)), m.div(ct, m.sub(m.lit(1, ans), x)))
            }
        case .expm1: return defUnaryFloat(self, math: libmMath("expm1")) { _, ans, ct, m in try m.mul(ct, m.add(ans, m.lit(1, ans))) }
        case .exp2: return defUnaryFloat(self, math: libmMath("exp2")) { _, ans, ct, m in try m.mul(ct, m.mul(ans, m.lit(M_LN2, ans))) }
        case .erf, .erfc:
            // erfc = 1 - erf without its cancellation for large x (jax.nn.gelu's exact form uses it).
            let sign: Double = self == .erf ? 1 : -1
            return defUnaryFloat(self, math: libmMath(rawValue)) { x, ans, ct, m in
                try m.mul(ct, m.mul(m.lit(sign * 2 / Double.pi.squareRoot(), ans), m.unary(.exp, m.neg(m.integerPow(x, 2)))))
            }
        }
    }
}

/// The record of a unary op.
struct UnaryRules: ElementwiseRules {
    let op: UnaryOp
    var name: String { op.rawValue }
    var isHeavy: Bool { op.def.heavy }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        let t = ins[0]
        switch op.def.domain {
        case .integerOrBool: guard t.dtype == .bool || t.dtype == .i32 else { throw ShapeError("\(name) expects bool, got \(t)") }
        case .number: guard t.dtype != .bool else { throw ShapeError("\(name) expects a number, got \(t)") }
        case .float: guard t.dtype.isFloat else { throw ShapeError("\(name) expects a float, got \(t)") }
        }
        return t
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let def = op.def
        switch args[0].storage {
        case .f32(let a): return .f32(try runtimeUnary(tileName(name, .f32), a))
        case .f64(let a): return .f64(try runtimeUnary(tileName(name, .f64), a))
        case .i32(let a):
            guard let f = def.int else { throw Diagnostic("\(name) expects a float, got i32") }
            return .i32(map1(a, f))
        case .bool(let a):
            guard let f = def.bool else { throw Diagnostic("\(name) expects a number, got bool") }
            return .bool(map1(a, f))
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0], let rule = op.def.vjp else { return [nil] }
        return [try rule(e.inputs[0], .v(e.out), ct, m)]
    }

    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0], let rule = op.def.vjp else { return nil }
        return try rule(e.inputs[0], .v(e.out), t, m)
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched { try batchUnary(.unary(op), ins, b) }

    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        guard op == .neg else { return .keep }
        let x = e.inputs
        if case .lit(let a, let t) = x[0] { return .replace(.lit(-a, t)) }
        if let inner = producer(x[0]), inner.prim == .unary(.neg) { return .replace(inner.inputs[0]) }
        // -broadcast(c) is broadcast(-c), which element-wise consumers then take as the literal -c.
        if let inner = producer(x[0]), case .broadcastInDim = inner.prim, case .lit(let a, let t) = inner.inputs[0] {
            return .rewrite(inner.prim, [.lit(-a, t)])
        }
        return .keep
    }

    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        try k.apply(op.def.c(e.inputs[0].type.dtype), e, idx)
    }
    func tileable(_ e: Eqn, _ t: DType) -> Bool { t.isFloat && op.def.domain != .integerOrBool }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        // Unary tile functions read whole tiles: a held element or a scalar (`x ** 0`) is spread first.
        k.tileCall(plan, tileName(name, plan.dtype), [k.alongTile(args[0], plan)])
    }
}

// MARK: - Binary ops

/// What distinguishes one binary op (docs/primitives.md).
struct BinaryDef {
    enum Kind { case arithmetic, comparison, logical }
    var kind: Kind
    /// The C of one element on operands of dtype `t`. Arithmetic and comparisons also have the runtime tile
    /// `tileName(op, t)` for floats, which the interpreter calls too.
    var c: (DType) -> CTemplate
    /// Evaluation on i32 (arithmetic and logical ops) and on bool (logical ops).
    var int: ((Int32, Int32) -> Int32)? = nil
    var bool: ((Bool, Bool) -> Bool)? = nil
    /// Comparisons: the result from the three-way comparison of the operands (-1, 0, 1).
    var order: ((Int) -> Bool)? = nil
    /// Bit-identical with its operands swapped, NaNs included (CSE orders their operands).
    var commutative = false
    var heavy = false
    /// The cotangents of the operands `x` from the output and its cotangent (only those `need` asks for): each
    /// `ct * ∂f/∂x_i`, linear in `ct`, so the JVP is the sum of each with the operand's tangent in place of `ct`.
    var vjp: ((_ x: [Atom], _ ans: Atom, _ ct: Atom, _ need: [Bool], _ m: VJPEmitter) throws -> [Atom?])? = nil
}

/// A comparison: C operator `op`, three-way test `order`.
private func defCompare(_ op: String, commutative: Bool = false, _ order: @escaping (Int) -> Bool) -> BinaryDef {
    BinaryDef(kind: .comparison, c: { _ in CTemplate(text: "($0 \(op) $1)") }, order: order, commutative: commutative)
}

/// `rule(i)` for each operand `i` that `need` asks for.
private func each(_ need: [Bool], _ rule: (Int) throws -> Atom?) rethrows -> [Atom?] {
    try need.indices.map { need[$0] ? try rule($0) : nil }
}

/// Each binary op's definition, built once (as `unaryDefs`).
private let binaryDefs = Dictionary(uniqueKeysWithValues: BinaryOp.allCases.map { ($0, $0.definition) })

extension BinaryOp {
    /// The op's rules.
    var def: BinaryDef { binaryDefs[self]! }

    fileprivate var definition: BinaryDef {
        switch self {
        case .add:
            return BinaryDef(kind: .arithmetic, c: { $0 == .i32 ? wrappingAdd : CTemplate(text: "($0 + $1)") },
                             int: { $0 &+ $1 }, commutative: true, vjp: { _, _, ct, need, _ in need.map { $0 ? ct : nil } })
        case .sub:
            return BinaryDef(kind: .arithmetic, c: { $0 == .i32 ? wrapping("-") : CTemplate(text: "($0 - $1)") },
                             int: { $0 &- $1 }, vjp: { _, _, ct, need, m in try each(need) { $0 == 0 ? ct : try m.neg(ct) } })
        case .mul:
            return BinaryDef(kind: .arithmetic, c: { $0 == .i32 ? wrapping("*") : CTemplate(text: "($0 * $1)") },
                             int: { $0 &* $1 }, commutative: true,
                             vjp: { x, _, ct, need, m in try each(need) { $0 == 0 ? try m.mul(ct, x[1]) : try m.mul(x[0], ct) } })
        case .div:
            // XLA: x / 0 = -1 and INT_MIN / -1 = INT_MIN for signed integers; never trap.
            return BinaryDef(kind: .arithmetic, c: { t in
                t == .i32 ? CTemplate(text: "($1 == 0 ? (int32_t)-1 : ($1 == -1 ? (int32_t)(0u - (uint32_t)$0) : $0 / $1))")
                    : CTemplate(text: "($0 / $1)")
            }, int: { $1 == 0 ? -1 : ($1 == -1 ? 0 &- $0 : $0 / $1) }, vjp: { x, _, ct, need, m in
                try each(need) { $0 == 0 ? try m.div(ct, x[1]) : try m.mul(m.mul(m.neg(ct), x[0]), m.integerPow(x[1], -2)) }
            })
        case .pow:
            // JAX's _pow_jvp_lhs/rhs for float exponents: y * x^(y-1), and log(x, with 0 replaced by 1) * x^y.
            return BinaryDef(kind: .arithmetic, c: { CTemplate(text: "\(mathFn("pow", $0))($0, $1)") }, heavy: true, vjp: { x, ans, ct, need, m in
                let one = m.lit(1, ans)
                return try each(need) { i in
                    if i == 0 { return try m.mul(ct, m.mul(x[1], m.emit(.binary(.pow), [x[0], m.sub(x[1], one)]))) }
                    let safe: Atom
                    if let a = x[0].literalValue { safe = m.lit(a == 0 ? 1 : a, ans) }
                    else { safe = try m.select(m.binary(.eq, x[0], m.lit(0, ans)), x[0], one) }
                    return try m.mul(ct, m.mul(m.unary(.log, safe), ans))
                }
            })
        case .max, .min:
            // JAX's _balanced_eq: ties split the cotangent equally.
            let isMax = self == .max
            return BinaryDef(kind: .arithmetic, c: { isMax ? maxTemplate($0) : minTemplate($0) },
                             int: { isMax ? Swift.max($0, $1) : Swift.min($0, $1) }, commutative: true, vjp: { x, ans, ct, need, m in
                try each(need) { i in
                    let chosen = try m.select(m.binary(.eq, x[i], ans), m.lit(0, ans), m.lit(1, ans))
                    let other = try m.select(m.binary(.eq, x[1 - i], ans), m.lit(1, ans), m.lit(2, ans))
                    return try m.mul(ct, m.div(chosen, other))
                }
            })
        case .lt: return defCompare("<") { $0 < 0 }
        case .le: return defCompare("<=") { $0 <= 0 }
        case .gt: return defCompare(">") { $0 > 0 }
        case .ge: return defCompare(">=") { $0 >= 0 }
        case .eq: return defCompare("==", commutative: true) { $0 == 0 }
        case .ne: return defCompare("!=", commutative: true) { $0 != 0 }
        case .atan2:
            // JAX: d/dx atan2(x, y) = y / (x² + y²), d/dy = -x / (x² + y²).
            return BinaryDef(kind: .arithmetic, c: { CTemplate(text: "\(mathFn("atan2", $0))($0, $1)") }, heavy: true, vjp: { x, _, ct, need, m in
                let denominator = try m.add(m.integerPow(x[0], 2), m.integerPow(x[1], 2))
                return try each(need) { $0 == 0 ? try m.mul(ct, m.div(x[1], denominator)) : try m.mul(ct, m.div(m.neg(x[0]), denominator)) }
            })
        case .rem:
            // C's fmod for floats (lax.rem); for i32 truncating, with XLA's x % 0 = x and INT_MIN % -1 = 0.
            // JAX: d/dx = 1, d/dy = -sign(x / y) * floor(|x / y|).
            return BinaryDef(kind: .arithmetic, c: { t in
                t == .i32 ? CTemplate(text: "($1 == 0 ? $0 : ($1 == -1 ? 0 : $0 % $1))") : CTemplate(text: "\(mathFn("fmod", t))($0, $1)")
            }, int: { $1 == 0 ? $0 : ($1 == -1 ? 0 : $0 % $1) }, vjp: { x, _, ct, need, m in
                try each(need) { i in
                    if i == 0 { return ct }
                    let q = try m.div(x[0], x[1])
                    return try m.mul(m.neg(ct), m.mul(m.unary(.sign, q), m.unary(.floor, m.unary(.abs, q))))
                }
            })
        case .and: return BinaryDef(kind: .logical, c: { _ in CTemplate(text: "($0 & $1)") }, int: { $0 & $1 }, bool: { $0 && $1 }, commutative: true)
        case .or: return BinaryDef(kind: .logical, c: { _ in CTemplate(text: "($0 | $1)") }, int: { $0 | $1 }, bool: { $0 || $1 }, commutative: true)
        }
    }
    public var isComparison: Bool { def.kind == .comparison }
    public var isLogical: Bool { def.kind == .logical }
}

/// The record of a binary op.
struct BinaryRules: ElementwiseRules {
    let op: BinaryOp
    var name: String { op.rawValue }
    var isHeavy: Bool { op.def.heavy }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 2)
        if ins[0].dtype != ins[1].dtype { throw ShapeError("\(name): operand dtypes differ: \(ins[0]) and \(ins[1])") }
        let shape = try elementwiseShape(name, ins, literal)
        switch op.def.kind {
        case .logical:
            guard ins[0].dtype == .bool || ins[0].dtype == .i32 else { throw ShapeError("\(name) expects bool, got \(ins[0])") }
            return TensorType(ins[0].dtype, shape)
        case .comparison: return TensorType(.bool, shape)
        case .arithmetic:
            guard ins[0].dtype != .bool else { throw ShapeError("\(name) expects numbers, got \(ins[0])") }
            if op == .pow { guard ins[0].dtype.isFloat else { throw ShapeError("pow expects floats, got \(ins[0])") } }
            return TensorType(ins[0].dtype, shape)
        }
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let def = op.def, n = outShape.reduce(1, *)
        func three<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a > b ? 1 : 0) }
        switch (args[0].storage, args[1].storage) {
        case (.f32(let x), .f32(let y)):
            if def.kind == .comparison { return .bool(try runtimeBinary(tileName(name, .f32), x, y, n, Bool.self)) }
            guard def.kind == .arithmetic else { throw Diagnostic("\(name) expects bool, got a float") }
            return .f32(try runtimeBinary(tileName(name, .f32), x, y, n, Float.self))
        case (.f64(let x), .f64(let y)):
            if def.kind == .comparison { return .bool(try runtimeBinary(tileName(name, .f64), x, y, n, Bool.self)) }
            guard def.kind == .arithmetic else { throw Diagnostic("\(name) expects bool, got a float") }
            return .f64(try runtimeBinary(tileName(name, .f64), x, y, n, Double.self))
        case (.i32(let x), .i32(let y)):
            if let order = def.order { return .bool(map2(x, y, n) { order(three($0, $1)) }) }
            guard let f = def.int else { throw Diagnostic("\(name) expects floats, got i32") }
            return .i32(map2(x, y, n, f))
        case (.bool(let x), .bool(let y)):
            if let order = def.order { return .bool(map2(x, y, n) { order(($0 ? 1 : 0) - ($1 ? 1 : 0)) }) }
            guard let f = def.bool else { throw Diagnostic("\(name) expects numbers, got bool") }
            return .bool(map2(x, y, n, f))
        default:
            throw Diagnostic("\(name): operand dtypes differ")
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard let rule = op.def.vjp else { return [nil, nil] }
        return try rule(e.inputs, .v(e.out), ct, need, m)
    }

    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let rule = op.def.vjp else { return nil }
        var sum: Atom? = nil
        for (i, t) in tangents.enumerated() {
            guard let t else { continue }
            guard let part = try rule(e.inputs, .v(e.out), t, tangents.indices.map { $0 == i }, m)[i] else { continue }
            sum = try sum.map { try m.add($0, part) } ?? part
        }
        return sum
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        try b.elementwise(.binary(op), ins, outShape: out.shape)
    }

    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold {
        let x = e.inputs
        /// `a` when it is a variable (then it has the output's type), for `x * 1 → x` and friends.
        func keepVar(_ a: Atom) -> Fold { a.isLiteral ? .keep : .replace(a) }
        if let a = x[0].literalValue, let c = x[1].literalValue,
           op == .add || op == .sub || op == .mul, let r = foldLiteral(op, a, c, x[0].type.dtype) {
            return .replace(.lit(r, x[0].type.dtype))
        }
        switch op {
        case .mul where x[1].literalValue == 1: return keepVar(x[0])
        case .mul where x[0].literalValue == 1: return keepVar(x[1])
        case .add where x[1].literalValue == 0: return keepVar(x[0])
        case .add where x[0].literalValue == 0: return keepVar(x[1])
        case .sub where x[1].literalValue == 0: return keepVar(x[0])
        case .div where x[1].literalValue == 1: return keepVar(x[0])
        case .mul where x[1].literalValue == -1 && !x[0].isLiteral: return .rewrite(.unary(.neg), [x[0]])
        case .mul where x[0].literalValue == -1 && !x[1].isLiteral: return .rewrite(.unary(.neg), [x[1]])
        default: return .keep
        }
    }

    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        try k.apply(op.def.c(e.inputs[0].type.dtype), e, idx)
    }
    func tileable(_ e: Eqn, _ t: DType) -> Bool { t.isFloat && op.def.kind != .logical }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        // Comparisons read `t` operands and write bool tiles (the predicates of selects).
        k.tileCall(plan, tileName(name, plan.dtype), args, type: op.def.kind == .comparison ? "uint8_t" : nil)
    }
}

/// `a op c` for two scalar literals of dtype `t`, rounded to `t` (i32 wraps around); nil when not folded.
func foldLiteral(_ op: BinaryOp, _ a: Double, _ c: Double, _ t: DType) -> Double? {
    switch t {
    case .f32, .f64:
        let r: Double
        switch op {
        case .add: r = a + c
        case .sub: r = a - c
        case .mul: r = a * c
        case .div: r = a / c
        default: return nil
        }
        return t == .f32 ? Double(Float(r)) : r
    case .i32:
        guard Swift.abs(a) < 0x1p62, Swift.abs(c) < 0x1p62, [.add, .sub, .mul].contains(op), let f = op.def.int else { return nil }
        return Double(f(Int32(truncatingIfNeeded: Int64(a)), Int32(truncatingIfNeeded: Int64(c))))
    case .bool: return nil
    }
}

// MARK: - integer_pow

/// `x ** y` by repeated squaring in `mul` (JAX's integer_pow lowering), `one` for y = 0, `reciprocal` of the
/// power for negative `y`: the one algorithm of the interpreter, the scalar C and the tiles.
func repeatedSquaring<T>(_ x0: T, _ y: Int, one: () -> T, mul: (T, T) -> T, reciprocal: (T) -> T) -> T {
    if y == 0 { return one() }
    var k = y.magnitude, x = x0
    var acc: T? = nil
    while k > 0 {
        if k & 1 == 1 { acc = acc.map { mul($0, x) } ?? x }
        k >>= 1
        if k > 0 { x = mul(x, x) }
    }
    return y < 0 ? reciprocal(acc!) : acc!
}

/// The record of `integer_pow` (`x ** y` for a constant integer `y`, what `x ** 2` becomes, as in JAX).
struct IntegerPowRules: ElementwiseRules {
    let y: Int
    var name: String { "integer_pow" }
    var paramText: String { "y=\(y)" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        guard ins[0].dtype != .bool else { throw ShapeError("integer_pow expects a number, got \(ins[0])") }
        return ins[0]
    }
    func precheck(_ args: [Tensor]) throws {
        if y < 0, let x = args.first, x.dtype == .i32 {
            throw Diagnostic("integers cannot be raised to negative powers, got integer_pow(\(x.dtype)\(shapeText(x.shape)), \(y))")
        }
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let y = self.y
        switch args[0].storage {
        case .f32(let a): return .f32(map1(a) { repeatedSquaring($0, y, one: { 1 }, mul: *, reciprocal: { 1 / $0 }) })
        case .f64(let a): return .f64(map1(a) { repeatedSquaring($0, y, one: { 1 }, mul: *, reciprocal: { 1 / $0 }) })
        case .i32(let a): return .i32(map1(a) { repeatedSquaring($0, y, one: { 1 }, mul: &*, reciprocal: { $0 }) })
        case .bool: throw Diagnostic("integer_pow expects a number, got bool")
        }
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        guard need[0], y != 0 else { return [nil] }
        if y == 1 { return [ct] }
        let x = e.inputs[0]
        let base = y == 2 ? x : try m.integerPow(x, y - 1)
        return [try m.mul(ct, m.mul(m.lit(Double(y), .v(e.out)), base))]
    }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0] else { return nil }
        return try vjp(e, ct: t, need: [true], m)[0]
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched { try batchUnary(.integerPow(y), ins, b) }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold { y == 1 ? .replace(e.inputs[0]) : .keep }

    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let t = e.out.type.dtype, mul = BinaryOp.mul.def.c(t), div = BinaryOp.div.def.c(t)
        if y == 0 { return cLiteral(1, t) }
        let x = k.atomize(try k.gen(e.inputs[0], k.operandIndex(e.inputs[0], idx)), t)
        return repeatedSquaring(x, y, one: { cLiteral(1, t) }, mul: { k.atomize(mul.apply([$0, $1]), t) },
                                reciprocal: { div.apply([cLiteral(1, t), $0]) })
    }
    func tileable(_ e: Eqn, _ t: DType) -> Bool { t.isFloat }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        let t = plan.dtype
        return repeatedSquaring(args[0], y, one: { k.tileConstant(1, plan) }, mul: { k.tileCall(plan, tileName("mul", t), [$0, $1]) },
                                reciprocal: { k.tileCall(plan, tileName("div", t), [k.tileConstant(1, plan), $0]) })
    }
}

// MARK: - convert_element_type

/// The record of `convert_element_type`: float → i32 truncates (NaN → 0, saturating), → bool is `x != 0`, bool → 0/1.
struct ConvertRules: ElementwiseRules {
    let to: DType
    var name: String { "convert_element_type" }
    var paramText: String { "new_dtype=\(to)" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        return ins[0].with(dtype: to)
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { convertStorage(args[0].storage, to: to) }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        // Only float → float conversions carry a cotangent (need is false for integer inputs).
        [need[0] ? try m.convert(ct, e.inputs[0].type.dtype) : nil]
    }
    /// Only float → float conversions carry a tangent.
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard let t = tangents[0], e.inputs[0].type.dtype.isFloat, to.isFloat else { return nil }
        return try m.convert(t, to)
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched { try batchUnary(.convert(to), ins, b) }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold { e.inputs[0].type.dtype == to ? .replace(e.inputs[0]) : .keep }

    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        let from = e.inputs[0].type.dtype
        let c: CTemplate
        if from == to { c = CTemplate(text: "$0") }
        else {
            switch to {
            case .bool: c = CTemplate(text: "(($0) != 0)")
            case .i32 where from.isFloat:
                c = CTemplate(text: "($0 != $0 ? 0 : ($0 >= 2147483647.0 ? 2147483647 : ($0 <= -2147483648.0 ? (-2147483647-1) : (int32_t)$0)))")
            default: c = CTemplate(text: "((\(to.cType))($0))")
            }
        }
        return try k.apply(c, e, idx)
    }
}

/// `convert_element_type` of concrete elements.
func convertStorage(_ s: Storage, to t: DType) -> Storage {
    switch (s, t) {
    case (.f32, .f32), (.f64, .f64), (.i32, .i32), (.bool, .bool): return s
    case (.f32(let a), .f64): return .f64(map1(a) { Double($0) })
    case (.f32(let a), .i32): return .i32(map1(a) { Tensor.toInt32(Double($0)) })
    case (.f32(let a), .bool): return .bool(map1(a) { $0 != 0 })
    case (.f64(let a), .f32): return .f32(map1(a) { Float($0) })
    case (.f64(let a), .i32): return .i32(map1(a) { Tensor.toInt32($0) })
    case (.f64(let a), .bool): return .bool(map1(a) { $0 != 0 })
    case (.i32(let a), .f32): return .f32(map1(a) { Float($0) })
    case (.i32(let a), .f64): return .f64(map1(a) { Double($0) })
    case (.i32(let a), .bool): return .bool(map1(a) { $0 != 0 })
    case (.bool(let a), .f32): return .f32(map1(a) { $0 ? 1 : 0 })
    case (.bool(let a), .f64): return .f64(map1(a) { $0 ? 1 : 0 })
    case (.bool(let a), .i32): return .i32(map1(a) { $0 ? 1 : 0 })
    }
}

// MARK: - select_n

/// The record of `select_n(pred, on_false, on_true)`: element-wise choice; pred is bool of the same shape or a scalar.
struct SelectRules: ElementwiseRules {
    var name: String { "select_n" }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 3)
        guard ins[0].dtype == .bool else { throw ShapeError("select_n predicate must be bool, got \(ins[0])") }
        guard ins[1].dtype == ins[2].dtype else { throw ShapeError("select_n branches differ in dtype: \(ins[1]) and \(ins[2])") }
        return TensorType(ins[1].dtype, try elementwiseShape(name, ins, literal))
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        let (pred, f, t) = (args[0], args[1], args[2]), n = outShape.reduce(1, *)
        guard case .bool(let p) = pred.storage else { throw Diagnostic("select_n predicate must be bool") }
        func sel<T: AxElement>(_: T.Type) throws -> Storage {
            guard let a = T.unwrap(f.storage), let b = T.unwrap(t.storage) else { throw Diagnostic("select_n branches differ in dtype") }
            let out: [T] = p.withUnsafeBufferPointer { pp in a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                makeArray(n) { out in
                    let sp = pp.count == n ? 1 : 0, sa = pa.count == n ? 1 : 0, sb = pb.count == n ? 1 : 0
                    let xp = pp.baseAddress!, xa = pa.baseAddress!, xb = pb.baseAddress!
                    for i in 0..<n { out[i] = xp[i * sp] ? xb[i * sb] : xa[i * sa] }
                }
            } } }
            return T.wrap(out)
        }
        switch f.dtype {
        case .f32: return try sel(Float.self)
        case .f64: return try sel(Double.self)
        case .i32: return try sel(Int32.self)
        case .bool: return try sel(Bool.self)
        }
    }

    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        let zero = m.lit(0, .v(e.out)), p = e.inputs[0]
        return [nil, need[1] ? try m.select(p, ct, zero) : nil, need[2] ? try m.select(p, zero, ct) : nil]
    }
    func jvp(_ e: Eqn, tangents t: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        guard t[1] != nil || t[2] != nil else { return nil }
        let zero = m.lit(0, .v(e.out))
        return try m.select(e.inputs[0], t[1] ?? zero, t[2] ?? zero)
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        try b.elementwise(.select, ins, outShape: out.shape)
    }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        try k.apply(CTemplate(text: "($0 ? $2 : $1)"), e, idx)
    }
    func tileable(_ e: Eqn, _ t: DType) -> Bool { t.isFloat }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        k.tileCall(plan, tileName("select", plan.dtype), args)
    }
}
