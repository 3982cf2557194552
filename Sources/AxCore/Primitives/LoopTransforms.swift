// The transform rules of loops (docs/language.md "Loops"), as JAX's for scan_p and while_p: batching (a batched
// while condition runs until every example is done, each keeping its own final carry), JVP (the loop of the JVP'd
// body over primals and tangents) and, for scan, VJP (a forward loop that also stacks its input carries, and a reverse
// loop over the body's VJP that reads them). Each rule emits loops; nothing is unrolled.

/// Which outputs of `p` depend on the `marked` inputs (or, with `axisName`, on a collective over it). Conservative:
/// a loop's results all depend on any marked operand.
func dependsOn(_ p: Program, _ marked: [Bool], axisName: String? = nil) -> [Bool] {
    var dep = Set<Int>()
    for (v, m) in zip(p.inputs, marked) where m { dep.insert(v.id) }
    for e in p.eqns where e.inputs.contains(where: { $0.variable.map { dep.contains($0.id) } ?? false })
        || (axisName.map { e.prim.rules.usesAxis($0) } ?? false) {
        dep.insert(e.out.id)
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

/// The forward loop grad emits for a scan group: the scan, also stacking each iteration's input carries (the residuals
/// the reverse loop reads), its results in `g.outs`' variables. Returns the residuals.
func forwardScanWithResiduals(_ g: LoopGroup, _ b: Builder) throws -> [Atom] {
    guard case .scan(let lb, let length, let reverse, let c, let k) = g.spec else {
        _ = try b.appendLoop(g.spec, g.inputs, outs: g.outs)
        return []
    }
    let body = lb.program
    var aug = body
    aug.outputs = body.outputs + body.inputs[c..<(c + k)].map { .v($0) }
    aug.outTree = .tuple(aug.outputs.map { _ in .leaf })
    let spec = LoopSpec.scan(body: LoopBody(aug), length: length, reverse: reverse, consts: c, carries: k)
    let r = try b.appendLoop(spec, g.inputs, outs: g.outs + Array(repeating: nil, count: k))
    return Array(r[body.outputs.count...])
}

extension VJPEmitter {
    /// The VJP rule of a scan group: the reverse loop over the body's VJP. `cts[k]` is result k's cotangent (nil:
    /// zero), `residuals` the forward loop's stacked input carries. Returns each operand's cotangent (nil: none).
    func vjpScan(_ g: LoopGroup, cts: [Atom?], residuals: [Atom]) throws -> [Atom?] {
        guard case .scan(let lb, let length, let reverse, let c, let k) = g.spec else {
            throw Diagnostic("Reverse-mode differentiation does not work for while_loop or fori_loop with dynamic start/stop values: use scan, or fori_loop with static bounds (int literals or size variables)", at: g.loc.start.line > 0 ? g.loc : nil)
        }
        let body = lb.program, ins = g.inputs, nx = ins.count - c - k, ny = body.outputs.count - k
        func isF(_ t: TensorType) -> Bool { t.dtype.isFloat }
        let fConsts = (0..<c).filter { isF(body.inputs[$0].type) }
        let fCarries = (0..<k).filter { isF(body.inputs[c + $0].type) }
        let fXs = (0..<nx).filter { isF(body.inputs[c + k + $0].type) }
        let seededYs = (0..<ny).filter { cts[k + $0] != nil && isF(body.outputs[k + $0].type) }
        // The body's VJP: inputs (body inputs, carry-out cotangents, seeded y cotangents), outputs the float inputs'.
        let seeds = fCarries + seededYs.map { k + $0 }
        let vb = try vjpProgram(body, seeds: seeds)
        // The reverse loop: consts = the forward consts; carries = carry cotangents, then the float consts' sums;
        // scanned = xs, residual carries, y cotangents; ys = the float xs' cotangents.
        let carryTypes = fCarries.map { body.inputs[c + $0].type } + fConsts.map { body.inputs[$0].type }
        let xsTypes = (0..<nx).map { body.inputs[c + k + $0].type } + (0..<k).map { body.inputs[c + $0].type }
            + seededYs.map { body.outputs[k + $0].type }
        let constTypes = (0..<c).map { body.inputs[$0].type }
        let nfk = fCarries.count
        let rev = try buildProgram("scan_vjp", constTypes + carryTypes + xsTypes) { bb, a in
            let consts = Array(a[..<c]), ctCarry = Array(a[c..<(c + nfk)]), acc = Array(a[(c + nfk)..<(c + carryTypes.count)])
            let s0 = c + carryTypes.count
            let xs = Array(a[s0..<(s0 + nx)]), res = Array(a[(s0 + nx)..<(s0 + nx + k)]), ctY = Array(a[(s0 + nx + k)...])
            let r = try bb.inline(vb, args: consts + res + xs + ctCarry + ctY)
            // r: cotangents of the float inputs in order: consts, carries, xs.
            let m = VJPEmitter(b: bb)
            let gConsts = Array(r[..<fConsts.count]), gCarries = Array(r[fConsts.count..<(fConsts.count + nfk)])
            let gXs = Array(r[(fConsts.count + nfk)...])
            return gCarries + (try zip(acc, gConsts).map { try m.add($0, $1) }) + gXs
        }
        var args: [Atom] = Array(ins[..<c])
        args += try fCarries.map { try cts[$0] ?? zeros(body.inputs[c + $0].type) }
        args += try fConsts.map { try zeros(body.inputs[$0].type) }
        args += Array(ins[(c + k)...]) + residuals + seededYs.map { cts[k + $0]! }
        let spec = LoopSpec.scan(body: LoopBody(rev), length: length, reverse: !reverse, consts: c, carries: carryTypes.count)
        let r = try b.emitLoop(spec, args)
        var out: [Atom?] = Array(repeating: nil, count: ins.count)
        for (i, j) in fCarries.enumerated() { out[c + j] = r[i] }
        for (i, j) in fConsts.enumerated() { out[j] = r[nfk + i] }
        for (i, j) in fXs.enumerated() { out[c + k + j] = r[carryTypes.count + i] }
        return out
    }
}
