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
    /// Element-wise maps over one shape and dtype computed in one loop, in order: a member reads earlier members'
    /// values at its own index, just written (in the same tile), so each input is read once and nothing written is
    /// read back from memory (XLA's multi-output fusion; formed by `mergeMaps`).
    case mapSiblings([Eqn])
    /// A primitive with a kernel of its own (`emitKernel`): a contraction (inline loops for tiny shapes, a runtime
    /// GEMM call otherwise) or a cumulative operation.
    case kernel(Eqn)
    /// A loop's live results (equations of one loop group, Primitives/Loops.swift): one C loop calling the kernels of
    /// its sub-programs.
    case loop([Eqn])
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
    /// For a device kernel (the per-device program of a pmap, Transforms/Devices.swift): its mapped axis, whose
    /// collectives call the collectives table; nil for every other kernel.
    public var device: DeviceAxis? = nil
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
    let live = liveVariables(p)

    var place: [Int: BufferPlace] = [:]
    for (k, v) in p.inputs.enumerated() { place[v.id] = .input(k) }
    var materialize = Set<Int>()
    for e in p.eqns where live.contains(e.out.id) {
        let kind = e.prim.rules.fusion
        if kind == .reduction || (kind.ownsKernel && !e.prim.rules.inlinable(e)) { materialize.insert(e.out.id) }
    }
    let outputIds = Set(p.outputs.compactMap { $0.variable?.id }.filter { defs[$0] != nil })
    materialize.formUnion(outputIds)

    // Cheap values: buffers and index remaps of buffers (re-reading them costs a load), and values computed from
    // indices alone (iota, literals, and element-wise ops and remaps of those: a one-hot basis, an `eye` mask), which
    // cost a few integer operations to recompute and would otherwise be materialized as large as the index space.
    var cheap = Set(p.inputs.map(\.id)), indexOnly = Set<Int>()
    for e in p.eqns {
        let opsCheap = e.inputs.allSatisfy { $0.isLiteral || cheap.contains($0.variable!.id) }
        let opsIndexOnly = e.inputs.allSatisfy { $0.isLiteral || indexOnly.contains($0.variable!.id) }
        switch e.prim.rules.fusion {
        case .reduction, .contraction, .cumulative, .loop, .collective: if !e.prim.rules.inlinable(e) { cheap.insert(e.out.id) }
        case .indexRemap:
            if opsCheap { cheap.insert(e.out.id) }  // iota has no operands: always cheap
            if opsIndexOnly { indexOnly.insert(e.out.id) }
        case .elementwise:
            if opsIndexOnly && !e.prim.rules.isHeavy && !e.inputs.isEmpty { cheap.insert(e.out.id); indexOnly.insert(e.out.id) }
        }
    }

    // Sibling sums: float reduce_sums over the same trailing axes of same-shaped operands join one group when
    // they sit at the same *level* (the longest chain of such sums below them, counted in one forward pass).
    // A sum that depends on another has a higher level, so a group never depends on itself, and the groups
    // depend on each other in increasing level: the nests can always be ordered (see `schedule`).
    var uniformMemo: [Int: Bool] = [:]
    /// Whether `a` is one value broadcast everywhere (its sum is a multiply, not a loop). Memoised, and
    /// answered for producers before consumers (program order), so it never recurses.
    func uniform(_ a: Atom) -> Bool {
        guard a.type.rank > 0 else { return true }
        guard let v = a.variable else { return false }
        return uniformMemo[v.id] ?? false
    }
    for e in p.eqns { uniformMemo[e.out.id] = e.prim.rules.keepsUniform && e.inputs.allSatisfy(uniform) }
    func groupable(_ e: Eqn) -> Bool {
        guard let axes = e.prim.rules.reducedAxes, e.prim.rules.reduceRule(e.out.type.dtype)?.isSum == true,
              e.out.type.dtype.isFloat, !uniform(e.inputs[0]) else { return false }
        return axes == Array((e.inputs[0].type.rank - axes.count)..<e.inputs[0].type.rank)
    }
    struct SiblingKey: Hashable { let level: Int; let prim: Primitive; let shape: [Dim] }
    var level: [Int: Int] = [:]
    var leader: [Int: Int] = [:], siblings: [Int: [Eqn]] = [:], groupOf: [SiblingKey: Int] = [:]
    for e in p.eqns where live.contains(e.out.id) {
        let below = e.inputs.compactMap { $0.variable.flatMap { level[$0.id] } }.max() ?? 0
        guard groupable(e) else { level[e.out.id] = below; continue }
        level[e.out.id] = below + 1
        let key = SiblingKey(level: below + 1, prim: e.prim, shape: e.inputs[0].type.shape)
        if let k = groupOf[key] { siblings[k]!.append(e); leader[e.out.id] = k }
        else { groupOf[key] = e.out.id; siblings[e.out.id] = [e]; leader[e.out.id] = e.out.id }
    }

    // Decide consumers first (reverse order): a value's group is the materialized root whose loop body
    // it is inlined into (sibling sums count as one root), and whether it is read there at the root's own
    // iteration index.
    var group: [Int: (root: Int, identity: Bool)] = [:]
    func via(_ v: Var, _ c: Eqn) -> (root: Int, identity: Bool) {
        let base = materialize.contains(c.out.id) ? (root: leader[c.out.id] ?? c.out.id, identity: true)
            : (group[c.out.id] ?? (root: c.out.id, identity: false))
        let sameIndex: Bool
        switch c.prim.rules.fusion {
        case .elementwise: sameIndex = c.out.type.shape == v.type.shape
        case .reduction: sameIndex = true
        case .indexRemap, .contraction, .cumulative, .loop, .collective: sameIndex = false
        }
        return (base.root, base.identity && sameIndex)
    }
    var codeCopies: [Int: Int] = [:]  // how many times an inlined value's C is generated (see maxCodeCopies)
    for e in p.eqns.reversed() where live.contains(e.out.id) && !materialize.contains(e.out.id) {
        let v = e.out
        let cs = (consumers[v.id] ?? []).filter { live.contains($0.out.id) }
        if cs.contains(where: { $0.prim.rules.fusion.ownsKernel }) {
            materialize.insert(v.id); continue  // contractions and cumulative operations read buffers
        }
        let groups = cs.map { via(v, $0) }
        let instances = cs.map { materialize.contains($0.out.id) ? 1 : (codeCopies[$0.out.id] ?? 1) }
        if let g0 = groups.first, groups.allSatisfy({ $0.root == g0.root && $0.identity }) {
            group[v.id] = g0  // all reads in one body at one index: computed once there
            codeCopies[v.id] = instances.max()
            continue
        }
        // A cheap value read in several places is generated at each (as many copies as its consumers have), which
        // compounds along chains of remaps (`x = concatenate([x, x])[1:5]`): past `maxCodeCopies` it is a buffer.
        if cheap.contains(v.id), instances.reduce(0, +) <= maxCodeCopies {
            group[v.id] = groups.first
            codeCopies[v.id] = instances.reduce(0, +)
            continue
        }
        if cs.count == 1 && !cheap.contains(v.id) {
            // An expensive value feeding an expanding broadcast would be recomputed per broadcast element.
            if case .broadcastInDim = cs[0].prim, !sameCount(v.type.shape, cs[0].out.type.shape) {
                materialize.insert(v.id); continue
            }
            group[v.id] = groups[0]
            codeCopies[v.id] = instances[0]
            continue
        }
        materialize.insert(v.id)
    }

    // An inlined contraction pays only where its consumer's loop runs on tiles (the runtime computes it for a whole
    // tile of rows): it stays inlined when every read is at its loop's own index, in a chain of tile-able element-wise
    // steps into a map or into sums of short constant rows over trailing axes (the neuron's row sums). Anywhere else
    // (a column sum, a sum of everything, a slice) the scalar loop would redo k multiply-adds in tcc's code, slower
    // than the GEMM (measured: a column sum of tanh(x @ W) at n = 1e6 went from 45 to 68 ms): it is materialized.
    for e in p.eqns where live.contains(e.out.id) && e.prim.rules.inlinable(e) && !materialize.contains(e.out.id) {
        let t = e.out.type.dtype
        guard let g = group[e.out.id], g.identity, let root = defs[g.root] else { materialize.insert(e.out.id); continue }
        let members = p.eqns.filter { group[$0.out.id]?.root == g.root && $0.out.id != e.out.id }
        let chainTiles = (members + (root.prim.isElementwise ? [root] : [])).allSatisfy { m in
            m.prim.isElementwise ? m.prim.rules.tileable(m, t) : m.prim.rules.inlinable(m)
                || { if case .broadcastInDim = m.prim { return true }; if case .reshape = m.prim { return true }; return false }()
        }
        let rootTiles: Bool
        if root.prim.isElementwise { rootTiles = root.prim.rules.tileable(root, t) }
        else if let axes = root.prim.rules.reducedAxes, root.prim.rules.reduceRule(t)?.isSum == true {
            let x = root.inputs[0].type, r = axes.map { x.shape[$0].constValue ?? 64 }.reduce(1, *)
            rootTiles = axes.sorted() == Array((x.rank - axes.count)..<x.rank) && r < 64
        } else { rootTiles = false }
        if !(chainTiles && rootTiles) { materialize.insert(e.out.id) }
    }

    // Inline depth: a chain of inlined producers becomes one nested C expression and one recursion of the
    // emitter per step, so the chain is cut into buffers; neither then grows with the program (a 10,000-step
    // chain is about 10,000 / (maxInlineDepth / 2) loops, not one expression 10,000 deep). The cut is made at
    // the operands, all those deeper than half the bound: cutting at the value itself would leave an operand
    // that other steps also read inlined in two loops, computed twice.
    var inlineDepth: [Int: Int] = [:]
    func depth(_ e: Eqn) -> Int { 1 + (e.inputs.compactMap { $0.variable.flatMap { inlineDepth[$0.id] } }.max() ?? 0) }
    for e in p.eqns where live.contains(e.out.id) && !materialize.contains(e.out.id) {
        if depth(e) > maxInlineDepth {
            for a in e.inputs {
                guard let v = a.variable, let d = inlineDepth[v.id], d > maxInlineDepth / 2 else { continue }
                materialize.insert(v.id)
                inlineDepth[v.id] = nil
            }
        }
        inlineDepth[e.out.id] = depth(e)
    }

    // Buffers: outputs first claim their values, the rest go to scratch.
    var copies: [LoopNest] = []
    for (k, a) in p.outputs.enumerated() {
        if let v = a.variable, defs[v.id] != nil, place[v.id] == nil { place[v.id] = .output(k) }
        else { copies.append(.copy(output: k, from: a)) }
    }
    var scratch: [Var] = []
    var nests: [(nest: LoopNest, eqns: [Eqn])] = []
    // A loop's live results are one nest, standing where its first live result stood.
    var loopResults: [Int: [Eqn]] = [:], loopFollower = Set<Int>()
    for (i, group) in equationRuns(p.eqns) {
        guard let g = group else { continue }
        let members = p.eqns[i..<(i + g.span)].filter { live.contains($0.out.id) }
        if let first = members.first { loopResults[first.out.id] = members; members.dropFirst().forEach { loopFollower.insert($0.out.id) } }
    }
    for e in p.eqns where live.contains(e.out.id) && materialize.contains(e.out.id) {
        if place[e.out.id] == nil { place[e.out.id] = .scratch(scratch.count); scratch.append(e.out) }
        if let k = leader[e.out.id], let members = siblings[k], members.count > 1 {
            // The group stands where its last member stood; `schedule` moves what reads an earlier member after it.
            if e.out.id == members.last!.out.id { nests.append((.reduceSiblings(members), members)) }
            continue
        }
        switch e.prim.rules.fusion {
        case .reduction: nests.append((.reduce(e), [e]))
        case .contraction, .cumulative, .collective: nests.append((.kernel(e), [e]))
        case .loop:
            if let members = loopResults[e.out.id] { nests.append((.loop(members), members)) }
            else if !loopFollower.contains(e.out.id) { throw InternalError("fuse: loop result #\(e.out.id) outside its group") }
        case .elementwise, .indexRemap: nests.append((.map(e), [e]))
        }
    }
    return KernelGraph(program: p, place: place, scratch: scratch,
                       nests: try schedule(nests, defs: defs, materialized: materialize) + copies, defs: defs, useCount: useCount)
}

/// Inlined producers per materialized value, at most (see the inline-depth pass of `fuse`).
let maxInlineDepth = 48
/// Copies of a cheap value's inlined code, at most, before it is materialized instead.
let maxCodeCopies = 16

/// The nests in an order where each runs after the nests that compute the buffers it reads (directly or through
/// its inlined producers), otherwise in their given order: a topological sort (Kahn's, ready nests taken by
/// position), linear in the nests and the inlined equations they read. Maps are then merged (`mergeMaps`).
private func schedule(_ nests: [(nest: LoopNest, eqns: [Eqn])], defs: [Int: Eqn], materialized: Set<Int>) throws -> [LoopNest] {
    var producer: [Int: Int] = [:]
    for (k, n) in nests.enumerated() { for e in n.eqns { producer[e.out.id] = k } }
    var waitingOn = Array(repeating: 0, count: nests.count)
    var dependents = Array(repeating: [Int](), count: nests.count)
    // For each nest, the nests it reads, and whether every such read is at a map's own index (through element-wise
    // steps of its shape only): a value reached both ways is walked at most twice.
    var reads = Array(repeating: [Int: Bool](), count: nests.count)
    for (k, n) in nests.enumerated() {
        var seen: [Int: Bool] = [:], deps: [Int: Bool] = [:]
        let map: Eqn? = { if case .map(let e) = n.nest, e.prim.isElementwise { return e }; return nil }()
        var stack = n.eqns.flatMap { e in e.inputs.map { ($0, map != nil && $0.type.shape == e.out.type.shape) } }
        while let (a, same) = stack.popLast() {
            guard let v = a.variable, seen[v.id] != false, seen[v.id] != same else { continue }
            seen[v.id] = same
            if let j = producer[v.id] { if j != k { deps[j] = same && deps[j] != false }; continue }
            if !materialized.contains(v.id), let e = defs[v.id] {
                stack += e.inputs.map { ($0, same && e.prim.isElementwise && $0.type.shape == e.out.type.shape) }
            }
        }
        reads[k] = deps
        waitingOn[k] = deps.count
        for j in deps.keys { dependents[j].append(k) }
    }
    var ready = MinHeap(), order: [Int] = []
    for k in nests.indices where waitingOn[k] == 0 { ready.push(k) }
    while let k = ready.pop() {
        order.append(k)
        for d in dependents[k] { waitingOn[d] -= 1; if waitingOn[d] == 0 { ready.push(d) } }
    }
    // Sibling groups are formed by level, so the nests' dependencies have no cycle and every nest was taken.
    guard order.count == nests.count else { throw InternalError("fuse: cyclic dependencies between loop nests") }
    return mergeMaps(order, nests.map(\.nest), reads: reads)
}

/// Merges element-wise maps of one shape and dtype into `mapSiblings` nests, taking the nests in topological `order`:
/// a map joins the last group of its key when it reads the group's members only at its own index and every other nest
/// it reads comes before the group's first member; the group stands at that first member's place. The order stays
/// topological: what a member reads from outside comes before the group, and what reads a member came after it.
private func mergeMaps(_ order: [Int], _ nests: [LoopNest], reads: [[Int: Bool]]) -> [LoopNest] {
    struct Key: Hashable { let shape: [Dim]; let dtype: DType }
    var position = Array(repeating: 0, count: nests.count)
    for (p, k) in order.enumerated() { position[k] = p }
    var open: [Key: Int] = [:], groupOf: [Int: Int] = [:], members: [[Eqn]] = [], firstPosition: [Int] = []
    for k in order {
        guard case .map(let e) = nests[k], e.prim.isElementwise, e.out.type.rank > 0 else { continue }
        let key = Key(shape: e.out.type.shape, dtype: e.out.type.dtype)
        if let g = open[key], reads[k].allSatisfy({ j, same in groupOf[j] == g ? same : position[j] < firstPosition[g] }) {
            members[g].append(e); groupOf[k] = g; continue
        }
        open[key] = members.count; groupOf[k] = members.count
        members.append([e]); firstPosition.append(position[k])
    }
    var merged: [LoopNest] = [], placed = Set<Int>()
    for k in order {
        guard let g = groupOf[k], members[g].count > 1 else { merged.append(nests[k]); continue }
        if placed.insert(g).inserted { merged.append(.mapSiblings(members[g])) }
    }
    return merged
}

/// A binary min-heap of Ints.
struct MinHeap {
    private var a: [Int] = []
    mutating func push(_ x: Int) {
        a.append(x)
        var i = a.count - 1
        while i > 0, a[(i - 1) / 2] > a[i] { a.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }
    mutating func pop() -> Int? {
        guard let top = a.first else { return nil }
        a.swapAt(0, a.count - 1); a.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < a.count, a[l] < a[m] { m = l }
            if r < a.count, a[r] < a[m] { m = r }
            if m == i { return top }
            a.swapAt(i, m); i = m
        }
    }
}
