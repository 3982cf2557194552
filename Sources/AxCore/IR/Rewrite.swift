// Program utilities every pass shares: size-variable substitution, inlining into a Builder, verification, liveness
// and dead-code elimination.

extension Primitive {
    /// The primitive with size variables in its static shape parameters replaced.
    public func substituting(_ sizes: [String: Dim]) -> Primitive {
        rules.mapDims { if case .sym(let s) = $0, let r = sizes[s] { return r }; return $0 } ?? self
    }
}

extension TensorType {
    /// The type with size variables replaced.
    public func substituting(_ sizes: [String: Dim]) -> TensorType {
        TensorType(dtype, shape.map { if case .sym(let s) = $0, let r = sizes[s] { return r }; return $0 })
    }
}

extension Builder {
    /// Emits the equations of `p` with its inputs bound to `args` and its size variables replaced by
    /// `sizes`; returns the atoms of `p`'s outputs. Equations keep their source ranges unless `loc` is given.
    public func inline(_ p: Program, args: [Atom], sizes: [String: Dim] = [:], loc: SourceRange? = nil) throws -> [Atom] {
        precondition(args.count == p.inputs.count, "inline: argument count mismatch")
        var env: [Int: Atom] = [:]
        for (v, a) in zip(p.inputs, args) { env[v.id] = a }
        func get(_ a: Atom) -> Atom {
            if case .v(let x) = a { return env[x.id] ?? a }
            return a
        }
        let saved = self.loc
        defer { self.loc = saved }
        var specs = LoopSpecCache()
        for e in p.eqns {
            self.loc = loc ?? e.loc
            do {
                let prim = sizes.isEmpty ? e.prim : mappingDims(e.prim, &specs) { d in d.symName.flatMap { sizes[$0] } ?? d }
                env[e.out.id] = try emit(prim, e.inputs.map(get))
            } catch let err as ShapeError {
                throw Diagnostic(err.message, at: self.loc.start.line > 0 ? self.loc : nil)
            }
        }
        return p.outputs.map(get)
    }
}

extension Program {
    /// Re-runs every shape rule and checks SSA form; throws `InternalError` naming the first bad equation.
    public func verify() throws {
        var defined = Set(inputs.map(\.id))
        func check(_ a: Atom, _ what: String) throws {
            if case .v(let x) = a, !defined.contains(x.id) { throw InternalError("\(name): \(what) uses undefined variable #\(x.id)") }
        }
        for (i, e) in eqns.enumerated() {
            for a in e.inputs { try check(a, "equation \(i) (\(e.prim.name))") }
            let t: TensorType
            do { t = try e.prim.outputType(e.inputs.map(\.type), literal: e.inputs.map(\.isLiteral)) }
            catch { throw InternalError("\(name): equation \(i) (\(e.prim.name)): \(error)") }
            if t != e.out.type { throw InternalError("\(name): equation \(i) (\(e.prim.name)) has type \(e.out.type), rule says \(t)") }
            if defined.contains(e.out.id) { throw InternalError("\(name): equation \(i) redefines #\(e.out.id)") }
            defined.insert(e.out.id)
        }
        for a in outputs { try check(a, "output") }
        if outTree.leafCount != outputs.count { throw InternalError("\(name): output tree \(outTree) has \(outputs.count) leaves") }
        if params.reduce(0, { $0 + $1.tree.leafCount }) != inputs.count { throw InternalError("\(name): params do not match inputs") }
    }
}

/// The ids of the variables `p`'s outputs depend on (every primitive is pure): one backward pass.
func liveVariables(_ p: Program) -> Set<Int> {
    var live = Set(p.outputs.compactMap { $0.variable?.id })
    for e in p.eqns.reversed() where live.contains(e.out.id) {
        for a in e.inputs { if let v = a.variable { live.insert(v.id) } }
    }
    return live
}

/// The program without equations whose results do not reach an output (dead-code elimination).
func eliminateDeadCode(_ p: Program) -> Program {
    let live = liveVariables(p)
    var q = p
    q.eqns = p.eqns.filter { live.contains($0.out.id) }
    return q
}

extension Builder {
    /// The size of dimension `d` as a scalar of dtype `t`: a literal, or for a size variable `n` the only way to
    /// get it as a value, `reduce_sum(broadcast_in_dim(1, [n]))`.
    func sizeAsScalar(_ d: Dim, _ t: DType) throws -> Atom {
        guard d.constValue == nil else { return .lit(Double(d.constValue!), t) }
        return try emit(.reduceSum(axes: [0]), [try emit(.broadcastInDim(shape: [d], dims: []), [.lit(1, t)])])
    }
}

/// The permutation that undoes `perm` (`transpose(transpose(x, perm), inversePermutation(perm)) == x`).
func inversePermutation(_ perm: [Int]) -> [Int] {
    var inverse = perm
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return inverse
}
