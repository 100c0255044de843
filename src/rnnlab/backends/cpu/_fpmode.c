/* The floating-point mode of the calling thread, for ``rnnlab.backends.flush_subnormals``: on x86-64
   the MXCSR bits FTZ (15: a subnormal result is written as 0) and DAZ (6: a subnormal input is read as
   0). Intel cores compute with subnormals in microcode, many times slower; a tanh RNN's vanishing
   gradients fall into that range. The mode belongs to one thread. Plain C, loaded with ctypes
   (native.py).

   fp_flush_get()     1 when FTZ and DAZ are both set, 0 otherwise; -1 where there is no such mode
   fp_flush_set(on)   sets both (on != 0) or clears both; returns what fp_flush_get returned before */

#if defined(__x86_64__)
#include <xmmintrin.h>

#define FTZ_DAZ 0x8040u

long fp_flush_get(void) { return (_mm_getcsr() & FTZ_DAZ) == FTZ_DAZ; }

long fp_flush_set(long on) {
    unsigned csr = _mm_getcsr();
    long was = (csr & FTZ_DAZ) == FTZ_DAZ;
    _mm_setcsr(on ? (csr | FTZ_DAZ) : (csr & ~FTZ_DAZ));
    return was;
}
#else
long fp_flush_get(void) { return -1; }

long fp_flush_set(long on) {
    (void)on;
    return -1;
}
#endif
