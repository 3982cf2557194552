// Elaboration of expressions: names, literals, operators (via Ops), calls of defs (inlined), of builtins,
// of transformed functions (their program inlined), and transform expressions (`vmap(f, in_axes=0)`).

/// A mismatch between a value and a type, with an optional explanation (a size variable bound elsewhere).
private struct Mismatch: Error { var detail: String? }

extension Elaborator {
    /// Runs an Ops call, turning a stray `ShapeError` into a located diagnostic.
    func ops<T>(_ b: Builder, _ range: SourceRange, _ body: (Ops) throws -> T) throws -> T {
        do { return try body(Ops(b)) }
        catch let e as ShapeError { throw Diagnostic(e.message, at: range) }
    }

    func eval(_ e: Expr, _ s: Scope) throws -> Value {
        switch e.kind {
        case .name(let n): return try lookup(n, s, e.range)
        case .int(let k): return .array(.lit(Double(k), .i32), weak: true)
        case .float(let x): return .array(.lit(x, .f32), weak: true)
        case .bool(let v): return .array(.lit(v ? 1 : 0, .bool), weak: false)
        case .string(let t): return .string(t)
        case .none: return .none
        case .tuple(let xs): return .tuple(try xs.map { try eval($0, s) })
        case .unary(let op, let x):
            let v = try eval(x, s)
            s.b.loc = e.range
            return try ops(s.b, e.range) { try $0.unary(op, v, at: e.range) }
        case .binary(let op, let x, let y):
            let (v, w) = (try eval(x, s), try eval(y, s))
            s.b.loc = e.range
            return try ops(s.b, e.range) { try $0.binary(op, v, w, at: e.range) }
        case .index(let x, let items):
            let v = try eval(x, s)
            let args: [IndexArg] = try items.map {
                switch $0 {
                case .index(let i): return .index(try eval(i, s), i.range)
                case .slice(let a, let b, let c, let r):
                    return .slice(try a.map { try eval($0, s) }, try b.map { try eval($0, s) }, try c.map { try eval($0, s) }, r)
                }
            }
            s.b.loc = e.range
            return try ops(s.b, e.range) { try $0.index(v, args, at: e.range) }
        case .conditional(let c, let a, let b):
            return try evalConditional(c, a, b, e.range, s)
        case .attribute(let x, let name):
            if let path = prefixedName(e, s) { return try lookupPrefixed(path, s, e.range) }
            let v = try eval(x, s)
            s.b.loc = e.range
            return try ops(s.b, e.range) { try $0.attribute(v, name, at: e.range) }
        case .call(let callee, let args, let kwargs):
            return try evalCall(callee, args, kwargs, e.range, s)
        }
    }

    /// Whether `n` names something in scope other than a builtin or transform (locals, defs, bindings).
    func isUserName(_ n: String, _ s: Scope) -> Bool {
        s.vars[n] != nil || s.poisoned[n] != nil || defs[n] != nil || bindings[n] != nil
    }

    private func lookup(_ n: String, _ s: Scope, _ range: SourceRange) throws -> Value {
        if let v = s.vars[n] { return v }
        if let why = s.poisoned[n] { throw Diagnostic(why, at: range) }
        if defs[n] != nil { return .function(.def(n)) }
        if bindings[n] != nil { return .function(try bindingValue(n)) }
        if DType(rawValue: n) != nil { return .string(n) }
        if let c = Ops.constants[n] { return c }
        if transformNames.contains(n) || Ops.builtinNames.contains(n) {
            throw Diagnostic("'\(n)' is a builtin function: call it, or wrap it in a def to pass it around", at: range)
        }
        throw undefinedName(n, s, range)
    }

    /// "undefined name", or "not supported yet" for a jax.numpy name axc lacks, with a "did you mean" for a
    /// near miss among the names in scope, the builtins, transforms and constants.
    func undefinedName(_ n: String, _ s: Scope, _ range: SourceRange, shown: String? = nil) -> Diagnostic {
        let text = shown ?? n
        if let why = Ops.unsupportedNames[n] { return Diagnostic("'\(text)' is not supported yet (\(why))", at: range) }
        var candidates = Set(Ops.builtinNames).union(transformNames).union(Ops.constants.keys)
        candidates.formUnion(s.vars.keys); candidates.formUnion(defs.keys); candidates.formUnion(bindings.keys)
        var msg = "undefined name '\(text)'"
        if let best = closestName(n, candidates) { msg += "; did you mean '\(best)'?" }
        return Diagnostic(msg, at: range)
    }

    /// The dotted path of `jnp.sum`, `jax.nn.relu`, `lax.max`..., when `e` is a name behind one of the prefixes
    /// JAX code uses (docs/language.md) and the first part is not a user name; nil otherwise.
    func prefixedName(_ e: Expr, _ s: Scope) -> (prefix: String, name: String)? {
        var parts: [String] = []
        var cur = e
        while case .attribute(let base, let n) = cur.kind { parts.insert(n, at: 0); cur = base }
        guard case .name(let first) = cur.kind, !isUserName(first, s), parts.count >= 1 else { return nil }
        let prefix = ([first] + parts.dropLast()).joined(separator: ".")
        guard Ops.namePrefixes.contains(prefix) || Ops.constantPrefixes.contains(prefix) else { return nil }
        return (prefix, parts.last!)
    }

    /// `jnp.pi`, `jnp.float32`, or a prefixed builtin used as a value (an error, as for an unprefixed one).
    private func lookupPrefixed(_ path: (prefix: String, name: String), _ s: Scope, _ range: SourceRange) throws -> Value {
        let n = path.name, shown = "\(path.prefix).\(n)"
        if let c = Ops.constants[n] { return c }
        if let t = Ops.dtypeAliases[n] ?? DType(rawValue: n) { return .string(t.rawValue) }
        if Ops.constantPrefixes.contains(path.prefix) {
            throw Diagnostic("'\(shown)' is not supported: after '\(path.prefix).' only constants and dtypes (pi, e, inf, nan, float32, ...) are", at: range)
        }
        if transformNames.contains(n) || Ops.builtinNames.contains(n) {
            throw Diagnostic("'\(shown)' is a builtin function: call it, or wrap it in a def to pass it around", at: range)
        }
        throw undefinedName(n, Scope(b: s.b, function: s.function, sizeNames: []), range, shown: shown)
    }

    /// `a if c else b`: a condition known at compile time elaborates one branch only (as Python does); a data
    /// condition elaborates both and selects element-wise, as `where(c, a, b)` (docs/language.md).
    private func evalConditional(_ c: Expr, _ a: Expr, _ b: Expr, _ range: SourceRange, _ s: Scope) throws -> Value {
        let cv = try eval(c, s)
        if case .array(.lit(let v, _), _) = cv { return try eval(v != 0 ? a : b, s) }
        guard case .array = cv else { throw Diagnostic("a condition must be a bool array, got \(cv.typeDescription)", at: c.range) }
        let (av, bv) = (try eval(a, s), try eval(b, s))
        s.b.loc = range
        return try ops(s.b, range) { o in
            if case .array = av, case .array = bv { return try o.whereCall((cv, c.range), (av, a.range), (bv, b.range), at: range) }
            return try o.select(cv, onTrue: av, onFalse: bv, at: range)
        }
    }

    private func evalCall(_ callee: Expr, _ args: [Expr], _ kwargs: [(name: String, value: Expr, range: SourceRange)],
                          _ range: SourceRange, _ s: Scope) throws -> Value {
        var named: (String, String)? = nil
        if case .name(let n) = callee.kind, !isUserName(n, s) { named = (n, n) }
        else if let p = prefixedName(callee, s) { named = (p.name, "\(p.prefix).\(p.name)") }
        if let (n0, shown) = named {
            var n = n0
            if let p = shown.split(separator: ".").first.map(String.init), n0 != shown, Ops.constantPrefixes.contains(p),
               Ops.dtypeAliases[n0] == nil {
                let hint = Ops.builtinNames.contains(n0) ? "; use jnp.\(n0), which works on arrays" : ""
                throw Diagnostic("'\(shown)' is not supported: after '\(p).' only constants and dtypes are\(hint)", at: callee.range)
            }
            if let t = Ops.dtypeAliases[n], n != shown { n = t.rawValue }                   // jnp.float32(x) is f32(x)
            if let l = Ops.laxNames[n], shown.hasPrefix("lax.") || shown.hasPrefix("jax.lax.") { n = l }
            if transformNames.contains(n) { return .function(try makeTransform(n, args, kwargs, range, s)) }
            if Elaborator.loopParams[n] != nil { return try callLoop(n, args, kwargs, range, s) }
            if Ops.builtinNames.contains(n) {
                let a = try args.map { (try eval($0, s), $0.range) }
                let k = try kwargs.map { ($0.name, try eval($0.value, s), $0.range) }
                s.b.loc = range
                if let v = try ops(s.b, range, { try $0.callBuiltin(n, args: a, kwargs: k, at: range) }) { return v }
            }
            if n != shown, Ops.constants[n] != nil || Ops.dtypeAliases[n] != nil {
                throw Diagnostic("'\(shown)' is not callable", at: callee.range)
            }
            throw undefinedName(n, s, callee.range, shown: shown)
        }
        // A method: `x.sum(axis=0)` is `sum(x, axis=0)` (docs/language.md lists them).
        if case .attribute(let base, let m) = callee.kind {
            let bv = try eval(base, s)
            if case .array = bv {
                let a = try args.map { (try eval($0, s), $0.range) }
                let k = try kwargs.map { ($0.name, try eval($0.value, s), $0.range) }
                s.b.loc = range
                return try ops(s.b, range) { try $0.callMethod(m, (bv, base.range), args: a, kwargs: k, at: range) }
            }
        }
        let f = try eval(callee, s)
        guard case .function(let fv) = f else {
            throw Diagnostic("\(f.typeDescription) is not callable", at: callee.range)
        }
        let a = try args.map { (try eval($0, s), $0.range) }
        let k = try kwargs.map { ($0.name, try eval($0.value, s), $0.range) }
        return try callFunction(fv, a, k, range, s)
    }

    // MARK: Transform expressions

    private func makeTransform(_ n: String, _ args: [Expr], _ kwargs: [(name: String, value: Expr, range: SourceRange)],
                               _ range: SourceRange, _ s: Scope) throws -> FunctionValue {
        guard let first = args.first else {
            throw Diagnostic("\(n) expects a function as its first argument", at: range)
        }
        if case .name(let fn) = first.kind, !isUserName(fn, s), Ops.builtinNames.contains(fn) || transformNames.contains(fn) {
            throw Diagnostic("cannot apply \(n) to the builtin '\(fn)'; wrap it in a def", at: first.range)
        }
        if let p = prefixedName(first, s), Ops.builtinNames.contains(p.name) || transformNames.contains(p.name) {
            throw Diagnostic("cannot apply \(n) to the builtin '\(p.prefix).\(p.name)'; wrap it in a def", at: first.range)
        }
        let fv: FunctionValue
        switch try eval(first, s) {
        case .function(let f): fv = f
        case let v: throw Diagnostic("\(n) expects a function, got \(v.typeDescription)", at: first.range)
        }
        if transformDepth(fv) >= maxTransformDepth {
            throw Diagnostic("transforms are nested too deeply (more than \(maxTransformDepth) levels)", at: range)
        }
        // Positional order as docs/language.md gives it: vmap(f, in_axes, out_axes, axis_size, axis_name) keeps
        // axis_size fourth as before axis_name existed (JAX has axis_name fourth: give it by keyword);
        // pmap(f, axis_name, in_axes, out_axes, axis_size) as JAX's.
        let options: [String] = ["jit": [], "vmap": ["in_axes", "out_axes", "axis_size", "axis_name"],
                                 "pmap": ["axis_name", "in_axes", "out_axes", "axis_size"],
                                 "grad": ["argnums"], "value_and_grad": ["argnums"], "jvp": [],
                                 "jacfwd": ["argnums"], "jacrev": ["argnums"], "hessian": ["argnums"]][n] ?? []
        var given: [String: (Value, SourceRange)] = [:]
        guard args.count - 1 <= options.count else {
            throw Diagnostic("\(n) takes at most \(options.count + 1) positional argument\(options.isEmpty ? "" : "s"), got \(args.count)", at: args[options.count + 1].range)
        }
        for (name, e) in zip(options, args.dropFirst()) { given[name] = (try eval(e, s), e.range) }
        for kw in kwargs {
            guard options.contains(kw.name) else {
                let known = options.isEmpty ? "it takes none" : "expected " + options.joined(separator: ", ")
                throw Diagnostic("\(n) has no argument '\(kw.name)' (\(known))", at: kw.range)
            }
            guard given[kw.name] == nil else { throw Diagnostic("argument '\(kw.name)' of \(n) given twice", at: kw.range) }
            given[kw.name] = (try eval(kw.value, s), kw.range)
        }
        switch n {
        case "jit":
            return .jit(fv)
        case "vmap", "pmap":
            var axisName: MapName? = nil
            if let (v, r) = given["axis_name"] {
                if case .none = v {} else {
                    guard case .string(let s) = v, !s.isEmpty else { throw Diagnostic("axis_name must be a string, got \(v.typeDescription)", at: r) }
                    axisName = MapName(name: s, pmap: n == "pmap")
                }
            }
            if n == "pmap" && axisName == nil { axisName = MapName(name: "", pmap: true) }
            let inAxes = try given["in_axes"].map { try axisTree($0.0, "in_axes", $0.1) } ?? .axis(0)
            let outAxes = try given["out_axes"].map { try axisTree($0.0, "out_axes", $0.1) } ?? .axis(0)
            var size: Int? = nil
            if let (v, r) = given["axis_size"] {
                if case .none = v {} else {
                    guard let k = Ops.staticInt(v), k >= 0 else { throw Diagnostic("axis_size must be a non-negative integer or None, got \(v.typeDescription)", at: r) }
                    size = k
                }
            }
            return .vmap(fv, inAxes: inAxes, outAxes: outAxes, axisSize: size, axisName: axisName, range: range)
        case "jvp":
            return .jvp(fv, range: range)
        default:
            var nums = [0], tuple = false
            if let (v, r) = given["argnums"] {
                if let k = Ops.staticInt(v) { nums = [k] }
                else if case .tuple(let vs) = v, !vs.isEmpty, case let ks = vs.compactMap(Ops.staticInt), ks.count == vs.count {
                    nums = ks; tuple = true
                } else {
                    throw Diagnostic("argnums must be an integer or a tuple of integers, got \(v.typeDescription)", at: r)
                }
            }
            if let kind = JacobianKind(rawValue: n) {
                return .jacobian(fv, kind: kind, argnums: nums, tupleArgnums: tuple, range: range)
            }
            return .grad(fv, argnums: nums, tupleArgnums: tuple, withValue: n == "value_and_grad", range: range)
        }
    }

    private func transformDepth(_ fv: FunctionValue) -> Int {
        switch fv {
        case .def: return 0
        case .jit(let g), .vmap(let g, _, _, _, _, _), .grad(let g, _, _, _, _), .jvp(let g, _), .jacobian(let g, _, _, _, _):
            return 1 + transformDepth(g)
        }
    }

    private func axisTree(_ v: Value, _ what: String, _ range: SourceRange) throws -> AxisTree {
        if case .none = v { return .axis(nil) }
        if let k = Ops.staticInt(v) { return .axis(k) }
        if case .tuple(let vs) = v { return .tuple(try vs.map { try axisTree($0, what, range) }) }
        throw Diagnostic("\(what) must be an integer, None, or a tuple of them, got \(v.typeDescription)", at: range)
    }

    // MARK: Calls

    /// Calls a function value: a def is inlined; a transformed function's program is built and inlined.
    func callFunction(_ fv: FunctionValue, _ args: [(Value, SourceRange)], _ kwargs: [(String, Value, SourceRange)],
                      _ range: SourceRange, _ s: Scope) throws -> Value {
        switch fv {
        case .def(let n):
            guard let f = defs[n] else { throw InternalError("no def \(n)") }
            let v = try callDef(f, args: args, kwargs: kwargs, at: range, s.b).value
            return v
        case .jit(let f):
            return try callFunction(f, args, kwargs, range, s)
        case .vmap, .grad, .jvp, .jacobian:
            let names = vmapSizeNames(fv, used: s.sizeNames.union(sizeVars(of: fv)))
            let p = try programFor(fv, sizeNames: names)
            return try callProgram(p, describe(fv), args, kwargs, range, s.b, vmapSizes: Set(names))
        }
    }

    /// Inlines a def: checks the arguments against its annotations (binding size variables), elaborates the body,
    /// checks the result against `-> T`. Returns the value and the range of its `return`.
    func callDef(_ f: FuncDecl, args: [(Value, SourceRange)], kwargs: [(String, Value, SourceRange)],
                 at range: SourceRange, _ b: Builder) throws -> (value: Value, range: SourceRange) {
        if callStack.contains(f.name) {
            throw Diagnostic("recursive call of '\(f.name)' (\((callStack + [f.name]).joined(separator: " -> "))) is not supported", at: range)
        }
        if callStack.count >= maxCallDepth {
            throw Diagnostic("calls are nested too deeply (more than \(maxCallDepth) levels)", at: range)
        }
        let ordered = try bindArguments(f.name, f.params.map(\.name), args, kwargs, at: range)
        var scope = Scope(b: b, function: f.name, sizeNames: annotationSizes(f))
        var sizes: [String: (dim: Dim, by: String)] = [:]
        for (p, (v, r)) in zip(f.params, ordered) {
            do { scope.bind(p.name, try check(v, p.type, &sizes, by: p.name)) }
            catch let m as Mismatch {
                throw Diagnostic("argument '\(p.name)' of '\(f.name)': expected \(typeText(p.type)), got \(v.typeDescription)" + (m.detail.map { " (\($0))" } ?? ""), at: r)
            }
        }
        callStack.append(f.name)
        defer { callStack.removeLast() }
        guard let ret = try exec(f.body, &scope) else {
            throw Diagnostic("'\(f.name)' does not end with a return statement", at: f.nameRange)
        }
        guard let rt = f.returnType else { return (ret.value, ret.range) }
        do { return (try check(ret.value, rt, &sizes, by: "the return value"), ret.range) }
        catch let m as Mismatch {
            throw Diagnostic("'\(f.name)' returns \(ret.value.typeDescription), but its annotation says \(typeText(rt))" + (m.detail.map { " (\($0))" } ?? ""),
                             at: ret.range, notes: [("return type declared here", rt.range)])
        }
    }

    /// Checks a value against an annotation, binding size variables; weak scalar literals take the declared dtype.
    private func check(_ v: Value, _ t: TypeExpr, _ sizes: inout [String: (dim: Dim, by: String)], by: String) throws -> Value {
        switch (t, v) {
        case (.tuple(let ts, _), .tuple(let vs)) where ts.count == vs.count:
            var out: [Value] = []
            for (t, x) in zip(ts, vs) { out.append(try check(x, t, &sizes, by: by)) }
            return .tuple(out)
        case (.tensor(let dt, let dims, _), .array(let a, let weak)):
            if weak {
                guard dims.isEmpty, literalFits(a, dt) else { throw Mismatch() }
                return Ops(Builder()).materialize(v, dtype: dt)
            }
            guard a.type.dtype == dt, a.type.rank == dims.count else { throw Mismatch() }
            for (d, actual) in zip(dims, a.type.shape) {
                switch d {
                case .const(let k): guard actual == .const(k) else { throw Mismatch() }
                case .name(let s):
                    if let bound = sizes[s] {
                        guard bound.dim == actual else {
                            throw Mismatch(detail: "\(s) is \(bound.dim), bound by \(bound.by == "the return value" ? bound.by : "'\(bound.by)'")")
                        }
                    } else {
                        sizes[s] = (actual, by)
                    }
                }
            }
            return v
        default:
            throw Mismatch()
        }
    }

    /// Orders positional and keyword arguments by parameter.
    func bindArguments<T>(_ fname: String, _ params: [String], _ args: [(T, SourceRange)], _ kwargs: [(String, T, SourceRange)],
                                  at range: SourceRange) throws -> [(T, SourceRange)] {
        let plural = params.count == 1 ? "" : "s"
        guard args.count <= params.count else {
            throw Diagnostic("'\(fname)' takes \(params.count) argument\(plural), got \(args.count + kwargs.count)", at: args[params.count].1)
        }
        var slots: [(T, SourceRange)?] = args.map { $0 } + Array(repeating: nil, count: params.count - args.count)
        for (name, v, r) in kwargs {
            guard let i = params.firstIndex(of: name) else {
                throw Diagnostic("'\(fname)' has no parameter named '\(name)' (its parameters: \(params.joined(separator: ", ")))", at: r)
            }
            guard slots[i] == nil else { throw Diagnostic("argument '\(name)' of '\(fname)' given twice", at: r) }
            slots[i] = (v, r)
        }
        if let missing = slots.firstIndex(where: { $0 == nil }) {
            if kwargs.isEmpty { throw Diagnostic("'\(fname)' takes \(params.count) argument\(plural), got \(args.count)", at: range) }
            throw Diagnostic("missing argument '\(params[missing])' in call of '\(fname)'", at: range)
        }
        return slots.map { $0! }
    }

    /// Inlines a transformed function's program at a call: flattens the arguments, unifies the program's input
    /// types with theirs (size variables become the actual sizes) and emits its equations.
    private func callProgram(_ p: Program, _ fname: String, _ args: [(Value, SourceRange)], _ kwargs: [(String, Value, SourceRange)],
                             _ range: SourceRange, _ b: Builder, vmapSizes: Set<String>) throws -> Value {
        let ordered = try bindArguments(fname, p.params.map(\.name), args, kwargs, at: range)
        var leaves: [Atom] = [], leafRanges: [SourceRange] = [], start = 0
        for (param, (v, r)) in zip(p.params, ordered) {
            let types = p.inputs[start..<start + param.tree.leafCount].map(\.type)
            let mismatch = Diagnostic("argument '\(param.name)' of '\(fname)': expected \(treeTypeText(param.tree, types)), got \(v.typeDescription)", at: r)
            guard let flat = flattenValue(v, param.tree), flat.count == types.count else { throw mismatch }
            for (x, t) in zip(flat, types) {
                guard case .array(let a, let weak) = x else { throw mismatch }
                if weak {
                    guard t.isScalar, literalFits(a, t.dtype), case .lit(let lit, _) = a else { throw mismatch }
                    leaves.append(.lit(lit, t.dtype))
                } else {
                    guard a.type.dtype == t.dtype, a.type.rank == t.rank else { throw mismatch }
                    leaves.append(a)
                }
                leafRanges.append(r)
            }
            start += param.tree.leafCount
        }
        // Unify size variables with the actual sizes.
        var sizes: [String: Dim] = [:]
        let leafNames = p.inputLeafNames
        for (i, (x, input)) in zip(leaves, p.inputs).enumerated() {
            for (expected, actual) in zip(input.type.shape, x.type.shape) {
                switch expected {
                case .const:
                    guard expected == actual else {
                        throw Diagnostic("argument '\(leafNames[i])' of '\(fname)': expected \(input.type), got \(x.type)", at: leafRanges[i])
                    }
                case .sym(let s):
                    if let bound = sizes[s], bound != actual {
                        throw sizeConflict(s, p, leaves, fname, vmap: vmapSizes.contains(s), at: vmapSizes.contains(s) ? range : leafRanges[i])
                    }
                    sizes[s] = actual
                }
            }
        }
        b.loc = range
        do { return unflatten(p.outTree, try b.inline(p, args: leaves, sizes: sizes)) }
        catch var d as Diagnostic {
            if d.range == nil { d.range = range }
            throw d
        }
    }

    /// The error for a size variable bound to two different sizes, naming every input leaf, axis and size.
    private func sizeConflict(_ s: String, _ p: Program, _ leaves: [Atom], _ fname: String, vmap: Bool, at range: SourceRange) -> Diagnostic {
        var parts: [String] = []
        for (name, (input, x)) in zip(p.inputLeafNames, zip(p.inputs, leaves)) {
            for (axis, d) in input.type.shape.enumerated() where d == .sym(s) {
                parts.append("\(name) (axis \(axis)) has size \(x.type.shape[axis])")
            }
        }
        if vmap { return Diagnostic("vmap: mapped inputs have different sizes: " + parts.joined(separator: ", "), at: range) }
        return Diagnostic("size variable '\(s)' of '\(fname)' is bound to different sizes: " + parts.joined(separator: ", "), at: range)
    }

    /// The leaves of `v` following `tree` (nil if the structure differs).
    private func flattenValue(_ v: Value, _ tree: TreeDef) -> [Value]? {
        switch (tree, v) {
        case (.leaf, .array): return [v]
        case (.tuple(let cs), .tuple(let vs)) where cs.count == vs.count:
            var out: [Value] = []
            for (c, x) in zip(cs, vs) { guard let f = flattenValue(x, c) else { return nil }; out += f }
            return out
        default: return nil
        }
    }
}
