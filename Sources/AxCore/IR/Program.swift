// The typed SSA IR: variables, atoms (variables or scalar literals), equations and programs.
// A `Program` is a closed, jaxpr-like function: typed inputs, a list of equations, outputs with their tree.

/// An SSA variable; equality is by `id`, and it carries its type.
public struct Var: Hashable, Sendable {
    public let id: Int
    public let type: TensorType
    public init(id: Int, type: TensorType) { self.id = id; self.type = type }
    public static func == (a: Var, b: Var) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// An operand: a variable, or a scalar literal of a given dtype.
public enum Atom: Hashable, Sendable {
    case v(Var)
    case lit(Double, DType)
    public var type: TensorType {
        switch self { case .v(let x): return x.type; case .lit(_, let t): return TensorType(t) }
    }
    public var isLiteral: Bool { if case .lit = self { return true }; return false }
    public var variable: Var? { if case .v(let x) = self { return x }; return nil }
    public var literalValue: Double? { if case .lit(let x, _) = self { return x }; return nil }
}

/// One equation: `out = prim[params] inputs`, remembering the source range it came from.
public struct Eqn: Sendable {
    public var prim: Primitive
    public var inputs: [Atom]
    public var out: Var
    public var loc: SourceRange
    public init(_ prim: Primitive, _ inputs: [Atom], _ out: Var, loc: SourceRange) {
        self.prim = prim; self.inputs = inputs; self.out = out; self.loc = loc
    }
}

/// A named parameter of a program: its leaves are a contiguous run of `Program.inputs`.
public struct ProgramParam: Sendable, Hashable {
    public var name: String
    public var tree: TreeDef
    public init(name: String, tree: TreeDef) { self.name = name; self.tree = tree }
}

/// A closed typed program (a jaxpr): inputs, equations in order, outputs.
public struct Program: Sendable {
    public var name: String
    public var params: [ProgramParam]
    public var inputs: [Var]
    public var eqns: [Eqn]
    public var outputs: [Atom]
    public var outTree: TreeDef
    /// The transform chain this program came from, e.g. `jit(vmap(grad(f), in_axes=(None, 0, 0)))`.
    public var origin: String
    public init(name: String, params: [ProgramParam], inputs: [Var], eqns: [Eqn], outputs: [Atom], outTree: TreeDef, origin: String = "") {
        self.name = name; self.params = params; self.inputs = inputs; self.eqns = eqns
        self.outputs = outputs; self.outTree = outTree; self.origin = origin.isEmpty ? name : origin
    }

    /// Size variables in order of first appearance in the inputs, then in the outputs and equations.
    public var sizeVars: [String] {
        var seen: [String] = []
        func add(_ t: TensorType) { for s in t.sizeVars where !seen.contains(s) { seen.append(s) } }
        inputs.forEach { add($0.type) }
        outputs.forEach { add($0.type) }
        eqns.forEach { add($0.out.type) }
        return seen
    }
    /// The largest variable id in use (to continue numbering fresh variables).
    public var maxId: Int {
        max(inputs.map(\.id).max() ?? 0, eqns.map(\.out.id).max() ?? 0)
    }
    /// Names of the flattened input leaves: `params.0`, `params.1`, `x`, ...
    public var inputLeafNames: [String] {
        params.flatMap { p in p.tree.leafPaths.map { path in ([p.name] + path.map(String.init)).joined(separator: ".") } }
    }
}

/// Builds programs equation by equation, running each primitive's shape rule.
public final class Builder {
    public private(set) var eqns: [Eqn] = []
    private var nextId: Int
    /// Source range attached to emitted equations.
    public var loc: SourceRange = .unknown

    public init(startingAfter id: Int = 0) { nextId = id + 1 }

    /// A fresh variable of type `t` (for program inputs).
    public func fresh(_ t: TensorType) -> Var {
        defer { nextId += 1 }
        return Var(id: nextId, type: t)
    }

    /// Emits `prim inputs` and returns its output; throws `ShapeError` when the shape rule rejects it.
    @discardableResult
    public func emit(_ prim: Primitive, _ inputs: [Atom]) throws -> Atom {
        let t = try prim.outputType(inputs.map(\.type), literal: inputs.map(\.isLiteral))
        if let problem = t.fixedSizeProblem { throw ShapeError("\(prim.name): the result \(problem)") }
        let out = fresh(t)
        eqns.append(Eqn(prim, inputs, out, loc: loc))
        return .v(out)
    }

    /// Appends an existing equation with renamed operands (used by transforms that copy programs).
    public func append(_ eqn: Eqn) { eqns.append(eqn) }

    /// Removes and returns the equations built so far.
    public func take() -> [Eqn] { defer { eqns = [] }; return eqns }
}
