// The abstract syntax tree of `.ax` files (docs/language.md). Every node keeps its source range.
// Produced by Parser.swift, consumed by Elaborate.swift.

/// A dimension in a type annotation: a constant or a size variable name.
public enum DimExpr: Hashable, Sendable {
    case const(Int)
    case name(String)
}

/// A type annotation: `f32`, `f32[n, 5]`, `(f32, f32[3])`.
public indirect enum TypeExpr: Sendable {
    case tensor(DType, [DimExpr], SourceRange)
    case tuple([TypeExpr], SourceRange)
    public var range: SourceRange {
        switch self { case .tensor(_, _, let r), .tuple(_, let r): return r }
    }
}

/// One item inside `x[...]`: an index expression or a static slice `a:b:c` (each part optional).
public enum IndexItem: Sendable {
    case index(Expr)
    case slice(start: Expr?, stop: Expr?, step: Expr?, SourceRange)
}

/// An expression with its source range.
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case name(String)
        /// An integer literal (weakly typed).
        case int(Int)
        /// A float literal (weakly typed).
        case float(Double)
        case bool(Bool)
        case string(String)
        /// `-x`, `not x` (op is "-", "+" or "not").
        case unary(op: String, Expr)
        /// `+ - * / // % ** @ < <= > >= == != and or`.
        case binary(op: String, Expr, Expr)
        /// `a if c else b`.
        case conditional(cond: Expr, then: Expr, orelse: Expr)
        /// `f(a, b, k=v)`; `callee` may itself be a call (`vmap(f)(x)`).
        case call(callee: Expr, args: [Expr], kwargs: [(name: String, value: Expr, range: SourceRange)])
        case index(Expr, [IndexItem])
        /// `x.T` and other attributes.
        case attribute(Expr, String)
        case tuple([Expr])
        /// `None` (used in `in_axes`).
        case none
    }
    public var kind: Kind
    public var range: SourceRange
    public init(_ kind: Kind, _ range: SourceRange) { self.kind = kind; self.range = range }
}

/// An assignment target: a name, or a (nested) tuple of targets.
public indirect enum Target: Sendable {
    case name(String, SourceRange)
    case tuple([Target], SourceRange)
    public var range: SourceRange {
        switch self { case .name(_, let r), .tuple(_, let r): return r }
    }
}

/// A statement of a `def` body.
public indirect enum Stmt: Sendable {
    case assign(Target, Expr, SourceRange)
    case ret(Expr, SourceRange)
    /// `if c: ... elif c2: ... else: ...` — branches in order, then the optional else body.
    case ifStmt(branches: [(cond: Expr, body: [Stmt])], orelse: [Stmt]?, SourceRange)
    /// `for i in range(K): body`.
    case forStmt(variable: String, count: Expr, body: [Stmt], SourceRange)
    case pass(SourceRange)
    public var range: SourceRange {
        switch self {
        case .assign(_, _, let r), .ret(_, let r), .ifStmt(_, _, let r), .forStmt(_, _, _, let r), .pass(let r): return r
        }
    }
}

/// A typed parameter of a `def`.
public struct ParamDecl: Sendable {
    public var name: String
    public var type: TypeExpr
    public var range: SourceRange
    public init(name: String, type: TypeExpr, range: SourceRange) { self.name = name; self.type = type; self.range = range }
}

/// `def name(params) -> T: body`.
public struct FuncDecl: Sendable {
    public var name: String
    public var params: [ParamDecl]
    public var returnType: TypeExpr?
    public var body: [Stmt]
    /// The range of the whole `def` header line.
    public var range: SourceRange
    public var nameRange: SourceRange
    public init(name: String, params: [ParamDecl], returnType: TypeExpr?, body: [Stmt], range: SourceRange, nameRange: SourceRange) {
        self.name = name; self.params = params; self.returnType = returnType; self.body = body
        self.range = range; self.nameRange = nameRange
    }
}

/// A top-level declaration: a `def`, or a binding `name = expr`.
public enum Decl: Sendable {
    case function(FuncDecl)
    case binding(name: String, value: Expr, range: SourceRange)
    public var name: String {
        switch self { case .function(let f): return f.name; case .binding(let n, _, _): return n }
    }
    public var range: SourceRange {
        switch self { case .function(let f): return f.nameRange; case .binding(_, _, let r): return r }
    }
}

/// A parsed `.ax` file.
public struct Module: Sendable {
    public var file: SourceFile
    public var decls: [Decl]
    public init(file: SourceFile, decls: [Decl]) { self.file = file; self.decls = decls }
}
