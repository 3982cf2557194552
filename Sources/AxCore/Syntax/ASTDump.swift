// A compact, deterministic text form of the AST (S-expressions for expressions, one line per statement),
// used by parser tests and for debugging.

extension Expr {
    /// `(+ a (* b c))`, `(call f x axis=1)`, `(index x 0 1:4 ::2)`, `(. x T)`, `(tuple a b)`.
    public var dump: String {
        switch kind {
        case .name(let n): return n
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .bool(let b): return b ? "True" : "False"
        case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .none: return "None"
        case .unary(let op, let e): return "(\(op == "-" ? "neg" : op == "+" ? "pos" : op) \(e.dump))"
        case .binary(let op, let a, let b): return "(\(op) \(a.dump) \(b.dump))"
        case .conditional(let c, let a, let b): return "(if \(c.dump) \(a.dump) \(b.dump))"
        case .call(let callee, let args, let kwargs):
            let parts = [callee.dump] + args.map(\.dump) + kwargs.map { "\($0.name)=\($0.value.dump)" }
            return "(call " + parts.joined(separator: " ") + ")"
        case .index(let e, let items):
            return "(index " + ([e.dump] + items.map(\.dump)).joined(separator: " ") + ")"
        case .attribute(let e, let name): return "(. \(e.dump) \(name))"
        case .tuple(let items): return "(tuple" + items.map { " " + $0.dump }.joined() + ")"
        }
    }
}

extension IndexItem {
    /// `e` for an index, `start:stop:step` (parts omitted when absent) for a slice.
    public var dump: String {
        switch self {
        case .index(let e): return e.dump
        case .slice(let a, let b, let c, _):
            var s = (a?.dump ?? "") + ":" + (b?.dump ?? "")
            if let c { s += ":" + c.dump }
            return s
        }
    }
}

extension TypeExpr {
    /// `f32`, `f32[n, 5]`, `(f32, f32[3])`, `(f32,)`.
    public var dump: String {
        switch self {
        case .tensor(let dtype, let dims, _):
            if dims.isEmpty { return dtype.rawValue }
            let ds = dims.map { d -> String in
                switch d { case .const(let k): return String(k); case .name(let n): return n }
            }
            return "\(dtype.rawValue)[\(ds.joined(separator: ", "))]"
        case .tuple(let items, _):
            if items.count == 1 { return "(\(items[0].dump),)" }
            return "(" + items.map(\.dump).joined(separator: ", ") + ")"
        }
    }
}

extension Target {
    /// `x` or `(a (b c))`.
    public var dump: String {
        switch self {
        case .name(let n, _): return n
        case .tuple(let items, _): return "(" + items.map(\.dump).joined(separator: " ") + ")"
        }
    }
}

extension Stmt {
    /// One line per simple statement; compound statements indent their bodies by two spaces.
    public func dump(indent: String = "") -> String {
        switch self {
        case .assign(let t, let e, _): return "\(indent)\(t.dump) = \(e.dump)\n"
        case .ret(let e, _): return "\(indent)return \(e.dump)\n"
        case .pass: return "\(indent)pass\n"
        case .ifStmt(let branches, let orelse, _):
            var out = ""
            for (k, b) in branches.enumerated() {
                out += "\(indent)\(k == 0 ? "if" : "elif") \(b.cond.dump)\n"
                out += b.body.map { $0.dump(indent: indent + "  ") }.joined()
            }
            if let orelse {
                out += "\(indent)else\n" + orelse.map { $0.dump(indent: indent + "  ") }.joined()
            }
            return out
        case .forStmt(let v, let count, let body, _):
            return "\(indent)for \(v) in range(\(count.dump))\n" + body.map { $0.dump(indent: indent + "  ") }.joined()
        }
    }
}

extension Module {
    /// The whole module: `def name(p: T, ...) -> T` headers with indented bodies, and `name = expr` bindings.
    public var dump: String {
        var out = ""
        for d in decls {
            switch d {
            case .function(let f):
                let params = f.params.map { "\($0.name): \($0.type.dump)" }.joined(separator: ", ")
                out += "def \(f.name)(\(params))" + (f.returnType.map { " -> \($0.dump)" } ?? "") + "\n"
                out += f.body.map { $0.dump(indent: "  ") }.joined()
            case .binding(let name, let value, _):
                out += "\(name) = \(value.dump)\n"
            }
        }
        return out
    }
}
