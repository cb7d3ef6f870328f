/*
 * The nonce search's 16-lane kernel: sixteen consecutive nonces hashed at
 * once, one per 32-bit lane of AVX-512 registers (FIPS 180-4 SHA-256,
 * written out per lane). Compiled with a function-level target, so the
 * module builds and loads on any x86-64; _fastpow.c calls it only when the
 * CPU and OS support AVX-512F.
 *
 * Work that does not depend on the nonce is done once per run (see
 * fastpow_run): the rounds before the first changing word (in steps of 8)
 * and the whole schedule of a trailing padding block; a step's lanes are
 * made from the run's digits with a few vector instructions.
 */
#include "_fastpow.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>

#define X16 __attribute__((target("avx512f")))

#define ADD _mm512_add_epi32
#define SET1(x) _mm512_set1_epi32((int)(x))
#define ROR _mm512_ror_epi32
#define XOR3(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi32((e), (f), (g), 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0xE8)
#define BIG_S0(x) XOR3(ROR((x), 2), ROR((x), 13), ROR((x), 22))
#define BIG_S1(x) XOR3(ROR((x), 6), ROR((x), 11), ROR((x), 25))
#define SMALL_S0(x) XOR3(ROR((x), 7), ROR((x), 18), _mm512_srli_epi32((x), 3))
#define SMALL_S1(x) XOR3(ROR((x), 17), ROR((x), 19), _mm512_srli_epi32((x), 10))

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static inline uint32_t s0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
static inline uint32_t s1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

/* One scalar round, for the rounds that are the same in every lane. */
static void scalar_round(uint32_t v[8], uint32_t wk) {
    uint32_t a = v[0], b = v[1], c = v[2], e = v[4], f = v[5], g = v[6];
    uint32_t t1 = v[7] + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + wk;
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    memmove(v + 1, v, 7 * sizeof v[0]);
    v[4] += t1;
    v[0] = t1 + t2;
}

/* The full schedule of a block that is the same for every nonce, plus K. */
static void fixed_schedule(const uint8_t *block, uint32_t wk[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) w[t] = fastpow_load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) w[t] = s1(w[t - 2]) + w[t - 7] + s0(w[t - 15]) + w[t - 16];
    for (int t = 0; t < 64; t++) wk[t] = w[t] + fastpow_K256[t];
}

/* Nonces per step: GROUPS groups of 16 lanes. Two groups (one filling the
 * other's latency) measured no faster than one on Sapphire Rapids: the
 * rounds are throughput-bound, and the second group spills registers. */
#ifndef GROUPS
#define GROUPS 1
#endif
#define LANES (16 * GROUPS)
#define TENS ((9 + LANES - 1) / 10 + 1) /* tens a step spans */

typedef struct {
    __m512i fixed[16];           /* the block's words, the same in every lane */
    uint32_t start[8];           /* the state after the rounds before `skip` */
    int skip;                    /* rounds done once per run: a multiple of 8 */
    uint32_t trailer[64];        /* W + K of the trailing block, when there is one */
    /* Lane i of group g holds nonce n + 16 g + i. With n's last digit d0, its
     * tens are those of n, plus ten times k = (d0 + 16 g + i) / 10. */
    __mmask16 tens_mask[GROUPS][10][TENS]; /* [g][d0][k]: the lanes with that k */
    __m512i last_digit[GROUPS][10];         /* [g][d0]: each lane's last digit, in place */
} plan_t;

X16 static void plan_run(plan_t *p, const fastpow_run *r) {
    uint32_t wc[16];
    for (int t = 0; t < 16; t++) {
        wc[t] = fastpow_load_be32(r->vary + 4 * t);
        p->fixed[t] = SET1(wc[t]);
    }
    /* The unrolled rounds below keep a..h in fixed registers per 8 rounds. */
    p->skip = r->wlo & ~7;
    memcpy(p->start, r->base, sizeof p->start);
    for (int t = 0; t < p->skip; t++) scalar_round(p->start, wc[t] + fastpow_K256[t]);
    if (r->trailer) fixed_schedule(r->trailer, p->trailer);
    int shift = 8 * (3 - (r->last & 3));
    for (int g = 0; g < GROUPS; g++)
        for (int d0 = 0; d0 < 10; d0++) {
            uint32_t digits[16];
            memset(p->tens_mask[g][d0], 0, sizeof p->tens_mask[g][d0]);
            for (int i = 0; i < 16; i++) {
                int at = d0 + 16 * g + i;
                p->tens_mask[g][d0][at / 10] |= (__mmask16)(1u << i);
                digits[i] = (uint32_t)(at % 10) << shift;
            }
            p->last_digit[g][d0] = _mm512_loadu_si512((const void *)digits);
        }
}

/* Round t for every group; v[i][g] is word i of the state of group g. */
#define ROUND(v, t, WK_EXPR)                                                             \
    do {                                                                                 \
        _Pragma("GCC unroll 2") for (int g = 0; g < GROUPS; g++) {                      \
            __m512i *A_ = &v[(8 - (t)) & 7][g], *B_ = &v[(9 - (t)) & 7][g];              \
            __m512i *C_ = &v[(10 - (t)) & 7][g], *D_ = &v[(11 - (t)) & 7][g];            \
            __m512i *E_ = &v[(12 - (t)) & 7][g], *F_ = &v[(13 - (t)) & 7][g];            \
            __m512i *G_ = &v[(14 - (t)) & 7][g], *H_ = &v[(15 - (t)) & 7][g];            \
            __m512i t1 = ADD(ADD(*H_, BIG_S1(*E_)), ADD(CH(*E_, *F_, *G_), (WK_EXPR)));  \
            __m512i t2 = ADD(BIG_S0(*A_), MAJ(*A_, *B_, *C_));                           \
            *D_ = ADD(*D_, t1);                                                          \
            *H_ = ADD(t1, t2);                                                           \
        }                                                                                \
    } while (0)

/* The first digest word of LANES nonces, lane i of group g = nonce n + 16 g + i. */
static inline __attribute__((always_inline, target("avx512f"))) void hash_lanes(
    const plan_t *p, const fastpow_run *r, const __m512i lanes[2][GROUPS], __m512i out[GROUPS]) {
    /* The schedule is computed in full for every lane, without branches on
     * which words vary: that measured faster than skipping the fixed terms
     * behind a branch each (the branches break up the straight-line code). */
    __m512i w[64][GROUPS];
    __m512i v[8][GROUPS];
    _Pragma("GCC unroll 16") for (int t = 0; t < 16; t++)
        for (int g = 0; g < GROUPS; g++) w[t][g] = p->fixed[t];
    for (int j = 0; j <= r->whi - r->wlo; j++)
        for (int g = 0; g < GROUPS; g++) w[r->wlo + j][g] = lanes[j][g];
    for (int i = 0; i < 8; i++)
        for (int g = 0; g < GROUPS; g++) v[i][g] = SET1(p->start[i]);
    _Pragma("GCC unroll 64") for (int t = 0; t < 64; t++) {
        if (t >= 16)
            for (int g = 0; g < GROUPS; g++)
                w[t][g] = ADD(ADD(SMALL_S1(w[t - 2][g]), w[t - 7][g]),
                              ADD(SMALL_S0(w[t - 15][g]), w[t - 16][g]));
        if (t < p->skip) continue;
        ROUND(v, t, ADD(w[t][g], SET1(fastpow_K256[t])));
    }
    if (!r->trailer) {
        for (int g = 0; g < GROUPS; g++) out[g] = ADD(v[0][g], SET1(r->base[0]));
        return;
    }
    __m512i s0v[GROUPS];
    for (int i = 0; i < 8; i++)
        for (int g = 0; g < GROUPS; g++) v[i][g] = ADD(v[i][g], SET1(r->base[i]));
    for (int g = 0; g < GROUPS; g++) s0v[g] = v[0][g];
    _Pragma("GCC unroll 64") for (int t = 0; t < 64; t++) ROUND(v, t, SET1(p->trailer[t]));
    for (int g = 0; g < GROUPS; g++) out[g] = ADD(v[0][g], s0v[g]);
}

X16 int fastpow_x16_scan_run(fastpow_run *r, uint64_t n, const uint32_t mask0,
                             fastpow_check_fn check, const void *searcher, uint64_t *found) {
    plan_t p;
    plan_run(&p, r);
    /* The changing words of n rounded down to tens, and of the next tens,
     * as numbers: a step's lanes are made from them with a few vector
     * instructions. Tens past the run's digits come out wrong, but only
     * lanes past the run's end (not checked) use them. */
    int words = r->whi - r->wlo + 1;
    int shift = 8 * (3 - (r->last & 3));
    uint32_t tens[TENS][2] = {{0}};
    for (int j = 0; j < words; j++) tens[0][j] = fastpow_load_be32(r->vary + 4 * (r->wlo + j));
    int d0 = (int)((tens[0][words - 1] >> shift) & 0xff) - '0';
    tens[0][words - 1] -= (uint32_t)d0 << shift;
    for (;;) {
        for (int k = 1; k < TENS; k++) {
            tens[k][0] = tens[k - 1][0];
            tens[k][1] = tens[k - 1][1];
            for (int pos = r->last - 1; pos >= r->first; pos--) {
                uint32_t *word = &tens[k][pos / 4 - r->wlo];
                int at = 8 * (3 - (pos & 3));
                if (((*word >> at) & 0xff) != '9') {
                    *word += 1u << at;
                    break;
                }
                *word -= (uint32_t)('9' - '0') << at;
            }
        }
        __m512i lanes[2][GROUPS];
        for (int g = 0; g < GROUPS; g++)
            for (int j = 0; j < words; j++) {
                __m512i v = SET1(tens[0][j]);
                for (int k = 1; k < TENS; k++)
                    v = _mm512_mask_set1_epi32(v, p.tens_mask[g][d0][k], (int)tens[k][j]);
                lanes[j][g] = j == words - 1 ? ADD(v, p.last_digit[g][d0]) : v;
            }
        uint64_t left = r->end - n; /* nonces after n in this run */
        int count = left >= LANES - 1 ? LANES : (int)left + 1;
        __m512i h0[GROUPS];
        hash_lanes(&p, r, (const __m512i(*)[GROUPS])lanes, h0);
        for (int g = 0; g < GROUPS; g++) {
            int live_count = count - 16 * g;
            if (live_count <= 0) break;
            __mmask16 live = live_count >= 16 ? 0xFFFF : (__mmask16)((1u << live_count) - 1);
            __mmask16 pass = _mm512_mask_testn_epi32_mask(live, h0[g], SET1(mask0));
            while (pass) {
                uint64_t nonce = n + 16 * (uint64_t)g + (uint64_t)__builtin_ctz(pass);
                if (check(searcher, nonce)) {
                    *found = nonce;
                    return 1;
                }
                pass &= (__mmask16)(pass - 1);
            }
        }
        if (count < LANES || left == LANES - 1) return 0;
        n += LANES;
        memcpy(tens[0], tens[(d0 + LANES) / 10], sizeof tens[0]);
        d0 = (d0 + LANES) % 10;
    }
}
#endif
