// `--distributed mpi` (SPEC §3, docs/cli.md): a transport for the device team (axdevices.h) over MPI, written in C
// below and compiled at run time by libtcc against the system's mpi.h and libmpi.so, so that axc builds, runs and
// tests without MPI installed. Within a process devices are threads; one thread per process makes the MPI calls.
import AxRuntime
import Foundation

/// How all-reduces combine across processes.
public enum MPIReduce: String, Sendable, CaseIterable {
    /// Gather every device's operand and reduce in device order (MPI_Allgather): bit-identical to one process.
    case ordered
    /// MPI_Allreduce of each process's partial result: less traffic, but MPI chooses the order of the sums.
    case allreduce
}

/// The MPI glue: the transport and the few calls `axc run` needs around it (agreement, gathering the outputs).
private let mpiGlueC = """
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
\(transportDeclC)
void ax_devices_reduce(int op, int dtype, const void *const *srcs, int32_t n, void *out, int64_t count);
int64_t ax_devices_dtype_bytes(int dtype);

static int ax_rank, ax_ranks, ax_ordered, ax_inited;
static MPI_Op ax_max_op, ax_min_op;

/* XLA's max and min (NaN-propagating) as MPI operations, for the MPI_Allreduce mode. */
static int ax_user_dtype;
static void ax_mpi_max(void *in, void *inout, int *len, MPI_Datatype *t) {
    const void *srcs[2]; srcs[0] = inout; srcs[1] = in; (void)t;
    ax_devices_reduce(1, ax_user_dtype, srcs, 2, inout, *len);
}
static void ax_mpi_min(void *in, void *inout, int *len, MPI_Datatype *t) {
    const void *srcs[2]; srcs[0] = inout; srcs[1] = in; (void)t;
    ax_devices_reduce(2, ax_user_dtype, srcs, 2, inout, *len);
}
static MPI_Datatype ax_type(int dtype) { return dtype == 0 ? MPI_FLOAT : dtype == 1 ? MPI_DOUBLE : dtype == 2 ? MPI_INT : MPI_BYTE; }

int ax_mpi_init(int ordered, int *rank, int *ranks) {
    int provided = 0;
    if (MPI_Init_thread(0, 0, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return 1;
    ax_inited = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &ax_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ax_ranks);
    MPI_Op_create(ax_mpi_max, 1, &ax_max_op);
    MPI_Op_create(ax_mpi_min, 1, &ax_min_op);
    ax_ordered = ordered;
    *rank = ax_rank; *ranks = ax_ranks;
    return 0;
}

void ax_mpi_finalize(void) { if (ax_inited) MPI_Finalize(); ax_inited = 0; }
void ax_mpi_abort(int code) { if (ax_inited) MPI_Abort(MPI_COMM_WORLD, code); }

/* 0 when every process passed the same value. */
int ax_mpi_agree(uint64_t h) {
    unsigned long long mine = h, lo = 0, hi = 0;
    if (MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS) return 4;
    if (MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS) return 4;
    return lo == hi ? 0 : 1;
}

/* Every process's `bytes` at `mine`, in rank order, into `all` on rank 0. */
int ax_mpi_gather(const void *mine, int64_t bytes, void *all) {
    if (bytes > 0x7fffffff) return 5;
    return MPI_Gather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : 4;
}

/* The local devices' operands, one after the other, gathered from every process into `all` (device order). */
static int ax_gather_local(const void *const *ins, int32_t local, void *all, int64_t bytes) {
    int32_t k;
    char *mine = (char *)all + (int64_t)ax_rank * local * bytes;
    if ((int64_t)local * bytes > 0x7fffffff) return 5;
    for (k = 0; k < local; k++) memcpy(mine + k * bytes, ins[k], (size_t)bytes);
    return MPI_Allgather(MPI_IN_PLACE, 0, MPI_BYTE, all, (int)(local * bytes), MPI_BYTE, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : 4;
}

static int ax_t_all_gather(const ax_transport *x, const void *const *ins, int32_t local, void *out, int64_t bytes) {
    (void)x;
    return ax_gather_local(ins, local, out, bytes);
}

static int ax_t_all_reduce(const ax_transport *x, int op, int dtype, const void *const *ins, int32_t local, void *out, int64_t count) {
    int64_t size = ax_devices_dtype_bytes(dtype), devices = (int64_t)local * ax_ranks, d;
    int rc;
    (void)x;
    if (ax_ordered) {
        char *all = (char *)malloc((size_t)(devices * count * size + 1));
        const void **srcs = (const void **)malloc((size_t)devices * sizeof(void *));
        if (!all || !srcs) { free(all); free(srcs); return 6; }
        rc = ax_gather_local(ins, local, all, count * size);
        for (d = 0; d < devices; d++) srcs[d] = all + d * count * size;
        if (rc == 0) ax_devices_reduce(op, dtype, srcs, (int32_t)devices, out, count);
        free(all); free(srcs);
        return rc;
    }
    if (count > 0x7fffffff) return 5;
    ax_devices_reduce(op, dtype, ins, local, out, count);
    ax_user_dtype = dtype;
    return MPI_Allreduce(MPI_IN_PLACE, out, (int)count, ax_type(dtype), op == 0 ? MPI_SUM : op == 1 ? ax_max_op : ax_min_op,
                         MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : 4;
}

static int ax_t_exchange(const ax_transport *x, int32_t first, int32_t local, const void *const *ins, void *const *outs,
                         const int32_t *from, const int32_t *to, int64_t bytes) {
    MPI_Request reqs[512];
    int n = 0;
    int32_t k;
    (void)x;
    if (bytes > 0x7fffffff) return 5;
    for (k = 0; k < local; k++) {
        if (from[k] >= 0 && from[k] / local != ax_rank)
            MPI_Irecv(outs[k], (int)bytes, MPI_BYTE, from[k] / local, first + k, MPI_COMM_WORLD, &reqs[n++]);
        if (to[k] >= 0 && to[k] / local != ax_rank)
            MPI_Isend((void *)ins[k], (int)bytes, MPI_BYTE, to[k] / local, to[k], MPI_COMM_WORLD, &reqs[n++]);
    }
    return MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE) == MPI_SUCCESS ? 0 : 4;
}

static ax_transport ax_mpi_transport_value = {0, ax_t_all_reduce, ax_t_all_gather, ax_t_exchange};
const ax_transport *ax_mpi_transport(void) { return &ax_mpi_transport_value; }
"""

/// The declaration of `ax_transport` for the glue: Sources/AxRuntime/include/axdevices.h's (a test checks it).
let transportDeclC = """
typedef struct ax_transport ax_transport;
struct ax_transport {
    void *state;
    int (*all_reduce)(const ax_transport *x, int op, int dtype, const void *const *ins, int32_t local, void *out, int64_t count);
    int (*all_gather)(const ax_transport *x, const void *const *ins, int32_t local, void *out, int64_t bytes);
    int (*exchange)(const ax_transport *x, int32_t first, int32_t local, const void *const *ins, void *const *outs,
                    const int32_t *from, const int32_t *to, int64_t bytes);
};

"""

/// An MPI job this process belongs to (`--distributed mpi`): MPI loaded and initialized, its transport ready.
public final class MPISession: @unchecked Sendable {
    public let rank: Int, ranks: Int
    private let module: TccModule
    private let transport: UnsafePointer<ax_transport>
    private let agreeFn: @convention(c) (UInt64) -> Int32
    private let gatherFn: @convention(c) (UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?) -> Int32
    private let finalizeFn: @convention(c) () -> Void
    private let abortFn: @convention(c) (Int32) -> Void

    /// Loads libmpi, compiles the glue and calls MPI_Init_thread. A clear error when Open MPI is not installed.
    public init(reduce: MPIReduce) throws {
        let libs = ["libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so"]
        // RTLD_GLOBAL: Open MPI's own plugins, loaded later, need libmpi's symbols; the glue resolves them from there.
        guard libs.contains(where: { dlopen($0, RTLD_NOW | RTLD_GLOBAL) != nil }) else {
            throw Diagnostic("--distributed mpi needs Open MPI's libmpi.so, which is not installed (apt-get install openmpi-bin libopenmpi-dev)")
        }
        let includes = mpiIncludePaths()
        guard includes.contains(where: { FileManager.default.fileExists(atPath: $0 + "/mpi.h") }) else {
            throw Diagnostic("--distributed mpi needs mpi.h, which is not installed (apt-get install libopenmpi-dev)")
        }
        let reduceFn: @convention(c) (Int32, Int32, UnsafePointer<UnsafeRawPointer?>?, Int32, UnsafeMutableRawPointer?, Int64) -> Void = ax_devices_reduce
        let dtypeBytes: @convention(c) (Int32) -> Int64 = ax_devices_dtype_bytes
        let symbols = [("ax_devices_reduce", unsafeBitCast(reduceFn, to: UnsafeRawPointer.self)),
                       ("ax_devices_dtype_bytes", unsafeBitCast(dtypeBytes, to: UnsafeRawPointer.self))]
        // libtcc links in memory against registered symbols only: the MPI (and libc) symbols the glue needs, whatever
        // mpi.h maps its names to, are those it reports undefined, looked up in the process.
        let m: TccModule
        do { m = try TccModule(source: mpiGlueC, symbols: symbols, includePaths: includes) }
        catch let first as TccError {
            let marker = "undefined symbol '"
            var found: [(String, UnsafeRawPointer)] = []
            for msg in first.messages {
                guard let r = msg.range(of: marker), let end = msg[r.upperBound...].firstIndex(of: "'") else { continue }
                let name = String(msg[r.upperBound..<end])
                guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                    throw InternalError("the MPI glue needs '\(name)', which neither libmpi nor the process defines")
                }
                found.append((name, UnsafeRawPointer(p)))
            }
            do { m = try TccModule(source: mpiGlueC, symbols: symbols + found, includePaths: includes) }
            catch let e as TccError { throw InternalError("libtcc failed to compile the MPI glue against mpi.h:\n\(e.description)") }
        }
        module = m
        func fn<T>(_ name: String, _ t: T.Type) throws -> T {
            guard let p = m.symbol(name) else { throw InternalError("the MPI glue lacks \(name)") }
            return unsafeBitCast(p, to: t)
        }
        let initFn = try fn("ax_mpi_init", (@convention(c) (Int32, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32).self)
        agreeFn = try fn("ax_mpi_agree", (@convention(c) (UInt64) -> Int32).self)
        gatherFn = try fn("ax_mpi_gather", (@convention(c) (UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?) -> Int32).self)
        finalizeFn = try fn("ax_mpi_finalize", (@convention(c) () -> Void).self)
        abortFn = try fn("ax_mpi_abort", (@convention(c) (Int32) -> Void).self)
        let transportFn = try fn("ax_mpi_transport", (@convention(c) () -> UnsafePointer<ax_transport>).self)
        var r: Int32 = 0, n: Int32 = 0
        guard initFn(reduce == .ordered ? 1 : 0, &r, &n) == 0 else { throw Diagnostic("--distributed mpi: MPI_Init_thread failed") }
        rank = Int(r); ranks = Int(n)
        transport = transportFn()
    }

    /// Checks that every process runs the same thing (`key`: the program, entry, arguments and sizes); a clear error
    /// on every process otherwise, before any collective could wait for a process that will never call it.
    public func agree(on key: String) throws {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let rc = agreeFn(h)
        if rc == 1 { throw Diagnostic("--distributed mpi: the \(ranks) processes do not run the same program, entry, arguments and sizes") }
        if rc != 0 { throw Diagnostic("--distributed mpi: MPI failed while checking the processes agree (code \(rc))") }
    }

    /// Runs this process's share of the devices of `runner` and gathers the outputs on rank 0 (other ranks get
    /// outputs too, holding only their own devices' slices). The mapped size must be a multiple of the process count.
    /// `timing` as `DeviceRunner.run`'s, for this process's devices.
    public func run(_ runner: DeviceRunner, inputs: [Tensor], sizes: [String: Int],
                    timing: ((Int, Double, Double) -> Void)? = nil) throws -> [Tensor] {
        let devices = runner.deviceCount(inputs)
        guard devices % ranks == 0, devices > 0 else {
            throw Diagnostic("--distributed mpi: the mapped size \(devices) is not a multiple of the \(ranks) processes (each runs the same number of devices)")
        }
        let local = devices / ranks
        return try runner.run(inputs: inputs, sizes: sizes, transport: transport, first: rank * local, local: local, timing: timing) { mine, bytes, all in
            let rc = self.gatherFn(mine, Int64(bytes), all)
            if rc != 0 { throw Diagnostic("--distributed mpi: gathering the outputs on rank 0 failed (code \(rc))") }
        }
    }

    /// MPI_Finalize (after a successful run).
    public func finalize() { finalizeFn() }
    /// MPI_Abort: ends every process of the job (after an error on this one, so no other waits for it).
    public func abort(_ code: Int32) { abortFn(code) }
}

/// Where mpi.h is: `mpicc --showme:incdirs` when mpicc exists, else Debian's Open MPI directories.
private func mpiIncludePaths() -> [String] {
    var paths = ["/usr/lib/x86_64-linux-gnu/openmpi/include", "/usr/lib/x86_64-linux-gnu/openmpi/include/openmpi", "/usr/include/openmpi"]
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let mpicc = "\(dir)/mpicc"
        guard FileManager.default.isExecutableFile(atPath: mpicc) else { continue }
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: mpicc)
        p.arguments = ["--showme:incdirs"]
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            paths = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) + paths
        }
        break
    }
    return paths
}
