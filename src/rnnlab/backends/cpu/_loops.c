/* One thread's share of a split time loop (split.py), all T steps in one call: the packed product
   (_gemm.c), the gate kernel of its block of units (_gates.c) and the barrier, every step, with no
   Python in between (per step, the Python loop cost each thread ~3 ctypes calls and a turn at the
   GIL). Without the compiled product (no AVX2) split.py does not split, and these are not called.

   Thread b owns units j0 .. j0+J-1 of H; kind 0 LSTM, 1 GRU, 2 Elman RNN (relu: max(., 0), else
   tanh). Pointers are to the whole arrays, strides in elements; "step" strides may be 0 (one slice
   reused) or negative (the reverse direction's flipped view of XP).

   forward, t = 0..T-1:
       hp = S0[t] W_b^T                    (N, G J), W_b^T packed in Bp;  GRU: hp[:, 2J:] += b_hn[j0:]
       gates of the block                  from XP[t] and hp, into act[t], aux[t], S[t+1] (LSTM c into S1)
       barrier (target B (t+1))
   backward, k = T-1..0 (i = T-1-k):
       gates backward of the block         dh = dY[k] + sum over threads q of P[(k+1) % 2][q]; writes
                                           DXP[k] (GRU also DHP[k]), the carried term carry[(i+1) % 2],
                                           and its block of the hidden pre-activations' gradient, dhpc
       P[k % 2][b] = dhpc W_b              (N, H), W_b packed in Bp
       barrier
   Both return early, between steps, once *abort is set (another thread failed). */
#include <stddef.h>

void spin_barrier(long *counter, long target, const long *abort);

#define DECLARE(T, SUF)                                                                                    \
    int gemm_packed_##SUF(long, long, long, const T *, long, const T *, T *, long);                         \
    void lstm_forward_##SUF(long, long, const T *, long, long, long, const T *, long, long, long, const T *, \
                            long, T *, long, T *, T *, T *);                                               \
    void gru_forward_##SUF(long, long, const T *, long, long, long, const T *, long, long, long, const T *,  \
                           long, T *, long, T *, T *);                                                     \
    void rnn_forward_##SUF(long, long, const T *, long, long, const T *, long, long, T *, long, T *, long);  \
    void lstm_backward_##SUF(long, long, long, const T *, long, const T *, const T *, const T *, long, long, \
                             long, long, const T *, const T *, T *, T *, T *);                             \
    void gru_backward_##SUF(long, long, long, const T *, long, const T *, const T *, const T *, long, long,  \
                            long, long, const T *, const T *, T *, T *, T *, T *);                         \
    void rnn_backward_##SUF(long, long, long, const T *, const T *, long, long, long, long, const T *, T *,  \
                            T *, long);

#define LOOPS(T, SUF)                                                                                      \
    DECLARE(T, SUF)                                                                                        \
    void split_forward_##SUF(long kind, long relu, long T_, long N, long J, long H, long G, long j0,        \
                             const T *Bp, T *hp, T *S0, T *S1, long ss, const T *XP, long xs, const T *bn,  \
                             T *act, long as_, T *aux, long xs_, long *counter, long B, const long *abort) { \
        const long GJ = G * J, GH = G * H;                                                                 \
        for (long t = 0; t < T_; t++) {                                                                    \
            gemm_packed_##SUF(N, H, GJ, S0 + t * ss, H, Bp, hp, GJ);                                       \
            const T *x = XP + t * xs + j0;                                                                 \
            if (kind == 0) {                                                                               \
                lstm_forward_##SUF(N, J, x, GH, H, 1, hp, GJ, J, 1, S1 + t * ss + j0, H, act + t * as_ + j0, \
                                   N * H, S1 + (t + 1) * ss + j0, aux + t * xs_ + j0, S0 + (t + 1) * ss + j0); \
            } else if (kind == 1) {                                                                        \
                if (bn)                                                                                    \
                    for (long n = 0; n < N; n++)                                                           \
                        for (long j = 0; j < J; j++) hp[n * GJ + 2 * J + j] += bn[j0 + j];                 \
                gru_forward_##SUF(N, J, x, GH, H, 1, hp, GJ, J, 1, S0 + t * ss + j0, H, act + t * as_ + j0, \
                                  N * H, aux + t * xs_ + j0, S0 + (t + 1) * ss + j0);                      \
            } else {                                                                                       \
                rnn_forward_##SUF(N, J, x, H, 1, hp, J, 1, S0 + (t + 1) * ss + j0, H, aux + t * xs_ + j0,   \
                                  relu);                                                                   \
            }                                                                                              \
            spin_barrier(counter, B * (t + 1), abort);                                                     \
            if (__atomic_load_n(abort, __ATOMIC_RELAXED)) return;                                          \
        }                                                                                                  \
    }                                                                                                      \
    void split_backward_##SUF(long kind, long relu, long T_, long N, long J, long H, long G, long j0,       \
                              long b, const T *Bp, T *dhpc, const T *act, long as_, const T *aux, long xs, \
                              const T *prev, long ss, T *P, const T *dY, T *DXP, T *DHP, long ds,           \
                              T *carry0, T *carry1, long *counter, long B, const long *abort) {             \
        const long GJ = G * J, NH = N * H;                                                                 \
        T *carry[2] = {carry0, carry1};                                                                    \
        for (long i = 0; i < T_; i++) {                                                                    \
            const long k = T_ - 1 - i;                                                                     \
            const T *a = act + k * as_ + j0, *x = aux + k * xs + j0, *s = prev + k * ss + j0;               \
            const T *p = P + ((k + 1) % 2) * B * NH + j0, *dy = dY ? dY + k * NH + j0 : NULL;              \
            T *cin = carry[i % 2] + j0, *cout = carry[(i + 1) % 2] + j0;                                   \
            if (kind == 0)                                                                                 \
                lstm_backward_##SUF(N, J, H, a, NH, x, s, p, H, 1, B, NH, dy, cin, DXP + k * ds + j0, cout,  \
                                    dhpc);                                                                 \
            else if (kind == 1)                                                                            \
                gru_backward_##SUF(N, J, H, a, NH, x, s, p, H, 1, B, NH, dy, cin, DXP + k * ds + j0,         \
                                   DHP + k * ds + j0, cout, dhpc);                                         \
            else                                                                                           \
                rnn_backward_##SUF(N, J, H, x, p, H, 1, B, NH, dy, DXP + k * ds + j0, dhpc, relu);         \
            gemm_packed_##SUF(N, GJ, H, dhpc, GJ, Bp, P + ((k % 2) * B + b) * NH, H);                      \
            spin_barrier(counter, B * (i + 1), abort);                                                     \
            if (__atomic_load_n(abort, __ATOMIC_RELAXED)) return;                                          \
        }                                                                                                  \
    }

LOOPS(float, f32)
LOOPS(double, f64)
