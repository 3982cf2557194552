/* axdevices.h — devices as threads (docs/c-interface.md): the in-process collectives table of axc run and bench, a
   barrier-based team whose reductions combine in device order, and the transport by which processes (MPI) join it.
   The ax_collectives block below is Sources/AxCore/Codegen/CollectivesTable.swift's text (a test checks it). */
#ifndef AXDEVICES_H
#define AXDEVICES_H
#include <stdint.h>

#ifndef AX_COLLECTIVES_DEFINED
#define AX_COLLECTIVES_DEFINED
/* The collectives table of a device kernel (docs/c-interface.md). Every device calls the same collectives in the
   same order; each function returns 0, or a nonzero code that the kernel returns at once.
   dtype: 0 f32, 1 f64, 2 i32, 3 bool (one byte). op: 0 sum, 1 max, 2 min (NaN-propagating, as XLA's). */
typedef struct ax_collectives ax_collectives;
struct ax_collectives {
    int32_t device;   /* this device's index, 0 <= device < devices */
    int32_t devices;  /* the device count: the mapped size */
    void *context;    /* the implementation's own data */
    /* out[i] = op over every device's in[i], combined in device order (f32 sums accumulate in double) */
    int (*all_reduce)(const ax_collectives *t, int op, int dtype, const void *in, void *out, int64_t count);
    /* out = every device's `bytes` bytes of in, one after the other in device order */
    int (*all_gather)(const ax_collectives *t, const void *in, void *out, int64_t bytes);
    /* sends in to device `to` (-1: to none) and receives out from device `from` (-1: out is zeroed) */
    int (*permute)(const ax_collectives *t, const void *in, void *out, int64_t bytes, int32_t from, int32_t to);
};
#endif

/* Collectives between processes (Sources/AxCore/Runtime/MPI.swift implements them over MPI; its transportDeclC is
   this declaration, checked by a test), called by one thread of each process (its first device's, the thread that
   called ax_devices_run); `ins` are the operands of the process's `local` devices in device order.
   all_reduce: out = the reduction over every device of every process (in device order or not: the transport's choice).
   all_gather: out = every device's `bytes` bytes, in device order.
   exchange: for each local device k (global index first + k), sends ins[k] to device to[k] and receives outs[k] from
   device from[k] when that device is in another process (the team copies between its own devices). */
typedef struct ax_transport ax_transport;
struct ax_transport {
    void *state;
    int (*all_reduce)(const ax_transport *x, int op, int dtype, const void *const *ins, int32_t local, void *out, int64_t count);
    int (*all_gather)(const ax_transport *x, const void *const *ins, int32_t local, void *out, int64_t bytes);
    int (*exchange)(const ax_transport *x, int32_t first, int32_t local, const void *const *ins, void *const *outs,
                    const int32_t *from, const int32_t *to, int64_t bytes);
};

/* Runs body(arg, table) for the devices first .. first + local - 1 of `devices`, one thread each (the calling thread
   is the first), each with its own table; transport is NULL when every device is in this process. Returns the first
   nonzero code of a body in device order, 0, or -1 when a thread cannot be started. */
int ax_devices_run(int32_t local, int32_t first, int32_t devices, const ax_transport *transport,
                   int (*body)(void *arg, const ax_collectives *table), void *arg);

/* out[i] = op over srcs[0][i], srcs[1][i], ..., srcs[n-1][i] combined in that order: the reduction of every table. */
void ax_devices_reduce(int op, int dtype, const void *const *srcs, int32_t n, void *out, int64_t count);

/* Bytes of one element of a table dtype. */
int64_t ax_devices_dtype_bytes(int dtype);

#endif
