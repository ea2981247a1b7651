/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory for the large tables the fast path reads at random (the session table's entries and
 * index): on huge pages whichever way the process runs, because with 4 KiB pages a random
 * lookup into a hundred megabytes misses the TLB as well as the cache, and the page-table walk
 * costs about as much again.
 *
 * With EAL on hugetlbfs (eal.huge-pages) it is DPDK's heap. Without (--no-huge) DPDK's memory
 * is a memfd on 4 KiB pages that transparent huge pages do not cover (shmem THP is off by
 * default), so it is anonymous memory the kernel is asked to back with transparent huge pages
 * (MADV_HUGEPAGE: honoured when /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or
 * "always"; 4 KiB pages otherwise, and nothing else changes). Either way it is zeroed and
 * populated before it is returned: the fast path never takes a page fault on it.
 * Startup and shutdown only; the process's own memory, not shared with secondary processes.
 */
#ifndef SVR_CORE_BIGMEM_H
#define SVR_CORE_BIGMEM_H

#include <stddef.h>

/* Zeroed memory of bytes (cache-line aligned), or NULL. name: DPDK's heap label. */
void *dp_bigmem_alloc(const char *name, size_t bytes);
/* The bytes an allocation of bytes holds outside DPDK's heap (0 when it is on the heap, whose
 * statistics count it already): what a memory account adds to the heap's. */
size_t dp_bigmem_outside_heap(size_t bytes);
/* Frees what dp_bigmem_alloc(_, bytes) returned (NULL: nothing). */
void dp_bigmem_free(void *p, size_t bytes);

#endif
