/*
 * nn_gemm.c — dense matrix kernels for the trainable networks (see nn_gemm.h).
 */
#include "nn_gemm.h"

#include <string.h>

typedef float nn_v4f __attribute__((vector_size(16)));

static inline nn_v4f nn_ld4(const float *p)
{
    nn_v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

#define KN_NAME nn_kern_base
#define KN_VT nn_v4f
#define KN_VL 4
#define KN_LD nn_ld4
#define KN_ATTR
#include "nn_gemm_kern.h"
#undef KN_NAME
#undef KN_VT
#undef KN_VL
#undef KN_LD
#undef KN_ATTR

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NN_HAVE_AVX2 1
typedef float nn_v8f __attribute__((vector_size(32)));

__attribute__((target("avx2,fma"))) static inline nn_v8f nn_ld8(const float *p)
{
    nn_v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}
#define KN_NAME nn_kern_avx2
#define KN_VT nn_v8f
#define KN_VL 8
#define KN_LD nn_ld8
#define KN_ATTR __attribute__((target("avx2,fma")))
#include "nn_gemm_kern.h"
#undef KN_NAME
#undef KN_VT
#undef KN_VL
#undef KN_LD
#undef KN_ATTR

/* 1 = AVX2 build, 0 = baseline; -1 = not probed yet. Written once with the same value by any
 * thread that gets here first, so a race is harmless. */
static volatile int nn_use_avx2 = -1;

static int nn_avx2(void)
{
    if (nn_use_avx2 < 0) {
        __builtin_cpu_init();
        nn_use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return nn_use_avx2;
}
#endif

const char *nn_gemm_variant(void)
{
#ifdef NN_HAVE_AVX2
    if (nn_avx2())
        return "avx2";
#endif
    return "baseline";
}

void nn_gemm(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
             int ldc, int accumulate)
{
    if (m <= 0 || n <= 0)
        return;
    if (!accumulate)
        for (int i = 0; i < m; i++)
            memset(C + (size_t)i * ldc, 0, (size_t)n * sizeof *C);
    if (k <= 0)
        return;
#ifdef NN_HAVE_AVX2
    if (nn_avx2()) {
        nn_kern_avx2(m, n, k, A, lda, B, ldb, C, ldc);
        return;
    }
#endif
    nn_kern_base(m, n, k, A, lda, B, ldb, C, ldc);
}

void nn_transpose(int rows, int cols, const float *src, int lds, float *dst)
{
    /* 32×32 tiles keep both the rows read and the rows written in cache. */
    enum { TB = 32 };
    for (int i0 = 0; i0 < rows; i0 += TB)
        for (int j0 = 0; j0 < cols; j0 += TB) {
            int i1 = i0 + TB < rows ? i0 + TB : rows, j1 = j0 + TB < cols ? j0 + TB : cols;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++)
                    dst[(size_t)j * rows + i] = src[(size_t)i * lds + j];
        }
}

void nn_gemm_tn(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
                int ldc, int accumulate, float *scratch)
{
    nn_transpose(k, m, A, lda, scratch); /* scratch is m×k */
    nn_gemm(m, n, k, scratch, k, B, ldb, C, ldc, accumulate);
}

void nn_gemm_nt(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
                int ldc, int accumulate, float *scratch)
{
    nn_transpose(n, k, B, ldb, scratch); /* scratch is k×n */
    nn_gemm(m, n, k, A, lda, scratch, n, C, ldc, accumulate);
}
