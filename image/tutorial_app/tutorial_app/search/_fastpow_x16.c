/*
 * The nonce search's 16-lane kernel: sixteen consecutive nonces per step in
 * AVX-512 registers (rotations and three-input logic in one instruction
 * each). Compiled with a function-level target, so the module builds and
 * loads on any x86-64; _fastpow.c calls it only when the CPU and OS support
 * AVX-512F. The kernel's body is _fastpow_lanes.h.
 */
#include "_fastpow_paths.h"

#ifdef FASTPOW_X86
#include <immintrin.h>

#define LANES 16
#define VEC __m512i
#define TARGET __attribute__((target("avx512f")))
#define KERNEL fastpow_x16_scan_run
#define ADD _mm512_add_epi32
#define SET1(x) _mm512_set1_epi32((int)(x))
#define LOADU(p) _mm512_loadu_si512((const void *)(p))
#define ROR _mm512_ror_epi32
#define SHR _mm512_srli_epi32
#define XOR3(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi32((e), (f), (g), 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0xE8)
/* Lane choices are mask registers. */
#define LANE_MASKS __mmask16
#define MAKE_LANE_MASKS(takes) _mm512_cmpneq_epi32_mask(LOADU(takes), _mm512_setzero_si512())
#define SELECT(v, masks, x) _mm512_mask_set1_epi32((v), (masks), (int)(x))
#define PASSING(h0, mask0) (unsigned)_mm512_testn_epi32_mask((h0), SET1(mask0))

#include "_fastpow_lanes.h"
#endif
