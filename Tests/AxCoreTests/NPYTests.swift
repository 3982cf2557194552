// Tests of the `.npy` reader and writer: round trips, files written by numpy (fixtures from
// scripts/gen_primitive_refs.py in Data/npy), byte-exact agreement with numpy.save, and malformed files.
import Foundation
import Testing
@testable import AxCore

@Suite struct NPYTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/npy")
    func fixture(_ name: String) -> String { Self.dir.appendingPathComponent(name).path }
    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.dir.appendingPathComponent(name))) }

    static let samples: [Tensor] = [
        Tensor(shape: [], storage: .f32([2.5])),
        Tensor(shape: [3], storage: .f32([1, -0.0, .nan])),
        Tensor(shape: [2, 3], storage: .f64([1, 2, 3, 4, 5, .infinity])),
        Tensor(shape: [2, 1, 2], storage: .i32([Int32.min, -1, 0, Int32.max])),
        Tensor(shape: [4], storage: .bool([true, false, false, true])),
        Tensor(shape: [0], storage: .f32([])),
        Tensor(shape: [3, 0, 2], storage: .i32([])),
        Tensor(shape: [], storage: .bool([true])),
        Tensor(shape: [1000, 3], storage: .f64((0..<3000).map { Double($0) / 7 })),
    ]

    @Test(arguments: samples) func roundTrip(_ t: Tensor) throws {
        let back = try readNPY(bytes: npyBytes(t), name: "mem.npy")
        #expect(back.shape == t.shape)
        #expect(back.dtype == t.dtype)
        #expect(npyBytes(back) == npyBytes(t))  // bitwise (NaN and -0 included)
        #expect(npyBytes(t).count % 64 == (t.count * t.dtype.byteSize) % 64)  // header is 64-byte aligned
    }

    @Test func roundTripThroughAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("axc-npy-\(UInt32.random(in: 0...UInt32.max)).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = Tensor(shape: [2, 2], storage: .f32([1, 2, 3, 4]))
        try writeNPY(t, path: path)
        #expect(try readNPY(path: path) == t)
    }

    @Test func readsFilesWrittenByNumpy() throws {
        #expect(try readNPY(path: fixture("f64_scalar.npy")) == Tensor(shape: [], storage: .f64([2.5])))
        #expect(try readNPY(path: fixture("i32_3.npy")) == Tensor(shape: [3], storage: .i32([1, -2, Int32.max])))
        #expect(try readNPY(path: fixture("bool_2x2.npy")) == Tensor(shape: [2, 2], storage: .bool([true, false, false, true])))
        #expect(try readNPY(path: fixture("f32_empty.npy")) == Tensor(shape: [0, 4], storage: .f32([])))
        let m = try readNPY(path: fixture("f32_2x3.npy"))
        #expect(m.shape == [2, 3] && m.dtype == .f32)
        #expect(try readNPY(path: fixture("f64_v2.npy")) == readNPY(path: fixture("f64_v2_as_v1.npy")))
        #expect(try readNPY(path: fixture("f32_v3.npy")) == readNPY(path: fixture("f32_v3_as_v1.npy")))
    }

    @Test(arguments: ["f32_2x3.npy", "f64_scalar.npy", "i32_3.npy", "bool_2x2.npy", "f32_empty.npy", "f64_v2_as_v1.npy"])
    func writerMatchesNumpyByteForByte(_ name: String) throws {
        let original = try bytes(name)
        #expect(npyBytes(try readNPY(bytes: original, name: name)) == original)
    }

    /// A version-1.0 file with the given header text (padded like numpy) followed by `data`.
    func file(header: String, data: [UInt8] = [], version: [UInt8] = [1, 0]) -> [UInt8] {
        var h = Array(header.utf8)
        let pad = 64 - (10 + h.count + 1) % 64
        h += Array(repeating: UInt8(ascii: " "), count: pad) + [UInt8(ascii: "\n")]
        return [0x93] + Array("NUMPY".utf8) + version + [UInt8(h.count & 0xff), UInt8(h.count >> 8)] + h + data
    }

    func expectDiagnostic(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let t = try readNPY(bytes: bytes, name: "bad.npy")
            Issue.record("expected a diagnostic containing '\(fragment)', read \(t.dtype)\(t.shape)", sourceLocation: sourceLocation)
        } catch let d as Diagnostic {
            #expect(d.message.contains("bad.npy"), "\(d.message)", sourceLocation: sourceLocation)
            #expect(d.message.contains(fragment), "\(d.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a Diagnostic, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func malformedFilesAreDiagnostics() throws {
        let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
        let two = [UInt8](repeating: 0, count: 8)
        #expect(try readNPY(bytes: file(header: ok, data: two), name: "ok.npy").shape == [2])
        expectDiagnostic([], "magic")
        expectDiagnostic(Array("hello world, not npy".utf8), "magic")
        expectDiagnostic(file(header: ok, data: two, version: [4, 0]), "version 4.0")
        expectDiagnostic(file(header: ok, data: two, version: [1, 1]), "version 1.1")
        expectDiagnostic(file(header: "[1, 2]", data: two), "not a Python dict")
        expectDiagnostic(file(header: "{'descr': '<f4', 'shape': (2,)", data: two), "not a Python dict")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } extra", data: two), "not a Python dict")
        expectDiagnostic(file(header: "{'descr': '<f4', 'shape': (2,), }", data: two), "fortran_order")
        expectDiagnostic(file(header: "{'fortran_order': False, 'shape': (2,), }", data: two), "descr")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, }", data: two), "shape")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'a'), }", data: two), "not a Python dict")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data: two), "negative")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 1099511627776), }"), "too large")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"), "not a Python dict")
        expectDiagnostic(file(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", data: two + two), "'<i8'")
        expectDiagnostic(file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data: two), "truncated")
        expectDiagnostic(file(header: ok, data: two + [1]), "unexpected bytes")
        expectDiagnostic(Array(file(header: ok, data: two).prefix(30)), "header is truncated")
        expectDiagnostic(try bytes("fortran.npy"), "Fortran")
        expectDiagnostic(try bytes("i64.npy"), "unsupported dtype '<i8'")
        expectDiagnostic(try bytes("f32_big_endian.npy"), "unsupported dtype '>f4'")
    }

    @Test func unsupportedDtypeListsTheSupportedOnes() throws {
        do {
            _ = try readNPY(path: fixture("i64.npy"))
            Issue.record("expected a diagnostic")
        } catch let d as Diagnostic {
            #expect(d.message.contains("i64.npy"))
            #expect(d.message.contains("'<f4'") && d.message.contains("'<f8'") && d.message.contains("'<i4'") && d.message.contains("'|b1'"))
        }
    }

    @Test func missingFileIsADiagnostic() {
        #expect(throws: Diagnostic.self) { try readNPY(path: "/nonexistent/dir/x.npy") }
        #expect(throws: Diagnostic.self) { try readNPY(path: NSTemporaryDirectory()) }
        #expect(throws: Diagnostic.self) { try writeNPY(Tensor(scalar: 1, .f32), path: "/nonexistent/dir/x.npy") }
    }

    // MARK: - NumPy dtypes converted at the door (docs/cli.md)

    /// A version-1.0 file of `descr` with raw little-endian element bytes.
    func raw(_ descr: String, _ shape: [Int], _ data: [UInt8]) -> [UInt8] {
        let shp = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        return file(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shp), }", data: data)
    }
    func le<T: FixedWidthInteger>(_ xs: [T]) -> [UInt8] { xs.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } } }

    @Test func float64RoundsToF32LikeAstype() throws {
        // 0.1 rounds to the nearest f32; 1e300 overflows to inf; 2^-150 (half the least f32 subnormal) ties to 0;
        // 1 + 2^-24 ties to even (1); -0 and NaN stay.
        let xs: [Double] = [0.1, 1e300, -1e300, 0x1p-150, 1 + 0x1p-24, 1 + 0x1.8p-24, -0.0, .nan]
        let a = try readNPYArray(bytes: raw("<f8", [8], le(xs.map(\.bitPattern))), name: "x.npy")
        let t = try #require(try a.converted(to: .f32))
        guard case .f32(let v) = t.storage else { Issue.record("not f32"); return }
        #expect(Array(v[0..<6]) == [Float(0.1), .infinity, -.infinity, 0, 1, 1 + 0x1p-23])
        #expect(v[6] == 0 && v[6].sign == .minus && v[7].isNaN)
        // The same file for an f64 leaf is read exactly.
        #expect(try a.converted(to: .f64)?.doubles.prefix(6).elementsEqual(xs.prefix(6)) == true)
    }

    @Test func integersConvertToI32WhenTheyFit() throws {
        let i64 = try readNPYArray(bytes: raw("<i8", [2, 2], le([Int64(1), -2, Int64(Int32.max), Int64(Int32.min)])), name: "x.npy")
        #expect(try i64.converted(to: .i32) == Tensor(shape: [2, 2], storage: .i32([1, -2, Int32.max, Int32.min])))
        #expect(try i64.converted(to: .f32) == nil)   // no conversion across kinds
        let big = try readNPYArray(bytes: raw("<i8", [2, 2], le([Int64(1), 2, 3, 1 << 40])), name: "x.npy")
        #expect(throws: Diagnostic.self) { try big.converted(to: .i32) }
        do { _ = try big.converted(to: .i32) } catch let d as Diagnostic {
            #expect(d.message.contains("1099511627776") && d.message.contains("(1, 1)"), "\(d.message)")
        }
        let u64 = try readNPYArray(bytes: raw("<u8", [1], le([UInt64.max])), name: "x.npy")
        #expect(throws: Diagnostic.self) { try u64.converted(to: .i32) }
        let small: [(String, [UInt8], [Int32])] = [
            ("|i1", [0xff, 0x7f], [-1, 127]), ("|u1", [0xff, 0x01], [255, 1]),
            ("<i2", le([Int16(-300), 300]), [-300, 300]), ("<u2", le([UInt16(65535), 1]), [65535, 1]),
            ("<u4", le([UInt32(7), 8]), [7, 8]), (">i4", [0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe], [256, -2]),
        ]
        for (descr, data, want) in small {
            let a = try readNPYArray(bytes: raw(descr, [2], data), name: "x.npy")
            #expect(try a.converted(to: .i32) == Tensor(shape: [2], storage: .i32(want)), "\(descr)")
        }
        let u4 = try readNPYArray(bytes: raw("<u4", [1], le([UInt32(1) << 31])), name: "x.npy")
        #expect(throws: Diagnostic.self) { try u4.converted(to: .i32) }
    }

    @Test func float16WidensExactly() throws {
        // 1, 0.1 (as half: 0.0999755859375), 65504 (largest half), -inf, the least subnormal 2^-24
        let a = try readNPYArray(bytes: raw("<f2", [5], le([UInt16(0x3c00), 0x2e66, 0x7bff, 0xfc00, 0x0001])), name: "x.npy")
        #expect(try a.converted(to: .f32) == Tensor(shape: [5], storage: .f32([1, 0.0999755859375, 65504, -.infinity, 0x1p-24])))
        #expect(try a.converted(to: .i32) == nil)
        let big = try readNPYArray(bytes: raw(">f4", [1], [0x3f, 0x80, 0, 0]), name: "x.npy")
        #expect(try big.converted(to: .f32) == Tensor(shape: [1], storage: .f32([1])))
        // readNPY stays exact: only axc's own little-endian dtypes.
        expectDiagnostic(raw("<f2", [1], [0, 0x3c]), "unsupported dtype '<f2'")
        expectDiagnostic(raw("<c8", [1], [0, 0, 0, 0, 0, 0, 0, 0]), "unsupported dtype '<c8'")
    }
}
