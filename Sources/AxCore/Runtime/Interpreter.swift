// The reference interpreter: evaluates one primitive or a whole program on concrete tensors,
// with JAX/XLA-on-CPU semantics; each primitive's evaluation is in its record (Primitives/), which for float math
// calls the runtime's functions (AxRuntime), those compiled kernels call.
import Foundation

// MARK: - Public entry points

/// Evaluates one primitive on concrete operands. Literals are passed as scalar tensors; a scalar operand
/// of an element-wise primitive broadcasts. Size variables in the parameters resolve through `sizes`.
public func evalPrimitive(_ prim: Primitive, _ args: [Tensor], sizes: [String: Int]) throws -> Tensor {
    let p = try resolvedPrimitive(prim, sizes), rules = p.rules
    for a in args {
        guard a.shape.allSatisfy({ $0 >= 0 }), let n = product(a.shape), n == a.count else {
            throw InternalError("\(prim.name): operand of shape \(shapeText(a.shape)) holds \(a.count) elements")
        }
    }
    try rules.precheck(args)
    let outType: TensorType
    do {
        outType = try rules.outputType(args.map { TensorType($0.dtype, $0.shape.map(Dim.const)) },
                                   literal: args.map { $0.shape.isEmpty })
    } catch let e as ShapeError {
        throw Diagnostic(e.message)
    }
    let outShape = outType.shape.compactMap(\.constValue)
    guard outShape.count == outType.rank else { throw InternalError("\(prim.name): unresolved output shape \(outType)") }
    let n = try checkedElementCount(outShape, outType.dtype)
    let storage = try rules.evaluate(args, outShape: outShape, dtype: outType.dtype)
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
    let sizes = try bindArguments(p, inputs, sizes: sizes)
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
    for (i, group) in equationRuns(p.eqns) {
        let e = p.eqns[i]
        let args = try e.inputs.map(value)
        // A loop's results are computed once for its group (Primitives/Loops.swift); any other equation is alone.
        let members = p.eqns[i..<(i + (group?.span ?? 1))]
        do {
            if let g = group {
                var specs = LoopSpecCache()
                guard case .loop(let spec, _) = try mappingDims(e.prim, &specs, { d in
                    guard let k = d.resolve(sizes) else { throw Diagnostic("\(e.prim.name): size variable '\(d)' is not bound") }
                    return .const(k)
                }) else { throw InternalError("evaluate: not a loop") }
                for (v, t) in zip(g.outs, try evaluateLoop(spec, args)) { if let v { env[v.id] = t } }
            } else {
                env[e.out.id] = try evalPrimitive(e.prim, args, sizes: sizes)
            }
        } catch var d as Diagnostic {
            if d.range == nil { d.range = e.loc }
            throw d
        }
        for m in members {
            if let expected = m.out.type.concreteShape(sizes), let got = env[m.out.id], got.shape != expected || got.dtype != m.out.type.dtype {
                throw InternalError("evaluate: \(m.prim.name) produced \(got.dtype)\(shapeText(got.shape)), its type is \(m.out.type)")
            }
        }
        // The members share their operands: released after the last member, where their last use is.
        let last = i + members.count - 1
        for a in e.inputs {
            if let x = a.variable, lastUse[x.id] == last, !keep.contains(x.id) { env[x.id] = nil }
        }
    }
    return try p.outputs.map(value)
}

// MARK: - Sizes and parameter checks


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
    guard let n = product(shape), n <= maxArrayElements, n * dtype.byteSize <= maxArrayBytes else {
        throw Diagnostic("array of shape \(shapeText(shape)) is too large (the limit is 2^31 elements and 16 GiB)")
    }
    return n
}

/// `prim` with every size variable replaced by its value (the output's size is checked after the shape rule).
func resolvedPrimitive(_ prim: Primitive, _ sizes: [String: Int]) throws -> Primitive {
    try prim.rules.mapDims { d in
        guard let k = d.resolve(sizes) else { throw Diagnostic("\(prim.name): size variable '\(d)' is not bound") }
        guard k >= 0 else { throw Diagnostic("\(prim.name): size variable '\(d)' = \(k) is negative") }
        return .const(k)
    } ?? prim
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

// MARK: - XLA's max and min

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
