/*
 * What this CPU (and OS) can run, asked once at import: the module offers
 * a path only where cpuid allows it.
 */
#ifndef TUTORIAL_APP_FASTPOW_CPU_H
#define TUTORIAL_APP_FASTPOW_CPU_H

/* The SHA extensions, with the SSSE3 and SSE4.1 the SHA-NI code also uses. */
int fastpow_cpu_has_sha_ni(void);

/* AVX-512F / AVX2 in the CPU and enabled by the OS. */
int fastpow_cpu_has_avx512(void);
int fastpow_cpu_has_avx2(void);

#endif
