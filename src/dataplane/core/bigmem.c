/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/bigmem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "common/log.h"

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

/* Kilobytes of [p, p + len) the kernel backs with transparent huge pages, from /proc/self/smaps
 * (the VMAs that overlap the range: a neighbouring array merged into one VMA counts too). */
static size_t huge_kb(const uint8_t *p, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return 0;
	char line[256];
	size_t kb = 0, v;
	bool inside = false;
	unsigned long lo, hi;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = lo < (uintptr_t)(p + len) && hi > (uintptr_t)p;
		else if (inside && sscanf(line, "AnonHugePages: %zu kB", &v) == 1)
			kb += v;
	}
	fclose(f);
	return kb;
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
	if (raw == MAP_FAILED) {
		LOG_ERR("%s: cannot map %zu MiB: %s", name, len >> 20, strerror(errno));
		return NULL;
	}
	uint8_t *p = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)raw, HUGE_PAGE);
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	size_t tail = (size_t)(raw + len + HUGE_PAGE - (p + len));
	if (tail)
		munmap(p + len, tail);
	(void)madvise(p, len, MADV_HUGEPAGE); /* refused: 4 KiB pages, still correct */
	/* Anonymous memory reads as zero; faulting it in now keeps page faults off the fast path,
	 * and memory the system cannot give is (mostly) a refusal here rather than later. Kernels
	 * before 5.14 do not know the advice (EINVAL): each page is written instead, where a
	 * shortage is the OOM killer's to settle. */
	if (madvise(p, len, MADV_POPULATE_WRITE) != 0) {
		if (errno != EINVAL) {
			LOG_ERR("%s: cannot fault in %zu MiB: %s", name, len >> 20,
				strerror(errno));
			munmap(p, len);
			return NULL;
		}
		for (size_t off = 0; off < len; off += SMALL_PAGE)
			((volatile uint8_t *)p)[off] = 0;
	}
	size_t huge = huge_kb(p, len) >> 10, total = len >> 20;
	if (huge < total / 2)
		LOG_WARN("%s: %zu of %zu MiB on huge pages (transparent huge pages off or memory "
			 "fragmented: lookups will miss the TLB)",
			 name, huge, total);
	else
		LOG_INFO("%s: %zu of %zu MiB on huge pages", name, huge, total);
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
