/* pmap_mpi.c — runs Samples/pmap.ax's device kernels (step, spreads, halo_grads: axc compile --prefix pm_) with one
   device per MPI rank and a collectives table over MPI of its own, and checks them on rank 0 against `axc run`
   (README.md). Build with mpicc; run `mpirun -np 4 pmap_mpi DIR` after pmap_threads wrote the references' inputs. */
#include <mpi.h>
#include "pmap_common.h"

/* All-reduce as a gather and a reduction in device order, so the result is the same bits on every rank and as one
   process computes it (MPI_Allreduce does not promise an order). f32 only (code 9 otherwise), as the demo needs. */
static int all_reduce(const ax_collectives *t, int op, int dtype, const void *in, void *out, int64_t count) {
    float *all = (float *)malloc((size_t)(count * t->devices) * sizeof(float) + 1);
    const float *srcs[DEVICES];
    int d, rc;
    if (dtype != 0 || t->devices > DEVICES || !all) { free(all); return 9; }
    rc = MPI_Allgather(in, (int)count, MPI_FLOAT, all, (int)count, MPI_FLOAT, MPI_COMM_WORLD);
    for (d = 0; d < t->devices; d++) srcs[d] = all + d * count;
    if (rc == MPI_SUCCESS) reduce_f32(op, srcs, t->devices, (float *)out, count);
    free(all);
    return rc == MPI_SUCCESS ? 0 : 8;
}

static int all_gather(const ax_collectives *t, const void *in, void *out, int64_t bytes) {
    (void)t;
    return MPI_Allgather(in, (int)bytes, MPI_BYTE, out, (int)bytes, MPI_BYTE, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : 8;
}

static int permute(const ax_collectives *t, const void *in, void *out, int64_t bytes, int32_t from, int32_t to) {
    int rc;
    (void)t;
    rc = MPI_Sendrecv(in, (int)bytes, MPI_BYTE, to < 0 ? MPI_PROC_NULL : to, 0, out, (int)bytes, MPI_BYTE,
                      from < 0 ? MPI_PROC_NULL : from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (from < 0) memset(out, 0, (size_t)bytes);
    return rc == MPI_SUCCESS ? 0 : 8;
}

int main(int argc, char **argv) {
    inputs_t in;
    ax_collectives t;
    float step[4], spreads[4], halo[3], all_step[DEVICES * 4], all_spreads[DEVICES * 4], all_halo[DEVICES * 3];
    int rank, ranks, codes[3], failed = 0, k;
    void *scratch;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (ranks != DEVICES || argc != 2) {
        if (rank == 0) fprintf(stderr, "usage: mpirun -np %d %s DIR\n", DEVICES, argv[0]);
        MPI_Finalize();
        return 2;
    }
    make_inputs(&in);
    t.device = rank; t.devices = ranks; t.context = 0;
    t.all_reduce = all_reduce; t.all_gather = all_gather; t.permute = permute;
    scratch = malloc(pm_halo_grads_scratch_bytes(DEVICES) + pm_step_scratch_bytes() + pm_spreads_scratch_bytes() + 1);
    codes[0] = pm_step(&t, in.w, in.x[rank], &in.y[rank], step, scratch);
    codes[1] = pm_spreads(&t, in.xs[rank], spreads, scratch);
    codes[2] = pm_halo_grads(&t, in.xh[rank], halo, scratch);
    free(scratch);
    MPI_Gather(step, 4, MPI_FLOAT, all_step, 4, MPI_FLOAT, 0, MPI_COMM_WORLD);
    MPI_Gather(spreads, 4, MPI_FLOAT, all_spreads, 4, MPI_FLOAT, 0, MPI_COMM_WORLD);
    MPI_Gather(halo, 3, MPI_FLOAT, all_halo, 3, MPI_FLOAT, 0, MPI_COMM_WORLD);
    for (k = 0; k < 3; k++) if (codes[k] != 0) { printf("FAIL rank %d kernel %d returned %d\n", rank, k, codes[k]); failed = 1; }
    if (rank == 0) {
        failed |= check(argv[1], "step", all_step, 16);
        failed |= check(argv[1], "spreads", all_spreads, 16);
        failed |= check(argv[1], "halo_grads", all_halo, 12);
        printf("%s\n", failed ? "pmap_mpi: FAILED" : "pmap_mpi: all checks passed");
    }
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return failed;
}
