/*
 * Native nonce search for the proof of work defined in pow.py:
 *
 *     hash = sha256(prefix || decimal(nonce)),  valid when hash < 2^(256 - difficulty)
 *
 * where prefix is the UTF-8 encoding of the input. Nothing here changes what a
 * result is; it only computes the same SHA-256 with less work per nonce:
 *
 *  - the prefix's full 64-byte blocks are hashed once (the "midstate");
 *  - per nonce only the tail (leftover prefix bytes, the digits, padding) is
 *    compressed; when the digits straddle two blocks, the first block holds
 *    only high digits that change rarely, so its output state is cached and
 *    most nonces cost one compression;
 *  - digits are incremented in place as ASCII, so no formatting per nonce;
 *  - the digest is compared with the target as 32-bit words, no hex;
 *  - a "run" of nonces changes only the digits in the last two words of the
 *    block holding the last digit, so most of the block is fixed per run;
 *  - five paths, each available where cpuid says so (the caller picks one,
 *    see tutorial_app.kernels): 16 nonces per step in AVX-512 registers
 *    (_fastpow_x16.c), four software-pipelined SHA-NI chains
 *    (_fastpow_shani4.c), two nonces side by side on the x86 SHA extensions
 *    (two overlapping dependency chains, here), 8 nonces per step in AVX2
 *    registers (_fastpow_x8.c), or portable C. The SHA-NI, AVX-512 and AVX2
 *    code carries function-level target attributes, so one build runs on
 *    any x86-64;
 *  - runs end at 2**64 - 1 without wrapping (nonces are uint64).
 *
 * SHA-256 follows FIPS 180-4; the SHA-NI path uses the Intel intrinsics.
 * Searches release the GIL; a Searcher is immutable after creation, so
 * several threads may scan with the same one at once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "_fastpow.h"

#if defined(__x86_64__) || defined(__i386__)
#define FASTPOW_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define MAX_DIGITS 20 /* digits of 2^64 - 1 */

/* FIPS 180-4, 4.2.2 */
const uint32_t fastpow_K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define K256 fastpow_K256

/* FIPS 180-4, 5.3.3 */
static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static const uint64_t POW10[MAX_DIGITS] = {1ULL,
                                           10ULL,
                                           100ULL,
                                           1000ULL,
                                           10000ULL,
                                           100000ULL,
                                           1000000ULL,
                                           10000000ULL,
                                           100000000ULL,
                                           1000000000ULL,
                                           10000000000ULL,
                                           100000000000ULL,
                                           1000000000000ULL,
                                           10000000000000ULL,
                                           100000000000000ULL,
                                           1000000000000000ULL,
                                           10000000000000000ULL,
                                           100000000000000000ULL,
                                           1000000000000000000ULL,
                                           10000000000000000000ULL};

#define load_be32 fastpow_load_be32
#define increment fastpow_increment

static inline void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* Portable SHA-256 compression (FIPS 180-4, 6.2.2)                    */
/* ------------------------------------------------------------------ */

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress_portable(uint32_t state[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                      K256[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

/* ------------------------------------------------------------------ */
/* SHA-NI compression                                                  */
/* ------------------------------------------------------------------ */

#ifdef FASTPOW_X86
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
        f->lo[i] = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)(K256 + 4 * i)));
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

SHANI static void compress_shani(uint32_t state[8], const uint8_t block[64]) {
    shani_state s = shani_load(state);
    shani_compress1(&s, shani_load_block(block));
    shani_store(s, state);
}

/* CPUID.(EAX=7,ECX=0):EBX bit 29 is SHA; the code also uses SSSE3 and SSE4.1. */
static int cpu_has_sha_ni(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#else
static int cpu_has_sha_ni(void) { return 0; }
#endif

/* AVX-512F / AVX2 in the CPU and enabled by the OS (libgcc checks XCR0). */
#ifdef FASTPOW_X86
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
static int cpu_has_avx512(void) { return 0; }
static int cpu_has_avx2(void) { return 0; }
#endif

static int have_sha_ni, have_avx512, have_avx2; /* set once at import */

typedef void (*compress_fn)(uint32_t state[8], const uint8_t block[64]);

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

enum {
    BACKEND_AUTO = 0,
    BACKEND_PORTABLE = 1,
    BACKEND_SHA_NI = 2,
    BACKEND_AVX512 = 3,
    BACKEND_AVX2 = 4,
    BACKEND_SHA_NI4 = 5
};

typedef struct {
    PyObject_HEAD
    uint32_t mid[8];     /* state after the prefix's full blocks */
    uint8_t rem[64];     /* the prefix bytes after them */
    size_t rem_len;      /* 0..63 */
    uint64_t prefix_len; /* bytes */
    int difficulty;
    uint32_t mask[8];    /* bits of each digest word that must be zero */
    int backend;         /* the path it runs: BACKEND_PORTABLE, _SHA_NI, _SHA_NI4, _AVX512, _AVX2 */
    int use_sha_ni;      /* single compressions (run set-up, digests) on SHA-NI */
} Searcher;

static int digits_of(uint64_t n) {
    int d = 1;
    while (d < MAX_DIGITS && n >= POW10[d]) d++;
    return d;
}

static void write_digits(uint8_t *p, uint64_t n, int d) {
    for (int i = d - 1; i >= 0; i--) {
        p[i] = (uint8_t)('0' + n % 10);
        n /= 10;
    }
}

static inline int below_target(const Searcher *s, const uint32_t h[8]) {
    for (int i = 0; i < 8; i++)
        if (h[i] & s->mask[i]) return 0;
    return 1;
}

typedef fastpow_run run_t;

/*
 * The run that starts at nonce n and ends at `last` at the latest: only the
 * low digits in the last two words of the block holding the last digit
 * change (at least 5 digits when there are that many in the block), so a
 * run is long enough to pay for its set-up and most of the block is fixed.
 */
static void setup_run(const Searcher *s, compress_fn compress, uint64_t n, uint64_t last,
                      run_t *r) {
    int d = digits_of(n);
    size_t tail = s->rem_len + (size_t)d;
    int blocks = tail + 9 <= 64 ? 1 : 2;
    memset(r->buf, 0, sizeof r->buf);
    memcpy(r->buf, s->rem, s->rem_len);
    write_digits(r->buf + s->rem_len, n, d);
    r->buf[tail] = 0x80;
    uint64_t bits = (s->prefix_len + (uint64_t)d) * 8;
    store_be32(r->buf + 64 * blocks - 8, (uint32_t)(bits >> 32));
    store_be32(r->buf + 64 * blocks - 4, (uint32_t)bits);
    memcpy(r->base, s->mid, sizeof r->base);

    int first; /* index in vary of the first digit of the nonce (may be before the block) */
    if (blocks == 2 && tail > 64) {
        /* The digits straddle the blocks: block 0 ends with high digits only. */
        compress(r->base, r->buf);
        r->vary = r->buf + 64;
        r->trailer = NULL;
        r->last = (int)(tail - 1 - 64);
        first = (int)s->rem_len - 64;
    } else {
        r->vary = r->buf;
        r->trailer = blocks == 2 ? r->buf + 64 : NULL;
        r->last = (int)(tail - 1);
        first = (int)s->rem_len;
    }
    r->whi = r->last / 4;
    int lowest = r->whi > 0 ? 4 * (r->whi - 1) : 0;
    r->first = first > lowest ? first : lowest;
    r->wlo = r->first / 4;
    int low = r->last - r->first + 1; /* how many low digits change within the run */

    /* The run ends before a digit above them changes (so never at a new digit
     * count); the sum is kept below 2**64, where the top span is cut short. */
    uint64_t end = last;
    if (low < MAX_DIGITS) {
        uint64_t span_start = n - n % POW10[low], span = POW10[low] - 1;
        uint64_t span_end = span_start > UINT64_MAX - span ? UINT64_MAX : span_start + span;
        if (span_end < end) end = span_end;
    }
    r->end = end;
}

/* Portable: returns 1 and sets *found for the first valid nonce in [first, last]. */
static int scan_portable(const Searcher *s, uint64_t first, uint64_t last, uint64_t *found) {
    run_t r;
    uint64_t n = first;
    for (;;) {
        setup_run(s, compress_portable, n, last, &r);
        for (;;) {
            uint32_t h[8];
            memcpy(h, r.base, sizeof h);
            compress_portable(h, r.vary);
            if (r.trailer) compress_portable(h, r.trailer);
            if (below_target(s, h)) {
                *found = n;
                return 1;
            }
            if (n == r.end) break;
            n++;
            increment(r.vary, r.last);
        }
        if (n == last) return 0;
        n++;
    }
}

#ifdef FASTPOW_X86
SHANI_INLINE int shani_check(const Searcher *s, shani_state st) {
    if (shani_word0(st) & s->mask[0]) return 0;
    uint32_t h[8];
    shani_store(st, h);
    return below_target(s, h);
}

SHANI static int scan_shani(const Searcher *s, uint64_t first, uint64_t last, uint64_t *found) {
    run_t r;
    uint64_t n = first;
    for (;;) {
        setup_run(s, compress_shani, n, last, &r);
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
            increment(r.vary, r.last);
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
            increment(r.vary, r.last);
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

static compress_fn searcher_compress(const Searcher *s) {
#ifdef FASTPOW_X86
    if (s->use_sha_ni) return compress_shani;
#endif
    return compress_portable;
}

static void searcher_digest(const Searcher *s, uint64_t n, uint8_t out[32]) {
    compress_fn compress = searcher_compress(s);
    run_t r;
    setup_run(s, compress, n, n, &r);
    uint32_t h[8];
    memcpy(h, r.base, sizeof h);
    compress(h, r.vary);
    if (r.trailer) compress(h, r.trailer);
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, h[i]);
}

/* The full check of a nonce the 16-lane kernel let through on its first word. */
static int searcher_check(const void *searcher, uint64_t n) {
    const Searcher *s = searcher;
    uint8_t out[32];
    uint32_t h[8];
    searcher_digest(s, n, out);
    for (int i = 0; i < 8; i++) h[i] = load_be32(out + 4 * i);
    return below_target(s, h);
}

#ifdef FASTPOW_X86
typedef int (*lanes_fn)(fastpow_run *run, uint64_t n, const uint32_t mask0,
                        fastpow_check_fn check, const void *searcher, uint64_t *found);

/* 16 (AVX-512F) or 8 (AVX2) nonces per step; run set-up as in the other paths. */
static int scan_lanes(const Searcher *s, lanes_fn kernel, uint64_t first, uint64_t last,
                      uint64_t *found) {
    compress_fn compress = searcher_compress(s);
    run_t r;
    uint64_t n = first;
    for (;;) {
        setup_run(s, compress, n, last, &r);
        if (kernel(&r, n, s->mask[0], searcher_check, s, found)) return 1;
        n = r.end;
        if (n == last) return 0;
        n++;
    }
}
#endif

static int searcher_scan_range(const Searcher *s, uint64_t first, uint64_t last,
                               uint64_t *found) {
#ifdef FASTPOW_X86
    if (s->backend == BACKEND_AVX512)
        return scan_lanes(s, fastpow_x16_scan_run, first, last, found);
    if (s->backend == BACKEND_AVX2) return scan_lanes(s, fastpow_x8_scan_run, first, last, found);
    if (s->backend == BACKEND_SHA_NI) return scan_shani(s, first, last, found);
    if (s->backend == BACKEND_SHA_NI4)
        return scan_lanes(s, fastpow_shani4_scan_run, first, last, found);
#endif
    return scan_portable(s, first, last, found);
}

/* ------------------------------------------------------------------ */
/* Python binding                                                      */
/* ------------------------------------------------------------------ */

static int searcher_init(Searcher *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"prefix", "difficulty", "backend", NULL};
    Py_buffer prefix;
    int difficulty, backend = BACKEND_AUTO;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*i|i", kwlist, &prefix, &difficulty, &backend))
        return -1;
    if (difficulty < 0 || difficulty > 256) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "difficulty must be between 0 and 256, got %d", difficulty);
        return -1;
    }
    if (backend < BACKEND_AUTO || backend > BACKEND_SHA_NI4) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "unknown backend %d", backend);
        return -1;
    }
    const char *missing = (backend == BACKEND_SHA_NI || backend == BACKEND_SHA_NI4) && !have_sha_ni
                              ? "the SHA extensions"
                          : backend == BACKEND_AVX512 && !have_avx512 ? "AVX-512F"
                          : backend == BACKEND_AVX2 && !have_avx2     ? "AVX2"
                                                                      : NULL;
    if (missing) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "this CPU (or OS) has no %s", missing);
        return -1;
    }
    /* A fixed order for callers that do not choose; tutorial_app.kernels
     * measures the paths on the machine at hand and passes its choice. */
    if (backend == BACKEND_AUTO)
        backend = have_avx512   ? BACKEND_AVX512
                  : have_sha_ni ? BACKEND_SHA_NI4
                  : have_avx2   ? BACKEND_AVX2
                                : BACKEND_PORTABLE;
    self->backend = backend;
    self->use_sha_ni = have_sha_ni && backend != BACKEND_PORTABLE;
    compress_fn compress = searcher_compress(self);
    const uint8_t *p = prefix.buf;
    size_t len = (size_t)prefix.len;
    memcpy(self->mid, H256, sizeof self->mid);
    size_t full = len - len % 64;
    Py_BEGIN_ALLOW_THREADS
    for (size_t off = 0; off < full; off += 64) compress(self->mid, p + off);
    Py_END_ALLOW_THREADS
    self->rem_len = len - full;
    memcpy(self->rem, p + full, self->rem_len);
    self->prefix_len = (uint64_t)len;
    self->difficulty = difficulty;
    /* hash < 2^(256 - difficulty)  <=>  its top `difficulty` bits are zero */
    for (int i = 0; i < 8; i++) {
        int bits = difficulty - 32 * i;
        if (bits <= 0)
            self->mask[i] = 0;
        else if (bits >= 32)
            self->mask[i] = 0xffffffffu;
        else
            self->mask[i] = (uint32_t)(0xffffffffu << (32 - bits));
    }
    PyBuffer_Release(&prefix);
    return 0;
}

static int parse_nonce(PyObject *obj, uint64_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "nonces must be integers in [0, 2**64 - 1]");
        }
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

PyDoc_STRVAR(scan_doc,
             "scan(start, count) -> int | None\n\n"
             "The smallest valid nonce in [start, start + count), or None. Releases the GIL.");

static PyObject *searcher_scan(Searcher *self, PyObject *args) {
    PyObject *start_obj, *count_obj;
    uint64_t start, count, found = 0;
    if (!PyArg_ParseTuple(args, "OO", &start_obj, &count_obj)) return NULL;
    if (parse_nonce(start_obj, &start) < 0 || parse_nonce(count_obj, &count) < 0) return NULL;
    if (count == 0) Py_RETURN_NONE;
    if (count - 1 > UINT64_MAX - start) {
        PyErr_SetString(PyExc_ValueError, "the range goes past 2**64 - 1");
        return NULL;
    }
    int hit;
    Py_BEGIN_ALLOW_THREADS
    hit = searcher_scan_range(self, start, start + (count - 1), &found);
    Py_END_ALLOW_THREADS
    if (!hit) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(found);
}

PyDoc_STRVAR(digest_doc, "digest(nonce) -> bytes\n\nsha256(prefix + str(nonce)), 32 bytes.");

static PyObject *searcher_digest_py(Searcher *self, PyObject *arg) {
    uint64_t n;
    uint8_t out[32];
    if (parse_nonce(arg, &n) < 0) return NULL;
    searcher_digest(self, n, out);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *searcher_get_sha_ni(Searcher *self, void *closure) {
    (void)closure;
    return PyBool_FromLong(self->use_sha_ni);
}

static PyObject *searcher_get_backend(Searcher *self, void *closure) {
    (void)closure;
    return PyLong_FromLong(self->backend);
}

static PyObject *searcher_get_difficulty(Searcher *self, void *closure) {
    (void)closure;
    return PyLong_FromLong(self->difficulty);
}

static PyMethodDef searcher_methods[] = {
    {"scan", (PyCFunction)searcher_scan, METH_VARARGS, scan_doc},
    {"digest", (PyCFunction)searcher_digest_py, METH_O, digest_doc},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef searcher_getset[] = {
    {"sha_ni", (getter)searcher_get_sha_ni, NULL, "True when this searcher's single compressions use SHA-NI", NULL},
    {"backend", (getter)searcher_get_backend, NULL,
     "the path it runs: BACKEND_PORTABLE, _SHA_NI, _SHA_NI4, _AVX512 or _AVX2", NULL},
    {"difficulty", (getter)searcher_get_difficulty, NULL, "the difficulty it checks", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyDoc_STRVAR(searcher_doc,
             "Searcher(prefix: bytes, difficulty: int, backend: int = 0)\n\n"
             "Nonce search for sha256(prefix + str(nonce)) < 2**(256 - difficulty).\n"
             "backend: 0 = a fixed default, 1 = portable C, 2 = SHA-NI (two nonces\n"
             "in flight), 3 = AVX-512 (16 nonces per step), 4 = AVX2 (8 per step),\n"
             "5 = SHA-NI (four pipelined chains).");

static PyType_Slot searcher_slots[] = {{Py_tp_init, searcher_init},
                                       {Py_tp_new, PyType_GenericNew},
                                       {Py_tp_methods, searcher_methods},
                                       {Py_tp_getset, searcher_getset},
                                       {Py_tp_doc, (void *)searcher_doc},
                                       {0, NULL}};

static PyType_Spec searcher_spec = {"tutorial_app._fastpow.Searcher", sizeof(Searcher), 0,
                                    Py_TPFLAGS_DEFAULT, searcher_slots};

static PyObject *has_sha_ni_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_sha_ni);
}

static PyObject *has_avx512_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_avx512);
}

static PyObject *has_avx2_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_avx2);
}

static PyMethodDef module_methods[] = {
    {"has_sha_ni", has_sha_ni_py, METH_NOARGS, "True when the CPU has the SHA extensions."},
    {"has_avx512", has_avx512_py, METH_NOARGS, "True when the CPU and OS support AVX-512F."},
    {"has_avx2", has_avx2_py, METH_NOARGS, "True when the CPU and OS support AVX2."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *module) {
    have_sha_ni = cpu_has_sha_ni();
    have_avx512 = cpu_has_avx512();
    have_avx2 = cpu_has_avx2();
    PyObject *type = PyType_FromSpec(&searcher_spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, "Searcher", type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    if (PyModule_AddIntConstant(module, "BACKEND_AUTO", BACKEND_AUTO) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_PORTABLE", BACKEND_PORTABLE) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_SHA_NI", BACKEND_SHA_NI) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_AVX512", BACKEND_AVX512) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_AVX2", BACKEND_AVX2) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_SHA_NI4", BACKEND_SHA_NI4) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, module_exec}, {0, NULL}};

static struct PyModuleDef fastpow_module = {
    PyModuleDef_HEAD_INIT, "tutorial_app._fastpow",
    "Native nonce search for tutorial_app.pow (see _fastpow.c).", 0, module_methods,
    module_slots, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastpow(void) { return PyModuleDef_Init(&fastpow_module); }
