/*
 * CPU detection for the nonce search: cpuid and the compiler's CPU
 * support checks, kept apart from the paths they choose among. Anything
 * but x86 has none of the extensions.
 */
#include "_fastpow_cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stddef.h>

/* CPUID.(EAX=7,ECX=0):EBX bit 29 is SHA; the code also uses SSSE3 and SSE4.1. */
int fastpow_cpu_has_sha_ni(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}

/* libgcc checks XCR0, so these are also enabled by the OS. */
int fastpow_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

int fastpow_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
int fastpow_cpu_has_sha_ni(void) { return 0; }
int fastpow_cpu_has_avx512(void) { return 0; }
int fastpow_cpu_has_avx2(void) { return 0; }
#endif
