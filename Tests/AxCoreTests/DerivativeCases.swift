// The derivative tests' table of primitives (GradTests checks reverse mode against central differences,
// ForwardTests forward mode and reverse against forward): one entry per primitive and variant, operands in f64.
import Foundation
import Testing
@testable import AxCore

/// One table entry: operand types, their sampling range, and the body applying the primitive.
struct DerivativeCase: CustomTestStringConvertible {
    var name: String
    var types: [TensorType]
    var range: (Double, Double) = (-2, 2)
    var sizes: [String: Int] = [:]
    /// Checks second order too (off for primitives whose first derivative has kinks the samples may hit).
    var secondOrder = true
    /// Flat indices of the first operand set to zero after sampling (derivatives at zeros must be exact).
    var zeros: [Int] = []
    var body: (Builder, [Atom]) throws -> Atom
    var testDescription: String { name }
}

/// Shapes written with ints and size-variable names: `f64(2, "n")`.
protocol DimLike { var dim: Dim { get } }
extension Int: DimLike { var dim: Dim { .const(self) } }
extension String: DimLike { var dim: Dim { .sym(self) } }
func dims(_ ds: DimLike...) -> [Dim] { ds.map(\.dim) }
func f64(_ ds: DimLike...) -> TensorType { TensorType(.f64, ds.map(\.dim)) }
private func un(_ op: UnaryOp, _ range: (Double, Double) = (-2, 2), second: Bool = true) -> DerivativeCase {
    DerivativeCase(name: op.rawValue, types: [f64(2, 3)], range: range, secondOrder: second) { b, x in try b.emit(.unary(op), [x[0]]) }
}
private func bin(_ op: BinaryOp, _ range: (Double, Double) = (-2, 2)) -> DerivativeCase {
    DerivativeCase(name: op.rawValue, types: [f64(3, 2), f64(3, 2)], range: range) { b, x in try b.emit(.binary(op), x) }
}
func lit(_ x: Double) -> Atom { .lit(x, .f64) }

let derivativeCases: [DerivativeCase] = [
    un(.neg), un(.exp), un(.log, (0.5, 3)), un(.log1p, (0.1, 3)), un(.sqrt, (0.5, 3)), un(.abs, (0.2, 2)),
    un(.sin), un(.cos), un(.tanh), un(.logistic), un(.sign, (0.2, 2)),
    bin(.add), bin(.sub), bin(.mul), bin(.div, (0.5, 2)), bin(.pow, (0.5, 2)), bin(.max), bin(.min),
    // Piecewise constant: zero derivative away from the jumps (the samples stay between them).
    un(.floor, (0.1, 0.9)), un(.ceil, (0.1, 0.9)), un(.round, (0.1, 0.4)),
    un(.tan, (-1, 1)), un(.atan), un(.asin, (-0.8, 0.8)), un(.acos, (-0.8, 0.8)), un(.sinh), un(.cosh),
    un(.atanh, (-0.8, 0.8)), un(.expm1), un(.exp2), un(.erf), un(.erfc), bin(.atan2, (0.5, 2)),
    // rem's derivative in y has floor(|x / y|): the samples keep x / y between two integers.
    DerivativeCase(name: "rem-x", types: [f64(4)], range: (1.5, 2)) { b, x in try b.emit(.binary(.rem), [x[0], lit(0.7)]) },
    DerivativeCase(name: "rem-y", types: [f64(4)], range: (0.95, 1.05)) { b, x in try b.emit(.binary(.rem), [lit(2.5), x[0]]) },
    DerivativeCase(name: "abs-negative", types: [f64(4)], range: (-2, -0.2)) { b, x in try b.emit(.unary(.abs), x) },
    DerivativeCase(name: "mul-literal", types: [f64(4)]) { b, x in try b.emit(.binary(.mul), [x[0], lit(2.5)]) },
    DerivativeCase(name: "div-literal-numerator", types: [f64(4)], range: (0.5, 2)) { b, x in try b.emit(.binary(.div), [lit(3), x[0]]) },
    DerivativeCase(name: "sub-literal", types: [f64(4)]) { b, x in try b.emit(.binary(.sub), [lit(1), x[0]]) },
    DerivativeCase(name: "pow-literal-exponent", types: [f64(4)], range: (0.5, 2)) { b, x in try b.emit(.binary(.pow), [x[0], lit(2.5)]) },
    DerivativeCase(name: "pow-literal-base", types: [f64(4)]) { b, x in try b.emit(.binary(.pow), [lit(1.7), x[0]]) },
    DerivativeCase(name: "max-literal", types: [f64(6)], secondOrder: false) { b, x in try b.emit(.binary(.max), [x[0], lit(0.1)]) },
    DerivativeCase(name: "scalar-mul", types: [f64(), f64()]) { b, x in try b.emit(.binary(.mul), x) },
    DerivativeCase(name: "integer_pow-0", types: [f64(4)]) { b, x in try b.emit(.integerPow(0), x) },
    DerivativeCase(name: "integer_pow-1", types: [f64(4)]) { b, x in try b.emit(.integerPow(1), x) },
    DerivativeCase(name: "integer_pow-2", types: [f64(4)]) { b, x in try b.emit(.integerPow(2), x) },
    DerivativeCase(name: "integer_pow-3", types: [f64(4)]) { b, x in try b.emit(.integerPow(3), x) },
    DerivativeCase(name: "integer_pow--2", types: [f64(4)], range: (0.5, 2)) { b, x in try b.emit(.integerPow(-2), x) },
    DerivativeCase(name: "convert-f64-f64", types: [f64(4)]) { b, x in try b.emit(.convert(.f64), x) },
    DerivativeCase(name: "convert-through-i32", types: [f64(4)]) { b, x in
        let i = try b.emit(.convert(.i32), x)
        return try b.emit(.binary(.mul), [x[0], b.emit(.convert(.f64), [i])])
    },
    DerivativeCase(name: "select", types: [f64(2, 3), f64(2, 3)]) { b, x in
        try b.emit(.select, [b.emit(.binary(.gt), [x[0], lit(0)]), x[0], b.emit(.unary(.sin), [x[1]])])
    },
    DerivativeCase(name: "select-literal-branch", types: [f64(5)]) { b, x in
        try b.emit(.select, [b.emit(.binary(.lt), [x[0], lit(0.3)]), lit(2), b.emit(.unary(.exp), [x[0]])])
    },
    // Comparisons and logic carry no gradient but must pass through grad (zero cotangent to their operands).
    DerivativeCase(name: "logic-in-select", types: [f64(2, 3), f64(2, 3)]) { b, x in
        let p = try b.emit(.binary(.and), [b.emit(.binary(.le), [x[0], lit(0.5)]), b.emit(.unary(.not), [b.emit(.binary(.eq), [x[0], x[1]])])])
        let q = try b.emit(.binary(.or), [p, b.emit(.binary(.ne), [x[1], b.emit(.binary(.ge), [x[1], lit(1)]).asF64(b)])])
        return try b.emit(.select, [q, b.emit(.unary(.cos), [x[1]]), b.emit(.binary(.mul), [x[0], x[1]])])
    },
    DerivativeCase(name: "reduce_sum-axis1", types: [f64(2, 3)]) { b, x in try b.emit(.reduceSum(axes: [1]), x) },
    DerivativeCase(name: "reduce_sum-all", types: [f64(2, 3)]) { b, x in try b.emit(.reduceSum(axes: [0, 1]), x) },
    DerivativeCase(name: "reduce_prod-axis1", types: [f64(2, 3)]) { b, x in try b.emit(.reduceProd(axes: [1]), x) },
    DerivativeCase(name: "reduce_prod-axes02", types: [f64(2, 3, 2)]) { b, x in try b.emit(.reduceProd(axes: [0, 2]), x) },
    DerivativeCase(name: "reduce_max-axis0", types: [f64(3, 4)], secondOrder: false) { b, x in try b.emit(.reduceMax(axes: [0]), x) },
    DerivativeCase(name: "reduce_min-axes02", types: [f64(2, 3, 2)], secondOrder: false) { b, x in try b.emit(.reduceMin(axes: [0, 2]), x) },
    DerivativeCase(name: "broadcast-new-axis", types: [f64(3)]) { b, x in try b.emit(.broadcastInDim(shape: dims(2, 3), dims: [1]), x) },
    DerivativeCase(name: "broadcast-unit-axis", types: [f64(3, 1)]) { b, x in try b.emit(.broadcastInDim(shape: dims(3, 4), dims: [0, 1]), x) },
    DerivativeCase(name: "broadcast-scalar", types: [f64()]) { b, x in try b.emit(.broadcastInDim(shape: dims(2, 2), dims: []), x) },
    DerivativeCase(name: "reshape", types: [f64(2, 3)]) { b, x in try b.emit(.reshape(dims(3, 1, 2)), x) },
    DerivativeCase(name: "rev", types: [f64(2, 3, 4)]) { b, x in try b.emit(.rev(dimensions: [0, 2]), x) },
    DerivativeCase(name: "cumsum", types: [f64(3, 4)]) { b, x in try b.emit(.cumulative(.sum, axis: 1, reverse: false), x) },
    DerivativeCase(name: "cumsum-reverse", types: [f64(3, 4)]) { b, x in try b.emit(.cumulative(.sum, axis: 0, reverse: true), x) },
    DerivativeCase(name: "cumlogsumexp", types: [f64(3, 4)]) { b, x in try b.emit(.cumulative(.logsumexp, axis: 1, reverse: false), x) },
    DerivativeCase(name: "cummax", types: [f64(3, 4)], secondOrder: false) { b, x in try b.emit(.cumulative(.max, axis: 0, reverse: false), x) },
    DerivativeCase(name: "cummin-reverse", types: [f64(3, 4)], secondOrder: false) { b, x in try b.emit(.cumulative(.min, axis: 1, reverse: true), x) },
    DerivativeCase(name: "cumprod", types: [f64(3, 4)]) { b, x in try b.emit(.cumulative(.prod, axis: 1, reverse: false), x) },
    DerivativeCase(name: "cumprod-reverse", types: [f64(3, 4)]) { b, x in try b.emit(.cumulative(.prod, axis: 0, reverse: true), x) },
    // Zeros: one in the first line, two in the second (every derivative past both is 0, those between are not).
    DerivativeCase(name: "cumprod-zeros", types: [f64(3, 4)], zeros: [1, 5, 7]) { b, x in
        try b.emit(.cumulative(.prod, axis: 1, reverse: false), x)
    },
    DerivativeCase(name: "cumprod-zeros-reverse", types: [f64(3, 4)], zeros: [1, 5, 7]) { b, x in
        try b.emit(.cumulative(.prod, axis: 1, reverse: true), x)
    },
    DerivativeCase(name: "reduce_prod-zeros", types: [f64(2, 3)], zeros: [0, 4, 5]) { b, x in try b.emit(.reduceProd(axes: [1]), x) },
    // Indices computed in the program (the table's operands are floats), with repeats: their cotangents add up.
    DerivativeCase(name: "take", types: [f64(3, 2)]) { b, x in
        let i = try b.emit(.iota(.i32, shape: dims(5), dimension: 0), [])
        let idx = try b.emit(.binary(.rem), [b.emit(.binary(.mul), [i, .lit(2, .i32)]), .lit(3, .i32)])  // 0 2 1 0 2
        return try b.emit(.gather(axis: 0, along: false), [x[0], idx])
    },
    DerivativeCase(name: "take_along_axis", types: [f64(3, 4)]) { b, x in
        let r = try b.emit(.iota(.i32, shape: dims(3, 5), dimension: 0), []), c = try b.emit(.iota(.i32, shape: dims(3, 5), dimension: 1), [])
        let idx = try b.emit(.binary(.rem), [b.emit(.binary(.add), [b.emit(.binary(.mul), [c, .lit(3, .i32)]), r]), .lit(4, .i32)])
        return try b.emit(.gather(axis: 1, along: true), [x[0], idx])
    },
    DerivativeCase(name: "transpose", types: [f64(2, 3, 4)]) { b, x in try b.emit(.transpose([2, 0, 1]), x) },
    DerivativeCase(name: "slice", types: [f64(5, 6)]) { b, x in try b.emit(.slice(start: [1, 2], limit: dims(4, 6), strides: [1, 1]), x) },
    DerivativeCase(name: "slice-strided", types: [f64(5, 7)]) { b, x in try b.emit(.slice(start: [1, 0], limit: dims(5, 7), strides: [2, 3]), x) },
    DerivativeCase(name: "pad", types: [f64(3, 2), f64()]) { b, x in try b.emit(.pad(low: [1, 0], high: [2, 1], interior: [1, 0]), x) },
    DerivativeCase(name: "pad-negative", types: [f64(4, 3), f64()]) { b, x in try b.emit(.pad(low: [-1, 2], high: [1, -2], interior: [1, 2]), x) },
    DerivativeCase(name: "pad-literal-value", types: [f64(3)]) { b, x in try b.emit(.pad(low: [1], high: [1], interior: [0]), [x[0], lit(2)]) },
    DerivativeCase(name: "concatenate", types: [f64(2, 1), f64(2, 3), f64(2, 2)]) { b, x in try b.emit(.concatenate(axis: 1), x) },
    DerivativeCase(name: "dot-matmul", types: [f64(2, 3), f64(3, 4)]) { b, x in
        try b.emit(.dotGeneral(DotDims(lhsContract: [1], rhsContract: [0])), x)
    },
    DerivativeCase(name: "dot-vector", types: [f64(3), f64(3)]) { b, x in
        try b.emit(.dotGeneral(DotDims(lhsContract: [0], rhsContract: [0])), x)
    },
    DerivativeCase(name: "dot-outer", types: [f64(2), f64(3)]) { b, x in
        try b.emit(.dotGeneral(DotDims(lhsContract: [], rhsContract: [])), x)
    },
    DerivativeCase(name: "dot-batched-odd-axes", types: [f64(3, 2, 4), f64(4, 3, 2)]) { b, x in
        try b.emit(.dotGeneral(DotDims(lhsContract: [0], rhsContract: [1], lhsBatch: [1], rhsBatch: [2])), x)
    },
    DerivativeCase(name: "dot-two-contractions", types: [f64(2, 3, 4), f64(4, 5, 2)]) { b, x in
        try b.emit(.dotGeneral(DotDims(lhsContract: [2, 0], rhsContract: [0, 2])), x)
    },
    DerivativeCase(name: "iota-times-x", types: [f64(2, 3)]) { b, x in
        try b.emit(.binary(.mul), [x[0], b.emit(.iota(.f64, shape: dims(2, 3), dimension: 1), [])])
    },
    DerivativeCase(name: "reused-variable", types: [f64(3)]) { b, x in
        let s = try b.emit(.unary(.sin), x)
        return try b.emit(.binary(.mul), [s, b.emit(.binary(.add), [s, x[0]])])
    },
    // Size variables.
    DerivativeCase(name: "sym-reduce_sum", types: [f64("n", 3)], sizes: ["n": 4]) { b, x in
        let t = try b.emit(.unary(.tanh), x)
        return try b.emit(.reduceSum(axes: [0]), [t])
    },
    DerivativeCase(name: "sym-broadcast-dot", types: [f64("n"), f64(3)], sizes: ["n": 4]) { b, x in
        let outer = try b.emit(.dotGeneral(DotDims(lhsContract: [], rhsContract: [])), x)
        let bx = try b.emit(.broadcastInDim(shape: dims("n", 3), dims: [0]), [x[0]])
        return try b.emit(.binary(.mul), [outer, bx])
    },
    DerivativeCase(name: "sym-slice-constant-range", types: [f64("n", 2)], sizes: ["n": 5]) { b, x in
        try b.emit(.slice(start: [1, 0], limit: dims(4, 2), strides: [2, 1]), x)
    },
    DerivativeCase(name: "sym-slice-pad-other-axis", types: [f64(3, "n")], sizes: ["n": 3]) { b, x in
        let s = try b.emit(.slice(start: [1, 0], limit: dims(3, "n"), strides: [1, 1]), x)
        return try b.emit(.pad(low: [1, 0], high: [0, 0], interior: [0, 0]), [s, lit(0.5)])
    },
    DerivativeCase(name: "sym-reduce_max", types: [f64("n", 2)], sizes: ["n": 3], secondOrder: false) { b, x in
        try b.emit(.reduceMax(axes: [0]), x)
    },
    DerivativeCase(name: "sym-reshape-transpose", types: [f64("n", 2, 3)], sizes: ["n": 2]) { b, x in
        let r = try b.emit(.reshape(dims("n", 6)), x)
        return try b.emit(.transpose([1, 0]), [r])
    },
]

extension Atom {
    /// `convert_element_type` to f64 (a bool as 0/1).
    func asF64(_ b: Builder) throws -> Atom { try b.emit(.convert(.f64), [self]) }
}

/// The primitives every derivative table must exercise (a guard against a primitive without a tested rule).
let differentiablePrimitiveNames: [String] = UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue)
    + ["integer_pow", "convert_element_type", "select_n", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod",
       "broadcast_in_dim", "reshape", "transpose", "slice", "pad", "concatenate", "dot_general", "iota", "rev"]
    + CumulativeKind.allCases.map(\.rawValue) + ["take", "take_along_axis"]

extension SeededUniform {
    /// A case's operands: uniform in its range, then its `zeros` set.
    mutating func operands(_ c: DerivativeCase) -> [Tensor] {
        var xs = c.types.map { tensor($0, c.range.0, c.range.1, sizes: c.sizes) }
        if !c.zeros.isEmpty {
            var d = xs[0].doubles
            for k in c.zeros { d[k] = 0 }
            xs[0] = Tensor(xs[0].dtype, shape: xs[0].shape, doubles: d)
        }
        return xs
    }
}
