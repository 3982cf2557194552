/* pmap_threads.c — runs Samples/pmap.ax's device kernels (step, spreads, halo_grads: axc compile --prefix pm_) on
   4 POSIX threads with a collectives table of its own, and checks them against `axc run` (README.md).
   `pmap_threads inputs DIR` writes the inputs as .npy; `pmap_threads check DIR` runs and compares. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "pmap_common.h"

/* Writes `count` floats as a .npy of `shape` (a Python tuple, e.g. "(4, 4)"). */
static int write_npy(const char *path, const float *a, size_t count, const char *shape) {
    char header[128];
    int len = sprintf(header, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    int total = ((10 + len + 1 + 63) / 64) * 64, pad = total - 10 - len - 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    pre[8] = (unsigned char)((total - 10) & 0xff);
    pre[9] = (unsigned char)((total - 10) >> 8);
    fwrite(pre, 1, 10, f);
    fwrite(header, 1, (size_t)len, f);
    while (pad-- > 0) fputc(' ', f);
    fputc('\n', f);
    fwrite(a, sizeof(float), count, f);
    return fclose(f) != 0;
}

/* The table's shared state: a barrier and each device's operand. This table handles f32 only (all the demo needs);
   any other dtype is refused with code 9, which the kernel returns. */
typedef struct { pthread_barrier_t barrier; const void *in[DEVICES]; } team_t;

static int all_reduce(const ax_collectives *t, int op, int dtype, const void *in, void *out, int64_t count) {
    team_t *team = (team_t *)t->context;
    if (dtype != 0) return 9;
    team->in[t->device] = in;
    pthread_barrier_wait(&team->barrier);
    reduce_f32(op, (const float *const *)team->in, t->devices, (float *)out, count);
    pthread_barrier_wait(&team->barrier);  /* no device overwrites its operand before every device has read it */
    return 0;
}

static int all_gather(const ax_collectives *t, const void *in, void *out, int64_t bytes) {
    team_t *team = (team_t *)t->context;
    int d;
    team->in[t->device] = in;
    pthread_barrier_wait(&team->barrier);
    for (d = 0; d < t->devices; d++) memcpy((char *)out + d * bytes, team->in[d], (size_t)bytes);
    pthread_barrier_wait(&team->barrier);
    return 0;
}

static int permute(const ax_collectives *t, const void *in, void *out, int64_t bytes, int32_t from, int32_t to) {
    team_t *team = (team_t *)t->context;
    (void)to;
    team->in[t->device] = in;
    pthread_barrier_wait(&team->barrier);
    if (from < 0) memset(out, 0, (size_t)bytes);
    else memcpy(out, team->in[from], (size_t)bytes);
    pthread_barrier_wait(&team->barrier);
    return 0;
}

static inputs_t in;
static float out_step[DEVICES][4], out_spreads[DEVICES][4], out_halo[DEVICES][3];
static int codes[DEVICES][3];

/* One device: its three kernels on its slices, each with scratch from *_scratch_bytes. */
static void *device(void *arg) {
    const ax_collectives *t = (const ax_collectives *)arg;
    int d = t->device;
    void *scratch = malloc(pm_halo_grads_scratch_bytes(DEVICES) + pm_step_scratch_bytes() + pm_spreads_scratch_bytes() + 1);
    codes[d][0] = pm_step(t, in.w, in.x[d], &in.y[d], out_step[d], scratch);
    codes[d][1] = pm_spreads(t, in.xs[d], out_spreads[d], scratch);
    codes[d][2] = pm_halo_grads(t, in.xh[d], out_halo[d], scratch);
    free(scratch);
    return 0;
}

int main(int argc, char **argv) {
    team_t team;
    ax_collectives tables[DEVICES];
    pthread_t threads[DEVICES];
    char path[512];
    int d, k, failed = 0;
    if (argc != 3) { fprintf(stderr, "usage: %s inputs|check DIR\n", argv[0]); return 2; }
    make_inputs(&in);
    if (strcmp(argv[1], "inputs") == 0) {
        const char *names[5] = {"w", "x", "y", "xs", "xh"};
        const float *data[5] = {in.w, &in.x[0][0], in.y, &in.xs[0][0], &in.xh[0][0]};
        size_t counts[5] = {4, 16, 4, 16, 12};
        const char *shapes[5] = {"(4,)", "(4, 4)", "(4,)", "(4, 4)", "(4, 3)"};
        for (k = 0; k < 5; k++) {
            sprintf(path, "%s/pm_%s.npy", argv[2], names[k]);
            if (write_npy(path, data[k], counts[k], shapes[k])) { fprintf(stderr, "cannot write %s\n", path); return 1; }
        }
        return 0;
    }
    pthread_barrier_init(&team.barrier, 0, DEVICES);
    for (d = 0; d < DEVICES; d++) {
        tables[d].device = d; tables[d].devices = DEVICES; tables[d].context = &team;
        tables[d].all_reduce = all_reduce; tables[d].all_gather = all_gather; tables[d].permute = permute;
        if (pthread_create(&threads[d], 0, device, &tables[d]) != 0) { fprintf(stderr, "cannot start a thread\n"); return 1; }
    }
    for (d = 0; d < DEVICES; d++) pthread_join(threads[d], 0);
    pthread_barrier_destroy(&team.barrier);
    for (d = 0; d < DEVICES; d++) for (k = 0; k < 3; k++) if (codes[d][k] != 0) { printf("FAIL device %d kernel %d returned %d\n", d, k, codes[d][k]); failed = 1; }
    failed |= check(argv[2], "step", &out_step[0][0], 16);
    failed |= check(argv[2], "spreads", &out_spreads[0][0], 16);
    failed |= check(argv[2], "halo_grads", &out_halo[0][0], 12);
    printf("%s\n", failed ? "pmap_threads: FAILED" : "pmap_threads: all checks passed");
    return failed;
}
