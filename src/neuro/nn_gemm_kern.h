/*
 * nn_gemm_kern.h — the body of the matrix-multiply kernel, included twice by nn_gemm.c (once
 * per instruction set) with these set by the includer: KN_NAME (function name), KN_VT (a GCC
 * vector type of KN_VL floats), KN_VL, KN_LD (an unaligned load of one KN_VT), KN_ATTR (function attributes, e.g. a target). There is
 * deliberately no include guard.
 *
 * C += A·B for row-major A (m×k), B (k×n), C (m×n). The loop nest, outermost first: panels of
 * KN_KC rows of B (so the panel stays in cache while all of A's rows pass over it); blocks of 4
 * rows of C; tiles of 2·KN_VL columns. Within a tile the 8 accumulators (4 rows × 2 vectors)
 * stay in registers while k runs over the panel, so each loaded vector of B is used 4 times and
 * each element of A (broadcast) 2 vectors' worth. Column tails narrower than a tile take one
 * vector, then scalars; row tails take the one-row version of the same loops.
 */

#define KN_KC 256

KN_ATTR static void KN_NAME(int m, int n, int k, const float *restrict A, int lda,
                            const float *restrict B, int ldb, float *restrict C, int ldc)
{
    const int T = 2 * KN_VL;
    for (int k0 = 0; k0 < k; k0 += KN_KC) {
        int k1 = k0 + KN_KC < k ? k0 + KN_KC : k;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = A + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
            float *c0 = C + (size_t)i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            int j = 0;
            for (; j + T <= n; j += T) {
                KN_VT x0 = KN_LD(c0 + j), y0 = KN_LD(c0 + j + KN_VL);
                KN_VT x1 = KN_LD(c1 + j), y1 = KN_LD(c1 + j + KN_VL);
                KN_VT x2 = KN_LD(c2 + j), y2 = KN_LD(c2 + j + KN_VL);
                KN_VT x3 = KN_LD(c3 + j), y3 = KN_LD(c3 + j + KN_VL);
                for (int kk = k0; kk < k1; kk++) {
                    const float *b = B + (size_t)kk * ldb + j;
                    KN_VT b0 = KN_LD(b), b1 = KN_LD(b + KN_VL);
                    x0 += a0[kk] * b0; y0 += a0[kk] * b1;
                    x1 += a1[kk] * b0; y1 += a1[kk] * b1;
                    x2 += a2[kk] * b0; y2 += a2[kk] * b1;
                    x3 += a3[kk] * b0; y3 += a3[kk] * b1;
                }
                memcpy(c0 + j, &x0, sizeof x0); memcpy(c0 + j + KN_VL, &y0, sizeof y0);
                memcpy(c1 + j, &x1, sizeof x1); memcpy(c1 + j + KN_VL, &y1, sizeof y1);
                memcpy(c2 + j, &x2, sizeof x2); memcpy(c2 + j + KN_VL, &y2, sizeof y2);
                memcpy(c3 + j, &x3, sizeof x3); memcpy(c3 + j + KN_VL, &y3, sizeof y3);
            }
            for (; j + KN_VL <= n; j += KN_VL) {
                KN_VT x0 = KN_LD(c0 + j), x1 = KN_LD(c1 + j);
                KN_VT x2 = KN_LD(c2 + j), x3 = KN_LD(c3 + j);
                for (int kk = k0; kk < k1; kk++) {
                    KN_VT b0 = KN_LD(B + (size_t)kk * ldb + j);
                    x0 += a0[kk] * b0; x1 += a1[kk] * b0;
                    x2 += a2[kk] * b0; x3 += a3[kk] * b0;
                }
                memcpy(c0 + j, &x0, sizeof x0); memcpy(c1 + j, &x1, sizeof x1);
                memcpy(c2 + j, &x2, sizeof x2); memcpy(c3 + j, &x3, sizeof x3);
            }
            for (; j < n; j++) {
                float s0 = c0[j], s1 = c1[j], s2 = c2[j], s3 = c3[j];
                for (int kk = k0; kk < k1; kk++) {
                    float b0 = B[(size_t)kk * ldb + j];
                    s0 += a0[kk] * b0; s1 += a1[kk] * b0;
                    s2 += a2[kk] * b0; s3 += a3[kk] * b0;
                }
                c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
            }
        }
        for (; i < m; i++) {
            const float *a0 = A + (size_t)i * lda;
            float *c0 = C + (size_t)i * ldc;
            int j = 0;
            for (; j + T <= n; j += T) {
                KN_VT x0 = KN_LD(c0 + j), y0 = KN_LD(c0 + j + KN_VL);
                for (int kk = k0; kk < k1; kk++) {
                    const float *b = B + (size_t)kk * ldb + j;
                    x0 += a0[kk] * KN_LD(b);
                    y0 += a0[kk] * KN_LD(b + KN_VL);
                }
                memcpy(c0 + j, &x0, sizeof x0); memcpy(c0 + j + KN_VL, &y0, sizeof y0);
            }
            for (; j < n; j++) {
                float s0 = c0[j];
                for (int kk = k0; kk < k1; kk++)
                    s0 += a0[kk] * B[(size_t)kk * ldb + j];
                c0[j] = s0;
            }
        }
    }
}

#undef KN_KC
