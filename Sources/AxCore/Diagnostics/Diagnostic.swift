// Diagnostics: source locations, located errors, and their `file:line:col: error:` rendering.
// Every user-facing error of the compiler is a `Diagnostic`; compiler bugs are `InternalError`.

/// A position in a source file (1-based line and column, 0-based UTF-8 offset).
public struct SourceLoc: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int
    public init(line: Int, column: Int, offset: Int) {
        self.line = line; self.column = column; self.offset = offset
    }
    public var description: String { "\(line):\(column)" }
}

/// A half-open range of source text.
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var start: SourceLoc
    public var end: SourceLoc
    public init(_ start: SourceLoc, _ end: SourceLoc) { self.start = start; self.end = end }
    /// The range covering both `self` and `other`.
    public func to(_ other: SourceRange) -> SourceRange {
        SourceRange(start.offset <= other.start.offset ? start : other.start,
                    end.offset >= other.end.offset ? end : other.end)
    }
    public var description: String { "\(start)" }
    /// A placeholder for code the compiler made up (transforms of nothing in particular).
    public static let unknown = SourceRange(SourceLoc(line: 0, column: 0, offset: 0), SourceLoc(line: 0, column: 0, offset: 0))
}

/// A located user error (bad program or bad input): rendered as `file:line:col: error: message`.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var range: SourceRange?
    /// Extra `note:` lines, each optionally located.
    public var notes: [(String, SourceRange?)]
    public init(_ message: String, at range: SourceRange? = nil, notes: [(String, SourceRange?)] = []) {
        self.message = message; self.range = range; self.notes = notes
    }
    public var description: String { message }
}

/// A bug in axc itself (exit code 3), never the user's fault.
public struct InternalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "internal error: \(message)" }
}

/// A source file and its lines, for rendering diagnostics.
public struct SourceFile: Sendable {
    public var path: String
    public var text: String
    public let lines: [Substring]
    public init(path: String, text: String) {
        self.path = path; self.text = text
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// Renders `d` as `path:line:col: error: msg`, the source line and a caret, then notes.
    public func render(_ d: Diagnostic) -> String {
        var out = renderOne("error", d.message, d.range)
        for (msg, r) in d.notes { out += renderOne("note", msg, r) }
        return out
    }

    private func renderOne(_ kind: String, _ msg: String, _ range: SourceRange?) -> String {
        guard let r = range, r.start.line >= 1 else { return "\(path): \(kind): \(msg)\n" }
        var out = "\(path):\(r.start.line):\(r.start.column): \(kind): \(msg)\n"
        if r.start.line <= lines.count {
            let line = String(lines[r.start.line - 1])
            out += line + "\n"
            let pad = String(repeating: " ", count: max(0, r.start.column - 1))
            var width = 1
            if r.end.line == r.start.line && r.end.column > r.start.column { width = r.end.column - r.start.column }
            out += pad + "^" + String(repeating: "~", count: max(0, width - 1)) + "\n"
        }
        return out
    }
}
