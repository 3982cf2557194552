// The per-device program of a pmap (docs/pipeline.md, "Devices"): the mapped function itself, its collectives over
// the pmap's axis name kept as primitives and rewritten into the three calls of the collectives table (all-reduce,
// all-gather along the leading axis, permute); the device count becomes a size variable.

/// The mapped axis of a device kernel and what its collectives need of the device count.
public struct DeviceAxis: Sendable, Hashable {
    /// The pmap's axis name ("" when it has none).
    public var name: String
    /// The size variable that holds the device count in the device program (all_gather's output has it); the kernel
    /// reads it from the collectives table, not from its arguments.
    public var countVar: String
    /// The device count the program needs exactly (psum_scatter's scattered dimension), if any.
    public var exactCount: Int? = nil
    /// The least device count the program needs (ppermute's largest device index + 1).
    public var minCount: Int = 0

    /// Why `devices` devices cannot run the program (nil when they can).
    public func problem(devices: Int) -> String? {
        if let k = exactCount, devices != k {
            return "psum_scatter over '\(name)' scatters a dimension of size \(k), but the map has \(devices) devices"
        }
        if devices < minCount { return "ppermute over '\(name)' names device \(minCount - 1), but the map has \(devices) devices" }
        return nil
    }
}

/// Devices per process, at most (SPEC §2).
public let maxDevices = 256

/// The device program of `p` (the function a pmap maps, over the axis `axis`): all_gather's mapped-size placeholder
/// becomes the size variable `countVar`; `all_gather` along an inner dimension becomes a gather along the leading one
/// and a transpose; `psum_scatter` becomes a `psum` and a `take` of this device's slice (each device reduces the
/// whole operand: the table has no reduce-scatter). Other collectives are kept.
func deviceProgram(_ p: Program, axis: String, countVar: String) throws -> (Program, DeviceAxis) {
    guard !p.sizeVars.contains(countVar) else { throw InternalError("pmap: size variable '\(countVar)' is already used by \(p.name)") }
    var info = DeviceAxis(name: axis, countVar: countVar)
    let b = Builder(startingAfter: p.maxId)
    let placeholder = [mappedSizePlaceholder(axis).symName!: Dim.sym(countVar)]
    var env: [Int: Atom] = [:]
    func get(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
    let saved = b.loc
    defer { b.loc = saved }
    var specs = LoopSpecCache()  // a loop's results keep sharing one spec (Primitives/Loops.swift)
    for e in p.eqns {
        b.loc = e.loc
        let ins = e.inputs.map(get)
        let prim = mappingDims(e.prim, &specs) { d in d.symName.flatMap { placeholder[$0] } ?? d }
        switch prim {
        case .allGather(let a, let d, let size) where a == axis && d != 0:
            let g = try b.emit(.allGather(axis: a, dimension: 0, size: size), ins)
            var perm = Array(1..<g.type.rank)
            perm.insert(0, at: d)
            env[e.out.id] = try b.emit(.transpose(perm), [g])
        case .psumScatter(let a, let d) where a == axis:
            if ins[0].type.shape[d] == .sym(countVar) {
                // Scattering a gathered dimension (all_gather's transpose): as large as the map, whatever its size.
            } else if let k = ins[0].type.shape[d].constValue {
                if let j = info.exactCount, j != k {
                    throw Diagnostic("psum_scatter over '\(axis)' scatters dimensions of sizes \(j) and \(k): no device count fits both", at: e.loc)
                }
                info.exactCount = k
            } else {
                throw Diagnostic("psum_scatter over '\(axis)' under pmap needs a scattered dimension of constant size, got \(ins[0].type)", at: e.loc)
            }
            let sum = try b.emit(.collective(.sum, axis: a), ins)
            env[e.out.id] = try b.emit(.gather(axis: d, along: false), [sum, try b.emit(.axisIndex(axis: a), [])])
        case .ppermute(let a, let perm) where a == axis:
            var sources = Set<Int>(), destinations = Set<Int>()
            for pair in perm {
                guard pair.count == 2, pair[0] >= 0, pair[1] >= 0, sources.insert(pair[0]).inserted, destinations.insert(pair[1]).inserted else {
                    throw Diagnostic("ppermute: perm \(perm) is not a partial permutation (each source and destination at most once, none negative)", at: e.loc)
                }
                info.minCount = max(info.minCount, pair[0] + 1, pair[1] + 1)
            }
            env[e.out.id] = try b.emit(prim, ins)
        default:
            env[e.out.id] = try b.emit(prim, ins)
        }
    }
    var q = p
    q.eqns = b.take()
    q.outputs = p.outputs.map(get)
    try q.verify()
    return (q, info)
}
