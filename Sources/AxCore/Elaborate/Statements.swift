// Elaboration of statements: assignment and tuple unpacking, return, if/elif/else (folded when the
// condition is known at compile time, otherwise both branches and a select), and unrolled for loops.
import Foundation

/// The names visible in a def body while it is elaborated, and where its equations go.
struct Scope {
    var vars: [String: Value] = [:]
    /// Names that may not be used, with the reason (bound in only one branch of a data-dependent `if`).
    var poisoned: [String: String] = [:]
    let b: Builder
    /// The def being elaborated (for messages).
    let function: String
    /// Size variables of the def's annotations (vmaps in the body pick other names).
    let sizeNames: Set<String>
    init(b: Builder, function: String, sizeNames: Set<String>) {
        self.b = b; self.function = function; self.sizeNames = sizeNames
    }
    mutating func bind(_ name: String, _ v: Value) { vars[name] = v; poisoned[name] = nil }
}

/// A value returned by a block, and the range to blame for it.
struct Returned {
    var value: Value
    var range: SourceRange
}

extension Elaborator {
    /// Elaborates a block; returns the returned value if the block returns.
    func exec(_ stmts: [Stmt], _ s: inout Scope) throws -> Returned? {
        for (i, st) in stmts.enumerated() {
            if case .ret = st, i + 1 < stmts.count {
                throw Diagnostic("'return' must be the last statement of its block", at: st.range)
            }
            s.b.loc = st.range
            if let r = try execOne(st, &s) { return r }
            if s.b.eqns.count > maxEquations {
                throw Diagnostic("the program is too large (more than \(maxEquations) equations)", at: st.range)
            }
        }
        return nil
    }

    private func execOne(_ st: Stmt, _ s: inout Scope) throws -> Returned? {
        switch st {
        case .assign(let target, let e, _):
            try assign(target, try eval(e, s), &s)
            return nil
        case .ret(let e, _):
            return Returned(value: try eval(e, s), range: e.range)
        case .pass:
            return nil
        case .ifStmt(let branches, let orelse, let range):
            return try execIf(branches[...], orelse, range, &s)
        case .forStmt(let variable, let count, let body, let range):
            let k = try eval(count, s)
            if case .array(let a, _) = k, let d = s.b.sizeValueDim(a) {
                try execSizedFor(variable, d, body, range, &s)
                return nil
            }
            // AXC_FOR_LOOPS=scan (a testing aid, docs/cli.md): a constant-length loop is a scan where it can be one, so
            // the fuzzer checks loops against JAX's unrolled loops; otherwise (shapes depending on `i`, ...) unrolled.
            if forLoopsAsScans, let n = Ops.staticInt(k), n > 0, (try? execSizedFor(variable, .const(n), body, range, &s)) != nil {
                return nil
            }
            guard let n = Ops.staticInt(k) else {
                throw Diagnostic("range() needs a compile-time integer, got \(k.typeDescription)", at: count.range)
            }
            guard n <= maxLoopCount else {
                throw Diagnostic("range(\(n)) is too long to unroll (at most \(maxLoopCount) iterations)", at: count.range)
            }
            for i in 0..<max(0, n) {
                s.bind(variable, .array(.lit(Double(i), .i32), weak: true))
                if let r = try exec(body, &s) {
                    throw Diagnostic("'return' inside a 'for' loop is not supported", at: r.range)
                }
                if s.b.eqns.count > maxEquations {
                    throw Diagnostic("the unrolled loop is too large (more than \(maxEquations) equations)", at: range)
                }
            }
            return nil
        }
    }

    /// Binds a name, or unpacks a tuple (or an array along its first axis) into nested targets.
    private func assign(_ t: Target, _ v: Value, _ s: inout Scope) throws {
        switch t {
        case .name(let n, _):
            s.bind(n, v)
        case .tuple(let targets, let range):
            switch v {
            case .tuple(let vs) where vs.count == targets.count:
                for (t, x) in zip(targets, vs) { try assign(t, x, &s) }
            case .array(let a, false) where a.type.rank >= 1 && a.type.shape[0] == .const(targets.count):
                for (k, t) in targets.enumerated() {
                    s.b.loc = range
                    let x = try ops(s.b, range) { try $0.index(v, [.index(.array(.lit(Double(k), .i32), weak: true), range)], at: range) }
                    try assign(t, x, &s)
                }
            default:
                throw Diagnostic("cannot unpack \(v.typeDescription) into \(targets.count) names", at: range)
            }
        }
    }

    /// `if`/`elif`/`else` from the first remaining branch on.
    private func execIf(_ branches: ArraySlice<(cond: Expr, body: [Stmt])>, _ orelse: [Stmt]?, _ range: SourceRange,
                        _ s: inout Scope) throws -> Returned? {
        guard let (cond, body) = branches.first else {
            guard let orelse else { return nil }
            return try exec(orelse, &s)
        }
        let c = try eval(cond, s)
        switch c {
        case .array(.lit(let x, _), _):
            // Known at compile time: elaborate one branch only.
            return x != 0 ? try exec(body, &s) : try execIf(branches.dropFirst(), orelse, range, &s)
        case .array(let a, _) where a.type.dtype == .bool && a.type.isScalar:
            var sThen = s, sElse = s
            let rThen = try exec(body, &sThen)
            let rElse = try execIf(branches.dropFirst(), orelse, range, &sElse)
            s.b.loc = range
            switch (rThen, rElse) {
            case (let t?, let e?):
                let v = try merge(c, t.value, e.value, s.b, what: "the returned value", at: range)
                return Returned(value: v, range: range)
            case (nil, nil):
                s = try mergeScopes(c, sThen, sElse, into: s, at: range)
                return nil
            default:
                throw Diagnostic("with a data-dependent condition, either every branch of the 'if' must return or none", at: range)
            }
        case .array(let a, _) where a.type.dtype == .bool:
            throw Diagnostic("the condition of an 'if' must be a bool scalar, got \(a.type); use where(c, a, b) to choose element-wise", at: cond.range)
        default:
            throw Diagnostic("the condition of an 'if' must be a bool scalar, got \(c.typeDescription)", at: cond.range)
        }
    }

    /// The scope after a data-dependent `if`: names bound in both branches are selected, names bound in one are poisoned.
    private func mergeScopes(_ cond: Value, _ t: Scope, _ e: Scope, into before: Scope, at range: SourceRange) throws -> Scope {
        var out = before
        out.vars = [:]; out.poisoned = t.poisoned.merging(e.poisoned) { a, _ in a }
        let names = Set(t.vars.keys).union(e.vars.keys)
        for n in names.sorted() {
            if let a = t.vars[n], let b = e.vars[n] {
                out.vars[n] = try merge(cond, a, b, before.b, what: "'\(n)'", at: range)
                out.poisoned[n] = nil
            } else {
                out.poisoned[n] = "'\(n)' is bound in only one branch of the 'if' at line \(range.start.line); bind it in every branch to use it afterwards"
            }
        }
        return out
    }

    /// Selects between the values of two branches; they must have the same structure and types.
    private func merge(_ cond: Value, _ a: Value, _ b: Value, _ builder: Builder, what: String, at range: SourceRange) throws -> Value {
        guard let (x, y) = unifyBranchTypes(a, b) else {
            if case .function = a, case .function = b {
                throw Diagnostic("\(what) is a different function in each branch of a data-dependent 'if'", at: range)
            }
            throw Diagnostic("\(what) has type \(a.typeDescription) in one branch and \(b.typeDescription) in the other", at: range)
        }
        return try select(cond, x, y, builder, at: range)
    }

    /// Leaf-wise select, skipping leaves that are the same in both branches.
    private func select(_ cond: Value, _ a: Value, _ b: Value, _ builder: Builder, at range: SourceRange) throws -> Value {
        if identical(a, b) { return a }
        switch (a, b) {
        case (.tuple(let xs), .tuple(let ys)):
            return .tuple(try zip(xs, ys).map { try select(cond, $0, $1, builder, at: range) })
        default:
            return try ops(builder, range) { try $0.select(cond, onTrue: a, onFalse: b, at: range) }
        }
    }

    /// The two branch values with weak literals materialized to match, or nil if their types differ.
    private func unifyBranchTypes(_ a: Value, _ b: Value) -> (Value, Value)? {
        let ops = Ops(Builder())
        switch (a, b) {
        case (.tuple(let xs), .tuple(let ys)):
            guard xs.count == ys.count else { return nil }
            var l: [Value] = [], r: [Value] = []
            for (x, y) in zip(xs, ys) { guard let (p, q) = unifyBranchTypes(x, y) else { return nil }; l.append(p); r.append(q) }
            return (.tuple(l), .tuple(r))
        case (.array(let x, let wx), .array(let y, let wy)):
            switch (wx, wy) {
            case (false, false): return x.type == y.type ? (a, b) : nil
            case (true, false): return y.type.isScalar && literalFits(x, y.type.dtype) ? (ops.materialize(a, dtype: y.type.dtype), b) : nil
            case (false, true): return x.type.isScalar && literalFits(y, x.type.dtype) ? (a, ops.materialize(b, dtype: x.type.dtype)) : nil
            case (true, true):
                if identical(a, b) { return (a, b) }
                let dt: DType = x.type.dtype == y.type.dtype ? x.type.dtype : .f32
                return (ops.materialize(a, dtype: dt), ops.materialize(b, dtype: dt))
            }
        default:
            return identical(a, b) ? (a, b) : nil
        }
    }
}

/// Whether a weak literal (int or float) may take the dtype `dt`.
func literalFits(_ lit: Atom, _ dt: DType) -> Bool {
    switch lit.type.dtype {
    case .i32: return dt != .bool
    case .f32, .f64: return dt.isFloat
    case .bool: return dt == .bool
    }
}

/// Whether two values are the same (same atoms, same functions, same structure).
func identical(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.array(let x, let wx), .array(let y, let wy)): return x == y && wx == wy
    case (.tuple(let xs), .tuple(let ys)): return xs.count == ys.count && zip(xs, ys).allSatisfy { identical($0, $1) }
    case (.string(let x), .string(let y)): return x == y
    case (.none, .none): return true
    case (.function(let f), .function(let g)): return "\(f)" == "\(g)"
    default: return false
    }
}

/// Whether `for` loops of constant length become scans (`AXC_FOR_LOOPS=scan`; docs/cli.md).
let forLoopsAsScans: Bool = ProcessInfo.processInfo.environment["AXC_FOR_LOOPS"] == "scan"
