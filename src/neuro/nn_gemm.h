/*
 * nn_gemm.h — the dense matrix kernels under the trainable networks (mlp.c).
 *
 * All matrices are float, row-major and contiguous with an explicit leading dimension (the
 * distance in elements between the starts of two rows). One kernel does the arithmetic:
 * nn_gemm, C = A·B (+ C), written as a register-blocked micro-kernel (4 rows of C by 16
 * columns held in GCC/Clang vector types while k runs) inside a loop that walks B in panels of
 * 256 rows so a panel stays in L1/L2 while every row block of A uses it. The transposed
 * products the backward pass needs (Aᵀ·B for weight gradients, A·Bᵀ for the gradient flowing
 * back to the layer below) copy the transposed operand into a caller scratch buffer and call
 * the same kernel: the copy costs one pass over an operand, the product k passes.
 *
 * On x86-64 the kernel is compiled twice, for the baseline (SSE2) and with AVX2+FMA, and
 * nn_gemm picks the AVX2 build once per process when the CPU has it (a read-only decision
 * cached in a static: the only static state here, and it never changes after the first call).
 * On ARM64 the baseline build is NEON. Results of the two builds agree to rounding (fused
 * multiply-add differs from mul+add in the last bit); the tests compare against a naive triple
 * loop with a tolerance.
 */
#ifndef NQ_NEURO_NN_GEMM_H
#define NQ_NEURO_NN_GEMM_H

#include <stddef.h>

/* C[m×n] = A[m×k]·B[k×n] (accumulate = 0) or C += A·B (accumulate = 1). */
void nn_gemm(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
             int ldc, int accumulate);

/* C[m×n] = Aᵀ·B with A stored k×m (lda) and B k×n; scratch holds m·k floats. */
void nn_gemm_tn(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
                int ldc, int accumulate, float *scratch);

/* C[m×n] = A·Bᵀ with A m×k and B stored n×k (ldb); scratch holds k·n floats. */
void nn_gemm_nt(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
                int ldc, int accumulate, float *scratch);

/* dst[cols×rows] = srcᵀ, src rows×cols with leading dimension lds. */
void nn_transpose(int rows, int cols, const float *src, int lds, float *dst);

/* "avx2" or "baseline": the kernel build nn_gemm uses on this CPU. */
const char *nn_gemm_variant(void);

#endif
