// Fusion: decides which IR values are materialized (input, output or scratch buffers) and which are
// inlined as scalar expressions into the loop nest of their consumer; the result is a `KernelGraph`.

/// Where a materialized value lives.
public enum BufferPlace: Hashable, Sendable {
    /// Input leaf `k` (a kernel argument).
    case input(Int)
    /// Output leaf `k` (a kernel argument).
    case output(Int)
    /// Scratch slot `k` (a slice of the scratch argument, sized by a C expression of the sizes).
    case scratch(Int)
}

/// One loop nest of a kernel.
public enum LoopNest: Sendable {
    /// Computes an element-wise or index-remapping equation (with its inlined producers) over its output's shape.
    case map(Eqn)
    /// A reduction; its operand's element-wise producers are inlined into the reduction loop.
    case reduce(Eqn)
    /// Sums over the same axes of same-shaped operands, none depending on another, computed in one loop so
    /// that producers they share are computed once and never written out (XLA's multi-output fusion).
    case reduceSiblings([Eqn])
    /// A contraction (inline loops for tiny shapes, a runtime GEMM/dot call otherwise).
    case dot(Eqn)
    /// Writes output leaf `output` from an input, another buffer or a literal.
    case copy(output: Int, from: Atom)
}

/// A program lowered to fused loop nests over buffers.
public struct KernelGraph: Sendable {
    /// The program this graph computes.
    public let program: Program
    /// Materialized values by variable id.
    public var place: [Int: BufferPlace]
    /// Scratch slots in order: the value stored in each.
    public var scratch: [Var]
    /// Loop nests in execution order.
    public var nests: [LoopNest]
    /// The defining equation of every equation output, by variable id.
    public var defs: [Int: Eqn]
    /// How many times each variable is read (by equations and outputs).
    public var useCount: [Int: Int]
    /// Size variables, in order of the kernel's parameters.
    public var sizeVars: [String] { program.sizeVars }
}

/// Whether the shapes have the same element count (symbolically).
func sameCount(_ a: [Dim], _ b: [Dim]) -> Bool {
    elementCountExpr(a.filter { $0 != .const(1) }) == elementCountExpr(b.filter { $0 != .const(1) })
}

/// Lowers `p` to fused loop nests: reductions, contractions and outputs are materialized; element-wise
/// chains and index remaps are inlined into their consumer; values read several times are materialized
/// unless they are cheap (index remaps of buffers) or all their reads fall in one loop body at one index.
public func fuse(_ p: Program) throws -> KernelGraph {
    try p.verify()
    var defs: [Int: Eqn] = [:]
    var consumers: [Int: [Eqn]] = [:]
    var useCount: [Int: Int] = [:]
    for e in p.eqns {
        defs[e.out.id] = e
        for a in e.inputs { if let v = a.variable { consumers[v.id, default: []].append(e); useCount[v.id, default: 0] += 1 } }
    }
    for a in p.outputs { if let v = a.variable { useCount[v.id, default: 0] += 1 } }

    // Liveness: only equations reachable from the outputs are lowered.
    var live = Set(p.outputs.compactMap { $0.variable?.id })
    for e in p.eqns.reversed() where live.contains(e.out.id) {
        for a in e.inputs { if let v = a.variable { live.insert(v.id) } }
    }

    var place: [Int: BufferPlace] = [:]
    for (k, v) in p.inputs.enumerated() { place[v.id] = .input(k) }
    var materialize = Set<Int>()
    for e in p.eqns where live.contains(e.out.id) {
        switch e.prim {
        case .reduceSum, .reduceMax, .reduceMin, .dotGeneral: materialize.insert(e.out.id)
        default: break
        }
    }
    let outputIds = Set(p.outputs.compactMap { $0.variable?.id }.filter { defs[$0] != nil })
    materialize.formUnion(outputIds)

    // Cheap values: buffers and index remaps of buffers (re-reading them costs a load).
    var cheap = Set(p.inputs.map(\.id))
    for e in p.eqns {
        let opsCheap = e.inputs.allSatisfy { $0.isLiteral || cheap.contains($0.variable!.id) }
        switch e.prim {
        case .reduceSum, .reduceMax, .reduceMin, .dotGeneral, .iota: cheap.insert(e.out.id)
        case .broadcastInDim, .reshape, .transpose, .slice, .pad, .concatenate: if opsCheap { cheap.insert(e.out.id) }
        case .unary, .binary, .integerPow, .convert, .select: break
        }
    }

    // Sibling sums: float reduce_sums over the same trailing axes of same-shaped operands, in program order,
    // join the first sibling that they do not depend on; `leader` maps each member to the group's first.
    var dependsMemo: [Int: Set<Int>] = [:]
    func reductionsBelow(_ id: Int) -> Set<Int> {
        if let m = dependsMemo[id] { return m }
        guard let e = defs[id] else { return [] }
        var r = Set<Int>()
        for a in e.inputs { if let v = a.variable { r.formUnion(reductionsBelow(v.id)); if case .reduceSum = defs[v.id]?.prim { r.insert(v.id) } } }
        dependsMemo[id] = r
        return r
    }
    /// Whether `a` is one value broadcast everywhere (its sum is a multiply, not a loop).
    func uniform(_ a: Atom) -> Bool {
        guard a.type.rank > 0 else { return true }
        guard let v = a.variable, let e = defs[v.id] else { return false }
        switch e.prim {
        case .unary, .binary, .integerPow, .broadcastInDim, .reshape, .convert: return e.inputs.allSatisfy(uniform)
        default: return false
        }
    }
    var leader: [Int: Int] = [:], siblings: [Int: [Eqn]] = [:]
    for e in p.eqns where live.contains(e.out.id) {
        guard case .reduceSum(let axes) = e.prim, e.out.type.dtype.isFloat, !uniform(e.inputs[0]),
              axes == Array((e.inputs[0].type.rank - axes.count)..<e.inputs[0].type.rank) else { continue }
        let below = reductionsBelow(e.out.id)
        let lead = siblings.keys.sorted().first { k in
            let f = siblings[k]![0]
            return f.prim == e.prim && f.inputs[0].type.shape == e.inputs[0].type.shape
                && siblings[k]!.allSatisfy { !below.contains($0.out.id) }
        }
        if let k = lead { siblings[k]!.append(e); leader[e.out.id] = k } else { siblings[e.out.id] = [e]; leader[e.out.id] = e.out.id }
    }

    // Decide consumers first (reverse order): a value's group is the materialized root whose loop body
    // it is inlined into (sibling sums count as one root), and whether it is read there at the root's own
    // iteration index.
    var group: [Int: (root: Int, identity: Bool)] = [:]
    func via(_ v: Var, _ c: Eqn) -> (root: Int, identity: Bool) {
        let base = materialize.contains(c.out.id) ? (root: leader[c.out.id] ?? c.out.id, identity: true)
            : (group[c.out.id] ?? (root: c.out.id, identity: false))
        let sameIndex: Bool
        switch c.prim {
        case .unary, .binary, .integerPow, .convert, .select: sameIndex = c.out.type.shape == v.type.shape
        case .reduceSum, .reduceMax, .reduceMin: sameIndex = true
        default: sameIndex = false
        }
        return (base.root, base.identity && sameIndex)
    }
    for e in p.eqns.reversed() where live.contains(e.out.id) && !materialize.contains(e.out.id) {
        let v = e.out
        let cs = (consumers[v.id] ?? []).filter { live.contains($0.out.id) }
        if cs.contains(where: { if case .dotGeneral = $0.prim { return true }; return false }) {
            materialize.insert(v.id); continue  // contractions read buffers
        }
        let groups = cs.map { via(v, $0) }
        if let g0 = groups.first, groups.allSatisfy({ $0.root == g0.root && $0.identity }) {
            group[v.id] = g0; continue  // all reads in one body at one index: computed once there
        }
        if cheap.contains(v.id) { group[v.id] = groups.first; continue }
        if cs.count == 1 {
            // An expensive value feeding an expanding broadcast would be recomputed per broadcast element.
            if case .broadcastInDim = cs[0].prim, !sameCount(v.type.shape, cs[0].out.type.shape) {
                materialize.insert(v.id); continue
            }
            group[v.id] = groups[0]; continue
        }
        materialize.insert(v.id)
    }

    // Buffers: outputs first claim their values, the rest go to scratch.
    var copies: [LoopNest] = []
    for (k, a) in p.outputs.enumerated() {
        if let v = a.variable, defs[v.id] != nil, place[v.id] == nil { place[v.id] = .output(k) }
        else { copies.append(.copy(output: k, from: a)) }
    }
    var scratch: [Var] = []
    var nests: [(nest: LoopNest, outs: [Int])] = []
    for e in p.eqns where live.contains(e.out.id) && materialize.contains(e.out.id) {
        if place[e.out.id] == nil { place[e.out.id] = .scratch(scratch.count); scratch.append(e.out) }
        if let k = leader[e.out.id], let members = siblings[k], members.count > 1 {
            // The group runs where its last member stood.
            if e.out.id == members.last!.out.id { nests.append((.reduceSiblings(members), members.map(\.out.id))) }
            continue
        }
        switch e.prim {
        case .reduceSum, .reduceMax, .reduceMin: nests.append((.reduce(e), [e.out.id]))
        case .dotGeneral: nests.append((.dot(e), [e.out.id]))
        default: nests.append((.map(e), [e.out.id]))
        }
    }
    return KernelGraph(program: p, place: place, scratch: scratch, nests: orderAfterSiblings(nests, defs) + copies,
                       defs: defs, useCount: useCount)
}

/// Nests in an order where each runs after the nests computing what it reads: a nest placed before a sibling
/// group (which runs where its last member stood) but reading a member's result moves after the group.
private func orderAfterSiblings(_ nests: [(nest: LoopNest, outs: [Int])], _ defs: [Int: Eqn]) -> [LoopNest] {
    var reads: [Int: Set<Int>] = [:]
    func below(_ id: Int) -> Set<Int> {
        if let r = reads[id] { return r }
        var r = Set<Int>()
        for a in defs[id]?.inputs ?? [] { if let v = a.variable { r.insert(v.id); r.formUnion(below(v.id)) } }
        reads[id] = r
        return r
    }
    var done = Set<Int>(), out: [LoopNest] = [], waiting: [(nest: LoopNest, outs: [Int])] = []
    let produced = Set(nests.flatMap(\.outs))
    func ready(_ n: (nest: LoopNest, outs: [Int])) -> Bool {
        n.outs.allSatisfy { below($0).allSatisfy { !produced.contains($0) || done.contains($0) || n.outs.contains($0) } }
    }
    for n in nests {
        waiting.append(n)
        var progress = true
        while progress {
            progress = false
            if let i = waiting.firstIndex(where: ready) {
                out.append(waiting[i].nest); done.formUnion(waiting[i].outs); waiting.remove(at: i); progress = true
            }
        }
    }
    return out + waiting.map(\.nest)
}
