// The recursive-descent parser of `.ax` files (docs/language.md): tokens from Lexer.swift to the AST of AST.swift.
// Expressions use precedence climbing with Python's precedence; nesting is bounded so that no input can
// overflow the stack, and every error is a `Diagnostic` at the offending token.

/// Parses a whole `.ax` file. Throws the first `Diagnostic` (lexical or syntactic) in file order.
public func parseModule(_ file: SourceFile) throws -> Module {
    var parser = Parser(tokens: Lexer.tokenize(file))
    return Module(file: file, decls: try parser.parseDecls())
}

/// A parsed expression with the height of its tree (to bound the depth of every later recursion).
private struct Parsed {
    var expr: Expr
    var height: Int
    init(_ expr: Expr, _ height: Int) { self.expr = expr; self.height = height }
    var range: SourceRange { expr.range }
}

private struct Parser {
    /// Maximum nesting of parentheses, unary operators and `**` right operands.
    static let maxNesting = 100
    /// Maximum height of an expression tree (long operator chains).
    static let maxHeight = 200
    /// Maximum nesting of indented blocks and of tuple types.
    static let maxBlocks = 100

    private let tokens: [Token]
    private var index = 0
    private var nesting = 0
    private var blockDepth = 0
    private var typeDepth = 0
    /// The end of the last consumed token.
    private var lastEnd: SourceLoc

    init(tokens: [Token]) {
        // The lexer always ends the list with `.eof` or `.error`; guard against an empty list anyway.
        self.tokens = tokens.isEmpty ? [Token(.eof, "", SourceRange(SourceLoc(line: 1, column: 1, offset: 0),
                                                                     SourceLoc(line: 1, column: 1, offset: 0)))] : tokens
        lastEnd = self.tokens[0].range.start
    }

    // MARK: token access

    private var tok: Token { tokens[index] }
    private func peek(_ k: Int) -> Token { tokens[min(index + k, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        lastEnd = t.range.end
        return t
    }

    private func isOp(_ s: String) -> Bool { tok.kind == .op && tok.text == s }
    private func isKeyword(_ s: String) -> Bool { tok.kind == .keyword && tok.text == s }
    private var atLineEnd: Bool { tok.kind == .newline || tok.kind == .eof }

    /// The error to throw: the lexer's error if it comes first, else `message` at `range`.
    private func fail(_ message: String, at range: SourceRange) -> Diagnostic {
        if tok.kind == .error, let d = tok.diagnostic, tok.range.start.offset <= range.start.offset { return d }
        return Diagnostic(message, at: range)
    }
    private func fail(_ message: String) -> Diagnostic { fail(message, at: tok.range) }

    @discardableResult
    private mutating func expectOp(_ s: String, _ message: String) throws -> Token {
        guard isOp(s) else { throw fail(message) }
        return advance()
    }

    private mutating func expectLineEnd() throws {
        if tok.kind == .newline { advance(); return }
        if tok.kind == .eof { return }
        if isOp(";") { throw fail("semicolons are not supported; put each statement on its own line") }
        if isOp("=") { throw fail("chained assignment 'a = b = c' is not supported") }
        if tok.kind == .name || tok.kind == .int || tok.kind == .float || tok.kind == .string {
            throw fail("expected end of line, found \(tok.describe); is an operator or a comma missing?")
        }
        throw fail("expected end of line, found \(tok.describe)")
    }

    private func span(_ start: SourceRange) -> SourceRange { SourceRange(start.start, lastEnd) }

    // MARK: top level

    mutating func parseDecls() throws -> [Decl] {
        var decls: [Decl] = []
        var seen: [String: SourceRange] = [:]
        while tok.kind != .eof {
            let decl: Decl
            if tok.kind == .newline {
                advance(); continue
            } else if isKeyword("def") {
                decl = .function(try parseDef())
            } else if tok.kind == .name && peek(1).kind == .op && peek(1).text == "=" {
                let name = advance()
                advance()
                let value = try parseExprList()
                try expectLineEnd()
                decl = .binding(name: name.text, value: value.expr, range: name.range.to(value.range))
            } else if tok.kind == .string, try skipDocstring() {
                continue
            } else if tok.kind == .indent {
                throw fail("unexpected indent")
            } else {
                throw fail("expected 'def' or a binding 'name = ...' at top level")
            }
            if let previous = seen[decl.name] {
                throw Diagnostic("'\(decl.name)' is already defined", at: decl.range,
                                 notes: [("previous definition of '\(decl.name)' is here", previous)])
            }
            seen[decl.name] = decl.range
            decls.append(decl)
        }
        return decls
    }

    /// A string literal alone on its line (a docstring) is skipped. Returns false (consuming nothing)
    /// if the string starts a longer expression.
    private mutating func skipDocstring() throws -> Bool {
        var k = 0
        while peek(k).kind == .string { k += 1 }
        let after = peek(k).kind
        guard after == .newline || after == .eof else { return false }
        for _ in 0..<k { advance() }
        try expectLineEnd()
        return true
    }

    private mutating func parseDef() throws -> FuncDecl {
        let defToken = advance()
        guard tok.kind == .name else {
            throw fail(tok.kind == .keyword ? "'\(tok.text)' is a keyword and cannot be a function name"
                       : "expected a function name after 'def'")
        }
        let nameToken = advance()
        try expectOp("(", "expected '(' after the function name '\(nameToken.text)'")
        var params: [ParamDecl] = []
        var paramNames: Set<String> = []
        while !isOp(")") {
            guard tok.kind == .name else {
                if isOp("*") || isOp("**") { throw fail("'*' parameters are not supported") }
                if tok.kind == .keyword { throw fail("'\(tok.text)' is a keyword and cannot be a parameter name") }
                throw fail("expected a parameter name or ')'")
            }
            let p = advance()
            guard isOp(":") else {
                throw fail("parameter '\(p.text)' needs a type annotation, e.g. '\(p.text): f32'", at: p.range)
            }
            advance()
            let type = try parseType()
            if isOp("=") { throw fail("default parameter values are not supported") }
            if !paramNames.insert(p.text).inserted {
                throw fail("duplicate parameter '\(p.text)'", at: p.range)
            }
            params.append(ParamDecl(name: p.text, type: type, range: span(p.range)))
            if isOp(",") { advance() } else if !isOp(")") { throw fail("expected ',' or ')' in the parameter list") }
        }
        advance()
        var returnType: TypeExpr? = nil
        if isOp("->") {
            advance()
            returnType = try parseType()
        }
        if isOp("=") { throw fail("expected ':' after the function signature") }
        try expectOp(":", "expected ':' after the function signature")
        let header = span(defToken.range)
        let body = try parseSuite("'def'")
        return FuncDecl(name: nameToken.text, params: params, returnType: returnType, body: body,
                        range: header, nameRange: nameToken.range)
    }

    // MARK: types

    /// `f32`, `f32[n, 5]`, `(f32, f32[3])`, `(f32,)`, `()`.
    private mutating func parseType() throws -> TypeExpr {
        typeDepth += 1
        defer { typeDepth -= 1 }
        if typeDepth > Parser.maxBlocks { throw fail("type nested too deeply") }
        if tok.kind == .name {
            let t = advance()
            guard let dtype = DType(rawValue: t.text) else {
                throw fail("unknown dtype '\(t.text)'; expected f32, f64, i32 or bool", at: t.range)
            }
            var dims: [DimExpr] = []
            if isOp("[") {
                advance()
                while !isOp("]") {
                    if tok.kind == .int {
                        dims.append(.const(advance().intValue))
                    } else if tok.kind == .name {
                        let n = advance()
                        guard n.text.first.map({ $0 == "_" || ($0 >= "a" && $0 <= "z") }) == true,
                              !n.text.contains(where: { $0 >= "A" && $0 <= "Z" }) else {
                            throw fail("a size variable must be a lowercase name like 'n', found '\(n.text)'", at: n.range)
                        }
                        dims.append(.name(n.text))
                    } else if isOp("-") {
                        throw fail("a dimension cannot be negative")
                    } else {
                        throw fail("expected a dimension (an integer or a lowercase size variable like 'n')")
                    }
                    if isOp(",") { advance() } else if !isOp("]") { throw fail("expected ',' or ']' in the shape") }
                }
                if dims.isEmpty {
                    throw fail("empty shape; write '\(t.text)' for a scalar", at: span(t.range))
                }
                advance()
            }
            return .tensor(dtype, dims, span(t.range))
        }
        if isOp("(") {
            let open = advance()
            var items: [TypeExpr] = []
            var sawComma = false
            while !isOp(")") {
                items.append(try parseType())
                if isOp(",") { advance(); sawComma = true } else if !isOp(")") { throw fail("expected ',' or ')' in the tuple type") }
            }
            advance()
            if items.count == 1 && !sawComma { return items[0] }
            return .tuple(items, span(open.range))
        }
        throw fail("expected a type like 'f32', 'f32[n, 3]' or '(f32, f32)'")
    }

    // MARK: statements

    /// The body after a `:`: an indented block, or one simple statement on the same line.
    private mutating func parseSuite(_ owner: String) throws -> [Stmt] {
        guard tok.kind == .newline else {
            if tok.kind == .eof { throw fail("expected an indented block after \(owner)") }
            if tok.kind == .keyword, ["if", "elif", "else", "for", "def"].contains(tok.text) {
                throw fail("'\(tok.text)' must start on its own line")
            }
            return try parseSimpleStatement().map { [$0] } ?? []
        }
        advance()
        guard tok.kind == .indent else { throw fail("expected an indented block after \(owner)") }
        blockDepth += 1
        defer { blockDepth -= 1 }
        if blockDepth > Parser.maxBlocks { throw fail("blocks nested too deeply") }
        advance()
        var body: [Stmt] = []
        while tok.kind != .dedent && tok.kind != .eof {
            if let s = try parseStatement() { body.append(s) }
        }
        if tok.kind == .dedent { advance() }
        return body
    }

    /// One statement of a body; nil for a skipped docstring.
    private mutating func parseStatement() throws -> Stmt? {
        if tok.kind == .keyword {
            switch tok.text {
            case "if": return try parseIf()
            case "for": return try parseFor()
            case "def": throw fail("nested 'def' is not supported; define functions at top level")
            case "elif", "else": throw fail("'\(tok.text)' without a matching 'if'")
            default: break
            }
        }
        if tok.kind == .indent { throw fail("unexpected indent") }
        if tok.kind == .newline { advance(); return nil }
        return try parseSimpleStatement()
    }

    private static let unsupportedStatements: Set<String> = [
        "while", "class", "import", "from", "with", "try", "except", "finally", "break", "continue", "yield",
        "global", "nonlocal", "del", "assert", "raise", "lambda", "async", "await", "match",
    ]

    /// `return e`, `pass`, `x = e`, `a, (b, c) = e`; nil for a docstring.
    private mutating func parseSimpleStatement() throws -> Stmt? {
        if isKeyword("return") {
            let r = advance()
            if atLineEnd { throw fail("'return' needs a value", at: r.range) }
            let value = try parseExprList()
            try expectLineEnd()
            return .ret(value.expr, r.range.to(value.range))
        }
        if isKeyword("pass") {
            let p = advance()
            try expectLineEnd()
            return .pass(p.range)
        }
        if tok.kind == .name, Parser.unsupportedStatements.contains(tok.text) {
            let next = peek(1)
            if [.name, .int, .float, .string, .newline, .eof].contains(next.kind) || (next.kind == .op && next.text == ":") {
                throw fail("'\(tok.text)' is not supported in .ax files")
            }
        }
        if tok.kind == .string, try skipDocstring() { return nil }
        let lhs = try parseExprList()
        if isOp("=") {
            let target = try toTarget(lhs.expr)
            advance()
            let value = try parseExprList()
            try expectLineEnd()
            return .assign(target, value.expr, lhs.range.to(value.range))
        }
        if tok.kind == .op, ["+=", "-=", "*=", "/=", "@=", "%="].contains(tok.text) {
            throw fail("augmented assignment '\(tok.text)' is not supported: values are immutable; write 'x = x \(tok.text.dropLast()) ...'")
        }
        if atLineEnd {
            throw fail("expression statement has no effect; assign it or return it", at: lhs.range)
        }
        try expectLineEnd()
        return nil
    }

    /// Converts the left side of `=` to a target.
    private func toTarget(_ e: Expr) throws -> Target {
        switch e.kind {
        case .name(let n):
            return .name(n, e.range)
        case .tuple(let items):
            if items.isEmpty { throw fail("cannot assign to an empty tuple", at: e.range) }
            return .tuple(try items.map(toTarget), e.range)
        case .index:
            throw fail("values are immutable: cannot assign to an element; compute a new value and bind it to a name",
                       at: e.range)
        case .attribute:
            throw fail("values are immutable: cannot assign to an attribute", at: e.range)
        case .call:
            throw fail("cannot assign to a function call; did you mean '=='?", at: e.range)
        case .int, .float, .bool, .string, .none:
            throw fail("cannot assign to a literal", at: e.range)
        case .unary, .binary, .conditional:
            throw fail("cannot assign to an expression; the left side of '=' must be a name or a tuple of names",
                       at: e.range)
        }
    }

    private mutating func parseIf() throws -> Stmt {
        let ifToken = advance()
        var branches: [(cond: Expr, body: [Stmt])] = []
        let cond = try parseExpr()
        try expectConditionColon("'if'")
        let header = span(ifToken.range)
        branches.append((cond.expr, try parseSuite("'if'")))
        while isKeyword("elif") {
            advance()
            let c = try parseExpr()
            try expectConditionColon("'elif'")
            branches.append((c.expr, try parseSuite("'elif'")))
        }
        var orelse: [Stmt]? = nil
        if isKeyword("else") {
            advance()
            try expectOp(":", "expected ':' after 'else'")
            orelse = try parseSuite("'else'")
        }
        return .ifStmt(branches: branches, orelse: orelse, header)
    }

    private mutating func expectConditionColon(_ owner: String) throws {
        if isOp("=") { throw fail("expected ':' after the \(owner) condition; use '==' to compare") }
        try expectOp(":", "expected ':' after the \(owner) condition")
    }

    /// `for i in range(K):` — the only loop form.
    private mutating func parseFor() throws -> Stmt {
        let forToken = advance()
        guard tok.kind == .name else { throw fail("expected a loop variable name after 'for'") }
        let variable = advance()
        if isOp(",") { throw fail("the loop variable must be a single name", at: variable.range) }
        guard isKeyword("in") else { throw fail("expected 'in' after the loop variable") }
        advance()
        let iterable = try parseExpr()
        guard case .call(let callee, let args, let kwargs) = iterable.expr.kind,
              case .name("range") = callee.kind else {
            throw fail("a 'for' loop must iterate over 'range(K)' with a compile-time count K", at: iterable.range)
        }
        guard args.count == 1 && kwargs.isEmpty else {
            throw fail("'range' takes exactly one argument here: 'for i in range(K)'", at: iterable.range)
        }
        try expectOp(":", "expected ':' after 'for \(variable.text) in range(...)'")
        let header = span(forToken.range)
        let body = try parseSuite("'for'")
        return .forStmt(variable: variable.text, count: args[0], body: body, header)
    }

    // MARK: expressions

    /// Whether the current token can start an expression.
    private var startsExpr: Bool {
        switch tok.kind {
        case .name, .int, .float, .string: return true
        case .keyword: return ["True", "False", "None", "not"].contains(tok.text)
        case .op: return ["(", "[", "{", "-", "+"].contains(tok.text)
        default: return false
        }
    }

    private func checkHeight(_ h: Int, at range: SourceRange) throws {
        if h > Parser.maxHeight { throw fail("expression nested too deeply; split it into several assignments", at: range) }
    }

    /// `e` or a bare tuple `a, b` (allowed in return values, assignments and targets).
    private mutating func parseExprList() throws -> Parsed {
        let first = try parseExpr()
        guard isOp(",") else { return first }
        var items = [first.expr]
        var height = first.height
        while isOp(",") {
            advance()
            guard startsExpr else { break }
            let e = try parseExpr()
            items.append(e.expr)
            height = max(height, e.height)
        }
        return Parsed(Expr(.tuple(items), span(first.range)), height + 1)
    }

    private static let binaryPrecedence: [String: Int] = [
        "or": 1, "and": 2,
        "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4,
        "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6, "@": 6, "**": 8,
    ]
    private static let notPrecedence = 3
    private static let unaryPrecedence = 7
    private static let unsupportedOperators: Set<String> = ["&", "|", "^", "<<", ">>"]

    /// Precedence climbing: parses operators binding at least as tightly as `minPrecedence`.
    private mutating func parseExpr(_ minPrecedence: Int = 1, conditional: Bool = true) throws -> Parsed {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Parser.maxNesting { throw fail("expression nested too deeply") }
        var lhs: Parsed
        if isKeyword("not") {
            guard minPrecedence <= Parser.notPrecedence else {
                throw fail("'not' must be parenthesized here: (not ...)")
            }
            let op = advance()
            let operand = try parseExpr(Parser.notPrecedence)
            lhs = Parsed(Expr(.unary(op: "not", operand.expr), op.range.to(operand.range)), operand.height + 1)
        } else if isOp("-") || isOp("+") {
            let op = advance()
            let operand = try parseExpr(Parser.unaryPrecedence)
            lhs = Parsed(Expr(.unary(op: op.text, operand.expr), op.range.to(operand.range)), operand.height + 1)
        } else {
            lhs = try parsePostfix()
        }
        try checkHeight(lhs.height, at: lhs.range)
        var lastWasComparison = false
        while true {
            if tok.kind == .op, Parser.unsupportedOperators.contains(tok.text) {
                throw fail("operator '\(tok.text)' is not supported")
            }
            guard tok.kind == .op || tok.kind == .keyword,
                  let precedence = Parser.binaryPrecedence[tok.text], precedence >= minPrecedence else { break }
            let isComparison = precedence == 4
            if isComparison && lastWasComparison {
                throw fail("chained comparisons like 'a < b < c' are not supported; write 'a < b and b < c'")
            }
            let op = advance()
            let rhs = try parseExpr(op.text == "**" ? Parser.unaryPrecedence : precedence + 1)
            lhs = Parsed(Expr(.binary(op: op.text, lhs.expr, rhs.expr), lhs.range.to(rhs.range)),
                         max(lhs.height, rhs.height) + 1)
            try checkHeight(lhs.height, at: op.range)
            lastWasComparison = isComparison
        }
        if minPrecedence == 1 && conditional && isKeyword("if") {
            // `a if c else b` (Python's conditional expression: the condition is an or-test, the else part may chain).
            advance()
            let cond = try parseExpr(1, conditional: false)
            guard isKeyword("else") else { throw fail("expected 'else' in the conditional expression 'a if c else b'") }
            advance()
            let orelse = try parseExpr()
            lhs = Parsed(Expr(.conditional(cond: cond.expr, then: lhs.expr, orelse: orelse.expr), lhs.range.to(orelse.range)),
                         max(lhs.height, cond.height, orelse.height) + 1)
            try checkHeight(lhs.height, at: lhs.range)
        }
        return lhs
    }

    /// An atom followed by calls `f(...)`, indexing `x[...]` and attributes `x.T`.
    private mutating func parsePostfix() throws -> Parsed {
        var e = try parseAtom()
        while true {
            let start = e.range
            if isOp("(") {
                advance()
                var args: [Expr] = []
                var kwargs: [(name: String, value: Expr, range: SourceRange)] = []
                var keywordNames: Set<String> = []
                var height = e.height
                while !isOp(")") {
                    if tok.kind == .name && peek(1).kind == .op && peek(1).text == "=" {
                        let name = advance()
                        advance()
                        let value = try parseExpr()
                        if !keywordNames.insert(name.text).inserted {
                            throw fail("keyword argument repeated: '\(name.text)'", at: name.range)
                        }
                        kwargs.append((name.text, value.expr, name.range.to(value.range)))
                        height = max(height, value.height)
                    } else {
                        if isOp("*") || isOp("**") { throw fail("argument unpacking with '\(tok.text)' is not supported") }
                        let value = try parseExpr()
                        if !kwargs.isEmpty { throw fail("positional argument follows keyword argument", at: value.range) }
                        args.append(value.expr)
                        height = max(height, value.height)
                    }
                    if isOp(",") { advance() } else if !isOp(")") { throw fail("expected ',' or ')' after a call argument") }
                }
                advance()
                e = Parsed(Expr(.call(callee: e.expr, args: args, kwargs: kwargs), span(start)), height + 1)
            } else if isOp("[") {
                let open = advance()
                var items: [IndexItem] = []
                var height = e.height
                while !isOp("]") {
                    let (item, h) = try parseIndexItem()
                    items.append(item)
                    height = max(height, h)
                    if isOp(",") { advance() } else if !isOp("]") { throw fail("expected ',' or ']' in the index") }
                }
                if items.isEmpty { throw fail("expected an index inside '[]'", at: span(open.range).to(tok.range)) }
                advance()
                e = Parsed(Expr(.index(e.expr, items), span(start)), height + 1)
            } else if isOp(".") {
                advance()
                guard tok.kind == .name else { throw fail("expected an attribute name after '.'") }
                let name = advance()
                e = Parsed(Expr(.attribute(e.expr, name.text), span(start)), e.height + 1)
            } else {
                return e
            }
            try checkHeight(e.height, at: e.range)
        }
    }

    /// `i`, `-1`, or a static slice `a:b:c` with optional parts.
    private mutating func parseIndexItem() throws -> (IndexItem, Int) {
        let startRange = tok.range
        var start: Parsed? = nil
        if !isOp(":") {
            let e = try parseExpr()
            guard isOp(":") else { return (.index(e.expr), e.height) }
            start = e
        }
        advance()
        var height = start?.height ?? 0
        var stop: Parsed? = nil
        if startsExpr { stop = try parseExpr(); height = max(height, stop!.height) }
        var step: Parsed? = nil
        if isOp(":") {
            advance()
            if startsExpr { step = try parseExpr(); height = max(height, step!.height) }
        }
        return (.slice(start: start?.expr, stop: stop?.expr, step: step?.expr, span(startRange)), height + 1)
    }

    private mutating func parseAtom() throws -> Parsed {
        let t = tok
        switch t.kind {
        case .name:
            if t.text == "lambda" && (peek(1).kind == .name || (peek(1).kind == .op && peek(1).text == ":")) {
                throw fail("'lambda' is not supported; define a function with 'def'")
            }
            advance()
            return Parsed(Expr(.name(t.text), t.range), 1)
        case .int:
            advance()
            return Parsed(Expr(.int(t.intValue), t.range), 1)
        case .float:
            advance()
            return Parsed(Expr(.float(t.floatValue), t.range), 1)
        case .string:
            advance()
            return Parsed(Expr(.string(t.text), t.range), 1)
        case .keyword:
            switch t.text {
            case "True": advance(); return Parsed(Expr(.bool(true), t.range), 1)
            case "False": advance(); return Parsed(Expr(.bool(false), t.range), 1)
            case "None": advance(); return Parsed(Expr(.none, t.range), 1)
            default: throw fail("expected an expression, found '\(t.text)'")
            }
        case .op:
            switch t.text {
            case "(": return try parseParenthesized()
            case "[": return try parseList()
            case "{": throw fail("dict and set literals are not supported")
            case ")", "]", "}": throw fail("unexpected '\(t.text)'")
            case "~": throw fail("operator '~' is not supported")
            default: throw fail("expected an expression, found '\(t.text)'")
            }
        case .newline, .eof:
            throw fail("expected an expression")
        case .indent, .dedent, .error:
            throw fail("expected an expression")
        }
    }

    /// `(e)`, `()`, `(a,)`, `(a, b)`.
    private mutating func parseParenthesized() throws -> Parsed {
        let open = advance()
        if isOp(")") {
            advance()
            return Parsed(Expr(.tuple([]), span(open.range)), 1)
        }
        let first = try parseExpr()
        if isOp(")") {
            advance()
            var e = first
            e.expr.range = span(open.range)
            return e
        }
        guard isOp(",") else { throw fail("expected ',' or ')'") }
        var items = [first.expr]
        var height = first.height
        while isOp(",") {
            advance()
            if isOp(")") { break }
            let e = try parseExpr()
            items.append(e.expr)
            height = max(height, e.height)
        }
        try expectOp(")", "expected ',' or ')'")
        return Parsed(Expr(.tuple(items), span(open.range)), height + 1)
    }

    /// `[a, b, ...]`: a list literal, which is a tuple (as in `concatenate([x, y])` or `zeros([3, 4])`).
    private mutating func parseList() throws -> Parsed {
        let open = advance()
        var items: [Expr] = []
        var height = 0
        while !isOp("]") {
            let e = try parseExpr()
            items.append(e.expr)
            height = max(height, e.height)
            if !isOp(",") { break }
            advance()
        }
        try expectOp("]", "expected ',' or ']'")
        return Parsed(Expr(.tuple(items), span(open.range)), height + 1)
    }
}
