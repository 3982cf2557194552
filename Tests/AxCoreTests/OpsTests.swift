// Tests of Ops: the printed IR of key lowerings, literal folding, located errors, and every operator and
// builtin against jax.numpy (scripts/gen_builtin_refs.py → Data/builtins), run by the reference interpreter.
import Foundation
import Testing
@testable import AxCore

private let R = SourceRange.unknown

/// Builds a program by calling `Ops` on fresh input variables.
private final class Harness {
    let b = Builder()
    var inputs: [Var] = []
    var o: Ops { Ops(b) }

    func arg(_ type: String) -> Value { arg(parseType(type)) }
    func arg(_ t: TensorType) -> Value {
        let v = b.fresh(t)
        inputs.append(v)
        return .array(.v(v), weak: false)
    }
    func program(_ out: Value) -> Program {
        func tree(_ v: Value) -> TreeDef { if case .tuple(let vs) = v { return .tuple(vs.map(tree)) }; return .leaf }
        return Program(name: "t", params: inputs.indices.map { ProgramParam(name: "x\($0)", tree: .leaf) },
                       inputs: inputs, eqns: b.eqns, outputs: out.leaves, outTree: tree(out))
    }
}

/// `f32[n,4]` → TensorType.
private func parseType(_ s: String) -> TensorType {
    let dtype = DType(rawValue: String(s.prefix { $0 != "[" }))!
    let inner = s.drop { $0 != "[" }.dropFirst().dropLast()
    let dims = inner.split(separator: ",").map { d -> Dim in Int(d).map(Dim.const) ?? .sym(String(d)) }
    return TensorType(dtype, dims)
}

private func int(_ k: Int) -> Value { .array(.lit(Double(k), .i32), weak: true) }
private func float(_ x: Double) -> Value { .array(.lit(x, .f32), weak: true) }
private let True = Value.array(.lit(1, .bool), weak: true)
private func tup(_ vs: Value...) -> Value { .tuple(vs) }

extension Ops {
    fileprivate func call(_ name: String, _ args: Value..., kw: KeyValuePairs<String, Value> = [:]) throws -> Value {
        guard let v = try callBuiltin(name, args: args.map { ($0, R) }, kwargs: kw.map { ($0.key, $0.value, R) }, at: R) else {
            throw InternalError("\(name) is not a builtin")
        }
        return v
    }
    fileprivate func bin(_ op: String, _ x: Value, _ y: Value) throws -> Value { try binary(op, x, y, at: R) }
    fileprivate func idx(_ x: Value, _ items: IndexArg...) throws -> Value { try index(x, items, at: R) }
}

private func ix(_ v: Value) -> IndexArg { .index(v, R) }
private func sl(_ a: Int? = nil, _ b: Int? = nil, _ s: Int? = nil) -> IndexArg {
    .slice(a.map(int), b.map(int), s.map(int), R)
}

/// The computation of each reference case, written with Ops (inputs in the order of the case's .npy files).
private let builders: [String: (Ops, [Value]) throws -> Value] = {
    var c: [String: (Ops, [Value]) throws -> Value] = [:]
    for op in ["exp", "sin", "cos", "tanh", "abs", "log", "log1p", "sqrt", "sigmoid", "relu", "sign"] {
        c[op] = { o, x in try o.call(op, x[0]) }
    }
    for op in ["sign", "abs", "exp"] { c["\(op)_i32"] = { o, x in try o.call(op, x[0]) } }
    for op in ["exp", "log", "tanh", "sigmoid"] { c["\(op)_f64"] = { o, x in try o.call(op, x[0]) } }
    c["maximum_bcast"] = { o, x in try o.call("maximum", x[0], x[1]) }
    c["minimum_scalar"] = { o, x in try o.call("minimum", x[0], x[1]) }
    c["maximum_lit"] = { o, x in try o.call("maximum", x[0], float(0.5)) }
    c["where"] = { o, x in try o.call("where", x[0], x[1], x[2]) }
    c["where_scalar_cond"] = c["where"]
    c["where_lit"] = { o, x in try o.call("where", try o.bin(">", x[0], int(0)), x[0], float(0)) }
    c["cast_f32_i32"] = { o, x in try o.call("i32", x[0]) }
    c["cast_i32_f32"] = { o, x in try o.call("f32", x[0]) }
    c["cast_f32_f64"] = { o, x in try o.call("f64", x[0]) }
    c["cast_f64_f32"] = { o, x in try o.call("f32", x[0]) }
    c["cast_f32_bool"] = { o, x in try o.call("bool", x[0]) }
    c["cast_bool_f32"] = { o, x in try o.call("f32", x[0]) }
    c["add_bcast"] = { o, x in try o.bin("+", x[0], x[1]) }
    c["sub_bcast_size1"] = { o, x in try o.bin("-", x[0], x[1]) }
    c["mul_bcast_both"] = { o, x in try o.bin("*", x[0], x[1]) }
    c["mul_lit"] = { o, x in try o.bin("*", int(2), x[0]) }
    c["rsub_lit"] = { o, x in try o.bin("-", int(1), x[0]) }
    c["div_lit"] = { o, x in try o.bin("/", x[0], int(3)) }
    c["rdiv_lit"] = { o, x in try o.bin("/", float(1.5), x[0]) }
    c["div_i32"] = { o, x in try o.bin("/", x[0], x[1]) }
    c["div_i32_lit"] = { o, x in try o.bin("/", x[0], int(2)) }
    c["pow_int"] = { o, x in try o.bin("**", x[0], int(2)) }
    c["pow_int3"] = { o, x in try o.bin("**", x[0], int(3)) }
    c["pow_neg"] = { o, x in try o.bin("**", x[0], try o.unary("-", int(2), at: R)) }
    c["pow_float_lit"] = { o, x in try o.bin("**", x[0], float(0.5)) }
    c["pow_arrays"] = { o, x in try o.bin("**", x[0], x[1]) }
    c["rpow_lit"] = { o, x in try o.bin("**", float(2), x[0]) }
    c["lt"] = { o, x in try o.bin("<", x[0], x[1]) }
    c["ge_lit"] = { o, x in try o.bin(">=", x[0], float(0.5)) }
    c["eq_i32"] = { o, x in try o.bin("==", x[0], x[1]) }
    c["ne_lit"] = { o, x in try o.bin("!=", x[0], int(1)) }
    c["and"] = { o, x in try o.bin("and", x[0], x[1]) }
    c["or"] = { o, x in try o.bin("or", x[0], x[1]) }
    c["not"] = { o, x in try o.unary("not", x[0], at: R) }
    c["neg"] = { o, x in try o.unary("-", x[0], at: R) }
    c["i32_arith"] = { o, x in try o.bin("+", try o.bin("*", x[0], int(3)), int(1)) }
    c["i32_times_float_lit"] = { o, x in try o.bin("*", x[0], float(0.5)) }
    c["i32_pow"] = { o, x in try o.bin("**", x[0], int(2)) }
    c["add_f64_lit"] = { o, x in try o.bin("+", x[0], float(0.1)) }
    c["scalar_var_bcast"] = { o, x in try o.bin("*", x[0], x[1]) }
    for k in ["1d_1d", "2d_1d", "1d_2d", "2d_2d", "3d_3d", "3d_2d", "2d_3d", "bcast1", "3d_1d", "sym", "f64"] {
        c["matmul_\(k)"] = { o, x in try o.bin("@", x[0], x[1]) }
    }
    for k in ["2d_2d", "1d_1d", "scalar", "3d_2d"] { c["dot_\(k)"] = { o, x in try o.call("dot", x[0], x[1]) } }
    c["outer"] = { o, x in try o.call("outer", x[0], x[1]) }
    c["outer_2d"] = c["outer"]
    let specs = ["ni,ij->nj", "ij->ji", "ij->", "ij->j", "i,i->", "i,j->ij", "bij,bjk->bik", "ij,jk,kl->il", "ij,jk",
                 "ijk,ik->ij", "ij,ij->i", "ij,kj->ik", "ij,jk->ki", "ij,k->i"]
    for (i, spec) in specs.enumerated() {
        c["einsum\(i)"] = { o, x in try o.callBuiltin("einsum", args: [(.string(spec), R)] + x.map { ($0, R) }, kwargs: [], at: R)! }
    }
    c["einsum_sym"] = c["einsum0"]
    c["sum_all"] = { o, x in try o.call("sum", x[0]) }
    c["sum_axis0"] = { o, x in try o.call("sum", x[0], kw: ["axis": int(0)]) }
    c["sum_axis_neg"] = { o, x in try o.call("sum", x[0], kw: ["axis": int(-1)]) }
    c["sum_axes02"] = { o, x in try o.call("sum", x[0], kw: ["axis": tup(int(0), int(2))]) }
    c["sum_keepdims"] = { o, x in try o.call("sum", x[0], kw: ["axis": int(1), "keepdims": True]) }
    c["sum_i32"] = { o, x in try o.call("sum", x[0], int(0)) }
    c["sum_bool"] = { o, x in try o.call("sum", x[0]) }
    c["mean_all"] = { o, x in try o.call("mean", x[0]) }
    c["mean_axis1_keepdims"] = { o, x in try o.call("mean", x[0], int(1), True) }
    c["mean_i32"] = { o, x in try o.call("mean", x[0], kw: ["axis": int(1)]) }
    c["mean_sym"] = { o, x in try o.call("mean", x[0], kw: ["axis": int(0)]) }
    c["mean_sym_all"] = { o, x in try o.call("mean", x[0]) }
    c["mean_sym_keepdims"] = { o, x in try o.call("mean", x[0], kw: ["axis": tup(int(0), int(1)), "keepdims": True]) }
    c["mean_f64"] = { o, x in try o.call("mean", x[0], kw: ["axis": int(0)]) }
    c["max_axis0"] = { o, x in try o.call("max", x[0], kw: ["axis": int(0)]) }
    c["min_axes"] = { o, x in try o.call("min", x[0], kw: ["axis": tup(int(0), int(1))]) }
    c["max_keepdims"] = { o, x in try o.call("max", x[0], kw: ["axis": int(-1), "keepdims": True]) }
    c["logsumexp_all"] = { o, x in try o.call("logsumexp", x[0]) }
    c["logsumexp_axis1"] = { o, x in try o.call("logsumexp", x[0], kw: ["axis": int(1)]) }
    c["logsumexp_keepdims"] = { o, x in try o.call("logsumexp", x[0], kw: ["axis": tup(int(0), int(2)), "keepdims": True]) }
    c["logsumexp_f64"] = { o, x in try o.call("logsumexp", x[0], kw: ["axis": int(0)]) }
    c["softmax"] = { o, x in try o.call("softmax", x[0]) }
    c["softmax_axis0"] = { o, x in try o.call("softmax", x[0], kw: ["axis": int(0)]) }
    c["softmax_axes"] = { o, x in try o.call("softmax", x[0], kw: ["axis": tup(int(0), int(1))]) }
    c["softmax_large"] = c["softmax"]
    c["transpose"] = { o, x in try o.call("transpose", x[0]) }
    c["transpose_axes"] = { o, x in try o.call("transpose", x[0], tup(int(1), int(0), int(2))) }
    c["transpose_neg"] = { o, x in try o.call("transpose", x[0], kw: ["axes": tup(int(-1), int(0), int(1))]) }
    c["T"] = { o, x in try o.attribute(x[0], "T", at: R) }
    c["reshape"] = { o, x in try o.call("reshape", x[0], tup(int(3), int(4))) }
    c["reshape_flat"] = { o, x in try o.call("reshape", x[0], int(-1)) }
    c["reshape_infer"] = { o, x in try o.call("reshape", x[0], tup(int(4), int(-1))) }
    c["reshape_sym"] = { o, x in try o.call("reshape", x[0], tup(int(-1), int(2), int(2))) }
    c["broadcast_to"] = { o, x in try o.call("broadcast_to", x[0], tup(int(2), int(3))) }
    c["broadcast_to_size1"] = { o, x in try o.call("broadcast_to", x[0], tup(int(2), int(3), int(4))) }
    c["concatenate0"] = { o, x in try o.call("concatenate", tup(x[0], x[1])) }
    c["concatenate_neg"] = { o, x in try o.call("concatenate", tup(x[0], x[1]), kw: ["axis": int(-1)]) }
    c["stack0"] = { o, x in try o.call("stack", tup(x[0], x[1])) }
    c["stack1"] = { o, x in try o.call("stack", tup(x[0], x[1]), kw: ["axis": int(1)]) }
    c["stack_neg"] = { o, x in try o.call("stack", .tuple(x), kw: ["axis": int(-1)]) }
    c["zeros"] = { o, _ in try o.call("zeros", int(3)) }
    c["ones"] = { o, _ in try o.call("ones", tup(int(2), int(3))) }
    c["zeros_i32"] = { o, _ in try o.call("zeros", tup(int(2), int(2)), kw: ["dtype": .string("i32")]) }
    c["full"] = { o, _ in try o.call("full", tup(int(2), int(2)), float(7)) }
    c["full_i32"] = { o, _ in try o.call("full", int(3), int(2), kw: ["dtype": .string("i32")]) }
    c["full_var"] = { o, x in try o.call("full", tup(int(2), int(3)), x[0]) }
    c["arange"] = { o, _ in try o.call("arange", int(5)) }
    c["arange_step"] = { o, _ in try o.call("arange", int(2), int(10), int(3)) }
    c["arange_f32"] = { o, _ in try o.call("arange", int(5), kw: ["dtype": .string("f32")]) }
    c["eye"] = { o, _ in try o.call("eye", int(3)) }
    c["eye_k"] = { o, _ in try o.call("eye", int(3), int(4), kw: ["k": int(1)]) }
    c["index_int"] = { o, x in try o.idx(x[0], ix(int(1))) }
    c["index_neg"] = { o, x in try o.idx(x[0], ix(int(-1))) }
    c["index_slice"] = { o, x in try o.idx(x[0], sl(1, 3)) }
    c["index_step"] = { o, x in try o.idx(x[0], sl(nil, nil, 2)) }
    c["index_col"] = { o, x in try o.idx(x[0], sl(), ix(int(0))) }
    c["index_col_neg"] = { o, x in try o.idx(x[0], sl(), ix(int(-1))) }
    c["index_both"] = { o, x in try o.idx(x[0], ix(int(1)), ix(int(2))) }
    c["index_tail"] = { o, x in try o.idx(x[0], sl(), sl(1)) }
    c["index_clamped"] = { o, x in try o.idx(x[0], sl(-10, 10), sl(3, 1)) }
    c["index_3d"] = { o, x in try o.idx(x[0], ix(int(0)), sl(), sl(1, 3)) }
    c["index_newaxis"] = { o, x in try o.idx(x[0], ix(.none), sl()) }
    for k in ["1", "m1", "7", "m9", "_bool", "_sym"] { c["dyn_index\(k)"] = { o, x in try o.idx(x[0], ix(x[1])) } }
    c["dyn_index_col"] = { o, x in try o.idx(x[0], sl(), ix(x[1])) }
    c["index_sym_neg"] = { o, x in try o.idx(x[0], ix(int(-1))) }
    c["index_sym_pos"] = { o, x in try o.idx(x[0], ix(int(2))) }
    c["select_tree"] = { o, x in try o.select(x[0], onTrue: tup(x[1], x[2]), onFalse: tup(x[3], x[4]), at: R) }
    c["select_tree_true"] = c["select_tree"]
    return c
}()

private struct RefCase: Decodable { var name: String; var inputs: [String]; var types: [String]; var outputs: [String] }

private let dataDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/builtins")

/// `a` and `b` agree: same dtype and shape, values within rtol/atol (exact for ints and bools; inf and NaN equal).
private func close(_ a: Tensor, _ b: Tensor, rtol: Double, atol: Double) -> Bool {
    guard a.dtype == b.dtype, a.shape == b.shape else { return false }
    return zip(a.doubles, b.doubles).allSatisfy { x, y in
        x == y || (x.isNaN && y.isNaN) || (x.isFinite && y.isFinite && abs(x - y) <= atol + rtol * abs(y))
    }
}

@Suite struct OpsTests {
    // MARK: - Numerics against jax.numpy

    @Test func everyCaseMatchesJax() throws {
        let manifest = try JSONDecoder().decode([RefCase].self, from: Data(contentsOf: dataDir.appendingPathComponent("manifest.json")))
        #expect(manifest.count == builders.count, "every builder has reference data and vice versa")
        for c in manifest {
            guard let build = builders[c.name] else { Issue.record("no builder for case \(c.name)"); continue }
            let h = Harness()
            let args = c.types.map { h.arg($0) }
            do {
                let p = h.program(try build(h.o, args))
                try p.verify()
                let ins = try c.inputs.map { try readNPY(path: dataDir.appendingPathComponent($0).path) }
                let outs = try evaluate(p, inputs: ins, sizes: [:])
                let refs = try c.outputs.map { try readNPY(path: dataDir.appendingPathComponent($0).path) }
                #expect(outs.count == refs.count, "\(c.name): output count")
                for (k, (got, want)) in zip(outs, refs).enumerated() {
                    let tol = want.dtype == .f64 ? 1e-12 : 1e-5
                    #expect(close(got, want, rtol: tol, atol: tol * 0.1),
                            "\(c.name) output \(k): got \(got.dtype)\(got.shape) \(got.doubles.prefix(8)), want \(want.dtype)\(want.shape) \(want.doubles.prefix(8))\n\(p.text)")
                }
            } catch {
                Issue.record("\(c.name): \(error)")
            }
        }
    }

    // MARK: - Printed IR

    func ir(_ types: [String], _ f: (Ops, [Value]) throws -> Value) throws -> Program {
        let h = Harness()
        let args = types.map { h.arg($0) }
        let p = h.program(try f(h.o, args))
        try p.verify()
        return p
    }

    @Test func einsumMatmulIsOneDotGeneral() throws {
        let p = try ir(["f32[n,5]", "f32[5,3]"]) { o, x in try builders["einsum0"]!(o, x) }
        #expect(p.text == """
        { lambda ; a:f32[n,5] b:f32[5,3]. let
            c:f32[n,3] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] a b
          in (c,) }

        """)
    }

    @Test func einsumBatchAndTranspose() throws {
        let p = try ir(["f32[2,3,4]", "f32[2,4,5]"]) { o, x in
            try o.callBuiltin("einsum", args: [(.string("bij,bjk->bik"), R), (x[0], R), (x[1], R)], kwargs: [], at: R)!
        }
        #expect(p.eqns.map(\.prim) == [.dotGeneral(DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0]))])
        let q = try ir(["f32[3,4]", "f32[4,2]"]) { o, x in
            try o.callBuiltin("einsum", args: [(.string("ij,jk->ki"), R), (x[0], R), (x[1], R)], kwargs: [], at: R)!
        }
        #expect(q.eqns.map(\.prim) == [.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), .transpose([1, 0])])
        let r = try ir(["f32[3,4]"]) { o, x in
            try o.callBuiltin("einsum", args: [(.string("ij->j"), R), (x[0], R)], kwargs: [], at: R)!
        }
        #expect(r.eqns.map(\.prim) == [.reduceSum(axes: [0])])
    }

    @Test func matmulVariants() throws {
        func prims(_ a: String, _ b: String) throws -> [Primitive] {
            try ir([a, b]) { o, x in try o.bin("@", x[0], x[1]) }.eqns.map(\.prim)
        }
        #expect(try prims("f32[4]", "f32[4]") == [.dotGeneral(DotDims(lhsContract: [0], rhsContract: [0]))])
        #expect(try prims("f32[3,4]", "f32[4]") == [.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0]))])
        #expect(try prims("f32[4]", "f32[4,5]") == [.dotGeneral(DotDims(lhsContract: [0], rhsContract: [0]))])
        #expect(try prims("f32[3,4]", "f32[4,5]") == [.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0]))])
        #expect(try prims("f32[2,3,4]", "f32[2,4,5]")
                == [.dotGeneral(DotDims(lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0]))])
        #expect(try prims("f32[2,3,4]", "f32[4,5]") == [.dotGeneral(DotDims(lhsContract: [2], rhsContract: [0]))])
        #expect(try prims("f32[3,4]", "f32[2,4,5]")
                == [.dotGeneral(DotDims(lhsContract: [1], rhsContract: [1])), .transpose([1, 0, 2])])
        #expect(try prims("f32[1,3,4]", "f32[2,4,5]")
                == [.reshape([.const(3), .const(4)]), .dotGeneral(DotDims(lhsContract: [1], rhsContract: [1])), .transpose([1, 0, 2])])
    }

    @Test func weakLiteralKeepsDtype() throws {
        let p = try ir(["f32[3]"]) { o, x in try o.bin("*", int(2), x[0]) }
        #expect(p.text == "{ lambda ; a:f32[3]. let\n    b:f32[3] = mul 2.0:f32[] a\n  in (b,) }\n")
        let q = try ir(["f64[3]"]) { o, x in try o.bin("+", x[0], float(0.1)) }
        #expect(q.text.contains("add a 0.1:f64[]"))
        let r = try ir(["i32[3]"]) { o, x in try o.bin("*", x[0], float(0.5)) }
        #expect(r.eqns.map(\.prim) == [.convert(.f32), .binary(.mul)])
        let s = try ir(["f32[3]"]) { o, x in try o.bin("**", x[0], int(2)) }
        #expect(s.eqns.map(\.prim) == [.integerPow(2)])
    }

    @Test func broadcastingInsertsBroadcastInDim() throws {
        let p = try ir(["f32[2,3]", "f32[3]"]) { o, x in try o.bin("+", x[0], x[1]) }
        #expect(p.text == """
        { lambda ; a:f32[2,3] b:f32[3]. let
            c:f32[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=(1,)] b
            d:f32[2,3] = add a c
          in (d,) }

        """)
        let q = try ir(["f32[3,1]", "f32[4]"]) { o, x in try o.bin("-", x[0], x[1]) }
        #expect(q.eqns.map(\.prim) == [.reshape([.const(3)]), .broadcastInDim(shape: [.const(3), .const(4)], dims: [0]),
                                       .broadcastInDim(shape: [.const(3), .const(4)], dims: [1]), .binary(.sub)])
        let r = try ir(["f32[]", "f32[n]"]) { o, x in try o.bin("*", x[0], x[1]) }
        #expect(r.eqns.map(\.prim) == [.broadcastInDim(shape: [.sym("n")], dims: []), .binary(.mul)])
    }

    @Test func dynamicIndexIsOneHot() throws {
        let p = try ir(["f32[n,3]", "i32[]"]) { o, x in try o.idx(x[0], ix(x[1])) }
        let names = p.eqns.map(\.prim.name)
        #expect(names.contains("iota") && names.contains("select_n") && names.last == "reduce_sum")
        #expect(p.outputs[0].type == TensorType(.f32, [.const(3)]))
    }

    @Test func meanOverSizeVariableCountsInTheIR() throws {
        let p = try ir(["f32[n,3]"]) { o, x in try o.call("mean", x[0], kw: ["axis": int(0)]) }
        #expect(p.eqns.map(\.prim) == [.reduceSum(axes: [0]), .broadcastInDim(shape: [.sym("n")], dims: []),
                                       .reduceSum(axes: [0]), .broadcastInDim(shape: [.const(3)], dims: []), .binary(.div)])
        let q = try ir(["f32[4,3]"]) { o, x in try o.call("mean", x[0]) }
        #expect(q.text.contains("div b 12.0:f32[]"))
    }

    @Test func noOpsEmitNothing() throws {
        #expect(try ir(["f32[3]"]) { o, x in try o.attribute(x[0], "T", at: R) }.eqns.isEmpty)
        #expect(try ir(["f32[3]"]) { o, x in try o.call("f32", x[0]) }.eqns.isEmpty)
        #expect(try ir(["f32[3,4]"]) { o, x in try o.call("sum", x[0], kw: ["axis": tup()]) }.eqns.isEmpty)
        #expect(try ir(["f32[3,4]"]) { o, x in try o.idx(x[0], sl(), sl()) }.eqns.isEmpty)
    }

    // MARK: - Literals

    @Test func literalsFoldWithPythonSemantics() throws {
        let o = Ops(Builder())
        func lit(_ v: Value) -> (Double, DType, Bool)? {
            if case .array(.lit(let x, let t), let w) = v { return (x, t, w) }
            return nil
        }
        #expect(lit(try o.bin("+", int(2), int(3)))! == (5, .i32, true))
        #expect(lit(try o.bin("/", int(7), int(2)))! == (3.5, .f32, true))
        #expect(lit(try o.bin("**", int(2), int(10)))! == (1024, .i32, true))
        #expect(lit(try o.bin("**", int(2), int(-1)))! == (0.5, .f32, true))
        #expect(lit(try o.bin("*", int(2), float(1.5)))! == (3, .f32, true))
        #expect(lit(try o.bin("<", int(2), int(3)))! == (1, .bool, true))
        #expect(lit(try o.unary("-", int(1), at: R))! == (-1, .i32, true))
        #expect(lit(try o.unary("not", True, at: R))! == (0, .bool, true))
        #expect(Ops.staticInt(try o.bin("-", int(5), int(1))) == 4)
        #expect(Ops.staticInt(.array(.lit(3, .i32), weak: false)) == 3)
        #expect(Ops.staticInt(float(3)) == nil)
        // a strong i32 literal (an unrolled loop index) folds with a weak int to a strong i32
        #expect(lit(try o.bin("+", .array(.lit(3, .i32), weak: false), int(1)))! == (4, .i32, false))
        #expect(lit(o.materialize(float(0.1), dtype: nil))! == (Double(Float(0.1)), .f32, false))
        #expect(lit(o.materialize(int(2), dtype: .f64))! == (2, .f64, false))
        #expect(lit(try o.call("i32", float(2.7)))! == (2, .i32, false))
        #expect(lit(try o.idx(tup(int(1), float(2)), ix(int(-1))))! == (2, .f32, true))
        #expect(Ops.builtinNames.isSuperset(of: ["exp", "einsum", "logsumexp", "softmax", "eye", "arange", "where", "f64"]))
        #expect(try o.callBuiltin("range", args: [], kwargs: [], at: R) == nil)
    }

    // MARK: - Errors

    func error(_ types: [String], _ f: (Ops, [Value]) throws -> Value) -> String {
        let h = Harness()
        let args = types.map { h.arg($0) }
        do { _ = try f(h.o, args); return "no error" } catch let d as Diagnostic { return d.message } catch { return "\(error)" }
    }

    @Test func errorsNameShapesAndDtypes() {
        #expect(error(["f32[3]", "f64[3]"]) { o, x in try o.bin("+", x[0], x[1]) }
                == "cannot add f32[3] and f64[3]: no implicit promotion; use f64(x)")
        #expect(error(["i32[3]", "f32[3]"]) { o, x in try o.bin("*", x[0], x[1]) }.hasPrefix("cannot multiply i32[3] and f32[3]"))
        #expect(error(["f32[n]", "f32[5]"]) { o, x in try o.bin("+", x[0], x[1]) }.hasPrefix("cannot broadcast f32[n] and f32[5]"))
        #expect(error(["f32[3,4]", "f32[5,2]"]) { o, x in try o.bin("@", x[0], x[1]) }.contains("f32[3,4] and f32[5,2]"))
        #expect(error(["f32[3,4]"]) { o, x in try o.idx(x[0], ix(int(3))) }
                == "index 3 is out of bounds for axis 0 with size 3 (f32[3,4])")
        #expect(error(["f32[3]"]) { o, x in try o.idx(x[0], ix(int(0)), ix(int(0))) }.hasPrefix("too many indices for f32[3]"))
        #expect(error(["f32[3]"]) { o, x in try o.idx(x[0], ix(float(1))) }.contains("int literal or an i32 scalar"))
        #expect(error(["f32[3,5]", "f32[4,2]"]) { o, x in
            try o.callBuiltin("einsum", args: [(.string("ij,jk->ik"), R), (x[0], R), (x[1], R)], kwargs: [], at: R)!
        } == "einsum: letter 'j' has size 5 in operand 0 (f32[3,5]) and size 4 in operand 1 (f32[4,2])")
        #expect(error(["f32[3]"]) { o, x in
            try o.callBuiltin("einsum", args: [(.string("ij->i"), R), (x[0], R)], kwargs: [], at: R)!
        }.contains("has rank 1 but 'ij' names 2 axes"))
        #expect(error(["f32[3]"]) { o, x in try o.call("sum", x[0], kw: ["axes": int(0)]) }
                == "sum() got an unexpected keyword argument 'axes' (did you mean 'axis'?); signature: sum(x, axis=None, keepdims=False, where=None)")
        #expect(error(["f32[3]"]) { o, x in try o.call("exp", x[0], x[0]) }.contains("signature: exp(x)"))
        #expect(error([]) { o, _ in try o.call("maximum", int(1)) }.contains("missing required argument 'y'"))
        #expect(error(["f32[3]"]) { o, x in try o.call("sum", x[0], kw: ["axis": int(1)]) }.contains("axis 1 is out of bounds"))
        #expect(error(["f32[n,3]"]) { o, x in try o.call("reshape", x[0], tup(int(2), int(-1))) }.hasPrefix("cannot reshape f32[n,3]"))
        #expect(error(["f32[3]"]) { o, x in try o.call("zeros", int(3), kw: ["dtype": .string("f16")]) }.hasPrefix("dtype must be"))
        #expect(error(["bool[3]", "bool[3]"]) { o, x in try o.bin("+", x[0], x[1]) }.contains("arithmetic on bool"))
        #expect(error(["f32[3]", "f32[3]"]) { o, x in try o.bin("and", x[0], x[1]) }.contains("expects bool"))
        #expect(error(["f32[3]"]) { o, x in try o.attribute(x[0], "foo", at: R) }.contains("no attribute 'foo'"))
        #expect(error(["f32[3]", "f32[4]"]) { o, x in
            try o.select(.array(.lit(0, .bool), weak: false), onTrue: x[0], onFalse: x[1], at: R)
        } == "no error")   // a literal condition picks a branch at compile time
        #expect(error(["bool[]", "f32[3]", "f32[4]"]) { o, x in try o.select(x[0], onTrue: x[1], onFalse: x[2], at: R) }
                .contains("differ in shape"))
        #expect(error([]) { o, _ in try o.bin("/", int(1), int(0)) } == "division by zero")
    }

    @Test func errorsAreLocated() {
        let loc = SourceRange(SourceLoc(line: 3, column: 7, offset: 40), SourceLoc(line: 3, column: 12, offset: 45))
        let h = Harness()
        let x = h.arg("f32[3]"), y = h.arg("f64[3]")
        do { _ = try h.o.binary("+", x, y, at: loc); Issue.record("expected an error") }
        catch let d as Diagnostic { #expect(d.range == loc) } catch { Issue.record("\(error)") }
        let argLoc = SourceRange(SourceLoc(line: 4, column: 20, offset: 70), SourceLoc(line: 4, column: 22, offset: 72))
        do { _ = try h.o.callBuiltin("sum", args: [(x, R)], kwargs: [("axis", int(4), argLoc)], at: loc); Issue.record("expected an error") }
        catch let d as Diagnostic { #expect(d.range == argLoc) } catch { Issue.record("\(error)") }
    }
}
