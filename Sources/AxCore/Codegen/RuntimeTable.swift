// The runtime the kernels call, as C source: one table that is both the -O3 AxRuntime target (axruntime.c is
// generated from it; a test checks the file) and the static portable twins written into standalone C.
// Vector functions work on tiles; f32 transcendentals are branch-free f32 code within 2 ulp (docs/numerics.md), and the
// interpreter calls the same functions (axruntime.h is generated too), so eager and jit compute the same bits.

/// A runtime function: its name, C prototype, portable definition, and the helpers its definition calls.
/// Definitions are built on demand: kernels compiled by libtcc need only the prototypes.
struct RuntimeFunction {
    var name: String
    var proto: String
    private var makeSource: () -> String
    var deps: [String]
    /// The definition in axruntime.c when it differs from the portable one (the thread pool).
    var native: String?
    /// For a scalar math function whose tile redoes some inputs after its loop (f32 sin, cos): the condition on `$a`
    /// under which it computes another value than its branch-free body `NAME_body` (per-element loops,
    /// EmitElements.swift, call the body and redo a tile where the condition held).
    var redoWhen: String?
    var source: String { makeSource() }
    init(name: String, proto: String, source: @autoclosure @escaping () -> String, deps: [String] = [], native: String? = nil,
         redoWhen: String? = nil) {
        self.name = name; self.proto = proto; self.makeSource = source; self.deps = deps; self.native = native; self.redoWhen = redoWhen
    }
}

/// The runtime's tile function of element-wise op `op` on dtype `t` (`ax_vOP_T`), scalar function (`ax_OP_T`) and
/// GEMM: the names the table defines and the emitter and interpreter call.
func tileName(_ op: String, _ t: DType) -> String { "ax_v\(op)_\(t)" }
func runtimeScalarName(_ op: String, _ t: DType) -> String { "ax_\(op)_\(t)" }
func gemmName(_ t: DType) -> String { "ax_gemm_\(t)" }
func matmulTileName(_ t: DType) -> String { "ax_vmatmul_\(t)" }

/// The C type of a float dtype name.
private func cType(_ t: String) -> String { t == "f32" ? "float" : "double" }

/// The row loop of ax_gemm (a helper: the struct of its arguments and a static function over rows [lo0, hi0) of the
/// products stacked, row r being row r % m of product r / m).
/// Every path computes each element as one definition (docs/numerics.md): from 0, `acc = fma(a[i,p], b[p,j], acc)` for
/// p = 0, 1, …, k-1 in the dtype (fmaf: one rounding per step, whether the CPU has FMA or libm emulates it); the paths
/// are chosen by n, k and the strides only, so a row's bits never depend on which rows were computed with it.
private func gemmRows(_ t: String) -> String {
    let c = cType(t), fma = fmaName(DType(rawValue: t)!), nr = t == "f32" ? 16 : 8
    return """
    struct ax_gemm_args_\(t) {
        int64_t m, n, k, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn;
        const \(c) *a, *b;
        \(c) *c;
    };
    static void ax_gemm_rows_\(t)(void *ctx, int64_t lo0, int64_t hi0) {
        const struct ax_gemm_args_\(t) *g = (const struct ax_gemm_args_\(t) *)ctx;
        const int64_t m = g->m, n = g->n, k = g->k, sam = g->sam, sak = g->sak, sbk = g->sbk, sbn = g->sbn, scm = g->scm, scn = g->scn;
        int64_t i, j, p, s = lo0;
        while (s < hi0) {
            /* Rows [lo, hi) of product e. */
            const int64_t e = s / m, lo = s - e * m, hi = hi0 - e * m < m ? hi0 - e * m : m;
            const \(c) *a = g->a + e * g->sab, *b = g->b + e * g->sbb;
            \(c) *c = g->c + e * g->scb;
            s += hi - lo;
            if (k <= 1) {
                /* An outer product (k = 1): fma(a, b, 0) is a * b + 0 (one rounding; -0 becomes +0). k = 0: zeros. */
                for (i = lo; i < hi; i++) {
                    const \(c) av = k ? a[i * sam] : (\(c))0;
                    \(c) *cp = c + i * scm;
                    if (scn == 1 && sbn == 1 && k) { for (j = 0; j < n; j++) cp[j] = av * b[j] + (\(c))0; }
                    else { for (j = 0; j < n; j++) cp[j * scn] = k ? av * b[j * sbn] + (\(c))0 : (\(c))0; }
                }
                continue;
            }
            if (n < 8 && k <= 32) {
                /* Few output columns (n x 5 @ 5 x 3): 64 rows at a time, transposed, so the inner loops run along rows
                   and vectorize. From 8 columns the microkernel below (a vector of columns per row) is faster: the
                   RNN's 256 x 16 @ (16 x 16)^T per step: 12 to 2 us a call. */
                \(c) bt[32 * 16], at[32 * 64], ct[16 * 64];
                int64_t i0, ib, q;
                for (p = 0; p < k; p++) for (j = 0; j < n; j++) bt[p * n + j] = b[p * sbk + j * sbn];
                for (i0 = lo; i0 < hi; i0 += 64) {
                    ib = hi - i0 < 64 ? hi - i0 : 64;
                    for (p = 0; p < k; p++) for (q = 0; q < ib; q++) at[p * 64 + q] = a[(i0 + q) * sam + p * sak];
                    for (j = 0; j < n; j++) {
                        \(c) *cj = ct + j * 64;
                        for (q = 0; q < ib; q++) cj[q] = 0;
                        for (p = 0; p < k; p++) {
                            const \(c) bv = bt[p * n + j], *ap = at + p * 64;
                            for (q = 0; q < ib; q++) cj[q] = \(fma)(ap[q], bv, cj[q]);
                        }
                    }
                    for (q = 0; q < ib; q++) for (j = 0; j < n; j++) c[(i0 + q) * scm + j * scn] = ct[j * 64 + q];
                }
                continue;
            }
            {
                /* The microkernel: 6 rows by \(nr) columns of accumulators in registers, over panels of 256 steps of k
                   (b packed, zero-padded past column n). Rows past the block's end repeat its last row and are not stored.
                   Between panels the sums wait in c, as the same \(t) values. */
                \(c) bp[256 * \(nr)], acc[6][\(nr)];
                int64_t j0, p0, i0, nc, kc, nrow, r, q;
                for (j0 = 0; j0 < n; j0 += \(nr)) {
                    nc = n - j0 < \(nr) ? n - j0 : \(nr);
                    for (p0 = 0; p0 < k; p0 += 256) {
                        kc = k - p0 < 256 ? k - p0 : 256;
                        for (p = 0; p < kc; p++) for (q = 0; q < \(nr); q++) bp[p * \(nr) + q] = q < nc ? b[(p0 + p) * sbk + (j0 + q) * sbn] : (\(c))0;
                        for (i0 = lo; i0 < hi; i0 += 6) {
                            const \(c) *ar[6];
                            nrow = hi - i0 < 6 ? hi - i0 : 6;
                            for (r = 0; r < 6; r++) ar[r] = a + (i0 + (r < nrow ? r : nrow - 1)) * sam + p0 * sak;
                            for (r = 0; r < 6; r++) for (q = 0; q < \(nr); q++) acc[r][q] = 0;
                            if (p0 > 0) for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) acc[r][q] = c[(i0 + r) * scm + (j0 + q) * scn];
                            for (p = 0; p < kc; p++) {
                                const \(c) *bq = bp + p * \(nr);
                                for (r = 0; r < 6; r++) {
                                    const \(c) av = ar[r][p * sak];
                                    for (q = 0; q < \(nr); q++) acc[r][q] = \(fma)(av, bq[q], acc[r][q]);
                                }
                            }
                            for (r = 0; r < nrow; r++) for (q = 0; q < nc; q++) c[(i0 + r) * scm + (j0 + q) * scn] = acc[r][q];
                        }
                    }
                }
            }
        }
    }
    """
}

/// `nb` products: C[q*scb + i*scm + j*scn] = sum_p A[q*sab + i*sam + p*sak] * B[q*sbb + p*sbk + j*sbn] for q < nb,
/// i < m, j < n, each sum a chain of fma in the dtype from 0 in p order (docs/numerics.md). The nb × m rows are one
/// loop split between cores (per-example outer products are one call, not one per example); each row is computed the
/// same way whichever piece holds it.
private func gemm(_ t: String) -> String {
    let acc = cType(t)
    return """
    void ax_gemm_\(t)(int64_t nb, int64_t m, int64_t n, int64_t k, const \(acc) *a, int64_t sab, int64_t sam, int64_t sak,
                     const \(acc) *b, int64_t sbb, int64_t sbk, int64_t sbn, \(acc) *c, int64_t scb, int64_t scm, int64_t scn) {
        struct ax_gemm_args_\(t) g;
        int64_t work = (n > 0 ? n : 1) * (k > 0 ? k : 1);
        g.m = m; g.n = n; g.k = k; g.sab = sab; g.sam = sam; g.sak = sak; g.sbb = sbb; g.sbk = sbk; g.sbn = sbn;
        g.scb = scb; g.scm = scm; g.scn = scn; g.a = a; g.b = b; g.c = c;
        /* Rows in grains of about 2^18 multiply-adds, at least 64 rows. */
        ax_parallel_for(nb * m, work >= 4096 ? 64 : 262144 / work / 64 * 64 + 64, ax_gemm_rows_\(t), &g);
    }
    """
}

/// A tile of a small `x @ W` inlined into its consumer's loop (Primitives/Contraction.swift): `n` elements, whole rows
/// of `cols` (≤ 16), from `a` (the tile's first row; rows of `k` ≤ 32 contiguous elements) and the row-major
/// `k` × `cols` `b`. Each row's outputs are one vector of `w` lanes (8 or 16; `b` padded with zeros), rows taken
/// `rb` at a time, each output a chain of fma from 0 in `p` order, so the bits are the GEMM's and the interpreter's.
/// A row is stored whole, lanes past `cols` included, when they fall inside the tile (the next row overwrites
/// them). The strides of the tile convention are 1 here.
private func matmulTile(_ t: String) -> RuntimeFunction {
    let c = cType(t), fma = fmaName(DType(rawValue: t)!)
    // `rb` rows of `w` lanes: 8 rows of f32 or 4 of f64 fill eight 256-bit registers when w = 8.
    func rows(_ w: Int, _ rb: Int) -> String {
        """
        for (p = 0; p < k; p++) for (j = 0; j < \(w); j++) bp[p * \(w) + j] = j < cols ? b[p * cols + j] : (\(c))0;
                for (q = 0; q < rows; q += \(rb)) {
                    const \(c) *ar[\(rb)];
                    \(c) acc[\(rb)][\(w)];
                    nr = rows - q < \(rb) ? rows - q : \(rb);
                    for (r = 0; r < \(rb); r++) ar[r] = a + (q + (r < nr ? r : nr - 1)) * k;
                    for (r = 0; r < \(rb); r++) for (j = 0; j < \(w); j++) acc[r][j] = 0;
                    for (p = 0; p < k; p++) for (r = 0; r < \(rb); r++) {
                        const \(c) av = ar[r][p];
                        for (j = 0; j < \(w); j++) acc[r][j] = \(fma)(av, bp[p * \(w) + j], acc[r][j]);
                    }
                    for (r = 0; r < nr; r++) {
                        \(c) *orow = o + (q + r) * cols;
                        if ((q + r) * cols + \(w) <= n) for (j = 0; j < \(w); j++) orow[j] = acc[r][j];
                        else for (j = 0; j < cols; j++) orow[j] = acc[r][j];
                    }
                }
        """
    }
    let rb = t == "f32" ? 8 : 4
    return RuntimeFunction(name: "ax_vmatmul_\(t)",
                           proto: "void ax_vmatmul_\(t)(int64_t, int64_t, int64_t, const \(c) *, int64_t, const \(c) *, int64_t, \(c) *);",
                           source: """
    void ax_vmatmul_\(t)(int64_t n, int64_t k, int64_t cols, const \(c) *a, int64_t sa, const \(c) *b, int64_t sb, \(c) *o) {
        \(c) bp[32 * 16];
        int64_t rows = n / cols, q, p, j, r, nr;
        (void)sa; (void)sb;
        if (cols <= 8) {
            \(rows(8, rb))
        } else {
            \(rows(16, rb / 2))
        }
    }
    """)
}

private func gemmProto(_ t: String) -> String {
    let c = cType(t)
    return "void ax_gemm_\(t)(int64_t, int64_t, int64_t, int64_t, const \(c) *, int64_t, int64_t, int64_t, const \(c) *, int64_t, int64_t, int64_t, \(c) *, int64_t, int64_t, int64_t);"
}

// MARK: f32 cores of the transcendentals (docs/numerics.md)
// Branch-free: every value is computed unconditionally and chosen with ax_sel_f32, a select on the bits, because gcc
// under its default -ftrapping-math turns `c ? x : y` into a branch around x or y and then will not vectorize the
// loop. Polynomial coefficients are near-minimax fits (docs/numerics.md).

/// Bits of an f32 and back, and `c ? x : y` as a mask on the bits.
private let f32Bits = """
static inline uint32_t ax_f32_bits(float x) { union { float f; uint32_t i; } u; u.f = x; return u.i; }
static inline float ax_f32_from_bits(uint32_t i) { union { float f; uint32_t i; } u; u.i = i; return u.f; }
static inline float ax_sel_f32(int c, float x, float y) {
    uint32_t m = 0u - (uint32_t)(c != 0);
    return ax_f32_from_bits((ax_f32_bits(x) & m) | (ax_f32_bits(y) & ~m));
}
"""

/// exp(x) for x in [-104, 89]: x = (k1 + k2) ln2 + r (k = k1 + k2 read off the bits of x/ln2 + 1.5*2^23, ln2 in two
/// parts, so k ln2_hi is exact), exp(r) = 1 + r + r^2 p(r). Returns h = (1 + u) 2^k1 with its rounding error in *l and
/// *s = 2^k2 (each factor normal, so h * *s rounds once, also for subnormal results).
private let expParts = """
static inline float ax_expf_parts(float x, float *l, float *s) {
    float t = x * 1.44269504f + 12582912.0f, k = t - 12582912.0f;
    int32_t ki = (int32_t)(ax_f32_bits(t) - 0x4b400000u), k1 = ki >> 1, k2 = ki - k1;
    float r = (x - k * 0.693359375f) - k * -2.12194440e-4f, z = r * r, p = 1.991281461e-04f, u, y, s1;
    p = p * r + 1.393718412e-03f; p = p * r + 8.333277889e-03f; p = p * r + 4.166643322e-02f;
    p = p * r + 1.666666716e-01f; p = p * r + 0.5f;
    u = r + z * p;
    y = 1.0f + u;
    s1 = ax_f32_from_bits((uint32_t)(k1 + 127) << 23);
    *l = (u - (y - 1.0f)) * s1;
    *s = ax_f32_from_bits((uint32_t)(k2 + 127) << 23);
    return y * s1;
}
static inline float ax_expf_core(float x) { float l, s, h = ax_expf_parts(x, &l, &s); return h * s; }
"""

/// log(u) + c for u positive, normal and finite, with e0 added to its exponent: u = m 2^e with m in [sqrt(1/2),
/// sqrt(2)) (from the bits), log m = f - f^2/2 + f^3 p(f) with f = m - 1, e ln2 in two parts.
private let logCore = """
static inline float ax_logf_core(float u, float e0, float c) {
    uint32_t ix = ax_f32_bits(u) + (0x3f800000u - 0x3f3504f3u);
    float e = (float)((int32_t)(ix >> 23) - 127) + e0;
    float f = ax_f32_from_bits((ix & 0x007fffffu) + 0x3f3504f3u) - 1.0f, z = f * f, p = 7.330559194e-02f, y;
    p = p * f - 1.165944710e-01f; p = p * f + 1.163508296e-01f; p = p * f - 1.239677742e-01f;
    p = p * f + 1.425112635e-01f; p = p * f - 1.666914821e-01f; p = p * f + 2.000068873e-01f;
    p = p * f - 2.499998063e-01f; p = p * f + 3.333333135e-01f;
    y = f * (z * p) + (e * -2.12194440e-4f + c);
    y = y - 0.5f * z;
    return e * 0.693359375f + (f + y);
}
"""

/// sin and cos of one f32 with |a| <= 131072 (others give garbage the callers replace): a = k pi/2 + r, k from
/// a 2/pi + 1.5*2^23 in f32, r in double with pi/2 in two parts (k pi/2_hi exact), so r is right to about 2^-80
/// however close a is to a multiple of pi/2; r = rh + rl in f32, then one polynomial each on [-0.8, 0.8] and the
/// quadrant's choice and signs on the bits. sin, cos and sincos all call it, so they compute the same bits.
private let sinCosCore = """
static inline void ax_sincos_f32_core(float a, float *sp, float *cp) {
    float x = ax_sel_f32(fabsf(a) <= 131072.0f, a, 0.0f), t = x * 0.636619772f + 12582912.0f, k = t - 12582912.0f;
    uint32_t q = ax_f32_bits(t), sn = (q & 2u) << 30, cn = ((q + 1u) & 2u) << 30;
    double kd = (double)k, rd = ((double)x - kd * 1.5707963267923333e+00) - kd * 2.5633441515945189e-12;
    float rh = (float)rd, rl = (float)(rd - (double)rh), z = rh * rh, hz = 0.5f * z, w = 1.0f - hz, s, c;
    float ps = 2.723857961e-06f, pc = 2.453864545e-05f;
    int odd = (int)(q & 1u);
    ps = ps * z - 1.983999828e-04f; ps = ps * z + 8.333331905e-03f; ps = ps * z - 1.666666716e-01f;
    s = rh + (rh * (z * ps) + rl * (1.0f - hz));
    pc = pc * z - 1.388825942e-03f; pc = pc * z + 4.166666418e-02f;
    c = w + (((1.0f - w) - hz) + (z * (z * pc) - rh * rl));
    *sp = ax_f32_from_bits(ax_f32_bits(ax_sel_f32(odd, c, s)) ^ sn);
    *cp = ax_f32_from_bits(ax_f32_bits(ax_sel_f32(odd, s, c)) ^ cn);
}
"""

// MARK: f64 cores of the transcendentals (docs/numerics.md)
// Branch-free as the f32 ones, with one more constraint: gcc -O3 for baseline x86-64 (SSE2) does not vectorize a loop
// that turns a double comparison into a 64-bit mask, so every condition is computed on the bits with integer adds and
// shifts (ax_lt_f64, ax_absgt_f64, ax_neg_f64). No FMA anywhere: every clone, the portable twins and tcc compute the
// same bits. Coefficients: fdlibm's (log, sin, cos), Cephes' (tanh), and a fit of exp's (docs/numerics.md).

/// Bits of an f64 and back, `m ? x : y` on the bits (`m` all ones or 0), and masks (all ones where true) of
/// `x - y < 0` (x < y when neither is NaN nor both are 0), `|x| > c` (c ≥ 0; true for NaN) and of the sign bit.
private let f64Bits = """
static inline uint64_t ax_f64_bits(double x) { union { double f; uint64_t i; } u; u.f = x; return u.i; }
static inline double ax_f64_from_bits(uint64_t i) { union { double f; uint64_t i; } u; u.i = i; return u.f; }
static inline double ax_sel_f64(uint64_t m, double x, double y) {
    return ax_f64_from_bits((ax_f64_bits(x) & m) | (ax_f64_bits(y) & ~m));
}
static inline uint64_t ax_lt_f64(double x, double y) { return 0u - (ax_f64_bits(x - y) >> 63); }
static inline uint64_t ax_absgt_f64(double x, double c) {
    return 0u - (((ax_f64_bits(x) & 0x7fffffffffffffffu) + (0x7fffffffffffffffu - ax_f64_bits(c))) >> 63);
}
static inline uint64_t ax_neg_f64(double x) { return 0u - (ax_f64_bits(x) >> 63); }
"""

/// exp(x) for x in [-746, 710]: x = (k1 + k2) ln2 + r (k read off the bits of x/ln2 + 1.5*2^52, ln2 in fdlibm's two
/// parts, r's rounding error kept in rc), exp(r) = 1 + r + r^2 p(r) with a degree-10 p (Estrin's scheme: short chains). Returns h = (1 + u) 2^k1 with
/// the error of that sum in *l, and *s = 2^k2 (each factor normal, so h * *s rounds once, also for subnormal results).
/// 2^k1 and 2^k2 come from unsigned shifts of k + 2048 (no 64-bit arithmetic shift or conversion before AVX-512).
private let expPartsF64 = """
static inline double ax_exp_f64_parts(double x, double *l, double *s) {
    double t = x * 1.4426950408889634 + 6755399441055744.0, k = t - 6755399441055744.0;
    uint64_t ku = ax_f64_bits(t) - 0x4338000000000000u + 2048u, k1 = ku >> 1;
    double hi = x - k * 6.93147180369123816490e-01, lo = k * 1.90821492927058770002e-10, r = hi - lo, rc = (hi - r) - lo;
    double z = r * r, z2 = z * z, a, u, h, s1;
    double p = ((0.5 + 1.666666666666667e-01 * r) + (4.166666666666667e-02 + 8.333333333326136e-03 * r) * z)
        + ((1.388888888888375e-03 + 1.9841269874815834e-04 * r) + (2.480158732554432e-05 + 2.7557255406285044e-06 * r) * z
        + ((2.7557273647451087e-07 + 2.5105214474751413e-08 * r) + 2.0914685161418067e-09 * z) * z2) * z2;
    a = 1.0 + r;
    u = (r - (a - 1.0)) + (rc + z * p);
    h = a + u;
    s1 = ax_f64_from_bits((k1 - 1u) << 52);
    *l = (u - (h - a)) * s1;
    *s = ax_f64_from_bits((ku - k1 - 1u) << 52);
    return h * s1;
}
"""

/// log(u) + c for u positive, normal and finite, with e0 added to its exponent (fdlibm's e_log.c without its
/// branches): u = m 2^e with m in [sqrt(1/2), sqrt(2)) from the bits (e through the bits of 2^52 + e, no conversion),
/// f = m - 1, s = f / (2 + f), log m = f - f^2/2 + s (f^2/2 + R(s^2)), e ln2 in two parts.
private let logCoreF64 = """
static inline double ax_log_f64_core(double u, double e0, double c) {
    uint64_t ix = ax_f64_bits(u) + (0x3ff0000000000000u - 0x3fe6a09e667f3bcdu);
    double e = ax_f64_from_bits(0x4330000000000000u | (ix >> 52)) - (4503599627370496.0 + 1023.0) + e0;
    double f = ax_f64_from_bits((ix & 0x000fffffffffffffu) + 0x3fe6a09e667f3bcdu) - 1.0;
    double s = f / (2.0 + f), z = s * s, w = z * z, hfsq = 0.5 * f * f;
    double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    return e * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + (t2 + t1)) + (e * 1.90821492927058770002e-10 + c))) - f);
}
"""

/// sin and cos of one f64 with |a| <= 2^20 (others give garbage the callers replace): a = k pi/2 + y + yl, k from
/// a 2/pi + 1.5*2^52, pi/2 in fdlibm's parts P1 + P2 + P3 + P3t (33 bits each but the last, so k Pi is exact), the
/// two subtractions' rounding errors kept (two-sums), so y + yl is right to about 2^-100 however close a is to a
/// multiple of pi/2; then fdlibm's kernels __kernel_sin(y, yl) and __kernel_cos(y, yl), the quadrant's choice and
/// signs on the bits. sin, cos and sincos all call it, so they compute the same bits.
private let sinCosCoreF64 = """
static inline void ax_sincos_f64_core(double a, double *sp, double *cp) {
    double x = ax_sel_f64(~ax_absgt_f64(a, 1048576.0), a, 0.0), t = x * 6.36619772367581382433e-01 + 6755399441055744.0;
    double k = t - 6755399441055744.0;
    uint64_t q = ax_f64_bits(t), sn = (q & 2u) << 62, cn = ((q + 1u) & 2u) << 62, odd = 0u - (q & 1u);
    double r0 = x - k * 1.57079632673412561417e+00, w2 = k * 6.07710050630396597660e-11, w3 = k * 2.02226624871116645580e-21;
    double r1 = r0 - w2, b1 = r1 - r0, e1 = (r0 - (r1 - b1)) - (w2 + b1);
    double r2 = r1 - w3, b2 = r2 - r1, e2 = (r1 - (r2 - b2)) - (w3 + b2);
    double tl = (e1 + e2) - k * 8.47842766036889956997e-32, y = r2 + tl, yl = tl - (y - r2);
    double z = y * y, v = z * y, hz = 0.5 * z, w = 1.0 - hz, ps, pc, s, c;
    ps = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06
         + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
    s = y - ((z * (0.5 * yl - v * ps) - yl) - v * -1.66666666666666324348e-01);
    pc = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
         + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    c = w + (((1.0 - w) - hz) + (z * pc - y * yl));
    *sp = ax_f64_from_bits(ax_f64_bits(ax_sel_f64(odd, c, s)) ^ sn);
    *cp = ax_f64_from_bits(ax_f64_bits(ax_sel_f64(odd, s, c)) ^ cn);
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
/// is given, elements where `fixup.when` holds are redone as `fixup.value` (after the tile loop, which only notes whether
/// any element needs it, so it stays vectorized).
private func mathFunction(_ op: String, _ t: String, body: String, fixup: (when: String, value: String)? = nil,
                          deps: [String] = []) -> [RuntimeFunction] {
    let c = cType(t), helper = "ax_\(op)_\(t)_body", scalar = runtimeScalarName(op, DType(rawValue: t)!), tile = tileName(op, DType(rawValue: t)!)
    func fix(_ x: String) -> String { fixup.map { $0.value.replacingOccurrences(of: "$a", with: x) } ?? "" }
    func when(_ x: String) -> String { fixup.map { $0.when.replacingOccurrences(of: "$a", with: x) } ?? "" }
    // With a fix-up, the tile loop only notes whether any element needs it, so it stays vectorized.
    let loop = fixup == nil ? "for (i = 0; i < n; i++) o[i] = \(helper)(a[i]);"
        : "\(t == "f32" ? "int" : "uint64_t") redo = 0;\n    for (i = 0; i < n; i++) { o[i] = \(helper)(a[i]); redo |= \(when("a[i]")); }\n"
          + "    if (redo) for (i = 0; i < n; i++) if (\(when("a[i]"))) o[i] = \(fix("a[i]"));"
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
        """, deps: [helper], redoWhen: fixup?.when),
        RuntimeFunction(name: tile, proto: "void \(tile)(int64_t, const \(c) *, \(c) *);", source: """
        void \(tile)(int64_t n, const \(c) *a, \(c) *o) {
            int64_t i;
            \(loop)
        }
        """, deps: [helper]),
    ]
}

/// The fix-up of sin and cos: |x| beyond the reduction's range (f32: 131072, f64: 2^20), inf and NaN are computed by
/// libm (f32 in double). The f64 test is a mask on the bits, so the tile loop that ORs it stays vectorized under gcc.
private func trigFixup(_ op: String, _ t: String) -> (when: String, value: String) {
    t == "f32" ? (when: "!(fabsf($a) <= 131072.0f)", value: "(float)\(op)((double)$a)")
               : (when: "ax_absgt_f64($a, 1048576.0)", value: "\(op)($a)")
}

/// sin(±0) = ±0, selected over the shared core's sine `s` of `a` (its sum gives +0).
private func signedZeroSine(_ t: String, _ a: String, _ s: String) -> String {
    t == "f32" ? "ax_sel_f32(\(a) == 0, \(a), \(s))" : "ax_sel_f64(~ax_absgt_f64(\(a), 0.0), \(a), \(s))"
}

/// sin or cos from the shared core of dtype `t`.
private func sinCos(_ op: String, _ t: String) -> [RuntimeFunction] {
    mathFunction(op, t, body: """
    \(cType(t)) s, c;
    ax_sincos_\(t)_core(a, &s, &c);
    return \(op == "sin" ? signedZeroSine(t, "a", "s") : "c");
    """, fixup: trigFixup(op, t), deps: ["ax_\(t)_bits", "ax_sincos_\(t)_core"])
}

/// sin and cos of a tile with one range reduction: the same bits as ax_vsin_T and ax_vcos_T.
private func vsincos(_ t: String) -> RuntimeFunction {
    let c = cType(t), name = "ax_vsincos_\(t)", redo = t == "f32" ? "int" : "uint64_t"
    let when = trigFixup("", t).when.replacingOccurrences(of: "$a", with: "a[i]")
    func fix(_ op: String) -> String { trigFixup(op, t).value.replacingOccurrences(of: "$a", with: "a[i]") }
    return RuntimeFunction(name: name, proto: "void \(name)(int64_t, const \(c) *, \(c) *, \(c) *);", source: """
    void \(name)(int64_t n, const \(c) *a, \(c) *s, \(c) *c) {
        int64_t i;
        \(redo) redo = 0;
        for (i = 0; i < n; i++) { ax_sincos_\(t)_core(a[i], s + i, c + i); s[i] = \(signedZeroSine(t, "a[i]", "s[i]")); redo |= \(when); }
        if (redo) for (i = 0; i < n; i++) if (\(when)) { s[i] = \(fix("sin")); c[i] = \(fix("cos")); }
    }
    """, deps: ["ax_\(t)_bits", "ax_sincos_\(t)_core"])
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

/// Sums of the `rows` consecutive rows of length `r` of a tile, each in double from 0 in order. Rows of 2 to 8
/// have a loop each with `r` a constant, which compilers vectorize over rows (each lane one row, the same order).
private func vrowsum(_ t: String) -> RuntimeFunction {
    let c = cType(t)
    func loop(_ r: String) -> String {
        "for (i = 0; i < rows; i++) { double s = 0; for (j = 0; j < \(r); j++) s += a[i * \(r) + j]; o[i] = (\(c))s; }"
    }
    return RuntimeFunction(name: "ax_vrowsum_\(t)", proto: "void ax_vrowsum_\(t)(int64_t, int64_t, const \(c) *, \(c) *);", source: """
    void ax_vrowsum_\(t)(int64_t rows, int64_t r, const \(c) *a, \(c) *o) {
        int64_t i, j;
        switch (r) {
    \((2...8).map { "    case \($0): \(loop("\($0)")) return;" }.joined(separator: "\n"))
        default: \(loop("r"))
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

    /* Threads in all, the caller's included: AXC_THREADS when set (1 to 64: results never depend on it, which the
       tests check by varying it), else one per core, at most 8. */
    static void ax_pool_start(void) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN), asked = getenv("AXC_THREADS") ? atol(getenv("AXC_THREADS")) : 0;
        long threads = asked > 0 ? (asked > 64 ? 64 : asked) : (cores > 8 ? 8 : cores);
        int k, want = (int)threads - 1;
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
            out += f64Math()
            continue
        }
        // f32 in f32 arithmetic, branch-free (docs/numerics.md): NaN returns itself, the domain edges are selected.
        let bits = "ax_f32_bits"
        out += mathFunction("exp", t, body: """
        int nan = a != a, lo = a < -104.0f, hi = a > 89.0f;
        float y = ax_expf_core(ax_sel_f32(lo, -104.0f, ax_sel_f32(hi | nan, 89.0f, a)));
        return ax_sel_f32(nan, a, y);
        """, deps: [bits, "ax_expf_parts"])
        // 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|) in two parts and 1 + e with its rounding
        // error dl, the quotients corrected to first order in dl and e's low part; except where JAX's f32
        // expansion 1 / (1 + exp(-x)) underflows to 0 because exp(-x) overflows in f32 (x <= -88.72284): there it
        // is 0, so log(sigmoid(-103)) is -inf, as in JAX.
        out += mathFunction("logistic", t, body: """
        int nan = a != a, neg = a < 0, under = a <= -0x1.62e43p+6f;
        float m = -fabsf(a), l, sc, h = ax_expf_parts(ax_sel_f32(m < -104.0f, -104.0f, m), &l, &sc);
        \(logisticFromExp(t))
        """, deps: [bits, "ax_expf_parts"])
        // x + x^3 p(x^2) below 0.625, 1 - 2 / (1 + exp(2|x|)) above (exp's argument capped at 20: tanh is 1 in
        // f32 from 9.01); tanh(±0) = ±0.
        out += mathFunction("tanh", t, body: """
        float ax = fabsf(a), z = a * a, p = 2.299006330e-03f, e, q;
        int nan = a != a, zero = a == 0, small = ax < 0.625f, neg = a < 0;
        p = p * z - 8.350077085e-03f; p = p * z + 2.177102305e-02f; p = p * z - 5.395955592e-02f;
        p = p * z + 1.333330572e-01f; p = p * z - 3.333333433e-01f;
        e = ax_expf_core(ax_sel_f32(ax < 10.0f, 2.0f * ax, 20.0f));
        q = 1.0f - 2.0f / (1.0f + e);
        return ax_sel_f32(nan | zero, a, ax_sel_f32(small, a + a * (z * p), ax_sel_f32(neg, -q, q)));
        """, deps: [bits, "ax_expf_parts"])
        // Subnormals are scaled by 2^23 first; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
        out += mathFunction("log", t, body: """
        int ok = (a > 0) & (a <= 3.40282347e38f), sub = a < 1.17549435e-38f, zero = a == 0, pos = a > 0;
        float u = ax_sel_f32(ok, ax_sel_f32(sub, a * 8388608.0f, a), 1.0f);
        float y = ax_logf_core(u, ax_sel_f32(sub, -23.0f, 0.0f), 0.0f);
        return ax_sel_f32(ok, y, ax_sel_f32(zero, -HUGE_VALF, ax_sel_f32(pos, a, NAN)));
        """, deps: [bits, "ax_logf_core"])
        // log(u) + c / u with u = 1 + x rounded and c its rounding error; log1p(±0) = ±0, log1p(-1) = -inf.
        out += mathFunction("log1p", t, body: """
        int ok = (a > -1.0f) & (a <= 3.40282347e38f), m1 = a == -1.0f, pos = a > 0, zero = a == 0;
        float x = ax_sel_f32(ok, a, 0.0f), u = 1.0f + x;
        float c = ax_sel_f32(u >= 2.0f, 1.0f - (u - x), x - (u - 1.0f)) / u;
        float y = ax_logf_core(u, 0.0f, c);
        return ax_sel_f32(ok & !zero, y, ax_sel_f32(zero, a, ax_sel_f32(m1, -HUGE_VALF, ax_sel_f32(pos, a, NAN))));
        """, deps: [bits, "ax_logf_core"])
        out += sinCos("sin", t)
        out += sinCos("cos", t)
        out.append(vsincos(t))
    }
    // The ops whose records define their math (UnaryDef.math).
    for t in ["f32", "f64"] {
        for op in UnaryOp.allCases { if let math = op.def.math { out += mathFunction(op.rawValue, t, body: math(DType(rawValue: t)!)) } }
    }
    return out
}

/// The end of logistic of dtype `t` (f32 or f64) from `e = exp(-|a|)` as `(h + l) sc` and the masks `nan`, `under`,
/// `neg`: 1 / (1 + e) for a >= 0 and e / (1 + e) below, with `d = 1 + e` and its rounding error `dl` (exact), the
/// quotients corrected to first order in `dl` and e's low part; 0 where `under`, NaN returned as itself.
private func logisticFromExp(_ t: String) -> String {
    let c = cType(t), f = t == "f32" ? "f" : ""
    return """
    \(c) eh = h * sc, el = l * sc, d = 1.0\(f) + eh, dl = ((1.0\(f) - d) + eh) + el, y = 1.0\(f) / d, q = eh / d;
    \(c) yp = y - (y * dl) * y, yn = q + (el - q * dl) * y;
    return ax_sel_\(t)(nan, a, ax_sel_\(t)(under, 0.0\(f), ax_sel_\(t)(neg, yn, yp)));
    """
}

/// The f64 math, branch-free in f64 arithmetic as the f32 math (docs/numerics.md), its conditions masks on the bits
/// (`ax_lt_f64`, `ax_absgt_f64`, `ax_neg_f64`): NaN returns itself, the domain edges are selected.
private func f64Math() -> [RuntimeFunction] {
    let t = "f64", bits = "ax_f64_bits"
    var out: [RuntimeFunction] = []
    out += mathFunction("exp", t, body: """
    uint64_t nan = ax_absgt_f64(a, INFINITY), lo = ax_lt_f64(a, -746.0), hi = ax_lt_f64(710.0, a);
    double l, s, h = ax_exp_f64_parts(ax_sel_f64(lo, -746.0, ax_sel_f64(hi | nan, 710.0, a)), &l, &s);
    return ax_sel_f64(nan, a, h * s);
    """, deps: [bits, "ax_exp_f64_parts"])
    // As f32's: 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|) in two parts, corrected to first order in
    // the rounding error of 1 + e and e's low part; 0 where JAX's 1 / (1 + exp(-x)) is, as exp(-x) overflows.
    out += mathFunction("logistic", t, body: """
    uint64_t nan = ax_absgt_f64(a, INFINITY), neg = ax_neg_f64(a), under = ax_lt_f64(a, -0x1.62e42fefa39efp+9);
    double m = -fabs(a), l, sc, h = ax_exp_f64_parts(ax_sel_f64(ax_lt_f64(m, -746.0), -746.0, m), &l, &sc);
    \(logisticFromExp(t))
    """, deps: [bits, "ax_exp_f64_parts"])
    // Cephes' x + x^3 P(x^2)/Q(x^2) below 0.625; above, 1 - 2 / (1 + e) with e = exp(2|x|) in two parts (its argument
    // capped at 44: tanh is 1 in f64 from 19.06), 1 - q's rounding error and the first-order correction for
    // 1 + e's added before the last rounding; tanh(±0) = ±0.
    out += mathFunction("tanh", t, body: """
    double ax = fabs(a), z = a * a, p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3;
    double r = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
    double l, sc, h = ax_exp_f64_parts(ax_sel_f64(ax_lt_f64(ax, 22.0), 2.0 * ax, 44.0), &l, &sc);
    double eh = h * sc, el = l * sc, d = 1.0 + eh, dl = (1.0 - (d - eh)) + el, q = 2.0 / d;
    double u = 1.0 - q, y = u + (((1.0 - u) - q) + 0.5 * q * q * dl);
    uint64_t keep = ax_absgt_f64(a, INFINITY) | ~ax_absgt_f64(a, 0.0), small = ax_lt_f64(ax, 0.625);
    return ax_sel_f64(keep, a, ax_sel_f64(small, a + a * (z * (p / r)), ax_sel_f64(ax_neg_f64(a), -y, y)));
    """, deps: [bits, "ax_exp_f64_parts"])
    // Subnormals are scaled by 2^54 first; log(±0) = -inf, log(x < 0) = NaN, log(inf) = inf.
    out += mathFunction("log", t, body: """
    uint64_t neg = ax_neg_f64(a), zero = ~ax_absgt_f64(a, 0.0), ok = ~(neg | zero | ax_absgt_f64(a, 1.7976931348623157e308));
    uint64_t sub = ~ax_absgt_f64(a, 0x0.fffffffffffffp-1022);
    double u = ax_sel_f64(ok, ax_sel_f64(sub, a * 18014398509481984.0, a), 1.0);
    double y = ax_log_f64_core(u, ax_sel_f64(sub, -54.0, 0.0), 0.0);
    return ax_sel_f64(ok, y, ax_sel_f64(zero, -HUGE_VAL, ax_sel_f64(neg, NAN, a)));
    """, deps: [bits, "ax_log_f64_core"])
    // log(u) + c / u with u = 1 + x rounded and c its rounding error; log1p(±0) = ±0, log1p(-1) = -inf, below NaN.
    out += mathFunction("log1p", t, body: """
    uint64_t neg = ax_neg_f64(a), zero = ~ax_absgt_f64(a, 0.0), le1 = neg & ax_absgt_f64(a, 0x1.fffffffffffffp-1);
    uint64_t m1 = le1 & ~ax_absgt_f64(a, 1.0), ok = ~(le1 | zero | ax_absgt_f64(a, 1.7976931348623157e308));
    double x = ax_sel_f64(ok, a, 0.0), u = 1.0 + x;
    double c = ax_sel_f64(ax_lt_f64(u, 2.0), x - (u - 1.0), 1.0 - (u - x)) / u;
    double y = ax_log_f64_core(u, 0.0, c);
    return ax_sel_f64(ok, y, ax_sel_f64(zero | ~le1, a, ax_sel_f64(m1, -HUGE_VAL, NAN)));
    """, deps: [bits, "ax_log_f64_core"])
    out += sinCos("sin", t)
    out += sinCos("cos", t)
    out.append(vsincos(t))
    return out
}

/// The exported math functions (scalar and tile) of f32 and f64, cloned for AVX-512 too.
private let mathNames: Set<String> = Set(["exp", "log", "log1p", "tanh", "logistic", "sin", "cos"].flatMap { op in
    ["f32", "f64"].flatMap { ["ax_\(op)_\($0)", "ax_v\(op)_\($0)"] }
} + ["ax_vsincos_f32", "ax_vsincos_f64"])

/// Every runtime function, in the order of axruntime.c (helpers before their callers).
let runtimeFunctions: [RuntimeFunction] = {
    var out = [parallelFor]
    for t in ["f32", "f64"] {
        out.append(RuntimeFunction(name: "ax_gemm_rows_\(t)", proto: "", source: gemmRows(t)))
        out.append(RuntimeFunction(name: gemmName(DType(rawValue: t)!), proto: gemmProto(t), source: gemm(t), deps: ["ax_gemm_rows_\(t)", "ax_parallel_for"]))
        out.append(matmulTile(t))
    }
    out += [
        RuntimeFunction(name: "ax_f32_bits", proto: "", source: f32Bits),
        RuntimeFunction(name: "ax_expf_parts", proto: "", source: expParts, deps: ["ax_f32_bits"]),
        RuntimeFunction(name: "ax_logf_core", proto: "", source: logCore, deps: ["ax_f32_bits"]),
        RuntimeFunction(name: "ax_sincos_f32_core", proto: "", source: sinCosCore, deps: ["ax_f32_bits"]),
        RuntimeFunction(name: "ax_f64_bits", proto: "", source: f64Bits),
        RuntimeFunction(name: "ax_exp_f64_parts", proto: "", source: expPartsF64, deps: ["ax_f64_bits"]),
        RuntimeFunction(name: "ax_log_f64_core", proto: "", source: logCoreF64, deps: ["ax_f64_bits"]),
        RuntimeFunction(name: "ax_sincos_f64_core", proto: "", source: sinCosCoreF64, deps: ["ax_f64_bits"]),
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
    #include <stdlib.h>
    #include <unistd.h>
    #include "axruntime.h"

    /* Each exported function is compiled twice, for AVX2+FMA and for baseline x86-64, and picked when loaded
       (-ffp-contract=off keeps both clones' results identical to the portable twins'); the f32 and f64 math also
       for AVX-512 (x86-64-v4: its selects and conversions made the f32 tiles 25-45% faster, the f64 ones 10-30%,
       docs/numerics.md).
       -DAX_NO_CLONES turns this off, for sanitizers whose runtimes start after ifunc resolvers run. */
    #if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__)) && !defined(AX_NO_CLONES)
    #define AX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #define AX_MATH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
    #else
    #define AX_CLONES
    #define AX_MATH_CLONES
    #endif

    double ax_rt_version(void) { return 1.0; }


    """
    for f in runtimeFunctions where !f.source.isEmpty {
        if let native = f.native { s += native + "\n\n"; continue }
        // Exported functions are cloned; so are static loop bodies called through pointers (never inlined).
        let clones = mathNames.contains(f.name) ? "AX_MATH_CLONES " : "AX_CLONES "
        s += (f.proto.isEmpty ? f.source.replacingOccurrences(of: "static void ", with: "AX_CLONES static void ")
                              : clones + f.source) + "\n\n"
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
