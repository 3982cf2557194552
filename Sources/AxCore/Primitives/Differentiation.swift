// The differentiation primitives' record: stop_gradient, the identity whose derivative is zero at every order. The
// transforms see it; `lower` replaces it by its operand before simplification (Transforms/JVP.swift), so fusion and
// C never do.

/// The record of `stop_gradient`.
struct StopGradientRules: PrimitiveRules {
    var name: String { "stop_gradient" }
    var fusion: FusionKind { .elementwise }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        try checkArity(name, ins, 1)
        return ins[0]
    }
    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage { args[0].storage }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] { [nil] }
    func jvp(_ e: Eqn, tangents: [Atom?], _ m: VJPEmitter) throws -> Atom? { nil }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        Batched(try b.b.emit(.stopGradient, [ins[0].atom]), ins[0].bdim)
    }
    func elementC(_ e: Eqn, _ idx: Index, _ k: KernelEmitter) throws -> String { try k.gen(e.inputs[0], k.operandIndex(e.inputs[0], idx)) }
}
