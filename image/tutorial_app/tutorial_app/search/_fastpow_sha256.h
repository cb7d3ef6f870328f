/*
 * SHA-256 (FIPS 180-4) as every path of the nonce search uses it: the
 * constants, defined once in _fastpow_sha256.c, and the scalar helpers,
 * inline here so that each path's hot loop keeps them in its own unit.
 */
#ifndef TUTORIAL_APP_FASTPOW_SHA256_H
#define TUTORIAL_APP_FASTPOW_SHA256_H

#include <stdint.h>

extern const uint32_t fastpow_K256[64]; /* 4.2.2: the round constants */
extern const uint32_t fastpow_H256[8];  /* 5.3.3: the initial state */

/* One compression of a 64-byte block into a state (6.2.2), by some path. */
typedef void (*fastpow_compress_fn)(uint32_t state[8], const uint8_t block[64]);

static inline uint32_t fastpow_load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void fastpow_store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t fastpow_rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* The message schedule's sigma functions (4.1.2, 4.6 and 4.7). */
static inline uint32_t fastpow_sigma0(uint32_t x) {
    return fastpow_rotr(x, 7) ^ fastpow_rotr(x, 18) ^ (x >> 3);
}
static inline uint32_t fastpow_sigma1(uint32_t x) {
    return fastpow_rotr(x, 17) ^ fastpow_rotr(x, 19) ^ (x >> 10);
}

#endif
