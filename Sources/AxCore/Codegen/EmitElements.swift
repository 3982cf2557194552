// Per-element emission, for optimizing C compilers (tier 2 and `axc compile`; docs/performance.md, "Tier 2"): the
// steps a tiled nest plans (EmitTiles.swift) run as one loop over each tile's elements with every intermediate a local
// scalar, so the compiler keeps the chain in registers and vectorizes it. Each step computes what its tile function does.

/// The element of each runtime tile function a plan's element-wise steps call (`ax_vadd_f32`: `($0 + $1)`): the same
/// templates the runtime table builds those functions from (RuntimeTable.swift `vbinary`, `vselect`, `mathFunction`).
private let elementTemplates: [String: CTemplate] = {
    var d: [String: CTemplate] = [:]
    for t in [DType.f32, .f64] {
        for op in UnaryOp.allCases where op.def.domain != .integerOrBool { d[tileName(op.rawValue, t)] = op.def.c(t) }
        for op in BinaryOp.allCases where op.def.kind != .logical { d[tileName(op.rawValue, t)] = op.def.c(t) }
        d[tileName("select", t)] = CTemplate(text: "($0 ? $2 : $1)")
    }
    return d
}()

/// The scalar math functions whose tiles redo some inputs after their loop (RuntimeFunction.redoWhen), by name.
private let redoConditions: [String: String] = Dictionary(uniqueKeysWithValues: runtimeFunctions.compactMap { f in
    f.redoWhen.map { (f.name, $0) }
})

extension KernelEmitter {
    /// The step whose planned tile `a` is (`ax_T3`), if it is one.
    private func stepIndex(_ a: TileArg) -> Int? {
        guard case .ptr(let p) = a, p.hasPrefix("ax_T") else { return nil }
        return Int(p.dropFirst(4))
    }

    /// Per-element `declareTiles`: arrays only for the tiles read whole — the results (a sum's operands) and the steps
    /// that are not element-wise (a small contraction's rows, which read only buffers and so run before the loop) —
    /// named as planned. nil (the plan stays tiled) when a step that is not element-wise reads an element-wise one.
    func declareElementTiles(_ plan: TilePlan, results: [TileArg]) -> [TileArg]? {
        let calls = Set(plan.steps.indices.filter { elementTemplates[plan.steps[$0].fn] == nil })
        guard calls.allSatisfy({ plan.steps[$0].args.allSatisfy { a in stepIndex(a).map { calls.contains($0) } ?? true } }) else { return nil }
        var stored = Set(results.compactMap(stepIndex)).union(calls)
        stored.subtract(plan.steps.indices.filter { plan.steps[$0].target != nil })
        plan.stored = stored
        for type in Set(stored.map { plan.steps[$0].type }).sorted() {
            line("\(type) " + stored.sorted().filter { plan.steps[$0].type == type }.map { "ax_T\($0)[\(plan.step)]" }.joined(separator: ", ") + ";")
        }
        return results
    }

    /// One tile of `tn` elements, per element: the steps that are not element-wise as runtime calls into their arrays,
    /// then one loop computing every element-wise step into a local (a later step reads the local), then writing each
    /// to its target at `offset` when it has one and the stored ones into their arrays. A step whose scalar function
    /// redoes some inputs (f32 sin, cos beyond 131072) calls its
    /// branch-free body and flags them; a flagged tile is computed again with the scalar functions, so every value is
    /// the tile function's.
    func emitElementSteps(_ plan: TilePlan, count tn: String, offset i: String) {
        let stored = plan.stored ?? []
        var element: [Int] = [], read = Set<Int>()
        for (k, s) in plan.steps.enumerated() {
            guard elementTemplates[s.fn] != nil else {
                emitStep(s, count: tn, dest: s.target.map { "\($0) + \(i)" } ?? "ax_T\(k)")
                continue
            }
            element.append(k)
            read.formUnion(s.args.compactMap(stepIndex))
        }
        guard !element.isEmpty else { return }
        let redo = element.contains { elementTemplates[plan.steps[$0].fn]!.calls.contains { redoConditions[$0] != nil } }
        let flag = fresh("redo"), j = fresh("j")
        // A step reading what an earlier one wrote to its target reads the local instead.
        let written = Dictionary(element.compactMap { k in plan.steps[k].target.map { ("\($0) + \(i)", k) } }, uniquingKeysWith: { a, _ in a })
        func operand(_ a: TileArg) -> String {
            switch a {
            case .scalar(let s): return s
            case .elem(let p): return "(\(p))[0]"
            case .ptr(let p):
                if let k = written[p] { return "ax_E\(k)" }
                guard let k = stepIndex(a) else { return "(\(p))[\(j)]" }
                return elementTemplates[plan.steps[k].fn] != nil ? "ax_E\(k)" : "ax_T\(k)[\(j)]"
            }
        }
        // Stores come after every step of the element: no buffer is read after a store, so clang need not reload an
        // input it already read (it did, per-example grads ran 1.7x slower under clang; docs/performance.md).
        func loop(fast: Bool) {
            block("for (int64_t \(j) = 0; \(j) < \(tn); \(j)++)") {
                var stores: [String] = []
                for k in element {
                    let s = plan.steps[k], t = elementTemplates[s.fn]!
                    var ops = s.args.map(operand)
                    for i in t.multiUse where i < ops.count && !isSimple(ops[i]) { ops[i] = bind(plan.dtype.cType, ops[i]) }
                    runtime.formUnion(t.calls)
                    var expr = t.apply(ops)
                    if fast, let f = t.calls.first, let when = redoConditions[f] {
                        expr = "\(f)_body(\(ops[0]))"
                        line("\(flag) |= \(when.replacingOccurrences(of: "$a", with: ops[0]));")
                    }
                    line("\(s.type) ax_E\(k) = \(expr);")
                    if let t = s.target { stores.append("(\(t) + \(i))[\(j)] = ax_E\(k);") }
                    if stored.contains(k) { stores.append("ax_T\(k)[\(j)] = ax_E\(k);") } else if !read.contains(k) && s.target == nil { line("(void)ax_E\(k);") }
                }
                for st in stores { line(st) }
            }
        }
        block("") {
            if redo { line("int \(flag) = 0;") }
            loop(fast: true)
            if redo { block("if (\(flag))") { loop(fast: false) } }
        }
    }
}
