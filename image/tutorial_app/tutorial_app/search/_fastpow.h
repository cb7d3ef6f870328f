/*
 * Shared between the nonce search's driver (_fastpow.c) and its multi-lane
 * kernels (_fastpow_x16.c, _fastpow_x8.c, _fastpow_shani4.c): the description of a "run" of nonces, in
 * which only a few low digits, in at most two words of one block, change.
 */
#ifndef TUTORIAL_APP_FASTPOW_H
#define TUTORIAL_APP_FASTPOW_H

#include <stdint.h>

extern const uint32_t fastpow_K256[64];

static inline uint32_t fastpow_load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void fastpow_store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Add one to the ASCII number ending at p[last]; the caller guarantees no carry out. */
static inline void fastpow_increment(uint8_t *block, int last) {
    while (block[last] == '9') block[last--] = '0';
    block[last]++;
}

/*
 * The tail of the message for the nonces n..end, and how to hash it:
 * state = compress(base, vary) then, if trailer, compress(state, trailer).
 * Within a run only the digits in vary[first..last] change, and they lie in
 * the words wlo..whi (whi <= wlo + 1) of `vary`; everything else is fixed.
 */
typedef struct {
    uint8_t buf[128];
    uint32_t base[8];
    uint8_t *vary;
    const uint8_t *trailer;
    int first, last; /* byte indices in vary of the changing digits */
    int wlo, whi;    /* the words of vary that hold them */
    uint64_t end;    /* last nonce of the run (inclusive) */
} fastpow_run;

/* Checks one nonce fully (all eight words against the target); 1 when valid. */
typedef int (*fastpow_check_fn)(const void *searcher, uint64_t nonce);

/*
 * Scans the run from *n to run->end with 16 nonces per step. Returns 1 and
 * sets *found to the smallest valid nonce, or returns 0 with the vary
 * buffer advanced to run->end. Needs AVX-512F (the caller checks).
 */
int fastpow_x16_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                         fastpow_check_fn check, const void *searcher, uint64_t *found);

/* The same with 8 nonces per step; needs AVX2. */
int fastpow_x8_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                        fastpow_check_fn check, const void *searcher, uint64_t *found);

/* The same with 4 nonces per step as four pipelined SHA-NI chains; needs SHA-NI. */
int fastpow_shani4_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                            fastpow_check_fn check, const void *searcher, uint64_t *found);

#endif
