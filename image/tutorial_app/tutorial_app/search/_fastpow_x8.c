/*
 * The nonce search's 8-lane kernel: eight consecutive nonces per step in
 * AVX2 registers, for CPUs with neither the SHA extensions nor AVX-512
 * (rotations are two shifts and an OR here, three-input logic two
 * instructions). Compiled with a function-level target, so the module
 * builds and loads on any x86-64; _fastpow.c calls it only when the CPU and
 * OS support AVX2. The kernel's body is _fastpow_lanes.h.
 */
#include "_fastpow_paths.h"

#ifdef FASTPOW_X86
#include <immintrin.h>

#define LANES 8
#define VEC __m256i
#define TARGET __attribute__((target("avx2")))
#define KERNEL fastpow_x8_scan_run
#define ADD _mm256_add_epi32
#define SET1(x) _mm256_set1_epi32((int)(x))
#define LOADU(p) _mm256_loadu_si256((const __m256i *)(p))
#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi32((x), (n)), _mm256_slli_epi32((x), 32 - (n)))
#define SHR _mm256_srli_epi32
#define XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256((a), (b)), (c))
#define CH(e, f, g) _mm256_xor_si256(_mm256_and_si256((e), _mm256_xor_si256((f), (g))), (g))
#define MAJ(a, b, c)                                                             \
    _mm256_or_si256(_mm256_and_si256((a), (b)),                                   \
                    _mm256_and_si256((c), _mm256_or_si256((a), (b))))
/* Lane choices are all-ones lanes of a vector. */
#define LANE_MASKS __m256i
#define MAKE_LANE_MASKS(takes) LOADU(takes)
#define SELECT(v, masks, x) _mm256_blendv_epi8((v), SET1(x), (masks))
#define PASSING(h0, mask0)                                                        \
    (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(                             \
        _mm256_cmpeq_epi32(_mm256_and_si256((h0), SET1(mask0)), _mm256_setzero_si256())))

#include "_fastpow_lanes.h"
#endif
