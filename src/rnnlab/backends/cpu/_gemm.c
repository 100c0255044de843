/* C = A B for the split time loops' per-thread products (split.py), B packed once per loop.

   A (N, K) with row stride lda, B (K, M) packed by pack_*: panels of 2W columns (W floats to an
   AVX-512 register: 16 float32, 8 float64), each panel K rows of 2W contiguous, zero-padded past M:
       Bp[p][k][c] = B[k][2W p + c]        (ceil(M / 2W), K, 2W), 64-byte aligned
   C (N, M) with row stride ldc. Per panel and block of R <= 8 rows of A, 2R accumulators:
       for k: b0, b1 = Bp[p][k][0:W], Bp[p][k][W:2W];  for r < R: c[r] += A[r][k] * (b0, b1)
   which keeps the panel (K * 2W) in L2 across the row blocks and A's rows in L1. For the small N of a
   time step (one row per sequence) this beats OpenBLAS, which packs W_hh anew on every call, most at
   H=512 (python -m benchmarks.gemm_shapes; figures in benchmarks/README.md).

   Without AVX-512, an AVX2/FMA variant reads the same panels as four 256-bit registers a row, with
   blocks of R <= 3 rows (12 accumulators of the 16 registers). gemm_packed_* return 0 without
   touching C when the CPU has neither (the split loops then decline). gemm_packed_isa(limit) caps the
   variant used (2 AVX-512, 1 AVX2, 0 none; the tests run both) and returns the one now in use. */
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

static int isa_limit = 2;

static int isa(void) {
    int cpu = __builtin_cpu_supports("avx512f") ? 2
              : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    return cpu < isa_limit ? cpu : isa_limit;
}

int gemm_packed_isa(long limit) {
    isa_limit = (int)limit;
    return isa();
}

/* C = A B panel by panel (PW columns, the last one possibly narrower: cols), ROWS rows of A at a time */
#define PANELS(BLOCK, ROWS, PW)                                                                            \
    for (long p = 0; p * (PW) < M; p++) {                                                                  \
        long cols = M - p * (PW) < (PW) ? M - p * (PW) : (PW);                                             \
        for (long n = 0; n < N; n += (ROWS))                                                               \
            BLOCK(N - n < (ROWS) ? N - n : (ROWS), K, A + n * lda, lda, Bp + p * K * (PW),                 \
                  C + n * ldc + p * (PW), ldc, cols);                                                      \
    }

/* AVX2: a panel row is 4 registers of V lanes (4 V = 2W elements, the same 128 bytes) */
#define GEMM_AVX2(T, SUF, VEC, V, LOAD, SET1, FMA, ZERO, STORE)                                           \
    __attribute__((target("avx2,fma"))) static void block2_##SUF(long R, long K, const T *a, long lda,     \
                                                                const T *bp, T *c, long ldc, long cols) { \
        VEC acc[3][4];                                                                                     \
        for (int r = 0; r < 3; r++)                                                                        \
            for (int v = 0; v < 4; v++) acc[r][v] = ZERO();                                                \
        for (long k = 0; k < K; k++) {                                                                     \
            const T *b = bp + k * 4 * V;                                                                   \
            VEC b0 = LOAD(b), b1 = LOAD(b + V), b2 = LOAD(b + 2 * V), b3 = LOAD(b + 3 * V);                \
            _Pragma("GCC unroll 3") for (int r = 0; r < 3; r++) {                                          \
                if (r < R) {                                                                               \
                    VEC ar = SET1(a[r * lda + k]);                                                         \
                    acc[r][0] = FMA(ar, b0, acc[r][0]);                                                    \
                    acc[r][1] = FMA(ar, b1, acc[r][1]);                                                    \
                    acc[r][2] = FMA(ar, b2, acc[r][2]);                                                    \
                    acc[r][3] = FMA(ar, b3, acc[r][3]);                                                    \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        for (int r = 0; r < R; r++) {                                                                      \
            if (cols == 4 * V) {                                                                           \
                for (int v = 0; v < 4; v++) STORE(c + r * ldc + v * V, acc[r][v]);                         \
            } else { /* the last panel: only its first cols columns exist in C */                          \
                T tmp[4 * V];                                                                              \
                for (int v = 0; v < 4; v++) STORE(tmp + v * V, acc[r][v]);                                 \
                memcpy(c + r * ldc, tmp, cols * sizeof(T));                                                \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
    __attribute__((target("avx2,fma"))) static void gemm_##SUF##_avx2(long N, long K, long M, const T *A,   \
                                                                     long lda, const T *Bp, T *C,          \
                                                                     long ldc) {                           \
        PANELS(block2_##SUF, 3, 4 * V)                                                                     \
    }

#define GEMM(T, SUF, VEC, W, MASK, LOAD, SET1, FMA, ZERO, MSTORE)                                          \
    __attribute__((target("avx512f"))) static void block_##SUF(long R, long K, const T *a, long lda,       \
                                                               const T *bp, T *c, long ldc, long cols) {   \
        /* the last panel: only its first cols columns exist in C */                                       \
        MASK m0 = cols >= W ? (MASK)-1 : (MASK)((1u << cols) - 1);                                         \
        MASK m1 = cols >= 2 * W ? (MASK)-1 : cols <= W ? 0 : (MASK)((1u << (cols - W)) - 1);               \
        VEC c0[8], c1[8];                                                                                  \
        for (int r = 0; r < 8; r++) c0[r] = c1[r] = ZERO();                                                \
        if (R == 8) { /* full blocks without the row test: faster (benchmarks/README.md) */                 \
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
        PANELS(block_##SUF, 8, 2 * W)                                                                      \
    }                                                                                                      \
    int gemm_packed_##SUF(long N, long K, long M, const T *A, long lda, const T *Bp, T *C, long ldc) {     \
        int level = isa();                                                                                 \
        if (level == 2)                                                                                    \
            gemm_##SUF##_avx512(N, K, M, A, lda, Bp, C, ldc);                                              \
        else if (level == 1)                                                                               \
            gemm_##SUF##_avx2(N, K, M, A, lda, Bp, C, ldc);                                                \
        return level > 0;                                                                                  \
    }

GEMM_AVX2(float, f32, __m256, 8, _mm256_load_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_setzero_ps,
          _mm256_storeu_ps)
GEMM_AVX2(double, f64, __m256d, 4, _mm256_load_pd, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_setzero_pd,
          _mm256_storeu_pd)
GEMM(float, f32, __m512, 16, __mmask16, _mm512_load_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_setzero_ps,
     _mm512_mask_storeu_ps)
GEMM(double, f64, __m512d, 8, __mmask8, _mm512_load_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_setzero_pd,
     _mm512_mask_storeu_pd)

#else
int gemm_packed_isa(long limit) { return 0; }
int gemm_packed_f32(long N, long K, long M, const float *A, long lda, const float *Bp, float *C, long ldc) {
    return 0;
}
int gemm_packed_f64(long N, long K, long M, const double *A, long lda, const double *Bp, double *C, long ldc) {
    return 0;
}
#endif
