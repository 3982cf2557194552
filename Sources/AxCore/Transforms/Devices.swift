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
/// whole operand: the table has no reduce-scatter). Other collectives are kept. The tiled collectives need the
/// device count as a constant, `count` (the map's `axis_size`; their shapes are multiples and blocks of it).
func deviceProgram(_ p: Program, axis: String, countVar: String, count: Int? = nil) throws -> (Program, DeviceAxis) {
    guard !p.sizeVars.contains(countVar) else { throw InternalError("pmap: size variable '\(countVar)' is already used by \(p.name)") }
    var info = DeviceAxis(name: axis, countVar: countVar)
    let tiled = usesTiled(p, axis)
    if tiled && count == nil {
        throw Diagnostic("pmap over '\(axis)': tiled all_gather and psum_scatter need the device count as a constant: give pmap axis_size=")
    }
    let count = tiled ? count : nil
    let b = Builder(startingAfter: p.maxId)
    let own = mappedSizePlaceholder(axis).symName!
    let placeholder = count.map { mappedPlaceholders(p, axis: axis, size: .const($0)) } ?? [own: .sym(countVar)]
    if let count { info.exactCount = count }
    var env: [Int: Atom] = [:]
    func get(_ a: Atom) -> Atom { a.variable.flatMap { env[$0.id] } ?? a }
    let saved = b.loc
    defer { b.loc = saved }
    // all_gather along `d`: along the leading axis, then moved to `d`.
    func gather(_ x: Atom, _ d: Int, _ size: Dim) throws -> Atom {
        let g = try b.emit(.allGather(axis: axis, dimension: 0, size: size, tiled: false), [x])
        guard d != 0 else { return g }
        var perm = Array(1..<g.type.rank)
        perm.insert(0, at: d)
        return try b.emit(.transpose(perm), [g])
    }
    // psum_scatter along `d`: the sum of every device's operand, of which this device takes its slice.
    func scatter(_ x: Atom, _ d: Int, loc: SourceRange) throws -> Atom {
        if x.type.shape[d] == .sym(countVar) {
            // Scattering a gathered dimension (all_gather's transpose): as large as the map, whatever its size.
        } else if let k = x.type.shape[d].constValue {
            if let j = info.exactCount, j != k {
                throw Diagnostic("psum_scatter over '\(axis)' scatters dimensions of sizes \(j) and \(k): no device count fits both", at: loc)
            }
            info.exactCount = k
        } else {
            throw Diagnostic("psum_scatter over '\(axis)' under pmap needs a scattered dimension of constant size, got \(x.type)", at: loc)
        }
        let sum = try b.emit(.collective(.sum, axis: axis), [x])
        return try b.emit(.gather(axis: d, along: false), [sum, try b.emit(.axisIndex(axis: axis), [])])
    }
    var specs = LoopSpecCache()  // a loop's results keep sharing one spec (Primitives/Loops.swift)
    for e in p.eqns {
        b.loc = e.loc
        let ins = e.inputs.map(get)
        let prim = mappingDims(e.prim, &specs) { d in d.symName.flatMap { placeholder[$0] } ?? d }
        switch prim {
        case .allGather(let a, let d, let size, let tiled) where a == axis && (d != 0 || tiled):
            // Tiled: the `size` tiles, each `dimension` long, merged into one dimension.
            let g = try gather(ins[0], d, size)
            env[e.out.id] = tiled ? try b.emit(.reshape(try prim.rules.outputType([ins[0].type], literal: [false]).shape), [g]) : g
        case .psumScatter(let a, let d, let tiled) where a == axis:
            var x = ins[0]
            if let size = tiled {
                // Tiled: the scattered dimension split into `size` blocks first.
                var shape = x.type.shape
                shape.replaceSubrange(d...d, with: [size, try prim.rules.outputType([x.type], literal: [false]).shape[d]])
                x = try b.emit(.reshape(shape), [x])
            }
            env[e.out.id] = try scatter(x, d, loc: e.loc)
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

/// Whether `p` (loop bodies included) has a tiled collective over `axis`.
func usesTiled(_ p: Program, _ axis: String) -> Bool {
    var work = [p]
    while let q = work.popLast() {
        work += q.loopPrograms
        for e in q.eqns {
            switch e.prim {
            case .allGather(axis, _, _, true), .psumScatter(axis, _, .some): return true
            default: continue
            }
        }
    }
    return false
}
