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
            return a.type.rank == 0 || (sameCount(a.type.shape, e.out.type.shape) && tileOK(a, t)) || suffixPeriod(e) != nil
        default: return false
        }
    }

    /// For a broadcast of a buffer into the trailing dimensions of its output (`b[3]` to `f32[n, 3]`), the
    /// period of its values along the flat index (3); nil for any other equation.
    func suffixPeriod(_ e: Eqn) -> Int? {
        guard case .broadcastInDim(let shape, let dims) = e.prim, case .v(let v) = e.inputs[0], bufferName(v) != nil,
              v.type.rank > 0, dims == Array((shape.count - v.type.rank)..<shape.count),
              Array(shape.suffix(v.type.rank)) == v.type.shape, v.type.shape.allSatisfy({ $0.constValue != nil }) else { return nil }
        return v.type.shape.compactMap(\.constValue).reduce(1, *)
    }

    /// The least common multiple of the periods of the suffix broadcasts inlined into `a` (1 when none).
    func tilePeriod(_ a: Atom) -> Int {
        guard a.type.rank > 0, case .v(let v) = a, bufferName(v) == nil, let e = g.defs[v.id] else { return 1 }
        return tilePeriod(e)
    }
    func tilePeriod(_ e: Eqn) -> Int {
        if let k = suffixPeriod(e) { return k }
        return e.inputs.map(tilePeriod).reduce(1, lcm)
    }

    /// Elements per tile for values periodic with `period`: a multiple of it, about `tileElements`; nil when the
    /// period is too long for a stack tile.
    func tileStep(_ period: Int) -> Int? {
        period > 4096 ? nil : (period >= tileElements ? period : (tileElements / period) * period)
    }

    /// Whether the chain computing `a` calls a transcendental function (a loop worth splitting between cores).
    func isHeavy(_ a: Atom) -> Bool {
        guard case .v(let v) = a, bufferName(v) == nil, let e = g.defs[v.id] else { return false }
        return isHeavy(e)
    }
    func isHeavy(_ e: Eqn) -> Bool {
        switch e.prim {
        case .unary(let op) where ![.neg, .abs, .sign, .sqrt].contains(op): return true
        case .binary(.pow): return true
        default: return e.inputs.contains(where: isHeavy)
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
    func planTile(_ a: Atom, _ t: DType, offset: String, step: Int, steps: inout [TileStep], memo: inout [Int: TileArg]) throws -> TileArg {
        if isUniform(a) {
            let s = fresh("c")
            line("\(t.cType) \(s) = \(try gen(a, a.type.rank == 0 ? .multi([]) : .flat("0")));")
            return .scalar(s)
        }
        guard case .v(let v) = a else { throw InternalError("codegen: literal tile operand") }
        if let b = bufferName(v) { return .ptr("\(b) + \(offset)") }
        if let m = memo[v.id] { return m }
        guard let e = g.defs[v.id] else { throw InternalError("codegen: variable #\(v.id) has no definition") }
        let r = try planTile(e, t, offset: offset, step: step, steps: &steps, memo: &memo)
        memo[v.id] = r
        return r
    }

    /// Plans equation `e`'s value (see `planTile(_ a:...)`); its last step computes it.
    func planTile(_ e: Eqn, _ t: DType, offset: String, step: Int, steps: inout [TileStep], memo: inout [Int: TileArg]) throws -> TileArg {
        func call(_ fn: String, _ args: [TileArg]) -> TileArg {
            steps.append(TileStep(fn: fn, args: args, out: steps.count))
            return .ptr("ax_T\(steps.count - 1)")
        }
        let r: TileArg
        switch e.prim {
        case .unary(let op):
            r = call("ax_v\(op.rawValue)_\(t)", [try planTile(e.inputs[0], t, offset: offset, step: step, steps: &steps, memo: &memo)])
        case .binary(let op):
            let x = try planTile(e.inputs[0], t, offset: offset, step: step, steps: &steps, memo: &memo)
            let y = try planTile(e.inputs[1], t, offset: offset, step: step, steps: &steps, memo: &memo)
            r = call("ax_v\(op.rawValue)_\(t)", [x, y])
        case .integerPow(let y):
            // Repeated squaring, as EmitC's integerPow.
            if y == 0 {
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                return .scalar(one)
            }
            var x = try planTile(e.inputs[0], t, offset: offset, step: step, steps: &steps, memo: &memo)
            var acc: TileArg? = nil
            var k = abs(y)
            while k > 0 {
                if k & 1 == 1 { acc = acc.map { call("ax_vmul_\(t)", [$0, x]) } ?? x }
                k >>= 1
                if k > 0 { x = call("ax_vmul_\(t)", [x, x]) }
            }
            if y < 0 {
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                acc = call("ax_vdiv_\(t)", [.scalar(one), acc!])
            }
            r = acc!
        case .broadcastInDim where suffixPeriod(e) != nil:
            // Tiles start at multiples of the period, so every tile sees the same values: filled once, here.
            let src = bufferName(e.inputs[0].variable!)!, tile = fresh("R"), j = fresh("j"), k = suffixPeriod(e)!
            line("\(t.cType) \(tile)[\(step)];")
            line("for (int64_t \(j) = 0; \(j) < \(step); \(j)++) \(tile)[\(j)] = \(src)[\(j) % \(k)];")
            r = .ptr(tile)
        case .reshape, .broadcastInDim:
            r = try planTile(e.inputs[0], t, offset: offset, step: step, steps: &steps, memo: &memo)
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

    /// Emits `body(lo, hi)`, a loop over elements [lo, hi), as a static function that ax_parallel_for runs over
    /// [0, n) in pieces of whole `grain`s (the runtime splits long loops between cores; standalone C runs it whole).
    /// Loops without a transcendental step are memory-bound, and too short for a second core to pay for its
    /// wake-up at the sizes where they stay in cache: they run inline.
    func emitParallel(n: String, grain: Int, parallel: Bool, _ body: (_ lo: String, _ hi: String) throws -> Void) throws {
        if !parallel {
            try block("") { try body("0", bind("int64_t", n)) }
            return
        }
        // Pieces of at least 32K elements: shorter loops are not worth a second core's wake-up.
        let grain = grain * max(1, 32768 / grain)
        let fname = "\(kernelName)_loop\(functions.count)"
        let saved = (lines, depth, memo)
        lines = ["static void \(fname)(void *ax_c, int64_t ax_lo, int64_t ax_hi) {"]
        (depth, memo) = (1, [:])
        for (k, slot) in contextSlots.enumerated() {
            let slotPtr = "((void *const *)ax_c)[\(k)]"
            let decl = slot.type.hasSuffix("*") ? slot.type + slot.name : slot.type + " " + slot.name
            line("\(decl) = \(slot.type == "int64_t" ? "*(const int64_t *)\(slotPtr)" : "(\(slot.type))\(slotPtr)");")
            line("(void)\(slot.name);")
        }
        do { try body("ax_lo", "ax_hi") } catch { (lines, depth, memo) = saved; throw error }
        lines.append("}\n")
        functions.append(lines.joined(separator: "\n"))
        (lines, depth, memo) = saved
        runtime.insert("ax_parallel_for")
        line("ax_parallel_for(\(n), \(grain), \(fname), ax_ctx);")
    }

    /// Declares the tiles `steps` write (all but the last, which writes the target, when `lastToTarget`).
    func declareTiles(_ steps: [TileStep], _ t: DType, step: Int, lastToTarget: Bool) {
        let k = lastToTarget ? steps.count - 1 : steps.count
        if k > 0 { line("\(t.cType) " + (0..<k).map { "ax_T\($0)[\(step)]" }.joined(separator: ", ") + ";") }
    }

    /// `target[i] = e(i)` over `shape` by tiles, when `e` is an element-wise chain the runtime covers.
    /// Returns false (emitting nothing) otherwise.
    func emitTiledMap(_ e: Eqn, target: String) throws -> Bool {
        let t = e.out.type.dtype
        guard !e.out.type.shape.isEmpty, tileOK(e, t), !e.inputs.allSatisfy(isUniform),
              let step = tileStep(tilePeriod(e)) else { return false }
        switch e.prim { case .unary, .binary, .integerPow: break; default: return false }
        try emitParallel(n: count(e.out.type.shape), grain: step, parallel: isHeavy(e)) { lo, hi in
            let i = fresh("i"), tn = fresh("n")
            var steps: [TileStep] = [], memo: [Int: TileArg] = [:]
            let r = try planTile(e, t, offset: i, step: step, steps: &steps, memo: &memo)
            if steps.isEmpty || r.pointer != "ax_T\(steps.count - 1)" {
                // The value is an earlier tile or a buffer (x ** 1): one more step copies it exactly (x * 1).
                let one = fresh("c")
                line("\(t.cType) \(one) = \(cLiteral(1, t));")
                steps.append(TileStep(fn: "ax_vmul_\(t)", args: [r, .scalar(one)], out: steps.count))
            }
            declareTiles(steps, t, step: step, lastToTarget: true)
            block("for (int64_t \(i) = \(lo); \(i) < \(hi); \(i) += \(step))") {
                line("int64_t \(tn) = \(hi) - \(i) < \(step) ? \(hi) - \(i) : \(step);")
                for s in steps { emitStep(s, count: tn, dest: s.out == steps.count - 1 ? "\(target) + \(i)" : "ax_T\(s.out)") }
            }
        }
        return true
    }

    /// `target[o] = sum over r < R of a[o*R + r]` by tiles, when `a` is a buffer or a chain the runtime covers:
    /// long rows (R symbolic or >= 64) tile each row; short rows (R constant) tile whole rows and sum each.
    /// Returns false (emitting nothing) otherwise.
    func emitTiledSum(_ a: Atom, outer: String, reduced: [Dim], target: String, dtype t: DType) throws -> Bool {
        guard t.isFloat, tileOK(a, t), !isUniform(a) else { return false }
        let period = tilePeriod(a)
        let rConst = reduced.compactMap(\.constValue).count == reduced.count ? reduced.compactMap(\.constValue).reduce(1, *) : nil
        if let r = rConst, r < 64 {
            guard r > 0, let step = tileStep(lcm(period, r)) else { return false }
            return try emitTiledRowSums(a, outer: outer, rowLength: r, step: step, target: target, dtype: t)
        }
        // Each row starts at a multiple of R, so periodic operands stay aligned when the period divides R.
        guard let step = tileStep(period), period == 1 || (rConst.map { $0 % period == 0 } ?? false) else { return false }
        try block("") {
            let oN = bind("int64_t", outer), rN = bind("int64_t", count(reduced))
            let o = fresh("o"), i = fresh("i"), tn = fresh("n"), acc = fresh("acc")
            var steps: [TileStep] = [], memo: [Int: TileArg] = [:]
            let r = try planTile(a, t, offset: "\(o)*\(rN) + \(i)", step: step, steps: &steps, memo: &memo)
            declareTiles(steps, t, step: step, lastToTarget: false)
            block("for (int64_t \(o) = 0; \(o) < \(oN); \(o)++)") {
                line("double \(acc) = 0.0;")
                block("for (int64_t \(i) = 0; \(i) < \(rN); \(i) += \(step))") {
                    line("int64_t \(tn) = \(rN) - \(i) < \(step) ? \(rN) - \(i) : \(step);")
                    for s in steps { emitStep(s, count: tn, dest: "ax_T\(s.out)") }
                    runtime.insert("ax_vsum_\(t)")
                    line("\(acc) += ax_vsum_\(t)(\(tn), \(r.pointer));")
                }
                line("\(target)[\(o)] = (\(t.cType))\(acc);")
            }
        }
        return true
    }

    /// Short rows: tiles of whole rows (`step` is a multiple of R), each tile's rows summed by one runtime call.
    private func emitTiledRowSums(_ a: Atom, outer: String, rowLength r: Int, step: Int, target: String, dtype t: DType) throws -> Bool {
        try emitParallel(n: "\(outer)*\(r)", grain: step, parallel: isHeavy(a)) { lo, hi in
            let i = fresh("i"), tn = fresh("n")
            var steps: [TileStep] = [], memo: [Int: TileArg] = [:]
            let v = try planTile(a, t, offset: i, step: step, steps: &steps, memo: &memo)
            declareTiles(steps, t, step: step, lastToTarget: false)
            block("for (int64_t \(i) = \(lo); \(i) < \(hi); \(i) += \(step))") {
                line("int64_t \(tn) = \(hi) - \(i) < \(step) ? \(hi) - \(i) : \(step);")
                for s in steps { emitStep(s, count: tn, dest: "ax_T\(s.out)") }
                runtime.insert("ax_vrowsum_\(t)")
                line("ax_vrowsum_\(t)(\(tn) / \(r), \(r), \(v.pointer), \(target) + \(i) / \(r));")
            }
        }
        return true
    }
}

/// The greatest common divisor and least common multiple of positive integers.
func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
