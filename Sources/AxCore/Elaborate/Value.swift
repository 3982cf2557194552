// Values during elaboration: arrays (IR atoms, maybe weakly typed literals), tuples, strings, None,
// and function values (a `def`, or a transform of a function value).

/// A function value: a top-level `def`, or a transform applied to a function value.
public indirect enum FunctionValue: Sendable {
    case def(String)
    case jit(FunctionValue)
    /// `vmap(f, in_axes, out_axes, axis_size)`; axes are pytrees of `Int?` as written (negative allowed).
    /// With `axisName`, collectives over that name in `f` reduce along the mapped axis; `pmap` is `vmap` with a name.
    case vmap(FunctionValue, inAxes: AxisTree, outAxes: AxisTree, axisSize: Int?, axisName: MapName?, range: SourceRange)
    case grad(FunctionValue, argnums: [Int], tupleArgnums: Bool, withValue: Bool, range: SourceRange)
    /// `jvp(f)`: primals then tangents in, `(f(x), tangent_out)` out.
    case jvp(FunctionValue, range: SourceRange)
    /// `jacfwd`, `jacrev` or `hessian` of `f` with respect to `argnums`.
    case jacobian(FunctionValue, kind: JacobianKind, argnums: [Int], tupleArgnums: Bool, range: SourceRange)
}

/// The name a `vmap(..., axis_name=)` or `pmap(..., axis_name=)` gives its axis, for collectives.
public struct MapName: Hashable, Sendable {
    public var name: String
    /// Written as `pmap` (which runs as a vmap: docs/deviations.md).
    public var pmap: Bool
}

/// An `in_axes`/`out_axes` specification: an axis or `None` for a whole subtree, or a tuple.
public indirect enum AxisTree: Sendable, Hashable {
    case axis(Int?)
    case tuple([AxisTree])
}

/// A value bound to a name during elaboration.
public indirect enum Value: Sendable {
    /// An array; `weak` marks a Python-style number literal whose dtype adapts to the other operand.
    case array(Atom, weak: Bool)
    case tuple([Value])
    case string(String)
    case none
    case function(FunctionValue)

    /// The atom of an array value.
    public var atom: Atom? { if case .array(let a, _) = self { return a }; return nil }
    /// The leaves of a (nested) tuple of arrays, depth-first.
    public var leaves: [Atom] {
        switch self {
        case .array(let a, _): return [a]
        case .tuple(let vs): return vs.flatMap(\.leaves)
        default: return []
        }
    }
    /// A short description for error messages: `f32[3]`, `(f32[], f32[])`, `function`.
    public var typeDescription: String {
        switch self {
        case .array(let a, let weak):
            if weak && !a.isLiteral { return "the run-time size \(a.type)" }   // `x.shape[0]` of a size variable
            return weak ? "\(a.type.dtype == .i32 ? "int" : "float") literal" : a.type.description
        case .tuple(let vs): return "(" + vs.map(\.typeDescription).joined(separator: ", ") + (vs.count == 1 ? ",)" : ")")
        case .string: return "string"
        case .none: return "None"
        case .function: return "function"
        }
    }
}
