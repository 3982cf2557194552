// Loops that stay loops (docs/language.md "Loops", docs/pipeline.md "Loops"): `scan` and `while`, higher-order
// primitives carrying closed sub-programs as JAX's scan_p and while_p carry jaxprs. A loop with K results is K
// consecutive equations `loop[..., output=k]` on the same operands (a "group"); passes that know loops treat a
// group as one multi-output equation, the others see K ordinary single-output equations and stay correct.

/// A loop's sub-program, compared by identity (programs are built once and shared by a group's equations).
public final class LoopBody: Hashable, Sendable {
    public let program: Program
    public init(_ p: Program) { program = p }
    public static func == (a: LoopBody, b: LoopBody) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

/// The static parameters of a loop.
public enum LoopSpec: Hashable, Sendable {
    /// `scan`: operands are `consts`, the initial carries, then the scanned arrays (each `length` long along axis 0);
    /// `body(consts, carries, x slices) -> (carries, ys)`; results are the final carries, then the `ys` stacked along a
    /// new axis 0. `reverse` scans from the end.
    case scan(body: LoopBody, length: Dim, reverse: Bool, consts: Int, carries: Int)
    /// `while`: operands are the condition's consts, the body's consts, then the initial carries;
    /// `cond(cconsts, carries) -> bool[]`, `body(bconsts, carries) -> carries`; results are the final carries.
    case whileLoop(cond: LoopBody, body: LoopBody, condConsts: Int, bodyConsts: Int)

    var body: Program {
        switch self { case .scan(let b, _, _, _, _), .whileLoop(_, let b, _, _): return b.program }
    }
    /// Every sub-program (the body, and a while loop's condition).
    var programs: [Program] {
        switch self {
        case .scan(let b, _, _, _, _): return [b.program]
        case .whileLoop(let c, let b, _, _): return [c.program, b.program]
        }
    }
    /// The number of carried values.
    var carryCount: Int {
        switch self {
        case .scan(_, _, _, _, let k): return k
        case .whileLoop(_, let b, _, let bc): return b.program.inputs.count - bc
        }
    }
    /// The number of results (equations in a full group).
    var resultCount: Int {
        switch self {
        case .scan(let b, _, _, _, _): return b.program.outputs.count
        case .whileLoop: return carryCount
        }
    }
    /// The index of the first initial carry among the operands.
    var firstCarry: Int {
        switch self {
        case .scan(_, _, _, let c, _): return c
        case .whileLoop(_, _, let cc, let bc): return cc + bc
        }
    }
    /// The type of result `k`.
    func resultType(_ k: Int) -> TensorType {
        switch self {
        case .scan(let b, let length, _, _, let carries):
            let t = b.program.outputs[k].type
            return k < carries ? t : t.with(shape: [length] + t.shape)
        case .whileLoop(_, let b, _, _): return b.program.outputs[k].type
        }
    }
    /// The operand types the loop expects.
    var operandTypes: [TensorType] {
        switch self {
        case .scan(let b, let length, _, let c, let k):
            return b.program.inputs.enumerated().map { i, v in i < c + k ? v.type : v.type.with(shape: [length] + v.type.shape) }
        case .whileLoop(let cond, let body, let cc, let bc):
            return cond.program.inputs.prefix(cc).map(\.type) + body.program.inputs.map(\.type)
                .enumerated().filter { $0.offset < bc }.map(\.element) + body.program.inputs.dropFirst(bc).map(\.type)
        }
    }
}

/// A loop's equations as one: the results in order (nil where a result's equation was removed as dead).
struct LoopGroup {
    var spec: LoopSpec
    var inputs: [Atom]
    var loc: SourceRange
    var outs: [Var?]
    /// How many equations of the program the group spans.
    var span: Int
}

extension Primitive {
    var loopSpec: (spec: LoopSpec, output: Int)? {
        if case .loop(let s, let k) = self { return (s, k) }
        return nil
    }
}

/// The loop group that starts at `eqns[i]` (nil when `eqns[i]` is not a loop): the consecutive equations of the
/// same loop on the same operands, each result at most once.
func loopGroup(_ eqns: [Eqn], at i: Int) -> LoopGroup? {
    guard let (spec, _) = eqns[i].prim.loopSpec else { return nil }
    var g = LoopGroup(spec: spec, inputs: eqns[i].inputs, loc: eqns[i].loc, outs: Array(repeating: nil, count: spec.resultCount), span: 0)
    var j = i
    while j < eqns.count, let (s, k) = eqns[j].prim.loopSpec, s == spec, eqns[j].inputs == g.inputs, g.outs[k] == nil {
        g.outs[k] = eqns[j].out
        j += 1
    }
    g.span = j - i
    return g
}

/// `eqns` walked in runs: each loop group (at its first equation's index), or one other equation (group nil). Every
/// equation is in exactly one run, in order; the passes that treat a loop as one walk this.
func equationRuns(_ eqns: [Eqn]) -> [(start: Int, group: LoopGroup?)] {
    var runs: [(start: Int, group: LoopGroup?)] = []
    var i = 0
    while i < eqns.count {
        let g = loopGroup(eqns, at: i)
        runs.append((i, g))
        i += g?.span ?? 1
    }
    return runs
}

extension Builder {
    /// Emits a loop's K equations (consecutive, one per result) and returns its results.
    func emitLoop(_ spec: LoopSpec, _ inputs: [Atom]) throws -> [Atom] {
        try (0..<spec.resultCount).map { try emit(.loop(spec, output: $0), inputs) }
    }
    /// Emits a loop group with its results in the given variables (new variables where nil); returns them.
    func appendLoop(_ spec: LoopSpec, _ inputs: [Atom], outs: [Var?]) throws -> [Atom] {
        try (0..<spec.resultCount).map { k in
            let t = try Primitive.loop(spec, output: k).outputType(inputs.map(\.type), literal: inputs.map(\.isLiteral))
            let v = outs[k] ?? fresh(t)
            append(Eqn(.loop(spec, output: k), inputs, v, loc: loc))
            return .v(v)
        }
    }
}

/// Parameters `x0, x1, …`, one leaf each: the signature of a program read by position (a loop's sub-program, a VJP
/// program).
func positionalParams(_ count: Int) -> [ProgramParam] { (0..<count).map { ProgramParam(name: "x\($0)", tree: .leaf) } }

/// A program whose inputs are `types` (fresh variables) and whose body is built by `body` from them.
func buildProgram(_ name: String, _ types: [TensorType], _ body: (Builder, [Atom]) throws -> [Atom]) rethrows -> Program {
    let b = Builder()
    let ins = types.map { b.fresh($0) }
    let outs = try body(b, ins.map { .v($0) })
    let p = Program(name: name, params: positionalParams(ins.count), inputs: ins,
                    eqns: b.take(), outputs: outs, outTree: .tuple(outs.map { _ in .leaf }))
    return simplify(eliminateDeadCode(p))
}

/// The rules of one result of a loop. Evaluation, transforms and C work on whole groups (LoopEval, LoopTransforms,
/// LoopEmit); the per-equation hooks a group never reaches are internal errors.
struct LoopRules: PrimitiveRules {
    let spec: LoopSpec
    let output: Int
    var name: String {
        switch spec { case .scan: return "scan"; case .whileLoop: return "while" }
    }
    var paramText: String {
        func nested(_ p: Program) -> String {
            p.text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n").trimmingCharacters(in: .whitespaces)
        }
        // The printer shows a group on one line, without `output` (Program.text).
        let outputText = output < 0 ? "" : " output=\(output)"
        switch spec {
        case .scan(let b, let length, let reverse, let c, let k):
            return "length=\(length) reverse=\(reverse ? "True" : "False") num_consts=\(c) num_carry=\(k)\(outputText) jaxpr=\(nested(b.program))"
        case .whileLoop(let cond, let body, let cc, let bc):
            return "cond_nconsts=\(cc) body_nconsts=\(bc)\(outputText) cond_jaxpr=\(nested(cond.program)) body_jaxpr=\(nested(body.program))"
        }
    }
    var fusion: FusionKind { .loop }
    /// Whether a sub-program (at any depth) uses a collective over `name`.
    func usesAxis(_ name: String) -> Bool {
        spec.programs.contains { p in equationRuns(p.eqns).contains { p.eqns[$0.start].prim.rules.usesAxis(name) } }
    }

    func outputType(_ ins: [TensorType], literal: [Bool]) throws -> TensorType {
        let want = spec.operandTypes
        try checkArity(name, ins, want.count)
        for (i, (t, w)) in zip(ins, want).enumerated() where t != w && !(literal[i] && w.isScalar && t.dtype == w.dtype) {
            throw ShapeError("\(name): operand \(i) has type \(t), the loop expects \(w)")
        }
        return spec.resultType(output)
    }

    func mapDims(_ f: (Dim) throws -> Dim) rethrows -> Primitive? {
        func sub(_ b: LoopBody) throws -> LoopBody { LoopBody(try b.program.mappingDims(f)) }
        switch spec {
        case .scan(let b, let length, let reverse, let c, let k):
            return .loop(.scan(body: try sub(b), length: try f(length), reverse: reverse, consts: c, carries: k), output: output)
        case .whileLoop(let cond, let body, let cc, let bc):
            return .loop(.whileLoop(cond: try sub(cond), body: try sub(body), condConsts: cc, bodyConsts: bc), output: output)
        }
    }

    func evaluate(_ args: [Tensor], outShape: [Int], dtype: DType) throws -> Storage {
        try evaluateLoop(spec, args)[output].storage
    }
    func vjp(_ e: Eqn, ct: Atom, need: [Bool], _ m: VJPEmitter) throws -> [Atom?] {
        throw InternalError("vjp: a loop is differentiated as a group")
    }
    func batch(_ ins: [Batched], out: TensorType, _ b: Batcher) throws -> Batched {
        throw InternalError("vmap: a loop is batched as a group")
    }
    var keepsUniform: Bool { false }
    func readsFlat(_ e: Eqn) -> Bool { false }
    func emitKernel(_ e: Eqn, target: String, _ k: KernelEmitter) throws {
        throw InternalError("codegen: a loop is emitted as a group")
    }
}

extension Program {
    /// The program with every dimension mapped by `f` (size-variable substitution), inputs renamed.
    func mappingDims(_ f: (Dim) throws -> Dim) throws -> Program {
        let b = Builder(startingAfter: maxId)
        let ins = try inputs.map { b.fresh($0.type.with(shape: try $0.type.shape.map(f))) }
        var env: [Int: Atom] = [:]
        for (v, n) in zip(inputs, ins) { env[v.id] = .v(n) }
        func get(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
        var specs = LoopSpecCache()
        for e in eqns {
            b.loc = e.loc
            env[e.out.id] = try b.emit(try AxCore.mappingDims(e.prim, &specs, f), e.inputs.map(get))
        }
        var q = self
        q.inputs = ins; q.eqns = b.take(); q.outputs = outputs.map(get)
        return q
    }
}

/// Loop specs already mapped in one rewrite, so that a group's equations keep sharing one spec.
typealias LoopSpecCache = [LoopSpec: LoopSpec]

/// `prim` with its dimensions mapped by `f`; a loop's spec is mapped once per rewrite (through `cache`).
func mappingDims(_ prim: Primitive, _ cache: inout LoopSpecCache, _ f: (Dim) throws -> Dim) rethrows -> Primitive {
    guard let (spec, k) = prim.loopSpec else { return try prim.rules.mapDims(f) ?? prim }
    if let s = cache[spec] { return .loop(s, output: k) }
    guard case .loop(let s, _)? = try prim.rules.mapDims(f) else { return prim }
    cache[spec] = s
    return .loop(s, output: k)
}

// MARK: - Reference evaluation

/// Row `i` along axis 0 of `t`.
func row(_ t: Tensor, _ i: Int) -> Tensor {
    let n = t.shape.dropFirst().reduce(1, *)
    func take<T>(_ a: [T]) -> [T] { Array(a[(i * n)..<((i + 1) * n)]) }
    let s: Storage
    switch t.storage {
    case .f32(let a): s = .f32(take(a)); case .f64(let a): s = .f64(take(a))
    case .i32(let a): s = .i32(take(a)); case .bool(let a): s = .bool(take(a))
    }
    return Tensor(shape: Array(t.shape.dropFirst()), storage: s)
}

/// `rows` (all of `type`'s shape without its first axis) stacked along a new axis 0.
func stack(_ rows: [Tensor], _ type: TensorType) throws -> Tensor {
    let shape = [rows.count] + (type.concreteShape([:])?.dropFirst() ?? [])
    func cat<T>(_ f: (Storage) -> [T]?) -> [T] { rows.flatMap { f($0.storage) ?? [] } }
    let s: Storage
    switch type.dtype {
    case .f32: s = .f32(cat { if case .f32(let a) = $0 { return a }; return nil })
    case .f64: s = .f64(cat { if case .f64(let a) = $0 { return a }; return nil })
    case .i32: s = .i32(cat { if case .i32(let a) = $0 { return a }; return nil })
    case .bool: s = .bool(cat { if case .bool(let a) = $0 { return a }; return nil })
    }
    let t = Tensor(shape: shape, storage: s)
    guard t.count == shape.reduce(1, *) else { throw InternalError("scan: stacked \(t.count) elements for \(shape)") }
    return t
}

/// Runs a loop (its dimensions all constants) on concrete operands: every result.
func evaluateLoop(_ spec: LoopSpec, _ args: [Tensor]) throws -> [Tensor] {
    switch spec {
    case .scan(let b, let length, let reverse, let c, let k):
        guard let n = length.constValue else { throw InternalError("scan: unresolved length \(length)") }
        let consts = Array(args[..<c])
        var carry = Array(args[c..<(c + k)])
        let xs = Array(args[(c + k)...])
        var ys: [[Tensor]] = Array(repeating: Array(repeating: Tensor(scalar: 0, .f32), count: n), count: b.program.outputs.count - k)
        for it in 0..<n {
            let i = reverse ? n - 1 - it : it
            let outs = try evaluate(b.program, inputs: consts + carry + xs.map { row($0, i) }, sizes: [:])
            carry = Array(outs[..<k])
            for j in ys.indices { ys[j][i] = outs[k + j] }
        }
        return try carry + ys.enumerated().map { try stack($0.element, spec.resultType(k + $0.offset)) }
    case .whileLoop(let cond, let body, let cc, let bc):
        let cconsts = Array(args[..<cc]), bconsts = Array(args[cc..<(cc + bc)])
        var carry = Array(args[(cc + bc)...])
        while try evaluate(cond.program, inputs: cconsts + carry, sizes: [:])[0].element(0) != 0 {
            carry = try evaluate(body.program, inputs: bconsts + carry, sizes: [:])
        }
        return carry
    }
}

// MARK: - C lowering

extension KernelEmitter {
    /// A loop group's nest: carries double-buffered in the scratch tail, one call of the body's kernel (a static C
    /// function, fused on its own) per iteration, the final carries copied to their buffers. The C does not grow with
    /// the trip count.
    func emitLoop(_ members: [Eqn]) throws {
        guard let (spec, _) = members[0].prim.loopSpec else { throw InternalError("codegen: not a loop") }
        let ins = members[0].inputs
        var target: [Int: String] = [:]
        for e in members { if let (_, k) = e.prim.loopSpec { target[k] = bufferName(e.out)! } }
        func pointer(_ a: Atom) -> String {
            guard case .v(let v) = a, let b = bufferName(v) else {
                let t = fresh("lit")
                line("\(a.type.dtype.cType) \(t) = \(cLiteral(a.literalValue ?? 0, a.type.dtype));")
                return "&" + t
            }
            return b
        }
        func bytes(_ t: TensorType) -> String { "(((size_t)\(count(t.shape)) * \(t.dtype.byteSize) + 63) & ~(size_t)63)" }
        let carryTypes = (0..<spec.carryCount).map { spec.resultType($0) }
        try block("") {
            // The tail: two buffers per carry, then the sub-kernels' scratch.
            line("char *ax_t = ax_tail;")
            var cur: [String] = [], nxt: [String] = []
            for (i, t) in carryTypes.enumerated() {
                let a = fresh("ca"), b = fresh("cb")
                line("\(t.dtype.cType) *\(a) = (\(t.dtype.cType) *)ax_t; ax_t += \(bytes(t));")
                line("\(t.dtype.cType) *\(b) = (\(t.dtype.cType) *)ax_t; ax_t += \(bytes(t));")
                let initial = ins[spec.firstCarry + i]
                try emitMap(target: a, shape: t.shape, flat: true) { try gen(initial, operandIndex(initial, $0)) }
                cur.append(a); nxt.append(b)
            }
            var need = carryTypes.map { "2 * \(bytes($0))" }
            func swap() {
                for (a, b) in zip(cur, nxt) {
                    let t = fresh("sw")
                    line("{ void *\(t) = (void *)\(a); \(a) = \(b); *(void **)&\(b) = \(t); }")
                }
            }
            switch spec {
            case .scan(let b, let length, let reverse, let c, let k):
                // Only the stacked results something reads are computed (the body is pruned to them).
                let ys = (k..<spec.resultCount).filter { target[$0] != nil }
                var body = b.program
                body.outputs = Array(body.outputs[..<k]) + ys.map { body.outputs[$0] }
                body.outTree = .tuple(body.outputs.map { _ in .leaf })
                let sub = try subKernel(eliminateDeadCode(body), "body")
                need.append(sub.scratch)
                let consts = ins[..<c].map(pointer), xs = ins[(c + k)...]
                let n = isSimple(dim(length)) ? dim(length) : bind("int64_t", dim(length))
                let it = fresh("it"), ix = fresh("ix")
                block("for (int64_t \(it) = 0; \(it) < \(n); \(it)++)") {
                    line("int64_t \(ix) = \(reverse ? "\(n) - 1 - \(it)" : it); (void)\(ix);")
                    let xArgs = xs.enumerated().map { j, a in
                        "\(pointer(a)) + \(ix) * \(count(Array(b.program.inputs[c + k + j].type.shape)))"
                    }
                    let yArgs = ys.map { "\(target[$0]!) + \(ix) * \(count(b.program.outputs[$0].type.shape))" }
                    line("if (\(sub.call((Array(consts) + cur + xArgs + nxt + yArgs).joined(separator: ", "), "ax_t"))) return 1;")
                    swap()
                }
            case .whileLoop(let cond, let body, let cc, let bc):
                let condK = try subKernel(cond.program, "cond"), bodyK = try subKernel(body.program, "body")
                need.append("(\(condK.scratch) > \(bodyK.scratch) ? \(condK.scratch) : \(bodyK.scratch))")
                let cconsts = ins[..<cc].map(pointer), bconsts = ins[cc..<(cc + bc)].map(pointer)
                let p = fresh("p")
                line("uint8_t \(p) = 0;")
                block("for (;;)") {
                    line("if (\(condK.call((cconsts + cur + ["&" + p]).joined(separator: ", "), "ax_t"))) return 1;")
                    line("if (!\(p)) break;")
                    line("if (\(bodyK.call((bconsts + cur + nxt).joined(separator: ", "), "ax_t"))) return 1;")
                    swap()
                }
            }
            for (i, t) in carryTypes.enumerated() {
                guard let out = target[i] else { continue }
                let src = cur[i]
                try emitMap(target: out, shape: t.shape, flat: true) { idx in
                    if case .flat(let s) = idx { return "\(src)[\(s)]" }
                    return "\(src)[0]"
                }
            }
            tailNeeds.append(need.joined(separator: " + "))
        }
    }

    /// Emits `p`'s kernel as a static C function (its own fusion, Codegen/Fuse.swift) among this kernel's sub-kernels.
    /// Returns how to call it (`call(arguments, scratch)`) and its scratch bytes, as C in this kernel's size names.
    private func subKernel(_ p: Program, _ tag: String) throws -> (call: (String, String) -> String, scratch: String) {
        let g = try fuse(p)
        let name = fresh(kernelName + "_" + tag)
        let sub = KernelEmitter(g)
        sub.minParallelElements = 262144
        sub.perElement = perElement
        let k = sub.emit(name: name, isStatic: true)
        if let f = k.failure { throw f }
        subKernels.append(k.text)
        runtime.formUnion(k.runtime)
        let sizes = g.sizeVars.map { dim(.sym($0)) }
        let scratch = "\(name)_scratch_bytes(\(sizes.joined(separator: ", ")))"
        return ({ args, scr in "\(name)(\((sizes + [args, scr]).joined(separator: ", ")))" }, scratch)
    }
}

extension Program {
    /// The sub-programs of its loops, once per loop group (a group's K equations share one spec).
    var loopPrograms: [Program] {
        var out: [Program] = [], last: LoopSpec? = nil
        for e in eqns {
            let s = e.prim.loopSpec?.spec
            if let s, s != last { out += s.programs }
            last = s
        }
        return out
    }
}
