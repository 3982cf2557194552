// Loops split between cores give the same bits whatever the split (docs/pipeline.md §7): sums (column sums too) and
// merged maps at 1, 2 and 3 threads (AXC_THREADS), per-example row sums at batch sizes 1, 7 and large, and maps merged into one loop
// (`mapSiblings`, Codegen/Fuse.swift) equal to the interpreter bit for bit.
import Foundation
import Testing
@testable import AxCore

/// Row sums (long and short rows), a whole-array sum, column sums and maxima (reductions over a leading axis, split by
/// their outputs) and per-example gradients, all large enough to be split.
private let splitSource = """
def row_stats(x: f32[k], y: f32[k]) -> (f32, f32):
    return sum(x * y + x), sum(x * x)

def short_row(x: f32[3]) -> f32:
    return sum(x * 2.0 + 1.0)

def total(x: f32[n]) -> f32:
    return sum(x * x - x)

def squared_error(params: (f32, f32), x: f32, y: f32) -> f32:
    w, b = params
    return (w * x + b - y) ** 2

rows = jit(vmap(row_stats))
short_rows = jit(vmap(short_row))
whole = jit(total)
per_example_grads = jit(vmap(grad(squared_error), in_axes=(None, 0, 0)))

def column_stats(x: f32[3000, 300]) -> (f32[300], f32[300]):
    return sum(exp(x) * 0.5, axis=0), max(x, axis=0)

columns = jit(column_stats)
"""

@Suite struct ParallelTests {
    /// Each entry's outputs are byte-identical run on 1, 2 and 3 threads (the pool's size is AXC_THREADS), and every
    /// loop of it goes through the pool.
    @Test func splitLoopsIgnoreTheThreadCount() throws {
        let dir = try TempDir()
        let file = try dir.write("split.ax", splitSource)
        let compiled = try CompilerSession(path: file)
        let runs: [(String, [String])] = [("rows", ["n=2000", "k=100"]), ("short_rows", ["n=100000"]), ("whole", ["n=300001"]),
                                          ("per_example_grads", ["n=200000"]), ("columns", [])]
        for (entry, sizes) in runs {
            let source = try lower(compiled.entry(entry), to: .kernel).kernel!.source
            #expect(source.contains("ax_parallel_for("), "\(entry): its loop must be split between cores")
            var outputs: [[Data]] = []
            for threads in [1, 2, 3] {
                let out = dir.path("\(entry)-\(threads)")
                let r = try CLITests.axc(["run", file, "--fn", entry, "--seed", "5", "--tier", "1", "--no-cache", "--out", out]
                                         + sizes.flatMap { ["--size", $0] }, env: ["AXC_THREADS": "\(threads)"])
                #expect(r.status == 0, "\(r)")
                let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
                outputs.append(try files.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) })
            }
            #expect(!outputs[0].isEmpty && outputs.allSatisfy { $0 == outputs[0] }, "\(entry): outputs differ between thread counts")
        }
    }

    /// A per-example row sum does not depend on how many examples there are: rows of a batch of 5000 (split between
    /// cores) equal the same rows summed in batches of 1 and 7, for long rows (100) and short rows (3).
    @Test func rowSumsIgnoreTheBatchSize() throws {
        let n = Dim.sym("n")
        for r in [100, 3] {
            let p = try makeProgram([TensorType(.f32, [n, .const(r)]), TensorType(.f32, [n, .const(r)])], name: "rowsum") { b, a in
                let xy = try b.emit(.binary(.add), [try b.emit(.binary(.mul), [a[0], a[1]]), a[0]])
                return [try b.emit(.reduceSum(axes: [1]), [xy]), try b.emit(.reduceSum(axes: [1]), [try b.emit(.binary(.mul), [a[0], a[0]])])]
            }
            let k = try compileKernel(p, name: "rowsum", optimize: false)
            #expect(k.source.contains("ax_parallel_for("), "rows of \(r): the sums must be split between cores")
            let big = 5000, ins = randomInputs(p, ["n": big], seed: 3)
            let whole = try k.run(inputs: ins, sizes: [:]).map(bits)
            for (start, count) in [(0, 1), (4321, 1), (big - 1, 1), (0, 7), (2500, 7), (big - 7, 7)] {
                let part = ins.map { t in Tensor(.f32, shape: [count, r], doubles: Array(t.doubles[(start * r)..<((start + count) * r)])) }
                let sliced = try k.run(inputs: part, sizes: [:]).map(bits)
                for (o, got) in sliced.enumerated() {
                    #expect(got == Array(whole[o][start..<(start + count)]), "rows of \(r), output \(o), examples \(start)..<\(start + count)")
                }
            }
        }
    }

    /// Maps of one shape are merged into one loop when each reads the others at its own index: per-example gradients
    /// (a member reads the one before) with a periodic broadcast; a map reading a sum of a member starts a second group
    /// after the sum, which a reversed read of the first group may join (that group is complete by then), but not the
    /// first. Element-wise results equal the interpreter's bits.
    @Test func mergedMapsEqualTheInterpreter() throws {
        let n = Dim.sym("n")
        var j = Atom.lit(0, .f32), k = j, t = j, behind = j, reversed = j
        let p = try makeProgram([TensorType(.f32, [n, .const(3)]), TensorType(.f32, [n, .const(3)]), TensorType(.f32, [.const(3)])],
                                name: "merged") { b, a in
            let bias = try b.emit(.broadcastInDim(shape: [n, .const(3)], dims: [1]), [a[2]])
            j = try b.emit(.binary(.mul), [.lit(2, .f32), try b.emit(.binary(.sub), [try b.emit(.binary(.add), [a[0], bias]), a[1]])])
            k = try b.emit(.binary(.mul), [j, a[0]])
            t = try b.emit(.unary(.tanh), [k])
            let s = try b.emit(.reduceSum(axes: [0, 1]), [j])
            behind = try b.emit(.binary(.mul), [k, try b.emit(.broadcastInDim(shape: [n, .const(3)], dims: []), [s])])
            reversed = try b.emit(.binary(.add), [try b.emit(.rev(dimensions: [0]), [j]), a[1]])
            return [j, k, t, behind, reversed]
        }
        let kernel = try compileKernel(p, name: "merged", optimize: false)
        let groups = kernel.graph.nests.compactMap { nest -> [Eqn]? in if case .mapSiblings(let es) = nest { return es }; return nil }
        #expect(groups.map { $0.map(\.out.id) } == [[j, k, t].map { $0.variable!.id }, [behind, reversed].map { $0.variable!.id }])
        for size in [0, 1, 7, 40_000] {
            let ins = randomInputs(p, ["n": size], seed: UInt64(size))
            let want = try evaluate(p, inputs: ins, sizes: ["n": size]), got = try kernel.run(inputs: ins, sizes: [:])
            for o in [0, 1, 2, 4] { #expect(bits(got[o]) == bits(want[o]), "output \(o) at n=\(size)") }
            #expect(close(got[3].doubles, want[3].doubles, rtol: 1e-5, atol: 1e-6), "output 3 (reads a sum) at n=\(size)")
        }
    }
}
