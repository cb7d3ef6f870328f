/*
 * The nonce search's portable path: SHA-256 compression in plain C (FIPS
 * 180-4, 6.2.2) and a scan of one nonce at a time, for CPUs with none of
 * the x86 extensions. Both are in one unit so the scan's loop inlines the
 * compression; the other paths use it for single compressions only.
 */
#include <string.h>

#include "_fastpow_paths.h"

static void compress_portable(uint32_t state[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) w[t] = fastpow_load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++)
        w[t] = w[t - 16] + fastpow_sigma0(w[t - 15]) + w[t - 7] + fastpow_sigma1(w[t - 2]);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = h + (fastpow_rotr(e, 6) ^ fastpow_rotr(e, 11) ^ fastpow_rotr(e, 25)) +
                      ((e & f) ^ (~e & g)) + fastpow_K256[t] + w[t];
        uint32_t t2 = (fastpow_rotr(a, 2) ^ fastpow_rotr(a, 13) ^ fastpow_rotr(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
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

void fastpow_compress_portable(uint32_t state[8], const uint8_t block[64]) {
    compress_portable(state, block);
}

int fastpow_scan_portable(const fastpow_searcher *s, uint64_t first, uint64_t last,
                          uint64_t *found) {
    fastpow_run r;
    uint64_t n = first;
    for (;;) {
        fastpow_setup_run(s, n, last, &r);
        for (;;) {
            uint32_t h[8];
            memcpy(h, r.base, sizeof h);
            compress_portable(h, r.vary);
            if (r.trailer) compress_portable(h, r.trailer);
            if (fastpow_below_target(s, h)) {
                *found = n;
                return 1;
            }
            if (n == r.end) break;
            n++;
            fastpow_increment(r.vary, r.last);
        }
        if (n == last) return 0;
        n++;
    }
}
