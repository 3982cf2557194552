// Dead-code elimination inside loops, as JAX's DCE rules for scan_p and while_p: a carry that no used result needs
// (directly or through other carries, or a while condition) leaves the loop with its initial value's computation, and
// so do unused ys, and consts and xs the pruned body no longer reads (docs/pipeline.md "Loops").

/// `p` without dead code, each loop group pruned; nil when no group had anything to drop. One backward pass (a group
/// pruned before the loops that feed it, so their results it no longer reads are dead in turn); each group costs its
/// body's size times the number of carries that become live in its fixpoint.
func pruneLoops(_ p: Program) -> Program? {
    guard p.eqns.contains(where: { $0.prim.loopSpec != nil }) else { return nil }
    var live = Set(p.outputs.compactMap { $0.variable?.id })
    var runs: [[Eqn]] = [], changed = false
    for run in equationRuns(p.eqns).reversed() {
        var kept = p.eqns[run.start..<(run.start + (run.group?.span ?? 1))].filter { live.contains($0.out.id) }
        guard !kept.isEmpty else { continue }
        if var g = run.group {
            g.outs = g.outs.map { $0.flatMap { live.contains($0.id) ? $0 : nil } }
            if let pruned = prune(g) { kept = pruned; changed = true }
        }
        for e in kept { for a in e.inputs { if let v = a.variable { live.insert(v.id) } } }
        runs.append(kept)
    }
    guard changed else { return nil }
    var q = p
    q.eqns = runs.reversed().flatMap { $0 }
    return q
}

/// Which inputs of `p` the outputs marked `used` read.
private func inputsRead(_ p: Program, by used: [Bool]) -> [Bool] {
    var q = p
    q.outputs = zip(p.outputs, used).filter(\.1).map(\.0)
    let live = liveVariables(q)
    return p.inputs.map { live.contains($0.id) }
}

/// `p` restricted to the inputs and outputs kept (a sub-program of a loop; its variables stay as they are).
private func restricted(_ p: Program, inputs keepIn: [Bool], outputs keepOut: [Bool]) -> Program {
    let ins = zip(p.inputs, keepIn).filter(\.1).map(\.0), outs = zip(p.outputs, keepOut).filter(\.1).map(\.0)
    return eliminateDeadCode(Program(name: p.name, params: positionalParams(ins.count), inputs: ins, eqns: p.eqns,
                                     outputs: outs, outTree: .tuple(outs.map { _ in .leaf })))
}

/// The equations of `g` without what its used results do not need; nil when it needs everything.
private func prune(_ g: LoopGroup) -> [Eqn]? {
    let used = g.outs.map { $0 != nil }
    let spec: LoopSpec, keepOperand: [Bool], keepResult: [Bool]
    switch g.spec {
    case .scan(let lb, let length, let reverse, let c, let k):
        let body = lb.program
        let ys = Array(used[k...])
        let carries = carryFixpoint(Array(used[..<k])) { Array(inputsRead(body, by: $0 + ys)[c..<(c + k)]) }
        var read = inputsRead(body, by: carries + ys)
        for j in 0..<k where carries[j] { read[c + j] = true }  // a kept carry stays an operand, read or not
        keepOperand = Array(read[..<c]) + carries + Array(read[(c + k)...])
        keepResult = carries + ys
        guard keepOperand.contains(false) || keepResult.contains(false) else { return nil }
        let nb = restricted(body, inputs: keepOperand, outputs: keepResult)
        spec = .scan(body: LoopBody(nb), length: length, reverse: reverse,
                     consts: read[..<c].filter { $0 }.count, carries: carries.filter { $0 }.count)
    case .whileLoop(let cond, let body, let cc, let bc):
        let condRead = inputsRead(cond.program, by: [true])
        let carries = carryFixpoint(zip(used, condRead[cc...]).map { $0 || $1 }) {
            Array(inputsRead(body.program, by: $0)[bc...])
        }
        let bodyRead = inputsRead(body.program, by: carries)
        let condConsts = Array(condRead[..<cc]), bodyConsts = Array(bodyRead[..<bc])
        keepOperand = condConsts + bodyConsts + carries
        keepResult = carries
        guard keepOperand.contains(false) else { return nil }
        spec = .whileLoop(cond: LoopBody(restricted(cond.program, inputs: condConsts + carries, outputs: [true])),
                          body: LoopBody(restricted(body.program, inputs: bodyConsts + carries, outputs: carries)),
                          condConsts: condConsts.filter { $0 }.count, bodyConsts: bodyConsts.filter { $0 }.count)
    }
    let inputs = zip(g.inputs, keepOperand).filter(\.1).map(\.0)
    var eqns: [Eqn] = []
    for (j, out) in zip(g.outs, keepResult).filter(\.1).map(\.0).enumerated() {
        if let v = out { eqns.append(Eqn(.loop(spec, output: j), inputs, v, loc: g.loc)) }
    }
    return eqns
}
