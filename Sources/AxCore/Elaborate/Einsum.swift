// `einsum(spec, *operands)`: parses and validates the spec, then lowers each pairwise contraction (left to
// right) to one `dot_general`, with `reduce_sum` for letters used once and a final `transpose` if needed.

extension Ops {
    /// An operand during lowering: its atom and the letter naming each of its axes.
    private struct Labeled { var atom: Atom; var names: [Character] }

    /// Lowers `einsum(spec, operands...)` (explicit `->` or implicit output) like jax.numpy.einsum.
    func einsum(_ spec: String, _ operands: [(Atom, SourceRange)], at r: SourceRange) throws -> Atom {
        b.loc = r
        let s = spec.filter { !$0.isWhitespace }
        if s.contains(".") { throw Diagnostic("einsum: ellipsis ('...') is not supported in '\(spec)'", at: r) }
        let sides = s.components(separatedBy: "->")
        guard sides.count <= 2 else { throw Diagnostic("einsum: '\(spec)' has more than one '->'", at: r) }
        let inputs = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        guard !operands.isEmpty else { throw Diagnostic("einsum needs at least one operand", at: r) }
        guard inputs.count == operands.count else {
            throw Diagnostic("einsum: '\(spec)' names \(inputs.count) operand(s), got \(operands.count)", at: r)
        }
        var sizes: [Character: (Dim, Int)] = [:]
        var counts: [Character: Int] = [:]
        for (k, (names, (atom, ar))) in zip(inputs, operands).enumerated() {
            if let bad = names.first(where: { !($0.isASCII && $0.isLetter) }) {
                throw Diagnostic("einsum: invalid character '\(bad)' in '\(spec)'", at: r)
            }
            guard names.count == atom.type.rank else {
                throw Diagnostic("einsum: operand \(k) (\(atom.type)) has rank \(atom.type.rank) but '\(String(names))' names \(names.count) axes", at: ar)
            }
            guard Set(names).count == names.count else {
                throw Diagnostic("einsum: repeated letter in '\(String(names))' (operand \(k)) is not supported", at: r)
            }
            if atom.type.dtype != operands[0].0.type.dtype {
                throw Diagnostic("einsum: operand \(k) is \(atom.type) but operand 0 is \(operands[0].0.type): no implicit promotion", at: ar)
            }
            if atom.type.dtype == .bool { throw Diagnostic("einsum expects numbers, got \(atom.type)", at: ar) }
            for (axis, c) in names.enumerated() {
                let d = atom.type.shape[axis]
                if let (d0, k0) = sizes[c], d0 != d {
                    throw Diagnostic("einsum: letter '\(c)' has size \(d0) in operand \(k0) (\(operands[k0].0.type)) and size \(d) in operand \(k) (\(atom.type))", at: ar)
                }
                if sizes[c] == nil { sizes[c] = (d, k) }
                counts[c, default: 0] += 1
            }
        }
        let output: [Character]
        if sides.count == 2 {
            output = Array(sides[1])
            for c in output where sizes[c] == nil {
                throw Diagnostic("einsum: output letter '\(c)' does not appear in the inputs of '\(spec)'", at: r)
            }
            guard Set(output).count == output.count else { throw Diagnostic("einsum: repeated output letter in '\(spec)'", at: r) }
        } else {
            output = counts.filter { $0.value == 1 }.map(\.key).sorted()
        }
        var cur = Labeled(atom: operands[0].0, names: inputs[0])
        for i in operands.indices.dropFirst() {
            let keep = Set(output).union(inputs[(i + 1)...].flatMap { $0 })
            cur = try contract(cur, Labeled(atom: operands[i].0, names: inputs[i]), keep: keep)
        }
        cur = try sumOut(cur, cur.names.filter { !output.contains($0) })
        return try transposed(cur.atom, output.map { cur.names.firstIndex(of: $0)! })
    }

    /// Sums out the axes named by `letters`.
    private func sumOut(_ x: Labeled, _ letters: [Character]) throws -> Labeled {
        if letters.isEmpty { return x }
        let axes = letters.map { x.names.firstIndex(of: $0)! }
        return Labeled(atom: try reduce("sum", x.atom, axes), names: x.names.filter { !letters.contains($0) })
    }

    /// One pairwise contraction: letters shared and not kept are contracted, shared and kept are batch
    /// dimensions; letters of one side only that are not kept are summed out first.
    private func contract(_ l0: Labeled, _ r0: Labeled, keep: Set<Character>) throws -> Labeled {
        let l = try sumOut(l0, l0.names.filter { !r0.names.contains($0) && !keep.contains($0) })
        let r = try sumOut(r0, r0.names.filter { !l0.names.contains($0) && !keep.contains($0) })
        let shared = l.names.filter { r.names.contains($0) }
        let contracted = shared.filter { !keep.contains($0) }, batch = shared.filter { keep.contains($0) }
        func idx(_ x: Labeled, _ cs: [Character]) -> [Int] { cs.map { x.names.firstIndex(of: $0)! } }
        let dims = DotDims(lhsContract: idx(l, contracted), rhsContract: idx(r, contracted),
                           lhsBatch: idx(l, batch), rhsBatch: idx(r, batch))
        let out = try emit(.dotGeneral(dims), [l.atom, r.atom])
        let names = batch + l.names.filter { !shared.contains($0) } + r.names.filter { !shared.contains($0) }
        return Labeled(atom: out, names: names)
    }
}
