// C emission: a KernelGraph becomes one C function `int NAME(sizes..., inputs..., outputs..., scratch)` plus
// `size_t NAME_scratch_bytes(sizes...)`, in the shape libtcc compiles well (flat unrolled loops, several
// accumulators, one expression per element instead of chains of temporaries).

/// The kernel C for libtcc: a prelude of typedefs and prototypes (no `#include`), then the kernel.
public func emitC(_ g: KernelGraph, name: String) -> String { tccSource(emitKernel(g, name: name), device: g.device != nil) }

/// An emitted kernel's C for libtcc: the prelude (and the collectives table's declarations for a device kernel), then
/// its text.
func tccSource(_ k: EmittedKernel, device: Bool) -> String { tccPrelude + "\n" + (device ? collectivesTableC : "") + k.text }

/// Typedefs and prototypes that replace `#include` for libtcc (every symbol is registered by the host).
let tccPrelude: String = {
    var s = "/* axc kernel prelude: no #include; every external symbol is registered with tcc_add_symbol. */\n"
    s += "typedef int int32_t;\ntypedef unsigned int uint32_t;\ntypedef long long int64_t;\n"
    s += "typedef unsigned char uint8_t;\ntypedef unsigned long size_t;\n"
    s += libmPrototypes.map(\.proto).joined(separator: "\n") + "\n"
    s += runtimeFunctions.map(\.proto).filter { !$0.isEmpty }.joined(separator: "\n") + "\n"
    return s
}()

/// An emitted kernel: its C text and the runtime functions it calls.
struct EmittedKernel {
    var text: String
    var runtime: Set<String>
    var paramDocs: [(name: String, doc: String)]
    var prototype: String
    var scratchPrototype: String
    /// A lowering failure (a compiler bug); the libtcc C then carries an `#error` with it.
    var failure: Error?
}

/// The index at which a value is read: one flat (row-major) offset, or one index per dimension.
enum Index {
    case flat(String)
    case multi([String])
    var key: String {
        switch self { case .flat(let s): return "f:" + s; case .multi(let xs): return "m:" + xs.joined(separator: ",") }
    }
}

/// Elements above which a size is rejected (keeps every byte count and loop bound far from overflow).
let cMaxElements = "((int64_t)1 << 48)"

/// Emits one kernel (shared by the libtcc path and the standalone file). `perElement`: fused chains as one loop over
/// elements (EmitElements.swift), for optimizing C compilers (tier 2 and `axc compile`); else tiles of runtime calls.
func emitKernel(_ g: KernelGraph, name: String, perElement: Bool = false) -> EmittedKernel {
    let e = KernelEmitter(g)
    e.perElement = perElement
    return e.emit(name: name)
}

final class KernelEmitter {
    let g: KernelGraph
    var p: Program { g.program }
    var lines: [String] = []
    var depth = 1
    var counter = 0
    var memo: [String: String] = [:]
    var runtime: Set<String> = []
    /// Loop bodies run by ax_parallel_for, as static C functions placed before the kernel.
    var functions: [String] = []
    /// The kernel's C name, and every value a loop-body function reads through the context array (C type, name).
    var kernelName = "k"
    /// Whether tiled chains are emitted per element (EmitElements.swift) rather than as runtime tile calls.
    var perElement = false
    var contextSlots: [ContextSlot] = []
    /// A value loop-body functions read through the context array: a size (passed by address) or a buffer pointer.
    struct ContextSlot { var type: String; var name: String; var isSize = false }
    let sizeNames: [String: String]
    let inputNames: [String]
    let outputNames: [String]
    /// Answers of the recursive predicates over inlined producers (`flatOK`, `tileOK`, `isUniform`, ...) by
    /// variable id (and dtype where it matters): each is computed once per variable, so walking a graph whose
    /// values are read many times costs its size, not the number of paths through it.
    var flags: [FlagKey: Bool] = [:]
    var periods: [Int: Int] = [:]
    var innerMemo: [Int: (needed: Bool, possible: Bool)] = [:]
    struct FlagKey: Hashable { let predicate: String; let id: Int; let dtype: DType? }
    func memoFlag(_ predicate: String, _ v: Var, _ dtype: DType? = nil, _ compute: () -> Bool) -> Bool {
        let key = FlagKey(predicate: predicate, id: v.id, dtype: dtype)
        if let r = flags[key] { return r }
        let r = compute()
        flags[key] = r
        return r
    }

    init(_ g: KernelGraph) {
        self.g = g
        var taken = Set<String>()
        var sizes: [String: String] = [:]
        for s in g.program.sizeVars { let c = cIdentifier(s, taken: taken); taken.insert(c); sizes[s] = c }
        sizeNames = sizes
        var ins: [String] = []
        for n in g.program.inputLeafNames { let c = cIdentifier(n, taken: taken); taken.insert(c); ins.append(c) }
        inputNames = ins
        var outs: [String] = []
        for k in 0..<g.program.outputs.count { let c = cIdentifier("out\(k)", taken: taken); taken.insert(c); outs.append(c) }
        outputNames = outs
    }

    // MARK: small helpers

    func line(_ s: String) { lines.append(String(repeating: "    ", count: depth) + s) }
    func fresh(_ prefix: String) -> String { counter += 1; return "ax_\(prefix)\(counter)" }
    func block(_ header: String, _ body: () throws -> Void) rethrows {
        line(header.isEmpty ? "{" : header + " {")
        depth += 1
        let saved = memo
        try body()
        memo = saved
        depth -= 1
        line("}")
    }
    func bind(_ type: String, _ expr: String) -> String {
        let n = fresh("t"); line("\(type) \(n) = \(expr);"); return n
    }
    /// An index temporary that the values read through it may not use (a uniform operand ignores its index):
    /// marked used, so standalone C stays clean under -Wall -Werror.
    func bindIndex(_ expr: String) -> String {
        let n = fresh("t"); line("int64_t \(n) = \(expr); (void)\(n);"); return n
    }
    /// An identifier or a parenthesized numeric literal: cheap to repeat, never bound to a temporary.
    func isSimple(_ e: String) -> Bool {
        let u = e.utf8
        func word(_ c: UInt8) -> Bool { c == 95 || c >= 128 || (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        func number(_ c: UInt8) -> Bool { (48...57).contains(c) || c == 46 || c == 45 || c == 102 || c == 101 }  // 0-9 . - f e
        return u.allSatisfy(word) || (u.first == 40 && u.dropFirst().dropLast().allSatisfy(number))
    }
    func atomize(_ e: String, _ t: DType) -> String { isSimple(e) ? e : bind(t.cType, e) }

    func dim(_ d: Dim) -> String {
        switch d { case .const(let k): return "\(k)"; case .sym(let s): return sizeNames[s] ?? s }
    }
    /// The element count of `shape` as a C expression (constants folded).
    func count(_ shape: [Dim]) -> String {
        let k = shape.compactMap(\.constValue).reduce(1, *)
        let syms = shape.compactMap(\.symName).map { sizeNames[$0] ?? $0 }
        if k == 0 { return "0" }
        if syms.isEmpty { return "\(k)" }
        return "(" + ((k == 1 ? [] : ["\(k)"]) + syms).joined(separator: "*") + ")"
    }
    /// Whether a loop unrolled 4× up to `bound` needs its remainder loop: not when a constant bound leaves none
    /// (gcc -O2 warns about a loop it can prove is never entered).
    static func needsTail(_ bound: String) -> Bool { Int(bound).map { $0 % 4 != 0 } ?? true }
    static func add(_ a: String, _ k: Int) -> String { k == 0 ? a : (a == "0" ? "\(k)" : "(\(a)+\(k))") }
    static func mul(_ a: String, _ s: String) -> String {
        if s == "1" { return a }; if a == "0" || s == "0" { return "0" }; return "\(a)*\(s)"
    }
    /// Row-major offset of `idx` in `shape`.
    func linear(_ shape: [Dim], _ idx: [String]) -> String {
        var terms: [String] = []
        for k in 0..<shape.count where shape[k] != .const(1) && idx[k] != "0" {
            terms.append(KernelEmitter.mul(idx[k], count(Array(shape[(k + 1)...]))))
        }
        return terms.isEmpty ? "0" : terms.joined(separator: " + ")
    }

    func bufferName(_ v: Var) -> String? {
        switch g.place[v.id] {
        case .input(let k): return inputNames[k]
        case .output(let k): return outputNames[k]
        case .scratch(let k): return "ax_s\(k)"
        case nil: return nil
        }
    }

    // MARK: expressions

    /// The index at which an element-wise operand is read.
    func operandIndex(_ a: Atom, _ idx: Index) -> Index { a.type.rank == 0 ? .multi([]) : idx }

    /// The C expression of `a` at `idx`; inlined producers are generated recursively, values read twice
    /// in one body are bound once to a temporary.
    func gen(_ a: Atom, _ idx: Index) throws -> String {
        switch a {
        case .lit(let x, let t): return cLiteral(x, t)
        case .v(let v):
            if let b = bufferName(v) {
                if v.type.rank == 0 { return "\(b)[0]" }
                switch idx {
                case .flat(let s): return "\(b)[\(s)]"
                case .multi(let ix): return "\(b)[\(linear(v.type.shape, ix))]"
                }
            }
            guard let e = g.defs[v.id] else { throw InternalError("codegen: variable #\(v.id) has no definition") }
            let key = "\(v.id)@\(idx.key)"
            if let t = memo[key] { return t }
            let expr = try genEqn(e, idx)
            if (g.useCount[v.id] ?? 0) > 1 && !isSimple(expr) {
                let t = bind(v.type.dtype.cType, expr); memo[key] = t; return t
            }
            return expr
        }
    }

    func apply(_ t: CTemplate, _ e: Eqn, _ idx: Index) throws -> String {
        var args = try e.inputs.map { try gen($0, operandIndex($0, idx)) }
        for i in t.multiUse where i < args.count { args[i] = atomize(args[i], e.inputs[i].type.dtype) }
        runtime.formUnion(t.calls)
        return t.apply(args)
    }

    /// The C expression of equation `e`'s output at `idx`: its record's lowering (Primitives/).
    func genEqn(_ e: Eqn, _ idx: Index) throws -> String { try e.prim.rules.elementC(e, idx, self) }

    /// Maps an index of the reshaped value to an index of its operand: directly when the reshape only
    /// adds or removes size-1 dimensions, else through the row-major offset.
    func reshapeIndex(from shape: [Dim], _ ix: [String], to opShape: [Dim]) -> Index {
        let outCore = zip(shape, ix).filter { $0.0 != .const(1) }
        let opCore = opShape.filter { $0 != .const(1) }
        if outCore.map(\.0) == opCore {
            var it = outCore.map(\.1).makeIterator()
            return .multi(opShape.map { $0 == .const(1) ? "0" : it.next()! })
        }
        let lin = bindIndex(linear(shape, ix))
        return .multi(opShape.indices.map { k in
            let inner = count(Array(opShape[(k + 1)...]))
            let q = inner == "1" ? lin : "(\(lin)/\(inner))"
            return k == 0 ? q : "(\(q)%\(dim(opShape[k])))"
        })
    }

    /// Whether `a` can be generated at a flat offset (element-wise chains, reshapes, scalar broadcasts).
    func flatOK(_ a: Atom) -> Bool {
        guard case .v(let v) = a, g.place[v.id] == nil, let e = g.defs[v.id] else { return true }
        return memoFlag("flat", v) { flatOK(e) }
    }
    func flatOK(_ e: Eqn) -> Bool {
        e.prim.rules.readsFlat(e) && e.inputs.allSatisfy { $0.type.rank == 0 || flatOK($0) }
    }

    // MARK: loop nests

    /// `target[i] = value(i)` over `shape`: one flat loop unrolled 4× when possible, else a loop per dimension.
    /// Per-element C (tier 2, `axc compile`) keeps the flat loop plain: the compiler unrolls and vectorizes it, and
    /// gcc 12 at `-O3 -march=native` miscompiled a 4× unrolled select on bools with AVX-512 masks (wrong values;
    /// a difffuzz finding, Tier2Tests.unrolledSelectOfBools).
    func emitMap(target: String, shape: [Dim], flat: Bool, value: (Index) throws -> String) throws {
        if shape.isEmpty {
            try block("") { line("\(target)[0] = \(try value(.multi([])));") }
            return
        }
        if flat && perElement {
            try block("") {
                let n = isSimple(count(shape)) ? count(shape) : bind("int64_t", count(shape))
                let i = fresh("i")
                try block("for (int64_t \(i) = 0; \(i) < \(n); \(i)++)") { line("\(target)[\(i)] = \(try value(.flat(i)));") }
            }
            return
        }
        if flat {
            try block("") {
                let n = isSimple(count(shape)) ? count(shape) : bind("int64_t", count(shape))
                let i = fresh("i")
                line("int64_t \(i) = 0;")
                try block("for (; \(i) + 4 <= \(n); \(i) += 4)") {
                    for u in 0..<4 {
                        let iu = KernelEmitter.add(i, u)
                        line("\(target)[\(iu)] = \(try value(.flat(iu)));")
                    }
                }
                if KernelEmitter.needsTail(n) {
                    try block("for (; \(i) < \(n); \(i)++)") { line("\(target)[\(i)] = \(try value(.flat(i)));") }
                }
            }
            return
        }
        try loops(shape.map(dim)) { vars in line("\(target)[\(linear(shape, vars))] = \(try value(.multi(vars)));") }
    }

    /// `body(index variables)` inside one C `for` loop per bound, outermost first, in a block of its own (the
    /// recursion is as deep as the rank, never the program).
    func loops(_ bounds: [String], _ body: ([String]) throws -> Void) throws {
        var vars: [String] = []
        func nest(_ k: Int) throws {
            if k == bounds.count { try body(vars); return }
            let v = fresh("i"); vars.append(v)
            try block("for (int64_t \(v) = 0; \(v) < \(bounds[k]); \(v)++)") { try nest(k + 1) }
            vars.removeLast()
        }
        try block("") { try nest(0) }
    }

    /// Emits loops over `bounds` accumulating `term(vars)` with `rule`; the innermost loop is unrolled 4×
    /// with four accumulators. Returns the C expression of the combined result.
    func emitAccumulate(bounds: [String], rule: ReduceRule, dtype: DType, term: ([String]) throws -> String) throws -> String {
        let accs = (0..<4).map { _ in fresh("acc") }
        for a in accs { line("\(rule.accType) \(a) = \(rule.identity);") }
        func combine(_ acc: String, _ x: String) {
            var x = x
            if rule.combine.multiUse.contains(1) { x = atomize(x, dtype) }
            line("\(acc) = \(rule.combine.apply([acc, x]));")
        }
        var vars: [String] = []
        func nest(_ k: Int) throws {
            let v = fresh("r")
            if k == bounds.count - 1 {
                line("int64_t \(v) = 0;")
                try block("for (; \(v) + 4 <= \(bounds[k]); \(v) += 4)") {
                    for u in 0..<4 { combine(accs[u], try term(vars + [KernelEmitter.add(v, u)])) }
                }
                if KernelEmitter.needsTail(bounds[k]) {
                    try block("for (; \(v) < \(bounds[k]); \(v)++)") { combine(accs[0], try term(vars + [v])) }
                }
                return
            }
            vars.append(v)
            try block("for (int64_t \(v) = 0; \(v) < \(bounds[k]); \(v)++)") { try nest(k + 1) }
            vars.removeLast()
        }
        if bounds.isEmpty { combine(accs[0], try term([])) } else { try block("") { try nest(0) } }
        let c = rule.combine
        return c.apply([c.apply([accs[0], accs[1]]), c.apply([accs[2], accs[3]])])
    }

    func emitReduce(_ e: Eqn, target: String) throws {
        let a = e.inputs[0]
        let shape = a.type.shape
        let t = e.out.type.dtype
        let rules = e.prim.rules
        guard let rule = rules.reduceRule(t), let axes0 = rules.reducedAxes else {
            throw InternalError("codegen: no reduction rule for \(e.prim.name) on \(t)")
        }
        let axes = axes0.sorted()
        let kept = (0..<shape.count).filter { !axes.contains($0) }
        let trailing = !axes.isEmpty && axes == Array((shape.count - axes.count)..<shape.count)
        if rule.isSum, t.isFloat, isUniform(a) {
            // A sum of one value repeated R times is that value times R (exact for the 1s of `mean`).
            try block("") {
                let c = bind(t.cType, try gen(a, a.type.rank == 0 ? .multi([]) : .flat("0")))
                let total = bind("double", "(double)\(c) * (double)\(count(axes.map { shape[$0] }))")
                try emitMap(target: target, shape: kept.map { shape[$0] }, flat: true) { _ in "(\(t.cType))\(total)" }
            }
            return
        }
        if trailing, rule.isSum,
           try emitTiledSums([(a, target)], outer: count(kept.map { shape[$0] }), reduced: axes.map { shape[$0] }, dtype: t) { return }
        if trailing && flatOK(a) {
            // Trailing axes over a flat producer: out[o] = combine over r of a[o*R + r].
            try block("") {
                let rN = bind("int64_t", count(axes.map { shape[$0] }))
                let o = fresh("o")
                let oN = bind("int64_t", count(kept.map { shape[$0] }))
                try block("for (int64_t \(o) = 0; \(o) < \(oN); \(o)++)") {
                    let base = bindIndex("\(o)*\(rN)")
                    let r = try emitAccumulate(bounds: [rN], rule: rule, dtype: t) { vs in
                        try gen(a, .flat("\(base)+\(vs[0])"))
                    }
                    line("\(target)[\(o)] = (\(t.cType))\(r);")
                }
            }
            return
        }
        func reduceAt(_ keptVars: [String]) throws {
            let r = try emitAccumulate(bounds: axes.map { dim(shape[$0]) }, rule: rule, dtype: t) { rv in
                var ix = Array(repeating: "0", count: shape.count)
                for (i, d) in kept.enumerated() { ix[d] = keptVars[i] }
                for (i, d) in axes.enumerated() { ix[d] = rv[i] }
                return try gen(a, .multi(ix))
            }
            line("\(target)[\(linear(kept.map { shape[$0] }, keptVars))] = (\(t.cType))\(r);")
        }
        guard let first = kept.first else { return try loops([], reduceAt) }
        // Column sums and other reductions over leading axes: the outputs are split between cores by their first kept
        // index, each output's reduction running whole on one core, so the split never changes a bit.
        let unit = (kept.dropFirst().map { shape[$0] } + axes.map { shape[$0] }).reduce(1) { n, d in min(n * (d.constValue ?? 64), 1 << 40) }
        try emitParallel(n: dim(shape[first]), grain: 1, unitElements: max(1, unit)) { lo, hi in
            let v = fresh("i")
            try block("for (int64_t \(v) = \(lo); \(v) < \(hi); \(v)++)") {
                try loops(kept.dropFirst().map { dim(shape[$0]) }) { rest in try reduceAt([v] + rest) }
            }
        }
    }

    /// Maps of one shape in one tiled loop when the runtime covers them all (EmitTiles.swift); otherwise each in a loop
    /// of its own, tiled or scalar, in order.
    func emitMaps(_ es: [Eqn]) throws {
        if try emitTiledMaps(es) { return }
        for e in es {
            if es.count > 1, try emitTiledMaps([e]) { continue }
            try emitMap(target: bufferName(e.out)!, shape: e.out.type.shape, flat: flatOK(e)) { try genEqn(e, $0) }
        }
    }

    // MARK: the function

    /// Bytes of scratch each loop nest needs past the scratch slots (C expressions of the sizes): the loops run one
    /// after another, so they share one tail region, as large as the largest need (Primitives/Loops.swift).
    var tailNeeds: [String] = []
    /// The kernels of loops' sub-programs, as static C functions placed before everything else.
    var subKernels: [String] = []
    /// Elements per piece, at least, of a loop split between cores (EmitTiles.swift `emitParallel`). A loop body's kernel
    /// runs once per iteration, each split a wake-up of the pool, so its pieces are larger (Primitives/Loops.swift).
    var minParallelElements = 32768

    func emit(name: String, isStatic: Bool = false) -> EmittedKernel {
        // A device kernel takes the collectives table first and reads the device count from it, not from a size.
        let device = g.device
        let sizeParams = p.sizeVars.map { "int64_t \(sizeNames[$0]!)" }
        let inParams = p.inputs.enumerated().map { "const \($0.element.type.dtype.cType) *\(inputNames[$0.offset])" }
        let outParams = p.outputs.enumerated().map { "\($0.element.type.dtype.cType) *\(outputNames[$0.offset])" }
        let kernelSizes = p.sizeVars.filter { $0 != device?.countVar }.map { "int64_t \(sizeNames[$0]!)" }
        let params = (device == nil ? [] : ["const ax_collectives *ax_coll"]) + kernelSizes + inParams + outParams + ["void *scratch"]
        let linkage = isStatic ? "static " : ""
        let proto = "\(linkage)int \(name)(\(params.joined(separator: ", ")))"
        let scratchProto = "\(linkage)size_t \(name)_scratch_bytes(\(sizeParams.isEmpty ? "void" : sizeParams.joined(separator: ", ")))"

        var docs: [(String, String)] = []
        if let d = device {
            docs.append(("ax_coll", "the collectives table of this device over the axis '\(d.name)'"
                         + (p.sizeVars.contains(d.countVar) ? " (its device count is the size `\(d.countVar)`)" : "")))
        }
        for s in p.sizeVars where s != device?.countVar { docs.append((sizeNames[s]!, "size variable `\(s)` (>= 0)")) }
        for (k, v) in p.inputs.enumerated() { docs.append((inputNames[k], "input `\(p.inputLeafNames[k])`: \(v.type)")) }
        for (k, a) in p.outputs.enumerated() { docs.append((outputNames[k], "output \(k): \(a.type)")) }
        docs.append(("scratch", "\(name)_scratch_bytes(...) bytes of scratch (may be NULL when that is 0)"))

        // Size checks: negative sizes, and element counts that could overflow; each returns `ret` when it fails.
        var shapes = Set<[Dim]>()
        for v in p.inputs { shapes.insert(v.type.shape) }
        for e in p.eqns { shapes.insert(e.out.type.shape) }
        let symbolicShapes = shapes.sorted(by: { $0.description < $1.description }).filter { $0.contains { $0.symName != nil } }
        func checks(returning ret: Int) -> [String] {
            var out = p.sizeVars.map { "if (\(sizeNames[$0]!) < 0) return \(ret);" }
            for sh in symbolicShapes {
                var c = "{ int64_t ax_c = \(max(1, sh.compactMap(\.constValue).reduce(1, *)));"
                for s in sh.compactMap(\.symName) {
                    let n = sizeNames[s]!
                    c += " if (\(n) != 0 && ax_c > \(cMaxElements) / \(n)) return \(ret); ax_c *= \(n);"
                }
                out.append(c + " }")
            }
            return out
        }
        let scratchSizes = g.scratch.map { "(((size_t)\(count($0.type.shape)) * \($0.type.dtype.byteSize) + 63) & ~(size_t)63)" }

        // The kernel.
        lines = ["\(proto) {"]
        if let d = device {
            if let c = sizeNames[d.countVar] { line("int64_t \(c) = ax_coll->devices;") }
            var bad = ["ax_coll->devices < 1"]
            if let k = d.exactCount { bad.append("ax_coll->devices != \(k)") }
            if d.minCount > 1 { bad.append("ax_coll->devices < \(d.minCount)") }
            line("if (\(bad.joined(separator: " || "))) return 2;")
        }
        for n in p.sizeVars { line("(void)\(sizeNames[n]!);") }
        for n in inputNames { line("(void)\(n);") }
        line("(void)scratch;")
        for c in checks(returning: 1) { line(c) }
        if !g.scratch.isEmpty {
            line("char *ax_scr = (char *)scratch;")
            for (k, v) in g.scratch.enumerated() {
                line("\(v.type.dtype.cType) *ax_s\(k) = (\(v.type.dtype.cType) *)ax_scr;")
                if k + 1 < g.scratch.count { line("ax_scr += \(scratchSizes[k]);") }
            }
        }
        kernelName = name
        contextSlots = p.sizeVars.map { ContextSlot(type: "int64_t", name: sizeNames[$0]!, isSize: true) }
            + p.inputs.enumerated().map { ContextSlot(type: "const \($0.element.type.dtype.cType) *", name: inputNames[$0.offset]) }
            + p.outputs.enumerated().map { ContextSlot(type: "\($0.element.type.dtype.cType) *", name: outputNames[$0.offset]) }
            + g.scratch.enumerated().map { ContextSlot(type: "\($0.element.type.dtype.cType) *", name: "ax_s\($0.offset)") }
            + (device == nil ? [] : [ContextSlot(type: "const ax_collectives *", name: "ax_coll")])
        let contextLine = lines.count
        var failure: Error? = nil
        for nest in g.nests {
            do {
                switch nest {
                case .map(let e): try emitMaps([e])
                case .mapSiblings(let es): try emitMaps(es)
                case .reduce(let e): try emitReduce(e, target: bufferName(e.out)!)
                case .reduceSiblings(let es):
                    // One loop when the tiles cover them all; otherwise each sum recomputes what they share.
                    let shape = es[0].inputs[0].type.shape
                    guard let ax = es[0].prim.rules.reducedAxes else { break }
                    let kept = (0..<shape.count).filter { !ax.contains($0) }
                    if es.allSatisfy({ !isUniform($0.inputs[0]) }),
                       try emitTiledSums(es.map { ($0.inputs[0], bufferName($0.out)!) }, outer: count(kept.map { shape[$0] }),
                                         reduced: ax.map { shape[$0] }, dtype: es[0].out.type.dtype) { break }
                    for e in es { try emitReduce(e, target: bufferName(e.out)!) }
                case .kernel(let e): try e.prim.rules.emitKernel(e, target: bufferName(e.out)!, self)
                case .loop(let es): try emitLoop(es)
                case .copy(let k, let a):
                    try emitMap(target: outputNames[k], shape: p.outputs[k].type.shape, flat: true) { try gen(a, operandIndex(a, $0)) }
                }
            } catch { failure = failure ?? error }
        }
        if let f = failure { line("#error \"\(f)\"") }
        line("return 0;")
        lines.append("}")
        if !tailNeeds.isEmpty {
            lines.insert("    char *ax_tail = (char *)scratch" + scratchSizes.map { " + " + $0 }.joined() + ";", at: contextLine)
        }

        // The scratch-size function: the slots, then the largest tail a loop needs.
        var s: [String] = ["\(scratchProto) {"]
        for n in p.sizeVars { s.append("    (void)\(sizeNames[n]!);") }
        for c in checks(returning: 0) { s.append("    " + c) }
        if !tailNeeds.isEmpty {
            s.append("    size_t ax_tail = 0, ax_need;")
            for t in tailNeeds { s.append("    ax_need = \(t); if (ax_need > ax_tail) ax_tail = ax_need;") }
        }
        let terms = scratchSizes + (tailNeeds.isEmpty ? [] : ["ax_tail"])
        s.append("    return " + (terms.isEmpty ? "0" : terms.joined(separator: "\n        + ")) + ";")
        s.append("}")
        if !functions.isEmpty {
            // Sizes by address, buffers by value: what the loop-body functions unpack.
            let slots = contextSlots.map { $0.isSize ? "(void *)&\($0.name)" : "(void *)\($0.name)" }
            // One more slot for a loop's partial results (set before that loop).
            lines.insert("    void *ax_ctx[\(slots.count + 1)] = {\(slots.joined(separator: ", ")), 0};", at: contextLine)
        }
        let text = subKernels.joined(separator: "\n") + functions.joined(separator: "\n") + s.joined(separator: "\n") + "\n\n" + lines.joined(separator: "\n") + "\n"
        return EmittedKernel(text: text, runtime: runtime, paramDocs: docs, prototype: proto, scratchPrototype: scratchProto, failure: failure)
    }
}
