// Tiled emission: a fused element-wise chain over a flat range runs TILE elements at a time, each primitive one
// call of a vectorized -O3 runtime function on L1-resident tiles (tcc emits no SIMD, the runtime does; see
// docs/pipeline.md §7). Used for map nests and sums over long trailing axes; the rest keeps EmitC's scalar loops.

/// Elements per tile: 256 floats is 1 KiB, so a chain of dozens of steps stays in L1.
let tileElements = 256

/// One operand of a tile step: a pointer into a buffer or tile (stride 1), a hoisted scalar (stride 0), or a
/// pointer to one element that holds for the whole tile (stride 0).
enum TileArg {
    case ptr(String)
    case scalar(String)
    case elem(String)
    var pointer: String {
        switch self { case .ptr(let p), .elem(let p): return p; case .scalar(let s): return "&" + s }
    }
    var stride: String { if case .ptr = self { return "1" }; return "0" }
}

/// The state of planning one tiled nest: where tiles start, how long they are, and the steps planned so far.
final class TilePlan {
    let dtype: DType
    /// The flat offset of the tile's first element in the nest's shape (a C expression).
    let offset: String
    let step: Int
    /// Inner mode (tiles within one run of the innermost dimension): the index of the tile's first element along
    /// dimension k of the nest's shape, as a C expression. nil in flat mode.
    let index: ((Int) -> String)?
    var steps: [TileStep] = []
    var memo: [Int: TileArg] = [:]
    /// Set when the plan is emitted per element (EmitElements.swift): the steps whose tiles are arrays.
    var stored: Set<Int>? = nil
    init(_ dtype: DType, offset: String, step: Int, index: ((Int) -> String)? = nil) {
        self.dtype = dtype; self.offset = offset; self.step = step; self.index = index
    }
}

/// A runtime call producing a tile: the function, its operands, the tile it writes and that tile's C type.
struct TileStep {
    var fn: String
    var args: [TileArg]
    var out: Int
    var type: String
    /// Integer arguments passed after the count, before the operands (a small contraction's k and columns).
    var lead: [String] = []
    /// The buffer this step writes at the tile's offset instead of a tile (a map's target).
    var target: String? = nil
}

extension KernelEmitter {
    /// Whether `a`, read at the nest's flat index, is a tile-able value of dtype `t`.
    func tileOK(_ a: Atom, _ t: DType) -> Bool {
        guard a.type.dtype == t else { return false }
        if a.type.rank == 0 { return true }
        guard case .v(let v) = a else { return false }
        if bufferName(v) != nil { return true }
        guard let e = g.defs[v.id] else { return false }
        return memoFlag("tile", v) { tileOK(e, t) }
    }

    func tileOK(_ e: Eqn, _ t: DType) -> Bool {
        guard t.isFloat, e.out.type.dtype == t else { return false }
        if e.prim.isElementwise {
            // The record has tile steps; bool operands (select's predicate) are predicates over `t`.
            return e.prim.rules.tileable(e, t) && e.inputs.allSatisfy { $0.type.dtype == .bool ? predicateOK($0, t) : tileOK($0, t) }
        }
        switch e.prim {
        case .reshape: return tileOK(e.inputs[0], t)
        case .dotGeneral: return e.prim.rules.tileable(e, t)
        case .broadcastInDim:
            let a = e.inputs[0]
            return a.type.rank == 0 || (sameCount(a.type.shape, e.out.type.shape) && tileOK(a, t)) || alignedBroadcast(e)
        default: return false
        }
    }

    /// Whether the bool `a` can be a tile of a select over dtype `t`: a scalar, a bool buffer, or a comparison
    /// of two tile-able `t` values.
    func predicateOK(_ a: Atom, _ t: DType) -> Bool {
        guard a.type.dtype == .bool else { return false }
        if a.type.rank == 0 { return true }
        guard case .v(let v) = a else { return false }
        if bufferName(v) != nil { return true }
        guard let e = g.defs[v.id] else { return false }
        return memoFlag("predicate", v, t) {
            if e.prim.isElementwise { return e.prim.rules.tileable(e, t) && e.inputs.allSatisfy { tileOK($0, t) } }
            switch e.prim {
            case .reshape: return predicateOK(e.inputs[0], t)
            case .broadcastInDim: return e.inputs[0].type.rank == 0 || (sameCount(e.inputs[0].type.shape, e.out.type.shape) && predicateOK(e.inputs[0], t))
            default: return false
            }
        }
    }

    /// A broadcast of a buffer whose dimensions keep their order and sizes (`x[n, 512]` into `[n, 512, 512]`
    /// along dims 0 and 1): in inner mode each tile reads it through one pointer, contiguous or constant.
    func alignedBroadcast(_ e: Eqn) -> Bool {
        guard case .broadcastInDim(let shape, let dims) = e.prim, case .v(let v) = e.inputs[0], bufferName(v) != nil,
              v.type.rank > 0, zip(dims, dims.dropFirst()).allSatisfy({ $0 < $1 }) else { return false }
        return zip(v.type.shape, dims).allSatisfy { $0 == shape[$1] }
    }

    /// Whether `a` reads an aligned broadcast that is not periodic along the flat index (so needs inner mode),
    /// and whether inner mode can plan it (no reshape above such a broadcast).
    func innerNeeds(_ a: Atom) -> (needed: Bool, possible: Bool) {
        guard a.type.rank > 0, case .v(let v) = a, bufferName(v) == nil, let e = g.defs[v.id] else { return (false, true) }
        if let r = innerMemo[v.id] { return r }
        let r: (needed: Bool, possible: Bool)
        if case .broadcastInDim = e.prim, alignedBroadcast(e), suffixPeriod(e) == nil,
           !sameCount(e.inputs[0].type.shape, e.out.type.shape) {
            r = (true, true)
        } else if case .dotGeneral = e.prim {
            r = (false, false)  // its tiles are whole rows: flat mode only
        } else {
            let subs = e.inputs.map(innerNeeds)
            let needed = subs.contains { $0.needed }
            if case .reshape = e.prim, needed { r = (true, false) } else { r = (needed, subs.allSatisfy { $0.possible }) }
        }
        innerMemo[v.id] = r
        return r
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
        if let k = periods[v.id] { return k }
        let k = tilePeriod(e)
        periods[v.id] = k
        return k
    }
    func tilePeriod(_ e: Eqn) -> Int {
        if let k = suffixPeriod(e) { return k }
        // Tiles of 64 whole rows: a multiple of the 8 rows ax_vmatmul takes at once, and of 64 elements (whole vectors for
        // the steps after it; a tile of 85 rows of 3 would end each step with 15 elements one at a time).
        if let m = DotGeneralRules.smallMatmul(e) { return 64 * m.cols }
        return e.inputs.map(tilePeriod).reduce(1, lcm)
    }

    /// Elements per tile for values periodic with `period`: a multiple of it, about `tileElements`; nil when the
    /// period is too long for a stack tile.
    func tileStep(_ period: Int) -> Int? {
        period > 4096 ? nil : (period >= tileElements ? period : (tileElements / period) * period)
    }

    /// Whether `a` is the same value at every element (a scalar, possibly broadcast or reshaped).
    func isUniform(_ a: Atom) -> Bool {
        if a.type.rank == 0 { return true }
        guard case .v(let v) = a, bufferName(v) == nil, let e = g.defs[v.id] else { return false }
        return memoFlag("uniform", v) { e.prim.rules.keepsUniform && e.inputs.allSatisfy(isUniform) }
    }

    /// Plans `a` for the tiles of `plan`: hoists uniform values into scalars before the loop (emitting their C
    /// now) and appends the steps that compute the rest, with tiles numbered from 0.
    func planTile(_ a: Atom, _ plan: TilePlan) throws -> TileArg {
        if isUniform(a) {
            let s = fresh("c")
            line("\(a.type.dtype.cType) \(s) = \(try gen(a, a.type.rank == 0 ? .multi([]) : .flat("0")));")
            return .scalar(s)
        }
        guard case .v(let v) = a else { throw InternalError("codegen: literal tile operand") }
        if let b = bufferName(v) { return .ptr("\(b) + \(plan.offset)") }
        if let m = plan.memo[v.id] { return m }
        guard let e = g.defs[v.id] else { throw InternalError("codegen: variable #\(v.id) has no definition") }
        let r = try planTile(e, plan)
        plan.memo[v.id] = r
        return r
    }

    /// Plans equation `e`'s value (see `planTile(_ a:_:)`); its last step computes it. Element-wise primitives plan
    /// their steps in their records (Primitives/Elementwise.swift); broadcasts and reshapes are planned here.
    func planTile(_ e: Eqn, _ plan: TilePlan) throws -> TileArg {
        let t = plan.dtype
        if e.prim.isElementwise { return try e.prim.rules.planTile(e, try e.inputs.map { try planTile($0, plan) }, plan, self) }
        switch e.prim {
        case .dotGeneral:
            return try e.prim.rules.planTile(e, [], plan, self)  // reads its buffers itself
        case .broadcastInDim(let shape, let dims) where plan.index != nil && alignedBroadcast(e) && !sameCount(e.inputs[0].type.shape, shape):
            // Inner mode: the operand element under the tile's first element, read along the tile when the
            // operand spans the innermost dimension, else constant over the tile.
            let v = e.inputs[0].variable!
            let terms = dims.enumerated().map { j, d in KernelEmitter.mul(plan.index!(d), count(Array(v.type.shape[(j + 1)...]))) }
            let p = "\(bufferName(v)!) + \(terms.joined(separator: " + "))"
            return dims.last == shape.count - 1 ? .ptr(p) : .elem(p)
        case .broadcastInDim where suffixPeriod(e) != nil && !sameCount(e.inputs[0].type.shape, e.out.type.shape):
            // Tiles start at multiples of the period, so every tile sees the same values: filled once, here.
            let src = bufferName(e.inputs[0].variable!)!, tile = fresh("R"), j = fresh("j"), k = suffixPeriod(e)!
            line("\(t.cType) \(tile)[\(plan.step)];")
            line("for (int64_t \(j) = 0; \(j) < \(plan.step); \(j)++) \(tile)[\(j)] = \(src)[\(j) % \(k)];")
            return .ptr(tile)
        case .reshape, .broadcastInDim:
            return try planTile(e.inputs[0], plan)
        default:
            throw InternalError("codegen: \(e.prim.name) has no tile lowering")
        }
    }

    /// A step calling runtime tile function `fn` on `args`, writing a tile of C type `type` (the dtype's by default).
    func tileCall(_ plan: TilePlan, _ fn: String, _ args: [TileArg], type: String? = nil, lead: [String] = []) -> TileArg {
        plan.steps.append(TileStep(fn: fn, args: args, out: plan.steps.count, type: type ?? plan.dtype.cType, lead: lead))
        return .ptr("ax_T\(plan.steps.count - 1)")
    }

    /// The constant `x` of the plan's dtype, as a scalar operand hoisted before the loop.
    func tileConstant(_ x: Double, _ plan: TilePlan) -> TileArg {
        let c = fresh("c")
        line("\(plan.dtype.cType) \(c) = \(cLiteral(x, plan.dtype));")
        return .scalar(c)
    }

    /// A step that copies `r` into a tile of its own (x * 1, exact), filling it when `r` is a scalar or one
    /// element held for the whole tile.
    func copyStep(_ r: TileArg, _ plan: TilePlan) -> TileArg {
        tileCall(plan, tileName("mul", plan.dtype), [r, tileConstant(1, plan)])
    }

    /// `r` as a pointer that runs along the tile, as a sum reads it: a scalar (`x ** 0` planned as the constant 1)
    /// or a held element is spread into a tile first.
    func alongTile(_ r: TileArg, _ plan: TilePlan) -> TileArg {
        if case .ptr = r { return r }
        return copyStep(r, plan)
    }

    /// Emits the runtime call of `s`, writing into `dest` (a tile, or the target).
    func emitStep(_ s: TileStep, count: String, dest: String) {
        let args = s.args.count == 1 ? [s.args[0].pointer]
            : s.args.flatMap { [$0.pointer, $0.stride] }
        runtime.insert(s.fn)
        line("\(s.fn)(\(([count] + s.lead + args + [dest]).joined(separator: ", ")));")
    }

    /// Emits `body(lo, hi)`, a loop over elements [lo, hi), as a static function that ax_parallel_for runs over
    /// [0, n) in pieces of whole `grain`s (the runtime splits long loops between cores; standalone C runs it whole).
    /// Tiled maps and sums always go through it (memory-bound ones too: two cores move twice the bytes; a vadd of 1e7
    /// elements measured 10.6 → 5.6 ms): the runtime splits only loops of two grains or more. Every element or row is
    /// computed the same way whichever piece holds it, so the split never changes a bit.
    func emitParallel(n: String, grain: Int, unitElements: Int = 1, partials: String? = nil,
                      _ body: (_ lo: String, _ hi: String) throws -> Void) throws {
        // Pieces of at least `minParallelElements` (a unit of the loop is `unitElements`): shorter loops are not worth
        // a second core's wake-up.
        let units = max(1, (minParallelElements + unitElements - 1) / unitElements)
        let grain = grain * max(1, (units + grain - 1) / grain)
        let fname = "\(kernelName)_loop\(functions.count)"
        let saved = (lines, depth, memo)
        lines = []
        (depth, memo) = (1, [:])
        // The context's last slot carries the loop's array of partial results, when it has one.
        if let part = partials { line("double *\(part) = (double *)((void *const *)ax_c)[\(contextSlots.count)];") }
        do { try body("ax_lo", "ax_hi") } catch { (lines, depth, memo) = saved; throw error }
        // Only the sizes and buffers the body names are unpacked (unpacking all of them would make the C
        // quadratic in the program: every loop function times every scratch buffer).
        var named = Set<String>()
        for l in lines {
            // Split on the ASCII bytes that cannot be part of an identifier (non-ASCII bytes are kept).
            for w in l.utf8.split(whereSeparator: { !($0 == 95 || $0 >= 128 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)) }) {
                named.insert(String(decoding: w, as: UTF8.self))
            }
        }
        var head = ["static void \(fname)(void *ax_c, int64_t ax_lo, int64_t ax_hi) {"]
        for (k, slot) in contextSlots.enumerated() where named.contains(slot.name) {
            let slotPtr = "((void *const *)ax_c)[\(k)]"
            let decl = slot.isSize ? slot.type + " " + slot.name : slot.type + slot.name
            head.append("    \(decl) = \(slot.isSize ? "*(const int64_t *)\(slotPtr)" : "(\(slot.type))\(slotPtr)");")
        }
        lines = head + lines
        lines.append("}\n")
        functions.append(lines.joined(separator: "\n"))
        (lines, depth, memo) = saved
        runtime.insert("ax_parallel_for")
        if let part = partials { line("ax_ctx[\(contextSlots.count)] = (void *)\(part);") }
        line("ax_parallel_for(\(n), \(grain), \(fname), ax_ctx);")
    }

    /// `for (i = from; i < to; i += step)` over tiles: the tile's length `tn`, `plan`'s steps (each writing its
    /// target at `i` when it has one, else its tile), then `tail(tn)`.
    func tileLoop(_ i: String, from: String, to: String, _ plan: TilePlan, tail: (String) -> Void = { _ in }) {
        let tn = fresh("n")
        block("for (int64_t \(i) = \(from); \(i) < \(to); \(i) += \(plan.step))") {
            line("int64_t \(tn) = \(to) - \(i) < \(plan.step) ? \(to) - \(i) : \(plan.step);")
            if plan.stored != nil {
                emitElementSteps(plan, count: tn, offset: i)
            } else {
                for s in plan.steps { emitStep(s, count: tn, dest: s.target.map { "\($0) + \(i)" } ?? "ax_T\(s.out)") }
            }
            tail(tn)
        }
    }

    /// Adds the sum of each tile of `values` to its accumulator in `accs`.
    func addTileSums(_ values: [TileArg], to accs: [String], count tn: String, dtype t: DType) {
        runtime.insert("ax_vsum_\(t)")
        for (acc, v) in zip(accs, values) { line("\(acc) += ax_vsum_\(t)(\(tn), \(v.pointer));") }
    }

    /// Assigns the tiles of `plan`'s steps to reused slots and declares them; returns `results` renamed. A step's
    /// tile takes a slot that no later step and no result reads any more (never one of its own operands), so a
    /// nest's stack holds as many tiles as are live at once, not one per step of its chain. Steps writing a target
    /// take no slot.
    @discardableResult
    func declareTiles(_ plan: TilePlan, results: [TileArg] = []) -> [TileArg] {
        if perElement, let r = declareElementTiles(plan, results: results) { return r }
        let name = { (k: Int) in "ax_T\(k)" }
        var lastUse: [String: Int] = [:]
        for (i, s) in plan.steps.enumerated() { for a in s.args { lastUse[a.pointer] = i } }
        for r in results { lastUse[r.pointer] = Int.max }
        var slotOf: [String: (slot: Int, type: String)] = [:]  // a step's tile (by its planned name) -> its slot
        var free: [String: [Int]] = [:], slots: [(slot: Int, type: String)] = []
        func rename(_ a: TileArg) -> TileArg {
            guard case .ptr(let p) = a, let t = slotOf[p] else { return a }
            return .ptr(name(t.slot))
        }
        for (i, s) in plan.steps.enumerated() {
            var step = s
            step.args = s.args.map(rename)
            if s.target == nil {
                let slot = free[s.type]?.popLast() ?? slots.count
                if slot == slots.count { slots.append((slot, s.type)) }
                slotOf[name(s.out)] = (slot, s.type)
                step.out = slot
            }
            // Operands read for the last time here free their slots for the steps after this one, in argument order
            // (not a Set's, which changes from process to process: the C text must not, it keys tier 2's cache).
            var seen = Set<String>()
            for p in s.args.map(\.pointer) where seen.insert(p).inserted && lastUse[p] == i {
                if let t = slotOf[p] { free[t.type, default: []].append(t.slot) }
            }
            plan.steps[i] = step
        }
        for type in Set(slots.map(\.type)).sorted() {
            line("\(type) " + slots.filter { $0.type == type }.map { "\(name($0.slot))[\(plan.step)]" }.joined(separator: ", ") + ";")
        }
        return results.map(rename)
    }

    /// Inner mode for a nest over `shape`: tiles are a divisor (64...1024) of the constant innermost extent.
    func innerStep(_ shape: [Dim]) -> Int? {
        guard let l = shape.last?.constValue, l >= 64 else { return nil }
        return (64...min(l, 1024)).reversed().first { l % $0 == 0 }
    }

    /// The index along dimension k of `shape` of the element at flat offset `f` (C expressions).
    func multiIndex(_ shape: [Dim], flat f: String) -> (Int) -> String {
        { k in
            let stride = self.count(Array(shape[(k + 1)...]))
            let q = stride == "1" ? "(\(f))" : "((\(f)) / \(stride))"
            return k == 0 ? q : "(\(q) % \(self.dim(shape[k])))"
        }
    }

    /// The tile length and plan for a nest of dtype `t` over `shape` reading `atoms`: flat mode when their broadcasts
    /// are periodic, inner mode when they are aligned; nil when neither fits.
    func tiling(_ atoms: [Atom], shape: [Dim], dtype t: DType, offset: String) -> TilePlan? {
        let inner = atoms.map(innerNeeds)
        if inner.contains(where: \.needed) {
            guard inner.allSatisfy(\.possible), let step = innerStep(shape) else { return nil }
            return TilePlan(t, offset: offset, step: step, index: multiIndex(shape, flat: offset))
        }
        guard let step = tileStep(atoms.map(tilePeriod).reduce(1, lcm)) else { return nil }
        return TilePlan(t, offset: offset, step: step)
    }

    /// `target[i] = e(i)` over their one shape by tiles, for each map `e` of `es` in order in one loop (a later map
    /// reads an earlier one's target at the tile it has just written), when each is an element-wise chain the runtime
    /// covers. Returns false (emitting nothing) otherwise.
    func emitTiledMaps(_ es: [Eqn]) throws -> Bool {
        let t = es[0].out.type.dtype, shape = es[0].out.type.shape
        guard !shape.isEmpty, es.allSatisfy({ e in e.prim.isElementwise && tileOK(e, t) && !e.inputs.allSatisfy(isUniform) }) else { return false }
        let i = fresh("i")
        guard let probe = tiling(es.flatMap(\.inputs), shape: shape, dtype: t, offset: i) else { return false }
        try emitParallel(n: count(shape), grain: probe.step) { lo, hi in
            let plan = TilePlan(t, offset: i, step: probe.step, index: probe.index)
            for e in es {
                let before = plan.steps.count, r = try planTile(e, plan)
                // The value is an earlier tile or a buffer (x ** 1): one more step copies it exactly (x * 1).
                if plan.steps.count == before || r.pointer != "ax_T\(plan.steps.count - 1)" { _ = copyStep(r, plan) }
                plan.steps[plan.steps.count - 1].target = bufferName(e.out)!
            }
            declareTiles(plan)
            tileLoop(i, from: lo, to: hi, plan)
        }
        return true
    }

    /// `target[o] = sum over r < R of a[o*R + r]` by tiles, for each (a, target) of `parts` in one loop (shared
    /// producers computed once), when every `a` is a buffer or a chain the runtime covers: long rows (R symbolic
    /// or >= 64) tile each row, split between cores by rows; short rows (R constant) tile whole rows and sum each. Returns false (emitting nothing) otherwise.
    func emitTiledSums(_ parts: [(a: Atom, target: String)], outer: String, reduced: [Dim], dtype t: DType) throws -> Bool {
        let atoms = parts.map(\.a)
        guard t.isFloat, atoms.allSatisfy({ tileOK($0, t) && !isUniform($0) }) else { return false }
        let shape = atoms[0].type.shape
        let rConst = reduced.compactMap(\.constValue).count == reduced.count ? reduced.compactMap(\.constValue).reduce(1, *) : nil
        let period = atoms.map(tilePeriod).reduce(1, lcm)
        if let r = rConst, r < 64 {
            guard r > 0, !atoms.contains(where: { innerNeeds($0).needed }), let step = tileStep(lcm(period, r)) else { return false }
            return try emitTiledRowSums(parts, outer: outer, rowLength: r, step: step, dtype: t)
        }
        if outer == "1" && (rConst ?? Int.max) >= 131072 {
            return try emitChunkedSums(parts, reduced: reduced, period: period, dtype: t)
        }
        let o = fresh("o"), i = fresh("i"), rN = fresh("t")
        guard let probe = tiling(atoms, shape: shape, dtype: t, offset: "\(o)*\(rN) + \(i)") else { return false }
        // Each row starts at a multiple of R, so periodic operands stay aligned when the period divides R.
        guard probe.index != nil || period == 1 || (rConst.map { $0 % period == 0 } ?? false) else { return false }
        try emitParallel(n: outer, grain: 1, unitElements: rConst ?? 64) { lo, hi in
            line("int64_t \(rN) = \(count(reduced));")
            let plan = TilePlan(t, offset: probe.offset, step: probe.step, index: probe.index)
            let accs = parts.map { _ in fresh("acc") }
            let values = declareTiles(plan, results: try atoms.map { alongTile(try planTile($0, plan), plan) })
            block("for (int64_t \(o) = \(lo); \(o) < \(hi); \(o)++)") {
                for acc in accs { line("double \(acc) = 0.0;") }
                tileLoop(i, from: "0", to: rN, plan, tail: { addTileSums(values, to: accs, count: $0, dtype: t) })
                for (acc, part) in zip(accs, parts) { line("\(part.target)[\(o)] = (\(t.cType))\(acc);") }
            }
        }
        return true
    }

    /// One long row (a sum over everything, as mean's): 64 chunks or fewer of at least 64K elements, summed by
    /// however many cores into one partial each, then added in chunk order, so the result depends on R only.
    private func emitChunkedSums(_ parts: [(a: Atom, target: String)], reduced: [Dim], period: Int, dtype t: DType) throws -> Bool {
        let atoms = parts.map(\.a), i = fresh("i")
        guard let probe = tiling(atoms, shape: atoms[0].type.shape, dtype: t, offset: i), probe.index == nil, period == 1 else { return false }
        let part = fresh("part"), rN = fresh("t"), chunk = fresh("t"), chunks = fresh("t")
        func sizes() {
            line("int64_t \(rN) = \(count(reduced));")
            line("int64_t \(chunk) = (\(rN) + 63) / 64;")
            line("\(chunk) = \(chunk) < 65536 ? 65536 : (\(chunk) + \(probe.step - 1)) / \(probe.step) * \(probe.step);")
        }
        try block("") {
            sizes()
            line("int64_t \(chunks) = (\(rN) + \(chunk) - 1) / \(chunk);")
            line("double \(part)[\(64 * parts.count)];")
            try emitParallel(n: chunks, grain: 1, unitElements: 65536, partials: part) { lo, hi in
                sizes()
                let plan = TilePlan(t, offset: i, step: probe.step)
                let c = fresh("k"), end = fresh("t"), accs = parts.map { _ in fresh("acc") }
                let values = declareTiles(plan, results: try atoms.map { alongTile(try planTile($0, plan), plan) })
                block("for (int64_t \(c) = \(lo); \(c) < \(hi); \(c)++)") {
                    line("int64_t \(end) = (\(c) + 1) * \(chunk) < \(rN) ? (\(c) + 1) * \(chunk) : \(rN);")
                    for acc in accs { line("double \(acc) = 0.0;") }
                    tileLoop(i, from: "\(c) * \(chunk)", to: end, plan, tail: { addTileSums(values, to: accs, count: $0, dtype: t) })
                    for (j, acc) in accs.enumerated() { line("\(part)[\(c) * \(parts.count) + \(j)] = \(acc);") }
                }
            }
            for (j, p) in parts.enumerated() {
                let acc = fresh("acc"), c = fresh("k")
                line("double \(acc) = 0.0;")
                line("for (int64_t \(c) = 0; \(c) < \(chunks); \(c)++) \(acc) += \(part)[\(c) * \(parts.count) + \(j)];")
                line("\(p.target)[0] = (\(t.cType))\(acc);")
            }
        }
        return true
    }

    /// Short rows: tiles of whole rows (`step` is a multiple of R), each tile's rows summed by one runtime call.
    private func emitTiledRowSums(_ parts: [(a: Atom, target: String)], outer: String, rowLength r: Int, step: Int,
                                  dtype t: DType) throws -> Bool {
        try emitParallel(n: "\(outer)*\(r)", grain: step) { lo, hi in
            let i = fresh("i")
            let plan = TilePlan(t, offset: i, step: step)
            let values = declareTiles(plan, results: try parts.map { alongTile(try planTile($0.a, plan), plan) })
            tileLoop(i, from: lo, to: hi, plan, tail: { tn in
                runtime.insert("ax_vrowsum_\(t)")
                for (v, part) in zip(values, parts) {
                    line("ax_vrowsum_\(t)(\(tn) / \(r), \(r), \(v.pointer), \(part.target) + \(i) / \(r));")
                }
            })
        }
        return true
    }
}

/// The greatest common divisor and least common multiple of positive integers.
func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
