// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0, 3.0; C order): axc's dtypes <f4 <f8 <i4 |b1 exactly,
// other common NumPy dtypes as raw arrays converted at the door (NPYArray.converted, docs/cli.md).
// The writer produces byte-for-byte what `numpy.save` writes for the same array.
import Foundation

/// The dtypes axc reads exactly, as `.npy` descriptors (`--strict-dtypes` accepts only these).
let npySupported = "'<f4' (float32), '<f8' (float64), '<i4' (int32), '|b1' (bool)"

/// The dtypes converted to axc's at the door unless `--strict-dtypes` is given.
let npyConverted = "'<f2' '<i1' '<i2' '<i8' '|u1' '<u2' '<u4' '<u8' (either byte order)"

/// The NumPy dtypes the reader understands: axc's four, and those converted at the door (docs/cli.md).
public enum NPYDType: String, Sendable, CaseIterable {
    case float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }
    /// axc's dtype with the same values, when there is one.
    public var native: DType? {
        switch self {
        case .float32: return .f32
        case .float64: return .f64
        case .int32: return .i32
        case .bool: return .bool
        default: return nil
        }
    }
    /// axc's name for its own dtypes (`f32`), NumPy's for the others (`int64`).
    var shortName: String { native.map { "\($0)" } ?? rawValue }
    var isFloat: Bool { self == .float16 || self == .float32 || self == .float64 }
    var isInteger: Bool { !isFloat && self != .bool }

    /// Parses a descriptor (`<f8`, `|u1`, `?`, `>i4`); nil for anything else. `bigEndian` is the byte order.
    static func parse(_ descr: String) -> (NPYDType, bigEndian: Bool)? {
        if ["?", "|?", "b1", "|b1", "<b1", "=b1", ">b1"].contains(descr) { return (.bool, false) }
        var d = Substring(descr), big = false
        if let c = d.first, "<>=|".contains(c) { big = c == ">"; d = d.dropFirst() }
        let kinds: [String: NPYDType] = ["f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16,
                                         "i4": .int32, "i8": .int64, "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64]
        guard let t = kinds[String(d)] else { return nil }
        if descr.hasPrefix("|") && t.byteSize != 1 { return nil }
        return (t, t.byteSize == 1 ? false : big)
    }
}

/// A `.npy` array as stored: its NumPy dtype, byte order, shape and raw element bytes (C order).
public struct NPYArray: Sendable {
    /// The header's `descr` as written (`<i8`).
    public var descr: String
    /// The element type `descr` names.
    public var dtype: NPYDType
    /// True for big-endian (`>`) elements.
    public var bigEndian: Bool
    /// The shape (C order).
    public var shape: [Int]
    var data: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The raw bits of element `i`, in the machine's order.
    private func bits(_ i: Int) -> UInt64 {
        let n = dtype.byteSize
        var v: UInt64 = 0
        for k in 0..<n {
            let byte = UInt64(data[i * n + (bigEndian ? n - 1 - k : k)])
            v |= byte << (8 * UInt64(k))
        }
        return v
    }

    /// Element `i` as an exact integer (integer dtypes and bool).
    func integer(_ i: Int) -> (Int64, UInt64?) {
        let b = bits(i)
        switch dtype {
        case .int8: return (Int64(Int8(truncatingIfNeeded: b)), nil)
        case .int16: return (Int64(Int16(truncatingIfNeeded: b)), nil)
        case .int32: return (Int64(Int32(truncatingIfNeeded: b)), nil)
        case .int64: return (Int64(bitPattern: b), nil)
        case .uint64: return (0, b)
        default: return (Int64(b), nil)   // uint8/16/32 and bool fit
        }
    }

    /// Element `i` of a float dtype, exactly, as a Double.
    func float(_ i: Int) -> Double {
        let b = bits(i)
        switch dtype {
        case .float16: return Double(halfToFloat(UInt16(truncatingIfNeeded: b)))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: b)))
        default: return Double(bitPattern: b)
        }
    }

    /// The array as a tensor of its own dtype; nil for dtypes axc does not have.
    public var nativeTensor: Tensor? {
        guard let t = dtype.native else { return nil }
        let n = count
        switch t {
        case .f32:
            if !bigEndian {
                return Tensor(shape: shape, storage: .f32(data.withUnsafeBytes { raw in (0..<n).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) } }))
            }
            return Tensor(shape: shape, storage: .f32((0..<n).map { Float(float($0)) }))
        case .f64:
            if !bigEndian {
                return Tensor(shape: shape, storage: .f64(data.withUnsafeBytes { raw in (0..<n).map { Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) } }))
            }
            return Tensor(shape: shape, storage: .f64((0..<n).map { float($0) }))
        case .i32: return Tensor(shape: shape, storage: .i32((0..<n).map { Int32(truncatingIfNeeded: integer($0).0) }))
        case .bool: return Tensor(shape: shape, storage: .bool(data.map { $0 != 0 }))
        }
    }

    /// NumPy's index of flat element `i` (`(1, 2)`).
    func indexText(_ i: Int) -> String {
        var rest = i, idx: [Int] = []
        for d in shape.reversed() { idx.append(d == 0 ? 0 : rest % d); rest = d == 0 ? 0 : rest / d }
        let parts = idx.reversed().map(String.init)
        return "(" + parts.joined(separator: ", ") + (parts.count == 1 ? ",)" : ")")
    }

    /// The array converted to `target` as JAX converts NumPy arrays without x64 (docs/cli.md, "NumPy dtypes"):
    /// float64 rounds to f32 as `astype(np.float32)` does, float16 and narrower integers widen exactly, int64,
    /// uint32 and uint64 must fit in i32. Nil when no conversion applies (a different kind: float to int, ...);
    /// a value out of i32's range is a Diagnostic naming the first offending index.
    public func converted(to target: DType) throws -> Tensor? {
        if dtype.native == target, let t = nativeTensor { return t }
        let n = count
        switch target {
        case .f32 where dtype.isFloat:
            return Tensor(shape: shape, storage: .f32((0..<n).map { Float(float($0)) }))  // round to nearest even, overflow to ±inf
        case .f64 where dtype.isFloat:
            return Tensor(shape: shape, storage: .f64((0..<n).map { float($0) }))
        case .i32 where dtype.isInteger:
            var out = [Int32](repeating: 0, count: n)
            for i in 0..<n {
                let (v, u) = integer(i)
                if let u = u {
                    guard u <= UInt64(Int32.max) else { throw outOfRange(i, String(u)) }
                    out[i] = Int32(u)
                } else {
                    guard let w = Int32(exactly: v) else { throw outOfRange(i, String(v)) }
                    out[i] = w
                }
            }
            return Tensor(shape: shape, storage: .i32(out))
        default:
            return nil
        }
    }

    private func outOfRange(_ i: Int, _ v: String) -> Diagnostic {
        Diagnostic("\(dtype) value \(v) at index \(indexText(i)) is outside i32's range (-2147483648 to 2147483647)")
    }
}

/// An IEEE half-precision bit pattern as a Float (exact).
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let e = Int((h >> 10) & 0x1f), m = Float(h & 0x3ff)
    if e == 0 { return sign * m * 0x1p-24 }
    if e == 31 { return m == 0 ? sign * .infinity : .nan }
    return sign * (1 + m / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
}

/// Reads a `.npy` file into a tensor of one of axc's dtypes; any problem is a `Diagnostic` naming the file.
public func readNPY(path: String) throws -> Tensor {
    try nativeTensor(try readNPYArray(path: path), name: path)
}

/// Parses the bytes of a `.npy` file of one of axc's dtypes; `name` is used in error messages.
public func readNPY(bytes: [UInt8], name: String) throws -> Tensor {
    try nativeTensor(try readNPYArray(bytes: bytes, name: name), name: name)
}

/// `a` as a tensor, or the "unsupported dtype" error for dtypes axc does not have (or a big-endian order).
func nativeTensor(_ a: NPYArray, name: String) throws -> Tensor {
    guard !a.bigEndian, let t = a.nativeTensor else {
        throw Diagnostic("'\(name)': unsupported dtype '\(a.descr)'; supported dtypes are \(npySupported)")
    }
    return t
}

/// Reads a `.npy` file of any dtype the reader understands (`NPYDType`).
public func readNPYArray(path: String) throws -> NPYArray {
    guard let data = FileManager.default.contents(atPath: path) else {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            throw Diagnostic("cannot read '\(path)'\(isDir.boolValue ? ": it is a directory" : "")")
        }
        throw Diagnostic("cannot read '\(path)': no such file")
    }
    return try readNPYArray(bytes: [UInt8](data), name: path)
}

/// Parses the bytes of a `.npy` file of any dtype the reader understands; `name` is used in error messages.
public func readNPYArray(bytes: [UInt8], name: String) throws -> NPYArray {
    func fail(_ msg: String) -> Diagnostic { Diagnostic("'\(name)' is not a valid .npy file: \(msg)") }
    let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
        throw fail("it does not start with the .npy magic string")
    }
    let major = bytes[6], minor = bytes[7]
    let headerLen: Int, headerStart: Int
    switch major {
    case 1:
        headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        headerStart = 10
    case 2, 3:
        guard bytes.count >= 12 else { throw fail("the header is truncated") }
        headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        headerStart = 12
    default:
        throw fail("unsupported format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
    }
    guard minor == 0 else { throw fail("unsupported format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)") }
    guard headerLen <= bytes.count - headerStart else { throw fail("the header is truncated") }
    let headerBytes = bytes[headerStart..<(headerStart + headerLen)]
    let header: String
    if major == 3 {
        guard let s = String(validating: headerBytes, as: UTF8.self) else { throw fail("the header is not valid UTF-8") }
        header = s
    } else {
        header = String(headerBytes.map { Character(Unicode.Scalar($0)) })  // latin-1
    }
    let dict: [String: NPYHeaderValue]
    do {
        var parser = NPYHeaderParser(Array(header.unicodeScalars))
        dict = try parser.parseDict()
    } catch let e as NPYParseError {
        throw fail("the header is not a Python dict literal (\(e.message))")
    }
    guard case .string(let descr)? = dict["descr"] else { throw fail("the header has no 'descr' string") }
    guard case .bool(let fortran)? = dict["fortran_order"] else { throw fail("the header has no 'fortran_order' boolean") }
    guard case .tuple(let shape)? = dict["shape"] else { throw fail("the header has no 'shape' tuple") }
    if fortran {
        throw Diagnostic("'\(name)': Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)")
    }
    guard let (dtype, big) = NPYDType.parse(descr) else {
        throw Diagnostic("'\(name)': unsupported dtype '\(descr)'; supported dtypes are \(npySupported), and (converted) \(npyConverted)")
    }
    for d in shape where d < 0 {
        throw fail("negative dimension in shape \(shapeText(shape))")
    }
    let count: Int
    do { count = try checkedElementCount(shape, dtype.native ?? (dtype.byteSize == 8 ? .f64 : .f32)) } catch let d as Diagnostic { throw Diagnostic("'\(name)': \(d.message)") }
    let dataStart = headerStart + headerLen
    let available = bytes.count - dataStart
    let needed = count * dtype.byteSize
    guard available >= needed else {
        throw Diagnostic("'\(name)': the data is truncated: shape \(shapeText(shape)) of \(dtype.shortName) needs \(needed) bytes, the file has \(available)")
    }
    guard available == needed else {
        throw Diagnostic("'\(name)': \(available - needed) unexpected bytes after the data of shape \(shapeText(shape)) of \(dtype.shortName)")
    }
    return NPYArray(descr: descr, dtype: dtype, bigEndian: big, shape: shape, data: Array(bytes[dataStart..<(dataStart + needed)]))
}

/// The bytes of `t` as a `.npy` file, exactly as `numpy.save` writes them (version 1.0, or 2.0 for huge headers).
public func npyBytes(_ t: Tensor) -> [UInt8] {
    let descr: String
    switch t.dtype { case .f32: descr = "<f4"; case .f64: descr = "<f8"; case .i32: descr = "<i4"; case .bool: descr = "|b1" }
    let shapeRepr = t.shape.isEmpty ? "()" : "(" + t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? ",)" : ")")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeRepr), }"
    // numpy leaves room for the first axis to grow in place.
    if let first = t.shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
    let hlen = header.utf8.count + 1
    var version: UInt8 = 1, prefixLen = 10
    if (hlen + 64 - (10 + hlen) % 64) >= 65536 { version = 2; prefixLen = 12 }
    let padLen = 64 - (prefixLen + hlen) % 64
    let total = hlen + padLen
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    if version == 1 {
        out += [UInt8(total & 0xff), UInt8(total >> 8)]
    } else {
        out += (0..<4).map { UInt8((total >> (8 * $0)) & 0xff) }
    }
    out += Array(header.utf8) + Array(repeating: UInt8(ascii: " "), count: padLen) + [UInt8(ascii: "\n")]
    out.reserveCapacity(out.count + t.count * t.dtype.byteSize)
    func append<T: FixedWidthInteger>(_ a: [T]) {
        #if _endian(big)
        out += a.map { $0.littleEndian }.withUnsafeBytes { Array($0) }
        #else
        a.withUnsafeBytes { out += $0 }
        #endif
    }
    switch t.storage {
    case .f32(let a): append(a.map(\.bitPattern))
    case .f64(let a): append(a.map(\.bitPattern))
    case .i32(let a): append(a)
    case .bool(let a): out += a.map { $0 ? 1 : 0 }
    }
    return out
}

/// Writes `t` to `path` as a `.npy` file.
public func writeNPY(_ t: Tensor, path: String) throws {
    do {
        try Data(npyBytes(t)).write(to: URL(fileURLWithPath: path))
    } catch {
        throw Diagnostic("cannot write '\(path)': \(error.localizedDescription)")
    }
}

// MARK: - The header's Python literal

/// A value in a `.npy` header dict.
enum NPYHeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
    case int(Int)
}

struct NPYParseError: Error { var message: String }

/// A parser for the small Python literal subset `.npy` headers use: `{'key': value, ...}` with
/// string, True/False, int and tuple-of-int values.
struct NPYHeaderParser {
    var s: [Unicode.Scalar]
    var i = 0
    init(_ s: [Unicode.Scalar]) { self.s = s }

    mutating func skipSpace() { while i < s.count, s[i].properties.isWhitespace { i += 1 } }
    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard i < s.count, s[i] == c else { throw NPYParseError(message: "expected '\(c)'") }
        i += 1
    }
    mutating func peek() -> Unicode.Scalar? { skipSpace(); return i < s.count ? s[i] : nil }

    mutating func parseDict() throws -> [String: NPYHeaderValue] {
        try expect("{")
        var out: [String: NPYHeaderValue] = [:]
        while peek() != "}" {
            guard case .string(let key) = try parseValue() else { throw NPYParseError(message: "dict keys must be strings") }
            try expect(":")
            out[key] = try parseValue()
            if peek() == "," { i += 1 } else { break }
        }
        try expect("}")
        skipSpace()
        guard i == s.count else { throw NPYParseError(message: "unexpected text after the dict") }
        return out
    }

    mutating func parseValue() throws -> NPYHeaderValue {
        guard let c = peek() else { throw NPYParseError(message: "unexpected end") }
        if c == "'" || c == "\"" {
            i += 1
            var str = ""
            while i < s.count, s[i] != c { str.unicodeScalars.append(s[i]); i += 1 }
            guard i < s.count else { throw NPYParseError(message: "unterminated string") }
            i += 1
            return .string(str)
        }
        if c == "(" {
            i += 1
            var xs: [Int] = []
            while peek() != ")" {
                guard case .int(let k) = try parseValue() else { throw NPYParseError(message: "shape entries must be integers") }
                xs.append(k)
                if peek() == "," { i += 1 } else { break }
            }
            try expect(")")
            return .tuple(xs)
        }
        if c == "-" || c.properties.numericType != nil {
            var text = ""
            if c == "-" { text = "-"; i += 1 }
            while i < s.count, ("0"..."9").contains(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
            if i < s.count, s[i] == "L" { i += 1 }  // Python 2 long suffix
            guard let k = Int(text) else { throw NPYParseError(message: "integer '\(text)' out of range") }
            return .int(k)
        }
        var word = ""
        while i < s.count, s[i].properties.isAlphabetic { word.unicodeScalars.append(s[i]); i += 1 }
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        default: throw NPYParseError(message: word.isEmpty ? "unexpected '\(c)'" : "unexpected '\(word)'")
        }
    }
}
