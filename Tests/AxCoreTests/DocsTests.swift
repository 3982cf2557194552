// The documentation's examples stay true: every ```python block of docs/language.md (except the statement
// summary, which elides bodies with `...`) type-checks and every entry runs; the IR printed in docs/ir.md is
// what `axc ir` prints today.
import Foundation
import Testing
@testable import AxCore

private let docsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs")

/// The fenced blocks of `file` whose info string is `lang`, with the line each starts on.
private func fencedBlocks(_ file: String, lang: String) throws -> [(line: Int, text: String)] {
    let text = try String(contentsOf: docsDir.appendingPathComponent(file), encoding: .utf8)
    var blocks: [(Int, String)] = [], current: [String]? = nil, start = 0
    for (i, line) in text.components(separatedBy: "\n").enumerated() {
        if current == nil, line.trimmingCharacters(in: .whitespaces) == "```" + lang {
            current = []; start = i + 2
        } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
            blocks.append((start, current!.joined(separator: "\n") + "\n")); current = nil
        } else if current != nil {
            current!.append(line)
        }
    }
    return blocks
}

struct DocBlock: CustomTestStringConvertible, Sendable {
    var line: Int, text: String
    var testDescription: String { "language.md:\(line)" }
}

private let languageExamples: [DocBlock] = ((try? fencedBlocks("language.md", lang: "python")) ?? [])
    .filter { !$0.text.contains("...") }.map { DocBlock(line: $0.line, text: $0.text) }

@Suite struct DocsTests {
    @Test func languageExamplesFound() {
        #expect(languageExamples.count >= 5, "found \(languageExamples.count) python examples in docs/language.md")
    }

    /// Each example checks, and each of its entries runs op by op on random inputs (sizes 3).
    @Test(arguments: languageExamples) func languageExampleRuns(_ block: DocBlock) throws {
        let session = try CompilerSession(file: SourceFile(path: "language.md:\(block.line)", text: block.text))
        let entries = try session.checkAll()
        #expect(!entries.isEmpty)
        // A def using a collective runs only inside its map (its entry, the pmap, runs).
        for e in entries where e.isRunnable {
            let p = e.program
            let sizes = Dictionary(uniqueKeysWithValues: p.sizeVars.map { ($0, 3) })
            let (inputs, bound) = try bindInputs(p, args: [:], sizes: sizes, seed: 1)
            let outs = try evaluate(p, inputs: inputs, sizes: bound)
            #expect(outs.map(\.shape) == p.outputs.map { $0.type.concreteShape(bound)! }, "\(e.name)")
        }
    }

    /// The `$ axc ir ...` transcript in docs/ir.md matches the IR printed now.
    @Test func irTranscriptIsCurrent() throws {
        let blocks = try fencedBlocks("ir.md", lang: "").filter { $0.text.hasPrefix("$ axc ir ") }
        try #require(!blocks.isEmpty, "no `$ axc ir` transcript in docs/ir.md")
        for b in blocks {
            var lines = b.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let words = lines.removeFirst().split(separator: " ").map(String.init)
            let file = words[3], fn = words[words.firstIndex(of: "--fn")! + 1]
            let stage = words.firstIndex(of: "--stage").map { Stage(rawValue: words[$0 + 1])! } ?? .optimized
            let repo = docsDir.deletingLastPathComponent()
            let session = try CompilerSession(path: repo.appendingPathComponent(file).path)
            let text = try session.irText(fn, stage: stage)
            #expect(text.trimmingCharacters(in: .newlines) == lines.joined(separator: "\n").trimmingCharacters(in: .newlines),
                    "docs/ir.md:\(b.line): `axc ir \(file) --fn \(fn)` now prints:\n\(text)")
        }
    }
}
