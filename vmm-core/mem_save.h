/* memory.bin: guest RAM as a sparse file the size of RAM, at memfd offsets
 * (x86/layout.h), so guest_mem_create_from_file can map it back. Only pages
 * that may hold data are looked at, and all-zero pages are left as holes:
 * - memfd RAM: the memfd's data extents (lseek SEEK_DATA/SEEK_HOLE);
 * - RAM restored from a file (MAP_PRIVATE): the backing file's data extents
 *   plus the pages this process holds privately (/proc/self/pagemap: present
 *   or swapped and not a file page, i.e. copied on write). */
#ifndef VMDECK_MEM_SAVE_H
#define VMDECK_MEM_SAVE_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

struct mem_save_stats {
	uint64_t pages_scanned;  /* candidate pages looked at */
	uint64_t pages_written;  /* non-zero pages written */
	uint64_t bytes_written;
};

/* Writes RAM into fd (an empty regular file; it is sized to m->size) with
 * pwrite. Does not fsync. */
int guest_mem_save_file(const struct guest_mem *m, int fd, struct mem_save_stats *st,
			char *err, size_t errlen);

#endif
