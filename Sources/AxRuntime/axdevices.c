/* axdevices.c — devices as threads: the in-process collectives table (axdevices.h, docs/c-interface.md). A barrier
   separates publishing the operands from reading them and reading them from returning, so a collective never reads
   a buffer another device may still write; reductions combine in device order, so results do not depend on which
   thread arrives first. */
#include "axdevices.h"
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define AX_MAX_LOCAL 256

typedef struct ax_team {
    int32_t local, first, devices;
    const ax_transport *transport;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int32_t arrived;
    uint32_t generation;
    int go;  /* 0 until every thread has started, then 1 (run) or -1 (a thread could not start: stop) */
    int rc;  /* the transport's code for the collective in progress, the same for every device */
    const void *in[AX_MAX_LOCAL];
    void *out[AX_MAX_LOCAL];
    int32_t from[AX_MAX_LOCAL], to[AX_MAX_LOCAL];
    int (*body)(void *, const ax_collectives *);
    void *arg;
    ax_collectives tables[AX_MAX_LOCAL];
    int codes[AX_MAX_LOCAL];
} ax_team;

/* Waits until every device of the team has arrived. The last to arrive advances the generation; the others first
   poll it for a while, yielding the core (a wake-up through the condition variable costs about 0.1 ms here), then
   sleep on the condition variable. The generation is read and written atomically, written only under the lock. */
static void ax_team_barrier(ax_team *t) {
    uint32_t g;
    int spin;
    pthread_mutex_lock(&t->mu);
    g = __atomic_load_n(&t->generation, __ATOMIC_RELAXED);
    if (++t->arrived == t->local) {
        t->arrived = 0;
        __atomic_store_n(&t->generation, g + 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        return;
    }
    pthread_mutex_unlock(&t->mu);
    for (spin = 0; spin < 200; spin++) {
        if (__atomic_load_n(&t->generation, __ATOMIC_ACQUIRE) != g) return;
        sched_yield();
    }
    pthread_mutex_lock(&t->mu);
    while (__atomic_load_n(&t->generation, __ATOMIC_ACQUIRE) == g) pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

/* Reads t->rc under the team's lock (it was written before the last barrier). */
static int ax_team_rc(ax_team *t) {
    pthread_mutex_lock(&t->mu);
    int rc = t->rc;
    pthread_mutex_unlock(&t->mu);
    return rc;
}

int64_t ax_devices_dtype_bytes(int dtype) { return dtype == 1 ? 8 : dtype == 3 ? 1 : 4; }

/* XLA's max and min: NaN-propagating, +0 above -0 (the interpreter's xlaMax and xlaMin). */
#define AX_MAXF(T) static T ax_max_##T(T a, T b) { if (a > b) return a; if (b > a) return b; if (a != a) return a; \
    if (b != b) return b; return signbit(a) ? b : a; }
#define AX_MINF(T) static T ax_min_##T(T a, T b) { if (a < b) return a; if (b < a) return b; if (a != a) return a; \
    if (b != b) return b; return signbit(a) ? a : b; }
AX_MAXF(float) AX_MINF(float) AX_MAXF(double) AX_MINF(double)

void ax_devices_reduce(int op, int dtype, const void *const *srcs, int32_t n, void *out, int64_t count) {
    int64_t i;
    int32_t d;
    switch (dtype) {
    case 0: {
        float *o = (float *)out;
        for (i = 0; i < count; i++) {
            if (op == 0) {
                double acc = ((const float *)srcs[0])[i];
                for (d = 1; d < n; d++) acc += ((const float *)srcs[d])[i];
                o[i] = (float)acc;
            } else {
                float acc = ((const float *)srcs[0])[i];
                for (d = 1; d < n; d++) acc = op == 1 ? ax_max_float(acc, ((const float *)srcs[d])[i]) : ax_min_float(acc, ((const float *)srcs[d])[i]);
                o[i] = acc;
            }
        }
        break;
    }
    case 1: {
        double *o = (double *)out;
        for (i = 0; i < count; i++) {
            double acc = ((const double *)srcs[0])[i];
            for (d = 1; d < n; d++) {
                double x = ((const double *)srcs[d])[i];
                acc = op == 0 ? acc + x : op == 1 ? ax_max_double(acc, x) : ax_min_double(acc, x);
            }
            o[i] = acc;
        }
        break;
    }
    case 2: {
        int32_t *o = (int32_t *)out;
        for (i = 0; i < count; i++) {
            int32_t acc = ((const int32_t *)srcs[0])[i];
            for (d = 1; d < n; d++) {
                int32_t x = ((const int32_t *)srcs[d])[i];
                acc = op == 0 ? (int32_t)((uint32_t)acc + (uint32_t)x) : op == 1 ? (x > acc ? x : acc) : (x < acc ? x : acc);
            }
            o[i] = acc;
        }
        break;
    }
    default: break;
    }
}

static int ax_team_all_reduce(const ax_collectives *c, int op, int dtype, const void *in, void *out, int64_t count) {
    ax_team *t = (ax_team *)c->context;
    int32_t me = c->device - t->first;
    t->in[me] = in;
    t->out[me] = out;
    ax_team_barrier(t);
    if (!t->transport) {
        /* Each device reduces its share of the elements (every element still in device order) into its own out,
           then copies the others' shares from their outs: each device reads about 2 * count elements, not
           devices * count. */
        int64_t size = ax_devices_dtype_bytes(dtype), d, lo, hi;
        const void *srcs[AX_MAX_LOCAL];
        for (d = 0; d < t->local; d++) srcs[d] = (const char *)t->in[d] + (count * me / t->local) * size;
        lo = count * me / t->local; hi = count * (me + 1) / t->local;
        ax_devices_reduce(op, dtype, srcs, t->local, (char *)out + lo * size, hi - lo);
        ax_team_barrier(t);
        for (d = 0; d < t->local; d++) {
            if (d == me) continue;
            lo = count * d / t->local; hi = count * (d + 1) / t->local;
            memcpy((char *)out + lo * size, (const char *)t->out[d] + lo * size, (size_t)((hi - lo) * size));
        }
    } else {
        if (me == 0) t->rc = t->transport->all_reduce(t->transport, op, dtype, t->in, t->local, out, count);
        ax_team_barrier(t);
        if (me != 0 && ax_team_rc(t) == 0) memcpy(out, t->out[0], (size_t)(count * ax_devices_dtype_bytes(dtype)));
    }
    ax_team_barrier(t);
    return ax_team_rc(t);
}

static int ax_team_all_gather(const ax_collectives *c, const void *in, void *out, int64_t bytes) {
    ax_team *t = (ax_team *)c->context;
    int32_t me = c->device - t->first, d;
    t->in[me] = in;
    t->out[me] = out;
    ax_team_barrier(t);
    if (!t->transport) {
        for (d = 0; d < t->local; d++) memcpy((char *)out + d * bytes, t->in[d], (size_t)bytes);
    } else {
        if (me == 0) t->rc = t->transport->all_gather(t->transport, t->in, t->local, out, bytes);
        ax_team_barrier(t);
        if (me != 0 && ax_team_rc(t) == 0) memcpy(out, t->out[0], (size_t)(bytes * t->devices));
    }
    ax_team_barrier(t);
    return ax_team_rc(t);
}

static int ax_team_permute(const ax_collectives *c, const void *in, void *out, int64_t bytes, int32_t from, int32_t to) {
    ax_team *t = (ax_team *)c->context;
    int32_t me = c->device - t->first;
    t->in[me] = in;
    t->out[me] = out;
    t->from[me] = from;
    t->to[me] = to;
    ax_team_barrier(t);
    if (t->transport && me == 0) {
        t->rc = t->transport->exchange(t->transport, t->first, t->local, t->in, t->out, t->from, t->to, bytes);
    }
    if (from < 0) memset(out, 0, (size_t)bytes);
    else if (from >= t->first && from < t->first + t->local) memcpy(out, t->in[from - t->first], (size_t)bytes);
    ax_team_barrier(t);
    return ax_team_rc(t);
}

/* A device's thread: waits until every thread has started (go 1) or one failed to (go -1), then runs its body. */
static void *ax_team_thread(void *p) {
    ax_collectives *table = (ax_collectives *)p;
    ax_team *t = (ax_team *)table->context;
    int go;
    pthread_mutex_lock(&t->mu);
    while (t->go == 0) pthread_cond_wait(&t->cv, &t->mu);
    go = t->go;
    pthread_mutex_unlock(&t->mu);
    if (go > 0) t->codes[table->device - t->first] = t->body(t->arg, table);
    return 0;
}

int ax_devices_run(int32_t local, int32_t first, int32_t devices, const ax_transport *transport,
                   int (*body)(void *arg, const ax_collectives *table), void *arg) {
    ax_team *t;
    pthread_t threads[AX_MAX_LOCAL];
    int32_t k, started = 1;
    int rc = 0;
    if (local < 1 || local > AX_MAX_LOCAL || first < 0 || first + local > devices) return -1;
    t = (ax_team *)calloc(1, sizeof(ax_team));
    if (!t) return -1;
    t->local = local; t->first = first; t->devices = devices; t->transport = transport;
    t->body = body; t->arg = arg;
    pthread_mutex_init(&t->mu, 0);
    pthread_cond_init(&t->cv, 0);
    for (k = 0; k < local; k++) {
        ax_collectives *c = &t->tables[k];
        c->device = first + k; c->devices = devices; c->context = t;
        c->all_reduce = ax_team_all_reduce; c->all_gather = ax_team_all_gather; c->permute = ax_team_permute;
    }
    /* No device runs before every thread has started: one missing would leave the others at the first barrier. */
    for (k = 1; k < local && pthread_create(&threads[k], 0, ax_team_thread, &t->tables[k]) == 0; k++) started++;
    pthread_mutex_lock(&t->mu);
    t->go = started == local ? 1 : -1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    ax_team_thread(&t->tables[0]);
    for (k = 1; k < started; k++) pthread_join(threads[k], 0);
    for (k = 0; k < local && rc == 0; k++) rc = t->codes[k];
    if (started < local) rc = -1;
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    return rc;
}
