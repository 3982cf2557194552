// Running a pmap entry on devices (SPEC §2, docs/cli.md): its device kernel called once per device, each on its own
// thread with its own collectives table (Sources/AxRuntime/axdevices.c); the mapped inputs are split between the
// devices and the outputs stacked back, by pointer arithmetic along leading axes and by copies along others.
import AxRuntime
import Foundation

/// A pmap entry compiled to its device kernel.
public final class DeviceRunner: @unchecked Sendable {
    public let map: DeviceMap
    public let kernel: CompiledKernel

    /// Lowers the device program of `map` to a device kernel named `name` (passes 3 to 6 of `lower`).
    public init(_ map: DeviceMap, name: String, after: (Pass) -> Void = { _ in }) throws {
        self.map = map
        kernel = try lower(map.program, name: name, device: map.axis, after: after).kernel!
    }

    /// The device count for the entry's inputs: the mapped axis's length, or `axis_size`.
    public func deviceCount(_ inputs: [Tensor]) -> Int {
        for (t, a) in zip(inputs, map.inAxes) { if let a { return t.shape[a] } }
        return map.axisSize ?? 0
    }

    /// Checks that `devices` devices, `perProcess` of them in this process, can run the kernel: a clear error
    /// otherwise (before any thread starts, so nothing waits on a device that will never come).
    public func check(devices: Int, perProcess: Int) throws {
        if devices < 1 { throw Diagnostic("pmap over '\(map.axis.name)' needs at least one device, got a mapped size of \(devices)") }
        if perProcess > maxDevices {
            throw Diagnostic("pmap over '\(map.axis.name)': \(perProcess) devices in one process, at most \(maxDevices) (split them between MPI processes with --distributed mpi)")
        }
        if let p = map.axis.problem(devices: devices) { throw Diagnostic(p) }
    }

    /// Runs the devices `first ..< first + local` of `devices` (all of them when `transport` is nil) on the entry's
    /// whole `inputs` (as bound for the entry's program, `sizes` its size bindings). Returns the outputs stacked along
    /// their out axes, as the entry's program computes them (for devices of other processes, zeros unless gathered).
    /// `timing(device, kernel, collectives)` receives each device's kernel time and the part of it spent in the
    /// collectives (waiting for the other devices included), in seconds.
    /// With a `transport`, `gather(mine, bytes, all)` collects each output's slices of every process (`bytes` of them
    /// here at `mine`) into `all`, in process order, on rank 0.
    public func run(inputs: [Tensor], sizes: [String: Int], transport: UnsafePointer<ax_transport>? = nil,
                    first: Int = 0, local: Int? = nil, timing: ((Int, Double, Double) -> Void)? = nil,
                    gather: ((UnsafeRawPointer, Int, UnsafeMutableRawPointer) throws -> Void)? = nil) throws -> [Tensor] {
        let devices = deviceCount(inputs)
        let local = local ?? devices
        try check(devices: devices, perProcess: local)
        var bound = sizes
        bound[map.axis.countVar] = devices
        let p = kernel.program
        var sizeArgs: [Int64] = []
        for s in p.sizeVars {
            guard let k = bound[s] else { throw Diagnostic("size variable '\(s)' is not bound (give --size \(s)=...)") }
            sizeArgs.append(Int64(k))
        }
        try checkArrayLimits(p, sizes: bound)
        var owned: [AlignedBuffer] = []
        func alloc(_ bytes: Int, _ what: String) throws -> UnsafeMutableRawPointer {
            owned.append(try AlignedBuffer(bytes: bytes, for: "\(what) of kernel '\(kernel.name)'")); return owned.last!.pointer
        }
        // Outputs: the stacked shape, each device's slice of it.
        var outShapes: [[Int]] = [], outBases: [UnsafeMutableRawPointer] = []
        for (k, a) in p.outputs.enumerated() {
            guard var shape = a.type.concreteShape(bound) else { throw Diagnostic("output shape \(a.type) has unbound sizes") }
            if let ax = map.outAxes[k] { shape.insert(devices, at: ax) }
            outShapes.append(shape)
            outBases.append(try alloc(try checkedElementCount(shape, a.type.dtype) * a.type.dtype.byteSize, "output \(k)"))
            memset(outBases[k], 0, try checkedElementCount(shape, a.type.dtype) * a.type.dtype.byteSize)
        }
        let scratchBytes = kernel.scratchBytes(sizes: sizeArgs)
        let call = DeviceCall(kernel: kernel, sizes: sizeArgs, first: first, timed: timing != nil)
        let rc: Int32 = try withKernelInputs(inputs) { ins in Result {
            for d in first..<(first + local) {
                call.inputs.append(try zip(ins, zip(inputs, map.inAxes)).map { ptr, ta in
                    guard let ax = ta.1 else { return ptr }
                    return UnsafeRawPointer(try slice(ptr, shape: ta.0.shape, bytes: ta.0.dtype == .bool ? 1 : ta.0.dtype.byteSize, axis: ax, index: d,
                                                      into: { try alloc($0, "input slices") }))
                })
                call.outputs.append(try p.outputs.enumerated().map { k, a in
                    let bytes = (a.type.elementCount(bound) ?? 0) * a.type.dtype.byteSize
                    if map.outAxes[k] == 0 { return outBases[k] + d * bytes }
                    return try alloc(bytes, "output slices")
                })
                call.scratch.append(scratchBytes > 0 ? try alloc(scratchBytes, "the scratch of device \(d)") : nil)
            }
            return withExtendedLifetime(call) {
                ax_devices_run(Int32(local), Int32(first), Int32(devices), transport, deviceBody,
                               Unmanaged.passUnretained(call).toOpaque())
            }
        } }.get()
        if rc == -1 { throw Diagnostic("pmap: cannot start \(local) device threads") }
        if rc == 1 { throw Diagnostic("kernel '\(kernel.name)' rejected the sizes \(sizesDescription(bound)) (code 1)") }
        if rc != 0 { throw Diagnostic("kernel '\(kernel.name)' failed on \(devices) devices (code \(rc))") }
        if let timing { for k in 0..<local { timing(first + k, call.seconds[k], call.timed[k].seconds) } }
        // Each output's device slices put in place: this process's own (those along a leading axis are there already),
        // or with `gather` every process's (rank 0 receives them all).
        for (k, a) in p.outputs.enumerated() {
            let per = (a.type.elementCount(bound) ?? 0) * a.type.dtype.byteSize
            var slice: (Int) -> UnsafeRawPointer = { UnsafeRawPointer(call.outputs[$0 - first][k]) }
            var range = first..<(first + local)
            if let gather {
                let mine = try alloc(local * per, "output slices"), all = try alloc(devices * per, "gathered outputs")
                for d in range { memcpy(mine + (d - first) * per, call.outputs[d - first][k], per) }
                try gather(mine, local * per, all)
                slice = { UnsafeRawPointer(all + $0 * per) }
                range = 0..<devices
            } else if map.outAxes[k] == 0 { continue }
            for d in range {
                if let ax = map.outAxes[k] {
                    unslice(slice(d), into: outBases[k], shape: outShapes[k], bytes: a.type.dtype == .bool ? 1 : a.type.dtype.byteSize, axis: ax, index: d)
                } else if d == 0 { memcpy(outBases[k], slice(d), per) }
            }
        }
        return withExtendedLifetime(owned) {
            zip(p.outputs, zip(outShapes, outBases)).map { a, sp in tensor(from: UnsafeRawPointer(sp.1), shape: sp.0, dtype: a.type.dtype) }
        }
    }
}

/// What each device's thread reads: the kernel and its per-device arguments (written before the threads start).
private final class DeviceCall {
    let kernel: CompiledKernel, sizes: [Int64], first: Int, isTimed: Bool
    var inputs: [[UnsafeRawPointer]] = [], outputs: [[UnsafeMutableRawPointer]] = [], scratch: [UnsafeMutableRawPointer?] = []
    /// Each device's kernel time (written by its own thread only).
    let seconds: UnsafeMutableBufferPointer<Double>
    /// Each device's timing table, which forwards to its own table (written by its own thread only).
    let timed: UnsafeMutableBufferPointer<TimedTable>
    init(kernel: CompiledKernel, sizes: [Int64], first: Int, timed: Bool) {
        self.kernel = kernel; self.sizes = sizes; self.first = first; isTimed = timed
        seconds = .allocate(capacity: maxDevices)
        seconds.initialize(repeating: 0)
        self.timed = .allocate(capacity: maxDevices)
    }
    deinit { seconds.deallocate(); timed.deallocate() }
}

/// A collectives table that times each call of the table it forwards to (`axc bench`'s collectives share). Its
/// first field is the table the kernel receives, whose context points back here.
struct TimedTable {
    var table: ax_collectives
    var inner: UnsafePointer<ax_collectives>
    var seconds: Double
}

/// The TimedTable of a table `t` that one made.
private func timedTable(_ t: UnsafePointer<ax_collectives>?) -> UnsafeMutablePointer<TimedTable> {
    t!.pointee.context!.assumingMemoryBound(to: TimedTable.self)
}

/// `body(inner table)` timed into the TimedTable of `t`.
private func timedCall(_ t: UnsafePointer<ax_collectives>?, _ body: (UnsafePointer<ax_collectives>) -> Int32) -> Int32 {
    let w = timedTable(t)
    let start = monotonicSeconds()
    let rc = body(w.pointee.inner)
    w.pointee.seconds += monotonicSeconds() - start
    return rc
}

private let timedAllReduce: @convention(c) (UnsafePointer<ax_collectives>?, Int32, Int32, UnsafeRawPointer?, UnsafeMutableRawPointer?, Int64) -> Int32 = {
    t, op, dtype, x, out, n in timedCall(t) { $0.pointee.all_reduce($0, op, dtype, x, out, n) }
}
private let timedAllGather: @convention(c) (UnsafePointer<ax_collectives>?, UnsafeRawPointer?, UnsafeMutableRawPointer?, Int64) -> Int32 = {
    t, x, out, bytes in timedCall(t) { $0.pointee.all_gather($0, x, out, bytes) }
}
private let timedPermute: @convention(c) (UnsafePointer<ax_collectives>?, UnsafeRawPointer?, UnsafeMutableRawPointer?, Int64, Int32, Int32) -> Int32 = {
    t, x, out, bytes, from, to in timedCall(t) { $0.pointee.permute($0, x, out, bytes, from, to) }
}

/// A device's thread: its kernel on its arguments, with its table.
private let deviceBody: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<ax_collectives>?) -> Int32 = { arg, table in
    let call = Unmanaged<DeviceCall>.fromOpaque(arg!).takeUnretainedValue()
    let d = Int(table!.pointee.device) - call.first
    guard call.isTimed else {
        return call.kernel.callRaw(sizes: call.sizes, inputs: call.inputs[d], outputs: call.outputs[d], scratch: call.scratch[d],
                                   table: UnsafeRawPointer(table))
    }
    let w = call.timed.baseAddress! + d
    w.initialize(to: TimedTable(table: table!.pointee, inner: table!, seconds: 0))
    w.pointee.table.context = UnsafeMutableRawPointer(w)
    w.pointee.table.all_reduce = timedAllReduce
    w.pointee.table.all_gather = timedAllGather
    w.pointee.table.permute = timedPermute
    let start = monotonicSeconds()
    let rc = call.kernel.callRaw(sizes: call.sizes, inputs: call.inputs[d], outputs: call.outputs[d], scratch: call.scratch[d],
                                 table: UnsafeRawPointer(w))
    call.seconds[d] = monotonicSeconds() - start
    return rc
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The slice `index` along `axis` of the array at `base` (row-major `shape`, `bytes` per element): a pointer into it
/// when everything before `axis` has size 1, else a copy in memory from `alloc`.
private func slice(_ base: UnsafeRawPointer, shape: [Int], bytes: Int, axis: Int, index: Int,
                   into alloc: (Int) throws -> UnsafeMutableRawPointer) throws -> UnsafeMutableRawPointer {
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *) * bytes, n = shape[axis]
    if outer == 1 { return UnsafeMutableRawPointer(mutating: base + index * inner) }
    let out = try alloc(outer * inner)
    for o in 0..<outer { memcpy(out + o * inner, base + (o * n + index) * inner, inner) }
    return out
}

/// Writes the slice at `src` into position `index` along `axis` of the array at `base` (the inverse of `slice`).
private func unslice(_ src: UnsafeRawPointer, into base: UnsafeMutableRawPointer, shape: [Int], bytes: Int, axis: Int, index: Int) {
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *) * bytes, n = shape[axis]
    for o in 0..<outer { memcpy(base + (o * n + index) * inner, src + o * inner, inner) }
}

/// A tensor holding a copy of the `shape` elements at `p`.
func tensor(from p: UnsafeRawPointer, shape: [Int], dtype: DType) -> Tensor {
    let n = shape.reduce(1, *)
    switch dtype {
    case .f32: return Tensor(shape: shape, storage: .f32(Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: n))))
    case .f64: return Tensor(shape: shape, storage: .f64(Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Double.self), count: n))))
    case .i32: return Tensor(shape: shape, storage: .i32(Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Int32.self), count: n))))
    case .bool: return Tensor(shape: shape, storage: .bool(UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n).map { $0 != 0 }))
    }
}
