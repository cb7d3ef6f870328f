/*
 * SHA-NI building blocks shared by the nonce search's two SHA-NI paths:
 * two chains and single compressions (_fastpow_shani2.c) and four
 * pipelined chains (_fastpow_shani4.c). Every function carries a target
 * attribute, so the files build without -march flags; callers check cpuid
 * first.
 */
#ifndef TUTORIAL_APP_FASTPOW_SHANI_H
#define TUTORIAL_APP_FASTPOW_SHANI_H

#include <immintrin.h>
#include <stdint.h>

#include "_fastpow_sha256.h"

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))
#define SHANI_INLINE static inline __attribute__((always_inline, target("sha,sse4.1,ssse3")))

/*
 * The SHA instructions keep the state as two registers, ABEF and CDGH
 * (lane 3 first). Searches keep it that way between the two compressions
 * of a nonce and convert only when a full digest is needed.
 */
typedef struct {
    __m128i abef, cdgh;
} shani_state;

SHANI_INLINE shani_state shani_load(const uint32_t h[8]) {
    __m128i abcd = _mm_loadu_si128((const __m128i *)h);       /* lanes A B C D */
    __m128i efgh = _mm_loadu_si128((const __m128i *)(h + 4)); /* lanes E F G H */
    abcd = _mm_shuffle_epi32(abcd, 0xB1);                     /* B A D C */
    efgh = _mm_shuffle_epi32(efgh, 0x1B);                     /* H G F E */
    shani_state s;
    s.abef = _mm_alignr_epi8(abcd, efgh, 8);     /* F E B A */
    s.cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);  /* H G D C */
    return s;
}

SHANI_INLINE void shani_store(shani_state s, uint32_t h[8]) {
    __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B); /* A B E F */
    __m128i ghcd = _mm_shuffle_epi32(s.cdgh, 0xB1); /* G H C D */
    _mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, ghcd, 0xF0));    /* A B C D */
    _mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(ghcd, feba, 8)); /* E F G H */
}

/* The A word, which decides almost every comparison with the target. */
SHANI_INLINE uint32_t shani_word0(shani_state s) { return (uint32_t)_mm_extract_epi32(s.abef, 3); }

typedef struct {
    __m128i w[4];
} shani_block;

SHANI_INLINE shani_block shani_load_block(const uint8_t *p) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    shani_block b;
    for (int i = 0; i < 4; i++)
        b.w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
    return b;
}

/* Four rounds: message words m (already loaded), round constants K[4i..4i+3]. */
#define SHANI_4ROUNDS(s, m, i)                                                         \
    do {                                                                               \
        __m128i wk_ = _mm_add_epi32((m), _mm_loadu_si128((const __m128i *)(fastpow_K256 + 4 * (i)))); \
        (s).cdgh = _mm_sha256rnds2_epu32((s).cdgh, (s).abef, wk_);                    \
        wk_ = _mm_shuffle_epi32(wk_, 0x0E);                                            \
        (s).abef = _mm_sha256rnds2_epu32((s).abef, (s).cdgh, wk_);                    \
    } while (0)

/* W[4i..4i+3] from the four previous groups (FIPS 180-4, 6.2.2 step 1). */
#define SHANI_SCHEDULE(m0, m1, m2, m3)                                                 \
    (m0) = _mm_sha256msg2_epu32(                                                       \
        _mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

#endif
