// The reference interpreter: evaluates one primitive or a whole program on concrete tensors,
// with JAX/XLA-on-CPU semantics (f32 computed in Float, wrapping i32, NaN-propagating max/min). Transcendentals
// call the runtime's math (AxRuntime), the functions compiled kernels call.
import AxRuntime
import Foundation

// MARK: - Public entry points

/// Evaluates one primitive on concrete operands. Literals are passed as scalar tensors; a scalar operand
/// of an element-wise primitive broadcasts. Size variables in the parameters resolve through `sizes`.
public func evalPrimitive(_ prim: Primitive, _ args: [Tensor], sizes: [String: Int]) throws -> Tensor {
    let p = try resolvedPrimitive(prim, sizes)
    for a in args {
        guard a.shape.allSatisfy({ $0 >= 0 }), let n = product(a.shape), n == a.count else {
            throw InternalError("\(prim.name): operand of shape \(shapeText(a.shape)) holds \(a.count) elements")
        }
    }
    try precheck(p, args)
    let outType: TensorType
    do {
        outType = try p.outputType(args.map { TensorType($0.dtype, $0.shape.map(Dim.const)) },
                                   literal: args.map { $0.shape.isEmpty })
    } catch let e as ShapeError {
        throw Diagnostic(e.message)
    }
    let outShape = outType.shape.compactMap(\.constValue)
    guard outShape.count == outType.rank else { throw InternalError("\(prim.name): unresolved output shape \(outType)") }
    let n = try checkedElementCount(outShape, outType.dtype)
    let storage: Storage
    switch p {
    case .unary(let op): storage = try evalUnary(op, args[0].storage)
    case .binary(let op): storage = try evalBinary(op, args[0].storage, args[1].storage, count: n)
    case .integerPow(let y): storage = try evalIntegerPow(y, args[0].storage)
    case .convert(let t): storage = convertStorage(args[0].storage, to: t)
    case .select: storage = try evalSelect(args[0], args[1], args[2], count: n)
    case .reduceSum(let axes), .reduceMax(let axes), .reduceMin(let axes):
        storage = try evalReduce(p, args[0], axes: axes, outCount: n)
    case .dotGeneral(let d): storage = try evalDot(d, args[0], args[1], outShape: outShape)
    case .iota(let t, _, let dim): storage = evalIota(t, outShape, dim)
    case .stopGradient: storage = args[0].storage
    case .broadcastInDim, .reshape, .transpose, .slice, .pad, .concatenate:
        switch outType.dtype {
        case .f32: storage = try structural(p, args, outShape, Float.self)
        case .f64: storage = try structural(p, args, outShape, Double.self)
        case .i32: storage = try structural(p, args, outShape, Int32.self)
        case .bool: storage = try structural(p, args, outShape, Bool.self)
        }
    }
    let out = Tensor(shape: outShape, storage: storage)
    guard out.count == n, out.dtype == outType.dtype else {
        throw InternalError("\(prim.name): produced \(out.dtype)\(shapeText(out.shape)) with \(out.count) elements, expected \(outType)")
    }
    return out
}

/// Evaluates a whole program. Inputs are checked against `p.inputs` (dtype, rank, constant dimensions and
/// size variables under `sizes`; size variables not in `sizes` are bound by the first input that has them).
/// Errors in equations carry the equation's source range.
public func evaluate(_ p: Program, inputs: [Tensor], sizes: [String: Int]) throws -> [Tensor] {
    guard inputs.count == p.inputs.count else {
        throw Diagnostic("\(p.name) takes \(p.inputs.count) input(s), got \(inputs.count)")
    }
    let names = p.inputLeafNames
    var sizes = sizes
    for (i, (v, t)) in zip(p.inputs, inputs).enumerated() {
        let name = i < names.count && names.count == p.inputs.count ? names[i] : "input \(i)"
        let got = "\(t.dtype)\(shapeText(t.shape))"
        guard t.dtype == v.type.dtype, t.shape.count == v.type.rank else {
            throw Diagnostic("input '\(name)' must be \(v.type), got \(got)")
        }
        for (axis, (d, k)) in zip(v.type.shape, t.shape).enumerated() {
            switch d {
            case .const(let c):
                guard c == k else { throw Diagnostic("input '\(name)' must be \(v.type), got \(got) (axis \(axis) has size \(k), expected \(c))") }
            case .sym(let s):
                if let b = sizes[s] {
                    guard b == k else { throw Diagnostic("input '\(name)' must be \(v.type) with \(s) = \(b), got \(got) (axis \(axis) has size \(k))") }
                } else {
                    sizes[s] = k
                }
            }
        }
    }
    // Free intermediates after their last use (eager runs move large arrays through here).
    var lastUse: [Int: Int] = [:]
    for (i, e) in p.eqns.enumerated() { for a in e.inputs { if let x = a.variable { lastUse[x.id] = i } } }
    let keep = Set(p.outputs.compactMap { $0.variable?.id })
    var env: [Int: Tensor] = [:]
    for (v, t) in zip(p.inputs, inputs) { env[v.id] = t }
    func value(_ a: Atom) throws -> Tensor {
        switch a {
        case .v(let x):
            guard let t = env[x.id] else { throw InternalError("evaluate: variable \(x.id) used before definition") }
            return t
        case .lit(let x, let d): return Tensor(scalar: x, d)
        }
    }
    for (i, e) in p.eqns.enumerated() {
        let args = try e.inputs.map(value)
        do {
            env[e.out.id] = try evalPrimitive(e.prim, args, sizes: sizes)
        } catch var d as Diagnostic {
            if d.range == nil { d.range = e.loc }
            throw d
        }
        if let expected = e.out.type.concreteShape(sizes), let got = env[e.out.id], got.shape != expected || got.dtype != e.out.type.dtype {
            throw InternalError("evaluate: \(e.prim.name) produced \(got.dtype)\(shapeText(got.shape)), its type is \(e.out.type)")
        }
        for a in e.inputs {
            if let x = a.variable, lastUse[x.id] == i, !keep.contains(x.id) { env[x.id] = nil }
        }
    }
    return try p.outputs.map(value)
}

// MARK: - Sizes and parameter checks

/// The largest array the interpreter allocates.
let maxElements = 1 << 31
let maxBytes = 16 << 30

func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ",") + "]" }

/// Product of non-negative dims, nil on overflow.
func product(_ shape: [Int]) -> Int? {
    if shape.contains(0) { return 0 }
    var n = 1
    for d in shape {
        let (m, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = m
    }
    return n
}

/// The element count of an array about to be allocated, or a Diagnostic if it is too large.
func checkedElementCount(_ shape: [Int], _ dtype: DType) throws -> Int {
    guard shape.allSatisfy({ $0 >= 0 }) else { throw Diagnostic("array of shape \(shapeText(shape)) has a negative dimension") }
    guard let n = product(shape), n <= maxElements, n * dtype.byteSize <= maxBytes else {
        throw Diagnostic("array of shape \(shapeText(shape)) is too large (the limit is 2^31 elements and 16 GiB)")
    }
    return n
}

/// `prim` with every size variable replaced by its value.
func resolvedPrimitive(_ prim: Primitive, _ sizes: [String: Int]) throws -> Primitive {
    func r(_ ds: [Dim]) throws -> [Dim] {
        let out = try ds.map { d -> Dim in
            guard let k = d.resolve(sizes) else { throw Diagnostic("\(prim.name): size variable '\(d)' is not bound") }
            guard k >= 0 else { throw Diagnostic("\(prim.name): size variable '\(d)' = \(k) is negative") }
            return .const(k)
        }
        return out
    }
    func big(_ ds: [Dim]) throws -> [Dim] {
        let shape = try r(ds)
        let ks = shape.compactMap(\.constValue)
        guard let n = product(ks), n <= maxElements else {
            throw Diagnostic("array of shape \(shapeText(ks)) is too large (the limit is 2^31 elements and 16 GiB)")
        }
        return shape
    }
    switch prim {
    case .broadcastInDim(let s, let d): return .broadcastInDim(shape: try big(s), dims: d)
    case .reshape(let s): return .reshape(try big(s))
    case .slice(let s, let l, let st): return .slice(start: s, limit: try r(l), strides: st)
    case .iota(let t, let s, let d): return .iota(t, shape: try big(s), dimension: d)
    default: return prim
    }
}

/// Checks the parameters whose arithmetic in the shape rules could overflow, and ones the rules do not check.
func precheck(_ p: Primitive, _ args: [Tensor]) throws {
    switch p {
    case .slice(let start, let limit, let strides):
        guard let x = args.first, start.count == x.shape.count, limit.count == x.shape.count, strides.count == x.shape.count else { return }
        for i in 0..<x.shape.count {
            let l = limit[i].constValue ?? -1
            guard strides[i] >= 1, start[i] >= 0, start[i] <= l, l <= x.shape[i],
                  !(l - start[i]).addingReportingOverflow(strides[i]).overflow else {
                throw Diagnostic("slice: start \(start[i]), limit \(limit[i]), stride \(strides[i]) out of range for axis \(i) of size \(x.shape[i])")
            }
        }
    case .pad(let lo, let hi, let interior):
        guard let x = args.first, lo.count == x.shape.count, hi.count == x.shape.count, interior.count == x.shape.count else { return }
        for i in 0..<x.shape.count {
            guard interior[i] >= 0 else { throw Diagnostic("pad: negative interior padding \(interior[i]) on axis \(i)") }
            // With these bounds no size arithmetic below or in the shape rule can overflow.
            guard (-(1 << 40)...(1 << 40)).contains(lo[i]), (-(1 << 40)...(1 << 40)).contains(hi[i]), interior[i] <= maxElements,
                  x.shape[i] + Swift.max(0, x.shape[i] - 1) * interior[i] + lo[i] + hi[i] <= maxElements else {
                throw Diagnostic("pad: padded size of axis \(i) is too large")
            }
        }
    case .integerPow(let y):
        if y < 0, let x = args.first, x.dtype == .i32 {
            throw Diagnostic("integers cannot be raised to negative powers, got integer_pow(\(x.dtype)\(shapeText(x.shape)), \(y))")
        }
    default: break
    }
}

// MARK: - Typed element helpers

/// Element types of `Storage`, for generic structural code.
protocol AxElement {
    static func unwrap(_ s: Storage) -> [Self]?
    static func wrap(_ a: [Self]) -> Storage
}
extension Float: AxElement {
    static func unwrap(_ s: Storage) -> [Float]? { if case .f32(let a) = s { return a }; return nil }
    static func wrap(_ a: [Float]) -> Storage { .f32(a) }
}
extension Double: AxElement {
    static func unwrap(_ s: Storage) -> [Double]? { if case .f64(let a) = s { return a }; return nil }
    static func wrap(_ a: [Double]) -> Storage { .f64(a) }
}
extension Int32: AxElement {
    static func unwrap(_ s: Storage) -> [Int32]? { if case .i32(let a) = s { return a }; return nil }
    static func wrap(_ a: [Int32]) -> Storage { .i32(a) }
}
extension Bool: AxElement {
    static func unwrap(_ s: Storage) -> [Bool]? { if case .bool(let a) = s { return a }; return nil }
    static func wrap(_ a: [Bool]) -> Storage { .bool(a) }
}

/// Float types with their element-wise math: the runtime's tile functions (AxRuntime, generated from
/// Codegen/RuntimeTable.swift), the ones compiled kernels call, so eager and jit compute the same bits.
protocol AxFloat: BinaryFloatingPoint, AxElement {
    /// `op` applied to every element by the runtime; nil for the ops Swift computes exactly (neg, abs, sqrt, sign).
    static func runtimeMath(_ op: UnaryOp, _ a: [Self]) -> [Self]?
    static func fpow(_ x: Self, _ y: Self) -> Self
}
extension Float: AxFloat {
    static func runtimeMath(_ op: UnaryOp, _ a: [Float]) -> [Float]? {
        switch op {
        case .exp: return mapRuntime(a, ax_vexp_f32)
        case .log: return mapRuntime(a, ax_vlog_f32)
        case .log1p: return mapRuntime(a, ax_vlog1p_f32)
        case .sin: return mapRuntime(a, ax_vsin_f32)
        case .cos: return mapRuntime(a, ax_vcos_f32)
        case .tanh: return mapRuntime(a, ax_vtanh_f32)
        case .logistic: return mapRuntime(a, ax_vlogistic_f32)
        default: return nil
        }
    }
    static func fpow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}
extension Double: AxFloat {
    static func runtimeMath(_ op: UnaryOp, _ a: [Double]) -> [Double]? {
        switch op {
        case .exp: return mapRuntime(a, ax_vexp_f64)
        case .log: return mapRuntime(a, ax_vlog_f64)
        case .log1p: return mapRuntime(a, ax_vlog1p_f64)
        case .sin: return mapRuntime(a, ax_vsin_f64)
        case .cos: return mapRuntime(a, ax_vcos_f64)
        case .tanh: return mapRuntime(a, ax_vtanh_f64)
        case .logistic: return mapRuntime(a, ax_vlogistic_f64)
        default: return nil
        }
    }
    static func fpow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

/// `f(n, a, out)`, a runtime tile function, over the whole array.
private func mapRuntime<T>(_ a: [T], _ f: (Int64, UnsafePointer<T>?, UnsafeMutablePointer<T>?) -> Void) -> [T] {
    a.withUnsafeBufferPointer { pa in
        makeArray(pa.count) { out in f(Int64(pa.count), pa.baseAddress, out) }
    }
}

/// An array of `n` elements filled by `body` through a raw pointer.
@inline(__always)
func makeArray<U>(_ n: Int, _ body: (UnsafeMutablePointer<U>) throws -> Void) rethrows -> [U] {
    try [U](unsafeUninitializedCapacity: n) { buf, count in
        if n > 0, let p = buf.baseAddress { try body(p) }
        count = n
    }
}

/// Element-wise map of one array.
@inline(__always)
func map1<T, U>(_ a: [T], _ f: (T) -> U) -> [U] {
    a.withUnsafeBufferPointer { pa in
        makeArray(pa.count) { out in
            let x = pa.baseAddress!
            for i in 0..<pa.count { out[i] = f(x[i]) }
        }
    }
}

/// Element-wise map of two arrays producing `n` elements; an operand of one element broadcasts.
@inline(__always)
func map2<T, U>(_ a: [T], _ b: [T], _ n: Int, _ f: (T, T) -> U) -> [U] {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            makeArray(n) { out in
                let x = pa.baseAddress!, y = pb.baseAddress!
                if pa.count == n && pb.count == n {
                    for i in 0..<n { out[i] = f(x[i], y[i]) }
                } else if pb.count == 1 && pa.count == n {
                    let s = y[0]
                    for i in 0..<n { out[i] = f(x[i], s) }
                } else {
                    let s = x[0]
                    for i in 0..<n { out[i] = f(s, y[i]) }
                }
            }
        }
    }
}

// MARK: - Element-wise primitives

func evalUnary(_ op: UnaryOp, _ s: Storage) throws -> Storage {
    switch s {
    case .f32(let a): return .f32(try floatUnary(op, a))
    case .f64(let a): return .f64(try floatUnary(op, a))
    case .i32(let a):
        switch op {
        case .neg: return .i32(map1(a) { 0 &- $0 })
        case .abs: return .i32(map1(a) { $0 < 0 ? 0 &- $0 : $0 })
        case .sign: return .i32(map1(a) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        case .not: return .i32(map1(a) { ~$0 })
        default: throw Diagnostic("\(op.rawValue) expects a float, got i32")
        }
    case .bool(let a):
        guard op == .not else { throw Diagnostic("\(op.rawValue) expects a number, got bool") }
        return .bool(map1(a) { !$0 })
    }
}

func floatUnary<T: AxFloat>(_ op: UnaryOp, _ a: [T]) throws -> [T] {
    switch op {
    case .neg: return map1(a) { -$0 }
    case .exp, .log, .log1p, .sin, .cos, .tanh, .logistic:
        guard let r = T.runtimeMath(op, a) else { throw InternalError("\(op.rawValue) has no runtime function") }
        return r
    case .sqrt: return map1(a) { $0.squareRoot() }
    case .abs: return map1(a) { Swift.abs($0) }
    case .sign: return map1(a) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }  // keeps ±0 and NaN
    case .not: throw Diagnostic("not expects bool or i32, got a float")
    }
}

/// XLA's maximum: NaN if either operand is NaN, and +0 above -0.
@inline(__always)
func xlaMax<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
    if a > b { return a }
    if b > a { return b }
    if a.isNaN { return a }
    if b.isNaN { return b }
    return a.sign == .minus ? b : a
}

/// XLA's minimum: NaN if either operand is NaN, and -0 below +0.
@inline(__always)
func xlaMin<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
    if a < b { return a }
    if b < a { return b }
    if a.isNaN { return a }
    if b.isNaN { return b }
    return a.sign == .minus ? a : b
}

/// XLA's i32 division: truncating, `x / 0 == -1`, `INT_MIN / -1 == INT_MIN`.
@inline(__always)
func xlaDiv(_ a: Int32, _ b: Int32) -> Int32 {
    if b == 0 { return -1 }
    if b == -1 { return 0 &- a }
    return a / b
}

func evalBinary(_ op: BinaryOp, _ a: Storage, _ b: Storage, count n: Int) throws -> Storage {
    switch (a, b) {
    case (.f32(let x), .f32(let y)): return try floatBinary(op, x, y, n)
    case (.f64(let x), .f64(let y)): return try floatBinary(op, x, y, n)
    case (.i32(let x), .i32(let y)):
        switch op {
        case .add: return .i32(map2(x, y, n) { $0 &+ $1 })
        case .sub: return .i32(map2(x, y, n) { $0 &- $1 })
        case .mul: return .i32(map2(x, y, n) { $0 &* $1 })
        case .div: return .i32(map2(x, y, n) { xlaDiv($0, $1) })
        case .max: return .i32(map2(x, y, n) { Swift.max($0, $1) })
        case .min: return .i32(map2(x, y, n) { Swift.min($0, $1) })
        case .and: return .i32(map2(x, y, n) { $0 & $1 })
        case .or: return .i32(map2(x, y, n) { $0 | $1 })
        case .pow: throw Diagnostic("pow expects floats, got i32")
        default: return .bool(try compare(op, x, y, n))
        }
    case (.bool(let x), .bool(let y)):
        switch op {
        case .and: return .bool(map2(x, y, n) { $0 && $1 })
        case .or: return .bool(map2(x, y, n) { $0 || $1 })
        case .lt: return .bool(map2(x, y, n) { !$0 && $1 })
        case .le: return .bool(map2(x, y, n) { !$0 || $1 })
        case .gt: return .bool(map2(x, y, n) { $0 && !$1 })
        case .ge: return .bool(map2(x, y, n) { $0 || !$1 })
        case .eq: return .bool(map2(x, y, n) { $0 == $1 })
        case .ne: return .bool(map2(x, y, n) { $0 != $1 })
        default: throw Diagnostic("\(op.rawValue) expects numbers, got bool")
        }
    default:
        throw Diagnostic("\(op.rawValue): operand dtypes differ")
    }
}

func compare<T: Comparable>(_ op: BinaryOp, _ x: [T], _ y: [T], _ n: Int) throws -> [Bool] {
    switch op {
    case .lt: return map2(x, y, n) { $0 < $1 }
    case .le: return map2(x, y, n) { $0 <= $1 }
    case .gt: return map2(x, y, n) { $0 > $1 }
    case .ge: return map2(x, y, n) { $0 >= $1 }
    case .eq: return map2(x, y, n) { $0 == $1 }
    case .ne: return map2(x, y, n) { $0 != $1 }
    default: throw InternalError("compare: \(op.rawValue) is not a comparison")
    }
}

func floatBinary<T: AxFloat>(_ op: BinaryOp, _ x: [T], _ y: [T], _ n: Int) throws -> Storage {
    switch op {
    case .add: return T.wrap(map2(x, y, n) { $0 + $1 })
    case .sub: return T.wrap(map2(x, y, n) { $0 - $1 })
    case .mul: return T.wrap(map2(x, y, n) { $0 * $1 })
    case .div: return T.wrap(map2(x, y, n) { $0 / $1 })
    case .pow: return T.wrap(map2(x, y, n) { T.fpow($0, $1) })
    case .max: return T.wrap(map2(x, y, n) { xlaMax($0, $1) })
    case .min: return T.wrap(map2(x, y, n) { xlaMin($0, $1) })
    case .and, .or: throw Diagnostic("\(op.rawValue) expects bool, got a float")
    default: return .bool(try compare(op, x, y, n))
    }
}

/// JAX's `integer_pow` lowering: repeated squaring in the dtype, reciprocal for negative `y`.
@inline(__always)
func integerPow<T>(_ x0: T, _ y0: Int, one: T, mul: (T, T) -> T) -> T {
    if y0 == 0 { return one }
    var y = y0.magnitude, x = x0
    var acc: T? = nil
    while y > 0 {
        if y & 1 == 1 { acc = acc.map { mul($0, x) } ?? x }
        y >>= 1
        if y > 0 { x = mul(x, x) }
    }
    return acc ?? one
}

func evalIntegerPow(_ y: Int, _ s: Storage) throws -> Storage {
    switch s {
    case .f32(let a):
        return .f32(map1(a) { x in let p = integerPow(x, y, one: 1) { $0 * $1 }; return y < 0 ? 1 / p : p })
    case .f64(let a):
        return .f64(map1(a) { x in let p = integerPow(x, y, one: 1) { $0 * $1 }; return y < 0 ? 1 / p : p })
    case .i32(let a):
        guard y >= 0 else { throw Diagnostic("integers cannot be raised to negative powers (integer_pow y=\(y))") }
        return .i32(map1(a) { x in integerPow(x, y, one: 1) { $0 &* $1 } })
    case .bool: throw Diagnostic("integer_pow expects a number, got bool")
    }
}

/// `convert_element_type`: float → i32 truncates (NaN → 0, saturating), → bool is `x != 0`, bool → 0/1.
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

/// `select_n(pred, on_false, on_true)`; scalar operands broadcast.
func evalSelect(_ pred: Tensor, _ f: Tensor, _ t: Tensor, count n: Int) throws -> Storage {
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

// MARK: - Strided iteration

/// Drops unit dimensions and merges adjacent dimensions that are contiguous in every stride set.
func simplifyBox(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var sh: [Int] = []
    var st: [[Int]] = strides.map { _ in [] }
    for d in 0..<shape.count where shape[d] != 1 {
        if let last = sh.last, strides.indices.allSatisfy({ st[$0].last! == strides[$0][d] * shape[d] }) {
            sh[sh.count - 1] = last * shape[d]
            for k in strides.indices { st[k][st[k].count - 1] = strides[k][d] }
        } else {
            sh.append(shape[d])
            for k in strides.indices { st[k].append(strides[k][d]) }
        }
    }
    return (sh, st)
}

/// Calls `body(offsets, n, innerStrides)` for each innermost row of a box of `shape` walked with
/// several stride sets from base offsets `bases`.
@inline(__always)
func forEachRow(_ shape: [Int], _ strides: [[Int]], bases: [Int], _ body: ([Int], Int, [Int]) -> Void) {
    if shape.contains(0) { return }
    let (sh, st) = simplifyBox(shape, strides)
    if sh.isEmpty { body(bases, 1, strides.map { _ in 0 }); return }
    let r = sh.count
    let inner = st.map { $0[r - 1] }
    var idx = [Int](repeating: 0, count: r)
    var off = bases
    while true {
        body(off, sh[r - 1], inner)
        var d = r - 2
        while d >= 0 {
            idx[d] += 1
            for k in off.indices { off[k] += st[k][d] }
            if idx[d] < sh[d] { break }
            for k in off.indices { off[k] -= st[k][d] * sh[d] }
            idx[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

/// Walks the rows of a box simplified by `simplifyBox`, with one stride set: `body(offset, n, stride)` per row.
@inline(__always)
func walkRows(_ sh: [Int], _ st: [Int], base: Int, _ body: (Int, Int, Int) -> Void) {
    let r = sh.count
    switch r {
    case 0: body(base, 1, 0)
    case 1: body(base, sh[0], st[0])
    case 2: for i in 0..<sh[0] { body(base + i * st[0], sh[1], st[1]) }
    default:
        withUnsafeTemporaryAllocation(of: Int.self, capacity: r) { idx in
            idx.initialize(repeating: 0)
            var off = base
            while true {
                body(off, sh[r - 1], st[r - 1])
                var d = r - 2
                while d >= 0 {
                    idx[d] += 1
                    off += st[d]
                    if idx[d] < sh[d] { break }
                    off -= st[d] * sh[d]
                    idx[d] = 0
                    d -= 1
                }
                if d < 0 { return }
            }
        }
    }
}

/// Copies a box of `shape` from `src` (offset `srcBase`, strides `srcStrides`) into `dst` (offset `dstBase`, strides `dstStrides`).
func stridedCopy<T>(_ src: UnsafePointer<T>, _ srcBase: Int, _ srcStrides: [Int],
                    _ dst: UnsafeMutablePointer<T>, _ dstBase: Int, _ dstStrides: [Int], _ shape: [Int]) {
    forEachRow(shape, [srcStrides, dstStrides], bases: [srcBase, dstBase]) { off, n, inner in
        let s = src + off[0], d = dst + off[1]
        let ss = inner[0], ds = inner[1]
        if ss == 1 && ds == 1 {
            d.update(from: s, count: n)
        } else if ss == 0 {
            let v = s[0]
            for i in 0..<n { d[i * ds] = v }
        } else {
            for i in 0..<n { d[i * ds] = s[i * ss] }
        }
    }
}

// MARK: - Structural primitives

/// broadcast_in_dim, reshape, transpose, slice, pad, concatenate on element type `T`.
func structural<T: AxElement>(_ p: Primitive, _ args: [Tensor], _ outShape: [Int], _: T.Type) throws -> Storage {
    let xs = try args.map { a -> [T] in
        guard let v = T.unwrap(a.storage) else { throw Diagnostic("\(p.name): operand dtypes differ") }
        return v
    }
    let n = outShape.reduce(1, *)
    let outStrides = Tensor.strides(outShape)
    let x = xs[0], xShape = args[0].shape, xStrides = Tensor.strides(xShape)
    switch p {
    case .reshape:
        return T.wrap(x)
    case .broadcastInDim(_, let dims):
        var st = [Int](repeating: 0, count: outShape.count)
        for (i, d) in dims.enumerated() where xShape[i] != 1 { st[d] = xStrides[i] }
        return T.wrap(x.withUnsafeBufferPointer { px in
            makeArray(n) { out in stridedCopy(px.baseAddress!, 0, st, out, 0, outStrides, outShape) }
        })
    case .transpose(let perm):
        let st = perm.map { xStrides[$0] }
        return T.wrap(x.withUnsafeBufferPointer { px in
            makeArray(n) { out in stridedCopy(px.baseAddress!, 0, st, out, 0, outStrides, outShape) }
        })
    case .slice(let start, _, let strides):
        let base = zip(start, xStrides).reduce(0) { $0 + $1.0 * $1.1 }
        let st = zip(strides, xStrides).map { $0 * $1 }
        return T.wrap(x.withUnsafeBufferPointer { px in
            makeArray(n) { out in stridedCopy(px.baseAddress!, base, st, out, 0, outStrides, outShape) }
        })
    case .pad(let lo, _, let interior):
        let v = xs[1][0]
        // The input indices that land inside the output, per axis: lo + i*(interior+1) in [0, outSize).
        var first: [Int] = [], box: [Int] = [], dstBase = 0, dstStrides: [Int] = []
        for d in 0..<xShape.count {
            let step = interior[d] + 1
            var i0 = 0
            if lo[d] < 0 { i0 = (-lo[d] + step - 1) / step }
            var i1 = xShape[d]  // exclusive
            if xShape[d] > 0 {
                let lastOut = outShape[d] - 1 - lo[d]  // largest padded position that fits
                i1 = lastOut < 0 ? 0 : Swift.min(xShape[d], lastOut / step + 1)
            }
            let count = Swift.max(0, i1 - i0)
            first.append(i0); box.append(count)
            dstBase += (lo[d] + i0 * step) * outStrides[d]
            dstStrides.append(step * outStrides[d])
        }
        let srcBase = zip(first, xStrides).reduce(0) { $0 + $1.0 * $1.1 }
        return T.wrap(x.withUnsafeBufferPointer { px in
            makeArray(n) { out in
                out.initialize(repeating: v, count: n)
                if box.allSatisfy({ $0 > 0 }) {
                    stridedCopy(px.baseAddress!, srcBase, xStrides, out, dstBase, dstStrides, box)
                }
            }
        })
    case .concatenate(let axis):
        return T.wrap(makeArray(n) { out in
            var offset = 0
            for (a, t) in zip(xs, args) {
                a.withUnsafeBufferPointer { pa in
                    if pa.count > 0 {
                        stridedCopy(pa.baseAddress!, 0, Tensor.strides(t.shape), out, offset * outStrides[axis], outStrides, t.shape)
                    }
                }
                offset += t.shape[axis]
            }
        })
    default:
        throw InternalError("structural: \(p.name) is not structural")
    }
}

// MARK: - Reductions

func evalReduce(_ p: Primitive, _ x: Tensor, axes: [Int], outCount: Int) throws -> Storage {
    let shape = x.shape, strides = Tensor.strides(shape)
    let kept = (0..<shape.count).filter { !axes.contains($0) }
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
    func sumF<T: BinaryFloatingPoint>(_ a: [T]) -> [T] {
        run(a, 0.0 as Double, { acc, s, n, st in
            var acc = acc
            for i in 0..<n { acc += Double(s[i * st]) }
            return acc
        }, { T($0) })
    }
    func extremum<T: BinaryFloatingPoint>(_ a: [T], _ isMax: Bool) -> [T] {
        run(a, isMax ? -T.infinity : T.infinity, { acc, s, n, st in
            var acc = acc
            if isMax { for i in 0..<n { acc = xlaMax(acc, s[i * st]) } } else { for i in 0..<n { acc = xlaMin(acc, s[i * st]) } }
            return acc
        }, { $0 })
    }
    func intReduce(_ a: [Int32]) -> [Int32] {
        switch p {
        case .reduceMax: return run(a, Int32.min, { acc, s, n, st in var acc = acc; for i in 0..<n { acc = Swift.max(acc, s[i * st]) }; return acc }, { $0 })
        case .reduceMin: return run(a, Int32.max, { acc, s, n, st in var acc = acc; for i in 0..<n { acc = Swift.min(acc, s[i * st]) }; return acc }, { $0 })
        default: return run(a, Int32(0), { acc, s, n, st in var acc = acc; for i in 0..<n { acc &+= s[i * st] }; return acc }, { $0 })
        }
    }
    let isSum: Bool, isMax: Bool
    switch p {
    case .reduceSum: isSum = true; isMax = false
    case .reduceMax: isSum = false; isMax = true
    default: isSum = false; isMax = false
    }
    switch x.storage {
    case .f32(let a): return .f32(isSum ? sumF(a) : extremum(a, isMax))
    case .f64(let a): return .f64(isSum ? sumF(a) : extremum(a, isMax))
    case .i32(let a): return .i32(intReduce(a))
    case .bool: throw Diagnostic("\(p.name) expects numbers, got bool")
    }
}

// MARK: - dot_general

/// dot_general: both operands are gathered to [batch, free, contract] layout, then each output element
/// is a contiguous dot product (f32 accumulates in Double, i32 wraps).
func evalDot(_ d: DotDims, _ l: Tensor, _ r: Tensor, outShape: [Int]) throws -> Storage {
    func layout(_ t: Tensor, batch: [Int], contract: [Int]) -> (perm: [Int], free: Int, k: Int) {
        let free = (0..<t.shape.count).filter { !batch.contains($0) && !contract.contains($0) }
        return (batch + free + contract, free.reduce(1) { $0 * t.shape[$1] }, contract.reduce(1) { $0 * t.shape[$1] })
    }
    let (lp, m, k) = layout(l, batch: d.lhsBatch, contract: d.lhsContract)
    let (rp, nn, _) = layout(r, batch: d.rhsBatch, contract: d.rhsContract)
    let b = d.lhsBatch.reduce(1) { $0 * l.shape[$1] }
    let total = b * m * nn
    func gather<T>(_ a: [T], _ t: Tensor, _ perm: [Int]) -> [T] {
        if perm == Array(0..<perm.count) { return a }
        let st = Tensor.strides(t.shape)
        let shape = perm.map { t.shape[$0] }
        return a.withUnsafeBufferPointer { pa in
            makeArray(a.count) { out in stridedCopy(pa.baseAddress!, 0, perm.map { st[$0] }, out, 0, Tensor.strides(shape), shape) }
        }
    }
    func kernel<T, A>(_ la: [T], _ ra: [T], _ zero: A, _ fma: (A, T, T) -> A, _ finish: (A) -> T) -> [T] {
        let lg = gather(la, l, lp), rg = gather(ra, r, rp)
        return lg.withUnsafeBufferPointer { pl in rg.withUnsafeBufferPointer { pr in
            makeArray(total) { out in
                var o = 0
                for bi in 0..<b {
                    for i in 0..<m {
                        let lrow = pl.baseAddress.map { $0 + (bi * m + i) * k }
                        for j in 0..<nn {
                            var acc = zero
                            if let lrow, let rrow = pr.baseAddress.map({ $0 + (bi * nn + j) * k }) {
                                for q in 0..<k { acc = fma(acc, lrow[q], rrow[q]) }
                            }
                            out[o] = finish(acc); o += 1
                        }
                    }
                }
            }
        } }
    }
    guard total == outShape.reduce(1, *) else { throw InternalError("dot_general: output size mismatch") }
    switch (l.storage, r.storage) {
    case (.f32(let x), .f32(let y)): return .f32(kernel(x, y, 0.0 as Double, { $0 + Double($1) * Double($2) }, { Float($0) }))
    case (.f64(let x), .f64(let y)): return .f64(kernel(x, y, 0.0 as Double, { $0 + $1 * $2 }, { $0 }))
    case (.i32(let x), .i32(let y)): return .i32(kernel(x, y, Int32(0), { $0 &+ $1 &* $2 }, { $0 }))
    default: throw Diagnostic("dot_general: operands must be numbers of the same dtype")
    }
}

// MARK: - iota

func evalIota(_ t: DType, _ shape: [Int], _ dim: Int) -> Storage {
    let n = shape.reduce(1, *)
    let inner = Tensor.strides(shape)[dim], size = shape[dim]
    func fill<T>(_ f: (Int) -> T) -> [T] { makeArray(n) { out in for i in 0..<n { out[i] = f((i / inner) % size) } } }
    switch t {
    case .f32: return .f32(fill { Float($0) })
    case .f64: return .f64(fill { Double($0) })
    case .i32: return .i32(fill { Int32(truncatingIfNeeded: $0) })
    case .bool: return .bool(fill { $0 != 0 })
    }
}
