/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of every page and every log frame.
 *
 * CRC-32C was chosen over xxHash because both x86-64 (SSE4.2 `crc32`) and ARMv8 (the CRC
 * extension of the Cortex-A72 in a Raspberry Pi 4) compute it in hardware, and it detects all
 * burst errors up to 32 bits. The implementation picks the hardware path at run time and falls
 * back to a slicing-by-8 table; both give identical results (tested).
 */
#ifndef NQ_BASE_CRC32C_H
#define NQ_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: crc32c(0, ...) starts one; feed the result back to extend it. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The portable table implementation (exposed for tests and benchmarks). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* 1 if crc32c() uses a hardware instruction on this CPU. */
int crc32c_hw_available(void);

#endif
