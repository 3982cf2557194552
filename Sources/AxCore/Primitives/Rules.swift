// The rule record of a primitive (docs/pipeline.md, "Adding a primitive"): printed form, shape rule, evaluation, VJP,
// JVP, batching, folds, fusion kind and C lowering, declared by one family file each (Elementwise, Reductions, Layout,
// Contraction, Constructors, Cumulative, Gather, Collectives, Differentiation).

/// How fusion and emission treat a primitive.
enum FusionKind: Sendable {
    /// Each output element from the operands' elements at the same index: inlined into its consumer's loop body.
    case elementwise
    /// Each output element from operand elements at other indices (broadcast, slice, ...) or from its index alone
    /// (iota): inlined, reading its operands through a remapped index.
    case indexRemap
    /// A reduction over axes: its own loop nest, with its operand's producers inlined into it.
    case reduction
    /// A contraction: its own kernel, reading buffers.
    case contraction
    /// A cumulative operation along an axis (cumsum, ...): its own kernel, reading buffers.
    case cumulative
    /// A loop (scan, while): its own kernel, calling its sub-programs' kernels once per iteration.
    case loop
    /// A collective of a device kernel (psum, all_gather, ...): its own kernel boundary, a call through the
    /// collectives table reading and writing buffers (docs/c-interface.md).
    case collective
    /// Whether the primitive is computed by its own kernel (`emitKernel`), reading its operands from buffers.
    var ownsKernel: Bool { self == .contraction || self == .cumulative || self == .loop || self == .collective }
}

/// A reduction's C: accumulator type, identity and combiner.
struct ReduceRule {
    var accType: String
    var identity: String
    var combine: CTemplate
    /// Whether the reduction is a sum (a sum of one repeated value is a multiply; sums have tiled kernels).
    var isSum: Bool
}

/// What folding does with one equation (Transforms/Simplify.swift).
enum Fold {
    case keep
    /// The equation's result is this existing atom.
    case replace(Atom)
    /// The equation becomes this primitive on these operands (same output variable).
    case rewrite(Primitive, [Atom])
}

/// The rules of one primitive with its parameters. Every pass reads a primitive's rules through these;
/// `Primitive.rules`, the one exhaustive switch over `Primitive`, returns the family's record.
protocol PrimitiveRules {
    /// The name printed in the IR (jaxpr's).
    var name: String { get }
    /// Parameters as printed inside `[...]`, jaxpr style; empty for none.
    var paramText: String { get }
    var fusion: FusionKind { get }
    /// The output type for operands of types `ins`; `literal[i]` marks scalar literal operands, which broadcast.
    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType
    /// The primitive with every dimension of its static parameters mapped by `f` (size-variable substitution);
    /// nil when it has none.
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive?
    /// Checks of concrete operands that the shape rule cannot make (parameters whose arithmetic could overflow).
    func precheck(_ args: [Tensor]) throws
    /// Reference evaluation: the output elements (of `outShape`, dtype `dtype`) for concrete operands.
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage
    /// The cotangents of `e`'s inputs given the cotangent `ct` of its output (nil: none flows). `need[i]` says
    /// whether input `i` wants one; `ct` has the output's type, or is a scalar literal for a scalar output.
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?]
    /// The tangent of `e`'s output given its inputs' tangents (nil: a symbolic zero), emitted after `e`, so a rule may
    /// read `e.out`. Called only for float outputs with some tangent (Transforms/JVP.swift).
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom?
    /// The batching rule: the primitive applied to operands that carry a batch axis (at least one mapped);
    /// `out` is the per-example output type.
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched
    /// Whether the primitive is a collective over the mapped axis named `name` (it needs the batching rule even when
    /// no operand is mapped).
    func usesAxis(_ name: String) -> Bool
    /// The axis name of a collective (`psum`, ...), nil for every other primitive.
    var axisName: String? { get }
    /// Algebraic folding of `e` (this primitive), looking at operands' producers through `producer`.
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold
    /// Whether a value that is one number broadcast everywhere stays so through this primitive.
    var keepsUniform: Bool { get }
    /// Whether `e` (this primitive) can be generated at a flat offset when its operands can.
    func readsFlat(_ e: Eqn) -> Bool
    /// Element-wise and index-remap lowering: the C expression of `e`'s output at `idx`.
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String
    /// Element-wise lowering on tiles: whether `e` has tile steps over operands of float dtype `t`.
    func tileable(_ e: Eqn, _ t: DType) -> Bool
    /// Element-wise lowering on tiles: appends the steps computing `e` from its operands' tiles `args` to `plan`.
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg
    /// Whether its C is expensive per element (a transcendental call, a contraction's k multiply-adds): fusion does
    /// not treat it as cheap index arithmetic to recompute at each use (Codegen/Fuse.swift).
    var isHeavy: Bool { get }
    /// Reduction lowering: the C of the reduction over dtype `t`.
    func reduceRule(_ t: DType) -> ReduceRule?
    /// Contraction lowering: emits the kernel computing `e` into `target`.
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws
    /// Whether `e`, of a kind with a kernel of its own, may instead be inlined into its consumer's loop (its
    /// `elementC` and tiles then compute it there; a small contraction).
    func inlinable(_ e: Eqn) -> Bool
}

extension PrimitiveRules {
    var paramText: String { "" }
    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? { nil }
    func precheck(_ args: [Tensor]) throws {}
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? {
        throw InternalError("jvp: \(name) has no JVP rule")
    }
    func fold(_ e: Eqn, producer: (Atom) -> Eqn?) -> Fold { .keep }
    func usesAxis(_ name: String) -> Bool { axisName == name }
    var axisName: String? { nil }
    var keepsUniform: Bool { fusion == .elementwise }
    func readsFlat(_ e: Eqn) -> Bool { fusion == .elementwise }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String {
        throw InternalError("codegen: \(name) must be materialized")
    }
    func tileable(_ e: Eqn, _ t: DType) -> Bool { false }
    func planTile(_ e: Eqn, _ args: [TileArg], _ plan: TilePlan, _ k: KernelEmitter) throws -> TileArg {
        throw InternalError("codegen: \(name) has no tile lowering")
    }
    var isHeavy: Bool { false }
    func reduceRule(_ t: DType) -> ReduceRule? { nil }
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        throw InternalError("codegen: \(name) has no kernel of its own")
    }
    func inlinable(_ e: Eqn) -> Bool { false }
}

/// `what takes k operand(s)` unless `ins` has `k` of them.
func checkArity(_ name: String, _ ins: [TensorType], _ k: Int) throws {
    if ins.count != k { throw ShapeError("\(name) takes \(k) operand(s), got \(ins.count)") }
}

/// Axes that are distinct and within `rank`.
func checkAxes(_ name: String, _ axes: [Int], rank: Int) throws {
    if Set(axes).count != axes.count || axes.contains(where: { $0 < 0 || $0 >= rank }) {
        throw ShapeError("\(name): axes \(axes) out of range for rank \(rank)")
    }
}

/// A tuple of parameters as jaxpr prints it: `(1, 2)`, `(1,)`, `()`.
func paramList<T>(_ xs: [T]) -> String { "(" + xs.map { "\($0)" }.joined(separator: ", ") + (xs.count == 1 ? ",)" : ")") }

/// The axes of a rank-`rank` array that a reduction over `axes` keeps.
func keptAxes(_ rank: Int, _ axes: [Int]) -> [Int] { (0..<rank).filter { !axes.contains($0) } }

/// Per-example axes renumbered for a batched value whose batch axis is `d` (unchanged when not mapped).
func bump(_ axes: [Int], _ d: Int?) -> [Int] {
    guard let d else { return axes }
    return axes.map { $0 >= d ? $0 + 1 : $0 }
}
