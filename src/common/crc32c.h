/* SPDX-License-Identifier: BSD-3-Clause */
/* CRC-32C (Castagnoli), as used by the policy image: reflected, init and final xor 0xffffffff. */
#ifndef SVR_CRC32C_H
#define SVR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0 for a new one. */
uint32_t svr_crc32c(uint32_t crc, const void *data, size_t len);

#endif
