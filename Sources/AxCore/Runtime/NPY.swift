// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0, 3.0; dtypes <f4 <f8 <i4 |b1; C order).
// The writer produces byte-for-byte what `numpy.save` writes for the same array.
import Foundation

/// The dtypes axc reads, as `.npy` descriptors.
let npySupported = "'<f4' (float32), '<f8' (float64), '<i4' (int32), '|b1' (bool)"

/// Reads a `.npy` file into a tensor; any problem is a `Diagnostic` naming the file.
public func readNPY(path: String) throws -> Tensor {
    guard let data = FileManager.default.contents(atPath: path) else {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            throw Diagnostic("cannot read '\(path)'\(isDir.boolValue ? ": it is a directory" : "")")
        }
        throw Diagnostic("cannot read '\(path)': no such file")
    }
    return try readNPY(bytes: [UInt8](data), name: path)
}

/// Parses the bytes of a `.npy` file; `name` is used in error messages.
public func readNPY(bytes: [UInt8], name: String) throws -> Tensor {
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
    let dtype: DType
    switch descr {
    case "<f4", "=f4": dtype = .f32
    case "<f8", "=f8": dtype = .f64
    case "<i4", "=i4": dtype = .i32
    case "|b1", "<b1", "=b1", "b1", "?", "|?": dtype = .bool
    default:
        throw Diagnostic("'\(name)': unsupported dtype '\(descr)'; supported dtypes are \(npySupported)")
    }
    for d in shape where d < 0 {
        throw fail("negative dimension in shape \(shapeText(shape))")
    }
    let count: Int
    do { count = try checkedElementCount(shape, dtype) } catch let d as Diagnostic { throw Diagnostic("'\(name)': \(d.message)") }
    let dataStart = headerStart + headerLen
    let available = bytes.count - dataStart
    let needed = count * dtype.byteSize
    guard available >= needed else {
        throw Diagnostic("'\(name)': the data is truncated: shape \(shapeText(shape)) of \(dtype) needs \(needed) bytes, the file has \(available)")
    }
    guard available == needed else {
        throw Diagnostic("'\(name)': \(available - needed) unexpected bytes after the data of shape \(shapeText(shape)) of \(dtype)")
    }
    let storage: Storage = bytes.withUnsafeBytes { raw in
        let src = UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + needed)])
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            makeArray(count) { out in
                UnsafeMutableRawPointer(out).copyMemory(from: src.baseAddress!, byteCount: needed)
                #if _endian(big)
                for i in 0..<count { out[i] = T(littleEndian: out[i]) }
                #endif
            }
        }
        switch dtype {
        case .f32: return .f32(load(UInt32.self).map { Float(bitPattern: $0) })
        case .f64: return .f64(load(UInt64.self).map { Double(bitPattern: $0) })
        case .i32: return .i32(load(Int32.self))
        case .bool: return .bool(src.map { $0 != 0 })
        }
    }
    return Tensor(shape: shape, storage: storage)
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
