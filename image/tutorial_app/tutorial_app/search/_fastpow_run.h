/*
 * What every path of the nonce search starts from: the searcher (the
 * prefix hashed so far and the target, fixed at creation) and a "run" of
 * nonces, in which only a few low digits, in at most two words of one
 * block, change. _fastpow_run.c sets both up; the paths (_fastpow_paths.h)
 * scan runs.
 */
#ifndef TUTORIAL_APP_FASTPOW_RUN_H
#define TUTORIAL_APP_FASTPOW_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "_fastpow_sha256.h"

/* Immutable after fastpow_searcher_init, so several threads may scan with one. */
typedef struct {
    uint32_t mid[8];             /* state after the prefix's full blocks */
    uint8_t rem[64];             /* the prefix bytes after them */
    size_t rem_len;              /* 0..63 */
    uint64_t prefix_len;         /* bytes */
    uint32_t mask[8];            /* bits of each digest word that must be zero */
    fastpow_compress_fn compress; /* single compressions (run set-up, digests) */
} fastpow_searcher;

/* Hashes the prefix's full blocks with `compress` and sets the target. */
void fastpow_searcher_init(fastpow_searcher *s, fastpow_compress_fn compress,
                           const uint8_t *prefix, size_t len, int difficulty);

static inline int fastpow_below_target(const fastpow_searcher *s, const uint32_t h[8]) {
    for (int i = 0; i < 8; i++)
        if (h[i] & s->mask[i]) return 0;
    return 1;
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

/* The run that starts at nonce n and ends at `last` at the latest. */
void fastpow_setup_run(const fastpow_searcher *s, uint64_t n, uint64_t last, fastpow_run *r);

/* Add one to the ASCII number ending at p[last]; the caller guarantees no carry out. */
static inline void fastpow_increment(uint8_t *block, int last) {
    while (block[last] == '9') block[last--] = '0';
    block[last]++;
}

/* sha256(prefix || decimal(n)), 32 bytes. */
void fastpow_digest(const fastpow_searcher *s, uint64_t n, uint8_t out[32]);

/* Checks one nonce fully (all eight words against the target); 1 when valid. */
typedef int (*fastpow_check_fn)(const void *searcher, uint64_t nonce);

/* That check for a fastpow_searcher: what the kernels confirm a candidate with. */
int fastpow_check(const void *searcher, uint64_t nonce);

#endif
