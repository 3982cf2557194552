// The per-example loop (`axc bench` mode `loop`): a vmap entry's unbatched kernel called once per example,
// with inputs sliced and outputs stacked by pointer arithmetic (mapped axes must be leading).

/// The unbatched kernel of a `vmap` entry and how to call it once per example.
final class PerExampleLoop {
    let kernel: CompiledKernel
    let program: Program
    let inAxes: [Int?]
    let sizeName: String

    /// Lowers the unbatched `program` to a kernel named `NAME_one`.
    init(program: Program, inAxes: [Int?], sizeName: String, name: String) throws {
        let lowered = try lower(program, name: name + "_one")
        self.program = lowered.optimized
        self.inAxes = inAxes
        self.sizeName = sizeName
        kernel = lowered.kernel!
    }

    /// Runs the unbatched kernel for every example of `inputs` (the batched entry's inputs).
    func run(inputs: [Tensor], sizes: [String: Int]) throws {
        let n = sizes[sizeName] ?? 0
        let inner = program.sizeVars.map { Int64(sizes[$0] ?? 0) }
        let outBytes = program.outputs.map { ($0.type.elementCount(sizes) ?? 0) * $0.type.dtype.byteSize }
        let outs = try outBytes.enumerated().map { try AlignedBuffer(bytes: $0.element * n, for: "output \($0.offset) of the per-example loop") }
        let scratch = try AlignedBuffer(bytes: kernel.scratchBytes(sizes: inner), for: "the scratch of the per-example kernel")
        let strides = zip(inputs, inAxes).map { t, a in a == nil ? 0 : t.count / max(n, 1) * t.dtype.byteSize }
        let rc: Int32 = withKernelInputs(inputs) { ins in
            for i in 0..<n {
                let args = zip(ins, strides).map { $0 + i * $1 }
                let rc = kernel.callRaw(sizes: inner, inputs: args, outputs: zip(outs, outBytes).map { $0.pointer + i * $1 },
                                        scratch: scratch.pointer)
                if rc != 0 { return rc }
            }
            return 0
        }
        if rc != 0 { throw Diagnostic("per-example kernel rejected its sizes (code \(rc))") }
    }
}
