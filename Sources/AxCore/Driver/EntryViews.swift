// Views of an entry other than its transformed program: the untransformed def (`axc ir --stage parsed`)
// and, for a vmap entry, the unbatched function the per-example loop of `axc bench` calls.

extension Elaborator {
    /// The def at the core of a function value (`f` in `jit(vmap(grad(f)))`).
    func coreDef(_ fv: FunctionValue) -> String {
        switch fv {
        case .def(let name): return name
        case .jit(let f), .vmap(let f, _, _, _, _, _), .grad(let f, _, _, _, _), .jvp(let f, _), .jacobian(let f, _, _, _, _):
            return coreDef(f)
        }
    }

    /// For an entry `vmap(f)` or `jit(vmap(f))` mapped over leading axes: `f`'s program, its in_axes per leaf
    /// and the mapped size's name. Nil for other entries, or when an axis is not leading (0 or None in, 0 out).
    func unbatched(_ name: String) throws -> (Program, [Int?], String)? {
        guard bindings[name] != nil else { return nil }
        var fv = try bindingValue(name)
        if case .jit(let f) = fv { fv = f }
        guard case .vmap(let f, let inAxes, let outAxes, let axisSize, _, let range) = fv, axisSize == nil else { return nil }
        let sizeName = vmapSizeNames(fv, used: sizeVars(of: fv)).first ?? "n"
        let inner = try programFor(f, sizeNames: Array(vmapSizeNames(fv, used: sizeVars(of: fv)).dropFirst()))
        let ins = try flattenInAxes(inAxes, inner, describe(f), at: range)
        let outs = try flattenOutAxes(outAxes, inner, at: range)
        let leading = zip(ins, inner.inputs).allSatisfy { a, v in a == nil || a == 0 || a == -(v.type.rank + 1) }
        guard leading, outs.allSatisfy({ $0 == 0 }), ins.contains(where: { $0 != nil }) else { return nil }
        return (inner, ins, sizeName)
    }
}

/// The entry `name` with or without its transforms: without, the program of its core def.
public func elaborateEntry(_ m: Module, name: String, applyTransforms: Bool) throws -> Entry {
    let e = try Elaborator(m)
    var entry = try e.entry(name)
    if !applyTransforms, e.bindings[name] != nil {
        let core = e.coreDef(try e.bindingValue(name))
        entry.program = try e.entry(core).program
    }
    return entry
}

/// The per-example loop of a vmap entry (nil if `name` is not a vmap over leading axes).
func loopProgram(_ m: Module, _ name: String) throws -> PerExampleLoop? {
    guard let (p, inAxes, sizeName) = try Elaborator(m).unbatched(name) else { return nil }
    return try PerExampleLoop(program: p, inAxes: inAxes, sizeName: sizeName, name: name)
}
