// Accumulators hoisted out of scans: a carry that only adds an outer product to itself each step (the weight
// cotangents of a scan's VJP, `ct_W += h ⊗ v`) becomes one contraction over the stacked factors after the loop
// (docs/pipeline.md "Loops"). Like the contraction rewrites (Contract.swift) it changes rounding only.

/// `p` with every accumulator carry of its scans hoisted (`hoist`); nil when there is none.
/// A scan's sub-programs were simplified, hence hoisted, when the scan was built.
func hoistAccumulators(_ p: Program) -> Program? {
    guard p.eqns.contains(where: { if case .some(.scan) = $0.prim.loopSpec?.spec { return true }; return false }) else { return nil }
    let b = Builder(startingAfter: p.maxId)
    var changed = false
    for run in equationRuns(p.eqns) {
        let span = run.group?.span ?? 1
        guard let g = run.group, (try? hoist(g, b)) == true else {
            p.eqns[run.start..<(run.start + span)].forEach(b.append)
            continue
        }
        changed = true
    }
    guard changed else { return nil }
    var q = p
    q.eqns = b.take()
    return eliminateDeadCode(q)
}

/// An accumulator carry of a scan body: carry `j`'s output is `add(carry j, dot_general(l, r))`, the dot_general has
/// no contracting dimension (an outer product, per-example when it has batch dimensions), and neither the carry's
/// input, its output nor the product is read anywhere else in the body.
private struct Accumulator {
    var carry: Int
    var dims: DotDims
    var factors: [Var]
}

private func accumulators(_ body: Program, consts c: Int, carries k: Int) -> [Accumulator] {
    var uses: [Int: Int] = [:], defs: [Int: Eqn] = [:]
    for e in body.eqns {
        defs[e.out.id] = e
        for a in e.inputs { if let v = a.variable { uses[v.id, default: 0] += 1 } }
    }
    for a in body.outputs { if let v = a.variable { uses[v.id, default: 0] += 1 } }
    var found: [Accumulator] = []
    for j in 0..<k {
        let cin = body.inputs[c + j]
        guard cin.type.dtype.isFloat, uses[cin.id] == 1, let out = body.outputs[j].variable, uses[out.id] == 1,
              let add = defs[out.id], add.prim == .binary(.add), add.inputs.contains(.v(cin)),
              let d = add.inputs.first(where: { $0 != .v(cin) })?.variable, d.type == out.type, uses[d.id] == 1,
              let dot = defs[d.id], case .dotGeneral(let dims) = dot.prim, dims.lhsContract.isEmpty,
              let l = dot.inputs[0].variable, let r = dot.inputs[1].variable else { continue }
        found.append(Accumulator(carry: j, dims: dims, factors: [l, r]))
    }
    return found
}

/// Emits loop group `g` into `b` with its accumulator carries hoisted: the body stacks each product's factors as
/// new `ys` (a factor that is already a scanned slice reads the scanned array instead), and each final carry is
/// its initial value plus one dot_general over the stacked factors, contracting the scan axis. The group's result
/// variables are kept. Returns false (emitting nothing) when `g` is not a scan or has no accumulator.
private func hoist(_ g: LoopGroup, _ b: Builder) throws -> Bool {
    guard case .scan(let lb, let length, let reverse, let c, let k) = g.spec else { return false }
    let body = lb.program
    let accs = accumulators(body, consts: c, carries: k)
    // The contractions' types are checked before anything is emitted, so that nothing below throws.
    func dims(_ a: Accumulator) -> DotDims {
        let d = a.dims
        return DotDims(lhsContract: [0], rhsContract: [0], lhsBatch: d.lhsBatch.map { $0 + 1 }, rhsBatch: d.rhsBatch.map { $0 + 1 })
    }
    let checked = accs.filter { a in
        let stacked = a.factors.map { $0.type.with(shape: [length] + $0.type.shape) }
        return (try? Primitive.dotGeneral(dims(a)).outputType(stacked, literal: [false, false])) == body.outputs[a.carry].type
    }
    guard checked.count == accs.count, !accs.isEmpty else { return false }
    let hoisted = Set(accs.map(\.carry))
    let kept = (0..<k).filter { !hoisted.contains($0) }
    // Each factor's stacked array: a scanned operand, or a new stacked output of the body (once per variable).
    let xsInputs = Dictionary(uniqueKeysWithValues: body.inputs[(c + k)...].enumerated().map { ($1.id, g.inputs[c + k + $0]) })
    var newYs: [Var] = []
    for a in accs { for f in a.factors where xsInputs[f.id] == nil && !newYs.contains(f) { newYs.append(f) } }
    var q = body
    q.inputs = Array(body.inputs[..<c]) + kept.map { body.inputs[c + $0] } + Array(body.inputs[(c + k)...])
    q.params = positionalParams(q.inputs.count)
    q.outputs = kept.map { body.outputs[$0] } + Array(body.outputs[k...]) + newYs.map { .v($0) }
    q.outTree = .tuple(q.outputs.map { _ in .leaf })
    q = eliminateDeadCode(q)
    let spec = LoopSpec.scan(body: LoopBody(q), length: length, reverse: reverse, consts: c, carries: kept.count)
    let operands = Array(g.inputs[..<c]) + kept.map { g.inputs[c + $0] } + Array(g.inputs[(c + k)...])
    let outs = kept.map { g.outs[$0] } + Array(g.outs[k...]) + newYs.map { _ in nil as Var? }
    b.loc = g.loc
    let results = try b.appendLoop(spec, operands, outs: outs)
    let stacked = results.suffix(newYs.count)
    func array(_ f: Var) -> Atom { xsInputs[f.id] ?? stacked[stacked.startIndex + newYs.firstIndex(of: f)!] }
    for a in accs {
        guard let out = g.outs[a.carry] else { continue }
        let sum = try b.emit(.dotGeneral(dims(a)), a.factors.map(array))
        b.append(Eqn(.binary(.add), [g.inputs[c + a.carry], sum], out, loc: g.loc))
    }
    return true
}
