// The runtime the kernels call, as C source: one table that is both the -O3 AxRuntime target (axruntime.c is
// generated from it; a test checks the file) and the static portable twins written into standalone C.
// Vector functions work on tiles; f32 transcendentals are evaluated in double and rounded once, and the interpreter
// calls the same functions (axruntime.h is generated too), so eager and jit compute the same bits.

/// A runtime function: its name, C prototype, portable definition, and the helpers its definition calls.
/// Definitions are built on demand: kernels compiled by libtcc need only the prototypes.
struct RuntimeFunction {
    var name: String
    var proto: String
    private var makeSource: () -> String
    var deps: [String]
    /// The definition in axruntime.c when it differs from the portable one (the thread pool).
    var native: String?
    var source: String { makeSource() }
    init(name: String, proto: String, source: @autoclosure @escaping () -> String, deps: [String] = [], native: String? = nil) {
        self.name = name; self.proto = proto; self.makeSource = source; self.deps = deps; self.native = native
    }
}

/// The runtime's tile function of element-wise op `op` on dtype `t` (`ax_vOP_T`), scalar function (`ax_OP_T`) and
/// GEMM: the names the table defines and the emitter and interpreter call.
func tileName(_ op: String, _ t: DType) -> String { "ax_v\(op)_\(t)" }
func runtimeScalarName(_ op: String, _ t: DType) -> String { "ax_\(op)_\(t)" }
func gemmName(_ t: DType) -> String { "ax_gemm_\(t)" }

/// The C type of a float dtype name.
private func cType(_ t: String) -> String { t == "f32" ? "float" : "double" }

/// The row loop of ax_gemm (a helper: the struct of its arguments and a static function over rows [lo, hi)).
private func gemmRows(_ t: String) -> String {
    let acc = cType(t)
    return """
    struct ax_gemm_args_\(t) {
        int64_t m, n, k, sam, sak, sbk, sbn, scm, scn;
        const \(acc) *a, *b;
        \(acc) *c;
    };
    static void ax_gemm_rows_\(t)(void *ctx, int64_t lo, int64_t hi) {
        const struct ax_gemm_args_\(t) *g = (const struct ax_gemm_args_\(t) *)ctx;
        const int64_t n = g->n, k = g->k, sam = g->sam, sak = g->sak, sbk = g->sbk, sbn = g->sbn, scm = g->scm, scn = g->scn;
        const \(acc) *a = g->a, *b = g->b;
        \(acc) *c = g->c;
        int64_t i, j, p;
        if (k == 1 && sbn == 1 && scn == 1) {
            for (i = lo; i < hi; i++) {
                const \(acc) av = a[i * sam];
                \(acc) *cp = c + i * scm;
                for (j = 0; j < n; j++) cp[j] = (\(acc))((double)av * b[j]);
            }
            return;
        }
        if (n <= 16 && k <= 32) {
            /* Few output columns (n x 5 @ 5 x 3): 64 rows at a time, transposed into double, so the inner
               loops run along rows and vectorize. Chosen by n and k only, so a row's result never depends on
               how many rows were computed with it. */
            double bt[32 * 16], at[32 * 64], ct[16 * 64];
            int64_t i0, ib, q;
            for (p = 0; p < k; p++) for (j = 0; j < n; j++) bt[p * n + j] = b[p * sbk + j * sbn];
            for (i0 = lo; i0 < hi; i0 += 64) {
                ib = hi - i0 < 64 ? hi - i0 : 64;
                for (p = 0; p < k; p++) for (q = 0; q < ib; q++) at[p * 64 + q] = a[(i0 + q) * sam + p * sak];
                for (j = 0; j < n; j++) {
                    double *cj = ct + j * 64;
                    for (q = 0; q < ib; q++) cj[q] = 0;
                    for (p = 0; p < k; p++) {
                        const double bv = bt[p * n + j];
                        const double *ap = at + p * 64;
                        for (q = 0; q < ib; q++) cj[q] += ap[q] * bv;
                    }
                }
                for (q = 0; q < ib; q++) for (j = 0; j < n; j++) c[(i0 + q) * scm + j * scn] = (\(acc))ct[j * 64 + q];
            }
            return;
        }
        if (sbn == 1 && scn == 1 && n > 1) {
            double acc[256];
            int64_t j0, nb;
            for (i = lo; i < hi; i++) {
                for (j0 = 0; j0 < n; j0 += 256) {
                    nb = n - j0 < 256 ? n - j0 : 256;
                    for (j = 0; j < nb; j++) acc[j] = 0;
                    for (p = 0; p < k; p++) {
                        const double av = a[i * sam + p * sak];
                        const \(acc) *bp = b + p * sbk + j0;
                        for (j = 0; j < nb; j++) acc[j] += av * bp[j];
                    }
                    for (j = 0; j < nb; j++) c[i * scm + j0 + j] = (\(acc))acc[j];
                }
            }
            return;
        }
        for (i = lo; i < hi; i++) {
            for (j = 0; j < n; j++) {
                const \(acc) *ap = a + i * sam, *bp = b + j * sbn;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                p = 0;
                if (sak == 1 && sbk == 1) {
                    for (; p + 4 <= k; p += 4) {
                        s0 += (double)ap[p] * bp[p]; s1 += (double)ap[p + 1] * bp[p + 1];
                        s2 += (double)ap[p + 2] * bp[p + 2]; s3 += (double)ap[p + 3] * bp[p + 3];
                    }
                }
                for (; p < k; p++) s0 += (double)ap[p * sak] * bp[p * sbk];
                c[i * scm + j * scn] = (\(acc))((s0 + s1) + (s2 + s3));
            }
        }
    }
    """
}

/// C[i*scm + j*scn] = sum_p A[i*sam + p*sak] * B[p*sbk + j*sbn] for i < m, j < n, accumulated in double.
private func gemm(_ t: String) -> String {
    let acc = cType(t)
    return """
    void ax_gemm_\(t)(int64_t m, int64_t n, int64_t k, const \(acc) *a, int64_t sam, int64_t sak,
                     const \(acc) *b, int64_t sbk, int64_t sbn, \(acc) *c, int64_t scm, int64_t scn) {
        struct ax_gemm_args_\(t) g;
        int64_t work = (n > 0 ? n : 1) * (k > 0 ? k : 1);
        g.m = m; g.n = n; g.k = k; g.sam = sam; g.sak = sak; g.sbk = sbk; g.sbn = sbn; g.scm = scm; g.scn = scn;
        g.a = a; g.b = b; g.c = c;
        /* Rows in grains of about 2^18 multiply-adds, at least 64 rows. */
        ax_parallel_for(m, work >= 4096 ? 64 : 262144 / work / 64 * 64 + 64, ax_gemm_rows_\(t), &g);
    }
    """
}

private func gemmProto(_ t: String) -> String {
    let c = cType(t)
    return "void ax_gemm_\(t)(int64_t, int64_t, int64_t, const \(c) *, int64_t, int64_t, const \(c) *, int64_t, int64_t, \(c) *, int64_t, int64_t);"
}

// MARK: double-precision cores of the f32 transcendentals (branch-free, so -O3 vectorizes the loops that call them)

/// exp(x) for |x| <= 700: x = k ln2 + r, a degree-11 Taylor polynomial of exp(r), times 2^k built from bits
/// (k + 1023 is read off the low mantissa bits of x/ln2 + 1.5*2^52, so no float-to-int conversion is needed).
private let expCore = """
static double ax_exp_core(double x) {
    union { double d; uint64_t i; } u;
    double kd = x * 1.4426950408889634 + 6755399441055744.0, r, p;
    u.d = kd + 1023.0;
    kd -= 6755399441055744.0;
    r = (x - kd * 0.693147180369123816490) - kd * 1.90821492927058770002e-10;
    p = 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0; p = p * r + 1.0 / 362880.0; p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0; p = p * r + 1.0 / 720.0; p = p * r + 1.0 / 120.0; p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0; p = p * r + 0.5; p = p * r + 1.0; p = p * r + 1.0;
    u.i <<= 52;
    return p * u.d;
}
"""

/// log(x) for finite x > 0 (double, normal): x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)).
private let logCore = """
static double ax_log_core(double x) {
    union { double d; uint64_t i; } u, v;
    double e, m, s, z, p;
    u.d = x;
    v.i = (u.i >> 52) | 0x4330000000000000u;
    e = v.d - 4503599627370496.0 - 1023.0;
    u.i = (u.i & 0x000fffffffffffffu) | 0x3ff0000000000000u;
    m = u.d;
    e = m > 1.4142135623730951 ? e + 1.0 : e;
    m = m > 1.4142135623730951 ? m * 0.5 : m;
    s = (m - 1.0) / (m + 1.0);
    z = s * s;
    p = 1.0 / 17.0;
    p = p * z + 1.0 / 15.0; p = p * z + 1.0 / 13.0; p = p * z + 1.0 / 11.0; p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0; p = p * z + 1.0 / 5.0; p = p * z + 1.0 / 3.0; p = p * z + 1.0;
    return e * 0.6931471805599453 + 2.0 * s * p;
}
"""

/// sin(r) and cos(r) for |r| <= pi/4 (Taylor to degree 15/14).
private let sinCosCore = """
static double ax_sin_poly(double r) {
    double z = r * r, p = -1.0 / 1307674368000.0;
    p = p * z + 1.0 / 6227020800.0; p = p * z - 1.0 / 39916800.0; p = p * z + 1.0 / 362880.0;
    p = p * z - 1.0 / 5040.0; p = p * z + 1.0 / 120.0; p = p * z - 1.0 / 6.0;
    return r + r * z * p;
}
static double ax_cos_poly(double r) {
    double z = r * r, p = 1.0 / 87178291200.0;
    p = p * z - 1.0 / 479001600.0; p = p * z + 1.0 / 3628800.0; p = p * z - 1.0 / 40320.0;
    p = p * z + 1.0 / 720.0; p = p * z - 1.0 / 24.0; p = p * z + 0.5;
    return 1.0 - z * p;
}
"""

// MARK: tile functions

/// A binary element-wise tile op: `o[i] = a[i*sa] OP b[i*sb]`, strides 0 (a scalar) or 1, with the op's C (its record's).
private func vbinary(_ op: BinaryOp, _ t: String, result: String? = nil) -> RuntimeFunction {
    let c = cType(t), r = result ?? c
    let name = tileName(op.rawValue, DType(rawValue: t)!)
    let expr = op.def.c(DType(rawValue: t)!)
    func body(_ x: String, _ y: String) -> String { expr.apply([x, y]) }
    return RuntimeFunction(name: name, proto: "void \(name)(int64_t, const \(c) *, int64_t, const \(c) *, int64_t, \(r) *);", source: """
    void \(name)(int64_t n, const \(c) *a, int64_t sa, const \(c) *b, int64_t sb, \(r) *o) {
        int64_t i;
        if (sa && sb) { for (i = 0; i < n; i++) o[i] = \(body("a[i]", "b[i]")); }
        else if (sb) { const \(c) x = a[0]; for (i = 0; i < n; i++) o[i] = \(body("x", "b[i]")); }
        else if (sa) { const \(c) y = b[0]; for (i = 0; i < n; i++) o[i] = \(body("a[i]", "y")); }
        else { const \(r) v = \(body("a[0]", "b[0]")); for (i = 0; i < n; i++) o[i] = v; }
    }
    """)
}

/// `o[i] = p[i*sp] ? t[i*st] : f[i*sf]` (select_n(p, f, t)): the predicate a bool tile (uint8_t) or scalar.
private func vselect(_ t: String) -> RuntimeFunction {
    let c = cType(t), name = tileName("select", DType(rawValue: t)!)
    return RuntimeFunction(name: name, proto: "void \(name)(int64_t, const uint8_t *, int64_t, const \(c) *, int64_t, const \(c) *, int64_t, \(c) *);", source: """
    void \(name)(int64_t n, const uint8_t *p, int64_t sp, const \(c) *f, int64_t sf, const \(c) *t, int64_t st, \(c) *o) {
        int64_t i;
        if (sp && sf && st) { for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : f[i]; }
        else if (sp && sf) { const \(c) y = t[0]; for (i = 0; i < n; i++) o[i] = p[i] ? y : f[i]; }
        else if (sp && st) { const \(c) x = f[0]; for (i = 0; i < n; i++) o[i] = p[i] ? t[i] : x; }
        else { for (i = 0; i < n; i++) o[i] = p[i * sp] ? t[i * st] : f[i * sf]; }
    }
    """)
}

/// A unary element-wise tile op `o[i] = f(a[i])` (o must not alias a); `fixup` re-does some elements after the loop.
private func vunary(_ op: String, _ t: String, _ expr: String, locals: String = "", fixup: String = "",
                    deps: [String] = []) -> RuntimeFunction {
    let c = cType(t)
    let name = tileName(op, DType(rawValue: t)!)
    let loop = "for (i = 0; i < n; i++) {\(locals.isEmpty ? "" : " " + locals) o[i] = \(expr); }"
    return RuntimeFunction(name: name, proto: "void \(name)(int64_t, const \(c) *, \(c) *);", source: """
    void \(name)(int64_t n, const \(c) *a, \(c) *o) {
        int64_t i;
        \(loop)\(fixup.isEmpty ? "" : "\n    for (i = 0; i < n; i++) \(fixup)")
    }
    """, deps: deps)
}

/// A float math function in three parts that compute the same bits: `ax_OP_T_body` (static inline, branch-free
/// unless `fixup` is given), the scalar `ax_OP_T` the scalar loops of kernels and the interpreter's callers use,
/// and the tile `ax_vOP_T`, whose loop vectorizes. `body` computes the value of the parameter `a`; when `fixup`
/// is given, elements where `fixup.when` holds are redone as `fixup.value` (after the tile loop, so it stays
/// vectorized).
private func mathFunction(_ op: String, _ t: String, body: String, fixup: (when: String, value: String)? = nil,
                          deps: [String] = []) -> [RuntimeFunction] {
    let c = cType(t), helper = "ax_\(op)_\(t)_body", scalar = runtimeScalarName(op, DType(rawValue: t)!), tile = tileName(op, DType(rawValue: t)!)
    func fix(_ x: String) -> String { fixup.map { $0.value.replacingOccurrences(of: "$a", with: x) } ?? "" }
    func when(_ x: String) -> String { fixup.map { $0.when.replacingOccurrences(of: "$a", with: x) } ?? "" }
    return [
        RuntimeFunction(name: helper, proto: "", source: """
        static inline \(c) \(helper)(\(c) a) {
        \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        }
        """, deps: deps),
        RuntimeFunction(name: scalar, proto: "\(c) \(scalar)(\(c));", source: """
        \(c) \(scalar)(\(c) a) {
            \(fixup == nil ? "return \(helper)(a);" : "return \(when("a")) ? \(fix("a")) : \(helper)(a);")
        }
        """, deps: [helper]),
        RuntimeFunction(name: tile, proto: "void \(tile)(int64_t, const \(c) *, \(c) *);", source: """
        void \(tile)(int64_t n, const \(c) *a, \(c) *o) {
            int64_t i;
            for (i = 0; i < n; i++) o[i] = \(helper)(a[i]);\(fixup == nil ? "" : "\n    for (i = 0; i < n; i++) if (\(when("a[i]"))) o[i] = \(fix("a[i]"));")
        }
        """, deps: [helper]),
    ]
}

/// sin or cos of f32: x = k pi/2 + r (three-part Cody-Waite reduction, exact for |x| <= 1e5), the polynomial
/// of the quadrant; larger or non-finite |x| are redone with libm's double sin/cos.
private func sinCos(_ op: String) -> [RuntimeFunction] {
    let quadrant = op == "sin" ? "u.i" : "u.i + 1"
    let value = op == "sin" ? "a == 0 ? a : (float)((q & 2) ? -s : s)" : "(float)((q & 2) ? -s : s)"
    return mathFunction(op, "f32", body: """
    union { double d; uint64_t i; } u;
    double x = fabs((double)a) <= 1e5 ? (double)a : 0.0, k = x * 0.6366197723675814 + 6755399441055744.0, r, s;
    uint64_t q;
    u.d = k; q = (\(quadrant)) & 3; k -= 6755399441055744.0;
    r = ((x - k * 1.57079632673412561417) - k * 6.07710050650619224932e-11) - k * 2.02226624871116645580e-21;
    s = (q & 1) ? ax_cos_poly(r) : ax_sin_poly(r);
    return \(value);
    """, fixup: (when: "!(fabs((double)$a) <= 1e5)", value: "(float)\(op)((double)$a)"), deps: ["ax_sin_poly", "ax_cos_poly"])
}

/// A sum of a tile in double, with eight accumulators.
private func vsum(_ t: String) -> RuntimeFunction {
    let c = cType(t)
    return RuntimeFunction(name: "ax_vsum_\(t)", proto: "double ax_vsum_\(t)(int64_t, const \(c) *);", source: """
    double ax_vsum_\(t)(int64_t n, const \(c) *a) {
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0, j;
        for (; i + 8 <= n; i += 8) for (j = 0; j < 8; j++) s[j] += a[i + j];
        for (; i < n; i++) s[0] += a[i];
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
    """)
}

/// Sums of the `rows` consecutive rows of length `r` of a tile, each in double.
private func vrowsum(_ t: String) -> RuntimeFunction {
    let c = cType(t)
    return RuntimeFunction(name: "ax_vrowsum_\(t)", proto: "void ax_vrowsum_\(t)(int64_t, int64_t, const \(c) *, \(c) *);", source: """
    void ax_vrowsum_\(t)(int64_t rows, int64_t r, const \(c) *a, \(c) *o) {
        int64_t i, j;
        for (i = 0; i < rows; i++) {
            const \(c) *p = a + i * r;
            double s = 0;
            for (j = 0; j < r; j++) s += p[j];
            o[i] = (\(c))s;
        }
    }
    """)
}

/// `body(ctx, lo, hi)` over [0, n) in pieces of whole `grain`s. Standalone C runs it in one piece; the runtime
/// splits loops of two grains or more between the calling thread and a pool of one worker per other core.
private let parallelFor = RuntimeFunction(
    name: "ax_parallel_for",
    proto: "void ax_parallel_for(int64_t, int64_t, void (*)(void *, int64_t, int64_t), void *);",
    source: """
    void ax_parallel_for(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t), void *ctx) {
        (void)grain;
        if (n > 0) body(ctx, 0, n);
    }
    """,
    native: """
    static pthread_mutex_t ax_pool_mu = PTHREAD_MUTEX_INITIALIZER, ax_pool_busy = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t ax_pool_go = PTHREAD_COND_INITIALIZER, ax_pool_done = PTHREAD_COND_INITIALIZER;
    static pthread_once_t ax_pool_once = PTHREAD_ONCE_INIT;
    static int ax_pool_workers = 0, ax_pool_parts = 1, ax_pool_finished = 0;
    static int64_t ax_pool_generation = 0, ax_pool_n = 0, ax_pool_grain = 1;
    static void (*ax_pool_body)(void *, int64_t, int64_t) = 0;
    static void *ax_pool_ctx = 0;

    /* Part `k` of the current loop: the k-th of ax_pool_parts runs of whole grains. */
    static void ax_pool_run(int k) {
        int64_t grains = (ax_pool_n + ax_pool_grain - 1) / ax_pool_grain;
        int64_t lo = grains * k / ax_pool_parts * ax_pool_grain, hi = grains * (k + 1) / ax_pool_parts * ax_pool_grain;
        if (hi > ax_pool_n) hi = ax_pool_n;
        if (lo < hi) ax_pool_body(ax_pool_ctx, lo, hi);
    }

    static void *ax_pool_worker(void *arg) {
        int k = (int)(intptr_t)arg;
        int64_t seen = 0;
        pthread_mutex_lock(&ax_pool_mu);
        for (;;) {
            while (ax_pool_generation == seen) pthread_cond_wait(&ax_pool_go, &ax_pool_mu);
            seen = ax_pool_generation;
            pthread_mutex_unlock(&ax_pool_mu);
            ax_pool_run(k);
            pthread_mutex_lock(&ax_pool_mu);
            if (++ax_pool_finished == ax_pool_workers) pthread_cond_signal(&ax_pool_done);
        }
        return 0;
    }

    /* A forked child has none of the workers: it runs every loop itself. */
    static void ax_pool_forked(void) {
        pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
        ax_pool_workers = 0;
        ax_pool_mu = fresh;
        ax_pool_busy = fresh;
    }

    static void ax_pool_start(void) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int k, want = cores > 8 ? 7 : (int)cores - 1;
        pthread_atfork(0, 0, ax_pool_forked);
        for (k = 0; k < want; k++) {
            pthread_t t;
            if (pthread_create(&t, 0, ax_pool_worker, (void *)(intptr_t)(k + 1)) != 0) break;
            pthread_detach(t);
            ax_pool_workers++;
        }
    }

    /* Loops of fewer than two grains, nested calls and calls while another thread's loop runs are not split. */
    void ax_parallel_for(int64_t n, int64_t grain, void (*body)(void *, int64_t, int64_t), void *ctx) {
        if (n <= 0) return;
        if (grain <= 0 || n < 2 * grain) { body(ctx, 0, n); return; }
        pthread_once(&ax_pool_once, ax_pool_start);
        if (ax_pool_workers == 0 || pthread_mutex_trylock(&ax_pool_busy) != 0) { body(ctx, 0, n); return; }
        pthread_mutex_lock(&ax_pool_mu);
        ax_pool_body = body; ax_pool_ctx = ctx; ax_pool_n = n; ax_pool_grain = grain;
        ax_pool_parts = ax_pool_workers + 1; ax_pool_finished = 0; ax_pool_generation++;
        pthread_cond_broadcast(&ax_pool_go);
        pthread_mutex_unlock(&ax_pool_mu);
        ax_pool_run(0);
        pthread_mutex_lock(&ax_pool_mu);
        while (ax_pool_finished < ax_pool_workers) pthread_cond_wait(&ax_pool_done, &ax_pool_mu);
        pthread_mutex_unlock(&ax_pool_mu);
        pthread_mutex_unlock(&ax_pool_busy);
    }
    """)

/// The element-wise math: one definition per function and dtype, which kernels (scalar loops and tiles) and the
/// interpreter all call, so eager and jit agree bit for bit.
private func unaryFunctions() -> [RuntimeFunction] {
    var out: [RuntimeFunction] = []
    for t in ["f32", "f64"] {
        let c = cType(t), f = t == "f32" ? "f" : ""
        out.append(vunary("neg", t, "-a[i]"))
        out.append(vunary("abs", t, "fabs\(f)(a[i])"))
        out.append(vunary("sqrt", t, "sqrt\(f)(a[i])"))
        out.append(vunary("sign", t, "a[i] > 0 ? (\(c))1 : (a[i] < 0 ? (\(c))-1 : a[i])"))
        if t == "f64" {
            for op in ["exp", "log", "log1p", "sin", "cos", "tanh"] { out += mathFunction(op, t, body: "return \(op)(a);") }
            out += mathFunction("logistic", t, body: "return 1.0 / (1.0 + exp(-a));")
            continue
        }
        // f32 in double, rounded once: clamped so the exponent of 2^k stays in range; NaN and the domain edges are
        // selected after.
        out += mathFunction("exp", t, body: """
        double x = a < -104.0f ? -104.0 : (a > 89.0f ? 89.0 : (a != a ? 0.0 : (double)a));
        return a != a ? a : (float)ax_exp_core(x);
        """, deps: ["ax_exp_core"])
        // 1 / (1 + exp(-x)) in double, except where JAX's f32 expansion of it underflows to 0 because exp(-x)
        // overflows in f32 (x <= -88.72284): there it is 0, so log(sigmoid(-103)) is -inf, as in JAX.
        out += mathFunction("logistic", t, body: """
        double x = a < -150.0f ? 150.0 : (a > 150.0f ? -150.0 : (a != a ? 0.0 : -(double)a));
        return a != a ? a : (a <= -0x1.62e43p+6f ? 0.0f : (float)(1.0 / (1.0 + ax_exp_core(x))));
        """, deps: ["ax_exp_core"])
        out += mathFunction("tanh", t, body: """
        double x = fabs((double)a), e = ax_exp_core(2.0 * (x > 20.0 || x != x ? 20.0 : x)), y = (e - 1.0) / (e + 1.0);
        return a != a ? a : (float)(x < 0.01 ? (double)a * (1.0 - x * x * (1.0 / 3.0)) : (a < 0 ? -y : y));
        """, deps: ["ax_exp_core"])
        out += mathFunction("log", t, body: """
        double x = (a > 0 && a <= 3.4028234663852886e38f) ? (double)a : 1.0;
        return (a > 0 && a <= 3.4028234663852886e38f) ? (float)ax_log_core(x) : (a == 0 ? -HUGE_VALF : (a > 0 ? a : NAN));
        """, deps: ["ax_log_core"])
        out += mathFunction("log1p", t, body: """
        double u = (a > -1.0f && a <= 3.4028234663852886e38f) ? 1.0 + (double)a : 2.0;
        return (a > -1.0f && a <= 3.4028234663852886e38f) ? (float)(u == 1.0 ? (double)a : ax_log_core(u) * ((double)a / (u - 1.0)))
            : (a == -1.0f ? -HUGE_VALF : (a > 0 ? a : NAN));
        """, deps: ["ax_log_core"])
        out += sinCos("sin")
        out += sinCos("cos")
    }
    // The ops whose records define their math (UnaryDef.math).
    for t in ["f32", "f64"] {
        for op in UnaryOp.allCases { if let math = op.def.math { out += mathFunction(op.rawValue, t, body: math(DType(rawValue: t)!)) } }
    }
    return out
}

/// Every runtime function, in the order of axruntime.c (helpers before their callers).
let runtimeFunctions: [RuntimeFunction] = {
    var out = [parallelFor]
    for t in ["f32", "f64"] {
        out.append(RuntimeFunction(name: "ax_gemm_rows_\(t)", proto: "", source: gemmRows(t)))
        out.append(RuntimeFunction(name: gemmName(DType(rawValue: t)!), proto: gemmProto(t), source: gemm(t), deps: ["ax_gemm_rows_\(t)", "ax_parallel_for"]))
    }
    out += [
        RuntimeFunction(name: "ax_exp_core", proto: "", source: expCore),
        RuntimeFunction(name: "ax_log_core", proto: "", source: logCore),
        RuntimeFunction(name: "ax_sin_poly", proto: "", source: sinCosCore),
        RuntimeFunction(name: "ax_cos_poly", proto: "", source: ""),  // defined with ax_sin_poly
    ]
    for t in ["f32", "f64"] {
        // Every arithmetic op and comparison has a tile (comparisons write bool tiles), as the records' `tileable` say.
        for op in BinaryOp.allCases.sorted(by: { $0.rawValue < $1.rawValue }) where op.def.kind != .logical {
            out.append(vbinary(op, t, result: op.def.kind == .comparison ? "uint8_t" : nil))
        }
        out.append(vselect(t))
        out.append(vsum(t))
        out.append(vrowsum(t))
    }
    out += unaryFunctions()
    return out
}()

/// The functions among `names` and every helper they call, in table order.
func runtimeClosure(_ names: Set<String>) -> [RuntimeFunction] {
    var want = names
    for f in runtimeFunctions.reversed() where want.contains(f.name) { want.formUnion(f.deps) }
    return runtimeFunctions.filter { want.contains($0.name) && !$0.source.isEmpty }
}

/// The text of Sources/AxRuntime/axruntime.c: every runtime function, and the symbol table the host registers
/// with libtcc. (`UPDATE_GOLDEN=1 swift test --filter runtimeSource` rewrites the file.)
func runtimeSourceFile() -> String {
    var s = """
    /* axruntime.c — GENERATED from Sources/AxCore/Codegen/RuntimeTable.swift (UPDATE_GOLDEN=1 swift test --filter
       runtimeSource rewrites it). Compiled with -O3; the kernels libtcc compiles call these functions, and standalone
       C carries the same definitions as static functions. */
    #include <math.h>
    #include <pthread.h>
    #include <unistd.h>
    #include "axruntime.h"

    /* Each exported function is compiled twice, for AVX2+FMA and for baseline x86-64, and picked when loaded
       (-ffp-contract=off keeps both clones' results identical to the portable twins'). -DAX_NO_CLONES turns
       this off, for sanitizers whose runtimes start after ifunc resolvers run. */
    #if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__)) && !defined(AX_NO_CLONES)
    #define AX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #else
    #define AX_CLONES
    #endif

    double ax_rt_version(void) { return 1.0; }


    """
    for f in runtimeFunctions where !f.source.isEmpty {
        if let native = f.native { s += native + "\n\n"; continue }
        // Exported functions are cloned; so are static loop bodies called through pointers (never inlined).
        s += (f.proto.isEmpty ? f.source.replacingOccurrences(of: "static void ", with: "AX_CLONES static void ")
                              : "AX_CLONES " + f.source) + "\n\n"
    }
    s += "static const ax_rt_symbol ax_rt_table[] = {\n"
    for f in runtimeFunctions where !f.proto.isEmpty { s += "    {\"\(f.name)\", (void *)\(f.name)},\n" }
    s += "    {0, 0}\n};\n\nconst ax_rt_symbol *ax_rt_symbols(void) { return ax_rt_table; }\n"
    return s
}

/// The text of Sources/AxRuntime/include/axruntime.h: the symbol table and the prototype of every exported
/// runtime function (the interpreter calls the math functions, so eager and jit compute the same bits).
/// The runtimeSource test checks it with axruntime.c and rewrites both.
func runtimeHeaderFile() -> String {
    var s = """
    /* axruntime.h — GENERATED from Sources/AxCore/Codegen/RuntimeTable.swift with axruntime.c (UPDATE_GOLDEN=1
       swift test --filter runtimeSource rewrites both). The optimized runtime that compiled kernels call: tile ops,
       GEMM and the element-wise math, which the interpreter calls too. The host registers each entry of
       ax_rt_symbols() with tcc_add_symbol; standalone C carries the same definitions as static functions. */
    #ifndef AXRUNTIME_H
    #define AXRUNTIME_H
    #include <stdint.h>
    #include <stddef.h>

    /* A trivial function used to smoke-test symbol registration with libtcc. */
    double ax_rt_version(void);

    /* One runtime function: its C name and address. */
    typedef struct { const char *name; void *fn; } ax_rt_symbol;

    /* Every runtime function kernels may call, ending with {0, 0}. */
    const ax_rt_symbol *ax_rt_symbols(void);

    /* The runtime functions. */

    """
    for f in runtimeFunctions where !f.proto.isEmpty { s += f.proto + "\n" }
    s += "\n#endif\n"
    return s
}
