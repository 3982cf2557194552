// Views of an entry other than its transformed program: the untransformed def (`axc ir --stage parsed`),
// for a vmap entry the unbatched function the per-example loop of `axc bench` calls, and for a pmap entry its
// device program (Transforms/Devices.swift).

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
        // A function whose collectives need the map (pmap, vmap with axis_name) has no per-example kernel.
        guard !inner.eqns.contains(where: { $0.prim.rules.axisName != nil }) else { return nil }
        let ins = try flattenInAxes(inAxes, inner, describe(f), at: range)
        let outs = try flattenOutAxes(outAxes, inner, at: range)
        let leading = zip(ins, inner.inputs).allSatisfy { a, v in a == nil || a == 0 || a == -(v.type.rank + 1) }
        guard leading, outs.allSatisfy({ $0 == 0 }), ins.contains(where: { $0 != nil }) else { return nil }
        return (inner, ins, sizeName)
    }
}

/// A pmap entry's device view: the program each device runs and how the entry's arguments map onto devices.
public struct DeviceMap: Sendable {
    /// The device program (Transforms/Devices.swift), not yet simplified (`lower` does that).
    public var program: Program
    /// The mapped axis: its name and what its collectives need of the device count.
    public var axis: DeviceAxis
    /// Per input leaf of the entry, the axis split between devices (nil: every device gets the whole leaf); per output
    /// leaf, the axis the devices' outputs are stacked along (nil: device 0's output). Non-negative.
    public var inAxes: [Int?], outAxes: [Int?]
    /// The map's `axis_size`, if given.
    public var axisSize: Int?
}

extension Elaborator {
    /// For an entry `pmap(f)` or `jit(pmap(f))`: its device view; nil for other entries.
    func deviceMap(_ name: String) throws -> DeviceMap? {
        guard bindings[name] != nil else { return nil }
        var fv = try bindingValue(name)
        if case .jit(let f) = fv { fv = f }
        guard case .vmap(let f, let inAxes, let outAxes, let axisSize, let mapName, let range) = fv, let mapName, mapName.pmap else { return nil }
        let names = vmapSizeNames(fv, used: sizeVars(of: fv))
        let inner = try programFor(f, sizeNames: Array(names.dropFirst()))
        // A collective inside a loop's body runs as the named vmap (docs/deviations.md): device kernels call the
        // collectives table only from their own top level.
        if equationRuns(inner.eqns).contains(where: { $0.group != nil && inner.eqns[$0.start].prim.rules.usesAxis(mapName.name) }) {
            return nil
        }
        let ins = try flattenInAxes(inAxes, inner, describe(f), at: range)
        let outs = try flattenOutAxes(outAxes, inner, at: range)
        func normal(_ a: Int?, _ t: TensorType) -> Int? { a.map { $0 < 0 ? $0 + t.rank + 1 : $0 } }
        let (p, axis): (Program, DeviceAxis)
        do { (p, axis) = try deviceProgram(inner, axis: mapName.name, countVar: names.first ?? "n", count: axisSize) }
        catch var d as Diagnostic { if d.range == nil { d.range = range }; throw d }
        return DeviceMap(program: p, axis: axis, inAxes: zip(ins, inner.inputs).map { normal($0, $1.type) },
                         outAxes: zip(outs, inner.outputs).map { normal($0, $1.type) }, axisSize: axisSize)
    }
}

/// The device view of the entry `name` (nil unless it is `pmap(f)` or `jit(pmap(f))`).
public func deviceMap(_ m: Module, _ name: String) throws -> DeviceMap? {
    try Elaborator(m).deviceMap(name)
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
