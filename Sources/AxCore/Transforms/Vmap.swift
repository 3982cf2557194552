// vmap: batching as a program rewrite, in the manner of JAX's batching interpreter.
// Each value carries (atom, batch axis | not mapped); each equation is rewritten by its primitive's batching rule.

/// Batches `p`: `inAxes` has one entry per input leaf (nil = not mapped; negative counts from the end of the
/// batched rank), `outAxes` one per output leaf. The mapped size is the size variable `sizeName`, or `axisSize`.
/// Throws a `Diagnostic` (without a range; the caller attaches it) on bad axes.
/// With `axisName`, the collectives over that name in `p` become reductions along the batch axis (their batching
/// rules, Primitives/Collectives.swift). `pmap` only names the transform in `origin` (it runs as this vmap).
public func vmap(_ p: Program, inAxes: [Int?], outAxes: [Int?], axisSize: Int?, sizeName: String,
                 axisName: String? = nil, pmap: Bool = false) throws -> Program {
    guard inAxes.count == p.inputs.count else {
        throw Diagnostic("vmap: in_axes has \(inAxes.count) entries for \(p.inputs.count) input(s)")
    }
    guard outAxes.count == p.outputs.count else {
        throw Diagnostic("vmap: out_axes has \(outAxes.count) entries for \(p.outputs.count) output(s)")
    }
    if axisSize == nil && inAxes.allSatisfy({ $0 == nil }) {
        throw Diagnostic("vmap must have at least one non-None value in in_axes, or an axis_size")
    }
    if let k = axisSize, k < 0 { throw Diagnostic("vmap: axis_size must be non-negative, got \(k)") }
    if axisSize == nil && p.sizeVars.contains(sizeName) {
        throw InternalError("vmap: size variable '\(sizeName)' is already used by \(p.name)")
    }
    let size: Dim = axisSize.map { .const($0) } ?? .sym(sizeName)
    // all_gather's output is as large as the map: its placeholder dimensions become the mapped size (and the tiled
    // collectives' multiples and blocks of it).
    var p = p
    if let name = axisName, case let sizes = mappedPlaceholders(p, axis: name, size: size), !sizes.isEmpty {
        let sb = Builder(startingAfter: p.maxId)
        p.outputs = try sb.inline(p, args: p.inputs.map { .v($0) }, sizes: sizes)
        p.eqns = sb.take()
    }
    let b = Builder(startingAfter: p.maxId)
    let batcher = Batcher(b: b, size: size, axisName: axisName)
    var env: [Int: Batched] = [:]
    func read(_ a: Atom) -> Batched {
        if case .v(let x) = a, let v = env[x.id] { return v }
        return Batched(a, nil)
    }

    // Inputs: a mapped input gains the batch dimension at its in_axis.
    let leafNames = p.inputLeafNames
    var inputs: [Var] = []
    // A batched input beyond the array limit (a large axis_size): reported after the equations, so that an
    // equation that uses it is named first, with its line; reported even when none does (`return x`).
    var inputProblem: String? = nil
    for (i, v) in p.inputs.enumerated() {
        guard let axis = inAxes[i] else { inputs.append(v); env[v.id] = Batched(.v(v), nil); continue }
        let rank = v.type.rank + 1
        let d = axis < 0 ? axis + rank : axis
        guard d >= 0 && d < rank else {
            let name = i < leafNames.count ? leafNames[i] : "#\(i)"
            throw Diagnostic("vmap: in_axes maps parameter '\(name)' of type \(v.type) along axis \(axis), "
                             + "but a batched \(v.type) has rank \(rank) (axes \(-rank)...\(rank - 1))")
        }
        var shape = v.type.shape
        shape.insert(size, at: d)
        if inputProblem == nil, let problem = v.type.with(shape: shape).fixedSizeProblem {
            let name = i < leafNames.count ? leafNames[i] : "#\(i)"
            inputProblem = "vmap: parameter '\(name)' batched along axis \(axis): \(problem)"
        }
        let nv = b.fresh(v.type.with(shape: shape))
        inputs.append(nv)
        env[v.id] = Batched(.v(nv), d)
    }

    // Equations: not-mapped operands only → the equation as it is; otherwise its batching rule.
    for (i, group) in equationRuns(p.eqns) {
        let eqn = p.eqns[i]
        b.loc = eqn.loc
        let ins = eqn.inputs.map(read)
        if let g = group {
            // A loop's results are batched together (Primitives/LoopTransforms.swift).
            if ins.allSatisfy({ $0.bdim == nil }) && !(axisName.map { eqn.prim.rules.usesAxis($0) } ?? false) {
                for (v, a) in zip(g.outs, try b.appendLoop(g.spec, g.inputs.map { read($0).atom }, outs: g.outs.map { _ in nil })) {
                    if let v { env[v.id] = Batched(a, nil) }
                }
                continue
            }
            do {
                for (v, r) in zip(g.outs, try batcher.batchLoop(g, ins)) { if let v { env[v.id] = r } }
            } catch let e as ShapeError {
                throw Diagnostic("vmap of \(eqn.prim.name): \(e.message)", at: eqn.loc.start.line > 0 ? eqn.loc : nil)
            }
            continue
        }
        do {
            // Collectives over this map's axis name depend on the map itself, mapped operands or not.
            if ins.allSatisfy({ $0.bdim == nil }) && !(axisName.map { eqn.prim.rules.usesAxis($0) } ?? false) {
                env[eqn.out.id] = Batched(try b.emit(eqn.prim, ins.map(\.atom)), nil)
            } else {
                let out = try batcher.apply(eqn.prim, ins, out: eqn.out.type)
                guard out.bdim.map({ $0 >= 0 && $0 < out.atom.type.rank }) ?? true,
                      batcher.perExample(out) == eqn.out.type else {
                    throw InternalError("vmap of \(eqn.prim.name): rule gave \(out.atom.type) with batch axis \(out.bdim.map(String.init) ?? "None") for \(eqn.out.type)")
                }
                env[eqn.out.id] = out
            }
        } catch let e as ShapeError {
            throw Diagnostic("vmap of \(eqn.prim.name): \(e.message)", at: eqn.loc.start.line > 0 ? eqn.loc : nil)
        }
    }

    if let problem = inputProblem { throw Diagnostic(problem) }

    // Outputs: move each batch axis to its out_axis; broadcast a not-mapped output that has one.
    b.loc = .unknown
    var outputs: [Atom] = []
    for (i, a) in p.outputs.enumerated() {
        let x = read(a)
        guard let axis = outAxes[i] else {
            if x.bdim != nil {
                throw Diagnostic("vmap has mapped output but out_axes is None (output \(i) of type \(a.type))")
            }
            outputs.append(x.atom)
            continue
        }
        let rank = a.type.rank + 1
        let d = axis < 0 ? axis + rank : axis
        guard d >= 0 && d < rank else {
            throw Diagnostic("vmap: out_axes \(axis) is out of range for output \(i) of type \(a.type) "
                             + "(batched rank \(rank), axes \(-rank)...\(rank - 1))")
        }
        if x.bdim == nil {
            // A not-mapped output is broadcast along the batch axis: with a large axis_size that can be too big.
            var shape = a.type.shape
            shape.insert(size, at: d)
            if let problem = a.type.with(shape: shape).fixedSizeProblem {
                throw Diagnostic("vmap: output \(i) of type \(a.type) is not mapped; broadcast along the batch axis, \(problem)")
            }
        }
        do { outputs.append(try batcher.materialize(x, at: d)) } catch let e as ShapeError {
            throw InternalError("vmap output \(i): \(e.message)")
        }
    }

    return Program(name: p.name, params: p.params, inputs: inputs, eqns: b.take(), outputs: outputs,
                   outTree: p.outTree, origin: vmapOrigin(p, inAxes: inAxes, outAxes: outAxes, axisSize: axisSize, axisName: axisName, pmap: pmap))
}

/// `vmap(f, in_axes=(None, 0))`-style text for `Program.origin`; per-parameter axes are collapsed when uniform.
func vmapOrigin(_ p: Program, inAxes: [Int?], outAxes: [Int?], axisSize: Int?, axisName: String? = nil, pmap: Bool = false) -> String {
    func text(_ a: Int?) -> String { a.map(String.init) ?? "None" }
    func tree(_ t: TreeDef, _ axes: inout ArraySlice<Int?>) -> String {
        switch t {
        case .leaf: return text(axes.popFirst() ?? nil)
        case .tuple(let cs):
            let leaves = Array(axes.prefix(t.leafCount))
            if let first = leaves.first, leaves.allSatisfy({ $0 == first }) {
                axes = axes.dropFirst(leaves.count)
                return text(first)
            }
            let parts = cs.map { tree($0, &axes) }
            return "(" + parts.joined(separator: ", ") + (parts.count == 1 ? ",)" : ")")
        }
    }
    var rest = ArraySlice(inAxes)
    let parts = p.params.map { tree($0.tree, &rest) }
    var s = "\(pmap ? "pmap" : "vmap")(\(p.origin), " + (axisName.map { $0.isEmpty ? "" : "axis_name='\($0)', " } ?? "")
        + "in_axes=(" + parts.joined(separator: ", ") + (parts.count == 1 ? ",)" : ")")
    if outAxes.contains(where: { $0 != 0 }) {
        var outs = ArraySlice(outAxes)
        s += ", out_axes=" + tree(p.outTree, &outs)
    }
    if let k = axisSize { s += ", axis_size=\(k)" }
    return s + ")"
}
