/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/bigmem.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define HUGE_PAGE  (2u << 20)
#define SMALL_PAGE 4096u

/* Below one huge page the TLB covers a table anyway: DPDK's heap, wherever it is. */
static int on_heap(size_t bytes)
{
	return rte_eal_has_hugepages() || bytes < HUGE_PAGE;
}

size_t dp_bigmem_outside_heap(size_t bytes)
{
	return on_heap(bytes) ? 0 : RTE_ALIGN_CEIL(bytes, SMALL_PAGE);
}

void *dp_bigmem_alloc(const char *name, size_t bytes)
{
	if (on_heap(bytes))
		return rte_zmalloc(name, bytes, RTE_CACHE_LINE_SIZE);
	size_t len = RTE_ALIGN_CEIL(bytes, SMALL_PAGE);
	/* One huge page more than asked, so the start can be moved to a huge-page boundary (the
	 * kernel backs only whole aligned 2 MiB ranges); the unused head and tail go back. */
	uint8_t *raw =
	    mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)raw, HUGE_PAGE);
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	size_t tail = (size_t)(raw + len + HUGE_PAGE - (p + len));
	if (tail)
		munmap(p + len, tail);
	(void)madvise(p, len, MADV_HUGEPAGE); /* refused: 4 KiB pages, still correct */
	/* Anonymous memory reads as zero; writing it now faults it in, off the fast path. */
	if (madvise(p, len, MADV_POPULATE_WRITE) != 0)
		for (size_t off = 0; off < len; off += SMALL_PAGE)
			((volatile uint8_t *)p)[off] = 0;
	return p;
}

void dp_bigmem_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (on_heap(bytes))
		rte_free(p);
	else
		munmap(p, RTE_ALIGN_CEIL(bytes, SMALL_PAGE));
}
