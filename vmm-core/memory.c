/* Guest RAM; see memory.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "memory.h"
#include "x86/layout.h"

unsigned guest_mem_layout(uint64_t size, struct guest_region *out)
{
	uint64_t low = size < LAYOUT_PCI_HOLE_START ? size : LAYOUT_PCI_HOLE_START;
	unsigned n = 0;

	out[n++] = (struct guest_region){ .gpa = 0, .size = low, .offset = 0 };
	if (size > low)
		out[n++] = (struct guest_region){ .gpa = LAYOUT_4G, .size = size - low,
						  .offset = low };
	return n;
}

uint64_t host_mem_total(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

int guest_mem_create(struct guest_mem *m, uint64_t size, char *err, size_t errlen)
{
	uint64_t host = host_mem_total();

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (size < LAYOUT_MIN_MEM || size > LAYOUT_MAX_MEM || size % 4096) {
		snprintf(err, errlen, "memory size %llu bytes is out of range "
			 "(2 MiB to 1 TiB, a multiple of 4 KiB)", (unsigned long long)size);
		return -EINVAL;
	}
	if (host && size > host) {
		snprintf(err, errlen, "memory size %llu MiB is more than this host has "
			 "(%llu MiB)", (unsigned long long)(size >> 20),
			 (unsigned long long)(host >> 20));
		return -ENOMEM;
	}
	m->memfd = memfd_create("vmdeck-guest-ram", MFD_CLOEXEC);
	if (m->memfd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -errno;
	}
	if (ftruncate(m->memfd, (off_t)size)) {
		int e = errno;
		snprintf(err, errlen, "guest RAM of %llu MiB: %s",
			 (unsigned long long)(size >> 20), strerror(e));
		close(m->memfd);
		return -e;
	}
	m->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		      m->memfd, 0);
	if (m->hva == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "mapping %llu MiB of guest RAM: %s",
			 (unsigned long long)(size >> 20), strerror(e));
		close(m->memfd);
		m->hva = NULL;
		return -e;
	}
	/* Guest RAM is not worth a core dump and should not be inherited. */
	madvise(m->hva, size, MADV_DONTDUMP);
	madvise(m->hva, size, MADV_DONTFORK);
	m->size = size;
	m->nregions = guest_mem_layout(size, m->regions);
	return 0;
}

int guest_mem_create_from_file(struct guest_mem *m, const char *path, uint64_t size,
			       char *err, size_t errlen)
{
	struct stat st;
	int e;

	memset(m, 0, sizeof(*m));
	m->memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->memfd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(m->memfd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size ||
	    size < LAYOUT_MIN_MEM || size > LAYOUT_MAX_MEM || size % 4096) {
		snprintf(err, errlen, "%s: %lld bytes, but the VM has %llu bytes of RAM "
			 "(memory file shorter or longer than the config says)", path,
			 (long long)st.st_size, (unsigned long long)size);
		close(m->memfd);
		m->memfd = -1;
		return -EINVAL;
	}
	/* MAP_PRIVATE: pages come from the file on first touch and guest
	 * writes go to private copies; the snapshot stays as it was. */
	m->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
		      m->memfd, 0);
	if (m->hva == MAP_FAILED) {
		e = errno;
		snprintf(err, errlen, "mapping %s: %s", path, strerror(e));
		close(m->memfd);
		m->memfd = -1;
		m->hva = NULL;
		return -e;
	}
	madvise(m->hva, size, MADV_DONTDUMP);
	madvise(m->hva, size, MADV_DONTFORK);
	m->size = size;
	m->file_backed = true;
	m->nregions = guest_mem_layout(size, m->regions);
	return 0;
}

int guest_mem_replace_from_file(struct guest_mem *m, const char *path, bool *lost,
				char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fd, e;

	*lost = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->size) {
		snprintf(err, errlen, "%s: %lld bytes, but the VM has %llu bytes of RAM", path,
			 (long long)st.st_size, (unsigned long long)m->size);
		close(fd);
		return -EINVAL;
	}
	p = mmap(m->hva, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED,
		 fd, 0);
	if (p == MAP_FAILED || p != m->hva) {
		e = p == MAP_FAILED ? errno : EFAULT;
		snprintf(err, errlen, "mapping %s over guest RAM: %s", path, strerror(e));
		close(fd);
		*lost = true;
		return -e;
	}
	madvise(m->hva, m->size, MADV_DONTDUMP);
	madvise(m->hva, m->size, MADV_DONTFORK);
	if (m->memfd >= 0)
		close(m->memfd);
	m->memfd = fd;
	m->file_backed = true;
	return 0;
}

int guest_mem_register(struct guest_mem *m, int vm_fd, uint32_t first_slot)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		struct guest_region *r = &m->regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = first_slot + i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)(m->hva + r->offset),
		};
		r->slot = kr.slot;
		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return -errno;
	}
	return 0;
}

void guest_mem_destroy(struct guest_mem *m)
{
	if (m->hva)
		munmap(m->hva, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->hva = NULL;
	m->memfd = -1;
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off < r->size && len <= r->size - off)
			return m->hva + r->offset + off;
	}
	return NULL;
}
