// The transform rules of loops (docs/language.md "Loops"), as JAX's for scan_p and while_p: batching (a batched
// while condition runs until every example is done, each keeping its own final carry), JVP (the loop of the JVP'd
// body over primals and tangents) and, for scan, VJP (a forward loop that also stacks the residuals of the body's VJP,
// and a reverse loop over the rest of it that reads them). Each rule emits loops; nothing is unrolled.

/// Which outputs of `p` depend on the `marked` inputs (or, with `axisName`, on a collective over it). Conservative:
/// a loop's results all depend on any marked operand.
func dependsOn(_ p: Program, _ marked: [Bool], axisName: String? = nil) -> [Bool] {
    var dep = Set<Int>()
    for (v, m) in zip(p.inputs, marked) where m { dep.insert(v.id) }
    // A loop group's equations share their operands: one test per group (its bodies walked once).
    for (start, g) in equationRuns(p.eqns) {
        let e = p.eqns[start]
        guard e.inputs.contains(where: { $0.variable.map { dep.contains($0.id) } ?? false })
            || (axisName.map { e.prim.rules.usesAxis($0) } ?? false) else { continue }
        for member in p.eqns[start..<(start + (g?.span ?? 1))] { dep.insert(member.out.id) }
    }
    return p.outputs.map { $0.variable.map { dep.contains($0.id) } ?? false }
}

/// The least fixpoint of the carries' flags: a carry is marked when its initial value is, or when the body makes it from
/// marked values (`bodyMarks(carryMarks)` gives the body's carry outputs' flags).
func carryFixpoint(_ initial: [Bool], _ bodyMarks: ([Bool]) -> [Bool]) -> [Bool] {
    var marks = initial
    while true {
        let next = zip(marks, bodyMarks(marks)).map { $0 || $1 }
        if next == marks { return marks }
        marks = next
    }
}

// MARK: - vmap

extension Batcher {
    /// The batching rule of a loop group: its results, batched.
    func batchLoop(_ g: LoopGroup, _ ins: [Batched]) throws -> [Batched] {
        let mapped = ins.map { $0.bdim != nil }
        func bodyVmap(_ p: Program, _ inB: [Bool], _ outB: [Bool]) throws -> Program {
            let (size, name): (Int?, String) = self.size.constValue.map { ($0, "ax_loop_batch") } ?? (nil, self.size.symName!)
            guard size != nil || inB.contains(true) else {
                throw Diagnostic("vmap of a loop whose body uses a collective over '\(axisName ?? "")' but no mapped value is not supported")
            }
            return simplify(try vmap(p, inAxes: inB.map { $0 ? 0 : nil }, outAxes: outB.map { $0 ? 0 : nil },
                                     axisSize: size, sizeName: name, axisName: axisName))
        }
        switch g.spec {
        case .scan(let lb, let length, let reverse, let c, let k):
            let body = lb.program
            let constB = Array(mapped[..<c]), xsB = Array(mapped[(c + k)...])
            let carryB = carryFixpoint(Array(mapped[c..<(c + k)])) {
                Array(dependsOn(body, constB + $0 + xsB, axisName: axisName).prefix(k))
            }
            let outB = dependsOn(body, constB + carryB + xsB, axisName: axisName)
            let ysB = Array(outB[k...])
            let bodyB = try bodyVmap(body, constB + carryB + xsB, carryB + ysB)
            // Operands: consts and carries batched along 0 (a carry that becomes batched is broadcast), xs along 1.
            var args: [Atom] = []
            for i in 0..<(c + k) {
                let isCarry = i >= c
                if isCarry ? carryB[i - c] : constB[i] { args.append(try materialize(ins[i], at: 0)) } else { args.append(ins[i].atom) }
            }
            for (j, x) in ins[(c + k)...].enumerated() {
                args.append(xsB[j] ? try moveaxis(x.atom, x.bdim!, 1) : x.atom)
            }
            let spec = LoopSpec.scan(body: LoopBody(bodyB), length: length, reverse: reverse, consts: c, carries: k)
            let results = try b.emitLoop(spec, args)
            return results.enumerated().map { i, a in Batched(a, i < k ? (carryB[i] ? 0 : nil) : (ysB[i - k] ? 1 : nil)) }
        case .whileLoop(let cond, let body, let cc, let bc):
            let ccB = Array(mapped[..<cc]), bcB = Array(mapped[cc..<(cc + bc)])
            var carryB = carryFixpoint(Array(mapped[(cc + bc)...])) { dependsOn(body.program, bcB + $0, axisName: axisName) }
            let predB = dependsOn(cond.program, ccB + carryB, axisName: axisName)[0]
            if predB { carryB = carryB.map { _ in true } }
            var args: [Atom] = []
            for i in ins.indices {
                let on = i < cc ? ccB[i] : i < cc + bc ? bcB[i - cc] : carryB[i - cc - bc]
                args.append(on ? try materialize(ins[i], at: 0) : ins[i].atom)
            }
            let condB = try bodyVmap(cond.program, ccB + carryB, [predB])
            let bodyB = try bodyVmap(body.program, bcB + carryB, carryB)
            let spec: LoopSpec
            if !predB {
                spec = .whileLoop(cond: LoopBody(condB), body: LoopBody(bodyB), condConsts: cc, bodyConsts: bc)
            } else {
                // Examples finish at different iterations: the loop runs while any is running, and each carry keeps
                // its value once its example's condition is false (as JAX's batched while).
                let condTypes = condB.inputs.map(\.type), bodyTypes = bodyB.inputs.map(\.type)
                let anyCond = try buildProgram("while_any", condTypes) { bb, xs in
                    let p = try bb.inline(condB, args: xs)[0]
                    let n = try bb.emit(.reduceMax(axes: [0]), [try bb.emit(.convert(.i32), [p])])
                    return [try bb.emit(.binary(.gt), [n, .lit(0, .i32)])]
                }
                let carryTypes = Array(condTypes[cc...])
                let step = try buildProgram("while_masked", Array(condTypes[..<cc]) + Array(bodyTypes[..<bc]) + carryTypes) { bb, xs in
                    let cs = Array(xs[(cc + bc)...])
                    let p = try bb.inline(condB, args: Array(xs[..<cc]) + cs)[0]
                    let new = try bb.inline(bodyB, args: Array(xs[cc..<(cc + bc)]) + cs)
                    return try zip(new, cs).map { n, old in
                        let mask = old.type.rank == 1 ? p : try bb.emit(.broadcastInDim(shape: old.type.shape, dims: [0]), [p])
                        return try bb.emit(.select, [mask, old, n])
                    }
                }
                spec = .whileLoop(cond: LoopBody(anyCond), body: LoopBody(step), condConsts: cc, bodyConsts: cc + bc)
                args = Array(args[..<cc]) + Array(args[..<cc]) + Array(args[cc...])
            }
            let results = try b.emitLoop(spec, args)
            return results.enumerated().map { Batched($0.element, carryB[$0.offset] ? 0 : nil) }
        }
    }
}

// MARK: - JVP

/// `p`'s JVP program with its inputs and outputs regrouped: `inputs` lists, per input group, the primal inputs and
/// then the tangents of its `active` ones; outputs likewise per output group, keeping the tangents `keep` marks.
private func regroupedJVP(_ p: Program, active: [Bool], inGroups: [Range<Int>], keep: [Bool], outGroups: [Range<Int>]) throws -> Program {
    let floatActive = zip(p.inputs, active).map { $0.type.dtype.isFloat && $1 }
    let tangentParams = floatActive.enumerated().filter(\.element).map { ProgramParam(name: "t\($0.offset)", tree: .leaf) }
    let j = try jvp(p, active: floatActive, tangentParams: tangentParams)
    let n = p.inputs.count, m = p.outputs.count
    var tangentIndex: [Int: Int] = [:]
    for (i, on) in floatActive.enumerated() where on { tangentIndex[i] = n + tangentIndex.count }
    var order: [Int] = []  // j's input index for each new input
    for r in inGroups { order += Array(r); order += r.filter { floatActive[$0] }.map { tangentIndex[$0]! } }
    var outs: [Int] = []
    for r in outGroups { outs += Array(r); outs += r.filter { keep[$0] }.map { m + $0 } }
    return try buildProgram("jvp_body", order.map { j.inputs[$0].type }) { bb, xs in
        var args = Array(repeating: Atom.lit(0, .f32), count: j.inputs.count)
        for (k, i) in order.enumerated() { args[i] = xs[k] }
        let r = try bb.inline(j, args: args)
        return outs.map { r[$0] }
    }
}

extension VJPEmitter {
    /// The JVP rule of a loop group: emits the loop over primals and tangents, its primal results in `g.outs`' variables;
    /// returns the tangent of each result (nil: zero).
    func jvpLoop(_ g: LoopGroup, tangents: [Atom?]) throws -> [Atom?] {
        let ins = g.inputs
        func isF(_ i: Int) -> Bool { ins[i].type.dtype.isFloat }
        let has = tangents.enumerated().map { $0.element != nil && isF($0.offset) }
        func tangent(_ i: Int) throws -> Atom { try tangents[i] ?? zeros(ins[i].type) }
        switch g.spec {
        case .scan(let lb, let length, let reverse, let c, let k):
            let body = lb.program, nx = ins.count - c - k
            let constT = Array(has[..<c]), xsT = Array(has[(c + k)...])
            let carryT = carryFixpoint(Array(has[c..<(c + k)])) { Array(dependsOn(body, constT + $0 + xsT).prefix(k)) }
                .enumerated().map { $0.element && isF(c + $0.offset) }
            let outT = dependsOn(body, constT + carryT + xsT).enumerated().map { $0.element && body.outputs[$0.offset].type.dtype.isFloat }
            let keep = carryT + Array(outT[k...])
            let jb = try regroupedJVP(body, active: constT + carryT + xsT, inGroups: [0..<c, c..<(c + k), (c + k)..<(c + k + nx)],
                                      keep: keep, outGroups: [0..<k, k..<body.outputs.count])
            let ct = constT.filter { $0 }.count, kt = carryT.filter { $0 }.count
            var args: [Atom] = Array(ins[..<c])
            args += try (0..<c).filter { constT[$0] }.map(tangent)
            args += Array(ins[c..<(c + k)])
            args += try (0..<k).filter { carryT[$0] }.map { try tangent(c + $0) }
            args += Array(ins[(c + k)...])
            args += try (0..<nx).filter { xsT[$0] }.map { try tangent(c + k + $0) }
            let spec = LoopSpec.scan(body: LoopBody(jb), length: length, reverse: reverse, consts: c + ct, carries: k + kt)
            // Results: carries, carry tangents, ys, y tangents.
            let ny = body.outputs.count - k
            let yT = Array(outT[k...])
            var outs: [Var?] = Array(g.outs[..<k]) + Array(repeating: nil, count: kt) + Array(g.outs[k...])
            outs += Array(repeating: nil, count: yT.filter { $0 }.count)
            let r = try b.appendLoop(spec, args, outs: outs)
            var result: [Atom?] = Array(repeating: nil, count: k + ny)
            var t = k
            for i in 0..<k where carryT[i] { result[i] = r[t]; t += 1 }
            t = k + kt + ny
            for j in 0..<ny where yT[j] { result[k + j] = r[t]; t += 1 }
            return result
        case .whileLoop(let cond, let body, let cc, let bc):
            let nk = ins.count - cc - bc
            let bcT = Array(has[cc..<(cc + bc)])
            let carryT = carryFixpoint(Array(has[(cc + bc)...])) { dependsOn(body.program, bcT + $0) }
                .enumerated().map { $0.element && isF(cc + bc + $0.offset) }
            let jb = try regroupedJVP(body.program, active: bcT + carryT, inGroups: [0..<bc, bc..<(bc + nk)],
                                      keep: carryT, outGroups: [0..<nk])
            let kt = carryT.filter { $0 }.count
            // The condition reads the primal carries only.
            let condT = try buildProgram("while_cond", cond.program.inputs.map(\.type) + (0..<nk).filter { carryT[$0] }.map { ins[cc + bc + $0].type }) { bb, xs in
                try bb.inline(cond.program, args: Array(xs[..<(cc + nk)]))
            }
            var args: [Atom] = Array(ins[..<(cc + bc)])
            args += try (0..<bc).filter { bcT[$0] }.map { try tangent(cc + $0) }
            args += Array(ins[(cc + bc)...])
            args += try (0..<nk).filter { carryT[$0] }.map { try tangent(cc + bc + $0) }
            let spec = LoopSpec.whileLoop(cond: LoopBody(condT), body: LoopBody(jb), condConsts: cc, bodyConsts: bc + bcT.filter { $0 }.count)
            let r = try b.appendLoop(spec, args, outs: g.outs + Array(repeating: nil, count: kt))
            var result: [Atom?] = Array(repeating: nil, count: nk)
            var t = nk
            for i in 0..<nk where carryT[i] { result[i] = r[t]; t += 1 }
            return result
        }
    }
}

// MARK: - VJP

/// What a scan's reverse loop reads from its forward loop, as JAX's partial evaluation of the body's VJP splits it:
/// `stacked`, the per-step values the forward loop computes and stacks (input carries and intermediates such as a
/// `tanh`'s output), and `tangent`, the rest of the body's VJP. `tangent`'s inputs are the consts, one cotangent per
/// seed (the body's float outputs, `seeds`), the residuals' slices and the xs; its outputs are the float inputs'
/// cotangents (consts, carries, xs).
struct ScanResiduals {
    var stacked: [Atom]
    var tangent: Program
    var seeds: [Int]
    /// The type of one step's slice of each residual.
    var sliceTypes: [TensorType] { stacked.map { $0.type.with(shape: Array($0.type.shape.dropFirst())) } }
}

/// The forward loop grad emits for a scan group, its results in `g.outs`' variables: the scan, also computing and
/// stacking the residuals of the body's VJP, so that the reverse loop does not compute the body again. The body's
/// VJP (`vjpProgram`, every float output seeded) is split: equations that read no cotangent but a carry or an x
/// (directly or not) run in the forward loop, merged with the body's own by CSE; those of their values that the
/// others read are the residuals. Returns nil for a while loop (which has no VJP).
func forwardScanWithResiduals(_ g: LoopGroup, _ b: Builder) throws -> ScanResiduals? {
    guard case .scan(let lb, let length, let reverse, let c, let k) = g.spec else {
        _ = try b.appendLoop(g.spec, g.inputs, outs: g.outs)
        return nil
    }
    let body = lb.program, n = body.inputs.count
    let seeds = body.outputs.indices.filter { body.outputs[$0].type.dtype.isFloat }
    let vb = try vjpProgram(body, seeds: seeds)
    var tangent = Set(vb.inputs[n...].map(\.id)), step = Set(body.inputs[c...].map(\.id))
    for e in vb.eqns {
        let ids = e.inputs.compactMap { $0.variable?.id }
        if ids.contains(where: tangent.contains) { tangent.insert(e.out.id) } else if ids.contains(where: step.contains) { step.insert(e.out.id) }
    }
    // The residuals: per-step values (not xs, which the reverse loop scans anyway) that the rest reads.
    let xs = Set(body.inputs[(c + k)...].map(\.id))
    var residuals: [Var] = [], seen = Set<Int>()
    func read(_ a: Atom) {
        if let v = a.variable, step.contains(v.id), !xs.contains(v.id), seen.insert(v.id).inserted { residuals.append(v) }
    }
    for e in vb.eqns where !step.contains(e.out.id) { e.inputs.forEach(read) }
    vb.outputs.forEach(read)
    // Memory: residuals of more than 4× the elements of a step's carries and xs (and 4096; a size variable counted
    // as 64) are not stacked; the reverse loop computes the body again from the stacked input carries instead.
    func elements(_ vs: [Var]) -> Int { vs.reduce(0) { $0 + $1.type.shape.reduce(1) { min($0 * ($1.constValue ?? 64), 1 << 40) } } }
    if elements(residuals) > max(4096, 4 * elements(Array(body.inputs[c...]))) {
        step = Set(body.inputs[c..<(c + k)].map(\.id))
        let read = Set(vb.eqns.flatMap { $0.inputs.compactMap(\.variable?.id) } + vb.outputs.compactMap(\.variable?.id))
        residuals = body.inputs[c..<(c + k)].filter { read.contains($0.id) }
    }
    // The forward body: the body, then the VJP's equations that read no cotangent (renamed; CSE merges what
    // duplicates the body, DCE drops what no residual needs).
    let fb = Builder(startingAfter: max(body.maxId, vb.maxId))
    body.eqns.forEach(fb.append)
    var env: [Int: Atom] = [:]
    func get(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
    for e in vb.eqns where !tangent.contains(e.out.id) {
        fb.loc = e.loc
        env[e.out.id] = try fb.emit(e.prim, e.inputs.map(get))
    }
    var aug = body
    aug.eqns = fb.take()
    aug.outputs = body.outputs + residuals.map { get(.v($0)) }
    aug = simplify(aug)
    // A residual that is one of the body's ys (a hidden state the loop stacks anyway) is read from those ys.
    let ny = body.outputs.count
    var ysIndex: [Atom: Int] = [:]
    for j in (k..<ny).reversed() { ysIndex[aug.outputs[j]] = j }
    let same = (0..<residuals.count).map { ysIndex[aug.outputs[ny + $0]] }
    let fresh = (0..<residuals.count).filter { same[$0] == nil }
    aug.outputs = Array(aug.outputs[..<ny]) + fresh.map { aug.outputs[ny + $0] }
    aug.outTree = .tuple(aug.outputs.map { _ in .leaf })
    let spec = LoopSpec.scan(body: LoopBody(aug), length: length, reverse: reverse, consts: c, carries: k)
    let r = try b.appendLoop(spec, g.inputs, outs: g.outs + fresh.map { _ in nil })
    var next = ny
    let stacked = (0..<residuals.count).map { i -> Atom in
        if let j = same[i] { return r[j] }
        defer { next += 1 }
        return r[next]
    }
    let ins = Array(body.inputs[..<c]) + Array(vb.inputs[n...]) + residuals + Array(body.inputs[(c + k)...])
    let rest = Program(name: "scan_vjp_tangent", params: positionalParams(ins.count), inputs: ins,
                       eqns: vb.eqns.filter { !step.contains($0.out.id) }, outputs: vb.outputs, outTree: vb.outTree)
    return ScanResiduals(stacked: stacked, tangent: eliminateDeadCode(rest), seeds: seeds)
}

extension VJPEmitter {
    /// The VJP rule of a scan group: the reverse loop over the rest of the body's VJP (`ScanResiduals.tangent`).
    /// `cts[k]` is result k's cotangent (nil: zero), `residuals` what the forward loop stacked for it. Returns each
    /// operand's cotangent (nil: none).
    func vjpScan(_ g: LoopGroup, cts: [Atom?], residuals: ScanResiduals?) throws -> [Atom?] {
        guard case .scan(let lb, let length, let reverse, let c, let k) = g.spec, let res = residuals else {
            throw Diagnostic("Reverse-mode differentiation does not work for while_loop or fori_loop with dynamic start/stop values: use scan, or fori_loop with static bounds (int literals or size variables)", at: g.loc.start.line > 0 ? g.loc : nil)
        }
        let body = lb.program, ins = g.inputs, nx = ins.count - c - k, ny = body.outputs.count - k
        func isF(_ t: TensorType) -> Bool { t.dtype.isFloat }
        let fConsts = (0..<c).filter { isF(body.inputs[$0].type) }
        let fCarries = (0..<k).filter { isF(body.inputs[c + $0].type) }
        let fXs = (0..<nx).filter { isF(body.inputs[c + k + $0].type) }
        let seededYs = (0..<ny).filter { cts[k + $0] != nil && isF(body.outputs[k + $0].type) }
        // The reverse loop: consts = the forward consts; carries = carry cotangents, then the float consts' sums;
        // scanned = xs, residuals, y cotangents; ys = the float xs' cotangents.
        let carryTypes = fCarries.map { body.inputs[c + $0].type } + fConsts.map { body.inputs[$0].type }
        let xsTypes = (0..<nx).map { body.inputs[c + k + $0].type } + res.sliceTypes + seededYs.map { body.outputs[k + $0].type }
        let constTypes = (0..<c).map { body.inputs[$0].type }
        let nfk = fCarries.count, nr = res.stacked.count
        let rev = try buildProgram("scan_vjp", constTypes + carryTypes + xsTypes) { bb, a in
            let consts = Array(a[..<c]), ctCarry = Array(a[c..<(c + nfk)]), acc = Array(a[(c + nfk)..<(c + carryTypes.count)])
            let s0 = c + carryTypes.count
            let xs = Array(a[s0..<(s0 + nx)]), rs = Array(a[(s0 + nx)..<(s0 + nx + nr)]), ctY = Array(a[(s0 + nx + nr)...])
            let m = VJPEmitter(b: bb)
            // One cotangent per seed: a carry's from the loop's carries, a y's scanned (zero when it has none).
            let seedCts: [Atom] = try res.seeds.map { s in
                if s < k { return ctCarry[fCarries.firstIndex(of: s)!] }
                if let i = seededYs.firstIndex(of: s - k) { return ctY[i] }
                return try m.zeros(body.outputs[s].type)
            }
            let r = try bb.inline(res.tangent, args: consts + seedCts + rs + xs)
            // r: cotangents of the float inputs in order: consts, carries, xs.
            let gConsts = Array(r[..<fConsts.count]), gCarries = Array(r[fConsts.count..<(fConsts.count + nfk)])
            let gXs = Array(r[(fConsts.count + nfk)...])
            return gCarries + (try zip(acc, gConsts).map { try m.add($0, $1) }) + gXs
        }
        var args: [Atom] = Array(ins[..<c])
        args += try fCarries.map { try cts[$0] ?? zeros(body.inputs[c + $0].type) }
        args += try fConsts.map { try zeros(body.inputs[$0].type) }
        args += Array(ins[(c + k)...]) + res.stacked + seededYs.map { cts[k + $0]! }
        let spec = LoopSpec.scan(body: LoopBody(rev), length: length, reverse: !reverse, consts: c, carries: carryTypes.count)
        let r = try b.emitLoop(spec, args)
        var out: [Atom?] = Array(repeating: nil, count: ins.count)
        for (i, j) in fCarries.enumerated() { out[c + j] = r[i] }
        for (i, j) in fConsts.enumerated() { out[j] = r[nfk + i] }
        for (i, j) in fXs.enumerated() { out[c + k + j] = r[carryTypes.count + i] }
        return out
    }
}
