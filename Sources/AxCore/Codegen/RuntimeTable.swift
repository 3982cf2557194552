// The runtime functions kernels may call: prototype and portable C twin of each. The twin text is
// exactly the definition in Sources/AxRuntime/axruntime.c (a test checks it), so standalone C computes
// what the -O3 runtime computes.

/// A runtime function: its name, C prototype and portable definition (made `static` in standalone files).
struct RuntimeFunction {
    var name: String
    var proto: String
    var source: String
}

private func gemm(_ t: String, _ acc: String) -> String {
    """
    void ax_gemm_\(t)(int64_t m, int64_t n, int64_t k, const \(acc) *a, int64_t sam, int64_t sak,
                     const \(acc) *b, int64_t sbk, int64_t sbn, \(acc) *c, int64_t scm, int64_t scn) {
        int64_t i, j, p;
        if (sbn == 1 && scn == 1 && n > 1) {
            double acc[256];
            int64_t j0, nb;
            for (i = 0; i < m; i++) {
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
        for (i = 0; i < m; i++) {
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

private func gemmProto(_ t: String, _ c: String) -> String {
    "void ax_gemm_\(t)(int64_t, int64_t, int64_t, const \(c) *, int64_t, int64_t, const \(c) *, int64_t, int64_t, \(c) *, int64_t, int64_t);"
}

/// Every runtime function, in the order of axruntime.c.
let runtimeFunctions: [RuntimeFunction] = [
    RuntimeFunction(name: "ax_gemm_f32", proto: gemmProto("f32", "float"), source: gemm("f32", "float")),
    RuntimeFunction(name: "ax_gemm_f64", proto: gemmProto("f64", "double"), source: gemm("f64", "double")),
]
