/*
 * The body of a multi-lane kernel of the nonce search: LANES consecutive
 * nonces hashed at once, one per 32-bit lane of a vector register (FIPS
 * 180-4 SHA-256, written out per lane). Included by _fastpow_x16.c
 * (AVX-512) and _fastpow_x8.c (AVX2), which first define:
 *
 *   LANES, VEC, TARGET (a function attribute), KERNEL (the entry point's
 *   name), ADD, SET1, LOADU, ROR, SHR, XOR3, CH, MAJ, and
 *   LANE_MASKS (a table of which lanes take each tens), SELECT(v, masks, x),
 *   PASSING(h0, mask0) (a bitmask of the lanes whose first word is clear).
 *
 * Work that does not depend on the nonce is done once per run (see
 * fastpow_run): the rounds before the first changing word (in steps of 8)
 * and the whole schedule of a trailing padding block; a step's lanes are
 * made from the run's digits with a few vector instructions. The rest is
 * straight-line code without branches on which words vary: that measured
 * faster than skipping the fixed terms behind a branch each.
 */
#include <string.h>

#include "_fastpow_run.h"

#define TENS ((9 + LANES - 1) / 10 + 1) /* tens a step spans */
#define BIG_S0(x) XOR3(ROR((x), 2), ROR((x), 13), ROR((x), 22))
#define BIG_S1(x) XOR3(ROR((x), 6), ROR((x), 11), ROR((x), 25))
#define SMALL_S0(x) XOR3(ROR((x), 7), ROR((x), 18), SHR((x), 3))
#define SMALL_S1(x) XOR3(ROR((x), 17), ROR((x), 19), SHR((x), 10))

/* One scalar round, for the rounds that are the same in every lane. */
static void scalar_round(uint32_t v[8], uint32_t wk) {
    uint32_t a = v[0], b = v[1], c = v[2], e = v[4], f = v[5], g = v[6];
    uint32_t t1 = v[7] + (fastpow_rotr(e, 6) ^ fastpow_rotr(e, 11) ^ fastpow_rotr(e, 25)) +
                  ((e & f) ^ (~e & g)) + wk;
    uint32_t t2 = (fastpow_rotr(a, 2) ^ fastpow_rotr(a, 13) ^ fastpow_rotr(a, 22)) +
                  ((a & b) ^ (a & c) ^ (b & c));
    memmove(v + 1, v, 7 * sizeof v[0]);
    v[4] += t1;
    v[0] = t1 + t2;
}

/* The full schedule of a block that is the same for every nonce, plus K. */
static void fixed_schedule(const uint8_t *block, uint32_t wk[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) w[t] = fastpow_load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++)
        w[t] = fastpow_sigma1(w[t - 2]) + w[t - 7] + fastpow_sigma0(w[t - 15]) + w[t - 16];
    for (int t = 0; t < 64; t++) wk[t] = w[t] + fastpow_K256[t];
}

typedef struct {
    VEC fixed[16];        /* the block's words, the same in every lane */
    uint32_t start[8];    /* the state after the rounds before `skip` */
    int skip;             /* rounds done once per run: a multiple of 8 */
    uint32_t trailer[64]; /* W + K of the trailing block, when there is one */
    /* Lane i holds nonce n + i. With n's last digit d0, its tens are those
     * of n, plus ten times k = (d0 + i) / 10. */
    LANE_MASKS tens_mask[10][TENS]; /* [d0][k]: the lanes with that k */
    VEC last_digit[10];             /* [d0]: each lane's last digit, in place */
} plan_t;

TARGET static void plan_run(plan_t *p, const fastpow_run *r) {
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
    for (int d0 = 0; d0 < 10; d0++) {
        uint32_t digits[LANES], takes[TENS][LANES];
        memset(takes, 0, sizeof takes);
        for (int i = 0; i < LANES; i++) {
            takes[(d0 + i) / 10][i] = 0xffffffffu;
            digits[i] = (uint32_t)((d0 + i) % 10) << shift;
        }
        for (int k = 0; k < TENS; k++) p->tens_mask[d0][k] = MAKE_LANE_MASKS(takes[k]);
        p->last_digit[d0] = LOADU(digits);
    }
}

/* Round t: slot j of v holds word (j + t) mod 8 of the state before it. */
#define ROUND(v, t, WK_EXPR)                                                          \
    do {                                                                              \
        VEC *A_ = &v[(8 - (t)) & 7], *B_ = &v[(9 - (t)) & 7];                         \
        VEC *C_ = &v[(10 - (t)) & 7], *D_ = &v[(11 - (t)) & 7];                       \
        VEC *E_ = &v[(12 - (t)) & 7], *F_ = &v[(13 - (t)) & 7];                       \
        VEC *G_ = &v[(14 - (t)) & 7], *H_ = &v[(15 - (t)) & 7];                       \
        VEC t1 = ADD(ADD(*H_, BIG_S1(*E_)), ADD(CH(*E_, *F_, *G_), (WK_EXPR)));       \
        VEC t2 = ADD(BIG_S0(*A_), MAJ(*A_, *B_, *C_));                                \
        *D_ = ADD(*D_, t1);                                                           \
        *H_ = ADD(t1, t2);                                                            \
    } while (0)

/* The first digest word of LANES nonces, lane i = nonce n + i. */
static inline __attribute__((always_inline)) TARGET VEC hash_lanes(const plan_t *p,
                                                                   const fastpow_run *r,
                                                                   const VEC lanes[2]) {
    VEC w[64], v[8];
    _Pragma("GCC unroll 16") for (int t = 0; t < 16; t++) w[t] = p->fixed[t];
    for (int j = 0; j <= r->whi - r->wlo; j++) w[r->wlo + j] = lanes[j];
    for (int i = 0; i < 8; i++) v[i] = SET1(p->start[i]);
    _Pragma("GCC unroll 64") for (int t = 0; t < 64; t++) {
        if (t >= 16)
            w[t] = ADD(ADD(SMALL_S1(w[t - 2]), w[t - 7]), ADD(SMALL_S0(w[t - 15]), w[t - 16]));
        if (t < p->skip) continue;
        ROUND(v, t, ADD(w[t], SET1(fastpow_K256[t])));
    }
    if (!r->trailer) return ADD(v[0], SET1(r->base[0]));
    for (int i = 0; i < 8; i++) v[i] = ADD(v[i], SET1(r->base[i]));
    VEC s0v = v[0];
    _Pragma("GCC unroll 64") for (int t = 0; t < 64; t++) ROUND(v, t, SET1(p->trailer[t]));
    return ADD(v[0], s0v);
}

TARGET int KERNEL(fastpow_run *r, uint64_t n, const uint32_t mask0, fastpow_check_fn check,
                  const void *searcher, uint64_t *found) {
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
        VEC lanes[2];
        for (int j = 0; j < words; j++) {
            VEC v = SET1(tens[0][j]);
            for (int k = 1; k < TENS; k++) v = SELECT(v, p.tens_mask[d0][k], tens[k][j]);
            lanes[j] = j == words - 1 ? ADD(v, p.last_digit[d0]) : v;
        }
        uint64_t left = r->end - n; /* nonces after n in this run */
        int count = left >= LANES - 1 ? LANES : (int)left + 1;
        unsigned live = count == 32 ? 0xffffffffu : (1u << count) - 1;
        unsigned pass = PASSING(hash_lanes(&p, r, lanes), mask0) & live;
        while (pass) {
            uint64_t nonce = n + (uint64_t)__builtin_ctz(pass);
            if (check(searcher, nonce)) {
                *found = nonce;
                return 1;
            }
            pass &= pass - 1;
        }
        if (count < LANES || left == LANES - 1) return 0;
        n += LANES;
        memcpy(tens[0], tens[(d0 + LANES) / 10], sizeof tens[0]);
        d0 = (d0 + LANES) % 10;
    }
}
