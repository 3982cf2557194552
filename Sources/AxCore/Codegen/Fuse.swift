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

    // Decide consumers first (reverse order): a value's group is the materialized root whose loop body
    // it is inlined into, and whether it is read there at the root's own iteration index.
    var group: [Int: (root: Int, identity: Bool)] = [:]
    func via(_ v: Var, _ c: Eqn) -> (root: Int, identity: Bool) {
        let base = materialize.contains(c.out.id) ? (root: c.out.id, identity: true) : (group[c.out.id] ?? (root: c.out.id, identity: false))
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
    var nests: [LoopNest] = []
    for e in p.eqns where live.contains(e.out.id) && materialize.contains(e.out.id) {
        if place[e.out.id] == nil { place[e.out.id] = .scratch(scratch.count); scratch.append(e.out) }
        switch e.prim {
        case .reduceSum, .reduceMax, .reduceMin: nests.append(.reduce(e))
        case .dotGeneral: nests.append(.dot(e))
        default: nests.append(.map(e))
        }
    }
    return KernelGraph(program: p, place: place, scratch: scratch, nests: nests + copies, defs: defs, useCount: useCount)
}
