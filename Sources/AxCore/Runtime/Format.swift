// NumPy-style printing of tensors: what `str(array)` prints with NumPy's default print options
// (precision 8, threshold 1000, edgeitems 3, linewidth 75), including summarization and line wrapping.
import Foundation

/// Formats `t` exactly like NumPy's `str(array)`: `[1.  2.5]`, nested brackets for higher ranks,
/// `2.5` for a scalar, `True`/`False` for bools, and `...` past 1000 elements (3 edge items per axis).
public func formatTensor(_ t: Tensor) -> String {
    if t.shape.isEmpty, t.count == 1 { return formatScalar(t, 0) }
    if t.count == 0 || t.count != t.shape.reduce(1, *) { return "[]" }
    let summarize = t.count > 1000
    let shown = shownIndices(t.shape, summarize: summarize)
    let element = elementFormatter(t, shown)
    return formatArray(t.shape, summarize: summarize, lineWidth: 75, element)
}

// MARK: - Layout (numpy's _formatArray)

let edgeItems = 3

/// Flat indices of the elements numpy displays (all, or the 3 leading and trailing items of each long axis).
func shownIndices(_ shape: [Int], summarize: Bool) -> [Int] {
    let strides = Tensor.strides(shape)
    var out: [Int] = []
    func rec(_ axis: Int, _ base: Int) {
        if axis == shape.count { out.append(base); return }
        let n = shape[axis]
        let idx = summarize && n > 2 * edgeItems ? Array(0..<edgeItems) + Array((n - edgeItems)..<n) : Array(0..<n)
        for i in idx { rec(axis + 1, base + i * strides[axis]) }
    }
    rec(0, 0)
    return out
}

/// Lays out the elements with brackets, separators, summarization and wrapping at `lineWidth`.
func formatArray(_ shape: [Int], summarize: Bool, lineWidth: Int, _ element: (Int) -> String) -> String {
    let strides = Tensor.strides(shape)
    let separator = " "
    func extendLine(_ s: inout String, _ line: inout String, _ word: String, _ width: Int, _ prefix: String) {
        var needsWrap = line.count + word.count > width
        if line.count <= prefix.count { needsWrap = false }
        if needsWrap {
            while line.last == " " { line.removeLast() }
            s += line + "\n"
            line = prefix
        }
        line += word
    }
    func rec(_ axis: Int, _ base: Int, _ hangingIndent: String, _ currWidth: Int) -> String {
        let axesLeft = shape.count - axis
        if axesLeft == 0 { return element(base) }
        let nextIndent = hangingIndent + " "
        let nextWidth = currWidth - 1
        let n = shape[axis]
        let showSummary = summarize && 2 * edgeItems < n
        let leading = showSummary ? edgeItems : 0
        let trailing = showSummary ? edgeItems : n
        func child(_ i: Int) -> String { rec(axis + 1, base + i * strides[axis], nextIndent, nextWidth) }
        var s = ""
        if axesLeft == 1 {
            let elemWidth = currWidth - 1  // max(len(separator.rstrip()), len(']'))
            var line = hangingIndent
            for i in 0..<leading {
                extendLine(&s, &line, child(i), elemWidth, hangingIndent)
                line += separator
            }
            if showSummary {
                extendLine(&s, &line, "...", elemWidth, hangingIndent)
                line += separator
            }
            if trailing > 1 {
                for i in stride(from: trailing, to: 1, by: -1) {
                    extendLine(&s, &line, child(n - i), elemWidth, hangingIndent)
                    line += separator
                }
            }
            extendLine(&s, &line, child(n - 1), elemWidth, hangingIndent)
            s += line
        } else {
            let lineSep = String(repeating: "\n", count: axesLeft - 1)
            for i in 0..<leading { s += hangingIndent + child(i) + lineSep }
            if showSummary { s += hangingIndent + "..." + lineSep }
            if trailing > 1 {
                for i in stride(from: trailing, to: 1, by: -1) { s += hangingIndent + child(n - i) + lineSep }
            }
            s += hangingIndent + child(n - 1)
        }
        return "[" + String(s.dropFirst(hangingIndent.count)) + "]"
    }
    return rec(0, 0, " ", lineWidth)
}

// MARK: - Elements

/// The per-element formatter numpy would pick for the displayed elements `shown` of `t`.
func elementFormatter(_ t: Tensor, _ shown: [Int]) -> (Int) -> String {
    switch t.storage {
    case .bool(let a):
        return { a[$0] ? " True" : "False" }
    case .i32(let a):
        let width = shown.map { String(a[$0]).count }.max() ?? 0
        return { leftPadded(String(a[$0]), width) }
    case .f32(let a):
        let f = FloatFormat(shown.map { Double(a[$0]) }, isF32: true)
        return { f.format(Double(a[$0]), shortestDigits(a[$0].description)) }
    case .f64(let a):
        let f = FloatFormat(shown.map { a[$0] }, isF32: false)
        return { f.format(a[$0], shortestDigits(a[$0].description)) }
    }
}

func leftPadded(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

/// A float's shortest round-trip decimal digits: value = 0.d1d2d3… × 10^point (digits empty for zero).
struct Digits {
    var negative: Bool
    var digits: [Character]
    var point: Int
}

/// Parses Swift's shortest round-trip `description` ("1.2345679", "1e-05", "-0.0") into digits.
func shortestDigits(_ text: String) -> Digits {
    var s = Substring(text)
    let negative = s.first == "-"
    if negative { s = s.dropFirst() }
    var exp = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp = Int(s[s.index(after: e)...]) ?? 0
        s = s[..<e]
    }
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = parts.first.map(Array.init) ?? [], fracPart = parts.count > 1 ? Array(parts[1]) : []
    var digits = intPart + fracPart
    var point = intPart.count + exp
    while digits.first == "0" { digits.removeFirst(); point -= 1 }
    while digits.last == "0" { digits.removeLast() }
    if digits.isEmpty { point = 1 }
    return Digits(negative: negative, digits: digits, point: point)
}
func shortestDigits(_ x: Double) -> Digits { shortestDigits(x.description) }

/// Digits of `x` rounded to `frac` fractional digits (positional) from its exact binary value.
func roundedPositional(_ x: Double, _ frac: Int) -> Digits {
    shortestDigits(String(format: "%.\(frac)f", x))
}

/// Digits of `x` rounded to `frac` mantissa fraction digits (scientific) from its exact binary value.
func roundedScientific(_ x: Double, _ frac: Int) -> Digits {
    shortestDigits(String(format: "%.\(frac)e", x))
}

/// `int.frac` strings of positional digits, with at most `precision` fraction digits (rounding the exact value).
func positionalParts(_ x: Double, _ d0: Digits, precision: Int) -> (String, String) {
    var d = d0
    if d.digits.count - d.point > precision { d = roundedPositional(x, precision); d.negative = d0.negative }
    let sign = d.negative ? "-" : ""
    var intPart = "", frac = ""
    if d.point <= 0 {
        intPart = "0"
        frac = String(repeating: "0", count: -d.point) + String(d.digits)
    } else {
        let k = min(d.point, d.digits.count)
        intPart = String(d.digits[0..<k]) + String(repeating: "0", count: d.point - k)
        frac = String(d.digits[k...])
        if intPart.isEmpty { intPart = "0" }
    }
    return (sign + intPart, frac)
}

/// Mantissa digits and exponent in scientific notation, with at most `precision` fraction digits.
func scientificParts(_ x: Double, _ d0: Digits, precision: Int) -> (String, String, Int) {
    var d = d0
    if d.digits.count - 1 > precision { d = roundedScientific(x, precision); d.negative = d0.negative }
    let sign = d.negative ? "-" : ""
    if d.digits.isEmpty { return (sign + "0", "", 0) }
    return (sign + String(d.digits[0]), String(d.digits.dropFirst()), d.point - 1)
}

func exponentText(_ e: Int, minDigits: Int) -> String {
    let digits = String(abs(e))
    return (e < 0 ? "-" : "+") + String(repeating: "0", count: max(0, minDigits - digits.count)) + digits
}

/// numpy's FloatingFormat in its default 'maxprec' mode, fitted to the displayed values.
struct FloatFormat {
    let precision = 8
    var expFormat = false
    var padLeft = 0, padRight = 0
    var sciPrecision = 0, expSize = 2

    init(_ values: [Double], isF32: Bool) {
        let finite = values.filter(\.isFinite)
        let nonZero = finite.filter { $0 != 0 }.map(Swift.abs)
        if let maxVal = nonZero.max(), let minVal = nonZero.min() {
            if maxVal >= 1e8 || minVal < 0.0001 || maxVal / minVal > 1000 { expFormat = true }
        }
        // Shortest digits of each finite value at the dtype's precision.
        let ds = finite.map { x in isF32 ? shortestDigits(Float(x).description) : shortestDigits(x) }
        if finite.isEmpty {
            padLeft = 0; padRight = 0
        } else if expFormat {
            let parts = zip(finite, ds).map { scientificParts($0, $1, precision: precision) }
            expSize = max(2, parts.map { String(abs($0.2)).count }.max() ?? 2)
            sciPrecision = parts.map { $0.1.count }.max() ?? 0
            padLeft = parts.map { $0.0.count }.max() ?? 0
            padRight = expSize + 2 + sciPrecision
        } else {
            let parts = zip(finite, ds).map { positionalParts($0, $1, precision: precision) }
            padLeft = parts.map { $0.0.count }.max() ?? 0
            padRight = parts.map { $0.1.count }.max() ?? 0
        }
        if finite.count != values.count {
            let negInf = values.contains { $0 == -.infinity }
            let offset = padRight + 1
            padLeft = max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset)
        }
    }

    func format(_ x: Double, _ d: Digits) -> String {
        if !x.isFinite {
            let s = x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
            return String(repeating: " ", count: max(0, padLeft + padRight + 1 - s.count)) + s
        }
        if expFormat {
            // numpy's min_digits prints further digits of the exact value (not zeros) up to the common precision.
            var r = roundedScientific(x, sciPrecision)
            r.negative = d.negative
            r.digits += Array(repeating: "0", count: max(0, sciPrecision + 1 - r.digits.count))
            let (m, frac, e) = scientificParts(x, r, precision: sciPrecision)
            return leftPadded(m, padLeft) + "." + frac + "e" + exponentText(e, minDigits: expSize)
        }
        let (i, frac) = positionalParts(x, d, precision: precision)
        return leftPadded(i, padLeft) + "." + frac + String(repeating: " ", count: max(0, padRight - frac.count))
    }
}

/// A 0-d tensor as numpy prints its scalar: `2.5`, `1.0`, `1e-05`, `-7`, `True`.
func formatScalar(_ t: Tensor, _ i: Int) -> String {
    switch t.storage {
    case .bool(let a): return a[i] ? "True" : "False"
    case .i32(let a): return String(a[i])
    case .f32(let a): return scalarFloat(Double(a[i]), shortestDigits(a[i].description), upper: 1e6)
    case .f64(let a): return scalarFloat(a[i], shortestDigits(a[i]), upper: 1e16)
    }
}

/// numpy's scalar `str`: positional for 1e-4 <= |x| < `upper` (1e16 for float64, 1e6 for float32) or zero,
/// else scientific without trailing zeros.
func scalarFloat(_ x: Double, _ d: Digits, upper: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    let a = Swift.abs(x)
    if a == 0 || (a >= 1e-4 && a < upper) {
        let (i, frac) = positionalParts(x, d, precision: Int.max)
        return i + "." + (frac.isEmpty ? "0" : frac)
    }
    let (m, frac, e) = scientificParts(x, d, precision: Int.max)
    return m + (frac.isEmpty ? "" : "." + frac) + "e" + exponentText(e, minDigits: 2)
}
