// The primitive set of the IR (names from jax.lax). Each primitive's rules — printed form, shape rule, evaluation,
// VJP, batching, fusion kind, C lowering — are its record in Primitives/, returned by `Primitive.rules`, the one
// exhaustive switch over `Primitive`: a new case does not compile until it has a record. (Passes still match single
// cases for pattern rewrites, and EmitTiles.swift for the tile planning of broadcasts and reshapes.)

/// Element-wise unary primitives.
public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    case neg, exp, log, log1p, sqrt, abs, sin, cos, tanh, logistic, sign
    case not
    case floor, ceil, round, tan, atan, asin, acos, sinh, cosh, atanh, expm1, exp2, erf, erfc
}

/// Element-wise binary primitives (operands of equal shape, or a scalar literal).
public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add, sub, mul, div, pow, max, min, atan2, rem
    case lt, le, gt, ge, eq, ne
    case and, or
}

/// A primitive operation and its static parameters.
public enum Primitive: Hashable, Sendable {
    case unary(UnaryOp)
    case binary(BinaryOp)
    /// `x ** y` for a constant integer `y` (what `x ** 2` becomes, as in JAX).
    case integerPow(Int)
    case convert(DType)
    /// `select_n(pred, on_false, on_true)`: element-wise choice; pred is bool of the same shape or a scalar.
    case select
    case reduceSum(axes: [Int])
    case reduceMax(axes: [Int])
    case reduceProd(axes: [Int])
    case reduceMin(axes: [Int])
    /// Operand dimension `i` becomes output dimension `dims[i]`; the others are broadcast.
    case broadcastInDim(shape: [Dim], dims: [Int])
    case reshape([Dim])
    case transpose([Int])
    case slice(start: [Int], limit: [Dim], strides: [Int])
    /// `pad(x, v)`: low/high/interior padding per dimension, with padding value operand `v` (a scalar).
    case pad(low: [Int], high: [Int], interior: [Int])
    case concatenate(axis: Int)
    case dotGeneral(DotDims)
    case iota(DType, shape: [Dim], dimension: Int)
    /// The operand with the order of the elements along `dimensions` reversed (jax.lax.rev).
    case rev(dimensions: [Int])
    /// A cumulative sum, product, maximum, minimum or log-sum-exp along `axis` (jax.lax.cumsum, ...).
    case cumulative(CumulativeKind, axis: Int, reverse: Bool)
    /// Elements of `x` picked along `axis` by the i32 indices of the second operand: `jnp.take` (the indices' shape
    /// replaces the axis) or, `along`, `jnp.take_along_axis` (indices of `x`'s rank); out of range: a fill value.
    case gather(axis: Int, along: Bool)
    /// The identity, with zero derivative under every transform (jax.lax.stop_gradient).
    case stopGradient
    /// `psum`, `pmean`, `pmax`, `pmin` over the mapped axis named `axis` (jax.lax's collectives).
    case collective(CollectiveKind, axis: String)
    /// The index along the mapped axis named `axis` (jax.lax.axis_index): an i32 scalar per example.
    case axisIndex(axis: String)
    /// Every example's `x` stacked along a new `dimension` of size `size` (the mapped size; jax.lax.all_gather), or
    /// with `tiled` concatenated along its existing `dimension`.
    case allGather(axis: String, dimension: Int, size: Dim, tiled: Bool)
    /// The sum across the mapped axis, of which each example keeps its slice along `dimension` (jax.lax.psum_scatter);
    /// with `tiled` (the mapped size) its block of `dimension`, which keeps its place.
    case psumScatter(axis: String, dimension: Int, tiled: Dim?)
    /// `x` sent from example `src` to example `dst` for each pair; examples no pair reaches get zeros (jax.lax.ppermute).
    case ppermute(axis: String, perm: [[Int]])
    /// Result `output` of a loop carrying sub-programs (`scan`, `while`: Primitives/Loops.swift); a loop's results are
    /// consecutive equations on the same operands.
    case loop(LoopSpec, output: Int)

    /// The primitive's rule record (Primitives/): the one exhaustive switch over `Primitive`. Every pass reads a
    /// primitive's rules through it, so a new primitive is its case here and its record (docs/pipeline.md,
    /// "Adding a primitive").
    var rules: any PrimitiveRules {
        switch self {
        case .unary(let op): return UnaryRules(op: op)
        case .binary(let op): return BinaryRules(op: op)
        case .integerPow(let y): return IntegerPowRules(y: y)
        case .convert(let t): return ConvertRules(to: t)
        case .select: return SelectRules()
        case .reduceSum(let axes): return ReduceRules(kind: .sum, axes: axes)
        case .reduceMax(let axes): return ReduceRules(kind: .max, axes: axes)
        case .reduceMin(let axes): return ReduceRules(kind: .min, axes: axes)
        case .reduceProd(let axes): return ReduceRules(kind: .prod, axes: axes)
        case .broadcastInDim(let shape, let dims): return BroadcastInDimRules(shape: shape, dims: dims)
        case .reshape(let sizes): return ReshapeRules(sizes: sizes)
        case .transpose(let perm): return TransposeRules(perm: perm)
        case .slice(let start, let limit, let strides): return SliceRules(start: start, limit: limit, strides: strides)
        case .pad(let low, let high, let interior): return PadRules(low: low, high: high, interior: interior)
        case .concatenate(let axis): return ConcatenateRules(axis: axis)
        case .dotGeneral(let d): return DotGeneralRules(d: d)
        case .iota(let t, let shape, let dim): return IotaRules(dtype: t, shape: shape, dimension: dim)
        case .rev(let dims): return RevRules(dimensions: dims)
        case .cumulative(let kind, let axis, let reverse): return CumulativeRules(kind: kind, axis: axis, reverse: reverse)
        case .stopGradient: return StopGradientRules()
        case .gather(let axis, let along): return GatherRules(axis: axis, along: along)
        case .collective(let kind, let axis): return CollectiveRules(kind: kind, axis: axis)
        case .axisIndex(let axis): return AxisIndexRules(axis: axis)
        case .allGather(let axis, let dimension, let size, let tiled): return AllGatherRules(axis: axis, dimension: dimension, size: size, tiled: tiled)
        case .psumScatter(let axis, let dimension, let tiled): return PsumScatterRules(axis: axis, dimension: dimension, tiled: tiled)
        case .ppermute(let axis, let perm): return PpermuteRules(axis: axis, perm: perm)
        case .loop(let spec, let output): return LoopRules(spec: spec, output: output)
        }
    }

    /// The name printed in the IR (jaxpr's).
    public var name: String { rules.name }
    /// Parameters as printed inside `[...]`, jaxpr style; empty for none.
    public var paramText: String { rules.paramText }
    /// True for primitives that act element by element (fusable into one loop body).
    public var isElementwise: Bool { rules.fusion == .elementwise }

    /// The shape rule: the output type for operands of types `ins`, or a `ShapeError`.
    /// `literal[i]` marks scalar literal operands, which broadcast against any shape.
    public func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try rules.outputType(ins, literal: literal)
    }
}

/// A shape error without a location; passes attach the equation's source range.
public struct ShapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A canonical form of a symbolic element count (constant product and sorted size variables), for reshape checks.
/// nil when the constant product overflows.
func elementCountExpr(_ shape: [Dim]) -> String? {
    var k = 1; var syms: [String] = []
    for d in shape {
        switch d {
        case .const(let c):
            let (m, o) = k.multipliedReportingOverflow(by: c)
            if o { return shape.contains(.const(0)) ? "0" : nil }
            k = m
        case .sym(let s): syms.append(s)
        }
    }
    if k == 0 { return "0" }
    return "\(k)*" + syms.sorted().joined(separator: "*")
}
