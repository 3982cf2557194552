// Tests of the contraction rewrites in simplify: a sum of a product of broadcasts is factored, and a transposed
// dot_general becomes the operand-swapped dot_general; both change the work, and the values only by rounding.
import Testing
@testable import AxCore

private func f64(_ shape: [Int]) -> TensorType { TensorType(.f64, shape.map(Dim.const)) }

@Suite struct ContractTests {
    /// Simplifies `p`, checks the rewrite left no equation `banned` flags, and compares values on random inputs.
    private func check(_ p: Program, banned: (Eqn) -> Bool) throws {
        let s = simplify(p)
        try s.verify()
        let before = p.eqns.contains(where: banned), after = s.eqns.contains(where: banned)
        #expect(before, "the case must exercise the rewrite")
        #expect(!after, "\(s.text)")
        var rng = SeededUniform(7)
        let inputs = p.inputs.map { rng.tensor($0.type, -2, 2) }
        let a = try evaluate(p, inputs: inputs, sizes: [:]), b = try evaluate(s, inputs: inputs, sizes: [:])
        for (x, y) in zip(a, b) {
            #expect(x.shape == y.shape)
            #expect(zip(x.doubles, y.doubles).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "\(x.doubles) vs \(y.doubles)")
        }
    }

    /// sum(outer(x, y)) over both axes, batched: becomes sum(x) * sum(y), with no [4, 5, 6] intermediate.
    @Test func sumOfOuterProductIsFactored() throws {
        let p = try buildProgram("outer_sum", [f64([4, 5]), f64([4, 6])]) { b, x in
            let shape: [Dim] = [.const(4), .const(5), .const(6)]
            let c = try b.emit(.broadcastInDim(shape: shape, dims: [0, 1]), [x[0]])
            let d = try b.emit(.broadcastInDim(shape: shape, dims: [0, 2]), [x[1]])
            return try b.emit(.reduceSum(axes: [1, 2]), [b.emit(.binary(.mul), [c, d])])
        }
        try check(p) { $0.out.type.rank == 3 }
    }

    /// A summed axis both factors share is a contraction, not a product of sums: left alone.
    @Test func sharedSummedAxisIsNotFactored() throws {
        let p = try buildProgram("dot", [f64([5]), f64([5])]) { b, x in
            try b.emit(.reduceSum(axes: [0]), [b.emit(.binary(.mul), [x[0], x[1]])])
        }
        #expect(simplify(p).text == p.text)
    }

    /// transpose(dot_general(a, b)) swapping the free blocks becomes dot_general(b, a): no transpose remains.
    @Test func transposedBatchedDotSwapsOperands() throws {
        let p = try buildProgram("outer", [f64([3, 4]), f64([3, 2])]) { b, x in
            let d = try b.emit(.dotGeneral(DotDims(lhsContract: [], rhsContract: [], lhsBatch: [0], rhsBatch: [0])), x)
            return try b.emit(.transpose([0, 2, 1]), [d])
        }
        try check(p) { if case .transpose = $0.prim { return true }; return false }
    }
}
