// Tests of simplify: golden IR text before and after for each folding rule, DCE and CSE
// (Tests/AxCoreTests/Data/simplify/*.txt; `UPDATE_GOLDEN=1 swift test --filter SimplifyTests` rewrites them),
// plus verification and unchanged values on gradient programs.
import Foundation
import Testing
@testable import AxCore

private let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/simplify")

private func f32(_ shape: [Int]) -> TensorType { TensorType(.f32, shape.map(Dim.const)) }
private func flit(_ x: Double) -> Atom { .lit(x, .f32) }

/// One golden case: a program whose `sin` of the folded expression (or the expression itself) is the output.
private struct GoldenCase: CustomTestStringConvertible {
    var name: String
    var types: [TensorType] = [f32([3])]
    var body: (Builder, [Atom]) throws -> Atom
    var testDescription: String { name }
}

private func un(_ b: Builder, _ p: Primitive, _ x: Atom) throws -> Atom { try b.emit(p, [x]) }
private func bin(_ b: Builder, _ op: BinaryOp, _ x: Atom, _ y: Atom) throws -> Atom { try b.emit(.binary(op), [x, y]) }

private let goldenCases: [GoldenCase] = [
    GoldenCase(name: "mul_one") { b, x in
        try un(b, .unary(.sin), bin(b, .add, bin(b, .mul, x[0], flit(1)), bin(b, .mul, flit(1), un(b, .unary(.cos), x[0]))))
    },
    GoldenCase(name: "add_sub_zero") { b, x in
        let s = try bin(b, .add, flit(0), bin(b, .add, x[0], flit(0)))
        return try un(b, .unary(.exp), bin(b, .sub, s, flit(-0.0)))
    },
    GoldenCase(name: "div_one") { b, x in try un(b, .unary(.exp), bin(b, .div, x[0], flit(1))) },
    GoldenCase(name: "neg_neg") { b, x in
        try bin(b, .add, un(b, .unary(.neg), un(b, .unary(.neg), x[0])), un(b, .unary(.neg), x[0]))
    },
    GoldenCase(name: "neg_broadcast_literal") { b, x in
        let ones = try b.emit(.broadcastInDim(shape: [.const(3)], dims: []), [flit(1)])
        return try b.emit(.select, [bin(b, .ge, x[0], flit(0)), un(b, .unary(.neg), ones), ones])
    },
    GoldenCase(name: "integer_pow_one") { b, x in try un(b, .integerPow(2), un(b, .integerPow(1), x[0])) },
    GoldenCase(name: "convert_same_dtype") { b, x in
        try un(b, .convert(.f64), un(b, .convert(.f32), x[0]))
    },
    GoldenCase(name: "reshape_same_and_composed", types: [f32([2, 3])]) { b, x in
        let same = try un(b, .reshape([.const(2), .const(3)]), x[0])
        return try un(b, .reshape([.const(3), .const(2)]), un(b, .reshape([.const(6)]), same))
    },
    GoldenCase(name: "broadcast_same_and_composed", types: [f32([3])]) { b, x in
        let same = try un(b, .broadcastInDim(shape: [.const(3)], dims: [0]), x[0])
        let mid = try un(b, .broadcastInDim(shape: [.const(1), .const(3)], dims: [1]), same)
        return try un(b, .broadcastInDim(shape: [.const(4), .const(2), .const(3)], dims: [1, 2]), mid)
    },
    GoldenCase(name: "transpose_identity_and_composed", types: [f32([2, 3, 4])]) { b, x in
        let same = try un(b, .transpose([0, 1, 2]), x[0])
        let once = try un(b, .transpose([2, 0, 1]), same)
        let back = try un(b, .transpose([1, 2, 0]), once)  // inverse of [2, 0, 1]: folds away entirely
        return try bin(b, .add, un(b, .transpose([1, 0, 2]), once), un(b, .transpose([1, 0, 2]), un(b, .transpose([2, 0, 1]), back)))
    },
    GoldenCase(name: "scalar_literals", types: [f32([])]) { b, x in
        let k = try bin(b, .mul, bin(b, .add, flit(2), flit(0.5)), flit(3))
        return try bin(b, .mul, x[0], bin(b, .sub, k, flit(7.5)))
    },
    GoldenCase(name: "output_is_input", types: [f32([3]), f32([])]) { b, x in
        _ = try un(b, .unary(.sin), x[0])
        return try bin(b, .mul, flit(1), bin(b, .mul, x[1], flit(1)))
    },
    GoldenCase(name: "output_is_literal", types: [f32([])]) { b, _ in
        try bin(b, .mul, bin(b, .add, flit(1), flit(1)), flit(1.5))
    },
    GoldenCase(name: "dce") { b, x in
        let dead = try un(b, .unary(.exp), x[0])
        _ = try bin(b, .mul, dead, dead)
        _ = try b.emit(.iota(.i32, shape: [.const(3)], dimension: 0), [])
        return try un(b, .unary(.sin), x[0])
    },
    GoldenCase(name: "cse") { b, x in
        let s1 = try un(b, .unary(.sin), x[0]), s2 = try un(b, .unary(.sin), x[0])
        let i1 = try b.emit(.iota(.f32, shape: [.const(3)], dimension: 0), [])
        let i2 = try b.emit(.iota(.f32, shape: [.const(3)], dimension: 0), [])
        let a = try bin(b, .add, s1, i1), c = try bin(b, .add, s2, i2)  // equal once s2 → s1 and i2 → i1
        let m0 = try bin(b, .mul, a, flit(0)), m1 = try bin(b, .mul, c, flit(-0.0))  // 0.0 and -0.0 stay apart
        return try bin(b, .add, bin(b, .add, a, c), bin(b, .add, m0, m1))
    },
]

@Suite struct SimplifyTests {
    @Test(arguments: goldenCases)
    private func golden(_ c: GoldenCase) throws {
        let p = try buildProgram(c.name, c.types, c.body)
        try p.verify()
        let s = simplify(p)
        try s.verify()
        let text = "# before\n" + p.text + "# after\n" + s.text
        let url = goldenDir.appendingPathComponent(c.name + ".txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil {
            try FileManager.default.createDirectory(at: goldenDir, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOf: url, encoding: .utf8)
        #expect(text == want)
        #expect(simplify(s).text == s.text, "simplify is idempotent")
        // Same values on a random input.
        var rng = SeededUniform(3)
        let inputs = c.types.map { rng.tensor($0, -2, 2) }
        let a = try evaluate(p, inputs: inputs, sizes: [:]), b = try evaluate(s, inputs: inputs, sizes: [:])
        #expect(a == b)
    }

    /// simplify shrinks a third derivative and keeps its value.
    @Test func shrinksHigherOrderGradient() throws {
        let f = try buildProgram("f", [TensorType(.f64)]) { b, x in
            try b.emit(.binary(.mul), [b.emit(.unary(.sin), x), b.emit(.integerPow(3), x)])
        }
        var g = f
        for _ in 0..<3 { g = try grad(g, argnums: [0], tupleArgnums: false, withValue: false) }
        let s = simplify(g)
        try s.verify()
        #expect(s.eqns.count < g.eqns.count)
        let x = [Tensor(scalar: 0.7, .f64)]
        #expect(try evaluate(s, inputs: x, sizes: [:]) == evaluate(g, inputs: x, sizes: [:]))
    }

    /// Programs without anything to simplify come back unchanged.
    @Test func leavesSimpleProgramsAlone() throws {
        let p = try buildProgram("f", [f32([3])]) { b, x in try b.emit(.reduceSum(axes: [0]), [b.emit(.unary(.exp), x)]) }
        #expect(simplify(p).text == p.text)
    }
}
