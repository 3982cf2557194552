// The collectives table a device kernel takes as its first argument (SPEC §4, docs/c-interface.md): one C
// definition, written into libtcc's prelude, into the header of `axc compile` and (checked by a test) into
// Sources/AxRuntime/include/axdevices.h, whose in-process implementation runs devices as threads.

/// The C declaration of `ax_collectives`, guarded so that several headers may carry it.
public let collectivesTableC = """
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

"""
