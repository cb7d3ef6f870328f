/*
 * The nonce search's two-chain SHA-NI path: two nonces side by side on the
 * x86 SHA extensions, as one instruction stream of two overlapping
 * dependency chains, so the rounds of one hide the latency of the other;
 * also the single SHA-NI compression the other paths use for run set-up
 * and digests. One unit, so the scan's loop inlines every helper.
 */
#include "_fastpow_paths.h"

#ifdef FASTPOW_X86
#include <string.h>

#include "_fastpow_shani.h"

/*
 * Compress two independent blocks (x with state sx, y with sy). Written as one
 * instruction stream so that the rounds of one hide the latency of the other.
 */
SHANI_INLINE void shani_compress2(shani_state *sx, shani_block x, shani_state *sy,
                                  shani_block y) {
    shani_state ax = *sx, ay = *sy;
    __m128i x0 = x.w[0], x1 = x.w[1], x2 = x.w[2], x3 = x.w[3];
    __m128i y0 = y.w[0], y1 = y.w[1], y2 = y.w[2], y3 = y.w[3];
    SHANI_4ROUNDS(ax, x0, 0);
    SHANI_4ROUNDS(ay, y0, 0);
    SHANI_4ROUNDS(ax, x1, 1);
    SHANI_4ROUNDS(ay, y1, 1);
    SHANI_4ROUNDS(ax, x2, 2);
    SHANI_4ROUNDS(ay, y2, 2);
    SHANI_4ROUNDS(ax, x3, 3);
    SHANI_4ROUNDS(ay, y3, 3);
    for (int i = 4; i < 16; i += 4) {
        SHANI_SCHEDULE(x0, x1, x2, x3);
        SHANI_SCHEDULE(y0, y1, y2, y3);
        SHANI_4ROUNDS(ax, x0, i);
        SHANI_4ROUNDS(ay, y0, i);
        SHANI_SCHEDULE(x1, x2, x3, x0);
        SHANI_SCHEDULE(y1, y2, y3, y0);
        SHANI_4ROUNDS(ax, x1, i + 1);
        SHANI_4ROUNDS(ay, y1, i + 1);
        SHANI_SCHEDULE(x2, x3, x0, x1);
        SHANI_SCHEDULE(y2, y3, y0, y1);
        SHANI_4ROUNDS(ax, x2, i + 2);
        SHANI_4ROUNDS(ay, y2, i + 2);
        SHANI_SCHEDULE(x3, x0, x1, x2);
        SHANI_SCHEDULE(y3, y0, y1, y2);
        SHANI_4ROUNDS(ax, x3, i + 3);
        SHANI_4ROUNDS(ay, y3, i + 3);
    }
    sx->abef = _mm_add_epi32(ax.abef, sx->abef);
    sx->cdgh = _mm_add_epi32(ax.cdgh, sx->cdgh);
    sy->abef = _mm_add_epi32(ay.abef, sy->abef);
    sy->cdgh = _mm_add_epi32(ay.cdgh, sy->cdgh);
}

SHANI_INLINE void shani_compress1(shani_state *s, shani_block x) {
    shani_state a = *s;
    __m128i x0 = x.w[0], x1 = x.w[1], x2 = x.w[2], x3 = x.w[3];
    SHANI_4ROUNDS(a, x0, 0);
    SHANI_4ROUNDS(a, x1, 1);
    SHANI_4ROUNDS(a, x2, 2);
    SHANI_4ROUNDS(a, x3, 3);
    for (int i = 4; i < 16; i += 4) {
        SHANI_SCHEDULE(x0, x1, x2, x3);
        SHANI_4ROUNDS(a, x0, i);
        SHANI_SCHEDULE(x1, x2, x3, x0);
        SHANI_4ROUNDS(a, x1, i + 1);
        SHANI_SCHEDULE(x2, x3, x0, x1);
        SHANI_4ROUNDS(a, x2, i + 2);
        SHANI_SCHEDULE(x3, x0, x1, x2);
        SHANI_4ROUNDS(a, x3, i + 3);
    }
    s->abef = _mm_add_epi32(a.abef, s->abef);
    s->cdgh = _mm_add_epi32(a.cdgh, s->cdgh);
}

/*
 * A block that is the same for every nonce of a run (the padding block after
 * the digits) has a fixed message schedule: W[t] + K[t] is computed once, in
 * the order the round instruction takes it, so hashing it costs only rounds.
 */
typedef struct {
    __m128i lo[16], hi[16]; /* W+K for rounds 4i, 4i+1 and for 4i+2, 4i+3 */
} shani_fixed;

SHANI static void shani_fix_block(shani_fixed *f, const uint8_t *p) {
    shani_block b = shani_load_block(p);
    __m128i w[16];
    for (int i = 0; i < 4; i++) w[i] = b.w[i];
    for (int i = 4; i < 16; i++)
        w[i] = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
                          _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
            w[i - 1]);
    for (int i = 0; i < 16; i++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(fastpow_K256 + 4 * i));
        f->lo[i] = _mm_add_epi32(w[i], k);
        f->hi[i] = _mm_shuffle_epi32(f->lo[i], 0x0E);
    }
}

/* Compress the fixed block into two states at once. */
SHANI_INLINE void shani_compress2_fixed(shani_state *sx, shani_state *sy, const shani_fixed *f) {
    shani_state ax = *sx, ay = *sy;
    for (int i = 0; i < 16; i++) {
        ax.cdgh = _mm_sha256rnds2_epu32(ax.cdgh, ax.abef, f->lo[i]);
        ay.cdgh = _mm_sha256rnds2_epu32(ay.cdgh, ay.abef, f->lo[i]);
        ax.abef = _mm_sha256rnds2_epu32(ax.abef, ax.cdgh, f->hi[i]);
        ay.abef = _mm_sha256rnds2_epu32(ay.abef, ay.cdgh, f->hi[i]);
    }
    sx->abef = _mm_add_epi32(ax.abef, sx->abef);
    sx->cdgh = _mm_add_epi32(ax.cdgh, sx->cdgh);
    sy->abef = _mm_add_epi32(ay.abef, sy->abef);
    sy->cdgh = _mm_add_epi32(ay.cdgh, sy->cdgh);
}

SHANI void fastpow_compress_shani(uint32_t state[8], const uint8_t block[64]) {
    shani_state s = shani_load(state);
    shani_compress1(&s, shani_load_block(block));
    shani_store(s, state);
}

SHANI_INLINE int shani_check(const fastpow_searcher *s, shani_state st) {
    if (shani_word0(st) & s->mask[0]) return 0;
    uint32_t h[8];
    shani_store(st, h);
    return fastpow_below_target(s, h);
}

SHANI int fastpow_scan_shani2(const fastpow_searcher *s, uint64_t first, uint64_t last,
                              uint64_t *found) {
    fastpow_run r;
    uint64_t n = first;
    for (;;) {
        fastpow_setup_run(s, n, last, &r);
        shani_state base = shani_load(r.base);
        shani_block trailer;
        shani_fixed fixed;
        if (r.trailer) {
            trailer = shani_load_block(r.trailer);
            shani_fix_block(&fixed, r.trailer);
        } else {
            /* Unused without a trailer; cleared so the compiler can see that. */
            memset(&trailer, 0, sizeof trailer);
            memset(&fixed, 0, sizeof fixed);
        }
        /* Two nonces per step: n and n + 1. */
        while (r.end - n >= 1) {
            shani_block bx = shani_load_block(r.vary);
            fastpow_increment(r.vary, r.last);
            shani_block by = shani_load_block(r.vary);
            shani_state x = base, y = base;
            shani_compress2(&x, bx, &y, by);
            if (r.trailer) shani_compress2_fixed(&x, &y, &fixed);
            if (shani_check(s, x)) {
                *found = n;
                return 1;
            }
            if (shani_check(s, y)) {
                *found = n + 1;
                return 1;
            }
            n += 1;
            if (n == r.end) goto run_done;
            n += 1;
            fastpow_increment(r.vary, r.last);
        }
        {
            /* One nonce left in the run. */
            shani_state x = base;
            shani_compress1(&x, shani_load_block(r.vary));
            if (r.trailer) shani_compress1(&x, trailer);
            if (shani_check(s, x)) {
                *found = n;
                return 1;
            }
        }
    run_done:
        if (n == last) return 0;
        n++;
    }
}
#endif
