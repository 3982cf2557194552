// The loop builtins (docs/language.md "Loops"): scan, fori_loop, while_loop and map, as jax.lax's. Each traces its
// body (a top-level def, or a transform of one) on the carry's and the slices' types into a closed sub-program and
// emits one loop (Primitives/Loops.swift); nothing is unrolled.

extension Elaborator {
    /// The loop builtins and their parameters, in positional order.
    static let loopParams: [String: [String]] = [
        "scan": ["f", "init", "xs", "length", "reverse"],
        "fori_loop": ["lower", "upper", "body_fun", "init_val"],
        "while_loop": ["cond_fun", "body_fun", "init_val"],
        "map": ["f", "xs", "batch_size"],
    ]
    static let loopDefaults: [String: [String: Value]] = [
        "scan": ["xs": .none, "length": .none, "reverse": .array(.lit(0, .bool), weak: false)],
        "map": ["batch_size": .none],
    ]

    /// A loop builtin call.
    func callLoop(_ n: String, _ args: [Expr], _ kwargs: [(name: String, value: Expr, range: SourceRange)],
                  _ range: SourceRange, _ s: Scope) throws -> Value {
        let params = Elaborator.loopParams[n]!
        guard args.count <= params.count else {
            throw Diagnostic("\(n) takes at most \(params.count) arguments, got \(args.count)", at: args[params.count].range)
        }
        var given: [String: (Value, SourceRange)] = [:]
        for (p, e) in zip(params, args) { given[p] = (try eval(e, s), e.range) }
        for kw in kwargs {
            guard params.contains(kw.name) else {
                throw Diagnostic("\(n) has no argument '\(kw.name)' (expected \(params.joined(separator: ", ")))", at: kw.range)
            }
            guard given[kw.name] == nil else { throw Diagnostic("argument '\(kw.name)' of \(n) given twice", at: kw.range) }
            given[kw.name] = (try eval(kw.value, s), kw.range)
        }
        for p in params where given[p] == nil {
            guard let d = Elaborator.loopDefaults[n]?[p] else { throw Diagnostic("\(n): missing argument '\(p)'", at: range) }
            given[p] = (d, range)
        }
        func fn(_ p: String) throws -> FunctionValue {
            let (v, r) = given[p]!
            guard case .function(let f) = v else {
                throw Diagnostic("\(n): '\(p)' must be a function (a def passed by name), got \(v.typeDescription)", at: r)
            }
            return f
        }
        let b = s.b
        switch n {
        case "scan":
            return try scan(try fn("f"), initial: given["init"]!, xs: given["xs"]!, length: given["length"]!,
                            reverse: given["reverse"]!, at: range, s)
        case "map":
            let (xs, xr) = given["xs"]!
            if case .none = given["batch_size"]!.0 {
                // map(f, xs) is scan with no carry: f on each slice.
                let r = try scan(try fn("f"), initial: (.tuple([]), range), xs: (xs, xr), length: (.none, range),
                                 reverse: (.array(.lit(0, .bool), weak: false), range), at: range, s, mapOnly: true)
                guard case .tuple(let parts) = r else { throw InternalError("map") }
                return parts[1]
            }
            return try chunkedMap(try fn("f"), xs: (xs, xr), batchSize: given["batch_size"]!, at: range, s)
        case "fori_loop":
            let lo = try loopBound(given["lower"]!, "lower", b), hi = try loopBound(given["upper"]!, "upper", b)
            return try foriLoop(try fn("body_fun"), lo, hi, initial: given["init_val"]!, at: range, s)
        default:
            return try whileLoop(try fn("cond_fun"), try fn("body_fun"), initial: given["init_val"]!, at: range, s)
        }
    }

    /// The leaves of a carry or scanned value as atoms (weak literals take their natural dtype), with its tree.
    private func loopLeaves(_ v: Value, _ what: String, _ r: SourceRange) throws -> (leaves: [Atom], tree: TreeDef) {
        let m = mapLeaves(v) { Ops(Builder()).materialize($0, dtype: nil) }
        guard let tree = treeDef(m) else {
            throw Diagnostic("\(what) must be an array or a tuple of arrays, got \(v.typeDescription)", at: r)
        }
        return (m.leaves, tree)
    }

    /// The program of `f` called on fresh inputs of `types`, grouped by `trees` into its arguments; its results
    /// flattened, with their tree. Size variables in `f`'s annotations bind to the types' dimensions.
    func trace(_ f: FunctionValue, _ trees: [TreeDef], _ types: [TensorType], at range: SourceRange,
               _ s: Scope) throws -> (program: Program, outTree: TreeDef, out: Value) {
        let b = Builder()
        let ins = types.map { b.fresh($0) }
        var rest = ArraySlice(ins.map { Atom.v($0) })
        let args = trees.map { t -> (Value, SourceRange) in
            let leaves = Array(rest.prefix(t.leafCount)); rest = rest.dropFirst(t.leafCount)
            return (unflatten(t, leaves), range)
        }
        let v = try callFunction(f, args, [], range, Scope(b: b, function: s.function, sizeNames: s.sizeNames))
        let out = mapLeaves(v) { Ops(b).materialize($0, dtype: nil) }
        guard let tree = treeDef(out) else {
            throw Diagnostic("'\(describe(f))' must return arrays or tuples of arrays, got \(out.typeDescription)", at: range)
        }
        let p = Program(name: describe(f), params: positionalParams(ins.count), inputs: ins,
                        eqns: b.take(), outputs: out.leaves, outTree: tree)
        return (simplify(eliminateDeadCode(p)), tree, out)
    }

    /// `scan(f, init, xs, length, reverse)`: `(final_carry, ys)`.
    private func scan(_ f: FunctionValue, initial: (Value, SourceRange), xs: (Value, SourceRange), length: (Value, SourceRange),
                      reverse: (Value, SourceRange), at range: SourceRange, _ s: Scope, mapOnly: Bool = false) throws -> Value {
        let fname = mapOnly ? "map" : "scan"
        let (carry, carryTree) = try loopLeaves(initial.0, "\(fname): init", initial.1)
        var xsLeaves: [Atom] = [], xsTree: TreeDef? = nil
        if case .none = xs.0 {} else { (xsLeaves, xsTree) = try loopLeaves(xs.0, "\(fname): xs", xs.1) }
        var n: Dim? = nil
        if case .none = length.0 {} else {
            guard let k = Ops.staticInt(length.0), k >= 0 else {
                throw Diagnostic("scan: length must be a non-negative integer or None, got \(length.0.typeDescription)", at: length.1)
            }
            n = .const(k)
        }
        for x in xsLeaves {
            guard let d = x.type.shape.first else {
                throw Diagnostic("\(fname): xs must be arrays with a leading axis to scan over, got \(x.type)", at: xs.1)
            }
            if let m = n, m != d {
                throw Diagnostic("\(fname): xs must have the same leading axis length\(length.0.atom != nil ? " as length" : ""): got \(m) and \(d) (\(x.type))", at: xs.1)
            }
            n = d
        }
        guard let len = n else { throw Diagnostic("scan: with xs=None, length must be given", at: range) }
        guard case .array(.lit(let rv, let rt), _) = reverse.0, rt == .bool || rt == .i32 else {
            throw Diagnostic("scan: reverse must be True or False, got \(reverse.0.typeDescription)", at: reverse.1)
        }
        let rev = rv != 0
        let sliceTypes = xsLeaves.map { $0.type.with(shape: Array($0.type.shape.dropFirst())) }
        let traced = try trace(f, mapOnly ? [xsTree ?? .tuple([])] : [carryTree, xsTree ?? .tuple([])],
                               (mapOnly ? [] : carry.map(\.type)) + sliceTypes, at: range, s)
        let body = traced.program
        let carryOutTree: TreeDef, ysTree: TreeDef
        if mapOnly {
            (carryOutTree, ysTree) = (.tuple([]), traced.outTree)
        } else {
            guard case .tuple(let parts) = traced.outTree, parts.count == 2 else {
                throw Diagnostic("scan: '\(describe(f))' must return a pair (carry, y), got \(traced.out.typeDescription)", at: range)
            }
            (carryOutTree, ysTree) = (parts[0], parts[1])
        }
        let carryOut = body.outputs.prefix(carryOutTree.leafCount).map(\.type)
        if carryOutTree != carryTree || carryOut != carry.map(\.type) {
            throw Diagnostic("\(fname): the carry's type changes across an iteration: '\(describe(f))' takes \(treeTypeText(carryTree, carry.map(\.type))) and returns \(treeTypeText(carryOutTree, Array(carryOut)))", at: range)
        }
        let (c, k) = (0, carry.count)
        let inputs = carry + xsLeaves
        // Invariant carries (returned unchanged) become the loop's consts: read each iteration, never copied.
        let (spec, ins, invariant) = hoistInvariantCarries(.scan(body: LoopBody(body), length: len, reverse: rev, consts: c, carries: k), inputs)
        s.b.loc = range
        let results = try s.b.emitLoop(spec, ins)
        // Results: the final carries (an invariant one is its initial value), then the stacked ys.
        let final = reassembleCarries(results, original: carry, invariant: invariant)
        let ys = Array(results[spec.carryCount...])
        return .tuple([unflatten(carryTree, final), unflatten(ysTree, ys)])
    }

    /// `fori_loop(lower, upper, body, init)`: static bounds become a scan over a counter carry (reverse-differentiable,
    /// as JAX's); data bounds a while loop.
    private func foriLoop(_ f: FunctionValue, _ lo: Bound, _ hi: Bound, initial: (Value, SourceRange), at range: SourceRange,
                          _ s: Scope) throws -> Value {
        let (carry, tree) = try loopLeaves(initial.0, "fori_loop: init_val", initial.1)
        let i32 = TensorType(.i32)
        let traced = try trace(f, [.leaf, tree], [i32] + carry.map(\.type), at: range, s)
        let outTypes = traced.program.outputs.map(\.type)
        guard traced.outTree == tree, outTypes == carry.map(\.type) else {
            throw Diagnostic("fori_loop: the carry's type changes across an iteration: '\(describe(f))' takes \(treeTypeText(tree, carry.map(\.type))) and returns \(treeTypeText(traced.outTree, outTypes))", at: range)
        }
        let b = s.b
        b.loc = range
        // body'(i, carry) = (i + 1, body(i, carry)).
        let step = try buildProgram("fori_body", [i32] + carry.map(\.type)) { bb, ins in
            [try bb.emit(.binary(.add), [ins[0], .lit(1, .i32)])] + (try bb.inline(traced.program, args: ins))
        }
        if case .dim(let l) = lo, case .dim(let u) = hi {
            // The trip count max(upper - lower, 0) as a dimension: a constant, or a size variable when lower is 0.
            let trips: Dim
            switch (l, u) {
            case (.const(let a), .const(let z)): trips = .const(max(z - a, 0))
            case (.const(0), .sym): trips = u
            default: trips = .const(-1)
            }
            if trips != .const(-1) {
                let first = try b.sizeAsScalar(l, .i32)
                let (spec, ins, invariant) = hoistInvariantCarries(
                    .scan(body: LoopBody(step), length: trips, reverse: false, consts: 0, carries: 1 + carry.count), [first] + carry)
                let results = try b.emitLoop(spec, ins)
                return unflatten(tree, Array(reassembleCarries(results, original: [first] + carry, invariant: invariant).dropFirst()))
            }
        }
        // A while loop over (i, upper, carry): `i < upper`.
        let upper = try hi.atom(b), lower = try lo.atom(b)
        let cond = try buildProgram("fori_cond", [i32, i32] + carry.map(\.type)) { bb, ins in [try bb.emit(.binary(.lt), [ins[1], ins[0]])] }
        let spec = LoopSpec.whileLoop(cond: LoopBody(cond), body: LoopBody(step), condConsts: 1, bodyConsts: 0)
        let results = try b.emitLoop(spec, [upper, lower] + carry)
        return unflatten(tree, Array(results.dropFirst()))
    }

    /// `while_loop(cond, body, init)`.
    private func whileLoop(_ cf: FunctionValue, _ bf: FunctionValue, initial: (Value, SourceRange), at range: SourceRange,
                           _ s: Scope) throws -> Value {
        let (carry, tree) = try loopLeaves(initial.0, "while_loop: init_val", initial.1)
        let types = carry.map(\.type)
        let cond = try trace(cf, [tree], types, at: range, s)
        guard cond.outTree == .leaf, cond.program.outputs[0].type == TensorType(.bool) else {
            throw Diagnostic("while_loop: '\(describe(cf))' must return a bool scalar, got \(cond.out.typeDescription)", at: range)
        }
        let body = try trace(bf, [tree], types, at: range, s)
        let outTypes = body.program.outputs.map(\.type)
        guard body.outTree == tree, outTypes == types else {
            throw Diagnostic("while_loop: the carry's type changes across an iteration: '\(describe(bf))' takes \(treeTypeText(tree, types)) and returns \(treeTypeText(body.outTree, outTypes))", at: range)
        }
        s.b.loc = range
        let spec = LoopSpec.whileLoop(cond: LoopBody(cond.program), body: LoopBody(body.program), condConsts: 0, bodyConsts: 0)
        return unflatten(tree, try s.b.emitLoop(spec, carry))
    }

    /// `map(f, xs, batch_size=k)`: `vmap(f)` over chunks of `k` examples by a scan over the reshaped leading axis, and
    /// the remainder in a last smaller chunk, so that intermediates are bounded by the chunk (jax.lax.map's).
    private func chunkedMap(_ f: FunctionValue, xs: (Value, SourceRange), batchSize: (Value, SourceRange), at range: SourceRange,
                            _ s: Scope) throws -> Value {
        guard let k = Ops.staticInt(batchSize.0), k >= 1 else {
            throw Diagnostic("map: batch_size must be a positive integer or None, got \(batchSize.0.typeDescription)", at: batchSize.1)
        }
        let (leaves, tree) = try loopLeaves(xs.0, "map: xs", xs.1)
        guard let n = leaves.first?.type.shape.first?.constValue, leaves.allSatisfy({ $0.type.shape.first == .const(n) }) else {
            throw Diagnostic("map: batch_size needs xs with one constant leading axis length, got \(xs.0.typeDescription)", at: xs.1)
        }
        let b = s.b
        b.loc = range
        let full = n / k, rem = n % k
        if n == 0 {  // no example: the unchunked map (a scan of length 0)
            let r = try scan(f, initial: (.tuple([]), range), xs: xs, length: (.none, range),
                             reverse: (.array(.lit(0, .bool), weak: false), range), at: range, s, mapOnly: true)
            guard case .tuple(let rp) = r else { throw InternalError("map") }
            return rp[1]
        }
        let vf = FunctionValue.vmap(f, inAxes: .axis(0), outAxes: .axis(0), axisSize: nil, axisName: nil, range: range)
        var parts: [Value] = []
        if full > 0 {
            // xs[:full*k] reshaped to (full, k, ...): a scan whose body is vmap(f) over k examples.
            let chunks = try leaves.map { x -> Atom in
                let rest = Array(x.type.shape.dropFirst())
                let head = try b.emit(.slice(start: Array(repeating: 0, count: x.type.rank), limit: [.const(full * k)] + rest,
                                             strides: Array(repeating: 1, count: x.type.rank)), [x])
                return try b.emit(.reshape([.const(full), .const(k)] + rest), [head])
            }
            let r = try scan(vf, initial: (.tuple([]), range), xs: (unflatten(tree, chunks), range), length: (.none, range),
                             reverse: (.array(.lit(0, .bool), weak: false), range), at: range, s, mapOnly: true)
            guard case .tuple(let rp) = r else { throw InternalError("map") }
            parts.append(try mapLeavesThrowing(rp[1]) { v in
                guard case .array(let a, _) = v else { return v }
                let shape = a.type.shape
                return .array(try b.emit(.reshape([.const(full * k)] + Array(shape.dropFirst(2))), [a]), weak: false)
            })
        }
        if rem > 0 {
            let tail = try leaves.map { x -> Atom in
                let rest = Array(x.type.shape.dropFirst())
                return try b.emit(.slice(start: [full * k] + Array(repeating: 0, count: rest.count), limit: [.const(n)] + rest,
                                         strides: Array(repeating: 1, count: x.type.rank)), [x])
            }
            let names = vmapSizeNames(vf, used: s.sizeNames.union(sizeVars(of: vf)))
            parts.append(try callFunction(vf, [(unflatten(tree, tail), range)], [], range, Scope(b: b, function: s.function, sizeNames: s.sizeNames.union(names))))
        }
        guard parts.count == 2 else { return parts[0] }
        // The chunks' results and the remainder's, concatenated along axis 0.
        let a = parts[0].leaves, c = parts[1].leaves
        guard let outTree = treeDef(parts[0]), a.count == c.count else { throw InternalError("map: chunk results") }
        return unflatten(outTree, try zip(a, c).map { try b.emit(.concatenate(axis: 0), [$0, $1]) })
    }

    /// A fori_loop bound: a dimension (an int literal, or a size variable's value `x.shape[0]`), or data.
    enum Bound {
        case dim(Dim)
        case data(Atom)
        func atom(_ b: Builder) throws -> Atom {
            switch self { case .dim(let d): return try b.sizeAsScalar(d, .i32); case .data(let a): return a }
        }
    }
    private func loopBound(_ v: (Value, SourceRange), _ what: String, _ b: Builder) throws -> Bound {
        if let k = Ops.staticInt(v.0) { return .dim(.const(k)) }
        guard case .array(let a, _) = v.0, a.type == TensorType(.i32) else {
            throw Diagnostic("fori_loop: \(what) must be an int or an i32 scalar, got \(v.0.typeDescription)", at: v.1)
        }
        if let d = b.sizeValueDim(a) { return .dim(d) }
        return .data(a)
    }
}

/// Applies `f` to every array leaf of `v`.
func mapLeaves(_ v: Value, _ f: (Value) -> Value) -> Value {
    switch v {
    case .tuple(let vs): return .tuple(vs.map { mapLeaves($0, f) })
    case .array: return f(v)
    default: return v
    }
}
func mapLeavesThrowing(_ v: Value, _ f: (Value) throws -> Value) throws -> Value {
    switch v {
    case .tuple(let vs): return .tuple(try vs.map { try mapLeavesThrowing($0, f) })
    case .array: return try f(v)
    default: return v
    }
}

extension Builder {
    /// The dimension whose size `a` is, when `a` was made by `sizeAsScalar` in this builder.
    func sizeValueDim(_ a: Atom) -> Dim? {
        guard case .v(let v) = a, let e = eqns.last(where: { $0.out == v }), case .reduceSum(axes: [0]) = e.prim,
              case .v(let w) = e.inputs[0], let f = eqns.last(where: { $0.out == w }),
              case .broadcastInDim(let shape, let dims) = f.prim, shape.count == 1, dims.isEmpty, f.inputs[0].literalValue == 1 else { return nil }
        return shape[0]
    }
}

/// Carries the body returns unchanged become consts (read each iteration, never copied): the new spec and operands,
/// and which carries (by position) were hoisted.
func hoistInvariantCarries(_ spec: LoopSpec, _ inputs: [Atom]) -> (LoopSpec, [Atom], invariant: Set<Int>) {
    guard case .scan(let lb, let length, let reverse, let c, let k) = spec else { return (spec, inputs, []) }
    let body = lb.program
    let invariant = (0..<k).filter { body.outputs[$0] == .v(body.inputs[c + $0]) }
    guard !invariant.isEmpty else { return (spec, inputs, []) }
    let kept = (0..<k).filter { !invariant.contains($0) }
    var p = body
    p.inputs = Array(body.inputs[..<c]) + invariant.map { body.inputs[c + $0] } + kept.map { body.inputs[c + $0] } + Array(body.inputs[(c + k)...])
    p.params = positionalParams(p.inputs.count)
    p.outputs = kept.map { body.outputs[$0] } + Array(body.outputs[k...])
    p.outTree = .tuple(p.outputs.map { _ in .leaf })
    let ins = Array(inputs[..<c]) + invariant.map { inputs[c + $0] } + kept.map { inputs[c + $0] } + Array(inputs[(c + k)...])
    return (.scan(body: LoopBody(p), length: length, reverse: reverse, consts: c + invariant.count, carries: kept.count), ins, Set(invariant))
}

/// The final values of the carries `original` after `hoistInvariantCarries`: a hoisted carry is its initial value.
func reassembleCarries(_ results: [Atom], original: [Atom], invariant: Set<Int>) -> [Atom] {
    var kept = results[...]
    return original.indices.map { invariant.contains($0) ? original[$0] : kept.popFirst()! }
}

extension Elaborator {
    /// `for i in range(n)` with `n` a size variable: a scan of length `n` (not unrolled). Names bound before the loop and
    /// assigned in its body are the carries; the other values in scope are the loop's consts; names first bound inside
    /// the body are not visible after it.
    func execSizedFor(_ variable: String, _ n: Dim, _ body: [Stmt], _ range: SourceRange, _ s: inout Scope) throws {
        var assigned = Set<String>()
        func targets(_ t: Target) { switch t { case .name(let x, _): assigned.insert(x); case .tuple(let ts, _): ts.forEach(targets) } }
        func walk(_ stmts: [Stmt]) {
            for st in stmts {
                switch st {
                case .assign(let t, _, _): targets(t)
                case .ifStmt(let bs, let orelse, _): bs.forEach { walk($0.body) }; walk(orelse ?? [])
                case .forStmt(let v, _, let b, _): assigned.insert(v); walk(b)
                case .ret, .pass: break
                }
            }
        }
        walk(body)
        let o = Ops(s.b)
        let names = s.vars.keys.sorted()
        let carried = names.filter { assigned.contains($0) && $0 != variable && treeDef(mapLeaves(s.vars[$0]!) { o.materialize($0, dtype: nil) }) != nil }
        let consts = names.filter { !carried.contains($0) && $0 != variable && treeDef(mapLeaves(s.vars[$0]!) { o.materialize($0, dtype: nil) }) != nil
            && !(s.vars[$0]!.leaves.isEmpty) }
        func leaves(_ x: String) -> (Value, [Atom]) {
            let v = mapLeaves(s.vars[x]!) { o.materialize($0, dtype: nil) }
            return (v, v.leaves)
        }
        let constVals = consts.map(leaves), carryVals = carried.map(leaves)
        let constAtoms = constVals.flatMap(\.1), carryAtoms = carryVals.flatMap(\.1)
        // The body, traced once on fresh inputs: (consts, i, carries) -> (i + 1, carries).
        let bb = Builder()
        let constIns = constAtoms.map { bb.fresh($0.type) }, iIn = bb.fresh(TensorType(.i32)), carryIns = carryAtoms.map { bb.fresh($0.type) }
        var inner = Scope(b: bb, function: s.function, sizeNames: s.sizeNames)
        var ci = ArraySlice(constIns.map { Atom.v($0) }), ki = ArraySlice(carryIns.map { Atom.v($0) })
        for (x, (v, ls)) in zip(consts, constVals) { inner.bind(x, unflatten(treeDef(v)!, Array(ci.prefix(ls.count)))); ci = ci.dropFirst(ls.count) }
        for (x, (v, ls)) in zip(carried, carryVals) { inner.bind(x, unflatten(treeDef(v)!, Array(ki.prefix(ls.count)))); ki = ki.dropFirst(ls.count) }
        inner.bind(variable, .array(.v(iIn), weak: false))
        if let r = try exec(body, &inner) { throw Diagnostic("'return' inside a 'for' loop is not supported", at: r.range) }
        var outs: [Atom] = [try bb.emit(.binary(.add), [.v(iIn), .lit(1, .i32)])]
        for (x, (v, _)) in zip(carried, carryVals) {
            guard let nv = inner.vars[x] else { throw Diagnostic("'\(x)' is not bound at the end of the loop body", at: range) }
            let m = mapLeaves(nv) { Ops(bb).materialize($0, dtype: nil) }
            let before = v.leaves.map(\.type), after = m.leaves.map(\.type)
            guard treeDef(m) == treeDef(v), before == after else {
                throw Diagnostic("the type of '\(x)' changes across an iteration of the loop: \(v.typeDescription) before, \(m.typeDescription) after", at: range)
            }
            outs += m.leaves
        }
        let types = constIns.map(\.type) + [iIn.type] + carryIns.map(\.type)
        var p = Program(name: "for_body", params: positionalParams(types.count),
                        inputs: constIns + [iIn] + carryIns, eqns: bb.take(), outputs: outs, outTree: .tuple(outs.map { _ in .leaf }))
        // Consts the body does not read are dropped.
        let live = liveVariables(p)
        let keep = constIns.indices.filter { live.contains(constIns[$0].id) }
        p.inputs = keep.map { constIns[$0] } + [iIn] + carryIns
        p.params = positionalParams(p.inputs.count)
        p = simplify(eliminateDeadCode(p))
        s.b.loc = range
        let spec0 = LoopSpec.scan(body: LoopBody(p), length: n, reverse: false, consts: keep.count, carries: 1 + carryAtoms.count)
        let (spec, ins, invariant) = hoistInvariantCarries(spec0, keep.map { constAtoms[$0] } + [.lit(0, .i32)] + carryAtoms)
        let results = try s.b.emitLoop(spec, ins)
        var finals = reassembleCarries(results, original: [.lit(0, .i32)] + carryAtoms, invariant: invariant).dropFirst()
        for (x, (v, ls)) in zip(carried, carryVals) {
            s.bind(x, unflatten(treeDef(v)!, Array(finals.prefix(ls.count))))
            finals = finals.dropFirst(ls.count)
        }
        for x in assigned where s.vars[x] == nil || x == variable {
            s.vars[x] = nil
            s.poisoned[x] = "'\(x)' is bound inside a loop over a size variable and is not visible after it"
        }
    }
}
