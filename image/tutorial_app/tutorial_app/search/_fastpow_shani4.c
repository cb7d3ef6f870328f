/*
 * The nonce search's four-chain SHA-NI kernel: four consecutive nonces per
 * step, as four independent dependency chains of the SHA round instruction,
 * software-pipelined.
 *
 * One chain of `sha256rnds2` is latency-bound (each round waits for the
 * last), so a single stream uses a fraction of the SHA unit; four chains
 * fill it. Four chains do not fit the 16 registers the SHA instructions can
 * address if each also keeps its message schedule in registers, and a
 * schedule computed just before its rounds stalls the out-of-order window.
 * So the schedule of the NEXT step's four nonces is computed, one group of
 * four words per chain after each group of rounds, into memory (a double
 * buffer in L1) while this step's rounds read theirs from there: the rounds
 * hold only the four states (8 registers) and one W+K at a time.
 *
 * Work that does not depend on the nonce is done once per run (see
 * fastpow_run in _fastpow_run.h):
 *  - the rounds before the first group holding a nonce word;
 *  - W and W+K of every group of the schedule that no nonce word reaches
 *    (found word by word from the recurrence), in both buffers;
 *  - the whole W+K of a trailing padding block;
 * and per nonce only the changing words are written into the byte-swapped
 * block (as numbers, incremented in place: no reload, no byte swap); only
 * the first state word is compared with the target, and the full check
 * (fastpow_check, _fastpow_run.c) confirms a candidate.
 */
#include "_fastpow_paths.h"

#ifdef FASTPOW_X86
#include <string.h>

#include "_fastpow_shani.h"

#define CHAINS 4

typedef struct {
    __m128i w[2][CHAINS][16];  /* [buffer][chain][group]: message words, in register order */
    __m128i wk[2][CHAINS][16]; /* the same plus K: what the round instruction takes */
    __m128i trailer[16];       /* W + K of the trailing block, when there is one */
    shani_state base;          /* the state before the block (its feed-forward) */
    shani_state start;         /* the state after the rounds before group g0 */
    int g0;                    /* the first group with a nonce word */
    int jobs[16], njobs;       /* groups computed per step (nonce-dependent), in order */
} plan_t;

/* Word t of group g of a buffer, as a uint32 (memcpy: no aliasing games). */
static inline void put_word(__m128i *group, int t, uint32_t v) {
    memcpy((char *)group + 4 * (t & 3), &v, sizeof v);
}

SHANI static void plan_run(plan_t *p, const fastpow_run *r) {
    shani_block b = shani_load_block(r->vary);
    __m128i w[16];
    for (int g = 0; g < 4; g++) w[g] = b.w[g];
    for (int g = 4; g < 16; g++) {
        w[g] = w[g - 4];
        SHANI_SCHEDULE(w[g], w[g - 3], w[g - 2], w[g - 1]);
    }
    /* Which words of the schedule a nonce word reaches (FIPS 180-4, 6.2.2). */
    uint8_t dep[64] = {0};
    for (int t = r->wlo; t <= r->whi; t++) dep[t] = 1;
    for (int t = 16; t < 64; t++) dep[t] = dep[t - 2] | dep[t - 7] | dep[t - 15] | dep[t - 16];
    p->njobs = 0;
    for (int g = 0; g < 16; g++) {
        if (dep[4 * g] | dep[4 * g + 1] | dep[4 * g + 2] | dep[4 * g + 3]) p->jobs[p->njobs++] = g;
        __m128i wk = _mm_add_epi32(w[g], _mm_loadu_si128((const __m128i *)(fastpow_K256 + 4 * g)));
        for (int buf = 0; buf < 2; buf++)
            for (int c = 0; c < CHAINS; c++) {
                p->w[buf][c][g] = w[g];
                p->wk[buf][c][g] = wk;
            }
    }
    p->g0 = r->wlo / 4;
    p->base = shani_load(r->base);
    shani_state s = p->base;
    for (int g = 0; g < p->g0; g++) SHANI_4ROUNDS(s, w[g], g);
    p->start = s;
    if (r->trailer) {
        shani_block t = shani_load_block(r->trailer);
        __m128i tw[16];
        for (int g = 0; g < 4; g++) tw[g] = t.w[g];
        for (int g = 4; g < 16; g++) {
            tw[g] = tw[g - 4];
            SHANI_SCHEDULE(tw[g], tw[g - 3], tw[g - 2], tw[g - 1]);
        }
        for (int g = 0; g < 16; g++)
            p->trailer[g] =
                _mm_add_epi32(tw[g], _mm_loadu_si128((const __m128i *)(fastpow_K256 + 4 * g)));
    }
}

/* The changing words of one nonce (words wlo and, when whi > wlo, whi of the block). */
typedef struct {
    uint32_t v[2];
} nonce_words;

/* Adds one to the ASCII number held in bytes first..last of the words (no carry out). */
static inline void increment_words(nonce_words *nw, const fastpow_run *r) {
    for (int pos = r->last; pos >= r->first; pos--) {
        uint32_t *word = &nw->v[pos / 4 - r->wlo];
        int at = 8 * (3 - (pos & 3));
        if (((*word >> at) & 0xff) != '9') {
            *word += 1u << at;
            return;
        }
        *word -= (uint32_t)('9' - '0') << at;
    }
}

/*
 * One group of the next step's schedule, for every chain: a group holding
 * nonce words gets them written in; a later group is computed from the
 * four before it.
 */
SHANI_INLINE void do_job(plan_t *p, int buf, int g, const fastpow_run *r,
                         const nonce_words next[CHAINS]) {
    if (g < 4) {
        for (int c = 0; c < CHAINS; c++)
            for (int t = r->wlo; t <= r->whi; t++) {
                if (t / 4 != g) continue;
                uint32_t v = next[c].v[t - r->wlo];
                put_word(&p->w[buf][c][g], t, v);
                put_word(&p->wk[buf][c][g], t, v + fastpow_K256[t]);
            }
        return;
    }
    const __m128i k = _mm_loadu_si128((const __m128i *)(fastpow_K256 + 4 * g));
#pragma GCC unroll 4
    for (int c = 0; c < CHAINS; c++) {
        __m128i *w = p->w[buf][c];
        __m128i x = w[g - 4];
        SHANI_SCHEDULE(x, w[g - 3], w[g - 2], w[g - 1]);
        w[g] = x;
        p->wk[buf][c][g] = _mm_add_epi32(x, k);
    }
}

/* Two rounds at a time for every chain; the second pair's W+K is the upper half. */
#define ROUNDS4(s, wk_of)                                                                  \
    do {                                                                                   \
        _Pragma("GCC unroll 4") for (int c = 0; c < CHAINS; c++)(s)[c].cdgh =              \
            _mm_sha256rnds2_epu32((s)[c].cdgh, (s)[c].abef, _mm_load_si128(wk_of(c)));     \
        _Pragma("GCC unroll 4") for (int c = 0; c < CHAINS; c++)(s)[c].abef =              \
            _mm_sha256rnds2_epu32((s)[c].abef, (s)[c].cdgh,                                \
                                  _mm_loadl_epi64((const __m128i *)((const char *)wk_of(c) + 8))); \
    } while (0)

SHANI int fastpow_shani4_scan_run(fastpow_run *r, uint64_t n, const uint32_t mask0,
                                  fastpow_check_fn check, const void *searcher, uint64_t *found) {
    plan_t p;
    plan_run(&p, r);
    /* The nonce whose words come next, and those words; never past the run's end
     * (lanes past it repeat the last nonce and are not checked). */
    uint64_t cursor = n;
    nonce_words words = {{0, 0}};
    for (int t = r->wlo; t <= r->whi; t++) words.v[t - r->wlo] = fastpow_load_be32(r->vary + 4 * t);
    nonce_words next[CHAINS];
#define NEXT_WORDS()                                                                       \
    for (int c = 0; c < CHAINS; c++) {                                                     \
        next[c] = words;                                                                   \
        if (cursor < r->end) {                                                             \
            cursor++;                                                                      \
            increment_words(&words, r);                                                    \
        }                                                                                  \
    }
    NEXT_WORDS();
    int cur = 0;
    for (int j = 0; j < p.njobs; j++) do_job(&p, cur, p.jobs[j], r, next);
    NEXT_WORDS();
    for (;;) {
        int nxt = cur ^ 1, job = 0;
        shani_state s[CHAINS];
        for (int c = 0; c < CHAINS; c++) s[c] = p.start;
#define CUR_WK(c) (&p.wk[cur][(c)][g])
        for (int g = p.g0; g < 16; g++) {
            ROUNDS4(s, CUR_WK);
            if (job < p.njobs) do_job(&p, nxt, p.jobs[job++], r, next);
        }
        for (int c = 0; c < CHAINS; c++) {
            s[c].abef = _mm_add_epi32(s[c].abef, p.base.abef);
            s[c].cdgh = _mm_add_epi32(s[c].cdgh, p.base.cdgh);
        }
        if (r->trailer) {
            __m128i abef[CHAINS];
            for (int c = 0; c < CHAINS; c++) abef[c] = s[c].abef;
#define TRAILER_WK(c) (&p.trailer[g])
            for (int g = 0; g < 16; g++) {
                ROUNDS4(s, TRAILER_WK);
                if (job < p.njobs) do_job(&p, nxt, p.jobs[job++], r, next);
            }
            for (int c = 0; c < CHAINS; c++) s[c].abef = _mm_add_epi32(s[c].abef, abef[c]);
        }
        while (job < p.njobs) do_job(&p, nxt, p.jobs[job++], r, next);
        uint64_t left = r->end - n; /* nonces after n in this run */
        int count = left >= CHAINS - 1 ? CHAINS : (int)left + 1;
        for (int c = 0; c < count; c++) {
            if ((shani_word0(s[c]) & mask0) == 0 && check(searcher, n + (uint64_t)c)) {
                *found = n + (uint64_t)c;
                return 1;
            }
        }
        if (left <= CHAINS - 1) return 0;
        n += CHAINS;
        cur = nxt;
        NEXT_WORDS();
    }
#undef NEXT_WORDS
#undef CUR_WK
#undef TRAILER_WK
}
#endif
