// Elaboration: a parsed module becomes one typed IR Program per entry (docs/language.md).
// Calls of defs are inlined; transform expressions are FunctionValues, built into Programs by `programFor`.
// Statements are in Statements.swift, expressions and calls in Expressions.swift.

/// An entry: a top-level def or a top-level binding of a transform expression.
public struct Entry: Sendable {
    /// The entry's name (the def or binding name).
    public var name: String
    /// The entry's typed program, transforms applied: the outermost transform's output before simplification
    /// (`axc ir --stage transformed`); `lower` (Driver/Pipeline.swift) simplifies it.
    public var program: Program
    /// True when the outermost transform is `jit`; other entries run op by op.
    public var jit: Bool
    /// The transform chain as written (whitespace-normalized), e.g. `jit(vmap(grad(f), in_axes=(None, 0)))`;
    /// for a def entry, its name.
    public var chain: String
    /// Where the entry is defined.
    public var range: SourceRange
    /// Whether it runs by itself: false for a def whose collectives (`psum(x, 'i')`) need an enclosing map of
    /// that axis name (calling it outside one is a located error, as in JAX).
    public var isRunnable: Bool { !program.eqns.contains { $0.prim.rules.axisName != nil } }
}

/// The names of the module's entries, in source order.
public func entryNames(_ m: Module) -> [String] {
    var seen = Set<String>()
    return m.decls.map(\.name).filter { seen.insert($0).inserted }
}

/// Elaborates the entry `name` of `m`; a `Diagnostic` if there is no such entry or the program is ill-typed.
public func elaborateEntry(_ m: Module, name: String) throws -> Entry {
    try Elaborator(m).entry(name)
}

/// Elaborates every entry of `m` (for `axc check`); throws the first error.
public func elaborateAll(_ m: Module) throws -> [Entry] {
    let e = try Elaborator(m)
    return try entryNames(m).map { try e.entry($0) }
}

/// Names a transform takes as functions, besides defs and builtins.
let transformNames: Set<String> = ["jit", "vmap", "pmap", "grad", "value_and_grad", "jvp", "jacfwd", "jacrev", "hessian"]

/// Limits that keep unrolled programs to a sane size.
let maxLoopCount = 100_000
let maxEquations = 1_000_000
/// Limits on nesting that keep the elaborator's recursion shallow for any input.
let maxCallDepth = 200
let maxTransformDepth = 100

/// The elaborator of one module: its defs and bindings, and caches of built programs.
final class Elaborator {
    let module: Module
    var defs: [String: FuncDecl] = [:]
    var bindings: [String: (expr: Expr, range: SourceRange)] = [:]
    private var bindingValues: [String: FunctionValue] = [:]
    private var evaluatingBindings: [String] = []
    /// Defs being elaborated, innermost last (to reject recursion).
    var callStack: [String] = []
    private var programCache: [String: Program] = [:]

    init(_ m: Module) throws {
        module = m
        var first: [String: SourceRange] = [:]
        for d in m.decls {
            if let r = first[d.name] {
                throw Diagnostic("'\(d.name)' is defined more than once", at: d.range, notes: [("first definition of '\(d.name)'", r)])
            }
            first[d.name] = d.range
            switch d {
            case .function(let f):
                var params = Set<String>()
                for p in f.params where !params.insert(p.name).inserted {
                    throw Diagnostic("duplicate parameter '\(p.name)' in '\(f.name)'", at: p.range)
                }
                defs[f.name] = f
            case .binding(let n, let e, let r):
                bindings[n] = (e, r)
            }
        }
    }

    // MARK: Entries

    func entry(_ name: String) throws -> Entry {
        if let f = defs[name] {
            var p = try programFor(.def(name), sizeNames: [])
            p.name = name; p.origin = name
            return Entry(name: name, program: p, jit: false, chain: name, range: f.nameRange)
        }
        if let (expr, range) = bindings[name] {
            let fv = try bindingValue(name)
            // The outermost transform's output is left as it is: the pipeline simplifies it (see `lower`).
            var p = try programFor(fv, sizeNames: vmapSizeNames(fv, used: sizeVars(of: fv)), simplified: false)
            let chain = chainText(expr) ?? describe(fv)
            p.name = name; p.origin = chain
            return Entry(name: name, program: p, jit: containsJit(fv), chain: chain, range: range)
        }
        let names = entryNames(module)
        throw Diagnostic("no entry named '\(name)' in \(module.file.path); entries: " + (names.isEmpty ? "(none)" : names.joined(separator: ", ")))
    }

    /// The function value of a top-level binding (evaluated once).
    func bindingValue(_ name: String) throws -> FunctionValue {
        if let fv = bindingValues[name] { return fv }
        guard let (expr, range) = bindings[name] else { throw InternalError("no binding \(name)") }
        if evaluatingBindings.contains(name) {
            throw Diagnostic("'\(name)' is defined in terms of itself", at: range)
        }
        if evaluatingBindings.count >= maxCallDepth {
            throw Diagnostic("top-level bindings refer to each other too deeply (more than \(maxCallDepth) levels)", at: range)
        }
        evaluatingBindings.append(name)
        defer { evaluatingBindings.removeLast() }
        let v = try eval(expr, Scope(b: Builder(), function: name, sizeNames: []))
        guard case .function(let fv) = v else {
            throw Diagnostic("top-level binding '\(name)' must be a function (a def, or a transform such as jit(f)), got \(v.typeDescription)", at: expr.range)
        }
        bindingValues[name] = fv
        return fv
    }

    /// The source text of a binding expression with whitespace normalized and comments removed.
    private func chainText(_ e: Expr) -> String? {
        let bytes = Array(module.file.text.utf8)
        let (s, t) = (e.range.start.offset, e.range.end.offset)
        guard e.range.start.line > 0, s >= 0, s < t, t <= bytes.count,
              let text = String(bytes: bytes[s..<t], encoding: .utf8) else { return nil }
        var out = "", inString: Character? = nil, inComment = false, pendingSpace = false
        for c in text {
            if inComment { if c == "\n" { inComment = false; pendingSpace = true }; continue }
            if let q = inString { out.append(c); if c == q { inString = nil }; continue }
            if c == "#" { inComment = true; continue }
            if c.isWhitespace { pendingSpace = true; continue }
            if pendingSpace, let last = out.last, !"([".contains(last), !")],".contains(c) { out.append(" ") }
            pendingSpace = false
            if c == "\"" || c == "'" { inString = c }
            out.append(c)
        }
        return out
    }

    // MARK: Programs of function values

    /// The program of a function value. `sizeNames` names the mapped sizes of its vmaps, outermost first.
    /// Every transform's output is simplified before another transform reads it or a call inlines it (a
    /// transform of the raw output would carry its trivial equations along); with `simplified: false` the
    /// outermost transform's output is returned as the transform produced it (verified, not cached), which is
    /// what an entry holds and `axc ir --stage transformed` prints.
    func programFor(_ fv: FunctionValue, sizeNames: [String], simplified: Bool = true) throws -> Program {
        let key = cacheKey(fv) + "|" + sizeNames.joined(separator: ",")
        if simplified, let p = programCache[key] { return p }
        let p: Program
        switch fv {
        case .def(let name):
            // A def's program is the same either way (only transforms' outputs are simplified here).
            if let cached = programCache[key] { return cached }
            p = try defProgram(name)
            programCache[key] = p
            return p
        case .jit(let f):
            return try programFor(f, sizeNames: sizeNames, simplified: simplified)
        case .vmap(let f, let inAxes, let outAxes, let axisSize, let axisName, let range):
            let inner = try programFor(f, sizeNames: Array(sizeNames.dropFirst()))
            let ins = try flattenInAxes(inAxes, inner, describe(f), at: range)
            let outs = try flattenOutAxes(outAxes, inner, at: range)
            p = try checked(range, simplified: simplified) {
                try vmap(inner, inAxes: ins, outAxes: outs, axisSize: axisSize, sizeName: sizeNames.first ?? "n",
                         axisName: axisName?.name, pmap: axisName?.pmap ?? false)
            }
        case .grad(let f, let argnums, let tupleArgnums, let withValue, let range):
            let inner = try programFor(f, sizeNames: sizeNames)
            let nums = try normalizedArgnums(argnums, inner, f, at: range)
            p = try checked(range, simplified: simplified) {
                try grad(inner, argnums: nums, tupleArgnums: tupleArgnums, withValue: withValue)
            }
        case .jvp(let f, let range):
            let inner = try programFor(f, sizeNames: sizeNames)
            p = try checked(range, simplified: simplified) { try jvp(inner) }
        case .jacobian(let f, let kind, let argnums, let tupleArgnums, let range):
            let inner = try programFor(f, sizeNames: sizeNames)
            let nums = try normalizedArgnums(argnums, inner, f, at: range)
            p = try checked(range, simplified: simplified) {
                try jacobian(inner, kind: kind, argnums: nums, tupleArgnums: tupleArgnums)
            }
        }
        if simplified { programCache[key] = p }
        return p
    }

    /// `argnums` with negative entries counted from the end; out-of-range or repeated entries are errors at `range`.
    private func normalizedArgnums(_ argnums: [Int], _ inner: Program, _ f: FunctionValue, at range: SourceRange) throws -> [Int] {
        let k = inner.params.count
        var nums: [Int] = []
        for a in argnums {
            guard a >= -k && a < k else {
                throw Diagnostic("argnums \(a) is out of range for '\(describe(f))', which takes \(k) argument\(k == 1 ? "" : "s")", at: range)
            }
            let n = a < 0 ? a + k : a
            guard !nums.contains(n) else { throw Diagnostic("argnums repeats argument \(n)", at: range) }
            nums.append(n)
        }
        return nums
    }

    /// Runs a transform and, when `simplified`, simplifies its result, which must pass the verifier: a dangling
    /// variable or a broken shape rule is an internal error here, never a silently wrong program later.
    private func checked(_ range: SourceRange, simplified: Bool, _ transform: () throws -> Program) throws -> Program {
        let raw = try located(range, transform)
        let p = simplified ? simplify(raw) : raw
        try p.verify()
        return p
    }

    /// Runs a transform, attaching `range` to its location-free errors.
    private func located(_ range: SourceRange, _ body: () throws -> Program) throws -> Program {
        do { return try body() }
        catch var d as Diagnostic {
            if d.range == nil { d.range = range }
            throw d
        } catch let e as ShapeError {
            throw Diagnostic(e.message, at: range)
        }
    }

    /// The program of a def: inputs from its annotations, the body inlined, dead equations removed.
    private func defProgram(_ name: String) throws -> Program {
        guard let f = defs[name] else { throw InternalError("no def \(name)") }
        let b = Builder()
        var params: [ProgramParam] = [], inputs: [Var] = [], args: [(Value, SourceRange)] = []
        for pd in f.params {
            let (v, tree, vars) = try freshValue(pd.type, b)
            params.append(ProgramParam(name: pd.name, tree: tree))
            inputs += vars
            args.append((v, pd.range))
        }
        let (ret, range) = try callDef(f, args: args, kwargs: [], at: f.nameRange, b)
        let out = Ops(b).materialize(ret, dtype: nil)
        guard let tree = treeDef(out) else {
            throw Diagnostic("'\(name)' must return an array or a tuple of arrays, got \(out.typeDescription)", at: range)
        }
        let p = Program(name: name, params: params, inputs: inputs, eqns: b.take(), outputs: out.leaves, outTree: tree)
        return eliminateDeadCode(p)
    }

    /// A value of fresh input variables typed by an annotation, its tree and its variables.
    private func freshValue(_ t: TypeExpr, _ b: Builder) throws -> (Value, TreeDef, [Var]) {
        switch t {
        case .tensor(let dt, let dims, let range):
            let type = TensorType(dt, dims.map { switch $0 { case .const(let k): return .const(k); case .name(let s): return .sym(s) } })
            if let problem = type.fixedSizeProblem { throw Diagnostic("parameter type \(problem)", at: range) }
            let x = b.fresh(type)
            return (.array(.v(x), weak: false), .leaf, [x])
        case .tuple(let ts, _):
            let parts = try ts.map { try freshValue($0, b) }
            return (.tuple(parts.map(\.0)), .tuple(parts.map(\.1)), parts.flatMap(\.2))
        }
    }

    // MARK: vmap axes and size names

    /// One `Int?` per input leaf of `p` from an `in_axes` tree (an axis at a tuple parameter covers all its leaves).
    func flattenInAxes(_ axes: AxisTree, _ p: Program, _ fname: String, at range: SourceRange) throws -> [Int?] {
        guard case .tuple(let items) = axes else { return Array(repeating: axisOf(axes), count: p.inputs.count) }
        guard items.count == p.params.count else {
            throw Diagnostic("vmap in_axes \(axisText(axes)) has \(items.count) entr\(items.count == 1 ? "y" : "ies"), but '\(fname)' takes \(p.params.count) argument\(p.params.count == 1 ? "" : "s")", at: range)
        }
        var out: [Int?] = [], start = 0
        for (item, param) in zip(items, p.params) {
            let types = p.inputs[start..<start + param.tree.leafCount].map(\.type)
            guard let flat = flattenAxes(item, param.tree) else {
                throw Diagnostic("vmap in_axes entry \(axisText(item)) for '\(param.name)' does not match its type \(treeTypeText(param.tree, types))", at: range)
            }
            out += flat
            start += param.tree.leafCount
        }
        return out
    }

    func flattenOutAxes(_ axes: AxisTree, _ p: Program, at range: SourceRange) throws -> [Int?] {
        guard let flat = flattenAxes(axes, p.outTree) else {
            throw Diagnostic("vmap out_axes \(axisText(axes)) does not match the output type \(treeTypeText(p.outTree, p.outputs.map(\.type)))", at: range)
        }
        return flat
    }

    private func axisOf(_ t: AxisTree) -> Int? { if case .axis(let k) = t { return k }; return nil }

    /// Flattens an axis tree that is a prefix of `tree`; nil if the structures do not match.
    private func flattenAxes(_ axes: AxisTree, _ tree: TreeDef) -> [Int?]? {
        switch (axes, tree) {
        case (.axis(let k), _): return Array(repeating: k, count: tree.leafCount)
        case (.tuple(let items), .tuple(let children)) where items.count == children.count:
            var out: [Int?] = []
            for (i, c) in zip(items, children) { guard let f = flattenAxes(i, c) else { return nil }; out += f }
            return out
        default: return nil
        }
    }

    /// Names for the mapped sizes of the vmaps of `fv`, outermost first: `n`, `n1`, `n2`, … not in `used`.
    func vmapSizeNames(_ fv: FunctionValue, used: Set<String>) -> [String] {
        var count = 0, f = fv
        while true {
            switch f {
            case .def: break
            case .jit(let g): f = g; continue
            case .grad(let g, _, _, _, _), .jvp(let g, _), .jacobian(let g, _, _, _, _): f = g; continue
            case .vmap(let g, _, _, _, _, _): count += 1; f = g; continue
            }
            break
        }
        var names: [String] = [], k = 0
        while names.count < count {
            let n = k == 0 ? "n" : "n\(k)"
            if !used.contains(n) { names.append(n) }
            k += 1
        }
        return names
    }

    /// Whether `jit` appears anywhere in the chain: `vmap(jit(f))` compiles to one kernel too, as JAX
    /// compiles an inner `jit` under an outer transform.
    func containsJit(_ fv: FunctionValue) -> Bool {
        switch fv {
        case .def: return false
        case .jit: return true
        case .grad(let g, _, _, _, _), .vmap(let g, _, _, _, _, _), .jvp(let g, _), .jacobian(let g, _, _, _, _): return containsJit(g)
        }
    }

    /// The size variables of the annotations of the def at the root of `fv`.
    func sizeVars(of fv: FunctionValue) -> Set<String> {
        switch fv {
        case .def(let n): return defs[n].map(annotationSizes) ?? []
        case .jit(let g), .grad(let g, _, _, _, _), .vmap(let g, _, _, _, _, _), .jvp(let g, _), .jacobian(let g, _, _, _, _):
            return sizeVars(of: g)
        }
    }

    func annotationSizes(_ f: FuncDecl) -> Set<String> {
        func names(_ t: TypeExpr) -> [String] {
            switch t {
            case .tensor(_, let dims, _): return dims.compactMap { if case .name(let s) = $0 { return s }; return nil }
            case .tuple(let ts, _): return ts.flatMap(names)
            }
        }
        return Set(f.params.flatMap { names($0.type) } + (f.returnType.map(names) ?? []))
    }

    private func cacheKey(_ fv: FunctionValue) -> String {
        switch fv {
        case .def(let n): return n
        case .jit(let f): return "jit(\(cacheKey(f)))"
        case .vmap(let f, let i, let o, let s, let n, _):
            return "vmap(\(cacheKey(f)),\(axisText(i)),\(axisText(o)),\(s.map(String.init) ?? "None"),\(n.map { "\($0.pmap)\($0.name)" } ?? "None"))"
        case .grad(let f, let a, let t, let v, _): return "grad(\(cacheKey(f)),\(a),\(t),\(v))"
        case .jvp(let f, _): return "jvp(\(cacheKey(f)))"
        case .jacobian(let f, let k, let a, let t, _): return "\(k.rawValue)(\(cacheKey(f)),\(a),\(t))"
        }
    }
}

/// A short name of a function value for messages: `predict`, `vmap(grad(f))`.
func describe(_ fv: FunctionValue) -> String {
    switch fv {
    case .def(let n): return n
    case .jit(let f): return "jit(\(describe(f)))"
    case .vmap(let f, _, _, _, let n, _): return "\(n?.pmap == true ? "pmap" : "vmap")(\(describe(f)))"
    case .grad(let f, _, _, let withValue, _): return "\(withValue ? "value_and_grad" : "grad")(\(describe(f)))"
    case .jvp(let f, _): return "jvp(\(describe(f)))"
    case .jacobian(let f, let k, _, _, _): return "\(k.rawValue)(\(describe(f)))"
    }
}

/// `0`, `None`, `(None, 0)`.
func axisText(_ a: AxisTree) -> String {
    switch a {
    case .axis(let k): return k.map(String.init) ?? "None"
    case .tuple(let items): return "(" + items.map(axisText).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
    }
}

/// A type annotation as text, in the IR's spelling: `f32[]`, `f32[n,5]`, `(f32[], f32[3])`.
func typeText(_ t: TypeExpr) -> String {
    switch t {
    case .tensor(let dt, let dims, _):
        return "\(dt)[" + dims.map { switch $0 { case .const(let k): return String(k); case .name(let s): return s } }.joined(separator: ",") + "]"
    case .tuple(let ts, _): return "(" + ts.map(typeText).joined(separator: ", ") + (ts.count == 1 ? ",)" : ")")
    }
}

/// The type of a tree with the given leaf types, as text.
func treeTypeText(_ tree: TreeDef, _ types: [TensorType]) -> String {
    var it = types.makeIterator()
    func go(_ t: TreeDef) -> String {
        switch t {
        case .leaf: return it.next()?.description ?? "?"
        case .tuple(let cs): return "(" + cs.map(go).joined(separator: ", ") + (cs.count == 1 ? ",)" : ")")
        }
    }
    return go(tree)
}

/// The tree of a value made of arrays and tuples; nil if it holds anything else.
func treeDef(_ v: Value) -> TreeDef? {
    switch v {
    case .array: return .leaf
    case .tuple(let vs):
        var cs: [TreeDef] = []
        for x in vs { guard let t = treeDef(x) else { return nil }; cs.append(t) }
        return .tuple(cs)
    default: return nil
    }
}

/// The value of the tree `tree` over the atoms `leaves` (depth-first).
func unflatten(_ tree: TreeDef, _ leaves: [Atom]) -> Value {
    var it = leaves.makeIterator()
    func go(_ t: TreeDef) -> Value {
        switch t {
        case .leaf: return .array(it.next() ?? .lit(0, .f32), weak: false)
        case .tuple(let cs): return .tuple(cs.map(go))
        }
    }
    return go(tree)
}


