/*
 * The set-up every path of the nonce search shares: the searcher's midstate
 * and target, the cutting of a range of nonces into runs (in which only a
 * few low digits change, so most of the block is fixed), and the digest and
 * full check of single nonces. None of it is on a path's hot loop.
 */
#include "_fastpow_run.h"

#include <string.h>

#define MAX_DIGITS 20 /* digits of 2^64 - 1 */

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

void fastpow_searcher_init(fastpow_searcher *s, fastpow_compress_fn compress,
                           const uint8_t *prefix, size_t len, int difficulty) {
    s->compress = compress;
    memcpy(s->mid, fastpow_H256, sizeof s->mid);
    size_t full = len - len % 64;
    for (size_t off = 0; off < full; off += 64) compress(s->mid, prefix + off);
    s->rem_len = len - full;
    memcpy(s->rem, prefix + full, s->rem_len);
    s->prefix_len = (uint64_t)len;
    /* hash < 2^(256 - difficulty)  <=>  its top `difficulty` bits are zero */
    for (int i = 0; i < 8; i++) {
        int bits = difficulty - 32 * i;
        if (bits <= 0)
            s->mask[i] = 0;
        else if (bits >= 32)
            s->mask[i] = 0xffffffffu;
        else
            s->mask[i] = (uint32_t)(0xffffffffu << (32 - bits));
    }
}

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

/*
 * Only the low digits in the last two words of the block holding the last
 * digit change (at least 5 digits when there are that many in the block),
 * so a run is long enough to pay for its set-up and most of the block is
 * fixed.
 */
void fastpow_setup_run(const fastpow_searcher *s, uint64_t n, uint64_t last, fastpow_run *r) {
    int d = digits_of(n);
    size_t tail = s->rem_len + (size_t)d;
    int blocks = tail + 9 <= 64 ? 1 : 2;
    memset(r->buf, 0, sizeof r->buf);
    memcpy(r->buf, s->rem, s->rem_len);
    write_digits(r->buf + s->rem_len, n, d);
    r->buf[tail] = 0x80;
    uint64_t bits = (s->prefix_len + (uint64_t)d) * 8;
    fastpow_store_be32(r->buf + 64 * blocks - 8, (uint32_t)(bits >> 32));
    fastpow_store_be32(r->buf + 64 * blocks - 4, (uint32_t)bits);
    memcpy(r->base, s->mid, sizeof r->base);

    int first; /* index in vary of the first digit of the nonce (may be before the block) */
    if (blocks == 2 && tail > 64) {
        /* The digits straddle the blocks: block 0 ends with high digits only. */
        s->compress(r->base, r->buf);
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

void fastpow_digest(const fastpow_searcher *s, uint64_t n, uint8_t out[32]) {
    fastpow_run r;
    fastpow_setup_run(s, n, n, &r);
    uint32_t h[8];
    memcpy(h, r.base, sizeof h);
    s->compress(h, r.vary);
    if (r.trailer) s->compress(h, r.trailer);
    for (int i = 0; i < 8; i++) fastpow_store_be32(out + 4 * i, h[i]);
}

int fastpow_check(const void *searcher, uint64_t nonce) {
    const fastpow_searcher *s = searcher;
    uint8_t out[32];
    uint32_t h[8];
    fastpow_digest(s, nonce, out);
    for (int i = 0; i < 8; i++) h[i] = fastpow_load_be32(out + 4 * i);
    return fastpow_below_target(s, h);
}
