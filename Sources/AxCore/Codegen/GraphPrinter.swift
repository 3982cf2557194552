// Prints a KernelGraph (`axc ir --stage fused`): its buffers, then its loop nests in execution order, each with
// the equations computed in its loop body. Variables have the names the optimized program prints with, so the
// two texts can be read side by side. This text is the golden-test format of fusion (see docs/ir.md).

extension KernelGraph {
    /// The graph as stable text: a `buffers` table (inputs, outputs, scratch slots with their types) and a
    /// `nests` list. Each nest names the buffers it writes and reads, then lists its equations in program order:
    /// `inline` ones are computed inside the nest's loop body and never written to a buffer (a scalar in a
    /// register, or a tile on the stack when the nest is emitted tile by tile), `store` ones are the nest's
    /// results, written to their buffers.
    public var text: String {
        let p = program
        let names = p.printedNames
        func label(_ place: BufferPlace) -> String {
            switch place {
            case .input(let k): return "in\(k)"
            case .output(let k): return "out\(k)"
            case .scratch(let k): return "s\(k)"
            }
        }
        func rank(_ place: BufferPlace) -> (Int, Int) {
            switch place {
            case .input(let k): return (0, k)
            case .output(let k): return (1, k)
            case .scratch(let k): return (2, k)
            }
        }

        var out = "kernel \(p.name)" + (p.sizeVars.isEmpty ? "" : " (sizes \(p.sizeVars.joined(separator: " ")))") + "\n"
        var rows: [(label: String, decl: String, note: String)] = []
        let leafNames = p.inputLeafNames
        for (k, v) in p.inputs.enumerated() {
            rows.append(("in\(k)", "\(names[v.id]!):\(v.type)", k < leafNames.count ? leafNames[k] : ""))
        }
        for (k, a) in p.outputs.enumerated() {
            if let v = a.variable, place[v.id] == .output(k) { rows.append(("out\(k)", "\(names[v.id]!):\(v.type)", "")) }
            else { rows.append(("out\(k)", "\(a.type)", "copied")) }
        }
        for (k, v) in scratch.enumerated() { rows.append(("s\(k)", "\(names[v.id]!):\(v.type)", "")) }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        let labelWidth = rows.map(\.label.count).max() ?? 0, declWidth = rows.map(\.decl.count).max() ?? 0
        out += "buffers\n"
        for r in rows {
            let line = "    " + pad(r.label, labelWidth + 2) + (r.note.isEmpty ? r.decl : pad(r.decl, declWidth + 2) + r.note)
            out += line + "\n"
        }

        var position: [Int: Int] = [:]
        for (k, e) in p.eqns.enumerated() { position[e.out.id] = k }
        out += "nests\n"
        for (n, nest) in nests.enumerated() {
            let roots: [Eqn], kind: String
            switch nest {
            case .map(let e): roots = [e]; kind = "map"
            case .reduce(let e): roots = [e]; kind = "reduce"
            case .reduceSiblings(let es): roots = es; kind = "reduce_siblings"
            case .mapSiblings(let es): roots = es; kind = "map_siblings"
            case .kernel(let e): roots = [e]; kind = e.prim.rules.fusion == .contraction ? "dot" : "kernel"
            case .loop(let es): roots = es; kind = es[0].prim.name
            case .copy(let k, let from):
                let source = from.variable.flatMap { place[$0.id] }.map(label) ?? atomText(from, names)
                out += "    \(n) copy → out\(k) from \(source)\n"
                continue
            }
            // The equations inlined into this nest: its roots' producers that are not buffers, transitively.
            var inlined: [Eqn] = [], reads = Set<BufferPlace>(), seen = Set<Int>()
            var stack = roots.flatMap(\.inputs)
            while let a = stack.popLast() {
                guard let v = a.variable, seen.insert(v.id).inserted else { continue }
                if let b = place[v.id] { reads.insert(b); continue }
                if let e = defs[v.id] { inlined.append(e); stack += e.inputs }
            }
            inlined.sort { position[$0.out.id]! < position[$1.out.id]! }
            reads.subtract(roots.compactMap { place[$0.out.id] })  // merged maps read each other inside the loop
            let writes = roots.compactMap { place[$0.out.id].map(label) }.joined(separator: " ")
            let readText = reads.sorted { rank($0) < rank($1) }.map(label).joined(separator: " ")
            out += "    \(n) \(kind) → \(writes)" + (readText.isEmpty ? "" : " (reads \(readText))") + "\n"
            for e in inlined { out += "        inline " + equationText(e, names) + "\n" }
            for e in roots { out += "        store  " + equationText(e, names) + "\n" }
        }
        return out
    }
}
