/* Fused LSTM and GRU gate arithmetic for one time step, float32 and float64: the arithmetic of the
   kernels' forward_step and backward_step (rnnlab/cells/lstm.py and gru.py, the derivations and the
   NumPy references these are tested against) in one pass. Plain C with no Python API, loaded with ctypes
   (native.py). All arrays row-major, strides in elements.

   forward   a = xp + hp, xp and hp (N, 4, J) with strides (row, gate, column): hp arrives transposed
             i = sigma(a_i)  f = sigma(a_f)  g = tanh(a_g)  o = sigma(a_o)
             c = f c_prev + i g    tc = tanh(c)    h = o tc
             -> act (4, N, J) = i, f, g, o with strides (ag, sr, 1);  c, tc, h (N, J) with strides (sr, 1),
             c_prev too. J is H, or the block of hidden units one thread owns (split.py).
   backward  for units j < J of (N, H) arrays with row stride H (for a block of units, pointers offset
             to it), act (4, N, H) with gate stride ag, da (N, 4H), and
             dh = dy + sum of nq arrays dq apart with strides (dr, dk)   (dy may be NULL: 0)
             dc = dc_next + dh o (1 - tc^2)
             da = [dc g i(1-i) | dc c_prev f(1-f) | dc i (1-g^2) | dh tc o(1-o)]  (N, 4H)
             dc_prev = dc f                                                        (N, H)
             and, unless dac is NULL, the block's da compacted into dac (N, 4J)

   GRU forward   r = sigma(xr + hr)  z = sigma(xz + hz)  n = tanh(xn + r hn)  h = (h_prev - n) z + n,
                 xp, hp (N, 3, J) = [xr | xz | xn], [hr | hz | hn] with strides (row, gate, column)
                 -> act (3, N, J) = r, z, n with strides (ag, sr, 1);  hn, h (N, J) with strides (sr, 1),
                 h_prev too
       backward  for units j < J as the LSTM's, dh = dy + dd + sum of nq arrays (dy, dd may be NULL)
                 dan = dh (1 - z)(1 - n^2)
                 dxp = [dan hn r(1-r) | dh (h_prev - n) z(1-z) | dan]     (N, 3H)
                 dhp = dxp with its last block times r                   (N, 3H)
                 dh_prev (direct path) = dh z                             (N, H)
                 and, unless dhpc is NULL, the block's dhp compacted into dhpc (N, 3J)

   Each function is compiled for AVX-512, AVX2 and plain x86-64 (target_clones: the dynamic linker
   picks the one for the CPU), and exp and tanh vectorise through glibc's SIMD variants (libmvec,
   glibc >= 2.35 for tanh), declared below as glibc's math.h does under -ffast-math, so that no other
   fast-math liberty is taken. */
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define SIMD_DECL __attribute__((__simd__("notinbranch")))
SIMD_DECL float expf(float);
SIMD_DECL float tanhf(float);
SIMD_DECL double exp(double);
SIMD_DECL double tanh(double);
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#define KERNELS(T, SUF, EXP, TANH)                                                                        \
    CLONES void lstm_forward_##SUF(long N, long J, const T *xp, long xr, long xg, long xc, const T *hp,     \
                                   long hr, long hg, long hc, const T *c_prev, long sr, T *act, long ag,  \
                                   T *c, T *tc, T *h) {                                                   \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *x = xp + n * xr, *p = hp + n * hr, *cp = c_prev + n * sr;                           \
            T *ai = act + n * sr, *af = ai + ag, *ag_ = af + ag, *ao = ag_ + ag;                          \
            T *cn = c + n * sr, *tn = tc + n * sr, *hn = h + n * sr;                                     \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < J; j++) {                                                                \
                T i = 1 / (1 + EXP(-(x[j * xc] + p[j * hc])));                                            \
                T f = 1 / (1 + EXP(-(x[xg + j * xc] + p[hg + j * hc])));                                  \
                T g = TANH(x[2 * xg + j * xc] + p[2 * hg + j * hc]);                                      \
                T o = 1 / (1 + EXP(-(x[3 * xg + j * xc] + p[3 * hg + j * hc])));                          \
                T cc = f * cp[j] + i * g, t = TANH(cc);                                                   \
                ai[j] = i; af[j] = f; ag_[j] = g; ao[j] = o;                                              \
                cn[j] = cc; tn[j] = t; hn[j] = o * t;                                                     \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    CLONES void lstm_backward_##SUF(long N, long J, long H, const T *act, long ag, const T *tc,           \
                                    const T *c_prev, const T *dh, long dr, long dk, long nq, long dq,     \
                                    const T *dy, const T *dc_next, T *da, T *dc_prev, T *dac) {           \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *ai = act + n * H, *af = ai + ag, *ag_ = af + ag, *ao = ag_ + ag, *dhn = dh + n * dr; \
            const long r = n * H;                                                                         \
            T *d = da + 4 * r;                                                                            \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < J; j++) {                                                                \
                T h = dy ? dy[r + j] : 0;                                                                 \
                for (long q = 0; q < nq; q++) h += dhn[q * dq + j * dk];                                  \
                T i = ai[j], f = af[j], g = ag_[j], o = ao[j], t = tc[r + j];                             \
                T dc = dc_next[r + j] + h * o * (1 - t * t);                                              \
                d[j] = dc * g * i * (1 - i);                                                              \
                d[H + j] = dc * c_prev[r + j] * f * (1 - f);                                              \
                d[2 * H + j] = dc * i * (1 - g * g);                                                      \
                d[3 * H + j] = h * t * o * (1 - o);                                                       \
                dc_prev[r + j] = dc * f;                                                                  \
            }                                                                                             \
            if (dac)                                                                                      \
                for (long q = 0; q < 4; q++) memcpy(dac + (4 * n + q) * J, d + q * H, J * sizeof(T));     \
        }                                                                                                 \
    }

#define GRU_KERNELS(T, SUF, EXP, TANH)                                                                    \
    CLONES void gru_forward_##SUF(long N, long J, const T *xp, long xr, long xg, long xc, const T *hp,      \
                                  long hr, long hg, long hc, const T *h_prev, long sr, T *act, long ag,   \
                                  T *hn, T *h) {                                                          \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *x = xp + n * xr, *p = hp + n * hr;                                                   \
            T *ar = act + n * sr, *az = ar + ag, *an = az + ag;                                           \
            const long q = n * sr;                                                                        \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < J; j++) {                                                                \
                T r = 1 / (1 + EXP(-(x[j * xc] + p[j * hc])));                                            \
                T z = 1 / (1 + EXP(-(x[xg + j * xc] + p[hg + j * hc])));                                  \
                T m = p[2 * hg + j * hc];                                                                 \
                T g = TANH(x[2 * xg + j * xc] + r * m);                                                   \
                ar[j] = r; az[j] = z; an[j] = g; hn[q + j] = m;                                           \
                h[q + j] = (h_prev[q + j] - g) * z + g;                                                   \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    CLONES void gru_backward_##SUF(long N, long J, long H, const T *act, long ag, const T *hn,            \
                                   const T *h_prev, const T *dh, long dr, long dk, long nq, long dq,      \
                                   const T *dy, const T *dd, T *dxp, T *dhp, T *dh_prev, T *dhpc) {       \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *ar = act + n * H, *az = ar + ag, *an = az + ag, *dhn = dh + n * dr;                  \
            const long q = n * H;                                                                         \
            T *dx = dxp + 3 * q, *dp = dhp + 3 * q;                                                       \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < J; j++) {                                                                \
                T d = (dy ? dy[q + j] : 0) + (dd ? dd[q + j] : 0);                                        \
                for (long s = 0; s < nq; s++) d += dhn[s * dq + j * dk];                                  \
                T r = ar[j], z = az[j], g = an[j];                                                        \
                T dan = d * (1 - z) * (1 - g * g);                                                        \
                T dr_ = dan * hn[q + j] * r * (1 - r), dz = d * (h_prev[q + j] - g) * z * (1 - z);        \
                dx[j] = dr_; dx[H + j] = dz; dx[2 * H + j] = dan;                                         \
                dp[j] = dr_; dp[H + j] = dz; dp[2 * H + j] = dan * r;                                     \
                dh_prev[q + j] = d * z;                                                                   \
            }                                                                                             \
            if (dhpc)                                                                                     \
                for (long s = 0; s < 3; s++) memcpy(dhpc + (3 * n + s) * J, dp + s * H, J * sizeof(T));   \
        }                                                                                                 \
    }

/* Elman RNN, for a block of J units (split.py only: with one thread NumPy's tanh is as fast):
   forward   h = act(xp + hp), xp and hp (N, J) with strides (row, column), act tanh or (relu) max(., 0)
             -> h and cand (N, J) with row stride sr (the state sequence and the workspace's copy)
   backward  dh = dy + sum of nq arrays dq apart with strides (dr, dk), as the LSTM's (dy may be NULL)
             da = dh (1 - h^2), or dh [h > 0] (relu)   h, da (N, J) with row stride H
             and, unless dac is NULL, da compacted into dac (N, J) */
#define RNN_KERNELS(T, SUF, TANH)                                                                         \
    CLONES void rnn_forward_##SUF(long N, long J, const T *xp, long xr, long xc, const T *hp, long hr,     \
                                  long hc, T *h, long sr, T *cand, long relu) {                           \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *x = xp + n * xr, *p = hp + n * hr;                                                   \
            T *hn = h + n * sr, *cn = cand + n * sr;                                                      \
            if (relu) {                                                                                   \
                _Pragma("omp simd")                                                                       \
                for (long j = 0; j < J; j++) {                                                            \
                    T a = x[j * xc] + p[j * hc];                                                          \
                    hn[j] = cn[j] = a > 0 ? a : 0;                                                        \
                }                                                                                         \
            } else {                                                                                      \
                _Pragma("omp simd")                                                                       \
                for (long j = 0; j < J; j++) hn[j] = cn[j] = TANH(x[j * xc] + p[j * hc]);                 \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    CLONES void rnn_backward_##SUF(long N, long J, long H, const T *h, const T *dh, long dr, long dk,      \
                                   long nq, long dq, const T *dy, T *da, T *dac, long relu) {             \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *hn = h + n * H, *dhn = dh + n * dr;                                                  \
            const long r = n * H;                                                                         \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < J; j++) {                                                                \
                T d = dy ? dy[r + j] : 0;                                                                 \
                for (long q = 0; q < nq; q++) d += dhn[q * dq + j * dk];                                  \
                T y = hn[j];                                                                              \
                da[r + j] = relu ? (y > 0 ? d : 0) : d * (1 - y * y);                                     \
            }                                                                                             \
            if (dac) memcpy(dac + n * J, da + r, J * sizeof(T));                                          \
        }                                                                                                 \
    }

KERNELS(float, f32, expf, tanhf)
KERNELS(double, f64, exp, tanh)
GRU_KERNELS(float, f32, expf, tanhf)
GRU_KERNELS(double, f64, exp, tanh)
RNN_KERNELS(float, f32, tanhf)
RNN_KERNELS(double, f64, tanh)

/* Wait until *counter reaches target, after adding 1 to it: the per-step barrier of the threads that
   share a time loop (split.py). Spins, yielding now and then; returns early if *abort is set. */
void spin_barrier(long *counter, long target, const long *abort) {
    __atomic_add_fetch(counter, 1, __ATOMIC_ACQ_REL);
    for (long spins = 0; __atomic_load_n(counter, __ATOMIC_ACQUIRE) < target;) {
        if (__atomic_load_n(abort, __ATOMIC_RELAXED)) return;
        if (++spins == 1000) {
            sched_yield();
            spins = 0;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}
