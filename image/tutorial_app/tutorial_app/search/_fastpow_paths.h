/*
 * The paths of the nonce search, one unit each, as the module (_fastpow.c)
 * dispatches among them: each scans from a searcher (_fastpow_run.h) and
 * keeps its hot loop inside its own unit. The x86 paths carry
 * function-level target attributes; the caller checks cpuid first.
 */
#ifndef TUTORIAL_APP_FASTPOW_PATHS_H
#define TUTORIAL_APP_FASTPOW_PATHS_H

#include <stdint.h>

#include "_fastpow_run.h"

#if defined(__x86_64__) || defined(__i386__)
#define FASTPOW_X86 1
#endif

/* Portable C (_fastpow_portable.c): the compression, and a scan of one nonce at a time. */
void fastpow_compress_portable(uint32_t state[8], const uint8_t block[64]);

/* The scans of a range: return 1 and set *found to the first valid nonce in [first, last]. */
int fastpow_scan_portable(const fastpow_searcher *s, uint64_t first, uint64_t last,
                          uint64_t *found);

#ifdef FASTPOW_X86
/* SHA-NI (_fastpow_shani2.c): the compression, and two nonces in flight. */
void fastpow_compress_shani(uint32_t state[8], const uint8_t block[64]);
int fastpow_scan_shani2(const fastpow_searcher *s, uint64_t first, uint64_t last,
                        uint64_t *found);

/*
 * The kernels scan one run from n to run->end. They return 1 and set *found
 * to the smallest valid nonce (a nonce passes on the first digest word, then
 * `check` confirms it), or return 0 with the vary buffer advanced to run->end.
 */
typedef int (*fastpow_run_kernel)(fastpow_run *run, uint64_t n, const uint32_t mask0,
                                  fastpow_check_fn check, const void *searcher,
                                  uint64_t *found);

/* 16 nonces per step (_fastpow_x16.c); needs AVX-512F. */
int fastpow_x16_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                         fastpow_check_fn check, const void *searcher, uint64_t *found);

/* 8 nonces per step (_fastpow_x8.c); needs AVX2. */
int fastpow_x8_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                        fastpow_check_fn check, const void *searcher, uint64_t *found);

/* 4 nonces per step as four pipelined SHA-NI chains (_fastpow_shani4.c); needs SHA-NI. */
int fastpow_shani4_scan_run(fastpow_run *run, uint64_t n, const uint32_t mask0,
                            fastpow_check_fn check, const void *searcher, uint64_t *found);
#endif

#endif
