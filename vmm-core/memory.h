/* Guest RAM: one memfd mapped shared, registered as KVM memslots around the
 * PCI hole (x86/layout.h). All guest-physical accesses by the VMM go through
 * guest_mem_ptr(), which bounds-checks addr+len without overflow. */
#ifndef VMDECK_MEMORY_H
#define VMDECK_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_region {
	uint64_t gpa;      /* guest-physical start */
	uint64_t size;
	uint64_t offset;   /* offset in the memfd / host mapping */
	uint32_t slot;
};

struct guest_mem {
	int memfd;
	uint8_t *hva;      /* whole memfd mapped here */
	uint64_t size;     /* bytes of RAM */
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned nregions;
	/* Restored from a snapshot: memfd is the snapshot's memory.bin (read
	 * only) and hva maps it MAP_PRIVATE, so guest writes stay private. */
	bool file_backed;
};

/* Splits size bytes of RAM into regions below the PCI hole and above 4 GiB.
 * Pure; used by guest_mem_create and by tests. */
unsigned guest_mem_layout(uint64_t size, struct guest_region *out);
int guest_mem_create(struct guest_mem *m, uint64_t size, char *err, size_t errlen);
/* Guest RAM from a snapshot's memory file, mapped MAP_PRIVATE: pages are
 * read from the file on first touch, so this takes the same time for any
 * size. The file must be exactly size bytes. */
int guest_mem_create_from_file(struct guest_mem *m, const char *path, uint64_t size,
			       char *err, size_t errlen);
/* Reverts running RAM to a snapshot's memory file, in place: the file is
 * mapped MAP_PRIVATE | MAP_FIXED over m->hva, so the KVM memslots (same host
 * addresses) see the file's pages from now on, loaded lazily on first
 * touch (KVM's MMU notifier drops its old mappings). vCPUs must be paused.
 * Fails with nothing changed (*lost false) when the file cannot be opened
 * or is not exactly m->size bytes; *lost true means the old RAM is gone and
 * the VM must not run again. */
int guest_mem_replace_from_file(struct guest_mem *m, const char *path, bool *lost,
				char *err, size_t errlen);
/* Registers the regions with KVM_SET_USER_MEMORY_REGION starting at slot first_slot. */
int guest_mem_register(struct guest_mem *m, int vm_fd, uint32_t first_slot);
void guest_mem_destroy(struct guest_mem *m);
/* Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region,
 * else NULL. len 0 is allowed (returns the pointer if gpa is inside). */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Bytes of host RAM available, for refusing impossible guest sizes. */
uint64_t host_mem_total(void);

#endif
