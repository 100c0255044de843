/* C = A B for the split time loops' per-thread products (nn/split.py), B packed once per loop.

   A (N, K) with row stride lda, B (K, M) packed by pack_*: panels of 2W columns (W floats to an
   AVX-512 register: 16 float32, 8 float64), each panel K rows of 2W contiguous, zero-padded past M:
       Bp[p][k][c] = B[k][2W p + c]        (ceil(M / 2W), K, 2W), 64-byte aligned
   C (N, M) with row stride ldc. Per panel and block of R <= 8 rows of A, 2R accumulators:
       for k: b0, b1 = Bp[p][k][0:W], Bp[p][k][W:2W];  for r < R: c[r] += A[r][k] * (b0, b1)
   which keeps the panel (K * 2W) in L2 across the row blocks and A's rows in L1. For the small N of a
   time step (one row per sequence) this runs at 105-114 GFLOP/s on one core of the AVX-512 EPYC we
   measure on, where OpenBLAS, which packs W_hh anew on every call, reaches 82-89 (README, Speed).

   gemm_packed_* return 0 without touching C when the CPU has no AVX-512 (the caller then uses BLAS). */
#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define GEMM(T, SUF, VEC, W, MASK, LOAD, SET1, FMA, ZERO, MSTORE)                                          \
    __attribute__((target("avx512f"))) static void block_##SUF(long R, long K, const T *a, long lda,       \
                                                               const T *bp, T *c, long ldc, MASK m0,       \
                                                               MASK m1) {                                  \
        VEC c0[8], c1[8];                                                                                  \
        for (int r = 0; r < 8; r++) c0[r] = c1[r] = ZERO();                                                \
        if (R == 8) {                                                                                      \
            for (long k = 0; k < K; k++) {                                                                 \
                VEC b0 = LOAD(bp + k * 2 * W), b1 = LOAD(bp + k * 2 * W + W);                              \
                _Pragma("GCC unroll 8") for (int r = 0; r < 8; r++) {                                      \
                    VEC ar = SET1(a[r * lda + k]);                                                         \
                    c0[r] = FMA(ar, b0, c0[r]);                                                            \
                    c1[r] = FMA(ar, b1, c1[r]);                                                            \
                }                                                                                          \
            }                                                                                              \
        } else {                                                                                           \
            for (long k = 0; k < K; k++) {                                                                 \
                VEC b0 = LOAD(bp + k * 2 * W), b1 = LOAD(bp + k * 2 * W + W);                              \
                _Pragma("GCC unroll 8") for (int r = 0; r < 8; r++) {                                      \
                    if (r < R) {                                                                           \
                        VEC ar = SET1(a[r * lda + k]);                                                     \
                        c0[r] = FMA(ar, b0, c0[r]);                                                        \
                        c1[r] = FMA(ar, b1, c1[r]);                                                        \
                    }                                                                                      \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        for (int r = 0; r < R; r++) {                                                                      \
            MSTORE(c + r * ldc, m0, c0[r]);                                                                \
            MSTORE(c + r * ldc + W, m1, c1[r]);                                                            \
        }                                                                                                  \
    }                                                                                                      \
    __attribute__((target("avx512f"))) static void gemm_##SUF##_avx512(long N, long K, long M, const T *A,  \
                                                                      long lda, const T *Bp, T *C,         \
                                                                      long ldc) {                          \
        for (long p = 0; p * 2 * W < M; p++) {                                                             \
            long left = M - p * 2 * W; /* columns of this panel that exist in C */                         \
            MASK m0 = left >= W ? (MASK)-1 : (MASK)((1u << left) - 1);                                     \
            MASK m1 = left >= 2 * W ? (MASK)-1 : left <= W ? 0 : (MASK)((1u << (left - W)) - 1);           \
            for (long n = 0; n < N; n += 8)                                                                \
                block_##SUF(N - n < 8 ? N - n : 8, K, A + n * lda, lda, Bp + p * K * 2 * W,                \
                            C + n * ldc + p * 2 * W, ldc, m0, m1);                                         \
        }                                                                                                  \
    }                                                                                                      \
    int gemm_packed_##SUF(long N, long K, long M, const T *A, long lda, const T *Bp, T *C, long ldc) {     \
        if (!__builtin_cpu_supports("avx512f")) return 0;                                                  \
        gemm_##SUF##_avx512(N, K, M, A, lda, Bp, C, ldc);                                                  \
        return 1;                                                                                          \
    }

GEMM(float, f32, __m512, 16, __mmask16, _mm512_load_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_setzero_ps,
     _mm512_mask_storeu_ps)
GEMM(double, f64, __m512d, 8, __mmask8, _mm512_load_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_setzero_pd,
     _mm512_mask_storeu_pd)

#else
int gemm_packed_f32(long N, long K, long M, const float *A, long lda, const float *Bp, float *C, long ldc) {
    return 0;
}
int gemm_packed_f64(long N, long K, long M, const double *A, long lda, const double *Bp, double *C, long ldc) {
    return 0;
}
#endif
