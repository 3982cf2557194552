// Tiled emission: a fused element-wise chain over a flat range runs TILE elements at a time, each primitive one
// call of a vectorized -O3 runtime function on L1-resident tiles (ARCHITECTURE.md: tcc emits no SIMD, the runtime
// does). Used for map nests and for sums over long trailing axes; anything else keeps the scalar loops of EmitC.

/// Elements per tile: 256 floats is 1 KiB, so a chain of dozens of steps stays in L1.
let tileElements = 256

/// One operand of a tile step: a pointer into a buffer or tile (stride 1), or a hoisted scalar (stride 0).
enum TileArg {
    case ptr(String)
    case scalar(String)
    var pointer: String { switch self { case .ptr(let p): return p; case .scalar(let s): return "&" + s } }
    var stride: String { switch self { case .ptr: return "1"; case .scalar: return "0" } }
}

/// A runtime call producing a tile: the function, its operands, and the tile it writes.
struct TileStep {
    var fn: String
    var args: [TileArg]
    var out: Int
}

extension KernelEmitter {
    /// Whether `a`, read at the nest's flat index, is a tile-able value of dtype `t`.
    func tileOK(_ a: Atom, _ t: DType) -> Bool {
        guard a.type.dtype == t else { return false }
        if a.type.rank == 0 { return true }
        guard case .v(let v) = a else { return false }
        if bufferName(v) != nil { return true }
        guard let e = g.defs[v.id] else { return false }
        return tileOK(e, t)
    }

    func tileOK(_ e: Eqn, _ t: DType) -> Bool {
        guard t.isFloat, e.out.type.dtype == t else { return false }
        switch e.prim {
        case .unary(let op): return vectorUnaryOps.contains(op) && tileOK(e.inputs[0], t)
        case .binary(let op): return vectorBinaryOps[op] != nil && e.inputs.allSatisfy { tileOK($0, t) }
        case .integerPow: return tileOK(e.inputs[0], t)
        case .reshape: return tileOK(e.inputs[0], t)
        case .broadcastInDim:
            let a = e.inputs[0]
            return a.type.rank == 0 || (sameCount(a.type.shape, e.out.type.shape) && tileOK(a, t))
        default: return false
        }
    }

    /// Whether `a` is the same value at every element (a scalar, possibly broadcast or reshaped).
    func isUniform(_ a: Atom) -> Bool {
        if a.type.rank == 0 { return true }
        guard case .v(let v) = a, bufferName(v) == nil, let e = g.defs[v.id] else { return false }
        switch e.prim {
        case .unary, .binary, .integerPow, .broadcastInDim, .reshape: return e.inputs.allSatisfy(isUniform)
        default: return false
        }
    }

    /// Plans `a` at flat offset `offset` (+ the tile's index): hoists uniform values into scalars before the loop
    /// (emitting their C now) and appends the steps that compute the rest into `steps`, with tiles numbered from 0.
    func planTile(_ a: Atom, _ t: DType, offset: String, steps: inout [TileStep], memo: inout [Int: TileArg]) throws -> TileArg {
        if isUniform(a) {
            let s = fresh("c")
            line("\(t.cType) \(s) = \(try gen(a, a.type.rank == 0 ? .multi([]) : .flat("0")));")
            return .scalar(s)
        }
        guard case .v(let v) = a else { throw InternalError("codegen: literal tile operand") }
        if let b = bufferName(v) { return .ptr("\(b) + \(offset)") }
        if let m = memo[v.id] { return m }
        guard let e = g.defs[v.id] else { throw InternalError("codegen: variable #\(v.id) has no definition") }
        let r = try planTile(e, t, offset: offset, steps: &steps, memo: &memo)
        memo[v.id] = r
        return r
    }

    /// Plans equation `e`'s value (see `planTile(_ a:...)`); its last step computes it.
    func planTile(_ e: Eqn, _ t: DType, offset: String, steps: inout [TileStep], memo: inout [Int: TileArg]) throws -> TileArg {
        func step(_ fn: String, _ args: [TileArg]) -> TileArg {
            steps.append(TileStep(fn: fn, args: args, out: steps.count))
            return .ptr("ax_T\(steps.count - 1)")
        }
        let r: TileArg
        switch e.prim {
        case .unary(let op):
            r = step("ax_v\(op.rawValue)_\(t)", [try planTile(e.inputs[0], t, offset: offset, steps: &steps, memo: &memo)])
        case .binary(let op):
            let x = try planTile(e.inputs[0], t, offset: offset, steps: &steps, memo: &memo)
            let y = try planTile(e.inputs[1], t, offset: offset, steps: &steps, memo: &memo)
            r = step("ax_v\(op.rawValue)_\(t)", [x, y])
        case .integerPow(let y):
            // Repeated squaring, as EmitC's integerPow.
            if y == 0 {
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                return .scalar(one)
            }
            var x = try planTile(e.inputs[0], t, offset: offset, steps: &steps, memo: &memo)
            var acc: TileArg? = nil
            var k = abs(y)
            while k > 0 {
                if k & 1 == 1 { acc = acc.map { step("ax_vmul_\(t)", [$0, x]) } ?? x }
                k >>= 1
                if k > 0 { x = step("ax_vmul_\(t)", [x, x]) }
            }
            if y < 0 {
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                acc = step("ax_vdiv_\(t)", [.scalar(one), acc!])
            }
            r = acc!
        case .reshape, .broadcastInDim:
            r = try planTile(e.inputs[0], t, offset: offset, steps: &steps, memo: &memo)
        default:
            throw InternalError("codegen: \(e.prim.name) has no tile lowering")
        }
        return r
    }

    /// Emits the runtime call of `s`, writing into `dest` (a tile, or the target).
    func emitStep(_ s: TileStep, count: String, dest: String) {
        let args = s.args.count == 1 ? [s.args[0].pointer]
            : s.args.flatMap { [$0.pointer, $0.stride] }
        runtime.insert(s.fn)
        line("\(s.fn)(\(([count] + args + [dest]).joined(separator: ", ")));")
    }

    /// `target[i] = e(i)` over `shape` by tiles, when `e` is an element-wise chain the runtime covers.
    /// Returns false (emitting nothing) otherwise.
    func emitTiledMap(_ e: Eqn, target: String) throws -> Bool {
        let t = e.out.type.dtype
        guard !e.out.type.shape.isEmpty, tileOK(e, t), !e.inputs.allSatisfy(isUniform) else { return false }
        switch e.prim { case .unary, .binary, .integerPow: break; default: return false }
        try block("") {
            let n = bind("int64_t", count(e.out.type.shape))
            let i = fresh("i"), tn = fresh("n")
            var steps: [TileStep] = [], memo: [Int: TileArg] = [:]
            let r = try planTile(e, t, offset: i, steps: &steps, memo: &memo)
            if steps.isEmpty || r.pointer != "ax_T\(steps.count - 1)" {
                // The value is an earlier tile or a buffer (x ** 1): one more step copies it exactly (x * 1).
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                steps.append(TileStep(fn: "ax_vmul_\(t)", args: [r, .scalar(one)], out: steps.count))
            }
            if steps.count > 1 { line("\(t.cType) " + (0..<(steps.count - 1)).map { "ax_T\($0)[\(tileElements)]" }.joined(separator: ", ") + ";") }
            block("for (int64_t \(i) = 0; \(i) < \(n); \(i) += \(tileElements))") {
                line("int64_t \(tn) = \(n) - \(i) < \(tileElements) ? \(n) - \(i) : \(tileElements);")
                for s in steps { emitStep(s, count: tn, dest: s.out == steps.count - 1 ? "\(target) + \(i)" : "ax_T\(s.out)") }
            }
        }
        return true
    }

    /// `target[o] = sum over r < R of a[o*R + r]` by tiles of each row, when `a` is a buffer or a chain the
    /// runtime covers. Returns false (emitting nothing) otherwise.
    func emitTiledSum(_ a: Atom, outer: String, reduced: String, target: String, dtype t: DType) throws -> Bool {
        guard t.isFloat, tileOK(a, t), !isUniform(a) else { return false }
        try block("") {
            let oN = bind("int64_t", outer), rN = bind("int64_t", reduced)
            let o = fresh("o"), i = fresh("i"), tn = fresh("n"), acc = fresh("acc")
            var steps: [TileStep] = [], memo: [Int: TileArg] = [:]
            let offset = "\(o)*\(rN) + \(i)"
            let r = try planTile(a, t, offset: offset, steps: &steps, memo: &memo)
            if !steps.isEmpty { line("\(t.cType) " + steps.indices.map { "ax_T\($0)[\(tileElements)]" }.joined(separator: ", ") + ";") }
            block("for (int64_t \(o) = 0; \(o) < \(oN); \(o)++)") {
                line("double \(acc) = 0.0;")
                block("for (int64_t \(i) = 0; \(i) < \(rN); \(i) += \(tileElements))") {
                    line("int64_t \(tn) = \(rN) - \(i) < \(tileElements) ? \(rN) - \(i) : \(tileElements);")
                    for s in steps { emitStep(s, count: tn, dest: "ax_T\(s.out)") }
                    runtime.insert("ax_vsum_\(t)")
                    line("\(acc) += ax_vsum_\(t)(\(tn), \(r.pointer));")
                }
                line("\(target)[\(o)] = (\(t.cType))\(acc);")
            }
        }
        return true
    }
}
