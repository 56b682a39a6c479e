#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has the x86 SHA extensions (and the SSE4.1 they are used with); 0 on
/// other architectures.
int csha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating
/// `state` (the eight working words a..h, in host order). Only call it when
/// `csha256_hardware_available()` returned 1.
void csha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
