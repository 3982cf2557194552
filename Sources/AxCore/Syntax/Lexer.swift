// The tokenizer of `.ax` files (docs/language.md): Python-style NEWLINE/INDENT/DEDENT, numbers, strings, operators.
// It scans the whole file up front; a lexical error ends the token list with an `.error` token, which the
// parser reports when it reaches it (so the first error in file order wins).

/// One token with its source range.
struct Token {
    enum Kind: Equatable {
        case name, keyword, int, float, string, op, newline, indent, dedent, eof, error
    }
    var kind: Kind
    /// The spelling of names, keywords and operators; the decoded contents of strings.
    var text: String
    var range: SourceRange
    var intValue: Int = 0
    var floatValue: Double = 0
    /// The lexical error of an `.error` token.
    var diagnostic: Diagnostic? = nil

    init(_ kind: Kind, _ text: String, _ range: SourceRange) {
        self.kind = kind; self.text = text; self.range = range
    }

    /// A short description for error messages: `name 'x'`, `'+'`, `end of line`.
    var describe: String {
        switch kind {
        case .name: return "name '\(text)'"
        case .keyword, .op: return "'\(text)'"
        case .int, .float: return "number '\(text)'"
        case .string: return "string"
        case .newline: return "end of line"
        case .indent: return "indent"
        case .dedent: return "unindent"
        case .eof: return "end of file"
        case .error: return "invalid text"
        }
    }
}

/// The reserved words of the language.
let axKeywords: Set<String> = ["def", "return", "if", "elif", "else", "for", "in", "and", "or", "not",
                               "True", "False", "None", "pass"]

/// Turns source text into tokens.
struct Lexer {
    private let bytes: [UInt8]
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    private var atLineStart = true
    private var indents: [Int] = [0]
    private var brackets: [(byte: UInt8, range: SourceRange)] = []
    private(set) var tokens: [Token] = []

    private init(_ text: String) { bytes = Array(text.utf8) }

    /// All tokens of `file`, ending with `.eof` or with an `.error` token.
    static func tokenize(_ file: SourceFile) -> [Token] {
        var lexer = Lexer(file.text)
        do {
            try lexer.scan()
        } catch let d as Diagnostic {
            var t = Token(.error, "", lexer.here(0))
            t.diagnostic = d
            lexer.tokens.append(t)
        } catch {
            var t = Token(.error, "", lexer.here(0))
            t.diagnostic = Diagnostic("\(error)", at: lexer.here(0))
            lexer.tokens.append(t)
        }
        return lexer.tokens
    }

    // MARK: positions

    private func loc(_ offset: Int) -> SourceLoc {
        SourceLoc(line: line, column: offset - lineStart + 1, offset: offset)
    }
    /// The range of `count` bytes starting at the current position (on the current line).
    private func here(_ count: Int) -> SourceRange { SourceRange(loc(pos), loc(pos + count)) }
    private func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func emit(_ kind: Token.Kind, _ text: String, from start: Int) {
        tokens.append(Token(kind, text, SourceRange(loc(start), loc(pos))))
    }

    /// Moves past a `\n` at `pos`, starting a new line.
    private mutating func newLine() {
        pos += 1
        line += 1
        lineStart = pos
    }

    // MARK: scanning

    private mutating func scan() throws {
        // A UTF-8 byte order mark at the very start is ignored.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { pos = 3 }
        while pos < bytes.count {
            if atLineStart {
                if try !startLine() { continue }
            }
            let c = bytes[pos]
            switch c {
            case UInt8(ascii: " "), 0x0C, UInt8(ascii: "\r"):
                pos += 1
            case UInt8(ascii: "\t"):
                throw Diagnostic("tabs are not allowed; indent with spaces", at: here(1))
            case UInt8(ascii: "\n"):
                if brackets.isEmpty {
                    tokens.append(Token(.newline, "", here(1)))
                    atLineStart = true
                }
                newLine()
            case UInt8(ascii: "#"):
                skipComment()
            case UInt8(ascii: "\\"):
                if byte(pos + 1) == UInt8(ascii: "\n") {
                    pos += 1; newLine()
                } else if byte(pos + 1) == UInt8(ascii: "\r") && byte(pos + 2) == UInt8(ascii: "\n") {
                    pos += 2; newLine()
                } else {
                    throw Diagnostic("unexpected character '\\' (a line continuation must end the line)", at: here(1))
                }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                try scanNumber()
            case UInt8(ascii: "."):
                if let d = byte(pos + 1), isDigit(d) { try scanNumber() } else { pos += 1; emit(.op, ".", from: pos - 1) }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                scanName()
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                try scanString()
            default:
                try scanOperator()
            }
        }
        try finish()
    }

    /// At the start of a physical line outside brackets: measures the indentation, skips blank and
    /// comment-only lines, and emits INDENT/DEDENT. Returns false if the line was consumed (blank).
    private mutating func startLine() throws -> Bool {
        var width = 0
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: " ") { width += 1 }
            else if c == UInt8(ascii: "\t") { throw Diagnostic("tabs are not allowed; indent with spaces", at: here(1)) }
            else if c == UInt8(ascii: "\r") || c == 0x0C {}
            else { break }
            pos += 1
        }
        guard pos < bytes.count else { return false }
        if bytes[pos] == UInt8(ascii: "\n") { newLine(); return false }
        if bytes[pos] == UInt8(ascii: "#") { skipComment(); return false }
        atLineStart = false
        let top = indents[indents.count - 1]
        if width > top {
            indents.append(width)
            tokens.append(Token(.indent, "", here(0)))
        } else if width < top {
            while width < indents[indents.count - 1] {
                indents.removeLast()
                tokens.append(Token(.dedent, "", here(0)))
            }
            if width != indents[indents.count - 1] {
                throw Diagnostic("unindent does not match any outer indentation level", at: here(0))
            }
        }
        return true
    }

    private mutating func skipComment() {
        while pos < bytes.count && bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
    }

    /// At end of input: closes the last line and all open blocks.
    private mutating func finish() throws {
        if let open = brackets.last {
            let s = String(UnicodeScalar(open.byte))
            throw Diagnostic("'\(s)' was never closed", at: open.range)
        }
        if let last = tokens.last, last.kind != .newline, last.kind != .indent, last.kind != .dedent {
            tokens.append(Token(.newline, "", here(0)))
        }
        while indents.count > 1 {
            indents.removeLast()
            tokens.append(Token(.dedent, "", here(0)))
        }
        tokens.append(Token(.eof, "", here(0)))
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private func isNameChar(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_")
    }

    private mutating func scanName() {
        let start = pos
        while pos < bytes.count && isNameChar(bytes[pos]) { pos += 1 }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        emit(axKeywords.contains(text) ? .keyword : .name, text, from: start)
    }

    /// `3`, `1.5`, `.5`, `1.`, `1e-3`, `2.5E+4`.
    private mutating func scanNumber() throws {
        let start = pos
        var isFloat = false
        while let c = byte(pos), isDigit(c) { pos += 1 }
        if byte(pos) == UInt8(ascii: ".") {
            isFloat = true
            pos += 1
            while let c = byte(pos), isDigit(c) { pos += 1 }
        }
        if let e = byte(pos), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var p = pos + 1
            if let s = byte(p), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { p += 1 }
            if let d = byte(p), isDigit(d) {
                isFloat = true
                pos = p
                while let c = byte(pos), isDigit(c) { pos += 1 }
            }
        }
        // Letters, digits or '.' glued to the number (`1x`, `0x1f`, `1e`, `1.2.3`) make it invalid.
        if let c = byte(pos), isNameChar(c) || c == UInt8(ascii: ".") {
            while let c = byte(pos), isNameChar(c) || c == UInt8(ascii: ".") { pos += 1 }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            throw Diagnostic("invalid number literal '\(text)'", at: SourceRange(loc(start), loc(pos)))
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        let range = SourceRange(loc(start), loc(pos))
        if isFloat {
            guard let v = Double(text) else { throw Diagnostic("invalid number literal '\(text)'", at: range) }
            guard v.isFinite else { throw Diagnostic("float literal too large", at: range) }
            var t = Token(.float, text, range)
            t.floatValue = v
            tokens.append(t)
        } else {
            if text.count > 1 && text.first == "0" && text.contains(where: { $0 != "0" }) {
                throw Diagnostic("leading zeros in decimal integer literals are not permitted", at: range)
            }
            var value = 0
            for c in bytes[start..<pos] {
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                if value > Int(Int32.max) {
                    throw Diagnostic("integer literal too large (the maximum is \(Int32.max))", at: range)
                }
            }
            var t = Token(.int, text, range)
            t.intValue = value
            tokens.append(t)
        }
    }

    /// `'...'`, `"..."` and triple-quoted strings, with the common backslash escapes.
    private mutating func scanString() throws {
        let quote = bytes[pos]
        let start = pos
        let startLoc = loc(pos)
        let triple = byte(pos + 1) == quote && byte(pos + 2) == quote
        pos += triple ? 3 : 1
        var value: [UInt8] = []
        let openRange = SourceRange(startLoc, SourceLoc(line: startLoc.line, column: startLoc.column + (triple ? 3 : 1),
                                                        offset: start + (triple ? 3 : 1)))
        while true {
            guard let c = byte(pos) else {
                throw Diagnostic(triple ? "unterminated triple-quoted string literal" : "unterminated string literal",
                                 at: openRange)
            }
            if c == quote {
                if !triple { pos += 1; break }
                if byte(pos + 1) == quote && byte(pos + 2) == quote { pos += 3; break }
                value.append(c); pos += 1
            } else if c == UInt8(ascii: "\n") {
                guard triple else { throw Diagnostic("unterminated string literal", at: openRange) }
                value.append(c); newLine()
            } else if c == UInt8(ascii: "\\") {
                guard let e = byte(pos + 1) else { pos += 1; continue }
                switch e {
                case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n")); pos += 2
                case UInt8(ascii: "t"): value.append(UInt8(ascii: "\t")); pos += 2
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): value.append(e); pos += 2
                case UInt8(ascii: "\n"): pos += 1; newLine()
                default: value.append(c); pos += 1
                }
            } else {
                value.append(c); pos += 1
            }
        }
        tokens.append(Token(.string, String(decoding: value, as: UTF8.self), SourceRange(startLoc, loc(pos))))
    }

    private static let twoCharOps: Set<String> = ["**", "<=", ">=", "==", "!=", "->", "+=", "-=", "*=", "/=", "@=",
                                                  "//", "<<", ">>", "%=", ":="]
    private static let oneCharOps: Set<UInt8> = Set("+-*/@<>=()[]{},:.;%&|^~".utf8)

    private mutating func scanOperator() throws {
        let c = bytes[pos]
        if let d = byte(pos + 1) {
            let two = String(decoding: [c, d], as: UTF8.self)
            if Lexer.twoCharOps.contains(two) {
                pos += 2
                emit(.op, two, from: pos - 2)
                return
            }
        }
        guard Lexer.oneCharOps.contains(c) else { throw unexpectedCharacter() }
        let range = here(1)
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
            brackets.append((c, range))
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            let s = String(UnicodeScalar(c))
            guard let open = brackets.popLast() else { throw Diagnostic("unmatched '\(s)'", at: range) }
            let expected: UInt8 = open.byte == UInt8(ascii: "(") ? UInt8(ascii: ")")
                : open.byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
            if c != expected {
                let o = String(UnicodeScalar(open.byte))
                var msg = "closing bracket '\(s)' does not match opening bracket '\(o)'"
                if open.range.start.line != line { msg += " on line \(open.range.start.line)" }
                throw Diagnostic(msg, at: range)
            }
        default: break
        }
        pos += 1
        tokens.append(Token(.op, String(UnicodeScalar(c)), range))
    }

    /// The error for a byte that starts no token; names the whole UTF-8 character.
    private func unexpectedCharacter() -> Diagnostic {
        let c = bytes[pos]
        var len = 1
        if c >= 0xF0 { len = 4 } else if c >= 0xE0 { len = 3 } else if c >= 0xC0 { len = 2 }
        len = min(len, bytes.count - pos)
        let text = String(decoding: bytes[pos..<(pos + len)], as: UTF8.self)
        let scalar = text.unicodeScalars.first.map { $0.value } ?? UInt32(c)
        let hex = String(scalar, radix: 16, uppercase: true)
        let name = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let what: String
        if scalar >= 0x21 && scalar < 0x7F { what = "'\(text)'" }
        else if scalar == 0xFFFD { what = "\(name) (invalid UTF-8?)" }
        else if scalar > 0x9F && scalar != 0xFEFF { what = "'\(text)' (\(name))" }
        else { what = name }
        return Diagnostic("unexpected character \(what)", at: here(len))
    }
}
